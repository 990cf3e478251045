#!/bin/sh
# The measurements in README.md here. The machine was loaded (a training run on both cores), so
# each model's policies are split over several evals run side by side (the metrics are
# deterministic: every part prefills the same prompts and compares with the same full cache);
# report.ts merges the parts. Usage, from the repository root after npm run build:
#   sh bench/results/kv-quality/run.sh                                   # round 1, then round 2
#   node scripts/run-ts.mjs bench/results/kv-quality/report.ts > table.md  # SVGs and tables
S=${BUDGETKV_SHARED:-../shared}
OUT=bench/results/kv-quality
part() { # model-name model data prompts prompt-tokens part policies
  nice -n 15 node bin/budgetkv.mjs eval -m "$2" --data "$3" --prompts "$4" --prompt-tokens "$5" \
    --policies "full,$7" --json > "$OUT/$1.$6.json" &
}
# round 1: fixed-budget families and the adaptive settings
M1="stories260K $S/models/stories260K.bin $S/data/tinystories_val.txt 16 96-256"
part $M1 a "streaming:0.7,0.8,0.9,h2o:0.7,0.8,0.9,pyramidkv:0.7,0.8,0.9"
part $M1 b "snapkv:0.5,0.7,0.8,0.9,headwise:0.5,0.7,0.8,0.9"
part $M1 c "tova:0.7,0.8,0.9,expected-attention:0.7,0.8,0.9"
part $M1 d "dbudget:0.01,nucleus:0.01,0.005,0.002,nucleus/perHead=true:0.005,headwise/scorer=nucleus:0.01,0.005"
M2="tinystories-656k $S/models/tinystories-656k $S/data/tinystories_val.txt 12 64-192"
M3="babyllama $S/models/babyllama-tok105/model5000.bin $S/data/tinystories_val.txt 12 64-192"
for M in "$M2" "$M3"; do
  part $M a "streaming:0.7,0.8,0.9,snapkv:0.5,0.7,0.8,0.9"
  part $M b "headwise:0.5,0.7,0.8,0.9,expected-attention:0.8,0.9"
  part $M c "h2o:0.8,0.9,tova:0.8,0.9,pyramidkv:0.8,0.9"
  part $M d "dbudget:0.01,nucleus:0.01,0.005,0.002,nucleus/exemptLayers=none:0.005,headwise/scorer=nucleus:0.005"
done
wait
# round 2, after round 1: on TinyStories-656K, which missed the target, the nucleus variants its
# numbers called for (layer 1 exempt instead of layer 0, a longer window, per-head cuts); on
# stories260K, larger head-wise safeguards, as headwise + SnapKV fell below SnapKV at 0.5 kept
part $M2 e "nucleus/exemptLayers=1:0.01,0.005,nucleus/window=64:0.005,nucleus/perHead=true:0.005,headwise/scorer=nucleus:0.002,headwise/scorer=nucleus/window=64:0.002"
part $M1 e "headwise/alpha=0.5:0.5,headwise/alpha=0.8:0.5"
wait
