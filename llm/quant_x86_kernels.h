/* x86 dot-product kernels shared by quant_avx2.c and quant_avx512.c.
 *
 * Included once by each of those files, which are compiled with their own
 * instruction-set flags and define QX86_VNNI (AVX-512 VNNI + VL: vpdpbusd /
 * vpdpwssd on ymm registers) or not (AVX2: vpmaddubsw + vpmaddwd). Every
 * function here is static, so each file gets its own copy.
 *
 * Integer work is exact: weights are unpacked to unsigned bytes (the
 * format's offset, e.g. Q4_0's -8, is subtracted through the activation
 * sums), multiplied with the signed activation bytes and summed in 32-bit
 * lanes, giving the same per-block integer sums as the scalar reference.
 * Products of 16-bit pairs never saturate: weight bytes are at most 63
 * (or |w| <= 128 with the sign trick of Q8_0 on AVX2) and activation quants
 * are in -127..127 as every ggml quantizer makes them.
 *
 * A tile (quant_internal.h) of NR rows and NC columns keeps NR * NC float
 * accumulators; each weight block is unpacked once for the NC columns and
 * each activation block loaded once for the NR rows. */
#ifndef SIGHTLINE_LLM_QUANT_X86_KERNELS_H
#define SIGHTLINE_LLM_QUANT_X86_KERNELS_H

#include <immintrin.h>
#include <string.h>

#include "llm/fp16.h"
#include "llm/quant_internal.h"

#define QX_INLINE static inline __attribute__((always_inline))

/* Register budget: AVX2 has 16 vector registers, AVX-512 32. */
#if defined(QX86_VNNI)
#define QX_MAX_R 4
#else
#define QX_MAX_R 2
#endif

QX_INLINE float hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

QX_INLINE float h2f(uint16_t h)
{
    return _cvtsh_ss(h);
}

/* acc + sum of 4 adjacent u8 * s8 products, per 32-bit lane. */
QX_INLINE __m256i dot_us_acc(__m256i acc, __m256i u, __m256i s)
{
#if defined(QX86_VNNI)
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    __m256i p = _mm256_maddubs_epi16(u, s);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
#endif
}

/* acc + (16-bit pairs of u8*s8 sums) * sc, per 32-bit lane: the K-quant
 * group sums weighted by their scales. */
QX_INLINE __m256i dot_us_scaled_acc(__m256i acc, __m256i u, __m256i s, __m256i sc16)
{
    __m256i p = _mm256_maddubs_epi16(u, s);
#if defined(QX86_VNNI)
    return _mm256_dpwssd_epi32(acc, p, sc16);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, sc16));
#endif
}

QX_INLINE __m256i loadu256(const void *p)
{
    return _mm256_loadu_si256((const __m256i *)p);
}

QX_INLINE __m128i loadu128(const void *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

/* 16 bytes of nibbles -> 32 bytes: low nibbles, then high nibbles. */
QX_INLINE __m256i unpack_nibbles16(const uint8_t *p)
{
    __m128i raw = loadu128(p);
    __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

/* 32 bits -> 32 bytes of 0x10 where the bit is set (the fifth bit of Q5). */
QX_INLINE __m256i bits_to_0x10(const uint8_t qh[4])
{
    uint32_t bits;
    memcpy(&bits, qh, 4);
#if defined(QX86_VNNI)
    return _mm256_maskz_mov_epi8((__mmask32)bits, _mm256_set1_epi8(0x10));
#else
    __m256i v = _mm256_set1_epi32((int)bits);
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                                            2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    v = _mm256_shuffle_epi8(v, spread);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
#endif
}

#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 640
#endif

QX_INLINE void prefetch_row(const uint8_t *p)
{
    _mm_prefetch((const char *)p + PREFETCH_AHEAD, _MM_HINT_T0);
}

/* ------------------------------------------------------------------ */
/* 32-element blocks with Q8_0 / Q8_1 activations                       */

/* Each kernel below: NR x NC tile over n elements. */

QX_INLINE void tile_q4_0_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
    const __m256i eight = _mm256_set1_epi8(8);
    for (int64_t b = 0; b < n / QK8_0; b++) {
        __m256i av[4], nsa[4];
        __m256 dc[4];
        for (int c = 0; c < NC; c++) {
            const block_q8_0 *ab = (const block_q8_0 *)(a + (size_t)c * as) + b;
            av[c] = loadu256(ab->qs);
            /* -8 * sum(a), so that dot(q, a) + it = dot(q - 8, a). */
            nsa[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                      dot_us_acc(_mm256_setzero_si256(), eight, av[c]));
            dc[c] = _mm256_set1_ps(h2f(ab->d));
        }
        for (int r = 0; r < NR; r++) {
            const block_q4_0 *wb = (const block_q4_0 *)(w + (size_t)r * ws) + b;
            prefetch_row((const uint8_t *)wb);
            __m256i q = unpack_nibbles16(wb->qs);
            __m256 dr = _mm256_set1_ps(h2f(wb->d));
            for (int c = 0; c < NC; c++) {
                __m256i s = dot_us_acc(nsa[c], q, av[c]);
                acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), dc[c]), dr,
                                            acc[r][c]);
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]);
}

