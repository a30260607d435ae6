/* AVX-512 versions of attn_f16.h's functions (compiled with AVX-512 flags,
 * called only where the CPU has them). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "llm/attn_f16_internal.h"

static inline __m512 load_f16x16(const uint16_t *p)
{
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

static inline __m512 round_f16x16(__m512 x)
{
    return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

/* One key's 16 partial sums: ggml_vec_dot_f16's four accumulators of
 * fused products over steps of 64, then (0 + 2) + (1 + 3). */
static inline __m512 key_partials(const float *q, const uint16_t *kr, int d)
{
    __m512 p0 = _mm512_setzero_ps(), p1 = p0, p2 = p0, p3 = p0;
    for (int i = 0; i < d; i += 64) {
        p0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), load_f16x16(kr + i), p0);
        p1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), load_f16x16(kr + i + 16), p1);
        p2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 32), load_f16x16(kr + i + 32), p2);
        p3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 48), load_f16x16(kr + i + 48), p3);
    }
    return _mm512_add_ps(_mm512_add_ps(p0, p2), _mm512_add_ps(p1, p3));
}

/* Horizontal sums of 16 keys' partials at once, pairing lanes as
 * _mm512_reduce_add_ps does (i + i+8, i + i+4, i + i+2, i + i+1), so each
 * sum is bit-equal to reducing that key alone. */
static inline __m512 pair_halves(__m512 a, __m512 b) /* lanes 0-7: a, 8-15: b */
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}

static inline __m512 pair_quarters(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

static inline __m512 pair_lanes2(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}

static inline __m512 pair_lanes1(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

static inline __m512 reduce16(const __m512 t[16])
{
    __m512 c[8], e[4], f[2];
    for (int i = 0; i < 8; i++)
        c[i] = pair_halves(t[2 * i], t[2 * i + 1]);
    for (int i = 0; i < 4; i++)
        e[i] = pair_quarters(c[2 * i], c[2 * i + 1]);
    for (int i = 0; i < 2; i++)
        f[i] = pair_lanes2(e[2 * i], e[2 * i + 1]);
    __m512 g = pair_lanes1(f[0], f[1]);
    /* lane 4b + t now holds key 4t + b */
    const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(idx, g);
}

void attn_f16_scores_avx512(const float *q, const uint16_t *k, size_t k_stride, int64_t n,
                            int d, float scale, float *out)
{
    const __m512 vscale = _mm512_set1_ps(scale);
    for (int64_t j0 = 0; j0 < n; j0 += 16) {
        int nk = n - j0 < 16 ? (int)(n - j0) : 16;
        __m512 t[16];
        for (int i = 0; i < 16; i++)
            t[i] = i < nk ? key_partials(q, k + (size_t)(j0 + i) * k_stride, d)
                          : _mm512_setzero_ps();
        __m512 sums = _mm512_mul_ps(reduce16(t), vscale);
        _mm512_mask_storeu_ps(out + j0, (__mmask16)((1u << nk) - 1u), sums);
    }
}

/* exp(x) for x <= 0 (and -inf), computed in double (|error| < 2^-50
 * relative) and rounded once to float: the correctly rounded expf, float
 * subnormals included. */
static inline __m256 exp_via_f64(__m256 xf)
{
    __m512d x = _mm512_cvtps_pd(xf);
    x = _mm512_max_pd(x, _mm512_set1_pd(-120.0)); /* exp(-120) rounds to float 0 */
    __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* ln 2 split so that n * hi is exact */
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(6.93147180369123816490e-01), x);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.90821492927058770002e-10), r);
    /* Taylor series to r^12: |r| <= 0.347, truncation below 2e-16 */
    __m512d p = _mm512_set1_pd(1.0 / 479001600.0);
    static const double inv_fact[12] = {
        1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
        1.0 / 5040.0,     1.0 / 720.0,     1.0 / 120.0,    1.0 / 24.0,
        1.0 / 6.0,        0.5,             1.0,            1.0,
    };
    for (int i = 0; i < 12; i++)
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(inv_fact[i]));
    return _mm512_cvtpd_ps(_mm512_scalef_pd(p, n));
}

enum { ACC_BLOCK = 64, ACC_MAX_G = 4 };

