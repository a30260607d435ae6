/* The model's layout, shared by the loader (model.c) and the forward pass
 * (forward.c). Not part of the public interface. */
#ifndef SIGHTLINE_LLM_MODEL_INTERNAL_H
#define SIGHTLINE_LLM_MODEL_INTERNAL_H

#include "llm/gguf.h"
#include "llm/matmul.h"
#include "llm/model.h"

/* The largest head the loader accepts (ARCH.attention.key_length). */
#define LLM_HEAD_DIM_MAX 1024

typedef struct llm_layer {
    float *attn_norm;              /* n_embd */
    qmatrix wq, wk, wv, wo;        /* rows = outputs */
    float *bq, *bk, *bv, *bo;      /* optional biases (NULL when absent) */
    float *ffn_norm;               /* n_embd */
    qmatrix w_gate, w_up, w_down;
    float *b_gate, *b_up, *b_down; /* optional */
} llm_layer;

struct llm_model {
    gguf_file *file;
    char *path;
    llm_hparams hp;
    qmatrix tok_embd;  /* n_vocab rows of n_embd */
    float *output_norm; /* n_embd */
    qmatrix output;    /* n_vocab rows of n_embd (tok_embd when tied) */
    float *output_bias; /* optional, n_vocab */
    float *rope_freq_factors; /* optional, n_rot / 2 (Llama 3 long-context scaling) */
    llm_layer *layers;
    llm_model_stats stats;
};

#endif
