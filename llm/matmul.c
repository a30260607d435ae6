#include "llm/matmul.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/quant.h"
#include "llm/quant_internal.h"

/* Rows of W kept in cache while the columns of a batch pass: about 256 KiB
 * of weights, half of a Zen 4 core's L2 (the other half holds activations
 * and the tiles' outputs). */
enum { MM_BLOCK_BYTES = 256 * 1024 };
/* Columns of a batch processed against one block of rows before moving on:
 * bounds the activation bytes touched per block. */
enum { MM_COL_BLOCK = 64 };
/* Batches up to this size go down the matrix-vector path per column. */
enum { MM_ALIGN = 64 };

struct matmul_ctx {
    thread_pool *pool;
    matmul_precision precision;
    void *scratch;
    size_t scratch_size;
};

sl_status matmul_ctx_create(thread_pool *pool, matmul_ctx **out, sl_error *err)
{
    *out = NULL;
    matmul_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return sl_fail(err, SL_ERR_NOMEM, "matmul: out of memory for a context");
    ctx->pool = pool;
    *out = ctx;
    return SL_OK;
}

void matmul_ctx_destroy(matmul_ctx *ctx)
{
    if (!ctx)
        return;
    free(ctx->scratch);
    free(ctx);
}

thread_pool *matmul_ctx_pool(const matmul_ctx *ctx)
{
    return ctx ? ctx->pool : NULL;
}

void matmul_ctx_set_precision(matmul_ctx *ctx, matmul_precision precision)
{
    ctx->precision = precision;
}

static sl_status scratch_reserve(matmul_ctx *ctx, size_t bytes, sl_error *err)
{
    if (bytes <= ctx->scratch_size)
        return SL_OK;
    size_t want = bytes + bytes / 4;
    want = (want + MM_ALIGN - 1) / MM_ALIGN * MM_ALIGN;
    void *p = aligned_alloc(MM_ALIGN, want);
    if (!p)
        return sl_fail(err, SL_ERR_NOMEM, "matmul: cannot allocate %zu bytes of scratch", want);
    /* Keep what is there: activations may already be quantized into it. */
    if (ctx->scratch)
        memcpy(p, ctx->scratch, ctx->scratch_size);
    free(ctx->scratch);
    ctx->scratch = p;
    ctx->scratch_size = want;
    return SL_OK;
}

sl_status qmatrix_check(const qmatrix *w, sl_error *err)
{
    if (!w || !w->data)
        return sl_fail(err, SL_ERR_ARG, "matmul: no weight matrix");
    if (!quant_weight_type_supported(w->type))
        return sl_fail(err, SL_ERR_UNSUPPORTED, "matmul: weights of type %s are not supported",
                       tensor_type_name(w->type));
    if (w->rows < 0 || w->cols < 0)
        return sl_fail(err, SL_ERR_ARG, "matmul: negative matrix size %lld x %lld",
                       (long long)w->rows, (long long)w->cols);
    size_t row_bytes;
    if (!tensor_type_row_bytes(w->type, w->cols, &row_bytes))
        return sl_fail(err, SL_ERR_ARG, "matmul: %lld columns are not whole %s blocks",
                       (long long)w->cols, tensor_type_name(w->type));
    if (w->row_stride != 0 && w->row_stride < row_bytes)
        return sl_fail(err, SL_ERR_ARG, "matmul: row stride %zu is shorter than a row (%zu bytes)",
                       w->row_stride, row_bytes);
    /* Blocks hold 16-bit scales (floats for F32): the data must be aligned
     * to them, as GGUF's 32-byte alignment guarantees. */
    size_t align = w->type == TENSOR_F32 ? 4 : 2;
    size_t stride = w->row_stride ? w->row_stride : row_bytes;
    if ((uintptr_t)w->data % align != 0 || (w->rows > 1 && stride % align != 0))
        return sl_fail(err, SL_ERR_ARG, "matmul: %s weights are not %zu-byte aligned",
                       tensor_type_name(w->type), align);
    return SL_OK;
}