QX_INLINE void tile_q5_0_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (int64_t b = 0; b < n / QK8_0; b++) {
        __m256i av[4], nsa[4];
        __m256 dc[4];
        for (int c = 0; c < NC; c++) {
            const block_q8_0 *ab = (const block_q8_0 *)(a + (size_t)c * as) + b;
            av[c] = loadu256(ab->qs);
            nsa[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                      dot_us_acc(_mm256_setzero_si256(), sixteen, av[c]));
            dc[c] = _mm256_set1_ps(h2f(ab->d));
        }
        for (int r = 0; r < NR; r++) {
            const block_q5_0 *wb = (const block_q5_0 *)(w + (size_t)r * ws) + b;
            prefetch_row((const uint8_t *)wb);
            __m256i q = _mm256_or_si256(unpack_nibbles16(wb->qs), bits_to_0x10(wb->qh));
            __m256 dr = _mm256_set1_ps(h2f(wb->d));
            for (int c = 0; c < NC; c++) {
                __m256i s = dot_us_acc(nsa[c], q, av[c]);
                acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), dc[c]), dr,
                                            acc[r][c]);
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]);
}

/* Q4_1 / Q5_1 with Q8_1: d_w d_a dot(q, a) + m_w s_a per block. */
QX_INLINE void tile_q4_1_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC,
                              const int FIVE_BITS)
{
    __m256 acc[QX_MAX_R][4];
    float accm[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++) {
            acc[r][c] = _mm256_setzero_ps();
            accm[r][c] = 0.0f;
        }
    for (int64_t b = 0; b < n / QK8_1; b++) {
        __m256i av[4];
        __m256 dc[4];
        float sc[4];
        for (int c = 0; c < NC; c++) {
            const block_q8_1 *ab = (const block_q8_1 *)(a + (size_t)c * as) + b;
            av[c] = loadu256(ab->qs);
            dc[c] = _mm256_set1_ps(h2f(ab->d));
            sc[c] = h2f(ab->s);
        }
        for (int r = 0; r < NR; r++) {
            __m256i q;
            uint16_t dh, mh;
            if (FIVE_BITS) {
                const block_q5_1 *wb = (const block_q5_1 *)(w + (size_t)r * ws) + b;
                prefetch_row((const uint8_t *)wb);
                q = _mm256_or_si256(unpack_nibbles16(wb->qs), bits_to_0x10(wb->qh));
                dh = wb->d;
                mh = wb->m;
            } else {
                const block_q4_1 *wb = (const block_q4_1 *)(w + (size_t)r * ws) + b;
                prefetch_row((const uint8_t *)wb);
                q = unpack_nibbles16(wb->qs);
                dh = wb->d;
                mh = wb->m;
            }
            __m256 dr = _mm256_set1_ps(h2f(dh));
            float mr = h2f(mh);
            for (int c = 0; c < NC; c++) {
                __m256i s = dot_us_acc(_mm256_setzero_si256(), q, av[c]);
                acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), dc[c]), dr,
                                            acc[r][c]);
                accm[r][c] += mr * sc[c];
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]) + accm[r][c];
}

QX_INLINE void tile_q8_0_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
#if defined(QX86_VNNI)
    /* w + 128 is a valid unsigned byte; -128 * sum(a) takes the offset out. */
    const __m256i bias = _mm256_set1_epi8((char)0x80);
#endif
    for (int64_t b = 0; b < n / QK8_0; b++) {
        __m256i av[4];
        __m256 dc[4];
#if defined(QX86_VNNI)
        __m256i nsa[4];
#endif
        for (int c = 0; c < NC; c++) {
            const block_q8_0 *ab = (const block_q8_0 *)(a + (size_t)c * as) + b;
            av[c] = loadu256(ab->qs);
            dc[c] = _mm256_set1_ps(h2f(ab->d));
#if defined(QX86_VNNI)
            nsa[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                      dot_us_acc(_mm256_setzero_si256(), bias, av[c]));
#endif
        }
        for (int r = 0; r < NR; r++) {
            const block_q8_0 *wb = (const block_q8_0 *)(w + (size_t)r * ws) + b;
            prefetch_row((const uint8_t *)wb);
            __m256i q = loadu256(wb->qs);
            __m256 dr = _mm256_set1_ps(h2f(wb->d));
#if defined(QX86_VNNI)
            __m256i qu = _mm256_xor_si256(q, bias);
#else
            __m256i qa = _mm256_sign_epi8(q, q); /* |w| */
#endif
            for (int c = 0; c < NC; c++) {
#if defined(QX86_VNNI)
                __m256i s = dot_us_acc(nsa[c], qu, av[c]);
#else
                __m256i s = dot_us_acc(_mm256_setzero_si256(), qa, _mm256_sign_epi8(av[c], q));
#endif
                acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), dc[c]), dr,
                                            acc[r][c]);
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]);
}

/* ------------------------------------------------------------------ */
/* K-quants with Q8_K activations                                       */

/* [s[2j] x 8 | s[2j+1] x 8] as 16-bit lanes, from 16 signed byte scales. */
QX_INLINE __m256i scale_pair16(__m128i scales8, int j)
{
    const __m128i idx =
        _mm_setr_epi8((char)(2 * j), (char)(2 * j), (char)(2 * j), (char)(2 * j), (char)(2 * j),
                      (char)(2 * j), (char)(2 * j), (char)(2 * j), (char)(2 * j + 1),
                      (char)(2 * j + 1), (char)(2 * j + 1), (char)(2 * j + 1), (char)(2 * j + 1),
                      (char)(2 * j + 1), (char)(2 * j + 1), (char)(2 * j + 1));
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales8, idx));
}

