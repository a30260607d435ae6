/* AVX-512 kernels with VNNI (Ice Lake, Zen 4 and later).
 *
 * The shared x86 kernels (quant_x86_kernels.h) run here with vpdpbusd /
 * vpdpwssd on 256-bit registers. On top, 512-bit matrix-vector kernels for
 * the formats whose single-row dot product limits decoding (Q4_0, Q4_K):
 * they rearrange the activation row once per call so that four Q4_0 blocks
 * (or a whole Q4_K super-block) go through a handful of 512-bit
 * instructions with no shuffling of activations per weight row. */
#define QX86_VNNI 1
#include "llm/quant_x86_kernels.h"

static inline float hsum512(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

/* ---- Q4_0 x Q8_0 ---- */

/* Per group of four blocks (128 elements): the activations split as the
 * nibbles come out of a 64-byte load ([blocks 0-3, elements 0-15] and
 * [blocks 0-3, elements 16-31]), -8 * sum(a) per block in the first of its
 * four int32 lanes, and the activation scale repeated over its four lanes. */
typedef struct gemv_q4_0_aux {
    int8_t lo[64];
    int8_t hi[64];
    int32_t nsa[16];
    float da[16];
} gemv_q4_0_aux;

static void gemv_q4_0(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                      float *y, void *scratch)
{
    const int64_t nb = n / QK8_0, ng = nb / 4;
    const block_q8_0 *ab = a;
    gemv_q4_0_aux *aux = scratch;
    for (int64_t g = 0; g < ng; g++) {
        for (int k = 0; k < 4; k++) {
            const block_q8_0 *b = &ab[4 * g + k];
            memcpy(aux[g].lo + 16 * k, b->qs, 16);
            memcpy(aux[g].hi + 16 * k, b->qs + 16, 16);
            int s = 0;
            for (int j = 0; j < 32; j++)
                s += b->qs[j];
            float d = fp16_to_f32(b->d);
            for (int l = 0; l < 4; l++) {
                aux[g].nsa[4 * k + l] = l == 0 ? -8 * s : 0;
                aux[g].da[4 * k + l] = d;
            }
        }
    }
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    /* word index of each block's scale in a 64-byte load: bytes 0, 18, 36, 54 */
    const __m512i didx = _mm512_setr_epi32(0x00000000, 0x00000000, 0x00090009, 0x00090009,
                                           0x00120012, 0x00120012, 0x001b001b, 0x001b001b, 0,
                                           0, 0, 0, 0, 0, 0, 0);
    for (int64_t r = 0; r < nrows; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * ws;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int64_t g = 0;
        for (; g < ng; g++) {
            const uint8_t *p = row + (size_t)g * 4 * sizeof(block_q4_0);
            _mm_prefetch((const char *)p + 1024, _MM_HINT_T0);
            __m512i head = _mm512_loadu_si512(p);
            __m512i q = _mm512_castsi128_si512(loadu128(p + 2));
            q = _mm512_inserti32x4(q, loadu128(p + 20), 1);
            q = _mm512_inserti32x4(q, loadu128(p + 38), 2);
            q = _mm512_inserti32x4(q, loadu128(p + 56), 3);
            __m512i lo = _mm512_and_si512(q, m4);
            __m512i hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
            __m512i s = _mm512_load_si512(aux[g].nsa);
            s = _mm512_dpbusd_epi32(s, lo, _mm512_load_si512(aux[g].lo));
            s = _mm512_dpbusd_epi32(s, hi, _mm512_load_si512(aux[g].hi));
            __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(didx, head)));
            __m512 sc = _mm512_mul_ps(dw, _mm512_load_ps(aux[g].da));
            if (g & 1)
                acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc1);
            else
                acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc0);
        }
        float sum = hsum512(_mm512_add_ps(acc0, acc1));
        if (nb % 4)
            sum += qx_tile_q4_0_dot((nb % 4) * QK8_0, row + (size_t)ng * 4 * sizeof(block_q4_0),
                                    ab + 4 * ng);
        y[r] = sum;
    }
}

/* ---- Q4_K x Q8_K ---- */

/* Per super-block: the activations in the order the nibbles of two 64-byte
 * loads give them (groups 0|2, 1|3, 4|6, 5|7), the eight group sums (pairs
 * of bsums) and the activation scale. */
typedef struct gemv_q4_K_aux {
    int8_t qs[256];
    int16_t gsum[8];
    float d;
    int32_t pad[11];
} gemv_q4_K_aux;

