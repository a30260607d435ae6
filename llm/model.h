/* LLaMA-family decoders read from GGUF files: `llama` (SmolLM2, Llama 3.x,
 * SmolVLM's text model) and `qwen2` (biases on Q/K/V).
 *
 * A model is the file's hyper-parameters plus pointers into the mapped file:
 * quantized weights are never copied (token embedding rows are dequantized
 * when looked up); only norm weights and biases (a few KiB per layer) are
 * widened to float at load.
 *
 * A context holds what one conversation needs: the KV cache, scratch
 * buffers and the position. llm_decode appends tokens at the current
 * position and returns the logits that follow the last of them. Prompts are
 * processed in batches through the matrix-matrix products; single tokens go
 * through the matrix-vector path; both run on the thread pool given at
 * creation, which the context borrows (it must outlive the context).
 *
 * A model is immutable once loaded: several contexts, on several threads,
 * may share it. A context is used by one thread at a time.
 *
 * Numerics follow llama.cpp's CPU backend: activations are quantized to the
 * type ggml pairs with each weight type before a product (llm/matmul.h),
 * RMSNorm sums squares in double, and with an F16 KV cache queries of
 * batches under 64 rows are rounded to F16 as ggml's flash attention does.
 * Unlike ggml's one-query-at-a-time attention, which accumulates the
 * weighted values in F16, ours accumulates in F32. */
#ifndef SIGHTLINE_LLM_MODEL_H
#define SIGHTLINE_LLM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/tensor_type.h"
#include "llm/threadpool.h"

typedef enum llm_arch {
    LLM_ARCH_LLAMA = 0,
    LLM_ARCH_QWEN2 = 1,
} llm_arch;

/* How RoPE pairs the dimensions of a head (llama.cpp's rope types). */
typedef enum llm_rope_layout {
    LLM_ROPE_ADJACENT = 0, /* (x[2i], x[2i+1]): llama ("normal") */
    LLM_ROPE_NEOX = 1,     /* (x[i], x[i + n_rot/2]): qwen2 */
} llm_rope_layout;

/* Hyper-parameters, all from the file's metadata (ARCH.*) and tensor shapes. */
typedef struct llm_hparams {
    llm_arch arch;
    llm_rope_layout rope_layout;
    int32_t n_vocab;      /* rows of token_embd.weight */
    int32_t n_embd;       /* ARCH.embedding_length */
    int32_t n_layer;      /* ARCH.block_count */
    int32_t n_head;       /* ARCH.attention.head_count */
    int32_t n_head_kv;    /* ARCH.attention.head_count_kv (default n_head) */
    int32_t head_dim;     /* ARCH.attention.key_length (default n_embd / n_head) */
    int32_t n_ff;         /* ARCH.feed_forward_length */
    int32_t n_ctx_train;  /* ARCH.context_length */
    int32_t n_rot;        /* ARCH.rope.dimension_count (default head_dim) */
    float rope_freq_base; /* ARCH.rope.freq_base (default 10000) */
    float rope_freq_scale; /* 1 / ARCH.rope.scaling.factor for linear scaling, else 1 */
    float rms_eps;        /* ARCH.attention.layer_norm_rms_epsilon */
    bool tied_output;     /* no output.weight: the token embedding is reused */
} llm_hparams;

typedef struct llm_load_options {
    /* Touch every page of the weights during load, so that the load time
     * includes reading the file and the first decode does not fault. */
    bool preload;
} llm_load_options;

/* What loading cost. */
typedef struct llm_model_stats {
    double load_ms;        /* llm_model_load wall time */
    uint64_t file_bytes;   /* size of the mapped file */
    uint64_t weight_bytes; /* bytes of the tensors the model uses, in the mapping */
    uint64_t heap_bytes;   /* what the model allocated (norms, biases, tables) */
} llm_model_stats;

typedef struct llm_model llm_model;
typedef struct llm_context llm_context;

/* Opens and validates a model: architecture, every hyper-parameter, every
 * tensor's presence, type and shape. opts may be NULL. On failure *out is
 * NULL and err names the file and the key or tensor at fault. */
sl_status llm_model_load(const char *path, const llm_load_options *opts, llm_model **out,
                         sl_error *err);
void llm_model_free(llm_model *model);

const llm_hparams *llm_model_hparams(const llm_model *model);
int32_t llm_model_n_vocab(const llm_model *model);
int32_t llm_model_n_embd(const llm_model *model);
int32_t llm_model_n_ctx_train(const llm_model *model);
const char *llm_model_path(const llm_model *model);
const char *llm_arch_name(llm_arch arch);
void llm_model_get_stats(const llm_model *model, llm_model_stats *stats);

/* The embedding of token `token` (n_embd floats): what llm_decode feeds the
 * first layer. For callers that mix token and image embeddings. */
sl_status llm_model_token_embedding(const llm_model *model, int32_t token, float *out,
                                    sl_error *err);

/* The KV cache type to use unless there is a reason not to: half the memory
 * of F32, and what llama.cpp uses. */
#define LLM_KV_TYPE_DEFAULT TENSOR_F16

/* A context for up to n_ctx positions (n_ctx <= 0: the model's
 * n_ctx_train). kv_type is TENSOR_F16 (LLM_KV_TYPE_DEFAULT) or TENSOR_F32.
 * pool may be NULL (everything on the calling thread). */
sl_status llm_context_create(const llm_model *model, int32_t n_ctx, tensor_type kv_type,
                             thread_pool *pool, llm_context **out, sl_error *err);
void llm_context_free(llm_context *ctx);

/* Evaluates n tokens at positions pos .. pos+n-1 (pos = llm_context_pos)
 * and advances the position. logits_last (may be NULL) receives n_vocab
 * logits for the token after the last one. Fails with SL_ERR_LIMIT, and
 * leaves the context unchanged, when pos + n exceeds n_ctx; with SL_ERR_ARG
 * for a token outside the vocabulary. */
sl_status llm_decode(llm_context *ctx, const int32_t *tokens, int32_t n, float *logits_last,
                     sl_error *err);

/* The same with input embeddings instead of token ids: n rows of n_embd
 * floats (image features projected into the text model's space). */
sl_status llm_decode_embd(llm_context *ctx, const float *embd, int32_t n, float *logits_last,
                          sl_error *err);

/* Forget everything: the next decode starts at position 0. */
void llm_context_reset(llm_context *ctx);

/* Drop positions >= pos (pos <= the current position): for re-using a
 * common prompt prefix. */
sl_status llm_context_truncate(llm_context *ctx, int32_t pos, sl_error *err);

int32_t llm_context_pos(const llm_context *ctx);
int32_t llm_context_n_ctx(const llm_context *ctx);
const llm_model *llm_context_model(const llm_context *ctx);
/* Bytes the context allocated (KV cache plus scratch). */
uint64_t llm_context_bytes(const llm_context *ctx);
uint64_t llm_context_kv_bytes(const llm_context *ctx);

#endif
