/* The decoder's forward pass: RMSNorm, Q/K/V projections, RoPE, grouped-query
 * attention over the KV cache, SwiGLU feed-forward, output projection.
 *
 * Tokens are processed in micro-batches of up to n_ubatch rows: a batch
 * goes through the matrix-matrix products, a single token through the
 * matrix-vector path (llm/matmul.h picks by batch size). Element-wise steps
 * run on the calling thread except SwiGLU and attention, which are
 * large enough in prompt processing to share out over the pool. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "llm/cpu_features.h"
#include "llm/forward_math.h"
#include "llm/fp16.h"
#include "llm/kv_cache.h"
#include "llm/model_internal.h"
#include "llm/quant_internal.h"

/* Rows per micro-batch: big enough for the GEMM kernels to reach full
 * speed, small enough that the scratch stays a few MiB. */
#define LLM_UBATCH 512
/* Attention work unit: this many query rows (all heads of one KV group
 * stacked) share one pass over the group's keys. */
#define ATT_ROWS 64
/* From this many query rows on, keys are transposed once per layer for the
 * faster k x n GEMM layout; below, decode reads the cache per head. */
#define ATT_TRANSPOSE_MIN 16

struct llm_context {
    const llm_model *model;
    thread_pool *pool;
    matmul_ctx *mm;
    kv_cache *kv;
    int32_t n_ctx;
    int32_t pos;
    int32_t n_ubatch;
    int32_t n_threads;
    int32_t att_chunk;   /* query positions per attention unit */
    /* micro-batch activations, n_ubatch rows each */
    float *x, *xn, *q, *k, *v, *att, *tmp, *gate, *up;
    float *rope_cos, *rope_sin; /* n_ubatch x n_rot/2 */
    /* keys of the current layer as floats, transposed per KV head:
     * kt[(g * head_dim + d) * kt_ld + p]; values as
     * floats, vf[p * n_embd_kv + g * head_dim + d] (F16 cache only) */
    float *kt, *vf;
    int64_t kt_ld; /* n_ctx rounded up to 16 plus 16: rows 4 KiB apart would
                    * share cache sets */
    /* attention scratch, per thread: stacked queries and outputs, scores,
     * one converted cache row (n_embd_kv) */
    float *att_scratch;
    size_t att_scratch_floats;
    float *last; /* n_embd: the final norm of the last row */
    softmax_row_fn softmax_row; /* the copy for this CPU's SIMD level */
    silu_mul_fn silu_mul;
    /* F16 -> F32 of this CPU's kernels, called directly: decode widens the
     * cache in head-sized pieces, thousands of calls per token */
    void (*fp16_to_f32)(const uint16_t *src, float *dst, int64_t n);
    uint64_t bytes;
};