/* For keys j0 .. j0+nb-1 (scores s[j] below n_v, 0 after): the running
 * maximum after each key (ggml's M, starting from m) and exp(s - M), which
 * is 1 where the key sets a new maximum. Prefix maxima 16 keys at a time
 * (lanes shifted by 1, 2, 4, 8 and the previous maximum). */
static inline void prepare_block(const float *s, int64_t j0, int nb, int64_t n_v, float m,
                                 float *mx, float *e)
{
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const __m512i last = _mm512_set1_epi32(15);
    __m512 carry = _mm512_set1_ps(m);
    for (int j = 0; j < nb; j += 16) {
        int64_t first = j0 + j;
        int64_t n_real = n_v - first;
        __mmask16 real = n_real >= 16 ? 0xffff : n_real <= 0 ? 0 : (__mmask16)((1u << n_real) - 1);
        __mmask16 valid = nb - j >= 16 ? 0xffff : (__mmask16)((1u << (nb - j)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(real, s + first);    /* zero keys: 0 */
        x = _mm512_mask_mov_ps(ninf, valid, x);               /* past the block: -inf */
        __m512i xi = _mm512_castps_si512(x), ni = _mm512_castps_si512(ninf);
        __m512 p = _mm512_max_ps(x, _mm512_castsi512_ps(_mm512_alignr_epi32(xi, ni, 15)));
        __m512i pi = _mm512_castps_si512(p);
        p = _mm512_max_ps(p, _mm512_castsi512_ps(_mm512_alignr_epi32(pi, ni, 14)));
        pi = _mm512_castps_si512(p);
        p = _mm512_max_ps(p, _mm512_castsi512_ps(_mm512_alignr_epi32(pi, ni, 12)));
        pi = _mm512_castps_si512(p);
        p = _mm512_max_ps(p, _mm512_castsi512_ps(_mm512_alignr_epi32(pi, ni, 8)));
        p = _mm512_max_ps(p, carry);
        carry = _mm512_permutexvar_ps(last, p);
        _mm512_storeu_ps(mx + j, p);
        __m512 d = _mm512_sub_ps(x, p);
        _mm256_storeu_ps(e + j, exp_via_f64(_mm512_castps512_ps256(d)));
        _mm256_storeu_ps(e + j + 8, exp_via_f64(_mm256_castpd_ps(
                                        _mm512_extractf64x4_pd(_mm512_castps_pd(d), 1))));
    }
}

/* Per head g (< G) and vector i (< NV) one named accumulator a<g><i>:
 * kept in registers (an array of them is spilled to the stack, and the
 * chain of every key then goes through memory). */
#define ACC_EACH_V(g, OP) \
    do { \
        OP(g, 0); \
        if (NV > 1) OP(g, 1); \
        if (NV > 2) { OP(g, 2); OP(g, 3); } \
        if (NV > 4) { OP(g, 4); OP(g, 5); OP(g, 6); OP(g, 7); } \
    } while (0)
#define ACC_EACH_HEAD(OP) \
    do { \
        OP(0); \
        if (G > 1) OP(1); \
        if (G > 2) OP(2); \
        if (G > 3) OP(3); \
    } while (0)
#define ACC_LOAD_V(g, i) a##g##i = _mm512_loadu_ps(acc + (size_t)(g) * acc_stride + 16 * (i))
#define ACC_STORE_V(g, i) _mm512_storeu_ps(acc + (size_t)(g) * acc_stride + 16 * (i), a##g##i)
#define ACC_SCALE_V(g, i) a##g##i = round_f16x16(_mm512_mul_ps(a##g##i, vms))
#define ACC_MAD_V(g, i) \
    a##g##i = round_f16x16(_mm512_fmadd_ps(load_f16x16(vr + 16 * (i)), ve, a##g##i))
#define ACC_LOAD(g) ACC_EACH_V(g, ACC_LOAD_V)
#define ACC_STORE(g) ACC_EACH_V(g, ACC_STORE_V)
#define ACC_MAX_STEP(g) \
    do { \
        if (mx[g][j] != M[g]) { \
            float ms = expf(M[g] - mx[g][j]); \
            M[g] = mx[g][j]; \
            const __m512 vms = _mm512_set1_ps(ms); \
            ACC_EACH_V(g, ACC_SCALE_V); \
            S[g] = fmaf(S[g], ms, e[g][j]); \
        } else { \
            S[g] = S[g] + e[g][j]; \
        } \
    } while (0)
#define ACC_V_STEP(g) \
    do { \
        const uint16_t *vr = v + (size_t)(g) * v_head_stride + (size_t)(j0 + j) * v_stride; \
        const __m512 ve = _mm512_set1_ps(e[g][j]); \
        ACC_EACH_V(g, ACC_MAD_V); \
    } while (0)

/* G heads side by side (their F16 sums are separate chains of conversions
 * whose latency one head alone would wait on); NV = d / 16 vectors each. */
static inline __attribute__((always_inline)) void
accumulate_g(const float *s, size_t s_stride, int64_t n_v, int64_t n_zero, const uint16_t *v,
             size_t v_stride, size_t v_head_stride, float *acc, size_t acc_stride, float *m,
             float *sum, const int G, const int NV)
{
    __m512 a00, a01, a02, a03, a04, a05, a06, a07, a10, a11, a12, a13, a14, a15, a16, a17, a20, a21, a22, a23, a24, a25, a26, a27, a30, a31, a32, a33, a34, a35, a36, a37;
    float M[ACC_MAX_G], S[ACC_MAX_G];
    for (int g = 0; g < G; g++) {
        M[g] = m[g];
        S[g] = sum[g];
    }
    ACC_EACH_HEAD(ACC_LOAD);
    const int64_t n = n_v + n_zero;
    float mx[ACC_MAX_G][ACC_BLOCK], e[ACC_MAX_G][ACC_BLOCK];
    for (int64_t j0 = 0; j0 < n; j0 += ACC_BLOCK) {
        int nb = n - j0 < ACC_BLOCK ? (int)(n - j0) : ACC_BLOCK;
        for (int g = 0; g < G; g++)
            prepare_block(s + (size_t)g * s_stride, j0, nb, n_v, M[g], mx[g], e[g]);
        int nv = n_v - j0 < nb ? (int)(n_v - j0) : nb; /* keys with values here */
        if (nv < 0)
            nv = 0;
        int j = 0;
        for (; j < nv; j++) {
            ACC_EACH_HEAD(ACC_MAX_STEP);
            ACC_EACH_HEAD(ACC_V_STEP);
        }
        for (; j < nb; j++)
            ACC_EACH_HEAD(ACC_MAX_STEP);
    }
    ACC_EACH_HEAD(ACC_STORE);
    for (int g = 0; g < G; g++) {
        m[g] = M[g];
        sum[g] = S[g];
    }
}

void attn_f16_accumulate_avx512(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                                int64_t n_zero, const uint16_t *v, size_t v_stride,
                                size_t v_head_stride, int d, float *acc, size_t acc_stride,
                                float *m, float *sum)
{
    for (int h = 0; h < n_heads;) {
        int g = n_heads - h;
        const float *sh = s + (size_t)h * s_stride;
        const uint16_t *vh = v + (size_t)h * v_head_stride;
        float *ah = acc + (size_t)h * acc_stride;
#define ACC_CALL(G, NV)                                                                       \
    accumulate_g(sh, s_stride, n_v, n_zero, vh, v_stride, v_head_stride, ah, acc_stride, m + h, \
                 sum + h, G, NV)
        if (d <= 64) {
            /* up to four heads side by side; three rather than 2 + 1 */
            g = g >= 4 ? 4 : g;
            if (d == 64) {
                if (g == 4)
                    ACC_CALL(4, 4);
                else if (g == 3)
                    ACC_CALL(3, 4);
                else if (g == 2)
                    ACC_CALL(2, 4);
                else
                    ACC_CALL(1, 4);
            } else if (d == 32) {
                if (g == 4)
                    ACC_CALL(4, 2);
                else if (g == 3)
                    ACC_CALL(3, 2);
                else if (g == 2)
                    ACC_CALL(2, 2);
                else
                    ACC_CALL(1, 2);
            } else {
                g = 1;
                ACC_CALL(1, 1);
            }
        } else {
            g = g >= 2 ? 2 : 1;
            if (g == 2)
                ACC_CALL(2, 8);
            else
                ACC_CALL(1, 8);
        }
#undef ACC_CALL
        h += g;
    }
}
