// Greedy decoding with llama.cpp's library, printing token ids: the independent check of our own
// model (train/llamacpp/check.sh). Our code, built against a llama.cpp checkout outside the repo.
// Usage: greedy MODEL.gguf N_PREDICT PROMPT  ->  one JSON line {prompt_ids, generated_ids}
// Prompt: llama_tokenize with add_special (BOS) and parse_special, as llama-simple does.
// Each step takes the argmax of the last logits (lowest id on a tie); stops early on end-of-generation.
#include "llama.h"
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char ** argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s MODEL.gguf N_PREDICT PROMPT\n", argv[0]); return 2; }
    const int n_predict = atoi(argv[2]);
    const std::string prompt = argv[3];
    llama_log_set([](enum ggml_log_level, const char *, void *) {}, nullptr);
    ggml_backend_load_all();
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    llama_model * model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int n = -llama_tokenize(vocab, prompt.c_str(), prompt.size(), nullptr, 0, true, true);
    std::vector<llama_token> ids(n);
    if (llama_tokenize(vocab, prompt.c_str(), prompt.size(), ids.data(), n, true, true) < 0) { fprintf(stderr, "tokenize failed\n"); return 1; }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n + n_predict;
    cp.n_batch = n;
    cp.n_threads = 1;
    cp.n_threads_batch = 1;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }
    const int n_vocab = llama_vocab_n_tokens(vocab);
    std::vector<llama_token> out;
    llama_batch batch = llama_batch_get_one(ids.data(), ids.size());
    llama_token next;
    for (int i = 0; i < n_predict; i++) {
        if (llama_decode(ctx, batch)) { fprintf(stderr, "decode failed\n"); return 1; }
        const float * logits = llama_get_logits_ith(ctx, -1);
        next = 0;
        for (int t = 1; t < n_vocab; t++) if (logits[t] > logits[next]) next = t;
        if (llama_vocab_is_eog(vocab, next)) break;
        out.push_back(next);
        batch = llama_batch_get_one(&next, 1);
    }
    printf("{\"prompt_ids\": [");
    for (size_t i = 0; i < ids.size(); i++) printf("%s%d", i ? ", " : "", ids[i]);
    printf("], \"generated_ids\": [");
    for (size_t i = 0; i < out.size(); i++) printf("%s%d", i ? ", " : "", out[i]);
    printf("]}\n");
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