/* ------------------------------------------------------------------ */

typedef struct mm_job {
    const quant_kernels *k;
    qtile_fn tile;
    int64_t rows, cols, batch;
    const uint8_t *w;
    size_t w_stride;
    const uint8_t *a; /* quantized activations, one row per column of the batch */
    size_t a_stride;
    float *y;
    int64_t ldy;
    int64_t row_block; /* rows per cache block */
    gemv_fn gemv;      /* batch 1: the matrix-vector kernel, or NULL */
    uint8_t *gemv_scratch;
    size_t gemv_scratch_stride;
} mm_job;

static void run_tiles(const mm_job *j, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    for (int64_t c = c0; c < c1; c += QTILE_MAX_C) {
        int nc = (int)(c1 - c < QTILE_MAX_C ? c1 - c : QTILE_MAX_C);
        for (int64_t r = r0; r < r1; r += QTILE_MAX_R) {
            int nr = (int)(r1 - r < QTILE_MAX_R ? r1 - r : QTILE_MAX_R);
            j->tile(j->cols, j->w + (size_t)r * j->w_stride, j->w_stride, nr,
                    j->a + (size_t)c * j->a_stride, j->a_stride, nc,
                    j->y + c * j->ldy + r, (size_t)j->ldy);
        }
    }
}

static void mm_worker(void *ctx, int ith, int nth)
{
    const mm_job *j = ctx;
    int64_t r0, r1;
    thread_pool_split(j->rows, QTILE_MAX_R, ith, nth, &r0, &r1);
    if (j->batch == 1) {
        /* One row after another (see gemv_fn): each thread streams one
         * contiguous range of the matrix. */
        if (r1 <= r0)
            return;
        if (j->gemv) {
            j->gemv(j->cols, j->w + (size_t)r0 * j->w_stride, j->w_stride, r1 - r0, j->a,
                    j->y + r0, j->gemv_scratch + (size_t)ith * j->gemv_scratch_stride);
            return;
        }
        for (int64_t r = r0; r < r1; r++)
            j->tile(j->cols, j->w + (size_t)r * j->w_stride, j->w_stride, 1, j->a, j->a_stride, 1,
                    j->y + r, 1);
        return;
    }
    for (int64_t rb = r0; rb < r1; rb += j->row_block) {
        int64_t re = rb + j->row_block < r1 ? rb + j->row_block : r1;
        for (int64_t cb = 0; cb < j->batch; cb += MM_COL_BLOCK) {
            int64_t ce = cb + MM_COL_BLOCK < j->batch ? cb + MM_COL_BLOCK : j->batch;
            run_tiles(j, rb, re, cb, ce);
        }
    }
}

typedef struct quant_job {
    quant_row_fn fn;
    const float *x;
    int64_t ldx, cols, batch;
    uint8_t *dst;
    size_t dst_stride;
} quant_job;

static void quant_worker(void *ctx, int ith, int nth)
{
    const quant_job *q = ctx;
    int64_t b0, b1;
    thread_pool_split(q->batch, 1, ith, nth, &b0, &b1);
    for (int64_t b = b0; b < b1; b++)
        q->fn(q->x + b * q->ldx, q->dst + (size_t)b * q->dst_stride, q->cols);
}

static sl_status check_call(const qmatrix *w, const float *x, int64_t ldx, int64_t batch,
                            const float *y, int64_t ldy, sl_error *err)
{
    sl_status st = qmatrix_check(w, err);
    if (st != SL_OK)
        return st;
    if (batch < 0 || (batch > 0 && (!x || !y)))
        return sl_fail(err, SL_ERR_ARG, "matmul: bad batch %lld or missing buffers",
                       (long long)batch);
    if (batch > 1 && (ldx < w->cols || ldy < w->rows))
        return sl_fail(err, SL_ERR_ARG,
                       "matmul: strides ldx %lld / ldy %lld shorter than %lld cols / %lld rows",
                       (long long)ldx, (long long)ldy, (long long)w->cols, (long long)w->rows);
    return SL_OK;
}

