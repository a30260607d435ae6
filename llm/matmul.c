#include "llm/matmul.h"

#include <stdatomic.h>
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

/* How one product is computed. */
typedef enum mm_path {
    MM_TILES, /* tiles of rows x columns kept in cache (batches) */
    MM_ROWS,  /* batch 1: rows streamed one by one, a gemv kernel if any */
    MM_BF16,  /* batches through AVX-512 BF16 dot products */
    MM_QGEMM, /* batches of quantized weights through AVX-512 VNNI, 8 x 16 */
} mm_path;

typedef struct mm_plan {
    mm_path path;
    tensor_type act_type; /* what the activations are converted to */
} mm_plan;

/* Batches smaller than these do not repay the repacking of the BF16 and
 * quantized GEMM paths (and would leave most of a 16-column group empty). */
enum { MM_BF16_MIN_BATCH = 8, MM_QGEMM_MIN_BATCH = 6 };

#if defined(SL_HAVE_X86_SIMD)
static bool is_float_type(tensor_type t)
{
    return t == TENSOR_F32 || t == TENSOR_F16 || t == TENSOR_BF16;
}
#endif

static mm_plan plan_for(const matmul_ctx *ctx, const qmatrix *w, int64_t batch)
{
    mm_plan p = {MM_TILES, tensor_type_vec_dot_type(w->type)};
    if (batch == 1) {
        p.path = MM_ROWS;
        return p;
    }
#if defined(SL_HAVE_X86_SIMD)
    bool bf16_weights = w->type == TENSOR_BF16;
    bool bf16_asked = ctx->precision == MATMUL_PRECISION_BF16 &&
                      (w->type == TENSOR_F16 || w->type == TENSOR_F32);
    if (batch >= MM_BF16_MIN_BATCH && (bf16_weights || bf16_asked) && simd_has_bf16_dot()) {
        p.path = MM_BF16;
        p.act_type = TENSOR_BF16;
    }
    if (batch >= MM_QGEMM_MIN_BATCH && !is_float_type(w->type) &&
        simd_level_active() == SIMD_AVX512)
        p.path = MM_QGEMM;
#else
    (void)ctx;
#endif
    return p;
}

static size_t round_up(size_t v)
{
    return (v + MM_ALIGN - 1) / MM_ALIGN * MM_ALIGN;
}

/* Per-thread scratch a path needs for rows of `cols` values. */
static size_t thread_scratch_bytes(mm_path path, int64_t cols)
{
    switch (path) {
    case MM_ROWS: return round_up(GEMV_SCRATCH_BYTES(cols));
#if defined(SL_HAVE_X86_SIMD)
    case MM_BF16: return round_up(gemm_bf16_scratch_bytes(cols));
    case MM_QGEMM: return round_up(qgemm_panel_bytes(cols));
#endif
    default: return 0;
    }
}

typedef struct mm_job {
    mm_path path;
    tensor_type type;
    qtile_fn tile;
    gemv_fn gemv;
    int64_t rows, cols, batch;
    const uint8_t *w;
    size_t w_stride;
    const uint8_t *a; /* activations, one row per column of the batch */
    size_t a_stride;
    float *y;
    int64_t ldy;
    int64_t row_block; /* rows per cache block (tiles) */
    uint8_t *scratch;  /* per-thread scratch, thread i at i * scratch_stride */
    size_t scratch_stride;
    const void *qg_acts; /* MM_QGEMM: activations in column groups */
    int64_t chunk;       /* rows handed out at a time */
    atomic_llong next;   /* first row not yet handed out */
} mm_job;

/* Rows are handed out in chunks from a shared counter rather than split in
 * fixed halves: when another process takes one of the two cores, the other
 * thread does the rest instead of waiting for it. Chunks are a multiple of
 * `align` (the kernels' row panels) and, for streaming, long enough to keep
 * each read sequential for a while. */
static int64_t chunk_rows(int64_t rows, int nth, int64_t align)
{
    int64_t c = (rows + 8 * nth - 1) / (8 * (int64_t)nth);
    if (c < 16)
        c = 16;
    return (c + align - 1) / align * align;
}

