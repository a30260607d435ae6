/* The SIMD versions of attn_f16.h's functions (attn_f16_avx512.c,
 * compiled with AVX-512 flags): call only where simd_level_active() is
 * SIMD_AVX512. Scores: d a multiple of 64. Accumulation: d 16, 32, 64 or
 * 128. */
#ifndef SIGHTLINE_LLM_ATTN_F16_INTERNAL_H
#define SIGHTLINE_LLM_ATTN_F16_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

void attn_f16_scores_avx512(const float *q, const uint16_t *k, size_t k_stride, int64_t n,
                            int d, float scale, float *out);
void attn_f16_accumulate_avx512(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                                int64_t n_zero, const uint16_t *v, size_t v_stride,
                                size_t v_head_stride, int d, float *acc, size_t acc_stride,
                                float *m, float *sum);

/* AVX2 + FMA + F16C (attn_f16_avx2.c): call only where the active level is
 * SIMD_AVX2 or above. Scores: d a multiple of 16; accumulation: d a
 * multiple of 64. */
void attn_f16_scores_avx2(const float *q, const uint16_t *k, size_t k_stride, int64_t n, int d,
                          float scale, float *out);
void attn_f16_accumulate_avx2(int n_heads, const float *s, size_t s_stride, int64_t n_v,
                              int64_t n_zero, const uint16_t *v, size_t v_stride,
                              size_t v_head_stride, int d, float *acc, size_t acc_stride,
                              float *m, float *sum);

#endif