sl_status llm_context_create(const llm_model *model, int32_t n_ctx, tensor_type kv_type,
                             thread_pool *pool, llm_context **out, sl_error *err)
{
    if (out)
        *out = NULL;
    if (!model || !out)
        return sl_fail(err, SL_ERR_ARG, "llm_context_create: missing model or output");
    const llm_hparams *hp = &model->hp;
    if (n_ctx <= 0)
        n_ctx = hp->n_ctx_train;
    if (kv_type != TENSOR_F16 && kv_type != TENSOR_F32)
        return sl_fail(err, SL_ERR_ARG, "%s: KV cache type %s is not supported (F16 or F32)",
                       model->path, tensor_type_name(kv_type));
    llm_context *c = calloc(1, sizeof *c);
    if (!c)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for a context", model->path);
    c->model = model;
    c->pool = pool;
    c->n_ctx = n_ctx;
    c->n_ubatch = n_ctx < LLM_UBATCH ? n_ctx : LLM_UBATCH;
    c->n_threads = thread_pool_threads(pool);
    c->softmax_row = softmax_row_base;
    c->silu_mul = silu_mul_base;
    c->fp16_to_f32 = quant_kernels_active()->fp16_to_f32;
#ifdef SL_HAVE_X86_SIMD
    if (simd_level_active() == SIMD_AVX512) {
        c->softmax_row = softmax_row_avx512;
        c->silu_mul = silu_mul_avx512;
    } else if (simd_level_active() == SIMD_AVX2) {
        c->softmax_row = softmax_row_avx2;
        c->silu_mul = silu_mul_avx2;
    }
#endif
    int32_t n_rep = hp->n_head / hp->n_head_kv;
    c->att_chunk = ATT_ROWS / n_rep > 0 ? ATT_ROWS / n_rep : 1;
    c->kt_ld = ((int64_t)n_ctx + 15) / 16 * 16 + 16;

    int64_t hd = hp->head_dim, nq = (int64_t)hp->n_head * hd, nkv = (int64_t)hp->n_head_kv * hd;
    sl_status st = kv_cache_create(hp->n_layer, n_ctx, (int32_t)nkv, kv_type, &c->kv, err);
    if (st)
        sl_error_prefix(err, "%s: ", model->path);
    if (!st)
        st = matmul_ctx_create(pool, &c->mm, err);
    if (st) {
        llm_context_free(c);
        return st;
    }
    int64_t ub = c->n_ubatch;
    int64_t e = hp->n_embd;
    int64_t ffw = hp->n_ff;
    int64_t stacked = (int64_t)n_rep * c->att_chunk;
    c->att_scratch_floats = (size_t)(2 * stacked * hd + stacked * (int64_t)n_ctx + nkv);
    size_t floats[] = {
        (size_t)(ub * e), (size_t)(ub * e), (size_t)(ub * nq), (size_t)(ub * nkv),
        (size_t)(ub * nkv), (size_t)(ub * nq), (size_t)(ub * e), (size_t)(ub * ffw),
        (size_t)(ub * ffw), (size_t)(ub * hp->n_rot / 2), (size_t)(ub * hp->n_rot / 2),
        c->att_scratch_floats * (size_t)c->n_threads, (size_t)e,
        (size_t)(nkv * c->kt_ld), kv_type == TENSOR_F16 ? (size_t)(nkv * n_ctx) : 0,
    };
    float **ptrs[] = {&c->x, &c->xn, &c->q, &c->k, &c->v, &c->att, &c->tmp, &c->gate, &c->up,
                      &c->rope_cos, &c->rope_sin, &c->att_scratch, &c->last, &c->kt, &c->vf};
    c->bytes = sizeof *c + kv_cache_bytes(c->kv);
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) {
        size_t n = floats[i] ? floats[i] : 1;
        *ptrs[i] = malloc(n * sizeof(float));
        if (!*ptrs[i]) {
            llm_context_free(c);
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for the context's scratch (%zu floats)",
                           model->path, n);
        }
        c->bytes += n * sizeof(float);
    }
    *out = c;
    return SL_OK;
}

void llm_context_free(llm_context *c)
{
    if (!c)
        return;
    float *owned[] = {c->x, c->xn, c->q, c->k, c->v, c->att, c->tmp, c->gate, c->up,
                      c->rope_cos, c->rope_sin, c->att_scratch, c->last, c->kt, c->vf};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    kv_cache_free(c->kv);
    matmul_ctx_destroy(c->mm);
    free(c);
}

void llm_context_reset(llm_context *c) { c->pos = 0; }
int32_t llm_context_pos(const llm_context *c) { return c->pos; }
int32_t llm_context_n_ctx(const llm_context *c) { return c->n_ctx; }
const llm_model *llm_context_model(const llm_context *c) { return c->model; }
uint64_t llm_context_bytes(const llm_context *c) { return c->bytes; }
uint64_t llm_context_kv_bytes(const llm_context *c) { return kv_cache_bytes(c->kv); }

sl_status llm_context_truncate(llm_context *c, int32_t pos, sl_error *err)
{
    if (pos < 0 || pos > c->pos)
        return sl_fail(err, SL_ERR_ARG, "%s: cannot truncate the context to position %d (at %d)",
                       c->model->path, pos, c->pos);
    c->pos = pos;
    return SL_OK;
}

