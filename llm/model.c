/* Loading a LLaMA-family model: hyper-parameters from metadata, every tensor
 * checked against them, weights left in the mapped file. */
#include "llm/model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "llm/quant.h"

/* Sanity limits for header fields: far above any real model, low enough
 * that no size computed from them overflows or allocates absurdly. */
#define LIMIT_EMBD (1 << 16)
#define LIMIT_LAYERS 1024
#define LIMIT_HEADS 1024
#define LIMIT_HEAD_DIM LLM_HEAD_DIM_MAX
#define LIMIT_FF (1 << 20)
#define LIMIT_VOCAB (1 << 22)
#define LIMIT_CTX (1 << 24)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *llm_arch_name(llm_arch arch)
{
    switch (arch) {
    case LLM_ARCH_LLAMA:
        return "llama";
    case LLM_ARCH_QWEN2:
        return "qwen2";
    }
    return "?";
}

typedef struct loader {
    llm_model *m;
    const char *path;
    const char *arch;
    sl_error *err;
} loader;

/* An integer key ARCH.suffix in [lo, hi]; `def` < 0 makes it required. */
static sl_status key_int(loader *ld, const char *suffix, int64_t def, int64_t lo, int64_t hi,
                         int32_t *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", ld->arch, suffix);
    int64_t v = gguf_get_int(ld->m->file, key, INT64_MIN);
    if (v == INT64_MIN) {
        if (def < 0)
            return sl_fail(ld->err, SL_ERR_MODEL, "%s: metadata key '%s' is missing", ld->path,
                           key);
        v = def;
    }
    if (v < lo || v > hi)
        return sl_fail(ld->err, SL_ERR_FORMAT, "%s: metadata key '%s' = %lld is outside %lld..%lld",
                       ld->path, key, (long long)v, (long long)lo, (long long)hi);
    *out = (int32_t)v;
    return SL_OK;
}

static sl_status key_float(loader *ld, const char *suffix, bool required, float def, float lo,
                           float hi, float *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", ld->arch, suffix);
    float v = gguf_get_f32(ld->m->file, key, NAN);
    if (isnan(v)) {
        if (required)
            return sl_fail(ld->err, SL_ERR_MODEL, "%s: metadata key '%s' is missing", ld->path,
                           key);
        v = def;
    }
    if (!(v >= lo && v <= hi))
        return sl_fail(ld->err, SL_ERR_FORMAT, "%s: metadata key '%s' = %g is outside %g..%g",
                       ld->path, key, (double)v, (double)lo, (double)hi);
    *out = v;
    return SL_OK;
}

static sl_status read_hparams(loader *ld)
{
    llm_hparams *hp = &ld->m->hp;
    sl_status st;
    if ((st = key_int(ld, "embedding_length", -1, 1, LIMIT_EMBD, &hp->n_embd)) ||
        (st = key_int(ld, "block_count", -1, 1, LIMIT_LAYERS, &hp->n_layer)) ||
        (st = key_int(ld, "attention.head_count", -1, 1, LIMIT_HEADS, &hp->n_head)) ||
        (st = key_int(ld, "attention.head_count_kv", hp->n_head, 1, LIMIT_HEADS,
                      &hp->n_head_kv)) ||
        (st = key_int(ld, "feed_forward_length", -1, 1, LIMIT_FF, &hp->n_ff)) ||
        (st = key_int(ld, "context_length", -1, 1, LIMIT_CTX, &hp->n_ctx_train)))
        return st;
    if (hp->n_head % hp->n_head_kv != 0)
        return sl_fail(ld->err, SL_ERR_FORMAT,
                       "%s: %s.attention.head_count %d is not a multiple of head_count_kv %d",
                       ld->path, ld->arch, hp->n_head, hp->n_head_kv);
    int64_t def_head_dim = hp->n_embd % hp->n_head == 0 ? hp->n_embd / hp->n_head : -1;
    if ((st = key_int(ld, "attention.key_length", def_head_dim, 2, LIMIT_HEAD_DIM,
                      &hp->head_dim)))
        return st;
    int32_t v_len = 0;
    if ((st = key_int(ld, "attention.value_length", hp->head_dim, 1, LIMIT_HEAD_DIM, &v_len)))
        return st;
    if (v_len != hp->head_dim)
        return sl_fail(ld->err, SL_ERR_UNSUPPORTED,
                       "%s: %s.attention.value_length %d differs from key_length %d", ld->path,
                       ld->arch, v_len, hp->head_dim);
    if ((st = key_int(ld, "rope.dimension_count", hp->head_dim, 2, hp->head_dim, &hp->n_rot)))
        return st;
    if (hp->n_rot % 2 != 0)
        return sl_fail(ld->err, SL_ERR_FORMAT, "%s: %s.rope.dimension_count %d is odd", ld->path,
                       ld->arch, hp->n_rot);
    if ((st = key_float(ld, "rope.freq_base", false, 10000.0f, 1.0f, 1e12f,
                        &hp->rope_freq_base)) ||
        (st = key_float(ld, "attention.layer_norm_rms_epsilon", true, 0, 0.0f, 1.0f,
                        &hp->rms_eps)))
        return st;

    hp->rope_freq_scale = 1.0f;
    char key[128];
    snprintf(key, sizeof key, "%s.rope.scaling.type", ld->arch);
    const char *scaling = gguf_get_str(ld->m->file, key, "none");
    if (strcmp(scaling, "linear") == 0) {
        float factor = 1.0f;
        if ((st = key_float(ld, "rope.scaling.factor", false, 1.0f, 1e-3f, 1e6f, &factor)))
            return st;
        hp->rope_freq_scale = 1.0f / factor;
    } else if (strcmp(scaling, "none") != 0) {
        return sl_fail(ld->err, SL_ERR_UNSUPPORTED,
                       "%s: metadata key '%s' = '%s': only 'none' and 'linear' are supported",
                       ld->path, key, scaling);
    }
    return SL_OK;
}

