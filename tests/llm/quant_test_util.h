/* Helpers shared by the quantization tests: a deterministic generator,
 * random but valid blocks of every type, exact reference dot products. */
#ifndef SIGHTLINE_TESTS_QUANT_TEST_UTIL_H
#define SIGHTLINE_TESTS_QUANT_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/fp16.h"
#include "llm/quant.h"
#include "llm/quant_blocks.h"
#include "llm/tensor_type.h"

/* xorshift64*: the same sequence on every machine. */
typedef struct test_rng {
    uint64_t s;
} test_rng;

static inline uint64_t rng_next(test_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, 1). */
static inline double rng_unit(test_rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Roughly normal (sum of four uniforms), mean 0, sd about 0.58. */
static inline float rng_gauss(test_rng *r)
{
    return (float)(rng_unit(r) + rng_unit(r) + rng_unit(r) + rng_unit(r) - 2.0);
}

static inline size_t row_bytes_of(tensor_type t, int64_t n)
{
    size_t b = 0;
    tensor_type_row_bytes(t, n, &b);
    return b;
}

static const tensor_type weight_types[] = {
    TENSOR_F32,  TENSOR_F16,  TENSOR_BF16, TENSOR_Q4_0, TENSOR_Q4_1,
    TENSOR_Q5_0, TENSOR_Q5_1, TENSOR_Q8_0, TENSOR_Q2_K, TENSOR_Q3_K,
    TENSOR_Q4_K, TENSOR_Q5_K, TENSOR_Q6_K,
};
enum { N_WEIGHT_TYPES = sizeof weight_types / sizeof weight_types[0] };

/* A half of moderate size: sign, exponent 2^-6..2^1, random mantissa. */
static inline uint16_t rng_half(test_rng *r, int allow_negative)
{
    float v = (float)(0.02 + rng_unit(r) * 2.0);
    if (allow_negative && (rng_next(r) & 1))
        v = -v;
    return f32_to_fp16(v);
}

/* Random bytes for every quant field (the full range of each field), with
 * finite scales; if unit_scales, every float scale is 1 so that dot products
 * are exact integers. Q8_K bsums are made consistent with the quants. */
static inline void fill_random_row(test_rng *r, tensor_type t, void *dst, int64_t n,
                                   int unit_scales)
{
    size_t bytes = row_bytes_of(t, n);
    uint8_t *p = dst;
    for (size_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)rng_next(r);
    uint16_t one = 0x3c00;
    switch (t) {
    case TENSOR_F32:
        for (int64_t i = 0; i < n; i++) {
            float v = unit_scales ? (float)((int)(rng_next(r) % 255) - 127) : rng_gauss(r) * 3;
            memcpy(p + 4 * i, &v, 4);
        }
        break;
    case TENSOR_F16:
    case TENSOR_BF16:
        for (int64_t i = 0; i < n; i++) {
            float v = unit_scales ? (float)((int)(rng_next(r) % 255) - 127) : rng_gauss(r) * 3;
            uint16_t h = t == TENSOR_F16 ? f32_to_fp16(v) : f32_to_bf16(v);
            memcpy(p + 2 * i, &h, 2);
        }
        break;
    case TENSOR_Q4_0:
    case TENSOR_Q5_0:
    case TENSOR_Q8_0: {
        size_t bb = tensor_type_block_bytes(t);
        for (size_t b = 0; b < bytes / bb; b++) {
            uint16_t d = unit_scales ? one : rng_half(r, 1);
            memcpy(p + b * bb, &d, 2);
            if (t == TENSOR_Q8_0) /* ggml's quantizers keep quants in -127..127 */
                for (int j = 0; j < 32; j++)
                    if (p[b * bb + 2 + j] == 0x80)
                        p[b * bb + 2 + j] = 0x81;
        }
        break;
    }
    case TENSOR_Q8_1: {
        block_q8_1 *b = dst;
        for (int64_t i = 0; i < n / 32; i++) {
            b[i].d = unit_scales ? one : rng_half(r, 1);
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                if (b[i].qs[j] == -128)
                    b[i].qs[j] = -127;
                /* exact tests: keep the sum within the 11 bits of the half s */
                if (unit_scales)
                    b[i].qs[j] = (int8_t)(b[i].qs[j] / 2);
                sum += b[i].qs[j];
            }
            b[i].s = f32_to_fp16(fp16_to_f32(b[i].d) * (float)sum);
        }
        break;
    }
    case TENSOR_Q4_1:
    case TENSOR_Q5_1: {
        size_t bb = tensor_type_block_bytes(t);
        for (size_t b = 0; b < bytes / bb; b++) {
            uint16_t d = unit_scales ? one : rng_half(r, 0);
            uint16_t m = unit_scales ? one : rng_half(r, 1);
            memcpy(p + b * bb, &d, 2);
            memcpy(p + b * bb + 2, &m, 2);
        }
        break;
    }
    case TENSOR_Q2_K: {
        block_q2_K *b = dst;
        for (int64_t i = 0; i < n / QK_K; i++) {
            b[i].d = unit_scales ? one : rng_half(r, 0);
            b[i].dmin = unit_scales ? one : rng_half(r, 0);
        }
        break;
    }
    case TENSOR_Q3_K: {
        block_q3_K *b = dst;
        for (int64_t i = 0; i < n / QK_K; i++)
            b[i].d = unit_scales ? one : rng_half(r, 1);
        break;
    }
    case TENSOR_Q4_K:
    case TENSOR_Q5_K: {
        size_t bb = tensor_type_block_bytes(t);
        for (size_t b = 0; b < bytes / bb; b++) {
            uint16_t d = unit_scales ? one : rng_half(r, 0);
            uint16_t m = unit_scales ? one : rng_half(r, 0);
            memcpy(p + b * bb, &d, 2);
            memcpy(p + b * bb + 2, &m, 2);
        }
        break;
    }
    case TENSOR_Q6_K: {
        block_q6_K *b = dst;
        for (int64_t i = 0; i < n / QK_K; i++)
            b[i].d = unit_scales ? one : rng_half(r, 1);
        break;
    }
    case TENSOR_Q8_K: {
        block_q8_K *b = dst;
        for (int64_t i = 0; i < n / QK_K; i++) {
            b[i].d = unit_scales ? 1.0f : (float)(rng_unit(r) * 0.05 + 1e-4);
            for (int j = 0; j < QK_K; j++)
                if (b[i].qs[j] == -128)
                    b[i].qs[j] = -127;
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int l = 0; l < 16; l++)
                    s += b[i].qs[16 * g + l];
                b[i].bsums[g] = (int16_t)s;
            }
        }
        break;
    }
    default:
        break;
    }
}