/* ---- element-wise steps ---- */

/* y = x / sqrt(mean(x^2) + eps) * w, squares summed in double as ggml does. */
static void rms_norm_rows(const float *x, float *y, int64_t rows, int64_t n, const float *w,
                          float eps)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        double sum = 0.0;
        for (int64_t i = 0; i < n; i++)
            sum += (double)(xr[i] * xr[i]);
        float mean = (float)(sum / (double)n);
        float scale = 1.0f / sqrtf(mean + eps);
        for (int64_t i = 0; i < n; i++)
            yr[i] = (xr[i] * scale) * w[i];
    }
}

static void add_bias(float *y, int64_t rows, int64_t n, int64_t ld, const float *b)
{
    if (!b)
        return;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < n; i++)
            y[r * ld + i] += b[i];
}

static void add_rows(float *x, const float *d, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        x[i] += d[i];
}

/* cos/sin of every (position, frequency) of the micro-batch. The angle
 * follows ggml: theta_k = pos * base^(-2k/n_rot), built by repeated
 * multiplication in float, divided by the optional frequency factor and
 * multiplied by the linear scale. */
static void rope_tables(llm_context *c, int32_t pos0, int32_t n)
{
    const llm_hparams *hp = &c->model->hp;
    int32_t half = hp->n_rot / 2;
    const float theta_scale = powf(hp->rope_freq_base, -2.0f / (float)hp->n_rot);
    const float *ff = c->model->rope_freq_factors;
    for (int32_t i = 0; i < n; i++) {
        float theta = (float)(pos0 + i);
        for (int32_t k = 0; k < half; k++) {
            float t = theta / (ff ? ff[k] : 1.0f) * hp->rope_freq_scale;
            c->rope_cos[(int64_t)i * half + k] = cosf(t);
            c->rope_sin[(int64_t)i * half + k] = sinf(t);
            theta *= theta_scale;
        }
    }
}

/* Rotates the first n_rot dimensions of each of n_heads heads in n rows,
 * which are rows r0.. of the micro-batch (their angles in the tables). */
static void rope_apply(const llm_context *c, float *x, int32_t r0, int32_t n, int32_t n_heads,
                       int64_t ld)
{
    const llm_hparams *hp = &c->model->hp;
    int32_t half = hp->n_rot / 2;
    for (int32_t i = 0; i < n; i++) {
        const float *cs = c->rope_cos + (int64_t)(r0 + i) * half;
        const float *sn = c->rope_sin + (int64_t)(r0 + i) * half;
        for (int32_t h = 0; h < n_heads; h++) {
            float *v = x + i * ld + (int64_t)h * hp->head_dim;
            if (hp->rope_layout == LLM_ROPE_ADJACENT) {
                for (int32_t k = 0; k < half; k++) {
                    float a = v[2 * k], b = v[2 * k + 1];
                    v[2 * k] = a * cs[k] - b * sn[k];
                    v[2 * k + 1] = a * sn[k] + b * cs[k];
                }
            } else {
                for (int32_t k = 0; k < half; k++) {
                    float a = v[k], b = v[k + half];
                    v[k] = a * cs[k] - b * sn[k];
                    v[k + half] = a * sn[k] + b * cs[k];
                }
            }
        }
    }
}

typedef struct swiglu_job {
    silu_mul_fn fn;
    float *gate;
    const float *up;
    int64_t count;
} swiglu_job;

static void swiglu_worker(void *arg, int ith, int nth)
{
    swiglu_job *j = arg;
    int64_t b, e;
    thread_pool_split(j->count, 64, ith, nth, &b, &e);
    j->fn(j->gate + b, j->up + b, e - b);
}

/* ---- attention ---- */

/* Runs a job over the pool when it covers at least this many elements
 * (smaller ones cost less than waking the workers). */
#define ELEMS_PARALLEL_MIN 65536

