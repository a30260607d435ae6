/* AArch64 Advanced SIMD (NEON) kernels.
 *
 * Baseline ARMv8.0: 8-bit products with vmull_s8 and pairwise widening
 * adds (exact: 128 * 128 fits 16 bits); vdotq_s32 where the compiler
 * targets the dot-product extension. The per-block float arithmetic is done
 * in the scalar reference's order, so the quantized dot products give the
 * scalar reference's bits. Formats without a NEON version here use the
 * scalar kernels. */
#include <arm_neon.h>
#include <string.h>

#include "llm/fp16.h"
#include "llm/quant_internal.h"

static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b)
{
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    int16x8_t hi = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, lo), hi);
#endif
}

/* 16 bytes of 0x10 where bits [16*half, 16*half + 16) of qh are set. */
static inline uint8x16_t fifth_bits(uint32_t qh, int half)
{
    static const uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    uint8_t b0 = (uint8_t)(qh >> (16 * half)), b1 = (uint8_t)(qh >> (16 * half + 8));
    uint8x16_t v = vcombine_u8(vdup_n_u8(b0), vdup_n_u8(b1));
    return vandq_u8(vtstq_u8(v, vld1q_u8(bit)), vdupq_n_u8(0x10));
}

static float neon_dot_q4_0(int64_t n, const void *w, const void *a)
{
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        uint8x16_t q = vld1q_u8(x[i].qs);
        int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f))), vdupq_n_s8(8));
        int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8));
        int32x4_t s = dot16(dot16(vdupq_n_s32(0), lo, vld1q_s8(y[i].qs)), hi,
                            vld1q_s8(y[i].qs + 16));
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)vaddvq_s32(s);
    }
    return sum;
}

static float neon_dot_q4_1(int64_t n, const void *w, const void *a)
{
    const block_q4_1 *x = w;
    const block_q8_1 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        uint8x16_t q = vld1q_u8(x[i].qs);
        int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f)));
        int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));
        int32x4_t s = dot16(dot16(vdupq_n_s32(0), lo, vld1q_s8(y[i].qs)), hi,
                            vld1q_s8(y[i].qs + 16));
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)vaddvq_s32(s) +
               fp16_to_f32(x[i].m) * fp16_to_f32(y[i].s);
    }
    return sum;
}

static float neon_dot_q5_0(int64_t n, const void *w, const void *a)
{
    const block_q5_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        uint8x16_t q = vld1q_u8(x[i].qs);
        uint8x16_t lo = vorrq_u8(vandq_u8(q, vdupq_n_u8(0x0f)), fifth_bits(qh, 0));
        uint8x16_t hi = vorrq_u8(vshrq_n_u8(q, 4), fifth_bits(qh, 1));
        int8x16_t l = vsubq_s8(vreinterpretq_s8_u8(lo), vdupq_n_s8(16));
        int8x16_t h = vsubq_s8(vreinterpretq_s8_u8(hi), vdupq_n_s8(16));
        int32x4_t s = dot16(dot16(vdupq_n_s32(0), l, vld1q_s8(y[i].qs)), h,
                            vld1q_s8(y[i].qs + 16));
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)vaddvq_s32(s);
    }
    return sum;
}

static float neon_dot_q5_1(int64_t n, const void *w, const void *a)
{
    const block_q5_1 *x = w;
    const block_q8_1 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        uint8x16_t q = vld1q_u8(x[i].qs);
        uint8x16_t lo = vorrq_u8(vandq_u8(q, vdupq_n_u8(0x0f)), fifth_bits(qh, 0));
        uint8x16_t hi = vorrq_u8(vshrq_n_u8(q, 4), fifth_bits(qh, 1));
        int32x4_t s = dot16(dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(lo), vld1q_s8(y[i].qs)),
                            vreinterpretq_s8_u8(hi), vld1q_s8(y[i].qs + 16));
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)vaddvq_s32(s) +
               fp16_to_f32(x[i].m) * fp16_to_f32(y[i].s);
    }
    return sum;
}

static float neon_dot_q8_0(int64_t n, const void *w, const void *a)
{
    const block_q8_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int32x4_t s = dot16(dot16(vdupq_n_s32(0), vld1q_s8(x[i].qs), vld1q_s8(y[i].qs)),
                            vld1q_s8(x[i].qs + 16), vld1q_s8(y[i].qs + 16));
        sum += fp16_to_f32(x[i].d) * fp16_to_f32(y[i].d) * (float)vaddvq_s32(s);
    }
    return sum;
}

