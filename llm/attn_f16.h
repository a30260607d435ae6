/* Attention of one query over F16 keys and values with the numerics of
 * ggml's CPU flash attention (ggml_compute_forward_flash_attn_ext_f16 with
 * F16 K and V), which whisper.cpp's decoder runs: the scores are F16 dot
 * products summed as ggml's AVX-512 ggml_vec_dot_f16 sums them, and the
 * weighted sum of values is kept in F16, rounded after every key, with the
 * online softmax visiting the keys in order.
 *
 * Each function has an exact C reference (*_ref, for tests), AVX-512 and
 * AVX2 versions (F16C conversions, F32 arithmetic) and a portable fast one
 * for other CPUs, chosen at run time (llm/cpu_features.h). The AVX-512 scores
 * are bit-equal to the reference. The AVX-512 accumulation computes
 * exp(s - M) for the common keys in double precision rounded once to float
 * (correctly rounded), where the reference (and ggml) call expf, which is
 * within 0.502 ulp of it: a value may then differ in its last float bit,
 * and an F16 sum by an ulp (the AVX2 accumulation is the same). The AVX2
 * and portable versions sum scores in another order (within float
 * rounding), so their F16 sums may differ by an ulp or two more often. */
#ifndef SIGHTLINE_LLM_ATTN_F16_H
#define SIGHTLINE_LLM_ATTN_F16_H

#include <stddef.h>
#include <stdint.h>

/* out[j] = (q . k_j) * scale for j < n, k_j = k + j * k_stride (F16
 * elements). q holds d floats (F16 values: ggml converts the query to F16).
 * The sum is ggml's: four 16-lane partial sums of fused products over steps
 * of 64, added (0+2)+(1+3), then lanes i + i+8, i + i+4, i + i+2, i + i+1,
 * and the elements past the last step of 64 added in double. */
void attn_f16_scores(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                     float scale, float *out);

/* The online softmax of one chunk of keys, in order, for n_heads
 * independent heads: n_v keys with scores s[j] (already scaled) and values
 * v_j = v + j * v_stride (F16), then n_zero keys of score 0 and value 0
 * (whisper.cpp's zero key padding):
 *     s > M:  ms = expf(M - s), M = s, acc = f16(acc * ms), vs = 1
 *     else:   ms = 1, vs = expf(s - M)
 *     acc = f16(acc + v_j * vs)  (fused, then rounded; skipped for zero keys)
 *     S = S * ms + vs            (fused)
 * Head h reads its scores at s + h * s_stride, its values at
 * v + h * v_head_stride, and keeps its sum at acc + h * acc_stride (d floats
 * holding F16 values), its M in m[h] and S in sum[h]; these carry the state
 * between calls (start with -INFINITY, 0 and zeros). The AVX-512 version
 * works on several heads side by side to hide the conversions' latency. */
void attn_f16_accumulate(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                         int64_t n_zero, const uint16_t *v, size_t v_stride,
                         size_t v_head_stride, int d, float *acc, size_t acc_stride, float *m,
                         float *sum);


/* The portable versions (reference for tests). */
void attn_f16_scores_ref(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                         float scale, float *out);
void attn_f16_accumulate_ref(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                             int64_t n_zero, const uint16_t *v, size_t v_stride,
                             size_t v_head_stride, int d, float *acc, size_t acc_stride,
                             float *m, float *sum);

#endif
