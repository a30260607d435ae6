/* Random-weight LLaMA-family GGUF models in the tensor layout llama.cpp
 * writes, for tests and benchmarks: any shape, any weight type, a real
 * tokenizer vocabulary copied from a GGUF file that has one (e.g.
 * ../shared/fixtures/vocab/ggml-vocab-gpt-2.gguf), deterministic from a
 * seed. Not a model of anything: the numbers only exercise the engine. */
#ifndef SIGHTLINE_TESTS_MODEL_GEN_H
#define SIGHTLINE_TESTS_MODEL_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/llm.h"

typedef struct model_gen_spec {
    const char *arch;      /* "llama" or "qwen2" (adds Q/K/V biases) */
    int n_embd, n_layer, n_head, n_head_kv, n_ff;
    int n_ctx;             /* ARCH.context_length */
    int n_vocab;           /* without vocab_from: rows of the embedding */
    const char *vocab_from; /* GGUF whose tokenizer.* metadata is copied; sets n_vocab */
    tensor_type wtype;     /* attention and FFN matrices */
    tensor_type etype;     /* token embedding (and output) */
    bool tied;             /* no output.weight: the embedding is reused */
    float rope_base;
    uint64_t seed;
    /* Rows drawn independently before repeating: large models are written
     * faster with few distinct rows, which does not change their speed. */
    int distinct_rows;     /* 0 = all rows distinct */
} model_gen_spec;

/* "smollm2-135m", "smollm2-360m", "tiny": shapes of the real models
 * (SmolLM2-135M: 576 wide, 30 layers, 9 heads, 3 KV heads, FFN 1536;
 * 360M: 960, 32, 15, 5, 2560). false for an unknown name. */
bool model_gen_preset(const char *name, model_gen_spec *spec);

sl_status model_gen_write(const model_gen_spec *spec, const char *path, sl_error *err);

#endif
