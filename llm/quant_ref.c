/* Reference dequantizers and quantizers, plain C.
 *
 * The quantizers reproduce ggml's reference quantizers (ggml-quants.c,
 * quantize_row_*_ref) byte for byte: the same search for scales, the same
 * float operations in the same order, the same rounding (round-half-to-even
 * where ggml uses its nearest_int, truncation or roundf where ggml does).
 * This file is compiled with -ffp-contract=off so that no multiply-add is
 * fused, which would change the last bit of intermediate values and with it
 * the chosen quants. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "llm/fp16.h"
#include "llm/quant_internal.h"

/* ggml's smallest group maximum treated as non-zero in the K-quants. */
#define GROUP_EPS 1e-15f

/* Round half to even, as ggml's nearest_int (valid for |f| < 2^22; larger
 * values are clamped by every caller afterwards). */
static inline int round_even(float f)
{
    if (!(fabsf(f) < 4194304.0f)) /* also NaN: keep the result defined */
        return f > 0 ? 4194304 : -4194304;
    return (int)rintf(f);
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* (int) of a float known to be near [lo, hi], clamped without undefined
 * behaviour for stray values. */
static inline int trunc_clamped(float v, int lo, int hi)
{
    if (!(v >= (float)lo))
        return lo;
    if (v >= (float)hi + 1.0f)
        return hi;
    return (int)v;
}

/* ------------------------------------------------------------------ */
/* unquantized                                                          */

void dequantize_row_f32(const void *src, float *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void dequantize_row_f16(const void *src, float *dst, int64_t n)
{
    const uint8_t *s = src;
    for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, s + 2 * i, 2);
        dst[i] = fp16_to_f32(h);
    }
}

void dequantize_row_bf16(const void *src, float *dst, int64_t n)
{
    const uint8_t *s = src;
    for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, s + 2 * i, 2);
        dst[i] = bf16_to_f32(h);
    }
}

void quantize_row_f32_ref(const float *src, void *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void quantize_row_f16_ref(const float *src, void *dst, int64_t n)
{
    uint8_t *d = dst;
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = f32_to_fp16(src[i]);
        memcpy(d + 2 * i, &h, 2);
    }
}

void quantize_row_bf16_ref(const float *src, void *dst, int64_t n)
{
    uint8_t *d = dst;
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = f32_to_bf16(src[i]);
        memcpy(d + 2 * i, &h, 2);
    }
}

void fp16_to_f32_row_scalar(const uint16_t *src, float *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = fp16_to_f32(src[i]);
}

void f32_to_fp16_row_scalar(const float *src, uint16_t *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = f32_to_fp16(src[i]);
}

void bf16_to_f32_row_scalar(const uint16_t *src, float *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = bf16_to_f32(src[i]);
}

void f32_to_bf16_row_scalar(const float *src, uint16_t *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = f32_to_bf16(src[i]);
}

/* ------------------------------------------------------------------ */
/* 32-element blocks                                                    */

void dequantize_row_q4_0(const void *src, float *dst, int64_t n)
{
    const block_q4_0 *b = src;
    for (int64_t i = 0; i < n / QK4_0; i++, dst += QK4_0) {
        float d = fp16_to_f32(b[i].d);
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)((b[i].qs[j] & 0xf) - 8) * d;
            dst[j + 16] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void dequantize_row_q4_1(const void *src, float *dst, int64_t n)
{
    const block_q4_1 *b = src;
    for (int64_t i = 0; i < n / QK4_1; i++, dst += QK4_1) {
        float d = fp16_to_f32(b[i].d), m = fp16_to_f32(b[i].m);
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)(b[i].qs[j] & 0xf) * d + m;
            dst[j + 16] = (float)(b[i].qs[j] >> 4) * d + m;
        }
    }
}