static const gguf_tensor *find(loader *ld, const char *name, bool required)
{
    const gguf_tensor *t = gguf_find_tensor(ld->m->file, name);
    if (!t && required)
        sl_fail(ld->err, SL_ERR_MODEL, "%s: tensor '%s' is missing", ld->path, name);
    return t;
}

static sl_status check_shape(loader *ld, const gguf_tensor *t, int n_dims, int64_t ne0,
                             int64_t ne1)
{
    int64_t want[4] = {ne0, n_dims > 1 ? ne1 : 1, 1, 1};
    bool ok = t->n_dims >= 1 && t->n_dims <= 4;
    for (int d = 0; ok && d < 4; d++) {
        int64_t have = d < t->n_dims ? t->ne[d] : 1;
        ok = have == want[d];
    }
    if (!ok) {
        char have[96], expect[64];
        int len = snprintf(have, sizeof have, "[%lld", (long long)t->ne[0]);
        for (int d = 1; d < t->n_dims && d < 4 && len > 0 && len < (int)sizeof have; d++)
            len += snprintf(have + len, sizeof have - (size_t)len, ", %lld", (long long)t->ne[d]);
        if (len > 0 && len < (int)sizeof have - 1)
            snprintf(have + len, sizeof have - (size_t)len, "]");
        if (n_dims == 1)
            snprintf(expect, sizeof expect, "[%lld]", (long long)ne0);
        else
            snprintf(expect, sizeof expect, "[%lld, %lld]", (long long)ne0, (long long)ne1);
        return sl_fail(ld->err, SL_ERR_MODEL, "%s: tensor '%s' has shape %s, expected %s", ld->path,
                       t->name, have, expect);
    }
    return SL_OK;
}

/* The tensor's bytes must hold `rows` rows of `cols` elements of its type. */
static sl_status check_extent(loader *ld, const gguf_tensor *t, int64_t cols, int64_t rows,
                              size_t *row_bytes)
{
    size_t rb = 0;
    if (!tensor_type_row_bytes(t->type, cols, &rb) || rb == 0)
        return sl_fail(ld->err, SL_ERR_MODEL,
                       "%s: tensor '%s' of type %s: rows of %lld elements are not whole blocks",
                       ld->path, t->name, tensor_type_name(t->type), (long long)cols);
    if (!t->data || (uint64_t)rows > (uint64_t)t->size / rb)
        return sl_fail(ld->err, SL_ERR_FORMAT, "%s: tensor '%s' holds %llu bytes, %lld rows need more",
                       ld->path, t->name, (unsigned long long)t->size, (long long)rows);
    *row_bytes = rb;
    return SL_OK;
}