QX_INLINE void tile_q4_K_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC,
                              const int FIVE_BITS)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const block_q8_K *ab[4];
        __m256i bsum[4];
        for (int c = 0; c < NC; c++) {
            ab[c] = (const block_q8_K *)(a + (size_t)c * as) + b;
            bsum[c] = loadu256(ab[c]->bsums);
        }
        for (int r = 0; r < NR; r++) {
            const uint8_t *blk = w + (size_t)r * ws + (size_t)b * (FIVE_BITS ? 176 : 144);
            prefetch_row(blk);
            prefetch_row(blk + 64);
            const block_q4_K *w4 = (const block_q4_K *)blk;
            const block_q5_K *w5 = (const block_q5_K *)blk;
            const uint8_t *packed = FIVE_BITS ? w5->scales : w4->scales;
            const uint8_t *qs = FIVE_BITS ? w5->qs : w4->qs;
            /* the eight 6-bit scales and mins, unpacked with 32-bit masks:
             * bytes sc0..sc7, mn0..mn7 */
            uint32_t u[3];
            memcpy(u, packed, 12);
            __m128i scmn = _mm_setr_epi32(
                (int)(u[0] & 0x3f3f3f3fu),
                (int)((u[2] & 0x0f0f0f0fu) | ((u[0] >> 2) & 0x30303030u)),
                (int)(u[1] & 0x3f3f3f3fu),
                (int)(((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 2) & 0x30303030u)));
            /* mins twice each: one per bsum of 16 */
            __m256i mins16 = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(
                scmn, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15)));
            __m256i sc_words = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(scmn));
            __m256i qh = FIVE_BITS ? loadu256(w5->qh) : _mm256_setzero_si256();
            __m256i isum[4];
            for (int c = 0; c < NC; c++)
                isum[c] = _mm256_setzero_si256();
            for (int p = 0; p < 4; p++) {
                __m256i raw = loadu256(qs + 32 * p);
                __m256i q0 = _mm256_and_si256(raw, m4);
                __m256i q1 = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
                if (FIVE_BITS) {
                    const __m256i bit0 = _mm256_set1_epi8((char)(1 << (2 * p)));
                    const __m256i bit1 = _mm256_set1_epi8((char)(1 << (2 * p + 1)));
                    const __m256i x10 = _mm256_set1_epi8(0x10);
                    q0 = _mm256_or_si256(
                        q0, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit0), bit0),
                                             x10));
                    q1 = _mm256_or_si256(
                        q1, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit1), bit1),
                                             x10));
                }
                /* word g of sc_words in every word */
                __m256i s0 = _mm256_shuffle_epi8(
                    sc_words, _mm256_set1_epi16((short)(0x0202 * (2 * p) + 0x0100)));
                __m256i s1 = _mm256_shuffle_epi8(
                    sc_words, _mm256_set1_epi16((short)(0x0202 * (2 * p + 1) + 0x0100)));
                for (int c = 0; c < NC; c++) {
                    isum[c] = dot_us_scaled_acc(isum[c], q0, loadu256(ab[c]->qs + 64 * p), s0);
                    isum[c] =
                        dot_us_scaled_acc(isum[c], q1, loadu256(ab[c]->qs + 64 * p + 32), s1);
                }
            }
            float d = h2f(FIVE_BITS ? w5->d : w4->d);
            float dmin = h2f(FIVE_BITS ? w5->dmin : w4->dmin);
            for (int c = 0; c < NC; c++) {
                __m256i msum = _mm256_madd_epi16(bsum[c], mins16);
                acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]),
                                            _mm256_set1_ps(d * ab[c]->d), acc[r][c]);
                acc[r][c] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum),
                                             _mm256_set1_ps(dmin * ab[c]->d), acc[r][c]);
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]);
}

QX_INLINE void tile_q6_K_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i m3 = _mm256_set1_epi8(0x03);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const block_q8_K *ab[4];
        __m256i bsum[4];
        for (int c = 0; c < NC; c++) {
            ab[c] = (const block_q8_K *)(a + (size_t)c * as) + b;
            bsum[c] = loadu256(ab[c]->bsums);
        }
        for (int r = 0; r < NR; r++) {
            const block_q6_K *wb = (const block_q6_K *)(w + (size_t)r * ws) + b;
            prefetch_row((const uint8_t *)wb);
            prefetch_row((const uint8_t *)wb + 64);
            prefetch_row((const uint8_t *)wb + 128);
            __m128i scales8 = loadu128(wb->scales);
            __m256i isum[4];
            for (int c = 0; c < NC; c++)
                isum[c] = _mm256_setzero_si256();
            for (int h = 0; h < 2; h++) {
                __m256i l0 = loadu256(wb->ql + 64 * h);
                __m256i l1 = loadu256(wb->ql + 64 * h + 32);
                __m256i hi = loadu256(wb->qh + 32 * h);
                __m256i q[4];
                q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                       _mm256_slli_epi16(_mm256_and_si256(hi, m3), 4));
                q[1] = _mm256_or_si256(
                    _mm256_and_si256(l1, m4),
                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hi, 2), m3), 4));
                q[2] = _mm256_or_si256(
                    _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hi, 4), m3), 4));
                q[3] = _mm256_or_si256(
                    _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hi, 6), m3), 4));
                for (int s = 0; s < 4; s++) {
                    __m256i sc = scale_pair16(scales8, 4 * h + s);
                    for (int c = 0; c < NC; c++)
                        isum[c] = dot_us_scaled_acc(isum[c], q[s],
                                                    loadu256(ab[c]->qs + 128 * h + 32 * s), sc);
                }
            }
            /* q - 32: subtract 32 * sum over groups of scale * bsum. */
            __m256i sc16 = _mm256_cvtepi8_epi16(scales8);
            float d = h2f(wb->d);
            for (int c = 0; c < NC; c++) {
                __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(bsum[c], sc16), 5);
                __m256i s = _mm256_sub_epi32(isum[c], off);
                acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * ab[c]->d),
                                            acc[r][c]);
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]);
}