static void run_rows_or_inline(llm_context *c, int64_t elems, thread_pool_fn fn, void *job)
{
    if (elems >= ELEMS_PARALLEL_MIN)
        thread_pool_run_independent(c->pool, fn, job);
    else
        fn(job, 0, 1);
}

typedef struct att_job {
    llm_context *c;
    int32_t layer;
    int32_t pos0;
    int32_t n;
    int32_t n_chunks;
    int32_t n_units;
    bool transposed; /* keys from c->kt (prompt batches), else per unit */
    bool round_q;    /* queries rounded to F16 first (see attention()) */
    bool widen_in_unit; /* F16 cache, one unit per KV group: each unit widens
                         * its group's keys and values itself */
    atomic_int next;
    atomic_int failed;
} att_job;

/* One unit: KV group g, query positions [r0, r0 + m) of the micro-batch. */
static void att_unit(att_job *j, float *scratch, int32_t g, int32_t r0, int32_t m)
{
    llm_context *c = j->c;
    const llm_hparams *hp = &c->model->hp;
    const int32_t hd = hp->head_dim;
    const int32_t n_rep = hp->n_head / hp->n_head_kv;
    const int64_t nq = (int64_t)hp->n_head * hd;
    const int32_t kv_len = j->pos0 + r0 + m; /* keys the last row of the unit sees */
    const int32_t rows = n_rep * m;
    const float kq_scale = 1.0f / sqrtf((float)hd);

    float *qs = scratch;
    float *os = qs + (size_t)n_rep * c->att_chunk * hd;
    float *s = os + (size_t)n_rep * c->att_chunk * hd;

    /* Keys: transposed floats prepared for the whole batch, or this head's
     * rows (converted here when F16) for a few query rows. */
    const float *kp, *vp;
    int64_t ldk = c->kv->n_embd_kv, ldv = c->kv->n_embd_kv;
    if (j->transposed) {
        kp = c->kt + (int64_t)g * hd * c->kt_ld;
        ldk = c->kt_ld;
        if (c->kv->type == TENSOR_F32)
            vp = (const float *)kv_cache_row(c->kv, j->layer, 1, 0) + (int64_t)g * hd;
        else
            vp = c->vf + (int64_t)g * hd;
    } else if (c->kv->type == TENSOR_F32) {
        kp = (const float *)kv_cache_row(c->kv, j->layer, 0, 0) + (int64_t)g * hd;
        vp = (const float *)kv_cache_row(c->kv, j->layer, 1, 0) + (int64_t)g * hd;
    } else {
        /* F16 cache, few rows: the layer's keys and values widened to
         * floats, row-major like the cache (by att_plain_prep_worker, or
         * here for this group's columns: no separate pass over the cache
         * on one thread before the units start) */
        kp = c->kt + (int64_t)g * hd;
        vp = c->vf + (int64_t)g * hd;
        if (j->widen_in_unit) {
            const int64_t nkv = c->kv->n_embd_kv;
            const int64_t off = (int64_t)g * hd;
            const uint16_t *kc = (const uint16_t *)kv_cache_row(c->kv, j->layer, 0, 0) + off;
            const uint16_t *vc = (const uint16_t *)kv_cache_row(c->kv, j->layer, 1, 0) + off;
            for (int32_t p = 0; p < kv_len; p++) {
                c->fp16_to_f32(kc + p * nkv, c->kt + p * nkv + off, hd);
                c->fp16_to_f32(vc + p * nkv, c->vf + p * nkv + off, hd);
            }
        }
    }
    /* Stack the group's query heads: row r * m + i is head g*n_rep + r of
     * batch row r0 + i. */
    for (int32_t r = 0; r < n_rep; r++)
        for (int32_t i = 0; i < m; i++) {
            const float *src = c->q + (int64_t)(r0 + i) * nq + (int64_t)(g * n_rep + r) * hd;
            float *dst = qs + ((int64_t)r * m + i) * hd;
            if (j->round_q) {
                uint16_t half[LLM_HEAD_DIM_MAX];
                f32_to_fp16_row(src, half, hd);
                fp16_to_f32_row(half, dst, hd);
            } else
                memcpy(dst, src, (size_t)hd * sizeof(float));
        }
    if (gemm_f32(NULL, j->transposed ? GEMM_B_KN : GEMM_B_NK, rows, kv_len, hd, qs, hd, kp, ldk,
                 s, kv_len, NULL)) {
        atomic_store(&j->failed, 1);
        return;
    }
    for (int32_t r = 0; r < n_rep; r++)
        for (int32_t i = 0; i < m; i++) {
            float *sr = s + ((int64_t)r * m + i) * kv_len;
            int32_t visible = j->pos0 + r0 + i + 1; /* causal: keys 0..pos */
            c->softmax_row(sr, visible, kq_scale);
            for (int32_t t = visible; t < kv_len; t++)
                sr[t] = 0.0f;
        }
    /* The k x n kernel reads each value row once per 4 rows of P; in decode
     * with fewer than 4 query heads per group, zero rows make up the 4 so
     * the values stream once instead of once per head. */
    int32_t rows_kn = rows;
    if (rows < 4 && n_rep * c->att_chunk >= 4) {
        memset(s + (int64_t)rows * kv_len, 0, (size_t)(4 - rows) * (size_t)kv_len * sizeof(float));
        rows_kn = 4;
    }
    if (gemm_f32(NULL, GEMM_B_KN, rows_kn, hd, kv_len, s, kv_len, vp, ldv, os, hd, NULL)) {
        atomic_store(&j->failed, 1);
        return;
    }
    for (int32_t r = 0; r < n_rep; r++)
        for (int32_t i = 0; i < m; i++)
            memcpy(c->att + (int64_t)(r0 + i) * nq + (int64_t)(g * n_rep + r) * hd,
                   os + ((int64_t)r * m + i) * hd, (size_t)hd * sizeof(float));
}

