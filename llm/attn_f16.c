/* F16 flash-attention pieces: the exact C reference, a portable fast
 * version for CPUs without AVX-512, and the run-time choice of the AVX-512
 * versions (attn_f16_avx512.c); see attn_f16.h. */
#include "llm/attn_f16.h"

#include <math.h>

#include "llm/attn_f16_internal.h"
#include "llm/cpu_features.h"
#include "llm/fp16.h"

static inline float round_to_f16(float x)
{
    return fp16_to_f32(f32_to_fp16(x));
}

void attn_f16_scores_ref(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                         float scale, float *out)
{
    for (int64_t j = 0; j < n; j++) {
        const uint16_t *kr = k + (size_t)j * k_stride;
        /* ggml: steps of 64 in four 16-lane sums, the rest in double */
        int np = d / 64 * 64;
        double sum = 0;
        if (np > 0) {
            float p[4][16] = {{0}};
            for (int i = 0; i < np; i += 64)
                for (int a = 0; a < 4; a++)
                    for (int l = 0; l < 16; l++) {
                        int c = i + a * 16 + l;
                        p[a][l] = fmaf(q[c], fp16_to_f32(kr[c]), p[a][l]);
                    }
            float t[16];
            for (int l = 0; l < 16; l++)
                t[l] = (p[0][l] + p[2][l]) + (p[1][l] + p[3][l]);
            for (int w = 8; w >= 1; w /= 2)
                for (int l = 0; l < w; l++)
                    t[l] = t[l] + t[l + w];
            sum = t[0];
        }
        for (int c = np; c < d; c++)
            sum += (double)(q[c] * fp16_to_f32(kr[c]));
        out[j] = (float)sum * scale;
    }
}

static void accumulate_one(const float *s, int64_t n_v, int64_t n_zero, const uint16_t *v,
                           size_t v_stride, int d, float *acc, float *m, float *sum)
{
    float M = *m, S = *sum;
    for (int64_t j = 0; j < n_v + n_zero; j++) {
        float sj = j < n_v ? s[j] : 0.0f;
        float ms = 1.0f, vs = 1.0f;
        if (sj > M) {
            float m_old = M;
            M = sj;
            ms = expf(m_old - M);
            for (int c = 0; c < d; c++)
                acc[c] = round_to_f16(acc[c] * ms);
        } else {
            vs = expf(sj - M);
        }
        if (j < n_v) {
            const uint16_t *vr = v + (size_t)j * v_stride;
            for (int c = 0; c < d; c++)
                acc[c] = round_to_f16(fmaf(fp16_to_f32(vr[c]), vs, acc[c]));
        }
        S = fmaf(S, ms, vs);
    }
    *m = M;
    *sum = S;
}

void attn_f16_accumulate_ref(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                             int64_t n_zero, const uint16_t *v, size_t v_stride,
                             size_t v_head_stride, int d, float *acc, size_t acc_stride,
                             float *m, float *sum)
{
    for (int h = 0; h < n_heads; h++)
        accumulate_one(s + (size_t)h * s_stride, n_v, n_zero, v + (size_t)h * v_head_stride,
                       v_stride, d, acc + (size_t)h * acc_stride, m + h, sum + h);
}

/* The portable versions for CPUs without AVX2 or AVX-512. The reference's
 * per-element fmaf is a library call where the file is built without FMA,
 * dozens of times slower; these sum the scores in eight float lanes (the
 * order of ggml's 8-lane builds differs anyway: within float rounding), do
 * the fused update in double (product exact, then two roundings: equal to
 * the fused one but for about one value in 2^29) and round whole rows to F16
 * with the dispatched row conversions (NEON on AArch64). */
enum { FAST_MAX_D = 512 };

