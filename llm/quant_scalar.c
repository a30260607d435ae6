/* Dot products in plain C: the reference every SIMD version is tested
 * against. Each block's integer sum is exact; the float accumulation is one
 * running sum in block order. */
#include <string.h>

#include "llm/fp16.h"
#include "llm/quant_internal.h"

float vec_dot_f32_scalar(int64_t n, const void *w, const void *a)
{
    const float *x = w, *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += x[i] * y[i];
    return sum;
}

float vec_dot_f16_scalar(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += fp16_to_f32(x[i]) * fp16_to_f32(y[i]);
    return sum;
}

float vec_dot_bf16_scalar(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += bf16_to_f32(x[i]) * bf16_to_f32(y[i]);
    return sum;
}

float vec_dot_q4_0_q8_0_scalar(int64_t n, const void *w, const void *a)
{
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int s = 0;
        for (int j = 0; j < 16; j++) {
            s += ((x[i].qs[j] & 0xf) - 8) * y[i].qs[j];
            s += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
        }
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)s;
    }
    return sum;
}

float vec_dot_q4_1_q8_1_scalar(int64_t n, const void *w, const void *a)
{
    const block_q4_1 *x = w;
    const block_q8_1 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        int s = 0;
        for (int j = 0; j < 16; j++) {
            s += (x[i].qs[j] & 0xf) * y[i].qs[j];
            s += (x[i].qs[j] >> 4) * y[i].qs[j + 16];
        }
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)s +
               fp16_to_f32(x[i].m) * fp16_to_f32(y[i].s);
    }
    return sum;
}

static inline uint32_t qh_word(const uint8_t qh[4])
{
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 |
           (uint32_t)qh[3] << 24;
}

float vec_dot_q5_0_q8_0_scalar(int64_t n, const void *w, const void *a)
{
    const block_q5_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        uint32_t qh = qh_word(x[i].qh);
        int s = 0;
        for (int j = 0; j < 16; j++) {
            int lo = ((x[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4) - 16;
            int hi = ((x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4) - 16;
            s += lo * y[i].qs[j] + hi * y[i].qs[j + 16];
        }
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)s;
    }
    return sum;
}

float vec_dot_q5_1_q8_1_scalar(int64_t n, const void *w, const void *a)
{
    const block_q5_1 *x = w;
    const block_q8_1 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        uint32_t qh = qh_word(x[i].qh);
        int s = 0;
        for (int j = 0; j < 16; j++) {
            int lo = (x[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4;
            int hi = (x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            s += lo * y[i].qs[j] + hi * y[i].qs[j + 16];
        }
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)s +
               fp16_to_f32(x[i].m) * fp16_to_f32(y[i].s);
    }
    return sum;
}

float vec_dot_q8_0_q8_0_scalar(int64_t n, const void *w, const void *a)
{
    const block_q8_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int s = 0;
        for (int j = 0; j < QK8_0; j++)
            s += x[i].qs[j] * y[i].qs[j];
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)s;
    }
    return sum;
}

/* K-quants: per super-block, isum = sum over groups of scale * dot(q, a)
 * and msum = sum over groups of min * sum(a) (from the Q8_K bsums), both
 * exact integers; the float result is d * da * isum - dmin * da * msum. */

float vec_dot_q2_K_q8_K_scalar(int64_t n, const void *w, const void *a)
{
    const block_q2_K *x = w;
    const block_q8_K *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int isum = 0, msum = 0;
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int k = 0; k < 16; k++) {
                int e = 16 * g + k;
                int h = e / 128, sh = (e % 128) / 32, l = e % 32;
                int q = (x[i].qs[32 * h + l] >> (2 * sh)) & 3;
                s += q * y[i].qs[e];
            }
            isum += (x[i].scales[g] & 0xf) * s;
            msum += (x[i].scales[g] >> 4) * y[i].bsums[g];
        }
        float dall = y[i].d * fp16_to_f32(x[i].d);
        float dmin = y[i].d * fp16_to_f32(x[i].dmin);
        sum += dall * (float)isum - dmin * (float)msum;
    }
    return sum;
}