static bool next_chunk(mm_job *j, int64_t *r0, int64_t *r1)
{
    int64_t b = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
    if (b >= j->rows)
        return false;
    *r0 = b;
    *r1 = b + j->chunk < j->rows ? b + j->chunk : j->rows;
    return true;
}

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
    mm_job *j = ctx;
    (void)nth;
    int64_t r0, r1;
    uint8_t *scratch = j->scratch + (size_t)ith * j->scratch_stride;
    int prepared = 0;
    switch (j->path) {
    case MM_ROWS:
        /* One row after another within a chunk (see gemv_fn). */
        while (next_chunk(j, &r0, &r1)) {
            if (j->gemv) {
                j->gemv(j->cols, j->w + (size_t)r0 * j->w_stride, j->w_stride, r1 - r0, j->a,
                        j->y + r0, scratch, prepared);
                prepared = 1;
                continue;
            }
            for (int64_t r = r0; r < r1; r++)
                j->tile(j->cols, j->w + (size_t)r * j->w_stride, j->w_stride, 1, j->a,
                        j->a_stride, 1, j->y + r, 1);
        }
        return;
#if defined(SL_HAVE_X86_SIMD)
    case MM_BF16:
        while (next_chunk(j, &r0, &r1))
            gemm_bf16_rows(j->type, j->w + (size_t)r0 * j->w_stride, j->w_stride, r1 - r0,
                           j->cols, (const uint16_t *)j->a, j->a_stride, j->batch, j->y + r0,
                           (size_t)j->ldy, scratch);
        return;
    case MM_QGEMM:
        while (next_chunk(j, &r0, &r1))
            qgemm_rows(j->type, j->w + (size_t)r0 * j->w_stride, j->w_stride, r1 - r0, j->cols,
                       j->qg_acts, j->batch, j->y + r0, (size_t)j->ldy, scratch);
        return;
#endif
    default:
        break;
    }
    while (next_chunk(j, &r0, &r1)) {
        for (int64_t rb = r0; rb < r1; rb += j->row_block) {
            int64_t re = rb + j->row_block < r1 ? rb + j->row_block : r1;
            for (int64_t cb = 0; cb < j->batch; cb += MM_COL_BLOCK) {
                int64_t ce = cb + MM_COL_BLOCK < j->batch ? cb + MM_COL_BLOCK : j->batch;
                run_tiles(j, rb, re, cb, ce);
            }
        }
    }
}

typedef struct quant_job {
    quant_row_fn fn;
    const float *x;
    int64_t ldx, cols, batch;
    uint8_t *dst;
    size_t dst_stride;
    bool pad_pair; /* bfloat16 rows for vdpbf16ps: zero the element after an odd end */
} quant_job;

static void quant_worker(void *ctx, int ith, int nth)
{
    const quant_job *q = ctx;
    int64_t b0, b1;
    thread_pool_split(q->batch, 1, ith, nth, &b0, &b1);
    for (int64_t b = b0; b < b1; b++) {
        uint8_t *row = q->dst + (size_t)b * q->dst_stride;
        q->fn(q->x + b * q->ldx, row, q->cols);
        if (q->pad_pair && (q->cols & 1))
            memset(row + 2 * q->cols, 0, 2);
    }
}

#if defined(SL_HAVE_X86_SIMD)
typedef struct prep_job {
    tensor_type act_type;
    int64_t cols, batch;
    const uint8_t *a;
    size_t a_stride;
    void *out;
} prep_job;

static void prep_worker(void *ctx, int ith, int nth)
{
    const prep_job *p = ctx;
    int64_t g0, g1;
    thread_pool_split((p->batch + 15) / 16, 1, ith, nth, &g0, &g1);
    if (g1 > g0)
        qgemm_prepare_acts(p->act_type, p->cols, p->a, p->a_stride, p->batch, g0, g1, p->out);
}
#endif

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

/* Bytes of one converted activation row (0 for F32: used in place). */
static sl_status act_row_stride(tensor_type act_type, int64_t cols, size_t *stride,
                                sl_error *err)
{
    if (act_type == TENSOR_F32) {
        *stride = 0;
        return SL_OK;
    }
    size_t row_bytes;
    if (!tensor_type_row_bytes(act_type, cols, &row_bytes) || row_bytes > SIZE_MAX / 2)
        return sl_fail(err, SL_ERR_ARG, "matmul: %lld columns are not whole %s blocks",
                       (long long)cols, tensor_type_name(act_type));
    /* + 2 bytes: room for the zero that pads bfloat16 rows to pairs */
    *stride = round_up(row_bytes + 2);
    return SL_OK;
}