static float neon_dot_q4_K(int64_t n, const void *w, const void *a)
{
    const block_q4_K *x = w;
    const block_q8_K *y = a;
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int isum = 0, msum = 0;
        for (int p = 0; p < 4; p++) {
            uint8x16_t r0 = vld1q_u8(x[i].qs + 32 * p), r1 = vld1q_u8(x[i].qs + 32 * p + 16);
            const int8_t *q8 = y[i].qs + 64 * p;
            int32x4_t s0 = dot16(vdupq_n_s32(0),
                                 vreinterpretq_s8_u8(vandq_u8(r0, vdupq_n_u8(0x0f))), vld1q_s8(q8));
            s0 = dot16(s0, vreinterpretq_s8_u8(vandq_u8(r1, vdupq_n_u8(0x0f))), vld1q_s8(q8 + 16));
            int32x4_t s1 = dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(vshrq_n_u8(r0, 4)),
                                 vld1q_s8(q8 + 32));
            s1 = dot16(s1, vreinterpretq_s8_u8(vshrq_n_u8(r1, 4)), vld1q_s8(q8 + 48));
            uint8_t sc, mn;
            q4k_scale_min(2 * p, x[i].scales, &sc, &mn);
            isum += sc * vaddvq_s32(s0);
            msum += mn * (y[i].bsums[4 * p] + y[i].bsums[4 * p + 1]);
            q4k_scale_min(2 * p + 1, x[i].scales, &sc, &mn);
            isum += sc * vaddvq_s32(s1);
            msum += mn * (y[i].bsums[4 * p + 2] + y[i].bsums[4 * p + 3]);
        }
        float d = fp16_to_f32(x[i].d) * y[i].d;
        float dmin = fp16_to_f32(x[i].dmin) * y[i].d;
        sum += d * (float)isum - dmin * (float)msum;
    }
    return sum;
}

static float neon_dot_q6_K(int64_t n, const void *w, const void *a)
{
    const block_q6_K *x = w;
    const block_q8_K *y = a;
    float sum = 0;
    const uint8x16_t m4 = vdupq_n_u8(0x0f), m3 = vdupq_n_u8(0x03);
    for (int64_t i = 0; i < n / QK_K; i++) {
        int isum = 0;
        for (int h = 0; h < 2; h++) {
            for (int half16 = 0; half16 < 2; half16++) { /* l in [0,16) or [16,32) */
                int o = 16 * half16;
                uint8x16_t l0 = vld1q_u8(x[i].ql + 64 * h + o);
                uint8x16_t l1 = vld1q_u8(x[i].ql + 64 * h + 32 + o);
                uint8x16_t hb = vld1q_u8(x[i].qh + 32 * h + o);
                uint8x16_t q[4];
                q[0] = vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(hb, m3), 4));
                q[1] = vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), m3), 4));
                q[2] = vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), m3), 4));
                q[3] = vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4));
                for (int s = 0; s < 4; s++) {
                    /* elements 128h + 32s + o .. +16: group 8h + 2s + half16 */
                    int8x16_t v = vsubq_s8(vreinterpretq_s8_u8(q[s]), vdupq_n_s8(32));
                    const int8_t *aq = y[i].qs + 128 * h + 32 * s + o;
                    int32x4_t d = dot16(vdupq_n_s32(0), v, vld1q_s8(aq));
                    isum += x[i].scales[8 * h + 2 * s + half16] * vaddvq_s32(d);
                }
            }
        }
        sum += fp16_to_f32(x[i].d) * y[i].d * (float)isum;
    }
    return sum;
}

static float neon_dot_f32(int64_t n, const void *w, const void *a)
{
    const float *x = w, *y = a;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        acc0 = vfmaq_f32(acc0, vld1q_f32(x + i), vld1q_f32(y + i));
        acc1 = vfmaq_f32(acc1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
    for (; i < n; i++)
        sum += x[i] * y[i];
    return sum;
}

static float neon_dot_f16(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t xv = vreinterpretq_f16_u16(vld1q_u16(x + i));
        float16x8_t yv = vreinterpretq_f16_u16(vld1q_u16(y + i));
        acc0 = vfmaq_f32(acc0, vcvt_f32_f16(vget_low_f16(xv)), vcvt_f32_f16(vget_low_f16(yv)));
        acc1 = vfmaq_f32(acc1, vcvt_high_f32_f16(xv), vcvt_high_f32_f16(yv));
    }
    float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
    for (; i < n; i++)
        sum += fp16_to_f32(x[i]) * fp16_to_f32(y[i]);
    return sum;
}