static inline uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void dequantize_row_q5_0(const void *src, float *dst, int64_t n)
{
    const block_q5_0 *b = src;
    for (int64_t i = 0; i < n / QK5_0; i++, dst += QK5_0) {
        float d = fp16_to_f32(b[i].d);
        uint32_t qh = load_u32(b[i].qh);
        for (int j = 0; j < 16; j++) {
            int lo = (b[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4;
            int hi = (b[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            dst[j] = (float)(lo - 16) * d;
            dst[j + 16] = (float)(hi - 16) * d;
        }
    }
}

void dequantize_row_q5_1(const void *src, float *dst, int64_t n)
{
    const block_q5_1 *b = src;
    for (int64_t i = 0; i < n / QK5_1; i++, dst += QK5_1) {
        float d = fp16_to_f32(b[i].d), m = fp16_to_f32(b[i].m);
        uint32_t qh = load_u32(b[i].qh);
        for (int j = 0; j < 16; j++) {
            int lo = (b[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4;
            int hi = (b[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            dst[j] = (float)lo * d + m;
            dst[j + 16] = (float)hi * d + m;
        }
    }
}

void dequantize_row_q8_0(const void *src, float *dst, int64_t n)
{
    const block_q8_0 *b = src;
    for (int64_t i = 0; i < n / QK8_0; i++, dst += QK8_0) {
        float d = fp16_to_f32(b[i].d);
        for (int j = 0; j < QK8_0; j++)
            dst[j] = (float)b[i].qs[j] * d;
    }
}

void dequantize_row_q8_1(const void *src, float *dst, int64_t n)
{
    const block_q8_1 *b = src;
    for (int64_t i = 0; i < n / QK8_1; i++, dst += QK8_1) {
        float d = fp16_to_f32(b[i].d);
        for (int j = 0; j < QK8_1; j++)
            dst[j] = (float)b[i].qs[j] * d;
    }
}

/* The value of largest magnitude (the first one if several tie), signed. */
static float signed_absmax(const float *x, int n, float *amax_out)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++) {
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    *amax_out = amax;
    return max;
}

void quantize_row_q4_0_ref(const float *src, void *dst, int64_t n)
{
    block_q4_0 *b = dst;
    for (int64_t i = 0; i < n / QK4_0; i++, src += QK4_0) {
        float amax;
        float max = signed_absmax(src, QK4_0, &amax);
        /* The extreme value maps to -8 exactly, the end with one more step. */
        float d = max / -8.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (int j = 0; j < 16; j++) {
            int q0 = trunc_clamped(src[j] * id + 8.5f, 0, 15);
            int q1 = trunc_clamped(src[j + 16] * id + 8.5f, 0, 15);
            b[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

static void min_max(const float *x, int n, float *mn, float *mx)
{
    float lo = FLT_MAX, hi = -FLT_MAX;
    for (int j = 0; j < n; j++) {
        if (x[j] < lo)
            lo = x[j];
        if (x[j] > hi)
            hi = x[j];
    }
    *mn = lo;
    *mx = hi;
}

void quantize_row_q4_1_ref(const float *src, void *dst, int64_t n)
{
    block_q4_1 *b = dst;
    for (int64_t i = 0; i < n / QK4_1; i++, src += QK4_1) {
        float mn, mx;
        min_max(src, QK4_1, &mn, &mx);
        float d = (mx - mn) / 15.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        b[i].m = f32_to_fp16(mn);
        for (int j = 0; j < 16; j++) {
            int q0 = trunc_clamped((src[j] - mn) * id + 0.5f, 0, 15);
            int q1 = trunc_clamped((src[j + 16] - mn) * id + 0.5f, 0, 15);
            b[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

static inline void store_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void quantize_row_q5_0_ref(const float *src, void *dst, int64_t n)
{
    block_q5_0 *b = dst;
    for (int64_t i = 0; i < n / QK5_0; i++, src += QK5_0) {
        float amax;
        float max = signed_absmax(src, QK5_0, &amax);
        float d = max / -16.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = trunc_clamped(src[j] * id + 16.5f, 0, 31);
            int q1 = trunc_clamped(src[j + 16] * id + 16.5f, 0, 31);
            b[i].qs[j] = (uint8_t)((q0 & 0xf) | (q1 & 0xf) << 4);
            qh |= (uint32_t)(q0 >> 4) << j;
            qh |= (uint32_t)(q1 >> 4) << (j + 16);
        }
        store_u32(b[i].qh, qh);
    }
}

void quantize_row_q5_1_ref(const float *src, void *dst, int64_t n)
{
    block_q5_1 *b = dst;
    for (int64_t i = 0; i < n / QK5_1; i++, src += QK5_1) {
        float mn, mx;
        min_max(src, QK5_1, &mn, &mx);
        float d = (mx - mn) / 31.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        b[i].m = f32_to_fp16(mn);
        uint32_t qh = 0;
        for (int j = 0; j < 16; j++) {
            /* ggml does not clamp here; the top value cannot pass 31.5. */
            int q0 = trunc_clamped((src[j] - mn) * id + 0.5f, 0, 31);
            int q1 = trunc_clamped((src[j + 16] - mn) * id + 0.5f, 0, 31);
            b[i].qs[j] = (uint8_t)((q0 & 0xf) | (q1 & 0xf) << 4);
            qh |= (uint32_t)((q0 >> 4) & 1) << j;
            qh |= (uint32_t)((q1 >> 4) & 1) << (j + 16);
        }
        store_u32(b[i].qh, qh);
    }
}

static float absmax(const float *x, int n)
{
    float amax = 0.0f;
    for (int j = 0; j < n; j++) {
        float a = fabsf(x[j]);
        amax = amax > a ? amax : a;
    }
    return amax;
}

/* roundf (half away from zero) into int8 range. */
static inline int8_t round_away_i8(float v)
{
    if (!(v > -128.5f))
        return -128;
    if (v >= 127.5f)
        return 127;
    return (int8_t)roundf(v);
}

void quantize_row_q8_0_ref(const float *src, void *dst, int64_t n)
{
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / QK8_0; i++, src += QK8_0) {
        float amax = absmax(src, QK8_0);
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (int j = 0; j < QK8_0; j++)
            b[i].qs[j] = round_away_i8(src[j] * id);
    }
}

void quantize_row_q8_1_ref(const float *src, void *dst, int64_t n)
{
    block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / QK8_1; i++, src += QK8_1) {
        float amax = absmax(src, QK8_1);
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            b[i].qs[j] = round_away_i8(src[j] * id);
            sum += b[i].qs[j];
        }
        b[i].s = f32_to_fp16((float)sum * d);
    }
}

/* Round half to even into int8 range (ggml's AVX activation quantizer uses
 * the vector round-to-nearest-even instruction). */
static inline int8_t round_even_i8(float v)
{
    if (!(v > -128.5f))
        return -128;
    if (v >= 127.5f)
        return 127;
    return (int8_t)rintf(v);
}

/* What ggml's x86 quantize_row_q8_0 computes: d = amax / 127, but the
 * multiplier is 127 / amax (not 1 / d), and the rounding is to even. */
void quantize_row_q8_0_act_scalar(const float *src, void *dst, int64_t n)
{
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / QK8_0; i++, src += QK8_0) {
        float amax = absmax(src, QK8_0);
        float d = amax / 127.0f;
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (int j = 0; j < QK8_0; j++)
            b[i].qs[j] = round_even_i8(src[j] * id);
    }
}

void quantize_row_q8_1_act_scalar(const float *src, void *dst, int64_t n)
{
    block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / QK8_1; i++, src += QK8_1) {
        float amax = absmax(src, QK8_1);
        float d = amax / 127.0f;
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        b[i].d = f32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            b[i].qs[j] = round_even_i8(src[j] * id);
            sum += b[i].qs[j];
        }
        b[i].s = f32_to_fp16(d * (float)sum);
    }
}

/* ------------------------------------------------------------------ */
/* K-quants: dequantization                                             */

void dequantize_row_q2_K(const void *src, float *dst, int64_t n)
{
    const block_q2_K *b = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = fp16_to_f32(b[i].d), dmin = fp16_to_f32(b[i].dmin);
        for (int e = 0; e < QK_K; e++) {
            int h = e / 128, s = (e % 128) / 32, l = e % 32;
            int q = (b[i].qs[32 * h + l] >> (2 * s)) & 3;
            uint8_t sc = b[i].scales[e / 16];
            float dl = d * (float)(sc & 0xf), ml = dmin * (float)(sc >> 4);
            *dst++ = dl * (float)q - ml;
        }
    }
}

void dequantize_row_q3_K(const void *src, float *dst, int64_t n)
{
    const block_q3_K *b = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = fp16_to_f32(b[i].d);
        int8_t sc[16];
        q3k_scales(b[i].scales, sc);
        for (int e = 0; e < QK_K; e++) {
            int h = e / 128, s = (e % 128) / 32, l = e % 32;
            int q = (b[i].qs[32 * h + l] >> (2 * s)) & 3;
            int hbit = (b[i].hmask[l] >> (e / 32)) & 1;
            float dl = d * (float)sc[e / 16];
            *dst++ = dl * (float)(q - (hbit ? 0 : 4));
        }
    }
}

void dequantize_row_q4_K(const void *src, float *dst, int64_t n)
{
    const block_q4_K *b = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = fp16_to_f32(b[i].d), dmin = fp16_to_f32(b[i].dmin);
        for (int g = 0; g < 8; g++) {
            uint8_t sc, mn;
            q4k_scale_min(g, b[i].scales, &sc, &mn);
            float dl = d * (float)sc, ml = dmin * (float)mn;
            const uint8_t *q = b[i].qs + 32 * (g / 2);
            int shift = 4 * (g & 1);
            for (int l = 0; l < 32; l++)
                *dst++ = dl * (float)((q[l] >> shift) & 0xf) - ml;
        }
    }
}

void dequantize_row_q5_K(const void *src, float *dst, int64_t n)
{
    const block_q5_K *b = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = fp16_to_f32(b[i].d), dmin = fp16_to_f32(b[i].dmin);
        for (int g = 0; g < 8; g++) {
            uint8_t sc, mn;
            q4k_scale_min(g, b[i].scales, &sc, &mn);
            float dl = d * (float)sc, ml = dmin * (float)mn;
            const uint8_t *q = b[i].qs + 32 * (g / 2);
            int shift = 4 * (g & 1);
            for (int l = 0; l < 32; l++) {
                int v = ((q[l] >> shift) & 0xf) | ((b[i].qh[l] >> g) & 1) << 4;
                *dst++ = dl * (float)v - ml;
            }
        }
    }
}

void dequantize_row_q6_K(const void *src, float *dst, int64_t n)
{
    const block_q6_K *b = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        float d = fp16_to_f32(b[i].d);
        for (int e = 0; e < QK_K; e++) {
            int h = e / 128, s = (e % 128) / 32, l = e % 32;
            uint8_t lo = b[i].ql[64 * h + l + 32 * (s & 1)];
            int low4 = s < 2 ? lo & 0xf : lo >> 4;
            int high2 = (b[i].qh[32 * h + l] >> (2 * s)) & 3;
            int q = (low4 | high2 << 4) - 32;
            *dst++ = d * (float)b[i].scales[e / 16] * (float)q;
        }
    }
}

void dequantize_row_q8_K(const void *src, float *dst, int64_t n)
{
    const block_q8_K *b = src;
    for (int64_t i = 0; i < n / QK_K; i++)
        for (int j = 0; j < QK_K; j++)
            *dst++ = b[i].d * (float)b[i].qs[j];
}

/* ------------------------------------------------------------------ */
/* K-quants: the reference quantizers' scale searches                   */

/* Affine fit x ~ scale * L + min (min <= 0) with L in 0..nmax, minimizing
 * the weighted squared (or absolute) error over a few candidate scales.
 * Returns the scale; *neg_min gets -min. (ggml's make_qkx2_quants.) */
static float fit_affine(int n, int nmax, const float *x, const float *w, uint8_t *L,
                        float *neg_min, uint8_t *Laux, float rmin, float rdelta, int nstep,
                        bool use_mad)
{
    float min = x[0], max = x[0];
    float sum_w = w[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min)
            min = x[i];
        if (x[i] > max)
            max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0)
        min = 0;
    if (max == min) {
        memset(L, 0, (size_t)n);
        *neg_min = -min;
        return 0.0f;
    }
    float iscale = (float)nmax / (max - min);
    float scale = 1.0f / iscale;
    float best_error = 0;
    for (int i = 0; i < n; i++) {
        int l = clampi(round_even(iscale * (x[i] - min)), 0, nmax);
        L[i] = (uint8_t)l;
        float diff = scale * (float)l + min - x[i];
        diff = use_mad ? fabsf(diff) : diff * diff;
        best_error += w[i] * diff;
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = clampi(round_even(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = (uint8_t)l;
            float fl = (float)l;
            sum_l += w[i] * fl;
            sum_l2 += w[i] * fl * fl;
            sum_xl += w[i] * fl * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; i++) {
                float diff = this_scale * (float)Laux[i] + this_min - x[i];
                diff = use_mad ? fabsf(diff) : diff * diff;
                cur_error += w[i] * diff;
            }
            if (cur_error < best_error) {
                memcpy(L, Laux, (size_t)n);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *neg_min = -min;
    return scale;
}

/* Symmetric fit for Q3_K groups: x ~ scale * l, l in -nmax..nmax-1, refined
 * by moving single quants while the x^2-weighted fit improves. L gets
 * l + nmax (all zero for an all-zero group). (ggml's make_q3_quants.) */
static float fit_symmetric_q3(int n, int nmax, const float *x, int8_t *L)
{
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float iscale = (float)-nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = clampi(round_even(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)l;
        float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    for (int itry = 0; itry < 5; itry++) {
        int n_changed = 0;
        for (int i = 0; i < n; i++) {
            float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * (float)L[i];
            if (slx > 0) {
                float sl2 = suml2 - w * (float)L[i] * (float)L[i];
                int new_l = clampi(round_even(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (new_l != L[i]) {
                    slx += w * x[i] * (float)new_l;
                    sl2 += w * (float)new_l * (float)new_l;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)new_l;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed++;
                    }
                }
            }
        }
        if (!n_changed)
            break;
    }
    for (int i = 0; i < n; i++)
        L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* Symmetric fit for Q6_K groups, x^2-weighted, trying 18 scales around
 * nmax / max. L gets l + nmax. (ggml's make_qx_quants, rmse_type 1.) */
static float fit_symmetric_q6(int n, int nmax, const float *x, int8_t *L)
{
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float iscale = (float)-nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = clampi(round_even(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0)
            continue;
        iscale = -((float)nmax + 0.1f * (float)is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clampi(round_even(iscale * x[i]), -nmax, nmax - 1);
            float w = x[i] * x[i];
            sumlx += w * x[i] * (float)l;
            suml2 += w * (float)l * (float)l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++)
                L[i] = (int8_t)(nmax + clampi(round_even(iscale * x[i]), -nmax, nmax - 1));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* Q2_K/Q3_K/Q6_K pack 2 low bits of element 128h + 32s + l into bits 2s of
 * byte 32h + l. */
static void pack_2bit(const uint8_t *L, uint8_t *qs)
{
    for (int h = 0; h < QK_K; h += 128)
        for (int l = 0; l < 32; l++)
            qs[h / 4 + l] = (uint8_t)(L[h + l] | L[h + l + 32] << 2 | L[h + l + 64] << 4 |
                                      L[h + l + 96] << 6);
}

void quantize_row_q2_K_ref(const float *src, void *dst, int64_t n)
{
    block_q2_K *b = dst;
    uint8_t L[QK_K], Laux[16];
    float w[16], mins[16], scales[16];
    for (int64_t i = 0; i < n / QK_K; i++, src += QK_K) {
        float max_scale = 0, max_min = 0;
        for (int g = 0; g < 16; g++) {
            for (int l = 0; l < 16; l++)
                w[l] = fabsf(src[16 * g + l]);
            scales[g] = fit_affine(16, 3, src + 16 * g, w, L + 16 * g, &mins[g], Laux, -0.5f,
                                   0.1f, 15, true);
            if (scales[g] > max_scale)
                max_scale = scales[g];
            if (mins[g] > max_min)
                max_min = mins[g];
        }
        if (max_scale > 0) {
            float iscale = 15.0f / max_scale;
            for (int g = 0; g < 16; g++)
                b[i].scales[g] = (uint8_t)round_even(iscale * scales[g]);
            b[i].d = f32_to_fp16(max_scale / 15.0f);
        } else {
            memset(b[i].scales, 0, 16);
            b[i].d = f32_to_fp16(0.0f);
        }
        if (max_min > 0) {
            float iscale = 15.0f / max_min;
            for (int g = 0; g < 16; g++)
                b[i].scales[g] |= (uint8_t)(round_even(iscale * mins[g]) << 4);
            b[i].dmin = f32_to_fp16(max_min / 15.0f);
        } else {
            b[i].dmin = f32_to_fp16(0.0f);
        }
        for (int g = 0; g < 16; g++) {
            float d = fp16_to_f32(b[i].d) * (float)(b[i].scales[g] & 0xf);
            if (d == 0.0f)
                continue; /* keeps the quants of the fit */
            float dm = fp16_to_f32(b[i].dmin) * (float)(b[i].scales[g] >> 4);
            for (int l = 0; l < 16; l++)
                L[16 * g + l] = (uint8_t)clampi(round_even((src[16 * g + l] + dm) / d), 0, 3);
        }
        pack_2bit(L, b[i].qs);
    }
}

void quantize_row_q3_K_ref(const float *src, void *dst, int64_t n)
{
    block_q3_K *b = dst;
    int8_t L[QK_K];
    float scales[16];
    for (int64_t i = 0; i < n / QK_K; i++, src += QK_K) {
        float max_scale = 0, amax = 0;
        for (int g = 0; g < 16; g++) {
            scales[g] = fit_symmetric_q3(16, 4, src + 16 * g, L + 16 * g);
            float a = fabsf(scales[g]);
            if (a > amax) {
                amax = a;
                max_scale = scales[g];
            }
        }
        memset(b[i].scales, 0, 12);
        if (max_scale != 0.0f) {
            float iscale = -32.0f / max_scale;
            for (int g = 0; g < 16; g++) {
                int l = clampi((int8_t)round_even(iscale * scales[g]), -32, 31) + 32;
                if (g < 8)
                    b[i].scales[g] = (uint8_t)(l & 0xf);
                else
                    b[i].scales[g - 8] |= (uint8_t)((l & 0xf) << 4);
                b[i].scales[g % 4 + 8] |= (uint8_t)((l >> 4) << (2 * (g / 4)));
            }
            b[i].d = f32_to_fp16(1.0f / iscale);
        } else {
            b[i].d = f32_to_fp16(0.0f);
        }
        int8_t sc[16];
        q3k_scales(b[i].scales, sc);
        for (int g = 0; g < 16; g++) {
            float d = fp16_to_f32(b[i].d) * (float)sc[g];
            if (d == 0.0f)
                continue;
            for (int l = 0; l < 16; l++)
                L[16 * g + l] = (int8_t)(clampi(round_even(src[16 * g + l] / d), -4, 3) + 4);
        }
        memset(b[i].hmask, 0, sizeof b[i].hmask);
        uint8_t low[QK_K];
        for (int e = 0; e < QK_K; e++) {
            int v = L[e];
            if (v > 3) {
                b[i].hmask[e % 32] |= (uint8_t)(1u << (e / 32));
                v -= 4;
            }
            low[e] = (uint8_t)v;
        }
        pack_2bit(low, b[i].qs);
    }
}

/* Six-bit scales and mins of Q4_K/Q5_K: groups 0-3 in the low six bits of
 * bytes 0-3 (scales) and 4-7 (mins); groups 4-7 split into a nibble in bytes
 * 8-11 and two bits on top of bytes 0-7. */
static void pack_scale_min_k4(const uint8_t ls[8], const uint8_t lm[8], uint8_t s[12])
{
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = (uint8_t)((ls[j] & 0xf) | (lm[j] & 0xf) << 4);
            s[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            s[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
}

/* Shared by Q4_K (nmax 15) and Q5_K (nmax 31): fits each group of 32, packs
 * the scales, then requantizes with the rounded scales. */
static void quantize_k4_groups(const float *x, int nmax, float rmin, int nstep, uint8_t L[QK_K],
                               uint16_t *d_out, uint16_t *dmin_out, uint8_t scales_out[12])
{
    uint8_t Laux[32];
    float w[32], mins[8], scales[8];
    float max_scale = 0, max_min = 0;
    for (int g = 0; g < 8; g++) {
        const float *xg = x + 32 * g;
        float sum_x2 = 0;
        for (int l = 0; l < 32; l++)
            sum_x2 += xg[l] * xg[l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++)
            w[l] = av_x + fabsf(xg[l]);
        scales[g] = fit_affine(32, nmax, xg, w, L + 32 * g, &mins[g], Laux, rmin, 0.1f, nstep,
                               false);
        if (scales[g] > max_scale)
            max_scale = scales[g];
        if (mins[g] > max_min)
            max_min = mins[g];
    }
    float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    uint8_t ls[8], lm[8];
    for (int g = 0; g < 8; g++) {
        uint8_t a = (uint8_t)round_even(inv_scale * scales[g]);
        uint8_t m = (uint8_t)round_even(inv_min * mins[g]);
        ls[g] = a < 63 ? a : 63;
        lm[g] = m < 63 ? m : 63;
    }
    memset(scales_out, 0, 12);
    pack_scale_min_k4(ls, lm, scales_out);
    *d_out = f32_to_fp16(max_scale / 63.0f);
    *dmin_out = f32_to_fp16(max_min / 63.0f);
    for (int g = 0; g < 8; g++) {
        uint8_t sc, m;
        q4k_scale_min(g, scales_out, &sc, &m);
        float d = fp16_to_f32(*d_out) * (float)sc;
        if (d == 0.0f)
            continue;
        float dm = fp16_to_f32(*dmin_out) * (float)m;
        for (int l = 0; l < 32; l++)
            L[32 * g + l] = (uint8_t)clampi(round_even((x[32 * g + l] + dm) / d), 0, nmax);
    }
}

void quantize_row_q4_K_ref(const float *src, void *dst, int64_t n)
{
    block_q4_K *b = dst;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, src += QK_K) {
        uint16_t d, dmin;
        quantize_k4_groups(src, 15, -1.0f, 20, L, &d, &dmin, b[i].scales);
        b[i].d = d;
        b[i].dmin = dmin;
        for (int p = 0; p < 4; p++)
            for (int l = 0; l < 32; l++)
                b[i].qs[32 * p + l] = (uint8_t)(L[64 * p + l] | L[64 * p + 32 + l] << 4);
    }
}

void quantize_row_q5_K_ref(const float *src, void *dst, int64_t n)
{
    block_q5_K *b = dst;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, src += QK_K) {
        uint16_t d, dmin;
        quantize_k4_groups(src, 31, -0.5f, 15, L, &d, &dmin, b[i].scales);
        b[i].d = d;
        b[i].dmin = dmin;
        memset(b[i].qh, 0, sizeof b[i].qh);
        for (int p = 0; p < 4; p++)
            for (int l = 0; l < 32; l++) {
                int lo = L[64 * p + l], hi = L[64 * p + 32 + l];
                if (lo > 15) {
                    lo -= 16;
                    b[i].qh[l] |= (uint8_t)(1u << (2 * p));
                }
                if (hi > 15) {
                    hi -= 16;
                    b[i].qh[l] |= (uint8_t)(1u << (2 * p + 1));
                }
                b[i].qs[32 * p + l] = (uint8_t)(lo | hi << 4);
            }
    }
}

void quantize_row_q6_K_ref(const float *src, void *dst, int64_t n)
{
    block_q6_K *b = dst;
    int8_t L[QK_K];
    float scales[16];
    for (int64_t i = 0; i < n / QK_K; i++, src += QK_K) {
        float max_scale = 0, max_abs_scale = 0;
        for (int g = 0; g < 16; g++) {
            scales[g] = fit_symmetric_q6(16, 32, src + 16 * g, L + 16 * g);
            float a = fabsf(scales[g]);
            if (a > max_abs_scale) {
                max_abs_scale = a;
                max_scale = scales[g];
            }
        }
        if (max_abs_scale < GROUP_EPS) {
            memset(&b[i], 0, sizeof b[i]);
            continue;
        }
        float iscale = -128.0f / max_scale;
        b[i].d = f32_to_fp16(1.0f / iscale);
        for (int g = 0; g < 16; g++) {
            int s = round_even(iscale * scales[g]);
            b[i].scales[g] = (int8_t)(s < 127 ? s : 127);
        }
        for (int g = 0; g < 16; g++) {
            float d = fp16_to_f32(b[i].d) * (float)b[i].scales[g];
            if (d == 0.0f)
                continue;
            for (int l = 0; l < 16; l++)
                L[16 * g + l] = (int8_t)(clampi(round_even(src[16 * g + l] / d), -32, 31) + 32);
        }
        for (int h = 0; h < 2; h++) {
            const int8_t *Lh = L + 128 * h;
            uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            for (int l = 0; l < 32; l++) {
                ql[l] = (uint8_t)((Lh[l] & 0xf) | (Lh[l + 64] & 0xf) << 4);
                ql[l + 32] = (uint8_t)((Lh[l + 32] & 0xf) | (Lh[l + 96] & 0xf) << 4);
                qh[l] = (uint8_t)((Lh[l] >> 4) | (Lh[l + 32] >> 4) << 2 | (Lh[l + 64] >> 4) << 4 |
                                  (Lh[l + 96] >> 4) << 6);
            }
        }
    }
}

void quantize_row_q8_K_ref(const float *src, void *dst, int64_t n)
{
    block_q8_K *b = dst;
    for (int64_t i = 0; i < n / QK_K; i++, src += QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < QK_K; j++) {
            float ax = fabsf(src[j]);
            if (ax > amax) {
                amax = ax;
                max = src[j];
            }
        }
        if (amax == 0.0f) {
            b[i].d = 0;
            memset(b[i].qs, 0, QK_K);
            memset(b[i].bsums, 0, sizeof b[i].bsums);
            continue;
        }
        /* -127 (not -128) so that every quant fits the signed byte range
         * symmetrically, as ggml does. */
        float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) {
            int v = round_even(iscale * src[j]);
            b[i].qs[j] = (int8_t)(v < 127 ? (v > -128 ? v : -128) : 127);
        }
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++)
                sum += b[i].qs[16 * g + l];
            b[i].bsums[g] = (int16_t)sum;
        }
        b[i].d = 1.0f / iscale;
    }
}
