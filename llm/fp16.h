/* IEEE half precision (F16) and bfloat16 (BF16) <-> float.
 *
 * The scalar conversions are portable bit manipulation: round to nearest,
 * ties to even; subnormals kept (not flushed); infinities kept; a NaN stays a
 * quiet NaN of the same sign (payload not preserved). They give the same bits
 * as ggml's GGML_FP32_TO_FP16 / GGML_FP32_TO_BF16 for every non-NaN input.
 *
 * The row functions do the same for whole arrays with F16C / AVX-512 / NEON
 * where the CPU has them (chosen at run time); their results are bit-equal
 * to the scalar ones. */
#ifndef SIGHTLINE_LLM_FP16_H
#define SIGHTLINE_LLM_FP16_H

#include <stdint.h>
#include <string.h>

static inline uint32_t fp16_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float fp16_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline float fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) /* inf, or nan made quiet (as the F16C instruction does) */
        return fp16_bits_f32(sign | 0x7f800000u | (man << 13) | (man ? 0x400000u : 0));
    if (exp != 0)
        return fp16_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
    /* zero or subnormal: man * 2^-24, exact in float */
    float v = (float)man * 0x1p-24f;
    return fp16_bits_f32(sign | fp16_f32_bits(v));
}

static inline uint16_t f32_to_fp16(float f)
{
    uint32_t u = fp16_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) /* nan: quiet, sign kept */
        return sign | 0x7e00u;
    if (a >= 0x477ff000u) /* rounds to >= 65520: inf */
        return sign | 0x7c00u;
    if (a < 0x38800000u) { /* below 2^-14: subnormal half (or zero) */
        /* Adding 0.5 moves the value's bits so that the FPU's own
         * round-to-nearest-even yields the half's mantissa in the low bits. */
        float v = fp16_bits_f32(a) + 0.5f;
        return sign | (uint16_t)(fp16_f32_bits(v) - 0x3f000000u);
    }
    uint32_t odd = (a >> 13) & 1u;
    a += 0xc8000fffu + odd; /* rebias exponent (-112 << 23) and round */
    return sign | (uint16_t)(a >> 13);
}

static inline float bf16_to_f32(uint16_t h)
{
    return fp16_bits_f32((uint32_t)h << 16);
}

static inline uint16_t f32_to_bf16(float f)
{
    uint32_t u = fp16_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* nan: quiet, sign kept */
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/* Whole rows, dispatched to the best instruction set of this CPU. */
void fp16_to_f32_row(const uint16_t *src, float *dst, int64_t n);
void f32_to_fp16_row(const float *src, uint16_t *dst, int64_t n);
void bf16_to_f32_row(const uint16_t *src, float *dst, int64_t n);
void f32_to_bf16_row(const float *src, uint16_t *dst, int64_t n);

#endif