/* Before the units: keys [0, kv_len) of the layer to floats, transposed per
 * head (so Q K^T is a k x n product, the faster GEMM layout), and values to
 * floats for an F16 cache. Shares split the positions. */
static void att_prep_worker(void *arg, int ith, int nth)
{
    att_job *j = arg;
    llm_context *c = j->c;
    const int32_t kv_len = j->pos0 + j->n;
    const int64_t nkv = c->kv->n_embd_kv;
    float *row = c->att_scratch + c->att_scratch_floats * (size_t)ith +
                 (c->att_scratch_floats - (size_t)nkv);
    int64_t p0, p1;
    thread_pool_split(kv_len, 16, ith, nth, &p0, &p1);
    if (p1 <= p0)
        return;
    if (c->kv->type == TENSOR_F16) /* values: one conversion over the range */
        fp16_to_f32_row((const uint16_t *)kv_cache_row(c->kv, j->layer, 1, (int32_t)p0),
                        c->vf + p0 * nkv, (p1 - p0) * nkv);
    /* keys: each position's row (all heads) widened once, then scattered;
     * kt's row d of head g is row g * head_dim + d, so all heads transpose
     * alike */
    for (int64_t p = p0; p < p1; p++) {
        const float *src;
        if (c->kv->type == TENSOR_F16) {
            fp16_to_f32_row((const uint16_t *)kv_cache_row(c->kv, j->layer, 0, (int32_t)p), row,
                            nkv);
            src = row;
        } else {
            src = (const float *)kv_cache_row(c->kv, j->layer, 0, (int32_t)p);
        }
        for (int64_t d = 0; d < nkv; d++)
            c->kt[d * c->kt_ld + p] = src[d];
    }
}

/* For a few query rows on an F16 cache: the layer's keys and values of
 * positions [0, kv_len) widened to floats with one conversion over each
 * contiguous plane (into c->kt, used row-major here, and c->vf), shared by
 * element ranges. */