float vec_dot_q3_K_q8_K_scalar(int64_t n, const void *w, const void *a)
{
    const block_q3_K *x = w;
    const block_q8_K *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int8_t sc[16];
        q3k_scales(x[i].scales, sc);
        int isum = 0;
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int k = 0; k < 16; k++) {
                int e = 16 * g + k;
                int h = e / 128, sh = (e % 128) / 32, l = e % 32;
                int q = (x[i].qs[32 * h + l] >> (2 * sh)) & 3;
                int hbit = (x[i].hmask[l] >> (e / 32)) & 1;
                s += (q - (hbit ? 0 : 4)) * y[i].qs[e];
            }
            isum += sc[g] * s;
        }
        sum += fp16_to_f32(x[i].d) * y[i].d * (float)isum;
    }
    return sum;
}

float vec_dot_q4_K_q8_K_scalar(int64_t n, const void *w, const void *a)
{
    const block_q4_K *x = w;
    const block_q8_K *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int isum = 0, msum = 0;
        for (int g = 0; g < 8; g++) {
            uint8_t sc, mn;
            q4k_scale_min(g, x[i].scales, &sc, &mn);
            const uint8_t *q = x[i].qs + 32 * (g / 2);
            int shift = 4 * (g & 1);
            int s = 0;
            for (int l = 0; l < 32; l++)
                s += ((q[l] >> shift) & 0xf) * y[i].qs[32 * g + l];
            isum += sc * s;
            msum += mn * (y[i].bsums[2 * g] + y[i].bsums[2 * g + 1]);
        }
        float d = fp16_to_f32(x[i].d) * y[i].d;
        float dmin = fp16_to_f32(x[i].dmin) * y[i].d;
        sum += d * (float)isum - dmin * (float)msum;
    }
    return sum;
}

float vec_dot_q5_K_q8_K_scalar(int64_t n, const void *w, const void *a)
{
    const block_q5_K *x = w;
    const block_q8_K *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int isum = 0, msum = 0;
        for (int g = 0; g < 8; g++) {
            uint8_t sc, mn;
            q4k_scale_min(g, x[i].scales, &sc, &mn);
            const uint8_t *q = x[i].qs + 32 * (g / 2);
            int shift = 4 * (g & 1);
            int s = 0;
            for (int l = 0; l < 32; l++) {
                int v = ((q[l] >> shift) & 0xf) | ((x[i].qh[l] >> g) & 1) << 4;
                s += v * y[i].qs[32 * g + l];
            }
            isum += sc * s;
            msum += mn * (y[i].bsums[2 * g] + y[i].bsums[2 * g + 1]);
        }
        float d = fp16_to_f32(x[i].d) * y[i].d;
        float dmin = fp16_to_f32(x[i].dmin) * y[i].d;
        sum += d * (float)isum - dmin * (float)msum;
    }
    return sum;
}

float vec_dot_q6_K_q8_K_scalar(int64_t n, const void *w, const void *a)
{
    const block_q6_K *x = w;
    const block_q8_K *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int isum = 0;
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int k = 0; k < 16; k++) {
                int e = 16 * g + k;
                int h = e / 128, sh = (e % 128) / 32, l = e % 32;
                uint8_t lo = x[i].ql[64 * h + l + 32 * (sh & 1)];
                int low4 = sh < 2 ? lo & 0xf : lo >> 4;
                int high2 = (x[i].qh[32 * h + l] >> (2 * sh)) & 3;
                s += ((low4 | high2 << 4) - 32) * y[i].qs[e];
            }
            isum += x[i].scales[g] * s;
        }
        sum += fp16_to_f32(x[i].d) * y[i].d * (float)isum;
    }
    return sum;
}

void gemm_kn_scalar(int64_t m, int64_t j0, int64_t j1, int64_t k, const float *a, int64_t lda,
                    const float *b, int64_t ldb, float *c, int64_t ldc)
{
    for (int64_t i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        for (int64_t j = j0; j < j1; j++)
            ci[j] = 0;
        for (int64_t l = 0; l < k; l++) {
            float s = a[i * lda + l];
            const float *bl = b + l * ldb;
            for (int64_t j = j0; j < j1; j++)
                ci[j] += s * bl[j];
        }
    }
}

