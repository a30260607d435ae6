/* Kernel benchmark: memory read bandwidth, quantized matrix-vector products
 * against it, and the throughput of batched products.
 *
 * Prints one line per figure, `name: value unit`:
 *   bandwidth_t{1,2}            STREAM-like read of a buffer far larger than
 *                               the last-level cache, best of several runs
 *   matvec_TYPE_t{1,2}          GB/s of weight bytes streamed by a
 *                               4096 x 4096 matrix-vector product
 *   matvec_TYPE_t{1,2}_pct      that as a % of bandwidth_t{1,2}
 *   matvec_TYPE_best_pct        the faster thread count as a % of the best
 *                               bandwidth of either thread count (goal: 80)
 *   batched_TYPE_bN_t{1,2}      GFLOP/s of the 4096 x 4096 product with N
 *                               activation columns (2 flops per weight per
 *                               column)
 * The matrix-vector products cycle through enough copies of the matrix to
 * exceed the last-level cache (a model's layers are not cache-resident), so
 * the figure is memory bandwidth, not L3.
 *
 * SIGHTLINE_SIMD=scalar|avx2|avx512 forces a kernel level;
 * SIGHTLINE_BENCH_QUICK=1 runs fewer repetitions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm/llm.h"

enum { ROWS = 4096, COLS = 4096 };
/* Bytes of distinct weights cycled through per matvec measurement: several
 * times a 32 MiB L3. */