static float neon_dot_bf16(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t xv = vld1q_u16(x + i), yv = vld1q_u16(y + i);
        float32x4_t x0 = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(xv), 16));
        float32x4_t x1 = vreinterpretq_f32_u32(vshll_high_n_u16(xv, 16));
        float32x4_t y0 = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(yv), 16));
        float32x4_t y1 = vreinterpretq_f32_u32(vshll_high_n_u16(yv, 16));
        acc0 = vfmaq_f32(acc0, x0, y0);
        acc1 = vfmaq_f32(acc1, x1, y1);
    }
    float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
    for (; i < n; i++)
        sum += bf16_to_f32(x[i]) * bf16_to_f32(y[i]);
    return sum;
}

/* Q8_0 activations as ggml's x86 code makes them (see quant.h): 127/amax,
 * ties to even (vcvtnq rounds to nearest even). */
static void neon_quantize_q8_0(const float *src, void *dst, int64_t n)
{
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / QK8_0; i++, src += QK8_0) {
        float32x4_t v[8];
        float32x4_t m = vdupq_n_f32(0);
        for (int j = 0; j < 8; j++) {
            v[j] = vld1q_f32(src + 4 * j);
            m = vmaxq_f32(m, vabsq_f32(v[j]));
        }
        float amax = vmaxvq_f32(m);
        float d = amax / 127.0f;
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (int j = 0; j < 8; j += 2) {
            int32x4_t i0 = vcvtnq_s32_f32(vmulq_n_f32(v[j], id));
            int32x4_t i1 = vcvtnq_s32_f32(vmulq_n_f32(v[j + 1], id));
            int16x8_t s16 = vcombine_s16(vqmovn_s32(i0), vqmovn_s32(i1));
            vst1_s8(b[i].qs + 4 * j, vqmovn_s16(s16));
        }
    }
}

static void neon_fp16_to_f32(const uint16_t *src, float *dst, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(dst + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(src + i))));
    for (; i < n; i++)
        dst[i] = fp16_to_f32(src[i]);
}

static void neon_dequantize_f16(const void *src, float *dst, int64_t n)
{
    neon_fp16_to_f32(src, dst, n);
}

QTILE_FROM_DOT(tile_f32, neon_dot_f32)
QTILE_FROM_DOT(tile_f16, neon_dot_f16)
QTILE_FROM_DOT(tile_bf16, neon_dot_bf16)
QTILE_FROM_DOT(tile_q4_0, neon_dot_q4_0)
QTILE_FROM_DOT(tile_q4_1, neon_dot_q4_1)
QTILE_FROM_DOT(tile_q5_0, neon_dot_q5_0)
QTILE_FROM_DOT(tile_q5_1, neon_dot_q5_1)
QTILE_FROM_DOT(tile_q8_0, neon_dot_q8_0)
QTILE_FROM_DOT(tile_q2_K, vec_dot_q2_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q3_K, vec_dot_q3_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q4_K, neon_dot_q4_K)
QTILE_FROM_DOT(tile_q5_K, vec_dot_q5_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q6_K, neon_dot_q6_K)

const quant_kernels quant_kernels_neon = {
    .level = SIMD_NEON,
    .dequantize =
        {
            [TENSOR_F32] = dequantize_row_f32,
            [TENSOR_F16] = neon_dequantize_f16,
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
            [TENSOR_Q8_0] = neon_quantize_q8_0,
            [TENSOR_Q8_1] = quantize_row_q8_1_act_scalar,
            [TENSOR_Q8_K] = quantize_row_q8_K_ref,
        },
    .vec_dot =
        {
            [TENSOR_F32] = neon_dot_f32,
            [TENSOR_F16] = neon_dot_f16,
            [TENSOR_BF16] = neon_dot_bf16,
            [TENSOR_Q4_0] = neon_dot_q4_0,
            [TENSOR_Q4_1] = neon_dot_q4_1,
            [TENSOR_Q5_0] = neon_dot_q5_0,
            [TENSOR_Q5_1] = neon_dot_q5_1,
            [TENSOR_Q8_0] = neon_dot_q8_0,
            [TENSOR_Q2_K] = vec_dot_q2_K_q8_K_scalar,
            [TENSOR_Q3_K] = vec_dot_q3_K_q8_K_scalar,
            [TENSOR_Q4_K] = neon_dot_q4_K,
            [TENSOR_Q5_K] = vec_dot_q5_K_q8_K_scalar,
            [TENSOR_Q6_K] = neon_dot_q6_K,
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
    .fp16_to_f32 = neon_fp16_to_f32,
    .f32_to_fp16 = f32_to_fp16_row_scalar,
    .bf16_to_f32 = bf16_to_f32_row_scalar,
    .f32_to_bf16 = f32_to_bf16_row_scalar,
};