QTILE_FROM_DOT(tile_f32, vec_dot_f32_scalar)
QTILE_FROM_DOT(tile_f16, vec_dot_f16_scalar)
QTILE_FROM_DOT(tile_bf16, vec_dot_bf16_scalar)
QTILE_FROM_DOT(tile_q4_0, vec_dot_q4_0_q8_0_scalar)
QTILE_FROM_DOT(tile_q4_1, vec_dot_q4_1_q8_1_scalar)
QTILE_FROM_DOT(tile_q5_0, vec_dot_q5_0_q8_0_scalar)
QTILE_FROM_DOT(tile_q5_1, vec_dot_q5_1_q8_1_scalar)
QTILE_FROM_DOT(tile_q8_0, vec_dot_q8_0_q8_0_scalar)
QTILE_FROM_DOT(tile_q2_K, vec_dot_q2_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q3_K, vec_dot_q3_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q4_K, vec_dot_q4_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q5_K, vec_dot_q5_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q6_K, vec_dot_q6_K_q8_K_scalar)

const quant_kernels quant_kernels_scalar = {
    .level = SIMD_SCALAR,
    .dequantize =
        {
            [TENSOR_F32] = dequantize_row_f32,
            [TENSOR_F16] = dequantize_row_f16,
            [TENSOR_BF16] = dequantize_row_bf16,
            [TENSOR_Q4_0] = dequantize_row_q4_0,
            [TENSOR_Q4_1] = dequantize_row_q4_1,
            [TENSOR_Q5_0] = dequantize_row_q5_0,
            [TENSOR_Q5_1] = dequantize_row_q5_1,
            [TENSOR_Q8_0] = dequantize_row_q8_0,
            [TENSOR_Q8_1] = dequantize_row_q8_1,
            [TENSOR_Q2_K] = dequantize_row_q2_K,
            [TENSOR_Q3_K] = dequantize_row_q3_K,
            [TENSOR_Q4_K] = dequantize_row_q4_K,
            [TENSOR_Q5_K] = dequantize_row_q5_K,
            [TENSOR_Q6_K] = dequantize_row_q6_K,
            [TENSOR_Q8_K] = dequantize_row_q8_K,
        },
    .quantize_act =
        {
            [TENSOR_F32] = quantize_row_f32_ref,
            [TENSOR_F16] = quantize_row_f16_ref,
            [TENSOR_BF16] = quantize_row_bf16_ref,
            [TENSOR_Q8_0] = quantize_row_q8_0_act_scalar,
            [TENSOR_Q8_1] = quantize_row_q8_1_act_scalar,
            [TENSOR_Q8_K] = quantize_row_q8_K_ref,
        },
    .vec_dot =
        {
            [TENSOR_F32] = vec_dot_f32_scalar,
            [TENSOR_F16] = vec_dot_f16_scalar,
            [TENSOR_BF16] = vec_dot_bf16_scalar,
            [TENSOR_Q4_0] = vec_dot_q4_0_q8_0_scalar,
            [TENSOR_Q4_1] = vec_dot_q4_1_q8_1_scalar,
            [TENSOR_Q5_0] = vec_dot_q5_0_q8_0_scalar,
            [TENSOR_Q5_1] = vec_dot_q5_1_q8_1_scalar,
            [TENSOR_Q8_0] = vec_dot_q8_0_q8_0_scalar,
            [TENSOR_Q2_K] = vec_dot_q2_K_q8_K_scalar,
            [TENSOR_Q3_K] = vec_dot_q3_K_q8_K_scalar,
            [TENSOR_Q4_K] = vec_dot_q4_K_q8_K_scalar,
            [TENSOR_Q5_K] = vec_dot_q5_K_q8_K_scalar,
            [TENSOR_Q6_K] = vec_dot_q6_K_q8_K_scalar,
        },
    .tile =
        {
            [TENSOR_F32] = tile_f32,
            [TENSOR_F16] = tile_f16,
            [TENSOR_BF16] = tile_bf16,
            [TENSOR_Q4_0] = tile_q4_0,
            [TENSOR_Q4_1] = tile_q4_1,
            [TENSOR_Q5_0] = tile_q5_0,
            [TENSOR_Q5_1] = tile_q5_1,
            [TENSOR_Q8_0] = tile_q8_0,
            [TENSOR_Q2_K] = tile_q2_K,
            [TENSOR_Q3_K] = tile_q3_K,
            [TENSOR_Q4_K] = tile_q4_K,
            [TENSOR_Q5_K] = tile_q5_K,
            [TENSOR_Q6_K] = tile_q6_K,
        },
    .gemm_kn = gemm_kn_scalar,
    .fp16_to_f32 = fp16_to_f32_row_scalar,
    .f32_to_fp16 = f32_to_fp16_row_scalar,
    .bf16_to_f32 = bf16_to_f32_row_scalar,
    .f32_to_bf16 = f32_to_bf16_row_scalar,
};