static void att_plain_prep_worker(void *arg, int ith, int nth)
{
    att_job *j = arg;
    llm_context *c = j->c;
    const int64_t count = (int64_t)(j->pos0 + j->n) * c->kv->n_embd_kv;
    int64_t b, e;
    thread_pool_split(count, 64, ith, nth, &b, &e);
    if (e <= b)
        return;
    const uint16_t *k = kv_cache_row(c->kv, j->layer, 0, 0);
    const uint16_t *v = kv_cache_row(c->kv, j->layer, 1, 0);
    fp16_to_f32_row(k + b, c->kt + b, e - b);
    fp16_to_f32_row(v + b, c->vf + b, e - b);
}

static void att_worker(void *arg, int ith, int nth)
{
    (void)nth;
    att_job *j = arg;
    llm_context *c = j->c;
    float *scratch = c->att_scratch + c->att_scratch_floats * (size_t)ith;
    int32_t n_kv = c->model->hp.n_head_kv;
    for (;;) {
        int u = atomic_fetch_add(&j->next, 1);
        if (u >= j->n_units)
            break;
        /* The last query chunks see the most keys: hand them out first. */
        int32_t chunk = j->n_chunks - 1 - u / n_kv;
        int32_t g = u % n_kv;
        int32_t r0 = chunk * c->att_chunk;
        int32_t m = j->n - r0 < c->att_chunk ? j->n - r0 : c->att_chunk;
        att_unit(j, scratch, g, r0, m);
    }
}

static sl_status attention(llm_context *c, int32_t layer, int32_t pos0, int32_t n, sl_error *err)
{
    att_job j = {.c = c, .layer = layer, .pos0 = pos0, .n = n};
    j.n_chunks = (n + c->att_chunk - 1) / c->att_chunk;
    j.n_units = j.n_chunks * c->model->hp.n_head_kv;
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    /* Shares never wait for each other and each share index runs once, so
     * scratch indexed by share is never used twice at the same time: the
     * caller may take over the shares of workers that started late. */
    /* A batch converts (and transposes) the keys once for all its query
     * rows; a few rows convert only what their head needs. */
    j.transposed = n >= ATT_TRANSPOSE_MIN;
    /* ggml's CPU flash attention, which llama.cpp uses by default, rounds
     * the queries to F16 for F16 keys when it takes batches of fewer than
     * 64 rows one query at a time (and decode); from 64 rows on its tiled
     * path multiplies F32 queries with the keys widened to F32. */
    j.round_q = c->kv->type == TENSOR_F16 && n < 64;
    /* Each group's keys and values are widened by the group's only unit
     * (decode): two units of one group would write the same floats. */
    j.widen_in_unit = !j.transposed && c->kv->type == TENSOR_F16 && j.n_chunks == 1;
    if (j.transposed)
        thread_pool_run_independent(c->pool, att_prep_worker, &j);
    else if (c->kv->type == TENSOR_F16 && !j.widen_in_unit)
        run_rows_or_inline(c, (int64_t)(pos0 + n) * c->kv->n_embd_kv, att_plain_prep_worker, &j);
    thread_pool_run_independent(c->pool, att_worker, &j);
    if (atomic_load(&j.failed))
        return sl_fail(err, SL_ERR_INTERNAL, "%s: attention product failed (layer %d)",
                       c->model->path, layer);
    return SL_OK;
}

/* ---- one micro-batch ---- */

/* c->x holds n input rows at positions pos0..; runs every layer and, when
 * logits is not NULL, the output head on the last row. */
/* Rows of a micro-batch are independent in the element-wise steps; from
 * this many rows on they are shared out over the pool. */
#define ROWS_PARALLEL_MIN 16

/* x += add + bias (when add is not NULL), then y = RMSNorm(x) * w, row by
 * row: the residual connection fused with the next norm. */
typedef struct norm_job {
    float *x;
    const float *add, *bias;
    float *y;
    const float *w;
    int64_t rows, n;
    float eps;
} norm_job;