/* Converts the batch to act_type at scratch + offset (already reserved). */
static void convert_batch(matmul_ctx *ctx, tensor_type act_type, const float *x, int64_t ldx,
                          int64_t cols, int64_t batch, size_t offset, size_t stride)
{
    quant_job q = {
        .fn = quant_kernels_active()->quantize_act[act_type],
        .x = x,
        .ldx = ldx,
        .cols = cols,
        .batch = batch,
        .dst = (uint8_t *)ctx->scratch + offset,
        .dst_stride = stride,
        .pad_pair = act_type == TENSOR_BF16,
    };
    /* A single vector is converted faster than threads can be woken. */
    if (batch >= 4)
        thread_pool_run_independent(ctx->pool, quant_worker, &q);
    else
        quant_worker(&q, 0, 1);
}

static void setup_product(matmul_ctx *ctx, const qmatrix *w, mm_plan plan, const uint8_t *a,
                          size_t a_stride, const void *qg_acts, int64_t batch, float *y,
                          int64_t ldy, size_t thread_offset, size_t thread_stride, mm_job *j)
{
    const quant_kernels *k = quant_kernels_active();
    size_t row_bytes;
    tensor_type_row_bytes(w->type, w->cols, &row_bytes);
    *j = (mm_job){
        .path = plan.path,
        .type = w->type,
        .tile = k->tile[w->type],
        .gemv = plan.path == MM_ROWS ? k->gemv[w->type] : NULL,
        .rows = w->rows,
        .cols = w->cols,
        .batch = batch,
        .w = w->data,
        .w_stride = w->row_stride ? w->row_stride : row_bytes,
        .a = a,
        .a_stride = a_stride,
        .y = y,
        .ldy = batch > 1 ? ldy : w->rows,
        .scratch = (uint8_t *)ctx->scratch + thread_offset,
        .scratch_stride = thread_stride,
        .qg_acts = qg_acts,
    };
    int64_t rb = row_bytes ? (int64_t)(MM_BLOCK_BYTES / row_bytes) : w->rows;
    rb = rb / QTILE_MAX_R * QTILE_MAX_R;
    j->row_block = rb < QTILE_MAX_R ? QTILE_MAX_R : rb;
    int64_t align = plan.path == MM_BF16 ? 32 : plan.path == MM_QGEMM ? 8 : QTILE_MAX_R;
    j->chunk = chunk_rows(w->rows, thread_pool_threads(ctx->pool), align);
    atomic_init(&j->next, 0);
}

static void run_product(matmul_ctx *ctx, const qmatrix *w, mm_plan plan, const uint8_t *a,
                        size_t a_stride, const void *qg_acts, int64_t batch, float *y,
                        int64_t ldy, size_t thread_offset, size_t thread_stride)
{
    mm_job j;
    setup_product(ctx, w, plan, a, a_stride, qg_acts, batch, y, ldy, thread_offset,
                  thread_stride, &j);
    thread_pool_run_independent(ctx->pool, mm_worker, &j);
}

/* Matrix-vector products of several matrices sharing one input (Q/K/V,
 * gate/up) as one job: the chunks of all of them come from one counter, so
 * the threads meet once instead of once per matrix, and a thread that
 * finishes its share of one matrix goes straight on to the next. */
enum { MM_MULTI_MAX = 8 };

typedef struct mm_multi_job {
    int count;
    mm_job parts[MM_MULTI_MAX];
    int64_t first_chunk[MM_MULTI_MAX + 1]; /* chunk numbers of part i: [first[i], first[i+1]) */
    atomic_llong next;
} mm_multi_job;