#define MATVEC_WORKING_SET (192u << 20)
#define BANDWIDTH_BYTES (512u << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void *xmalloc(size_t n)
{
    void *p = aligned_alloc(64, (n + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "kernels: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

/* ---- bandwidth ---- */

typedef struct read_job {
    const uint64_t *buf;
    size_t words;
    uint64_t sums[256];
} read_job;

static void read_part(void *ctx, int ith, int nth)
{
    read_job *j = ctx;
    int64_t b, e;
    thread_pool_split((int64_t)j->words, 64, ith, nth, &b, &e);
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (int64_t i = b; i + 8 <= e; i += 8) {
        s0 += j->buf[i];
        s1 += j->buf[i + 1];
        s2 += j->buf[i + 2];
        s3 += j->buf[i + 3];
        s4 += j->buf[i + 4];
        s5 += j->buf[i + 5];
        s6 += j->buf[i + 6];
        s7 += j->buf[i + 7];
    }
    j->sums[ith] = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}

static double measure_bandwidth(thread_pool *pool, const uint64_t *buf, size_t bytes, int reps)
{
    read_job j = {.buf = buf, .words = bytes / 8};
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        thread_pool_run(pool, read_part, &j);
        double t = now_s() - t0;
        double gbs = (double)bytes / t * 1e-9;
        if (gbs > best)
            best = gbs;
    }
    return best;
}

/* ---- matrices ---- */

/* Random but valid weights: random quant bytes, moderate finite scales. */
static void fill_weights(tensor_type t, uint8_t *p, size_t bytes)
{
    for (size_t i = 0; i + 8 <= bytes; i += 8) {
        uint64_t v = rng();
        memcpy(p + i, &v, 8);
    }
    size_t bb = tensor_type_block_bytes(t);
    uint16_t half = f32_to_fp16(0.01f);
    for (size_t b = 0; b + bb <= bytes; b += bb) {
        switch (t) {
        case TENSOR_Q4_0:
        case TENSOR_Q8_0:
            memcpy(p + b, &half, 2);
            break;
        case TENSOR_Q4_K:
            memcpy(p + b, &half, 2);
            memcpy(p + b + 2, &half, 2);
            break;
        case TENSOR_Q6_K:
            memcpy(p + b + 208, &half, 2);
            break;
        case TENSOR_F16:
            for (size_t i = 0; i < bb; i += 2) {
                uint16_t h = f32_to_fp16((float)((int)(rng() % 2001) - 1000) * 1e-3f);
                memcpy(p + b + i, &h, 2);
            }
            break;
        default:
            break;
        }
    }
}

static double seconds_per_matvec(matmul_ctx *ctx, qmatrix *mats, int copies, const float *x,
                                 float *y, int passes)
{
    double best = 1e30;
    for (int p = 0; p < passes; p++) {
        double t0 = now_s();
        for (int c = 0; c < copies; c++) {
            sl_error err;
            if (matmul(ctx, &mats[c], x, COLS, 1, y, ROWS, &err) != SL_OK) {
                fprintf(stderr, "kernels: %s\n", err.msg);
                exit(1);
            }
        }
        double t = (now_s() - t0) / copies;
        if (t < best)
            best = t;
    }
    return best;
}

static double seconds_per_batch(matmul_ctx *ctx, const qmatrix *m, const float *x, int64_t batch,
                                float *y, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        sl_error err;
        if (matmul(ctx, m, x, COLS, batch, y, ROWS, &err) != SL_OK) {
            fprintf(stderr, "kernels: %s\n", err.msg);
            exit(1);
        }
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

int main(void)
{
    int quick = getenv("SIGHTLINE_BENCH_QUICK") != NULL;
    printf("simd_level: %s\n", simd_level_name(simd_level_active()));
    thread_pool *pools[2];
    matmul_ctx *ctxs[2];
    for (int t = 0; t < 2; t++) {
        sl_error err;
        if (thread_pool_create(t + 1, &pools[t], &err) != SL_OK ||
            matmul_ctx_create(pools[t], &ctxs[t], &err) != SL_OK) {
            fprintf(stderr, "kernels: %s\n", err.msg);
            return 1;
        }
    }

    /* bandwidth */
    uint64_t *buf = xmalloc(BANDWIDTH_BYTES);
    for (size_t i = 0; i < BANDWIDTH_BYTES / 8; i++)
        buf[i] = i * 0x9E3779B97F4A7C15ULL;
    double bw[2];
    for (int t = 0; t < 2; t++) {
        bw[t] = measure_bandwidth(pools[t], buf, BANDWIDTH_BYTES, quick ? 3 : 8);
        printf("bandwidth_t%d: %.1f GB/s\n", t + 1, bw[t]);
    }
    free(buf);
    double bw_best = bw[0] > bw[1] ? bw[0] : bw[1];

    float *x = xmalloc((size_t)COLS * 512 * sizeof(float));
    float *y = xmalloc((size_t)ROWS * 512 * sizeof(float));
    for (size_t i = 0; i < (size_t)COLS * 512; i++)
        x[i] = (float)((int)(rng() % 2001) - 1000) * 1e-3f;

    static const tensor_type types[] = {TENSOR_Q8_0, TENSOR_Q4_0, TENSOR_Q4_K, TENSOR_Q6_K,
                                        TENSOR_F16};
    static const char *const names[] = {"q8_0", "q4_0", "q4_k", "q6_k", "f16"};
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        tensor_type t = types[ti];
        size_t row_bytes;
        tensor_type_row_bytes(t, COLS, &row_bytes);
        size_t mat_bytes = row_bytes * ROWS;
        int copies = (int)(MATVEC_WORKING_SET / mat_bytes) + 1;
        if (t == TENSOR_F16)
            copies = 1; /* batched only */
        uint8_t **data = calloc((size_t)copies, sizeof *data);
        qmatrix *mats = calloc((size_t)copies, sizeof *mats);
        for (int c = 0; c < copies; c++) {
            data[c] = xmalloc(mat_bytes);
            fill_weights(t, data[c], mat_bytes);
            mats[c] = (qmatrix){.type = t, .rows = ROWS, .cols = COLS, .data = data[c]};
        }
        if (t != TENSOR_F16) {
            double best_gbs = 0;
            for (int th = 0; th < 2; th++) {
                double s = seconds_per_matvec(ctxs[th], mats, copies, x, y, quick ? 3 : 10);
                double gbs = (double)mat_bytes / s * 1e-9;
                printf("matvec_%s_t%d: %.1f GB/s\n", names[ti], th + 1, gbs);
                printf("matvec_%s_t%d_pct: %.0f %%\n", names[ti], th + 1, 100 * gbs / bw[th]);
                if (gbs > best_gbs)
                    best_gbs = gbs;
            }
            printf("matvec_%s_best_pct: %.0f %%\n", names[ti], 100 * best_gbs / bw_best);
        }
        static const int64_t batches[] = {64, 512};
        for (int bi = 0; bi < 2; bi++)
            for (int th = 0; th < 2; th++) {
                double s = seconds_per_batch(ctxs[th], &mats[0], x, batches[bi], y, quick ? 2 : 4);
                double gflops = 2.0 * ROWS * COLS * (double)batches[bi] / s * 1e-9;
                printf("batched_%s_b%lld_t%d: %.1f GFLOP/s\n", names[ti],
                       (long long)batches[bi], th + 1, gflops);
            }
        if (t == TENSOR_F16) {
            for (int th = 0; th < 2; th++) {
                matmul_ctx_set_precision(ctxs[th], MATMUL_PRECISION_BF16);
                double s = seconds_per_batch(ctxs[th], &mats[0], x, 512, y, quick ? 2 : 4);
                matmul_ctx_set_precision(ctxs[th], MATMUL_PRECISION_GGML);
                printf("batched_f16_bf16dot_b512_t%d: %.1f GFLOP/s\n", th + 1,
                       2.0 * ROWS * COLS * 512 / s * 1e-9);
            }
        }
        for (int c = 0; c < copies; c++)
            free(data[c]);
        free(data);
        free(mats);
        fflush(stdout);
    }
    free(x);
    free(y);
    for (int t = 0; t < 2; t++) {
        matmul_ctx_destroy(ctxs[t]);
        thread_pool_destroy(pools[t]);
    }
    return 0;
}