/* A weight matrix of `rows` outputs by `cols` inputs (GGUF shape [cols, rows]). */
static sl_status get_matrix(loader *ld, const char *name, int64_t cols, int64_t rows,
                            qmatrix *out)
{
    const gguf_tensor *t = find(ld, name, true);
    if (!t)
        return ld->err ? ld->err->code : SL_ERR_MODEL;
    sl_status st = check_shape(ld, t, 2, cols, rows);
    if (st)
        return st;
    if (!quant_weight_type_supported(t->type))
        return sl_fail(ld->err, SL_ERR_UNSUPPORTED, "%s: tensor '%s' has type %s, which cannot be multiplied here",
                       ld->path, name, tensor_type_name(t->type));
    size_t rb;
    if ((st = check_extent(ld, t, cols, rows, &rb)))
        return st;
    *out = (qmatrix){t->type, rows, cols, rb, t->data};
    ld->m->stats.weight_bytes += rb * (uint64_t)rows;
    return SL_OK;
}

/* A vector of n floats (norm weights, biases, rope factors), widened to an
 * owned float array. Absent and not required: *out = NULL. */
static sl_status get_vector(loader *ld, const char *name, bool required, int64_t n,
                            float **out)
{
    *out = NULL;
    const gguf_tensor *t = find(ld, name, required);
    if (!t)
        return required ? (ld->err ? ld->err->code : SL_ERR_MODEL) : SL_OK;
    sl_status st = check_shape(ld, t, 1, n, 1);
    if (st)
        return st;
    if (t->type != TENSOR_F32 && t->type != TENSOR_F16 && t->type != TENSOR_BF16)
        return sl_fail(ld->err, SL_ERR_UNSUPPORTED, "%s: tensor '%s' has type %s, expected F32, F16 or BF16",
                       ld->path, name, tensor_type_name(t->type));
    size_t rb;
    if ((st = check_extent(ld, t, n, 1, &rb)))
        return st;
    float *v = malloc((size_t)n * sizeof(float));
    if (!v)
        return sl_fail(ld->err, SL_ERR_NOMEM, "%s: out of memory for tensor '%s'", ld->path, name);
    if ((st = dequantize_row(t->type, t->data, v, n, ld->err))) {
        free(v);
        return st;
    }
    ld->m->stats.heap_bytes += (uint64_t)n * sizeof(float);
    *out = v;
    return SL_OK;
}

/* Q, K and V from one fused attn_qkv matrix: three views of its rows. */
static sl_status get_fused_qkv(loader *ld, int il, llm_layer *L)
{
    const llm_hparams *hp = &ld->m->hp;
    int64_t nq = (int64_t)hp->n_head * hp->head_dim, nkv = (int64_t)hp->n_head_kv * hp->head_dim;
    char name[96];
    snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", il);
    qmatrix all;
    sl_status st = get_matrix(ld, name, hp->n_embd, nq + 2 * nkv, &all);
    if (st)
        return st;
    const uint8_t *base = all.data;
    L->wq = (qmatrix){all.type, nq, all.cols, all.row_stride, base};
    L->wk = (qmatrix){all.type, nkv, all.cols, all.row_stride, base + all.row_stride * (size_t)nq};
    L->wv = (qmatrix){all.type, nkv, all.cols, all.row_stride,
                      base + all.row_stride * (size_t)(nq + nkv)};
    snprintf(name, sizeof name, "blk.%d.attn_qkv.bias", il);
    float *b = NULL;
    if ((st = get_vector(ld, name, false, nq + 2 * nkv, &b)))
        return st;
    if (b) {
        /* Split into three arrays so the forward pass sees one layout. */
        L->bq = b;
        L->bk = malloc((size_t)nkv * sizeof(float));
        L->bv = malloc((size_t)nkv * sizeof(float));
        if (!L->bk || !L->bv)
            return sl_fail(ld->err, SL_ERR_NOMEM, "%s: out of memory for '%s'", ld->path, name);
        memcpy(L->bk, b + nq, (size_t)nkv * sizeof(float));
        memcpy(L->bv, b + nq + nkv, (size_t)nkv * sizeof(float));
    }
    return SL_OK;
}