QX_INLINE void tile_q3_K_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
    const __m256i m3 = _mm256_set1_epi8(0x03);
    const __m256i four = _mm256_set1_epi8(0x04);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const block_q8_K *ab[4];
        __m256i bsum[4];
        for (int c = 0; c < NC; c++) {
            ab[c] = (const block_q8_K *)(a + (size_t)c * as) + b;
            bsum[c] = loadu256(ab[c]->bsums);
        }
        for (int r = 0; r < NR; r++) {
            const block_q3_K *wb = (const block_q3_K *)(w + (size_t)r * ws) + b;
            prefetch_row((const uint8_t *)wb);
            prefetch_row((const uint8_t *)wb + 64);
            int8_t scv[16];
            q3k_scales(wb->scales, scv);
            __m128i scales8 = loadu128(scv);
            __m256i hm = loadu256(wb->hmask);
            __m256i isum[4];
            for (int c = 0; c < NC; c++)
                isum[c] = _mm256_setzero_si256();
            for (int h = 0; h < 2; h++) {
                __m256i raw = loadu256(wb->qs + 32 * h);
                for (int s = 0; s < 4; s++) {
                    __m256i lo = _mm256_and_si256(_mm256_srli_epi16(raw, 2 * s), m3);
                    /* high bit of element 128h + 32s + l: bit 4h + s of hmask[l] */
                    const __m256i bit = _mm256_set1_epi8((char)(1 << (4 * h + s)));
                    __m256i hb = _mm256_and_si256(
                        _mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit), four);
                    __m256i q = _mm256_or_si256(lo, hb);
                    __m256i sc = scale_pair16(scales8, 4 * h + s);
                    for (int c = 0; c < NC; c++)
                        isum[c] = dot_us_scaled_acc(isum[c], q,
                                                    loadu256(ab[c]->qs + 128 * h + 32 * s), sc);
                }
            }
            __m256i sc16 = _mm256_cvtepi8_epi16(scales8);
            float d = h2f(wb->d);
            for (int c = 0; c < NC; c++) {
                __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(bsum[c], sc16), 2);
                __m256i s = _mm256_sub_epi32(isum[c], off);
                acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * ab[c]->d),
                                            acc[r][c]);
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]);
}

QX_INLINE void tile_q2_K_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                              size_t as, float *y, size_t ldy, const int NR, const int NC)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
    const __m256i m3 = _mm256_set1_epi8(0x03);
    for (int64_t b = 0; b < n / QK_K; b++) {
        const block_q8_K *ab[4];
        __m256i bsum[4];
        for (int c = 0; c < NC; c++) {
            ab[c] = (const block_q8_K *)(a + (size_t)c * as) + b;
            bsum[c] = loadu256(ab[c]->bsums);
        }
        for (int r = 0; r < NR; r++) {
            const block_q2_K *wb = (const block_q2_K *)(w + (size_t)r * ws) + b;
            prefetch_row((const uint8_t *)wb);
            __m128i packed = loadu128(wb->scales);
            __m128i scales8 = _mm_and_si128(packed, _mm_set1_epi8(0x0f));
            __m256i mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4),
                                                                _mm_set1_epi8(0x0f)));
            __m256i isum[4];
            for (int c = 0; c < NC; c++)
                isum[c] = _mm256_setzero_si256();
            for (int h = 0; h < 2; h++) {
                __m256i raw = loadu256(wb->qs + 32 * h);
                for (int s = 0; s < 4; s++) {
                    __m256i q = _mm256_and_si256(_mm256_srli_epi16(raw, 2 * s), m3);
                    __m256i sc = scale_pair16(scales8, 4 * h + s);
                    for (int c = 0; c < NC; c++)
                        isum[c] = dot_us_scaled_acc(isum[c], q,
                                                    loadu256(ab[c]->qs + 128 * h + 32 * s), sc);
                }
            }
            float d = h2f(wb->d), dmin = h2f(wb->dmin);
            for (int c = 0; c < NC; c++) {
                __m256i msum = _mm256_madd_epi16(bsum[c], mins16);
                acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]),
                                            _mm256_set1_ps(d * ab[c]->d), acc[r][c]);
                acc[r][c] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum),
                                             _mm256_set1_ps(dmin * ab[c]->d), acc[r][c]);
            }
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + (size_t)r] = hsum_ps(acc[r][c]);
}

/* ------------------------------------------------------------------ */
/* float types                                                          */

QX_INLINE __m256 load8_f16(const uint16_t *p)
{
    return _mm256_cvtph_ps(loadu128(p));
}

QX_INLINE __m256 load8_bf16(const uint16_t *p)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(loadu128(p)), 16));
}

/* kind 0: F32, 1: F16, 2: BF16; both operands of the same kind. */
QX_INLINE __m256 load8_kind(const uint8_t *p, int64_t i, const int KIND)
{
    if (KIND == 0)
        return _mm256_loadu_ps((const float *)p + i);
    if (KIND == 1)
        return load8_f16((const uint16_t *)p + i);
    return load8_bf16((const uint16_t *)p + i);
}

QX_INLINE float scalar_kind(const uint8_t *p, int64_t i, const int KIND)
{
    if (KIND == 0)
        return ((const float *)p)[i];
    uint16_t h;
    memcpy(&h, p + 2 * i, 2);
    return KIND == 1 ? fp16_to_f32(h) : bf16_to_f32(h);
}