static void norm_worker(void *arg, int ith, int nth)
{
    const norm_job *j = arg;
    int64_t b, e;
    thread_pool_split(j->rows, 1, ith, nth, &b, &e);
    for (int64_t r = b; r < e; r++) {
        float *x = j->x + r * j->n;
        if (j->add) {
            add_rows(x, j->add + r * j->n, j->n);
            if (j->bias)
                add_rows(x, j->bias, j->n);
        }
        rms_norm_rows(x, j->y + r * j->n, 1, j->n, j->w, j->eps);
    }
}

/* Q/K/V biases, RoPE on Q and K, and the cache write, row by row. */
typedef struct qkv_job {
    llm_context *c;
    const llm_layer *L;
    int32_t layer, pos0, n;
} qkv_job;

static void qkv_worker(void *arg, int ith, int nth)
{
    const qkv_job *j = arg;
    llm_context *c = j->c;
    const llm_hparams *hp = &c->model->hp;
    const int64_t nq = (int64_t)hp->n_head * hp->head_dim;
    const int64_t nkv = (int64_t)hp->n_head_kv * hp->head_dim;
    int64_t b, e;
    thread_pool_split(j->n, 1, ith, nth, &b, &e);
    if (e <= b)
        return;
    int32_t rows = (int32_t)(e - b);
    float *q = c->q + b * nq, *k = c->k + b * nkv, *v = c->v + b * nkv;
    add_bias(q, rows, nq, nq, j->L->bq);
    add_bias(k, rows, nkv, nkv, j->L->bk);
    add_bias(v, rows, nkv, nkv, j->L->bv);
    rope_apply(c, q, (int32_t)b, rows, hp->n_head, nq);
    rope_apply(c, k, (int32_t)b, rows, hp->n_head_kv, nkv);
    kv_cache_store(c->kv, j->layer, j->pos0 + (int32_t)b, rows, k, nkv, v, nkv);
}

static void run_rows(llm_context *c, int32_t n, thread_pool_fn fn, void *job)
{
    if (n >= ROWS_PARALLEL_MIN)
        thread_pool_run_independent(c->pool, fn, job);
    else
        fn(job, 0, 1);
}

static sl_status forward_ubatch(llm_context *c, int32_t pos0, int32_t n, float *logits,
                                sl_error *err)
{
    const llm_model *m = c->model;
    const llm_hparams *hp = &m->hp;
    const int64_t e = hp->n_embd, hd = hp->head_dim;
    const int64_t nq = hp->n_head * hd, nkv = hp->n_head_kv * hd, ffw = hp->n_ff;
    sl_status st;
    rope_tables(c, pos0, n);
    for (int32_t il = 0; il < hp->n_layer; il++) {
        const llm_layer *L = &m->layers[il];
        /* the previous layer's feed-forward output joins the residual here */
        const llm_layer *prev = il > 0 ? &m->layers[il - 1] : NULL;
        norm_job nj = {c->x, prev ? c->tmp : NULL, prev ? prev->b_down : NULL, c->xn,
                       L->attn_norm, n, e, hp->rms_eps};
        run_rows(c, n, norm_worker, &nj);
        qmatrix qkv[3] = {L->wq, L->wk, L->wv};
        float *const qkv_out[3] = {c->q, c->k, c->v};
        const int64_t qkv_ld[3] = {nq, nkv, nkv};
        if ((st = matmul_many(c->mm, 3, qkv, c->xn, e, n, qkv_out, qkv_ld, err)))
            return st;
        qkv_job qj = {c, L, il, pos0, n};
        run_rows(c, n, qkv_worker, &qj);
        if ((st = attention(c, il, pos0, n, err)))
            return st;
        if ((st = matmul(c->mm, &L->wo, c->att, nq, n, c->tmp, e, err)))
            return st;

        nj = (norm_job){c->x, c->tmp, L->bo, c->xn, L->ffn_norm, n, e, hp->rms_eps};
        run_rows(c, n, norm_worker, &nj);
        qmatrix gu[2] = {L->w_gate, L->w_up};
        float *const gu_out[2] = {c->gate, c->up};
        const int64_t gu_ld[2] = {ffw, ffw};
        if ((st = matmul_many(c->mm, 2, gu, c->xn, e, n, gu_out, gu_ld, err)))
            return st;
        add_bias(c->gate, n, ffw, ffw, L->b_gate);
        add_bias(c->up, n, ffw, ffw, L->b_up);
        swiglu_job sj = {c->silu_mul, c->gate, c->up, (int64_t)n * ffw};
        if (n > 1)
            thread_pool_run_independent(c->pool, swiglu_worker, &sj);
        else
            swiglu_worker(&sj, 0, 1);
        if ((st = matmul(c->mm, &L->w_down, c->gate, ffw, n, c->tmp, e, err)))
            return st;
    }
    /* The last feed-forward output still has to join the residual; only
     * the last row goes on to the output head. */
    if (logits) {
        const llm_layer *last = &m->layers[hp->n_layer - 1];
        norm_job nj = {c->x + (int64_t)(n - 1) * e, c->tmp + (int64_t)(n - 1) * e, last->b_down,
                       c->last, m->output_norm, 1, e, hp->rms_eps};
        norm_worker(&nj, 0, 1);
        if ((st = matmul(c->mm, &m->output, c->last, e, 1, logits, hp->n_vocab, err)))
            return st;
        add_bias(logits, 1, hp->n_vocab, hp->n_vocab, m->output_bias);
    }
    return SL_OK;
}

