#include "tests/tools/model_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen {
    const model_gen_spec *spec;
    gguf_writer *w;
    uint64_t rng;
    void **blobs; /* tensor data, referenced by the writer until it writes */
    size_t n_blobs, cap_blobs;
} gen;

static uint64_t next(gen *g)
{
    /* splitmix64: deterministic and good enough for weights */
    uint64_t z = (g->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* About N(0, 1): the sum of four uniforms, scaled. */
static float normal(gen *g)
{
    float s = 0;
    for (int i = 0; i < 4; i++)
        s += (float)(next(g) >> 40) / (float)(1 << 24);
    return (s - 2.0f) * 1.7320508f;
}

static void *keep(gen *g, void *p)
{
    if (!p)
        return NULL;
    if (g->n_blobs == g->cap_blobs) {
        size_t cap = g->cap_blobs ? g->cap_blobs * 2 : 64;
        void **grown = realloc(g->blobs, cap * sizeof *grown);
        if (!grown) {
            free(p);
            return NULL;
        }
        g->blobs = grown;
        g->cap_blobs = cap;
    }
    g->blobs[g->n_blobs++] = p;
    return p;
}

static sl_status add_matrix(gen *g, const char *name, tensor_type type, int64_t cols,
                            int64_t rows, float scale, sl_error *err)
{
    size_t rb = 0;
    if (!tensor_type_row_bytes(type, cols, &rb))
        return sl_fail(err, SL_ERR_ARG, "%s: %lld columns are not whole %s blocks", name,
                       (long long)cols, tensor_type_name(type));
    uint8_t *m = keep(g, malloc(rb * (size_t)rows));
    float *x = malloc((size_t)cols * sizeof *x);
    if (!m || !x) {
        free(x);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", name);
    }
    int64_t distinct = g->spec->distinct_rows > 0 && g->spec->distinct_rows < rows
                           ? g->spec->distinct_rows
                           : rows;
    sl_status s = SL_OK;
    for (int64_t r = 0; r < distinct && s == SL_OK; r++) {
        for (int64_t i = 0; i < cols; i++)
            x[i] = normal(g) * scale;
        s = quantize_row_ref(type, x, m + (size_t)r * rb, cols, err);
    }
    free(x);
    for (int64_t r = distinct; r < rows; r++)
        memcpy(m + (size_t)r * rb, m + (size_t)(r % distinct) * rb, rb);
    int64_t ne[2] = {cols, rows};
    return s == SL_OK ? gguf_writer_add_tensor(g->w, name, type, 2, ne, m, err) : s;
}

/* Norm weights near 1, biases near 0: F32 vectors as llama.cpp keeps them. */
static sl_status add_vector(gen *g, const char *name, int64_t n, float center, float spread,
                            sl_error *err)
{
    float *v = keep(g, malloc((size_t)n * sizeof *v));
    if (!v)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", name);
    for (int64_t i = 0; i < n; i++)
        v[i] = center + spread * normal(g);
    int64_t ne[1] = {n};
    return gguf_writer_add_tensor(g->w, name, TENSOR_F32, 1, ne, v, err);
}

/* Every tokenizer.* key of the vocabulary file, byte for byte. */
static sl_status copy_vocab(gen *g, const char *path, int *n_vocab, sl_error *err)
{
    gguf_file *f = NULL;
    sl_status s = gguf_open(path, &f, err);
    if (s != SL_OK)
        return s;
    uint64_t count = 0;
    gguf_type et;
    if (!gguf_get_array_info(f, "tokenizer.ggml.tokens", &et, &count) || count == 0) {
        gguf_close(f);
        return sl_fail(err, SL_ERR_FORMAT, "%s: no tokenizer.ggml.tokens", path);
    }
    *n_vocab = (int)count;
    for (int64_t i = 0; s == SL_OK && i < gguf_kv_count(f); i++) {
        const char *key = gguf_kv_key(f, i);
        if (strncmp(key, "tokenizer.", 10) != 0)
            continue;
        gguf_str raw = gguf_kv_raw(f, i);
        s = gguf_writer_set_raw(g->w, key, (uint32_t)gguf_kv_type(f, i), raw.data,
                                (size_t)raw.len, err);
    }
    gguf_close(f);
    return s;
}

static sl_status set_hparams(gen *g, int n_vocab, sl_error *err)
{
    const model_gen_spec *p = g->spec;
    char key[96];
    struct {
        const char *name;
        uint32_t v;
    } u[] = {
        {"context_length", (uint32_t)p->n_ctx},
        {"embedding_length", (uint32_t)p->n_embd},
        {"block_count", (uint32_t)p->n_layer},
        {"feed_forward_length", (uint32_t)p->n_ff},
        {"attention.head_count", (uint32_t)p->n_head},
        {"attention.head_count_kv", (uint32_t)p->n_head_kv},
        {"rope.dimension_count", (uint32_t)(p->n_embd / p->n_head)},
        {"vocab_size", (uint32_t)n_vocab},
    };
    sl_status s = gguf_writer_set_str(g->w, "general.architecture", p->arch, err);
    if (s == SL_OK)
        s = gguf_writer_set_str(g->w, "general.name", "sightline random-weight test model", err);
    for (size_t i = 0; s == SL_OK && i < sizeof u / sizeof u[0]; i++) {
        snprintf(key, sizeof key, "%s.%s", p->arch, u[i].name);
        s = gguf_writer_set_u32(g->w, key, u[i].v, err);
    }
    snprintf(key, sizeof key, "%s.rope.freq_base", p->arch);
    if (s == SL_OK)
        s = gguf_writer_set_f32(g->w, key, p->rope_base > 0 ? p->rope_base : 10000.0f, err);
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", p->arch);
    if (s == SL_OK)
        s = gguf_writer_set_f32(g->w, key, 1e-5f, err);
    return s;
}

bool model_gen_preset(const char *name, model_gen_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->arch = "llama";
    spec->wtype = TENSOR_Q8_0;
    spec->etype = TENSOR_Q8_0;
    spec->tied = true;
    spec->rope_base = 100000.0f;
    spec->n_ctx = 8192;
    spec->n_vocab = 49152;
    spec->seed = 1;
    if (strcmp(name, "smollm2-135m") == 0) {
        spec->n_embd = 576, spec->n_layer = 30, spec->n_head = 9, spec->n_head_kv = 3;
        spec->n_ff = 1536;
    } else if (strcmp(name, "smollm2-360m") == 0) {
        spec->n_embd = 960, spec->n_layer = 32, spec->n_head = 15, spec->n_head_kv = 5;
        spec->n_ff = 2560;
    } else if (strcmp(name, "tiny") == 0) {
        spec->n_embd = 256, spec->n_layer = 2, spec->n_head = 4, spec->n_head_kv = 2;
        spec->n_ff = 512;
        spec->n_ctx = 2048;
        spec->n_vocab = 4096;
    } else {
        return false;
    }
    return true;
}

sl_status model_gen_write(const model_gen_spec *p, const char *path, sl_error *err)
{
    if (!p->arch || (strcmp(p->arch, "llama") && strcmp(p->arch, "qwen2")))
        return sl_fail(err, SL_ERR_ARG, "model_gen: architecture llama or qwen2");
    if (p->n_head <= 0 || p->n_head_kv <= 0 || p->n_embd % p->n_head || p->n_head % p->n_head_kv)
        return sl_fail(err, SL_ERR_ARG, "model_gen: heads must divide the width and each other");
    gen g = {.spec = p, .rng = p->seed};
    sl_status s = gguf_writer_create(&g.w, err);
    int n_vocab = p->n_vocab;
    if (s == SL_OK && p->vocab_from)
        s = copy_vocab(&g, p->vocab_from, &n_vocab, err);
    if (s == SL_OK)
        s = set_hparams(&g, n_vocab, err);
    const int hd = p->n_embd / p->n_head, nkv = p->n_head_kv * hd;
    bool bias = strcmp(p->arch, "qwen2") == 0;
    if (s == SL_OK)
        s = add_matrix(&g, "token_embd.weight", p->etype, p->n_embd, n_vocab, 0.5f, err);
    if (s == SL_OK)
        s = add_vector(&g, "output_norm.weight", p->n_embd, 1.0f, 0.1f, err);
    if (s == SL_OK && !p->tied)
        s = add_matrix(&g, "output.weight", p->etype, p->n_embd, n_vocab, 0.05f, err);
    char name[64];
    for (int l = 0; s == SL_OK && l < p->n_layer; l++) {
#define NAME(what) (snprintf(name, sizeof name, "blk.%d." what, l), name)
        s = add_vector(&g, NAME("attn_norm.weight"), p->n_embd, 1.0f, 0.1f, err);
        if (s == SL_OK)
            s = add_matrix(&g, NAME("attn_q.weight"), p->wtype, p->n_embd, p->n_embd, 0.05f, err);
        if (s == SL_OK)
            s = add_matrix(&g, NAME("attn_k.weight"), p->wtype, p->n_embd, nkv, 0.05f, err);
        if (s == SL_OK)
            s = add_matrix(&g, NAME("attn_v.weight"), p->wtype, p->n_embd, nkv, 0.05f, err);
        if (s == SL_OK && bias)
            s = add_vector(&g, NAME("attn_q.bias"), p->n_embd, 0, 0.02f, err);
        if (s == SL_OK && bias)
            s = add_vector(&g, NAME("attn_k.bias"), nkv, 0, 0.02f, err);
        if (s == SL_OK && bias)
            s = add_vector(&g, NAME("attn_v.bias"), nkv, 0, 0.02f, err);
        if (s == SL_OK)
            s = add_matrix(&g, NAME("attn_output.weight"), p->wtype, p->n_embd, p->n_embd, 0.05f,
                           err);
        if (s == SL_OK)
            s = add_vector(&g, NAME("ffn_norm.weight"), p->n_embd, 1.0f, 0.1f, err);
        if (s == SL_OK)
            s = add_matrix(&g, NAME("ffn_gate.weight"), p->wtype, p->n_embd, p->n_ff, 0.05f, err);
        if (s == SL_OK)
            s = add_matrix(&g, NAME("ffn_up.weight"), p->wtype, p->n_embd, p->n_ff, 0.05f, err);
        if (s == SL_OK)
            s = add_matrix(&g, NAME("ffn_down.weight"), p->wtype, p->n_ff, p->n_embd, 0.03f, err);
#undef NAME
    }
    if (s == SL_OK)
        s = gguf_writer_write(g.w, path, err);
    gguf_writer_free(g.w);
    for (size_t i = 0; i < g.n_blobs; i++)
        free(g.blobs[i]);
    free(g.blobs);
    return s;
}