/* Quantizes the batch to act_type into the context's scratch at `offset`;
 * returns the row stride. For F32 activations nothing is copied. */
static sl_status quantize_batch(matmul_ctx *ctx, tensor_type act_type, const float *x, int64_t ldx,
                                int64_t cols, int64_t batch, size_t offset,
                                const uint8_t **a_out, size_t *stride_out, sl_error *err)
{
    if (act_type == TENSOR_F32) {
        *a_out = (const uint8_t *)x;
        *stride_out = (size_t)(batch > 1 ? ldx : cols) * sizeof(float);
        return SL_OK;
    }
    size_t row_bytes;
    if (!tensor_type_row_bytes(act_type, cols, &row_bytes))
        return sl_fail(err, SL_ERR_ARG, "matmul: %lld columns are not whole %s blocks",
                       (long long)cols, tensor_type_name(act_type));
    size_t stride = (row_bytes + MM_ALIGN - 1) / MM_ALIGN * MM_ALIGN;
    if (batch > 0 && stride > (SIZE_MAX - offset) / (size_t)batch)
        return sl_fail(err, SL_ERR_NOMEM, "matmul: activation scratch size overflows");
    sl_status st = scratch_reserve(ctx, offset + stride * (size_t)batch, err);
    if (st != SL_OK)
        return st;
    quant_job q = {
        .fn = quant_kernels_active()->quantize_act[act_type],
        .x = x,
        .ldx = ldx,
        .cols = cols,
        .batch = batch,
        .dst = (uint8_t *)ctx->scratch + offset,
        .dst_stride = stride,
    };
    /* A single vector is quantized faster than threads can be woken. */
    if (batch >= 4)
        thread_pool_run(ctx->pool, quant_worker, &q);
    else
        quant_worker(&q, 0, 1);
    *a_out = q.dst;
    *stride_out = stride;
    return SL_OK;
}

/* Scratch for the matrix-vector kernels, after `used` bytes of activations. */
static sl_status reserve_gemv_scratch(matmul_ctx *ctx, int64_t cols, size_t used, size_t *offset,
                                      size_t *stride, sl_error *err)
{
    size_t per = (GEMV_SCRATCH_BYTES(cols) + MM_ALIGN - 1) / MM_ALIGN * MM_ALIGN;
    size_t nth = (size_t)thread_pool_threads(ctx->pool);
    size_t off = (used + MM_ALIGN - 1) / MM_ALIGN * MM_ALIGN;
    if (per > (SIZE_MAX - off) / nth)
        return sl_fail(err, SL_ERR_NOMEM, "matmul: scratch size overflows");
    sl_status st = scratch_reserve(ctx, off + per * nth, err);
    *offset = off;
    *stride = per;
    return st;
}

static void run_product(matmul_ctx *ctx, const qmatrix *w, const uint8_t *a, size_t a_stride,
                        int64_t batch, float *y, int64_t ldy, size_t gemv_offset,
                        size_t gemv_stride)
{
    const quant_kernels *k = quant_kernels_active();
    size_t row_bytes;
    tensor_type_row_bytes(w->type, w->cols, &row_bytes);
    mm_job j = {
        .k = k,
        .tile = k->tile[w->type],
        .rows = w->rows,
        .cols = w->cols,
        .batch = batch,
        .w = w->data,
        .w_stride = w->row_stride ? w->row_stride : row_bytes,
        .a = a,
        .a_stride = a_stride,
        .y = y,
        .ldy = batch > 1 ? ldy : w->rows,
        .gemv = batch == 1 ? k->gemv[w->type] : NULL,
        .gemv_scratch = (uint8_t *)ctx->scratch + gemv_offset,
        .gemv_scratch_stride = gemv_stride,
    };
    int64_t rb = row_bytes ? (int64_t)(MM_BLOCK_BYTES / row_bytes) : w->rows;
    rb = rb / QTILE_MAX_R * QTILE_MAX_R;
    j.row_block = rb < QTILE_MAX_R ? QTILE_MAX_R : rb;
    thread_pool_run(ctx->pool, mm_worker, &j);
}

