/* Kernel tables shared by the scalar, AVX2, AVX-512 and NEON implementations
 * and the dispatch in quant.c / matmul.c. Not part of the public API. */
#ifndef SIGHTLINE_LLM_QUANT_INTERNAL_H
#define SIGHTLINE_LLM_QUANT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "llm/cpu_features.h"
#include "llm/quant_blocks.h"
#include "llm/tensor_type.h"

typedef void (*dequant_row_fn)(const void *src, float *dst, int64_t n);
typedef void (*quant_row_fn)(const float *src, void *dst, int64_t n);
typedef float (*vec_dot_fn)(int64_t n, const void *w, const void *a);

/* The dot products of nr weight rows with nc activation rows (quantized to
 * the vec_dot type), n elements each:
 *     y[c * ldy + r] = dot(w + r * w_stride, a + c * a_stride)
 * for r < nr, c < nc. nr and nc are at most QTILE_MAX_R / QTILE_MAX_C; the
 * matrix products cut their work into such tiles, and the SIMD versions
 * reuse every loaded weight block for all nc columns and every activation
 * block for all nr rows. */
enum { QTILE_MAX_R = 4, QTILE_MAX_C = 4 };
typedef void (*qtile_fn)(int64_t n, const void *w, size_t w_stride, int nr, const void *a,
                         size_t a_stride, int nc, float *y, size_t ldy);

/* A tile made of nr * nc independent dot products: the fallback for types
 * without a dedicated tile kernel. */
#define QTILE_FROM_DOT(name, dot)                                                             \
    static void name(int64_t n, const void *w, size_t w_stride, int nr, const void *a,      \
                     size_t a_stride, int nc, float *y, size_t ldy)                          \
    {                                                                                         \
        for (int c = 0; c < nc; c++)                                                          \
            for (int r = 0; r < nr; r++)                                                      \
                y[(size_t)c * ldy + (size_t)r] =                                              \
                    dot(n, (const uint8_t *)w + (size_t)r * w_stride,                         \
                        (const uint8_t *)a + (size_t)c * a_stride);                           \
    }

/* Matrix-vector product over nrows consecutive weight rows (row stride ws)
 * with one activation row: y[r] = dot(w + r * ws, a). Rows are streamed
 * one after another: reading several rows side by side halves the DRAM
 * bandwidth on Zen 4 (measured: 22 vs 14 GB/s for Q8_0). scratch holds at
 * least GEMV_SCRATCH_BYTES(n) bytes, 64-byte aligned, for the activation
 * row rearranged for the kernel; `prepared` says a previous call with the
 * same activations and scratch already did that (a thread working through
 * several chunks of rows prepares once). */
typedef void (*gemv_fn)(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                        float *y, void *scratch, int prepared);
#define GEMV_SCRATCH_BYTES(n) ((size_t)(n) * 4 + 4096)

/* Float GEMM with B stored k x n (gemm_f32's GEMM_B_KN): for i < m and
 * j0 <= j < j1, c[i * ldc + j] = sum_l a[i * lda + l] * b[l * ldb + j]. */
typedef void (*gemm_kn_fn)(int64_t m, int64_t j0, int64_t j1, int64_t k, const float *a,
                           int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc);

typedef struct quant_kernels {
    simd_level level;
    dequant_row_fn dequantize[TENSOR_TYPE_COUNT];
    quant_row_fn quantize_act[TENSOR_TYPE_COUNT]; /* indexed by activation type */
    vec_dot_fn vec_dot[TENSOR_TYPE_COUNT];        /* indexed by weight type */
    qtile_fn tile[TENSOR_TYPE_COUNT];             /* indexed by weight type */
    gemv_fn gemv[TENSOR_TYPE_COUNT];              /* NULL: rows of vec_dot */
    gemm_kn_fn gemm_kn;
    void (*fp16_to_f32)(const uint16_t *src, float *dst, int64_t n);
    void (*f32_to_fp16)(const float *src, uint16_t *dst, int64_t n);
    void (*bf16_to_f32)(const uint16_t *src, float *dst, int64_t n);
    void (*f32_to_bf16)(const float *src, uint16_t *dst, int64_t n);
} quant_kernels;

/* The table of a level; NULL when that level is not compiled into this
 * build or not supported by this CPU. */
const quant_kernels *quant_kernels_for(simd_level level);

/* The table of simd_level_active(). */
const quant_kernels *quant_kernels_active(void);

/* Per-ISA tables (each defined in its own file, compiled with its flags). */
extern const quant_kernels quant_kernels_scalar;
#if defined(SL_HAVE_X86_SIMD)
extern const quant_kernels quant_kernels_avx2;
extern const quant_kernels quant_kernels_avx512;
#endif
#if defined(SL_HAVE_NEON)
extern const quant_kernels quant_kernels_neon;
#endif

#if defined(SL_HAVE_X86_SIMD)
/* Batched products with AVX-512 BF16 (gemm_bf16_avx512.c); only when
 * simd_has_bf16_dot(). Rows [0, nrows) of w (type F32, F16 or BF16, stride
 * ws) times `batch` bfloat16 activation rows of k values (stride x_stride
 * bytes, a multiple of 4, zero-padded to an even length):
 * y[c * ldy + r] = sum_k w[r][k] x[c][k]. scratch: gemm_bf16_scratch_bytes(k),
 * 64-byte aligned. */