static void gemv_q4_K(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                      float *y, void *scratch)
{
    const int64_t nb = n / QK_K;
    const block_q8_K *ab = a;
    gemv_q4_K_aux *aux = scratch;
    static const int order[8] = {0, 2, 1, 3, 4, 6, 5, 7};
    for (int64_t b = 0; b < nb; b++) {
        for (int k = 0; k < 8; k++)
            memcpy(aux[b].qs + 32 * k, ab[b].qs + 32 * order[k], 32);
        for (int g = 0; g < 8; g++)
            aux[b].gsum[g] = (int16_t)(ab[b].bsums[2 * g] + ab[b].bsums[2 * g + 1]);
        aux[b].d = ab[b].d;
    }
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    /* [scale of group i x 16 | scale of group j x 16] as 16-bit word indices */
    const __m512i i02 = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
    const __m512i i13 = _mm512_inserti64x4(_mm512_set1_epi16(1), _mm256_set1_epi16(3), 1);
    const __m512i i46 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    const __m512i i57 = _mm512_inserti64x4(_mm512_set1_epi16(5), _mm256_set1_epi16(7), 1);
    for (int64_t r = 0; r < nrows; r++) {
        const block_q4_K *x = (const block_q4_K *)((const uint8_t *)w + (size_t)r * ws);
        __m512 acc = _mm512_setzero_ps();
        __m128 accm = _mm_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            _mm_prefetch((const char *)&x[b] + 1024, _MM_HINT_T0);
            _mm_prefetch((const char *)&x[b] + 1088, _MM_HINT_T0);
            _mm_prefetch((const char *)&x[b] + 1152, _MM_HINT_T0);
            uint32_t u[3];
            memcpy(u, x[b].scales, 12);
            uint32_t sc03 = u[0] & 0x3f3f3f3fu, mn03 = u[1] & 0x3f3f3f3fu;
            uint32_t sc47 = (u[2] & 0x0f0f0f0fu) | ((u[0] >> 2) & 0x30303030u);
            uint32_t mn47 = ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 2) & 0x30303030u);
            __m256i s16 = _mm256_cvtepu8_epi16(
                _mm_setr_epi32((int)sc03, (int)sc47, (int)mn03, (int)mn47));
            __m512i s16z = _mm512_castsi256_si512(s16);
            __m512i z0 = _mm512_loadu_si512(x[b].qs);
            __m512i z1 = _mm512_loadu_si512(x[b].qs + 64);
            __m512i q02 = _mm512_and_si512(z0, m4);
            __m512i q13 = _mm512_and_si512(_mm512_srli_epi16(z0, 4), m4);
            __m512i q46 = _mm512_and_si512(z1, m4);
            __m512i q57 = _mm512_and_si512(_mm512_srli_epi16(z1, 4), m4);
            const int8_t *aq = aux[b].qs;
            __m512i p0 = _mm512_maddubs_epi16(q02, _mm512_load_si512(aq));
            __m512i p1 = _mm512_maddubs_epi16(q13, _mm512_load_si512(aq + 64));
            __m512i p2 = _mm512_maddubs_epi16(q46, _mm512_load_si512(aq + 128));
            __m512i p3 = _mm512_maddubs_epi16(q57, _mm512_load_si512(aq + 192));
            __m512i isum = _mm512_madd_epi16(p0, _mm512_permutexvar_epi16(i02, s16z));
            isum = _mm512_dpwssd_epi32(isum, p1, _mm512_permutexvar_epi16(i13, s16z));
            isum = _mm512_dpwssd_epi32(isum, p2, _mm512_permutexvar_epi16(i46, s16z));
            isum = _mm512_dpwssd_epi32(isum, p3, _mm512_permutexvar_epi16(i57, s16z));
            __m128i msum = _mm_madd_epi16(_mm256_extracti128_si256(s16, 1),
                                          loadu128(aux[b].gsum));
            float da = aux[b].d;
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(h2f(x[b].d) * da),
                                  acc);
            accm = _mm_fmadd_ps(_mm_cvtepi32_ps(msum), _mm_set1_ps(h2f(x[b].dmin) * da), accm);
        }
        __m128 t = _mm_add_ps(accm, _mm_movehl_ps(accm, accm));
        t = _mm_add_ss(t, _mm_movehdup_ps(t));
        y[r] = hsum512(acc) - _mm_cvtss_f32(t);
    }
}

const quant_kernels quant_kernels_avx512 = {
    .level = SIMD_AVX512,
    QX_TABLE_COMMON,
    .gemv =
        {
            [TENSOR_Q4_0] = gemv_q4_0,
            [TENSOR_Q4_K] = gemv_q4_K,
        },
};