static void mm_multi_worker(void *ctx, int ith, int nth)
{
    (void)nth;
    mm_multi_job *m = ctx;
    /* the activations are laid out once per thread and kernel: parts of
     * the same type (and so the same cols and input) reuse it */
    gemv_fn prepared_for = NULL;
    for (;;) {
        int64_t u = atomic_fetch_add_explicit(&m->next, 1, memory_order_relaxed);
        if (u >= m->first_chunk[m->count])
            return;
        int i = 0;
        while (u >= m->first_chunk[i + 1])
            i++;
        const mm_job *j = &m->parts[i];
        int64_t r0 = (u - m->first_chunk[i]) * j->chunk;
        int64_t r1 = r0 + j->chunk < j->rows ? r0 + j->chunk : j->rows;
        uint8_t *scratch = j->scratch + (size_t)ith * j->scratch_stride;
        if (j->gemv) {
            j->gemv(j->cols, j->w + (size_t)r0 * j->w_stride, j->w_stride, r1 - r0, j->a,
                    j->y + r0, scratch, prepared_for == j->gemv);
            prepared_for = j->gemv;
            continue;
        }
        for (int64_t r = r0; r < r1; r++)
            j->tile(j->cols, j->w + (size_t)r * j->w_stride, j->w_stride, 1, j->a, j->a_stride,
                    1, j->y + r, 1);
    }
}

sl_status matmul(matmul_ctx *ctx, const qmatrix *w, const float *x, int64_t ldx, int64_t batch,
                 float *y, int64_t ldy, sl_error *err)
{
    if (!ctx)
        return sl_fail(err, SL_ERR_ARG, "matmul: no context");
    return matmul_many(ctx, 1, w, x, ldx, batch, &y, &ldy, err);
}