sl_status matmul(matmul_ctx *ctx, const qmatrix *w, const float *x, int64_t ldx, int64_t batch,
                 float *y, int64_t ldy, sl_error *err)
{
    if (!ctx)
        return sl_fail(err, SL_ERR_ARG, "matmul: no context");
    sl_status st = check_call(w, x, ldx, batch, y, ldy, err);
    if (st != SL_OK || batch == 0 || w->rows == 0)
        return st;
    if (w->cols == 0) {
        for (int64_t b = 0; b < batch; b++)
            memset(y + b * ldy, 0, (size_t)w->rows * sizeof(float));
        return SL_OK;
    }
    const uint8_t *a;
    size_t a_stride;
    tensor_type at = tensor_type_vec_dot_type(w->type);
    size_t act_bytes = 0, goff = 0, gstride = 0;
    if (at != TENSOR_F32) {
        tensor_type_row_bytes(at, w->cols, &act_bytes);
        act_bytes = (act_bytes + MM_ALIGN - 1) / MM_ALIGN * MM_ALIGN * (size_t)batch;
    }
    /* Reserve everything first: quantize_batch's pointers must not move. */
    if (batch == 1 && quant_kernels_active()->gemv[w->type]) {
        st = reserve_gemv_scratch(ctx, w->cols, act_bytes, &goff, &gstride, err);
        if (st != SL_OK)
            return st;
    }
    st = quantize_batch(ctx, at, x, ldx, w->cols, batch, 0, &a, &a_stride, err);
    if (st != SL_OK)
        return st;
    run_product(ctx, w, a, a_stride, batch, y, ldy, goff, gstride);
    return SL_OK;
}

