/* Matrix products over the thread pool: quantized weights times a batch of
 * activation vectors (the decoder's and encoders' layers), and plain float
 * GEMM (attention scores and values).
 *
 * Layouts. Everything is row-major, in ggml's convention:
 *   W  a weight matrix as stored in GGUF (qmatrix): `rows` rows of `cols`
 *      elements; cols is ggml's ne[0], the reduction dimension. Row r starts
 *      at data + r * row_stride bytes.
 *   X  `batch` activation vectors of `cols` floats; vector b at x + b * ldx.
 *   Y  `batch` output vectors of `rows` floats; vector b at y + b * ldy.
 * matmul computes
 *      y_b[r] = sum_k W[r][k] * x_b[k]      for r < rows, b < batch,
 * i.e. Y = X * W^T (ggml_mul_mat(W, X)). Y must not overlap X or W.
 *
 * Numerics: each x_b is first quantized to the type ggml pairs with W's type
 * (tensor_type_vec_dot_type, llm/quant.h: Q8_0 for Q4_0 ...), once per call,
 * exactly as ggml's CPU backend does; then every output is the dot product
 * of a W row with quantized x_b. The integer sums are exact; the float sums
 * may be ordered differently from vec_dot(), so outputs equal per-row
 * vec_dot within float rounding (a few ulps of the sum of |products|, times
 * the number of blocks), and bitwise where the tile kernels run (batches of
 * 2-5, or every batch below AVX-512).
 *
 * Paths (chosen per call, all split over the pool's threads by rows):
 *   batch 1        the decode path: each thread streams its contiguous range
 *                  of rows one after another (reading rows side by side
 *                  halves DRAM bandwidth), with 512-bit kernels for Q4_0,
 *                  Q8_0, Q4_K, Q6_K, F16, F32, BF16; 90-100% of the measured
 *                  read bandwidth at 2 threads on the target (bench/kernels).
 *   batch >= 6     quantized weights, AVX-512 VNNI: 8 rows x 16 columns per
 *                  step (~300 GFLOP/s per Zen 4 core for 4-8-bit types).
 *   batch >= 8     BF16 weights, and F16/F32 weights under
 *                  MATMUL_PRECISION_BF16, with AVX512_BF16 dot products.
 *   otherwise      tiles of 4 rows x 4 columns kept in cache.
 * The scratch (activations, repacked weight panels) belongs to the context
 * and grows to the largest call. */
#ifndef SIGHTLINE_LLM_MATMUL_H
#define SIGHTLINE_LLM_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/tensor_type.h"
#include "llm/threadpool.h"

typedef struct qmatrix {
    tensor_type type;  /* a weight type of quant_weight_type_supported() */
    int64_t rows;      /* ne[1] */
    int64_t cols;      /* ne[0]: a whole number of the type's blocks */
    size_t row_stride; /* bytes from row to row; 0 means packed rows */
    const void *data;
} qmatrix;

/* Checks type, sizes and stride (not the data pointer's extent). */
sl_status qmatrix_check(const qmatrix *w, sl_error *err);

/* How F16, BF16 and F32 weights are multiplied.
 * GGML: like ggml's CPU backend: activations rounded to the weight type
 *   (F16 -> F16 activations, BF16 -> BF16), products summed in float.
 * BF16: weights and activations rounded to bfloat16 and multiplied with
 *   AVX-512 BF16 dot products (vdpbf16ps) where the CPU has them, about
 *   twice the throughput; each product then carries a relative error up to
 *   about 2^-8. For encoders (ViT, Whisper) where that is acceptable.
 *   Quantized weight types are unaffected. Without AVX512_BF16 it behaves
 *   as GGML. */
typedef enum matmul_precision {
    MATMUL_PRECISION_GGML = 0,
    MATMUL_PRECISION_BF16 = 1,
} matmul_precision;

/* Holds the pool (not owned: it must outlive the context) and scratch
 * memory for quantized activations that grows to the largest call and is
 * reused. pool may be NULL: everything then runs on the calling thread,
 * which makes a context usable inside another pool's job. One context must
 * not be used by two threads at once. */
typedef struct matmul_ctx matmul_ctx;

sl_status matmul_ctx_create(thread_pool *pool, matmul_ctx **out, sl_error *err);
void matmul_ctx_destroy(matmul_ctx *ctx);
thread_pool *matmul_ctx_pool(const matmul_ctx *ctx);
void matmul_ctx_set_precision(matmul_ctx *ctx, matmul_precision precision);

/* y_b = W x_b for b < batch (layouts above); ldx >= cols, ldy >= rows. */
sl_status matmul(matmul_ctx *ctx, const qmatrix *w, const float *x, int64_t ldx,
                 int64_t batch, float *y, int64_t ldy, sl_error *err);

/* The same for `count` matrices that share the input (Q/K/V, gate/up): all
 * must have the same cols; the activations are quantized once per distinct
 * vec_dot type. Output i goes to y[i] with stride ldy[i]. */
sl_status matmul_many(matmul_ctx *ctx, int count, const qmatrix w[], const float *x,
                      int64_t ldx, int64_t batch, float *const y[], const int64_t ldy[],
                      sl_error *err);

/* Plain float GEMM, C (m x n, row stride ldc) = A (m x k, row stride lda)
 * times B, where B is
 *   GEMM_B_NK: n rows of k (row stride ldb):  C[i][j] = sum_l A[i][l] B[j][l]
 *              (A * B^T, e.g. attention scores Q K^T with K stored per row);
 *   GEMM_B_KN: k rows of n (row stride ldb):  C[i][j] = sum_l A[i][l] B[l][j]
 *              (A * B, e.g. attention output P V).
 * Full float precision (FMA). pool may be NULL (calling thread only). C must
 * not overlap A or B. */
typedef enum gemm_b_layout {
    GEMM_B_NK = 0,
    GEMM_B_KN = 1,
} gemm_b_layout;

sl_status gemm_f32(thread_pool *pool, gemm_b_layout layout, int64_t m, int64_t n, int64_t k,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
                   int64_t ldc, sl_error *err);

#endif
