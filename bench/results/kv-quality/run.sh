#!/bin/sh
# The measurements in README.md here. The machine was loaded (a training run on both cores), so
# each model's policies are split over several evals run side by side (the metrics are
# deterministic: every part prefills the same prompts and compares with the same full cache);
# report.ts merges the parts. Usage, from the repository root after npm run build:
#   sh bench/results/kv-quality/run.sh            # every part in the background, then wait
#   node scripts/run-ts.mjs bench/results/kv-quality/report.ts
S=${BUDGETKV_SHARED:-../shared}
OUT=bench/results/kv-quality
part() { # model-name model data prompts prompt-tokens part policies
  nice -n 15 node bin/budgetkv.mjs eval -m "$2" --data "$3" --prompts "$4" --prompt-tokens "$5" \
    --policies "full,$7" --json > "$OUT/$1.$6.json" &
}
M1="stories260K $S/models/stories260K.bin $S/data/tinystories_val.txt 16 96-256"
part $M1 a "streaming:0.7,0.8,0.9,h2o:0.7,0.8,0.9,pyramidkv:0.7,0.8,0.9"
part $M1 b "snapkv:0.5,0.7,0.8,0.9,headwise:0.5,0.7,0.8,0.9"
part $M1 c "tova:0.7,0.8,0.9,expected-attention:0.7,0.8,0.9"
part $M1 d "dbudget:0.01,nucleus:0.01,0.005,0.002,nucleus/perHead=true:0.005,headwise/scorer=nucleus:0.01,0.005"
for M in "tinystories-656k $S/models/tinystories-656k" "babyllama $S/models/babyllama-tok105/model5000.bin"; do
  M2="$M $S/data/tinystories_val.txt 12 64-192"
  part $M2 a "streaming:0.7,0.8,0.9,snapkv:0.5,0.7,0.8,0.9"
  part $M2 b "headwise:0.5,0.7,0.8,0.9,expected-attention:0.8,0.9"
  part $M2 c "h2o:0.8,0.9,tova:0.8,0.9,pyramidkv:0.8,0.9"
  part $M2 d "dbudget:0.01,nucleus:0.01,0.005,0.002,nucleus/exemptLayers=none:0.005,headwise/scorer=nucleus:0.005"
done
wait
