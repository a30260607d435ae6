/* AVX-512 versions of the encoder's row operations (softmax, LayerNorm,
 * the tabulated activation), compiled with AVX-512 flags on their own and
 * chosen at run time (clip_encoder.c) when simd_level_active() is AVX-512.
 * Their results agree with the plain C versions within float rounding
 * (sums are ordered differently; exp is a polynomial within 2 ulp). */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "vision/clip_simd_internal.h"

/* e^x for x <= 0 (softmax arguments): x = k ln2 + r, |r| <= ln2 / 2, a
 * degree-6 polynomial for e^r (Cody-Waite split of ln2), then 2^k through
 * the exponent bits; below -87 the result is 0. */
static inline __m512 exp_neg(__m512 x)
{
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 ln2_hi = _mm512_set1_ps(0.693359375f);
    const __m512 ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
    __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, ln2_hi, x);
    r = _mm512_fnmadd_ps(k, ln2_lo, r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)),
                                  23);
    __m512 v = _mm512_mul_ps(p, _mm512_castsi512_ps(e));
    return _mm512_mask_blend_ps(tiny, v, _mm512_setzero_ps());
}

void clip_softmax_rows_avx512(float *s, int64_t rows, int64_t n, float scale)
{
    const __m512 vs = _mm512_set1_ps(scale);
    for (int64_t r = 0; r < rows; r++) {
        float *row = s + r * n;
        __m512 vmax = _mm512_set1_ps(-INFINITY);
        int64_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m512 v = _mm512_mul_ps(_mm512_loadu_ps(row + i), vs);
            _mm512_storeu_ps(row + i, v);
            vmax = _mm512_max_ps(vmax, v);
        }
        if (i < n) {
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
            __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + i), vs);
            _mm512_mask_storeu_ps(row + i, m, v);
            vmax = _mm512_mask_max_ps(vmax, m, vmax, v);
        }
        __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
        __m512 vsum = _mm512_setzero_ps();
        for (i = 0; i + 16 <= n; i += 16) {
            __m512 ex = exp_neg(_mm512_sub_ps(_mm512_loadu_ps(row + i), mx));
            _mm512_storeu_ps(row + i, ex);
            vsum = _mm512_add_ps(vsum, ex);
        }
        if (i < n) {
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
            __m512 ex = exp_neg(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + i), mx));
            ex = _mm512_maskz_mov_ps(m, ex);
            _mm512_mask_storeu_ps(row + i, m, ex);
            vsum = _mm512_add_ps(vsum, ex);
        }
        __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
        for (i = 0; i + 16 <= n; i += 16)
            _mm512_storeu_ps(row + i, _mm512_mul_ps(_mm512_loadu_ps(row + i), inv));
        if (i < n) {
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
            __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + i), inv);
            _mm512_mask_storeu_ps(row + i, m, v);
        }
    }
}

void clip_layer_norm_avx512(const float *x, float *y, int64_t n, float eps, const float *w,
                            const float *b)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        acc = _mm512_add_ps(acc, _mm512_loadu_ps(x + i));
    float sum = _mm512_reduce_add_ps(acc);
    for (; i < n; i++)
        sum += x[i];
    float mean = sum / (float)n;
    __m512 vm = _mm512_set1_ps(mean);
    acc = _mm512_setzero_ps();
    for (i = 0; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i), vm);
        _mm512_storeu_ps(y + i, d);
        acc = _mm512_fmadd_ps(d, d, acc);
    }
    float var = _mm512_reduce_add_ps(acc);
    for (; i < n; i++) {
        float d = x[i] - mean;
        y[i] = d;
        var += d * d;
    }
    float scale = 1.0f / sqrtf(var / (float)n + eps);
    __m512 vsc = _mm512_set1_ps(scale);
    for (i = 0; i + 16 <= n; i += 16) {
        __m512 v = _mm512_mul_ps(_mm512_loadu_ps(y + i), vsc);
        if (w)
            v = _mm512_mul_ps(v, _mm512_loadu_ps(w + i));
        if (b)
            v = _mm512_add_ps(v, _mm512_loadu_ps(b + i));
        _mm512_storeu_ps(y + i, v);
    }
    for (; i < n; i++) {
        float v = y[i] * scale;
        if (w)
            v *= w[i];
        if (b)
            v += b[i];
        y[i] = v;
    }
}

/* d = table[f16(d + b)] (as F16 -> float), with GELU's pass-through beyond
 * +-10 when `clamp`: the table lookup is a gather of 32-bit words at 2-byte
 * steps, keeping the low half. */
void clip_act_row_avx512(float *d, const float *b, int64_t n, const uint16_t *table, bool clamp)
{
    int64_t i = 0;
    const __m512 lo = _mm512_set1_ps(-10.0f), hi = _mm512_set1_ps(10.0f);
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(d + i);
        if (b)
            v = _mm512_add_ps(v, _mm512_loadu_ps(b + i));
        __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512i idx = _mm512_cvtepu16_epi32(h);
        __m512i g = _mm512_i32gather_epi32(idx, (const void *)table, 2);
        __m512 y = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
        if (clamp) {
            __mmask16 below = _mm512_cmp_ps_mask(v, lo, _CMP_LE_OQ);
            __mmask16 above = _mm512_cmp_ps_mask(v, hi, _CMP_GE_OQ);
            y = _mm512_mask_blend_ps(above, y, v);
            y = _mm512_mask_blend_ps(below, y, _mm512_setzero_ps());
        }
        _mm512_storeu_ps(d + i, y);
    }
    for (; i < n; i++)
        d[i] = clip_act_scalar(b ? d[i] + b[i] : d[i], table, clamp);
}