sl_status matmul_many(matmul_ctx *ctx, int count, const qmatrix w[], const float *x, int64_t ldx,
                      int64_t batch, float *const y[], const int64_t ldy[], sl_error *err)
{
    if (!ctx || count < 0 || (count > 0 && (!w || !y || !ldy)))
        return sl_fail(err, SL_ERR_ARG, "matmul: bad arguments");
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
    int64_t cols = w[0].cols;
    if (cols == 0) {
        for (int i = 0; i < count; i++)
            for (int64_t b = 0; b < batch; b++)
                memset(y[i] + b * (batch > 1 ? ldy[i] : 0), 0, (size_t)w[i].rows * sizeof(float));
        return SL_OK;
    }
    /* Convert once per distinct activation type; the scratch holds each
     * type's rows one after the other, then the per-thread scratch. */
    enum { MAX_ACT_TYPES = 8 };
    tensor_type types[MAX_ACT_TYPES];
    size_t offsets[MAX_ACT_TYPES], strides[MAX_ACT_TYPES];
    size_t prep_offsets[MAX_ACT_TYPES]; /* SIZE_MAX: not rearranged for MM_QGEMM */
    int ntypes = 0;
    size_t used = 0, per_thread = 0;
    for (int i = 0; i < count; i++) {
        mm_plan p = plan_for(ctx, &w[i], batch);
        size_t t = thread_scratch_bytes(p.path, cols);
        per_thread = t > per_thread ? t : per_thread;
        int found = -1;
        for (int k = 0; k < ntypes; k++)
            if (types[k] == p.act_type)
                found = k;
        if (found < 0 && ntypes < MAX_ACT_TYPES) {
            sl_status st = act_row_stride(p.act_type, cols, &strides[ntypes], err);
            if (st != SL_OK)
                return st;
            if (strides[ntypes] > (SIZE_MAX / 4 - used) / (size_t)batch)
                return sl_fail(err, SL_ERR_NOMEM, "matmul: activation scratch size overflows");
            offsets[ntypes] = used;
            prep_offsets[ntypes] = SIZE_MAX;
            used += strides[ntypes] * (size_t)batch;
            types[ntypes] = p.act_type;
            found = ntypes++;
        }
#if defined(SL_HAVE_X86_SIMD)
        if (found >= 0 && p.path == MM_QGEMM && prep_offsets[found] == SIZE_MAX) {
            size_t bytes = round_up(qgemm_acts_bytes(cols, batch));
            if (bytes > SIZE_MAX / 4 - used)
                return sl_fail(err, SL_ERR_NOMEM, "matmul: activation scratch size overflows");
            prep_offsets[found] = used;
            used += bytes;
        }
#endif
    }
    size_t nth = (size_t)thread_pool_threads(ctx->pool);
    if (per_thread > (SIZE_MAX / 2 - used) / nth)
        return sl_fail(err, SL_ERR_NOMEM, "matmul: scratch size overflows");
    sl_status st = scratch_reserve(ctx, used + per_thread * nth, err);
    if (st != SL_OK)
        return st;
    for (int k = 0; k < ntypes; k++) {
        if (types[k] != TENSOR_F32)
            convert_batch(ctx, types[k], x, ldx, cols, batch, offsets[k], strides[k]);
#if defined(SL_HAVE_X86_SIMD)
        if (prep_offsets[k] != SIZE_MAX) {
            prep_job pj = {types[k], cols, batch, (const uint8_t *)ctx->scratch + offsets[k],
                           strides[k], (uint8_t *)ctx->scratch + prep_offsets[k]};
            thread_pool_run_independent(ctx->pool, prep_worker, &pj);
        }
#endif
    }
    mm_multi_job multi;
    multi.count = 0;
    multi.first_chunk[0] = 0;
    for (int i = 0; i < count; i++) {
        if (w[i].rows == 0)
            continue;
        mm_plan p = plan_for(ctx, &w[i], batch);
        if (batch == 1 && count > 1 && count <= MM_MULTI_MAX) {
            /* matrix-vector: collected into one job below (F32 weights use
             * x in place; every other type one converted row) */
            int k = 0;
            while (k < ntypes && types[k] != p.act_type)
                k++;
            if (k == ntypes)
                continue;
            const uint8_t *a = p.act_type == TENSOR_F32
                                   ? (const uint8_t *)x
                                   : (const uint8_t *)ctx->scratch + offsets[k];
            size_t a_stride = p.act_type == TENSOR_F32 ? (size_t)cols * sizeof(float) : strides[k];
            mm_job *j = &multi.parts[multi.count];
            setup_product(ctx, &w[i], p, a, a_stride, NULL, 1, y[i], ldy[i], used, per_thread, j);
            multi.first_chunk[multi.count + 1] =
                multi.first_chunk[multi.count] + (j->rows + j->chunk - 1) / j->chunk;
            multi.count++;
            continue;
        }
        for (int k = 0; k < ntypes; k++) {
            if (types[k] != p.act_type)
                continue;
            const uint8_t *a;
            size_t a_stride;
            if (p.act_type == TENSOR_F32) {
                a = (const uint8_t *)x;
                a_stride = (size_t)(batch > 1 ? ldx : cols) * sizeof(float);
            } else {
                a = (const uint8_t *)ctx->scratch + offsets[k];
                a_stride = strides[k];
            }
            const void *qg = prep_offsets[k] != SIZE_MAX
                                 ? (const uint8_t *)ctx->scratch + prep_offsets[k]
                                 : NULL;
            run_product(ctx, &w[i], p, a, a_stride, qg, batch, y[i], ldy[i], used, per_thread);
        }
    }
    if (multi.count > 0) {
        atomic_init(&multi.next, 0);
        thread_pool_run_independent(ctx->pool, mm_multi_worker, &multi);
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* float GEMM                                                           */

typedef struct kn_job {
    gemm_kn_fn fn;
    int64_t m, n, k;
    const float *a, *b;
    int64_t lda, ldb, ldc;
    float *c;
} kn_job;

/* C = A * B with B stored k x n: each row of C is a sum of rows of B
 * weighted by a row of A, so B's rows stream contiguously. Threads split
 * the rows of C when there are enough, else its columns (decode attention:
 * one query row). */
static void kn_worker(void *ctx, int ith, int nth)
{
    const kn_job *j = ctx;
    int64_t i0 = 0, i1 = j->m, c0 = 0, c1 = j->n;
    if (j->m >= 4 * nth)
        thread_pool_split(j->m, 4, ith, nth, &i0, &i1);
    else
        thread_pool_split(j->n, 16, ith, nth, &c0, &c1);
    if (i1 > i0 && c1 > c0)
        j->fn(i1 - i0, c0, c1, j->k, j->a + i0 * j->lda, j->lda, j->b, j->ldb, j->c + i0 * j->ldc,
              j->ldc);
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
            .path = m == 1 ? MM_ROWS : MM_TILES,
            .type = TENSOR_F32,
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
        j.chunk = chunk_rows(n, thread_pool_threads(pool), QTILE_MAX_R);
        atomic_init(&j.next, 0);
        thread_pool_run_independent(pool, mm_worker, &j);
        return SL_OK;
    }
    if (layout != GEMM_B_KN)
        return sl_fail(err, SL_ERR_ARG, "gemm_f32: unknown layout %d", (int)layout);
    kn_job j = {quant_kernels_active()->gemm_kn, m, n, k, a, b, lda, ldb, ldc, c};
    thread_pool_run_independent(pool, kn_worker, &j);
    return SL_OK;
}
