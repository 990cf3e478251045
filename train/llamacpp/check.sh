#!/bin/sh
# Independent check of our own model with llama.cpp (built outside the repo): its tokenizer and its
# greedy tokens on 3 prompts, written as tests/fixtures/llamacpp-own-model.json.
# Usage: [LLAMA_CPP_COMMIT=hash] sh train/llamacpp/check.sh LLAMA_CPP_DIR MODEL_F32.gguf MODEL_Q8_0.gguf
#   LLAMA_CPP_DIR: a llama.cpp checkout built with cmake (build/bin/libllama.so, llama-tokenize)
# greedy.cpp (ours) is compiled against that checkout into a temporary directory.
set -eu
L=$1; F32=$2; Q8=$3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
g++ -O2 -std=c++17 -I"$L/include" -I"$L/ggml/include" "$ROOT/train/llamacpp/greedy.cpp" \
  -L"$L/build/bin" -lllama -lggml -lggml-base -Wl,-rpath,"$L/build/bin" -o "$TMP/greedy"
# the checkout's commit; a snapshot without .git names it in LLAMA_CPP_COMMIT
COMMIT=${LLAMA_CPP_COMMIT:-$(git -C "$L" rev-parse HEAD 2>/dev/null || echo unknown)}
N=48
python3 - "$L" "$F32" "$Q8" "$TMP/greedy" "$COMMIT" "$N" > "$ROOT/tests/fixtures/llamacpp-own-model.json" <<'PY'
import hashlib, json, os, subprocess, sys
L, f32, q8, greedy, commit, n = sys.argv[1:7]
prompts = [
    "Once upon a time, there was a little girl named Lily.",
    "The secret code is 7302. Remember it.\n\nTom and his dog went to the park. They played with a red ball all day.\n\nWhat is the secret code? The secret code is",
    "Zoë found 3 shiny stones by the river and said, \"Look, Mom!\"",
]
def sha(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()
def tokenize(model, text):
    out = subprocess.run([os.path.join(L, "build/bin/llama-tokenize"), "-m", model, "-p", text, "--ids", "--log-disable"],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)
models = {}
for path in (f32, q8):
    name = os.path.basename(path)
    cases = []
    for p in prompts:
        g = json.loads(subprocess.run([greedy, path, n, p], capture_output=True, text=True, check=True).stdout)
        cases.append({"prompt": p, "tokenize_ids": tokenize(path, p), **g})
    models[name] = {"sha256": sha(path), "cases": cases}
doc = json.dumps({
    "source": {
        "repository": "github.com/ggml-org/llama.cpp", "commit": commit,
        "tokenizer": "build/bin/llama-tokenize -m MODEL -p PROMPT --ids --log-disable (BOS added, SPM space prefix)",
        "greedy": f"train/llamacpp/greedy.cpp (ours) linked against that build's libllama: MODEL {n} PROMPT; prompt tokenized with add_special and parse_special; argmax each step (lowest id on a tie); stops on end-of-generation",
        "command": "sh train/llamacpp/check.sh LLAMA_CPP_DIR MODEL_F32.gguf MODEL_Q8_0.gguf",
    },
    "models": models,
}, indent=1, ensure_ascii=False)
# one line per list of ids
import re
print(re.sub(r"\[\s*([0-9,\s]*?)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", doc))
PY
echo "wrote tests/fixtures/llamacpp-own-model.json"