sl_status matmul_many(matmul_ctx *ctx, int count, const qmatrix w[], const float *x, int64_t ldx,
                      int64_t batch, float *const y[], const int64_t ldy[], sl_error *err)
{
    if (!ctx || count < 0 || (count > 0 && (!w || !y || !ldy)))
        return sl_fail(err, SL_ERR_ARG, "matmul_many: bad arguments");
    for (int i = 0; i < count; i++) {
        sl_status st = check_call(&w[i], x, ldx, batch, y[i], ldy[i], err);
        if (st != SL_OK)
            return st;
        if (w[i].cols != w[0].cols)
            return sl_fail(err, SL_ERR_ARG, "matmul_many: matrix %d has %lld cols, matrix 0 %lld",
                           i, (long long)w[i].cols, (long long)w[0].cols);
    }
    if (count == 0 || batch == 0)
        return SL_OK;
    /* Quantize once per distinct activation type (there are six); the
     * scratch holds each type's rows one after the other. */
    enum { MAX_ACT_TYPES = 8 };
    tensor_type types[MAX_ACT_TYPES];
    const uint8_t *acts[MAX_ACT_TYPES];
    size_t strides[MAX_ACT_TYPES];
    int ntypes = 0;
    size_t offset = 0;
    for (int i = 0; i < count; i++) {
        tensor_type t = tensor_type_vec_dot_type(w[i].type);
        int found = -1;
        for (int k = 0; k < ntypes; k++)
            if (types[k] == t)
                found = k;
        if (found < 0 && ntypes < MAX_ACT_TYPES)
            types[ntypes++] = t;
    }
    /* Quantize after the type scan so the scratch is reserved once. */
    for (int k = 0; k < ntypes; k++) {
        sl_status st = quantize_batch(ctx, types[k], x, ldx, w[0].cols, batch, offset, &acts[k],
                                      &strides[k], err);
        if (st != SL_OK)
            return st;
        if (types[k] != TENSOR_F32)
            offset += strides[k] * (size_t)batch;
    }
    size_t goff = 0, gstride = 0;
    if (batch == 1) {
        sl_status st = reserve_gemv_scratch(ctx, w[0].cols, offset, &goff, &gstride, err);
        if (st != SL_OK)
            return st;
    }
    /* quantize_batch and the gemv reservation may have moved the scratch:
     * recompute the pointers. */
    offset = 0;
    for (int k = 0; k < ntypes; k++)
        if (types[k] != TENSOR_F32) {
            acts[k] = (const uint8_t *)ctx->scratch + offset;
            offset += strides[k] * (size_t)batch;
        }
    for (int i = 0; i < count; i++) {
        tensor_type t = tensor_type_vec_dot_type(w[i].type);
        for (int k = 0; k < ntypes; k++)
            if (types[k] == t && w[i].rows > 0 && w[i].cols > 0)
                run_product(ctx, &w[i], acts[k], strides[k], batch, y[i], ldy[i], goff, gstride);
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* float GEMM                                                           */

typedef struct kn_job {
    int64_t m, n, k;
    const float *a, *b;
    int64_t lda, ldb, ldc;
    float *c;
} kn_job;

/* C = A * B with B stored k x n: each row of C is a sum of rows of B
 * weighted by a row of A, so B's rows stream contiguously. Threads split
 * the columns of C when there are few rows (decode attention), else rows. */
static void kn_worker(void *ctx, int ith, int nth)
{
    const kn_job *j = ctx;
    int64_t i0 = 0, i1 = j->m, c0 = 0, c1 = j->n;
    if (j->m >= 4 * nth)
        thread_pool_split(j->m, 1, ith, nth, &i0, &i1);
    else
        thread_pool_split(j->n, 16, ith, nth, &c0, &c1);
    for (int64_t i = i0; i < i1; i++) {
        float *ci = j->c + i * j->ldc;
        for (int64_t col = c0; col < c1; col++)
            ci[col] = 0;
        const float *ai = j->a + i * j->lda;
        for (int64_t l = 0; l < j->k; l++) {
            float s = ai[l];
            const float *bl = j->b + l * j->ldb;
            for (int64_t col = c0; col < c1; col++)
                ci[col] += s * bl[col];
        }
    }
}

sl_status gemm_f32(thread_pool *pool, gemm_b_layout layout, int64_t m, int64_t n, int64_t k,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                   sl_error *err)
{
    if (m < 0 || n < 0 || k < 0)
        return sl_fail(err, SL_ERR_ARG, "gemm_f32: negative size %lld x %lld x %lld",
                       (long long)m, (long long)n, (long long)k);
    if (m == 0 || n == 0)
        return SL_OK;
    if (!a || !b || !c || lda < k || ldc < n || ldb < (layout == GEMM_B_NK ? k : n))
        return sl_fail(err, SL_ERR_ARG, "gemm_f32: missing buffer or stride too short");
    if (layout == GEMM_B_NK) {
        if (k == 0) {
            for (int64_t i = 0; i < m; i++)
                memset(c + i * ldc, 0, (size_t)n * sizeof(float));
            return SL_OK;
        }
        const quant_kernels *kt = quant_kernels_active();
        mm_job j = {
            .k = kt,
            .tile = kt->tile[TENSOR_F32],
            .rows = n,
            .cols = k,
            .batch = m,
            .w = (const uint8_t *)b,
            .w_stride = (size_t)ldb * sizeof(float),
            .a = (const uint8_t *)a,
            .a_stride = (size_t)lda * sizeof(float),
            .y = c,
            .ldy = ldc,
        };
        int64_t rb = (int64_t)(MM_BLOCK_BYTES / ((size_t)k * sizeof(float)));
        rb = rb / QTILE_MAX_R * QTILE_MAX_R;
        j.row_block = rb < QTILE_MAX_R ? QTILE_MAX_R : rb;
        thread_pool_run(pool, mm_worker, &j);
        return SL_OK;
    }
    if (layout != GEMM_B_KN)
        return sl_fail(err, SL_ERR_ARG, "gemm_f32: unknown layout %d", (int)layout);
    kn_job j = {m, n, k, a, b, lda, ldb, ldc, c};
    thread_pool_run(pool, kn_worker, &j);
    return SL_OK;
}