QX_INLINE void tile_float_impl(int64_t n, const uint8_t *w, size_t ws, const uint8_t *a,
                               size_t as, float *y, size_t ldy, const int NR, const int NC,
                               const int KIND)
{
    __m256 acc[QX_MAX_R][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 av[4];
        for (int c = 0; c < NC; c++)
            av[c] = load8_kind(a + (size_t)c * as, i, KIND);
        for (int r = 0; r < NR; r++) {
            __m256 wv = load8_kind(w + (size_t)r * ws, i, KIND);
            for (int c = 0; c < NC; c++)
                acc[r][c] = _mm256_fmadd_ps(wv, av[c], acc[r][c]);
        }
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++) {
            float s = hsum_ps(acc[r][c]);
            for (int64_t k = i; k < n; k++)
                s += scalar_kind(w + (size_t)r * ws, k, KIND) *
                     scalar_kind(a + (size_t)c * as, k, KIND);
            y[(size_t)c * ldy + (size_t)r] = s;
        }
}

/* GEMM_B_KN: rows of C as weighted sums of rows of B, NR rows of A at a
 * time sharing each loaded piece of B, 16 columns in registers. */
QX_INLINE void gemm_kn_rows(int64_t j0, int64_t j1, int64_t k, const float *a, int64_t lda,
                            const float *b, int64_t ldb, float *c, int64_t ldc, const int NR)
{
    int64_t j = j0;
    for (; j + 16 <= j1; j += 16) {
        __m256 acc[4][2];
        for (int r = 0; r < NR; r++)
            acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        for (int64_t l = 0; l < k; l++) {
            __m256 b0 = _mm256_loadu_ps(b + l * ldb + j), b1 = _mm256_loadu_ps(b + l * ldb + j + 8);
            for (int r = 0; r < NR; r++) {
                __m256 av = _mm256_broadcast_ss(a + r * lda + l);
                acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
            }
        }
        for (int r = 0; r < NR; r++) {
            _mm256_storeu_ps(c + r * ldc + j, acc[r][0]);
            _mm256_storeu_ps(c + r * ldc + j + 8, acc[r][1]);
        }
    }
    for (; j < j1; j++)
        for (int r = 0; r < NR; r++) {
            float s = 0;
            for (int64_t l = 0; l < k; l++)
                s += a[r * lda + l] * b[l * ldb + j];
            c[r * ldc + j] = s;
        }
}

static void qx_gemm_kn(int64_t m, int64_t j0, int64_t j1, int64_t k, const float *a, int64_t lda,
                       const float *b, int64_t ldb, float *c, int64_t ldc)
{
    int64_t i = 0;
    for (; i + 4 <= m; i += 4)
        gemm_kn_rows(j0, j1, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, 4);
    for (; i < m; i++)
        gemm_kn_rows(j0, j1, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, 1);
}

/* ------------------------------------------------------------------ */
/* matrix-vector kernels (AVX2 table; AVX-512 has 512-bit ones)         */

#if !defined(QX86_VNNI)

/* Per block of the activation row, prepared once per call: the quants, the
 * block's offset sum in the first of eight lanes (-8 * sum for Q4_0), and
 * the scale. */
typedef struct gemv32_aux {
    int8_t a[32];
    int32_t nsa[8];
    float da;
    int32_t pad[7];
} gemv32_aux;

QX_INLINE void gemv32_prepare(const block_q8_0 *ab, int64_t nb, int offset, gemv32_aux *aux)
{
    for (int64_t b = 0; b < nb; b++) {
        memcpy(aux[b].a, ab[b].qs, 32);
        int s = 0;
        for (int j = 0; j < 32; j++)
            s += ab[b].qs[j];
        memset(aux[b].nsa, 0, sizeof aux[b].nsa);
        aux[b].nsa[0] = -offset * s;
        aux[b].da = h2f(ab[b].d);
    }
}

QX_INLINE __m256 half_bcast(const uint16_t *h)
{
    return _mm256_cvtph_ps(_mm_set1_epi16((short)*h));
}

static void qx_gemv_q4_0(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                         float *y, void *scratch, int prepared)
{
    const int64_t nb = n / QK8_0;
    gemv32_aux *aux = scratch;
    if (!prepared)
        gemv32_prepare(a, nb, 8, aux);
    for (int64_t r = 0; r < nrows; r++) {
        const block_q4_0 *x = (const block_q4_0 *)((const uint8_t *)w + (size_t)r * ws);
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            __m256i s = dot_us_acc(_mm256_load_si256((const __m256i *)aux[b].nsa),
                                   unpack_nibbles16(x[b].qs),
                                   _mm256_load_si256((const __m256i *)aux[b].a));
            __m256 sc = _mm256_mul_ps(half_bcast(&x[b].d), _mm256_broadcast_ss(&aux[b].da));
            if (b & 1)
                acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc1);
            else
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc0);
        }
        y[r] = hsum_ps(_mm256_add_ps(acc0, acc1));
    }
}

static void qx_gemv_q8_0(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                         float *y, void *scratch, int prepared)
{
    const int64_t nb = n / QK8_0;
    gemv32_aux *aux = scratch;
    if (!prepared)
        gemv32_prepare(a, nb, 0, aux);
    for (int64_t r = 0; r < nrows; r++) {
        const block_q8_0 *x = (const block_q8_0 *)((const uint8_t *)w + (size_t)r * ws);
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            __m256i q = loadu256(x[b].qs);
            __m256i av = _mm256_load_si256((const __m256i *)aux[b].a);
            /* |w| times the activations carrying w's sign */
            __m256i s = dot_us_acc(_mm256_setzero_si256(), _mm256_sign_epi8(q, q),
                                   _mm256_sign_epi8(av, q));
            __m256 sc = _mm256_mul_ps(half_bcast(&x[b].d), _mm256_broadcast_ss(&aux[b].da));
            if (b & 1)
                acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc1);
            else
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc0);
        }
        y[r] = hsum_ps(_mm256_add_ps(acc0, acc1));
    }
}
#endif