static void scores_fast(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                        float scale, float *out)
{
    float kf[FAST_MAX_D];
    for (int64_t j = 0; j < n; j++) {
        fp16_to_f32_row(k + (size_t)j * k_stride, kf, d);
        float p[8] = {0};
        int c = 0;
        for (; c + 8 <= d; c += 8)
            for (int l = 0; l < 8; l++)
                p[l] += q[c + l] * kf[c + l];
        float t = 0;
        for (; c < d; c++)
            t += q[c] * kf[c];
        out[j] = ((((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]))) + t) * scale;
    }
}

static void round_row_f16(float *x, uint16_t *tmp, int d)
{
    f32_to_fp16_row(x, tmp, d);
    fp16_to_f32_row(tmp, x, d);
}

static void accumulate_fast_one(const float *s, int64_t n_v, int64_t n_zero, const uint16_t *v,
                                size_t v_stride, int d, float *acc, float *m, float *sum)
{
    float vf[FAST_MAX_D];
    uint16_t tmp[FAST_MAX_D];
    float M = *m, S = *sum;
    for (int64_t j = 0; j < n_v + n_zero; j++) {
        float sj = j < n_v ? s[j] : 0.0f;
        float ms = 1.0f, vs = 1.0f;
        if (sj > M) {
            float m_old = M;
            M = sj;
            ms = expf(m_old - M);
            for (int c = 0; c < d; c++)
                acc[c] *= ms;
            round_row_f16(acc, tmp, d);
        } else {
            vs = expf(sj - M);
        }
        if (j < n_v) {
            fp16_to_f32_row(v + (size_t)j * v_stride, vf, d);
            for (int c = 0; c < d; c++)
                acc[c] = (float)((double)vf[c] * vs + acc[c]);
            round_row_f16(acc, tmp, d);
        }
        S = (float)((double)S * ms + vs);
    }
    *m = M;
    *sum = S;
}

void attn_f16_scores(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                     float scale, float *out)
{
#if defined(SL_HAVE_X86_SIMD)
    if (d % 64 == 0 && simd_level_active() == SIMD_AVX512) {
        attn_f16_scores_avx512(q, k, k_stride, n, d, scale, out);
        return;
    }
    if (d % 64 == 0 && simd_level_active() >= SIMD_AVX2) {
        attn_f16_scores_avx2(q, k, k_stride, n, d, scale, out);
        return;
    }
#endif
    /* below 64 ggml sums in double, as the reference does (no fmaf) */
    if (d % 64 == 0 && d <= FAST_MAX_D)
        scores_fast(q, k, k_stride, n, d, scale, out);
    else
        attn_f16_scores_ref(q, k, k_stride, n, d, scale, out);
}

void attn_f16_accumulate(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                         int64_t n_zero, const uint16_t *v, size_t v_stride,
                         size_t v_head_stride, int d, float *acc, size_t acc_stride, float *m,
                         float *sum)
{
#if defined(SL_HAVE_X86_SIMD)
    if ((d == 16 || d == 32 || d == 64 || d == 128) && simd_level_active() == SIMD_AVX512) {
        attn_f16_accumulate_avx512(n_heads, s, s_stride, n_v, n_zero, v, v_stride,
                                   v_head_stride, d, acc, acc_stride, m, sum);
        return;
    }
    if (d % 64 == 0 && simd_level_active() >= SIMD_AVX2) {
        attn_f16_accumulate_avx2(n_heads, s, s_stride, n_v, n_zero, v, v_stride, v_head_stride,
                                 d, acc, acc_stride, m, sum);
        return;
    }
#endif
    if (d > FAST_MAX_D) {
        attn_f16_accumulate_ref(n_heads, s, s_stride, n_v, n_zero, v, v_stride, v_head_stride,
                                d, acc, acc_stride, m, sum);
        return;
    }
    for (int h = 0; h < n_heads; h++)
        accumulate_fast_one(s + (size_t)h * s_stride, n_v, n_zero,
                            v + (size_t)h * v_head_stride, v_stride, d,
                            acc + (size_t)h * acc_stride, m + h, sum + h);
}