/* The same row with every quant set to zero: dequantizes to the per-element
 * offset (the "min" of Q4_1, Q5_1, Q2_K, Q4_K, Q5_K; 0 for the others). */
static inline void zero_quants(tensor_type t, void *row, int64_t n)
{
    size_t bb = tensor_type_block_bytes(t);
    size_t nb = row_bytes_of(t, n) / bb;
    uint8_t *p = row;
    for (size_t b = 0; b < nb; b++) {
        uint8_t *blk = p + b * bb;
        switch (t) {
        case TENSOR_Q4_1: memset(blk + 4, 0, 16); break;
        case TENSOR_Q5_1: memset(blk + 4, 0, 20); break;
        case TENSOR_Q2_K: memset(blk + 16, 0, 64); break;
        case TENSOR_Q4_K: memset(blk + 16, 0, 128); break;
        case TENSOR_Q5_K: memset(blk + 16, 0, 160); break;
        default: break;
        }
    }
}

/* The float dot product computed in double from the dequantized rows, and
 * the scale of its rounding error: sum of |w_i a_i| plus sum of |offset_i
 * a_i| (the offsets are summed separately by the kernels). */
typedef struct exact_dot {
    double value;
    double magnitude;
} exact_dot;

static inline exact_dot exact_dot_of(tensor_type wt, const void *w, const void *a, int64_t n)
{
    tensor_type at = tensor_type_vec_dot_type(wt);
    float *wf = malloc((size_t)n * sizeof(float));
    float *af = malloc((size_t)n * sizeof(float));
    float *mf = malloc((size_t)n * sizeof(float));
    void *wz = malloc(row_bytes_of(wt, n));
    dequantize_row(wt, w, wf, n, NULL);
    dequantize_row(at, a, af, n, NULL);
    memcpy(wz, w, row_bytes_of(wt, n));
    zero_quants(wt, wz, n);
    dequantize_row(wt, wz, mf, n, NULL);
    exact_dot e = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        e.value += (double)wf[i] * af[i];
        e.magnitude += fabs((double)wf[i] * af[i]);
        if (wt != TENSOR_F32 && wt != TENSOR_F16 && wt != TENSOR_BF16)
            e.magnitude += fabs((double)mf[i] * af[i]);
    }
    free(wf);
    free(af);
    free(mf);
    free(wz);
    return e;
}

/* Bound on |float kernel - exact|: one rounding per block accumulation and a
 * few per block (scales, conversion), relative to the magnitude; plus the
 * Q8_1 "s" field, a half-precision rounding of d * sum(q) (2^-11 relative). */
static inline double dot_tolerance(tensor_type wt, int64_t n, exact_dot e, const void *a)
{
    double blocks = (double)n / (double)tensor_type_block_elems(wt);
    if (wt == TENSOR_F32 || wt == TENSOR_F16 || wt == TENSOR_BF16)
        blocks = (double)n / 8.0;
    double tol = e.magnitude * ldexp(1.0, -23) * (16.0 + blocks) + 1e-30;
    if (tensor_type_vec_dot_type(wt) == TENSOR_Q8_1) {
        (void)a;
        tol += e.magnitude * ldexp(1.0, -10);
    }
    return tol;
}

#endif