/* ------------------------------------------------------------------ */
/* instantiation: one function per (NR, NC) and a dispatcher            */

#define QX_TILE_CASES(impl, ...)                                                               \
    switch ((nr - 1) * 4 + (nc - 1)) {                                                         \
    case 0: impl(n, w, ws, a, as, y, ldy, 1, 1 __VA_ARGS__); break;                           \
    case 1: impl(n, w, ws, a, as, y, ldy, 1, 2 __VA_ARGS__); break;                           \
    case 2: impl(n, w, ws, a, as, y, ldy, 1, 3 __VA_ARGS__); break;                           \
    case 3: impl(n, w, ws, a, as, y, ldy, 1, 4 __VA_ARGS__); break;                           \
    case 4: impl(n, w, ws, a, as, y, ldy, 2, 1 __VA_ARGS__); break;                           \
    case 5: impl(n, w, ws, a, as, y, ldy, 2, 2 __VA_ARGS__); break;                           \
    case 6: impl(n, w, ws, a, as, y, ldy, 2, 3 __VA_ARGS__); break;                           \
    case 7: impl(n, w, ws, a, as, y, ldy, 2, 4 __VA_ARGS__); break;                           \
    QX_TILE_CASES_WIDE(impl, __VA_ARGS__)                                                      \
    default: break;                                                                            \
    }

#if QX_MAX_R == 4
#define QX_TILE_CASES_WIDE(impl, ...)                                                          \
    case 8: impl(n, w, ws, a, as, y, ldy, 3, 1 __VA_ARGS__); break;                           \
    case 9: impl(n, w, ws, a, as, y, ldy, 3, 2 __VA_ARGS__); break;                           \
    case 10: impl(n, w, ws, a, as, y, ldy, 3, 3 __VA_ARGS__); break;                          \
    case 11: impl(n, w, ws, a, as, y, ldy, 3, 4 __VA_ARGS__); break;                          \
    case 12: impl(n, w, ws, a, as, y, ldy, 4, 1 __VA_ARGS__); break;                          \
    case 13: impl(n, w, ws, a, as, y, ldy, 4, 2 __VA_ARGS__); break;                          \
    case 14: impl(n, w, ws, a, as, y, ldy, 4, 3 __VA_ARGS__); break;                          \
    case 15: impl(n, w, ws, a, as, y, ldy, 4, 4 __VA_ARGS__); break;
#else
#define QX_TILE_CASES_WIDE(impl, ...)
#endif

/* A tile function for the table: rows beyond the register budget are done
 * in passes of QX_MAX_R. */
#define QX_DEFINE_TILE(name, impl, ...)                                                        \
    static void name##_part(int64_t n, const uint8_t *w, size_t ws, int nr, const uint8_t *a,  \
                            size_t as, int nc, float *y, size_t ldy)                           \
    {                                                                                          \
        QX_TILE_CASES(impl, __VA_ARGS__)                                                       \
    }                                                                                          \
    static void name(int64_t n, const void *w, size_t ws, int nr, const void *a, size_t as,    \
                     int nc, float *y, size_t ldy)                                             \
    {                                                                                          \
        for (int r = 0; r < nr; r += QX_MAX_R) {                                               \
            int rr = nr - r < QX_MAX_R ? nr - r : QX_MAX_R;                                    \
            name##_part(n, (const uint8_t *)w + (size_t)r * ws, ws, rr, a, as, nc, y + r,      \
                        ldy);                                                                  \
        }                                                                                      \
    }                                                                                          \
    static float name##_dot(int64_t n, const void *w, const void *a)                           \
    {                                                                                          \
        float y;                                                                               \
        name##_part(n, w, 0, 1, a, 0, 1, &y, 1);                                               \
        return y;                                                                              \
    }

QX_DEFINE_TILE(qx_tile_q4_0, tile_q4_0_impl)
QX_DEFINE_TILE(qx_tile_q5_0, tile_q5_0_impl)
QX_DEFINE_TILE(qx_tile_q4_1, tile_q4_1_impl, , 0)
QX_DEFINE_TILE(qx_tile_q5_1, tile_q4_1_impl, , 1)
QX_DEFINE_TILE(qx_tile_q8_0, tile_q8_0_impl)
QX_DEFINE_TILE(qx_tile_q2_K, tile_q2_K_impl)
QX_DEFINE_TILE(qx_tile_q3_K, tile_q3_K_impl)
QX_DEFINE_TILE(qx_tile_q4_K, tile_q4_K_impl, , 0)
QX_DEFINE_TILE(qx_tile_q5_K, tile_q4_K_impl, , 1)
QX_DEFINE_TILE(qx_tile_q6_K, tile_q6_K_impl)
QX_DEFINE_TILE(qx_tile_f32, tile_float_impl, , 0)
QX_DEFINE_TILE(qx_tile_f16, tile_float_impl, , 1)
QX_DEFINE_TILE(qx_tile_bf16, tile_float_impl, , 2)

/* ------------------------------------------------------------------ */
/* activation quantizers (bit-equal to the scalar ones)                 */

