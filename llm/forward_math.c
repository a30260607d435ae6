/* The decoder's exp-heavy element-wise steps, in plain C written so that the
 * compiler vectorizes them. This file is built with -fno-trapping-math:
 * without it GCC may not turn the comparisons of the clamp and the maximum
 * into vector selects (a comparison with a NaN could raise an exception
 * flag), and the loops stay scalar. Nothing here relies on floating-point
 * exception flags. The baseline copy (SSE2 on x86-64) is no faster than
 * libm; the AVX2 and AVX-512 copies are several times faster. */
#include "llm/forward_math.h"

/* Built once per instruction set (llm/meson.build): the suffix names the
 * copy (_base, _avx2, _avx512) and the compiler flags do the rest. */
#ifndef FORWARD_MATH_SUFFIX
#define FORWARD_MATH_SUFFIX _base
#endif
#define FM_CAT2(a, b) a##b
#define FM_CAT(a, b) FM_CAT2(a, b)
#define softmax_row FM_CAT(softmax_row, FORWARD_MATH_SUFFIX)
#define silu_mul FM_CAT(silu_mul, FORWARD_MATH_SUFFIX)

#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(x) for a whole array, written so that the compiler vectorizes it
 * with whatever the baseline instruction set offers (libm's expf is a call
 * per element, and softmax and SiLU evaluate tens of millions of them per
 * prompt). x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial,
 * 2^n put into the exponent bits; relative error below 2e-7 over the
 * range, inputs clamped to [-87.3, 88.7] (below: a tiny normal, never
 * 0/NaN; the callers only pass x <= 0 or SiLU arguments). ggml's own
 * vectorized softmax and SiLU use an approximate exp as well. */
static inline float exp_approx(float x)
{
    x = x > -87.3f ? x : -87.3f;
    x = x < 88.7f ? x : 88.7f;
    const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float t = x * 1.44269504f + round_magic;
    float n = t - round_magic;
    float r = x - n * 0.693145752f; /* ln2 in two parts (Cody-Waite) */
    r = r - n * 1.42860677e-6f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t tb, pb;
    memcpy(&tb, &t, 4);
    memcpy(&pb, &p, 4);
    uint32_t magic_bits = 0x4b400000u; /* bits of round_magic */
    pb += (tb - magic_bits) << 23;
    memcpy(&p, &pb, 4);
    return p;
}

/* p = softmax(scale * s) over n scores, in place; the maximum and the sum
 * kept in several partial accumulators so the loops are not one long
 * dependency chain, the sum in double as ggml does. */
void softmax_row(float *s, int32_t n, float scale)
{
    float m4[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int32_t t = 0;
    for (; t + 4 <= n; t += 4)
        for (int k = 0; k < 4; k++) {
            s[t + k] *= scale;
            m4[k] = s[t + k] > m4[k] ? s[t + k] : m4[k];
        }
    for (; t < n; t++) {
        s[t] *= scale;
        m4[0] = s[t] > m4[0] ? s[t] : m4[0];
    }
    float mx = m4[0];
    for (int k = 1; k < 4; k++)
        mx = m4[k] > mx ? m4[k] : mx;
    for (t = 0; t < n; t++)
        s[t] = exp_approx(s[t] - mx);
    double d4[4] = {0, 0, 0, 0};
    for (t = 0; t + 4 <= n; t += 4)
        for (int k = 0; k < 4; k++)
            d4[k] += (double)s[t + k];
    for (; t < n; t++)
        d4[0] += (double)s[t];
    float inv = (float)(1.0 / ((d4[0] + d4[1]) + (d4[2] + d4[3])));
    for (t = 0; t < n; t++)
        s[t] *= inv;
}

void silu_mul(float *gate, const float *up, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + exp_approx(-g)) * up[i];
    }
}