static sl_status load_layer(loader *ld, int il)
{
    const llm_hparams *hp = &ld->m->hp;
    llm_layer *L = &ld->m->layers[il];
    int64_t nq = (int64_t)hp->n_head * hp->head_dim, nkv = (int64_t)hp->n_head_kv * hp->head_dim;
    char name[96];
    sl_status st;
#define NAME(what) (snprintf(name, sizeof name, "blk.%d." what, il), name)
    if ((st = get_vector(ld, NAME("attn_norm.weight"), true, hp->n_embd, &L->attn_norm)))
        return st;
    if (gguf_find_tensor(ld->m->file, NAME("attn_qkv.weight"))) {
        if ((st = get_fused_qkv(ld, il, L)))
            return st;
    } else {
        if ((st = get_matrix(ld, NAME("attn_q.weight"), hp->n_embd, nq, &L->wq)) ||
            (st = get_matrix(ld, NAME("attn_k.weight"), hp->n_embd, nkv, &L->wk)) ||
            (st = get_matrix(ld, NAME("attn_v.weight"), hp->n_embd, nkv, &L->wv)) ||
            (st = get_vector(ld, NAME("attn_q.bias"), false, nq, &L->bq)) ||
            (st = get_vector(ld, NAME("attn_k.bias"), false, nkv, &L->bk)) ||
            (st = get_vector(ld, NAME("attn_v.bias"), false, nkv, &L->bv)))
            return st;
    }
    if ((st = get_matrix(ld, NAME("attn_output.weight"), nq, hp->n_embd, &L->wo)) ||
        (st = get_vector(ld, NAME("attn_output.bias"), false, hp->n_embd, &L->bo)) ||
        (st = get_vector(ld, NAME("ffn_norm.weight"), true, hp->n_embd, &L->ffn_norm)) ||
        (st = get_matrix(ld, NAME("ffn_gate.weight"), hp->n_embd, hp->n_ff, &L->w_gate)) ||
        (st = get_matrix(ld, NAME("ffn_up.weight"), hp->n_embd, hp->n_ff, &L->w_up)) ||
        (st = get_matrix(ld, NAME("ffn_down.weight"), hp->n_ff, hp->n_embd, &L->w_down)) ||
        (st = get_vector(ld, NAME("ffn_gate.bias"), false, hp->n_ff, &L->b_gate)) ||
        (st = get_vector(ld, NAME("ffn_up.bias"), false, hp->n_ff, &L->b_up)) ||
        (st = get_vector(ld, NAME("ffn_down.bias"), false, hp->n_embd, &L->b_down)))
        return st;
#undef NAME
    return SL_OK;
}

static sl_status load_tensors(loader *ld)
{
    llm_model *m = ld->m;
    llm_hparams *hp = &m->hp;
    sl_status st;
    const gguf_tensor *te = find(ld, "token_embd.weight", true);
    if (!te)
        return ld->err ? ld->err->code : SL_ERR_MODEL;
    int64_t n_vocab = te->n_dims == 2 ? te->ne[1] : -1;
    if (n_vocab < 1 || n_vocab > LIMIT_VOCAB)
        return sl_fail(ld->err, SL_ERR_MODEL,
                       "%s: tensor 'token_embd.weight' has %d dimensions and %lld rows, expected 2 and 1..%d",
                       ld->path, te->n_dims, (long long)n_vocab, LIMIT_VOCAB);
    hp->n_vocab = (int32_t)n_vocab;
    if ((st = get_matrix(ld, "token_embd.weight", hp->n_embd, n_vocab, &m->tok_embd)))
        return st;
    if ((st = get_vector(ld, "output_norm.weight", true, hp->n_embd, &m->output_norm)))
        return st;
    if (gguf_find_tensor(m->file, "output.weight")) {
        if ((st = get_matrix(ld, "output.weight", hp->n_embd, n_vocab, &m->output)))
            return st;
        hp->tied_output = false;
    } else {
        m->output = m->tok_embd;
        hp->tied_output = true;
    }
    if ((st = get_vector(ld, "output.bias", false, n_vocab, &m->output_bias)) ||
        (st = get_vector(ld, "rope_freqs.weight", false, hp->n_rot / 2, &m->rope_freq_factors)))
        return st;
    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers)
        return sl_fail(ld->err, SL_ERR_NOMEM, "%s: out of memory for %d layers", ld->path,
                       hp->n_layer);
    m->stats.heap_bytes += (uint64_t)hp->n_layer * sizeof *m->layers;
    for (int il = 0; il < hp->n_layer; il++)
        if ((st = load_layer(ld, il)))
            return st;
    return SL_OK;
}