QX_INLINE float hmax_ps(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* 32 rounded floats (already integral, within int8) -> 32 bytes in order. */
QX_INLINE __m256i pack_32_i8(__m256 v0, __m256 v1, __m256 v2, __m256 v3)
{
    __m256i i0 = _mm256_cvtps_epi32(v0), i1 = _mm256_cvtps_epi32(v1);
    __m256i i2 = _mm256_cvtps_epi32(v2), i3 = _mm256_cvtps_epi32(v3);
    __m256i p01 = _mm256_packs_epi32(i0, i1);
    __m256i p23 = _mm256_packs_epi32(i2, i3);
    __m256i p = _mm256_packs_epi16(p01, p23);
    /* the packs work within 128-bit lanes: restore the order of dwords */
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* Sum of 32 signed bytes. */
QX_INLINE int hsum_i8x32(__m256i q)
{
    __m256i s32 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q),
                                    _mm256_set1_epi16(1));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

/* Q8_0/Q8_1 as ggml's x86 code: d = amax/127, multiplier 127/amax, round
 * to nearest even. Returns d; stores the quants. */
QX_INLINE float quantize_q8_32(const float *x, int8_t *qs, __m256i *q_out)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    __m256 m = _mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1));
    m = _mm256_max_ps(m, _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
    float amax = hmax_ps(m);
    float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    __m256 mul = _mm256_set1_ps(id);
    enum { mode = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }; /* clang wants a constant */
    v0 = _mm256_round_ps(_mm256_mul_ps(v0, mul), mode);
    v1 = _mm256_round_ps(_mm256_mul_ps(v1, mul), mode);
    v2 = _mm256_round_ps(_mm256_mul_ps(v2, mul), mode);
    v3 = _mm256_round_ps(_mm256_mul_ps(v3, mul), mode);
    __m256i q = pack_32_i8(v0, v1, v2, v3);
    _mm256_storeu_si256((__m256i *)qs, q);
    *q_out = q;
    return amax / 127.0f;
}

static void qx_quantize_q8_0(const float *src, void *dst, int64_t n)
{
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        __m256i q;
        b[i].d = f32_to_fp16(quantize_q8_32(src + i * QK8_0, b[i].qs, &q));
    }
}

static void qx_quantize_q8_1(const float *src, void *dst, int64_t n)
{
    block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        __m256i q;
        float d = quantize_q8_32(src + i * QK8_1, b[i].qs, &q);
        b[i].d = f32_to_fp16(d);
        b[i].s = f32_to_fp16(d * (float)hsum_i8x32(q));
    }
}

/* Q8_K exactly as ggml's reference: scale from the first element of largest
 * magnitude (its sign included), round to nearest even. */
static void qx_quantize_q8_K(const float *src, void *dst, int64_t n)
{
    block_q8_K *b = dst;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK_K; i++, src += QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < QK_K; j += 8)
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(src + j)));
        float amax = hmax_ps(m);
        if (!(amax > 0.0f)) {
            /* zero block, or NaNs: the scalar code decides */
            quantize_row_q8_K_ref(src, &b[i], QK_K);
            continue;
        }
        __m256 am = _mm256_set1_ps(amax);
        float max = 0;
        for (int j = 0; j < QK_K; j += 8) {
            __m256 v = _mm256_loadu_ps(src + j);
            int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, v), am, _CMP_EQ_OQ));
            if (hit) {
                max = src[j + __builtin_ctz((unsigned)hit)];
                break;
            }
        }
        float iscale = -127.0f / max;
        __m256 mul = _mm256_set1_ps(iscale);
        enum { mode = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC };
        for (int j = 0; j < QK_K; j += 32) {
            __m256 v0 = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(src + j), mul), mode);
            __m256 v1 = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(src + j + 8), mul), mode);
            __m256 v2 = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(src + j + 16), mul), mode);
            __m256 v3 = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(src + j + 24), mul), mode);
            __m256i q = pack_32_i8(v0, v1, v2, v3);
            _mm256_storeu_si256((__m256i *)(b[i].qs + j), q);
            /* two bsums of 16: 4-byte sums, then pairs within each half */
            __m256i s32 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q),
                                            _mm256_set1_epi16(1));
            s32 = _mm256_hadd_epi32(s32, s32);
            s32 = _mm256_hadd_epi32(s32, s32);
            b[i].bsums[j / 16] = (int16_t)_mm256_extract_epi32(s32, 0);
            b[i].bsums[j / 16 + 1] = (int16_t)_mm256_extract_epi32(s32, 4);
        }
        b[i].d = 1.0f / iscale;
    }
}

/* ------------------------------------------------------------------ */
/* half and bfloat16 rows                                               */

static void qx_fp16_to_f32(const uint16_t *src, float *dst, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, load8_f16(src + i));
    for (; i < n; i++)
        dst[i] = fp16_to_f32(src[i]);
}

static void qx_f32_to_fp16(const float *src, uint16_t *dst, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(src + i);
        /* F16C keeps a NaN's payload; the scalar code makes every NaN the
         * canonical quiet one: patch the (rare) NaN lanes. */
        __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
        int nan = _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        _mm_storeu_si128((__m128i *)(dst + i), h);
        if (nan)
            for (int k = 0; k < 8; k++)
                if (nan >> k & 1)
                    dst[i + k] = f32_to_fp16(src[i + k]);
    }
    for (; i < n; i++)
        dst[i] = f32_to_fp16(src[i]);
}

static void qx_bf16_to_f32(const uint16_t *src, float *dst, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, load8_bf16(src + i));
    for (; i < n; i++)
        dst[i] = bf16_to_f32(src[i]);
}