size_t gemm_bf16_scratch_bytes(int64_t k);
void gemm_bf16_rows(tensor_type wt, const uint8_t *w, size_t ws, int64_t nrows, int64_t k,
                    const uint16_t *x, size_t x_stride, int64_t batch, float *y, size_t ldy,
                    void *scratch);

/* Batched products of quantized weights with AVX-512 VNNI (quant_avx512.c),
 * 8 rows x 16 columns at a time. First the quantized activation rows (the
 * vec_dot type, stride as) are rearranged once per call into column groups
 * of 16: groups [g0, g1) into acts (qgemm_acts_bytes). Then rows [0, nrows)
 * of w: y[c * ldy + r] = dot(w row r, activation c); scratch per thread:
 * qgemm_panel_bytes(k). k is a multiple of 256 for K-quants, 32 otherwise. */
size_t qgemm_acts_bytes(int64_t k, int64_t batch);
size_t qgemm_panel_bytes(int64_t k);
void qgemm_prepare_acts(tensor_type act_type, int64_t k, const uint8_t *a, size_t as,
                        int64_t batch, int64_t g0, int64_t g1, void *acts);
void qgemm_rows(tensor_type wt, const uint8_t *w, size_t ws, int64_t nrows, int64_t k,
                const void *acts, int64_t batch, float *y, size_t ldy, void *scratch);
#endif

/* ---- scalar reference kernels, usable as fallbacks by every table ---- */

void dequantize_row_f32(const void *src, float *dst, int64_t n);
void dequantize_row_f16(const void *src, float *dst, int64_t n);
void dequantize_row_bf16(const void *src, float *dst, int64_t n);
void dequantize_row_q4_0(const void *src, float *dst, int64_t n);
void dequantize_row_q4_1(const void *src, float *dst, int64_t n);
void dequantize_row_q5_0(const void *src, float *dst, int64_t n);
void dequantize_row_q5_1(const void *src, float *dst, int64_t n);
void dequantize_row_q8_0(const void *src, float *dst, int64_t n);
void dequantize_row_q8_1(const void *src, float *dst, int64_t n);
void dequantize_row_q2_K(const void *src, float *dst, int64_t n);
void dequantize_row_q3_K(const void *src, float *dst, int64_t n);
void dequantize_row_q4_K(const void *src, float *dst, int64_t n);
void dequantize_row_q5_K(const void *src, float *dst, int64_t n);
void dequantize_row_q6_K(const void *src, float *dst, int64_t n);
void dequantize_row_q8_K(const void *src, float *dst, int64_t n);

void quantize_row_f32_ref(const float *src, void *dst, int64_t n);
void quantize_row_f16_ref(const float *src, void *dst, int64_t n);
void quantize_row_bf16_ref(const float *src, void *dst, int64_t n);
void quantize_row_q4_0_ref(const float *src, void *dst, int64_t n);
void quantize_row_q4_1_ref(const float *src, void *dst, int64_t n);
void quantize_row_q5_0_ref(const float *src, void *dst, int64_t n);
void quantize_row_q5_1_ref(const float *src, void *dst, int64_t n);
void quantize_row_q8_0_ref(const float *src, void *dst, int64_t n);
void quantize_row_q8_1_ref(const float *src, void *dst, int64_t n);
void quantize_row_q2_K_ref(const float *src, void *dst, int64_t n);
void quantize_row_q3_K_ref(const float *src, void *dst, int64_t n);
void quantize_row_q4_K_ref(const float *src, void *dst, int64_t n);
void quantize_row_q5_K_ref(const float *src, void *dst, int64_t n);
void quantize_row_q6_K_ref(const float *src, void *dst, int64_t n);
void quantize_row_q8_K_ref(const float *src, void *dst, int64_t n);

/* Activation quantizers as ggml's x86 CPU backend runs them (quant.h). */
void quantize_row_q8_0_act_scalar(const float *src, void *dst, int64_t n);
void quantize_row_q8_1_act_scalar(const float *src, void *dst, int64_t n);

float vec_dot_f32_scalar(int64_t n, const void *w, const void *a);
float vec_dot_f16_scalar(int64_t n, const void *w, const void *a);
float vec_dot_bf16_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q4_0_q8_0_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q4_1_q8_1_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q5_0_q8_0_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q5_1_q8_1_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q8_0_q8_0_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q2_K_q8_K_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q3_K_q8_K_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q4_K_q8_K_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q5_K_q8_K_scalar(int64_t n, const void *w, const void *a);
float vec_dot_q6_K_q8_K_scalar(int64_t n, const void *w, const void *a);

void gemm_kn_scalar(int64_t m, int64_t j0, int64_t j1, int64_t k, const float *a, int64_t lda,
                    const float *b, int64_t ldb, float *c, int64_t ldc);

void fp16_to_f32_row_scalar(const uint16_t *src, float *dst, int64_t n);
void f32_to_fp16_row_scalar(const float *src, uint16_t *dst, int64_t n);
void bf16_to_f32_row_scalar(const uint16_t *src, float *dst, int64_t n);
void f32_to_bf16_row_scalar(const float *src, uint16_t *dst, int64_t n);

/* The six-bit scale and min of group j (0..7) of a Q4_K/Q5_K block. */
static inline void q4k_scale_min(int j, const uint8_t *s, uint8_t *sc, uint8_t *mn)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4));
        *mn = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

/* The sixteen signed scales (-32..31) of a Q3_K block. */
static inline void q3k_scales(const uint8_t *packed, int8_t out[16])
{
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? packed[j] & 0xf : packed[j - 8] >> 4;
        int hi = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((lo | (hi << 4)) - 32);
    }
}

#endif
