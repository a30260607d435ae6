/* Byte layouts of ggml's quantized blocks, as stored in GGUF files.
 *
 * These are the file format (ggml's ggml-common.h fixes them), so field
 * order and sizes must not change. Scales are IEEE halves (uint16_t, see
 * llm/fp16.h) except Q8_K's float. Most code never needs these: use the
 * row functions of llm/quant.h. */
#ifndef SIGHTLINE_LLM_QUANT_BLOCKS_H
#define SIGHTLINE_LLM_QUANT_BLOCKS_H

#include <assert.h>
#include <stdint.h>

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK_K 256

/* x = d * (q - 8), q in 0..15; byte j holds element j (low nibble) and
 * element j + 16 (high nibble). */
typedef struct block_q4_0 {
    uint16_t d;
    uint8_t qs[QK4_0 / 2];
} block_q4_0;

/* x = d * q + m, q in 0..15, nibbles as in Q4_0. */
typedef struct block_q4_1 {
    uint16_t d, m;
    uint8_t qs[QK4_1 / 2];
} block_q4_1;

/* x = d * (q - 16), q in 0..31: low 4 bits as in Q4_0, bit 4 of element j
 * in bit j of the little-endian word qh. */
typedef struct block_q5_0 {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[QK5_0 / 2];
} block_q5_0;

/* x = d * q + m, q in 0..31, bits as in Q5_0. */
typedef struct block_q5_1 {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
} block_q5_1;

/* x = d * q. */
typedef struct block_q8_0 {
    uint16_t d;
    int8_t qs[QK8_0];
} block_q8_0;

/* x = d * q; s = d * sum(q) (rounded to a half), for the mins of Q4_1/Q5_1. */
typedef struct block_q8_1 {
    uint16_t d, s;
    int8_t qs[QK8_1];
} block_q8_1;

/* 16 groups of 16: x = d * (scales[g] & 15) * q - dmin * (scales[g] >> 4),
 * q in 0..3. Element 128*h + 32*s + l (h half, s shift 0..3, l 0..31) is
 * bits 2s..2s+1 of qs[32*h + l]; group = element / 16. */
typedef struct block_q2_K {
    uint8_t scales[QK_K / 16];
    uint8_t qs[QK_K / 4];
    uint16_t d, dmin;
} block_q2_K;

/* 16 groups of 16: x = d * (sc[g] - 32) * (q - 4), q = 2 low bits (as in
 * Q2_K) + 4 * high bit; the high bit of element e is bit e / 32 of
 * hmask[e % 32]. The 16 six-bit scales: low 4 bits in scales[0..7] (groups
 * 0-7 low nibbles, 8-15 high nibbles), high 2 bits in scales[8..11]. */
typedef struct block_q3_K {
    uint8_t hmask[QK_K / 8];
    uint8_t qs[QK_K / 4];
    uint8_t scales[12];
    uint16_t d;
} block_q3_K;

/* 8 groups of 32: x = d * sc[g] * q - dmin * mn[g], q in 0..15. Element
 * 64*p + l is the low nibble of qs[32*p + l], element 64*p + 32 + l the high
 * one. Six-bit sc/mn packed in 12 bytes (see get_scale_min_k4 in the code). */
typedef struct block_q4_K {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[QK_K / 2];
} block_q4_K;

/* As Q4_K with q in 0..31; bit 4 of element 64*p + l is bit 2p of qh[l],
 * of element 64*p + 32 + l bit 2p + 1. */
typedef struct block_q5_K {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
} block_q5_K;

/* 16 groups of 16: x = d * scales[g] * (q - 32), q in 0..63. Within each
 * half h (128 elements): element 32*s + l takes 4 low bits from ql[64h + l +
 * 32*(s&1)] (low nibble for s < 2, high for s >= 2) and 2 high bits from
 * bits 2s..2s+1 of qh[32h + l]. */
typedef struct block_q6_K {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    uint16_t d;
} block_q6_K;

/* Activations for K-quant dot products: x = d * q; bsums[g] = sum of q over
 * group g of 16. */
typedef struct block_q8_K {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_K;

static_assert(sizeof(block_q4_0) == 18, "Q4_0 block");
static_assert(sizeof(block_q4_1) == 20, "Q4_1 block");
static_assert(sizeof(block_q5_0) == 22, "Q5_0 block");
static_assert(sizeof(block_q5_1) == 24, "Q5_1 block");
static_assert(sizeof(block_q8_0) == 34, "Q8_0 block");
static_assert(sizeof(block_q8_1) == 36, "Q8_1 block");
static_assert(sizeof(block_q2_K) == 84, "Q2_K block");
static_assert(sizeof(block_q3_K) == 110, "Q3_K block");
static_assert(sizeof(block_q4_K) == 144, "Q4_K block");
static_assert(sizeof(block_q5_K) == 176, "Q5_K block");
static_assert(sizeof(block_q6_K) == 210, "Q6_K block");
static_assert(sizeof(block_q8_K) == 292, "Q8_K block");

#endif