static void qx_f32_to_bf16(const float *src, uint16_t *dst, int64_t n)
{
    int64_t i = 0;
    const __m256i lsb = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7fff);
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(src + i);
        __m256i u = _mm256_castps_si256(f);
        __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(bias, _mm256_and_si256(
                                                                   _mm256_srli_epi32(u, 16), lsb)));
        r = _mm256_srli_epi32(r, 16);
        /* NaN: quiet, sign kept */
        __m256i qnan = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        __m256 isnan = _mm256_cmp_ps(f, f, _CMP_UNORD_Q);
        r = _mm256_blendv_epi8(r, qnan, _mm256_castps_si256(isnan));
        __m128i packed =
            _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storeu_si128((__m128i *)(dst + i), packed);
    }
    for (; i < n; i++)
        dst[i] = f32_to_bf16(src[i]);
}

/* The table entries every x86 level shares. */
#define QX_TABLE_COMMON                                                                        \
    .dequantize =                                                                              \
        {                                                                                      \
            [TENSOR_F32] = dequantize_row_f32,                                                 \
            [TENSOR_F16] = dequantize_row_f16_x86,                                             \
            [TENSOR_BF16] = dequantize_row_bf16_x86,                                           \
            [TENSOR_Q4_0] = dequantize_row_q4_0,                                               \
            [TENSOR_Q4_1] = dequantize_row_q4_1,                                               \
            [TENSOR_Q5_0] = dequantize_row_q5_0,                                               \
            [TENSOR_Q5_1] = dequantize_row_q5_1,                                               \
            [TENSOR_Q8_0] = dequantize_row_q8_0,                                               \
            [TENSOR_Q8_1] = dequantize_row_q8_1,                                               \
            [TENSOR_Q2_K] = dequantize_row_q2_K,                                               \
            [TENSOR_Q3_K] = dequantize_row_q3_K,                                               \
            [TENSOR_Q4_K] = dequantize_row_q4_K,                                               \
            [TENSOR_Q5_K] = dequantize_row_q5_K,                                               \
            [TENSOR_Q6_K] = dequantize_row_q6_K,                                               \
            [TENSOR_Q8_K] = dequantize_row_q8_K,                                               \
        },                                                                                     \
    .quantize_act =                                                                            \
        {                                                                                      \
            [TENSOR_F32] = quantize_row_f32_ref,                                               \
            [TENSOR_F16] = quantize_f16_x86,                                                   \
            [TENSOR_BF16] = quantize_bf16_x86,                                                 \
            [TENSOR_Q8_0] = qx_quantize_q8_0,                                                  \
            [TENSOR_Q8_1] = qx_quantize_q8_1,                                                  \
            [TENSOR_Q8_K] = qx_quantize_q8_K,                                                  \
        },                                                                                     \
    .vec_dot =                                                                                 \
        {                                                                                      \
            [TENSOR_F32] = qx_tile_f32_dot,                                                    \
            [TENSOR_F16] = qx_tile_f16_dot,                                                    \
            [TENSOR_BF16] = qx_tile_bf16_dot,                                                  \
            [TENSOR_Q4_0] = qx_tile_q4_0_dot,                                                  \
            [TENSOR_Q4_1] = qx_tile_q4_1_dot,                                                  \
            [TENSOR_Q5_0] = qx_tile_q5_0_dot,                                                  \
            [TENSOR_Q5_1] = qx_tile_q5_1_dot,                                                  \
            [TENSOR_Q8_0] = qx_tile_q8_0_dot,                                                  \
            [TENSOR_Q2_K] = qx_tile_q2_K_dot,                                                  \
            [TENSOR_Q3_K] = qx_tile_q3_K_dot,                                                  \
            [TENSOR_Q4_K] = qx_tile_q4_K_dot,                                                  \
            [TENSOR_Q5_K] = qx_tile_q5_K_dot,                                                  \
            [TENSOR_Q6_K] = qx_tile_q6_K_dot,                                                  \
        },                                                                                     \
    .tile =                                                                                    \
        {                                                                                      \
            [TENSOR_F32] = qx_tile_f32,                                                        \
            [TENSOR_F16] = qx_tile_f16,                                                        \
            [TENSOR_BF16] = qx_tile_bf16,                                                      \
            [TENSOR_Q4_0] = qx_tile_q4_0,                                                      \
            [TENSOR_Q4_1] = qx_tile_q4_1,                                                      \
            [TENSOR_Q5_0] = qx_tile_q5_0,                                                      \
            [TENSOR_Q5_1] = qx_tile_q5_1,                                                      \
            [TENSOR_Q8_0] = qx_tile_q8_0,                                                      \
            [TENSOR_Q2_K] = qx_tile_q2_K,                                                      \
            [TENSOR_Q3_K] = qx_tile_q3_K,                                                      \
            [TENSOR_Q4_K] = qx_tile_q4_K,                                                      \
            [TENSOR_Q5_K] = qx_tile_q5_K,                                                      \
            [TENSOR_Q6_K] = qx_tile_q6_K,                                                      \
        },                                                                                     \
    .gemm_kn = qx_gemm_kn, .fp16_to_f32 = qx_fp16_to_f32, .f32_to_fp16 = qx_f32_to_fp16,        \
    .bf16_to_f32 = qx_bf16_to_f32, .f32_to_bf16 = qx_f32_to_bf16

static void dequantize_row_f16_x86(const void *src, float *dst, int64_t n)
{
    qx_fp16_to_f32(src, dst, n);
}

static void dequantize_row_bf16_x86(const void *src, float *dst, int64_t n)
{
    qx_bf16_to_f32(src, dst, n);
}

static void quantize_f16_x86(const float *src, void *dst, int64_t n)
{
    qx_f32_to_fp16(src, dst, n);
}

static void quantize_bf16_x86(const float *src, void *dst, int64_t n)
{
    qx_f32_to_bf16(src, dst, n);
}

#endif
