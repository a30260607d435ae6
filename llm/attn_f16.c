/* F16 flash-attention pieces: the portable reference and the run-time
 * choice of the AVX-512 versions (attn_f16_avx512.c); see attn_f16.h. */
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
        float sum;
        if (d % 64 == 0) {
            float p[4][16] = {{0}};
            for (int i = 0; i < d; i += 64)
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
        } else {
            double acc = 0;
            for (int c = 0; c < d; c++)
                acc += (double)(q[c] * fp16_to_f32(kr[c]));
            sum = (float)acc;
        }
        out[j] = sum * scale;
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

void attn_f16_scores(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                     float scale, float *out)
{
#if defined(SL_HAVE_X86_SIMD)
    if (d % 64 == 0 && simd_level_active() == SIMD_AVX512) {
        attn_f16_scores_avx512(q, k, k_stride, n, d, scale, out);
        return;
    }
#endif
    attn_f16_scores_ref(q, k, k_stride, n, d, scale, out);
}

void attn_f16_accumulate(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                         int64_t n_zero, const uint16_t *v, size_t v_stride,
                         size_t v_head_stride, int d, float *acc, size_t acc_stride, float *m,
                         float *sum)
{
#if defined(SL_HAVE_X86_SIMD)
    if ((d == 64 || d == 128) && simd_level_active() == SIMD_AVX512) {
        attn_f16_accumulate_avx512(n_heads, s, s_stride, n_v, n_zero, v, v_stride,
                                   v_head_stride, d, acc, acc_stride, m, sum);
        return;
    }
#endif
    attn_f16_accumulate_ref(n_heads, s, s_stride, n_v, n_zero, v, v_stride, v_head_stride, d,
                            acc, acc_stride, m, sum);
}