/* Reads one byte per page so the mapping is resident before the first use. */
static void touch_pages(const qmatrix *w, volatile uint8_t *sink)
{
    const uint8_t *p = w->data;
    size_t n = w->row_stride * (size_t)w->rows;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i += 4096)
        acc ^= p[i];
    if (n)
        acc ^= p[n - 1];
    *sink ^= acc;
}

static void preload(const llm_model *m)
{
    volatile uint8_t sink = 0;
    touch_pages(&m->tok_embd, &sink);
    if (!m->hp.tied_output)
        touch_pages(&m->output, &sink);
    for (int il = 0; il < m->hp.n_layer; il++) {
        const llm_layer *L = &m->layers[il];
        const qmatrix *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
            touch_pages(ws[i], &sink);
    }
}

sl_status llm_model_load(const char *path, const llm_load_options *opts, llm_model **out,
                         sl_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return sl_fail(err, SL_ERR_ARG, "llm_model_load: missing path or output");
    double t0 = now_ms();
    llm_model *m = calloc(1, sizeof *m);
    if (!m)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    m->path = strdup(path);
    if (!m->path) {
        free(m);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    }
    sl_status st = gguf_open(path, &m->file, err);
    if (st) {
        llm_model_free(m);
        return st;
    }
    loader ld = {m, path, NULL, err};
    const char *arch = gguf_get_str(m->file, "general.architecture", NULL);
    if (!arch) {
        st = sl_fail(err, SL_ERR_MODEL, "%s: metadata key 'general.architecture' is missing", path);
    } else if (strcmp(arch, "llama") == 0) {
        m->hp.arch = LLM_ARCH_LLAMA;
        m->hp.rope_layout = LLM_ROPE_ADJACENT;
    } else if (strcmp(arch, "qwen2") == 0) {
        m->hp.arch = LLM_ARCH_QWEN2;
        m->hp.rope_layout = LLM_ROPE_NEOX;
    } else {
        st = sl_fail(err, SL_ERR_UNSUPPORTED,
                     "%s: general.architecture '%s' is not a supported decoder (llama, qwen2)",
                     path, arch);
    }
    ld.arch = arch;
    if (!st)
        st = read_hparams(&ld);
    if (!st)
        st = load_tensors(&ld);
    if (st) {
        llm_model_free(m);
        return st;
    }
    if (opts && opts->preload)
        preload(m);
    struct stat sb;
    if (stat(path, &sb) == 0 && sb.st_size > 0)
        m->stats.file_bytes = (uint64_t)sb.st_size;
    m->stats.heap_bytes += sizeof *m;
    m->stats.load_ms = now_ms() - t0;
    *out = m;
    return SL_OK;
}

void llm_model_free(llm_model *m)
{
    if (!m)
        return;
    if (m->layers) {
        for (int il = 0; il < m->hp.n_layer; il++) {
            llm_layer *L = &m->layers[il];
            float *owned[] = {L->attn_norm, L->bq, L->bk, L->bv, L->bo, L->ffn_norm,
                              L->b_gate, L->b_up, L->b_down};
            for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
                free(owned[i]);
        }
        free(m->layers);
    }
    free(m->output_norm);
    free(m->output_bias);
    free(m->rope_freq_factors);
    gguf_close(m->file);
    free(m->path);
    free(m);
}

const llm_hparams *llm_model_hparams(const llm_model *m) { return &m->hp; }
int32_t llm_model_n_vocab(const llm_model *m) { return m->hp.n_vocab; }
int32_t llm_model_n_embd(const llm_model *m) { return m->hp.n_embd; }
int32_t llm_model_n_ctx_train(const llm_model *m) { return m->hp.n_ctx_train; }
const char *llm_model_path(const llm_model *m) { return m->path; }
void llm_model_get_stats(const llm_model *m, llm_model_stats *stats) { *stats = m->stats; }

sl_status llm_model_token_embedding(const llm_model *m, int32_t token, float *out,
                                    sl_error *err)
{
    if (token < 0 || token >= m->hp.n_vocab)
        return sl_fail(err, SL_ERR_ARG, "%s: token id %d is outside the vocabulary (0..%d)",
                       m->path, token, m->hp.n_vocab - 1);
    const uint8_t *row = (const uint8_t *)m->tok_embd.data + m->tok_embd.row_stride * (size_t)token;
    return dequantize_row(m->tok_embd.type, row, out, m->hp.n_embd, err);
}
