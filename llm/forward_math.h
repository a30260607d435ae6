/* Element-wise steps of the forward pass that evaluate exp (llm/forward_math.c).
 * Internal to the decoder. */
#ifndef SIGHTLINE_LLM_FORWARD_MATH_H
#define SIGHTLINE_LLM_FORWARD_MATH_H

#include <stdint.h>

/* s = softmax(scale * s) over n > 0 scores, in place. */
typedef void (*softmax_row_fn)(float *s, int32_t n, float scale);
/* gate[i] = silu(gate[i]) * up[i]: SwiGLU's gating. */
typedef void (*silu_mul_fn)(float *gate, const float *up, int64_t n);

/* One copy per instruction set, the same C compiled with its flags. */
void softmax_row_base(float *s, int32_t n, float scale);
void silu_mul_base(float *gate, const float *up, int64_t n);
#ifdef SL_HAVE_X86_SIMD
void softmax_row_avx2(float *s, int32_t n, float scale);
void silu_mul_avx2(float *gate, const float *up, int64_t n);
void softmax_row_avx512(float *s, int32_t n, float scale);
void silu_mul_avx512(float *gate, const float *up, int64_t n);
#endif

#endif
