#!/bin/sh
# The whole pipeline of models/budgetkv-stories-500k-*.gguf, as it was run (see the card for the
# wall times). Development tool: Debian's python3-torch and python3-sentencepiece under
# /usr/bin/python3, Node for the export. Usage: sh train/run.sh OUT_DIR [SHARED_DIR]
# Each segment checkpoints every 5 minutes; rerun a segment's command with --resume to continue it.
set -eu
OUT=$1; SHARED=${2:-${BUDGETKV_SHARED:-../shared}}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
THETA="--rope-theta 500000"
BUDGETKV_SHARED="$SHARED" $PY "$ROOT/train/prepare.py" --out "$OUT/data"
# 1: the curriculum of train.py's PHASES (drills at T 64, up to T 2,048), 3,130 steps
$PY "$ROOT/train/train.py" --data "$OUT/data" --out "$OUT/seg1" --steps 3130 $THETA
# 2: a story-heavy finish (80 % story text at T 256), then T 1,024 and 2,048, 760 steps
$PY "$ROOT/train/train.py" --data "$OUT/data" --out "$OUT/seg2" --init-from "$OUT/seg1/ckpt.pt" --steps 760 --lr 1.5e-3 $THETA --probe-every 1000 \
  --phases '[{"frac":0.79,"T":256,"B":16,"retrieval":0.2,"lo":0.25},{"frac":0.13,"T":1024,"B":4,"retrieval":0.3,"lo":0.3},{"frac":0.08,"T":2048,"B":2,"retrieval":0.5,"lo":0.4}]'
# 3: 60 more steps at T 2,048 (segment 2 had lowered retrieval at 2,048 to 85 %)
$PY "$ROOT/train/train.py" --data "$OUT/data" --out "$OUT/seg3" --init-from "$OUT/seg2/ckpt.pt" --steps 60 --lr 6e-4 --seed 4321 $THETA --probe-every 1000 \
  --phases '[{"frac":1.0,"T":2048,"B":2,"retrieval":0.6,"lo":0.4}]'
node "$ROOT/scripts/run-ts.mjs" "$ROOT/train/export.ts" "$OUT/seg3/model.bin" "$ROOT/models/budgetkv-stories-500k" --name budgetkv-stories-500k
