/* Row operations of the encoder that have SIMD versions (clip_avx512.c),
 * with the plain C pieces both share. */
#ifndef SIGHTLINE_VISION_CLIP_SIMD_INTERNAL_H
#define SIGHTLINE_VISION_CLIP_SIMD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/fp16.h"

/* The tabulated activation of one value: table[f16(v)], and for GELU
 * (clamp) 0 at or below -10 and v at or above 10, as ggml's CPU backend. */
static inline float clip_act_scalar(float v, const uint16_t *table, bool clamp)
{
    if (clamp && v <= -10.0f)
        return 0.0f;
    if (clamp && v >= 10.0f)
        return v;
    return fp16_to_f32(table[f32_to_fp16(v)]);
}

#if defined(SL_HAVE_X86_SIMD)
void clip_softmax_rows_avx512(float *s, int64_t rows, int64_t n, float scale);
void clip_layer_norm_avx512(const float *x, float *y, int64_t n, float eps, const float *w,
                            const float *b);
/* The table must have 2 readable entries past its 65536 (gathers read
 * 32-bit words). */
void clip_act_row_avx512(float *d, const float *b, int64_t n, const uint16_t *table, bool clamp);
#endif

#endif
