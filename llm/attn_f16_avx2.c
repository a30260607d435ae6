/* AVX2 (+FMA, F16C) versions of attn_f16.h's functions for CPUs without
 * AVX-512 (compiled with AVX2 flags, called only where the CPU has them).
 * The accumulation is element for element the AVX-512 one (fused update,
 * vcvtps2ph rounding, exp in double rounded once); the scores are summed
 * in eight lanes, another order than ggml's AVX-512 sum (within float
 * rounding). */
#include <immintrin.h>
#include <math.h>

#include "llm/attn_f16_internal.h"

static inline __m256 load_f16x8(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline __m256 round_f16x8(__m256 x)
{
    return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

void attn_f16_scores_avx2(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                          float scale, float *out)
{
    for (int64_t j = 0; j < n; j++) {
        const uint16_t *kr = k + (size_t)j * k_stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        for (int c = 0; c < d; c += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), load_f16x8(kr + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c + 8), load_f16x8(kr + c + 8), a1);
        }
        __m256 t = _mm256_add_ps(a0, a1);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        out[j] = _mm_cvtss_f32(h) * scale;
    }
}

/* exp(x) for x <= 0 in double, rounded once to float (see the AVX-512
 * version); 2^n built in the exponent bits (n >= -174: a normal double). */
static inline __m128 exp4_via_f64(__m128 xf)
{
    __m256d x = _mm256_cvtps_pd(xf);
    x = _mm256_max_pd(x, _mm256_set1_pd(-120.0));
    __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x);
    r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);
    static const double inv_fact[12] = {
        1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
        1.0 / 5040.0,     1.0 / 720.0,     1.0 / 120.0,    1.0 / 24.0,
        1.0 / 6.0,        0.5,             1.0,            1.0,
    };
    __m256d p = _mm256_set1_pd(1.0 / 479001600.0);
    for (int i = 0; i < 12; i++)
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(inv_fact[i]));
    /* n + 1023 into bits 52.. : adding 2^52 + 1023 leaves it in the low
     * mantissa bits */
    __m256i bits = _mm256_castpd_si256(_mm256_add_pd(n, _mm256_set1_pd(4503599627371519.0)));
    __m256d two_n = _mm256_castsi256_pd(_mm256_slli_epi64(bits, 52));
    return _mm256_cvtpd_ps(_mm256_mul_pd(p, two_n));
}

enum { ACC2_BLOCK = 64 };

/* One head; NV = d / 8 accumulators (d 64: 8 of the 16 registers). */
#define ACC2_V(i) a##i
#define ACC2_EACH(OP)                                                                         \
    do {                                                                                      \
        OP(0); OP(1); OP(2); OP(3); OP(4); OP(5); OP(6); OP(7);                               \
    } while (0)

static void accumulate64(const float *s, int64_t n_v, int64_t n_zero, const uint16_t *v,
                         size_t v_stride, float *acc, float *m, float *sum)
{
    __m256 a0, a1, a2, a3, a4, a5, a6, a7;
#define LOAD(i) a##i = _mm256_loadu_ps(acc + 8 * (i))
#define STORE(i) _mm256_storeu_ps(acc + 8 * (i), a##i)
#define SCALE(i) a##i = round_f16x8(_mm256_mul_ps(a##i, vms))
#define MAD(i) a##i = round_f16x8(_mm256_fmadd_ps(load_f16x8(vr + 8 * (i)), ve, a##i))
    ACC2_EACH(LOAD);
    float M = *m, S = *sum;
    const int64_t n = n_v + n_zero;
    float mx[ACC2_BLOCK], e[ACC2_BLOCK], x[ACC2_BLOCK];
    for (int64_t j0 = 0; j0 < n; j0 += ACC2_BLOCK) {
        int nb = n - j0 < ACC2_BLOCK ? (int)(n - j0) : ACC2_BLOCK;
        float run = M;
        for (int j = 0; j < nb; j++) {
            float sj = j0 + j < n_v ? s[j0 + j] : 0.0f;
            run = sj > run ? sj : run;
            mx[j] = run;
            x[j] = sj - run;
        }
        for (int j = nb; j < (nb + 3) / 4 * 4; j++)
            x[j] = 0.0f;
        for (int j = 0; j < nb; j += 4)
            _mm_storeu_ps(e + j, exp4_via_f64(_mm_loadu_ps(x + j)));
        for (int j = 0; j < nb; j++) {
            if (mx[j] != M) {
                float ms = expf(M - mx[j]);
                M = mx[j];
                const __m256 vms = _mm256_set1_ps(ms);
                ACC2_EACH(SCALE);
                S = fmaf(S, ms, e[j]);
            } else {
                S = S + e[j];
            }
            if (j0 + j < n_v) {
                const uint16_t *vr = v + (size_t)(j0 + j) * v_stride;
                const __m256 ve = _mm256_set1_ps(e[j]);
                ACC2_EACH(MAD);
            }
        }
    }
    ACC2_EACH(STORE);
#undef LOAD
#undef STORE
#undef SCALE
#undef MAD
    *m = M;
    *sum = S;
}

void attn_f16_accumulate_avx2(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                              int64_t n_zero, const uint16_t *v, size_t v_stride,
                              size_t v_head_stride, int d, float *acc, size_t acc_stride,
                              float *m, float *sum)
{
    /* d a multiple of 64: each 64-wide slice is independent but shares the
     * softmax state, so slices other than the first replay it */
    for (int h = 0; h < n_heads; h++) {
        const float *sh = s + (size_t)h * s_stride;
        const uint16_t *vh = v + (size_t)h * v_head_stride;
        float *ah = acc + (size_t)h * acc_stride;
        float m0 = m[h], s0 = sum[h];
        for (int c = 0; c < d; c += 64) {
            float mc = m0, sc = s0;
            accumulate64(sh, n_v, n_zero, vh + c, v_stride, ah + c, &mc, &sc);
            m[h] = mc;
            sum[h] = sc;
        }
    }
}