static sl_status check_fit(const llm_context *c, int32_t n, sl_error *err)
{
    if (n < 1)
        return sl_fail(err, SL_ERR_ARG, "%s: nothing to decode (%d tokens)", c->model->path, n);
    if (n > c->n_ctx - c->pos)
        return sl_fail(err, SL_ERR_LIMIT,
                       "%s: %d tokens at position %d do not fit the context of %d positions",
                       c->model->path, n, c->pos, c->n_ctx);
    return SL_OK;
}

sl_status llm_decode(llm_context *c, const int32_t *tokens, int32_t n, float *logits_last,
                     sl_error *err)
{
    if (!c || (!tokens && n > 0))
        return sl_fail(err, SL_ERR_ARG, "llm_decode: missing context or tokens");
    sl_status st = check_fit(c, n, err);
    if (st)
        return st;
    const llm_model *m = c->model;
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->hp.n_vocab)
            return sl_fail(err, SL_ERR_ARG, "%s: token %d (at %d) is outside the vocabulary of %d",
                           m->path, tokens[i], i, m->hp.n_vocab);
    const int64_t e = m->hp.n_embd;
    for (int32_t done = 0; done < n;) {
        int32_t nb = n - done < c->n_ubatch ? n - done : c->n_ubatch;
        for (int32_t i = 0; i < nb; i++)
            if ((st = llm_model_token_embedding(m, tokens[done + i], c->x + i * e, err)))
                return st;
        bool last = done + nb == n;
        if ((st = forward_ubatch(c, c->pos, nb, last ? logits_last : NULL, err)))
            return st;
        c->pos += nb;
        done += nb;
    }
    return SL_OK;
}

sl_status llm_decode_embd(llm_context *c, const float *embd, int32_t n, float *logits_last,
                          sl_error *err)
{
    if (!c || (!embd && n > 0))
        return sl_fail(err, SL_ERR_ARG, "llm_decode_embd: missing context or embeddings");
    sl_status st = check_fit(c, n, err);
    if (st)
        return st;
    const int64_t e = c->model->hp.n_embd;
    for (int32_t done = 0; done < n;) {
        int32_t nb = n - done < c->n_ubatch ? n - done : c->n_ubatch;
        memcpy(c->x, embd + (int64_t)done * e, (size_t)nb * (size_t)e * sizeof(float));
        bool last = done + nb == n;
        if ((st = forward_ubatch(c, c->pos, nb, last ? logits_last : NULL, err)))
            return st;
        c->pos += nb;
        done += nb;
    }
    return SL_OK;
}
