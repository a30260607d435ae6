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

/* ---- Q4_0 and Q8_0 rows as byte streams ---- */

/* A row of Q4_0 (18-byte blocks: 2 bytes of scale, 16 of nibbles) or Q8_0
 * (34-byte blocks: scale, 32 quants) is read in plain 64-byte chunks from
 * its start, with no rearranging of the weights: the activations are laid
 * out once per call to sit under the weight bytes they multiply (zero under
 * the scale bytes). Block sizes are even and scales 2 bytes long, so every
 * 4-byte lane of a chunk holds quants of one block only (a lane that starts
 * on a scale has two quants after it; one that ends on the next scale has
 * two quants before it): the lane's int32 sum of vpdpbusd is then scaled by
 * that block's weight and activation scales. The weight scale of a lane's
 * block lies in the chunk or the one before (a block is shorter than a
 * chunk), so one two-source word permute of the last two chunks gathers the
 * sixteen lanes' scales. The row's last chunk is a masked load. Compared
 * with moving the weights into block order this saves the shuffles per
 * block and needs no tail code for block counts that are not a multiple of
 * the unrolling. */
/* Per chunk, 64-byte aligned: the activations under the chunk's bytes
 * (Q4_0: those of the low nibbles, then those of the high nibbles), then
 * -offset * sum(a) of each block in one lane of that block (int32 x 16),
 * then the activation scale of each lane's block (float x 16, 0 past the
 * row's end). After all chunks, per chunk 16 words: the index of each
 * lane's weight scale in [previous chunk | this chunk]. With GEMV_SCRATCH_BYTES
 * this needs at most 224 bytes per 64 weight bytes of a row (Q8_0) plus one
 * chunk. */
#define ST_NSA(Q4) ((Q4) ? 128 : 64)
#define ST_DA(Q4) ((Q4) ? 192 : 128)
#define ST_STRIDE(Q4) ((Q4) ? 256 : 192)

/* Lays out the activations ab (nb blocks of Q8_0) for rows of `bsize`-byte
 * blocks (18: Q4_0, 34: Q8_0) at aux. */
static void gemv_stream_prepare(const block_q8_0 *ab, int64_t nb, int bsize, uint8_t *aux)
{
    const int q4 = bsize == (int)sizeof(block_q4_0);
    const int64_t row_bytes = nb * bsize, nc = (row_bytes + 63) / 64;
    const size_t stride = ST_STRIDE(q4);
    int16_t *idx = (int16_t *)(aux + (size_t)nc * stride);
    memset(aux, 0, (size_t)nc * (stride + 32));
    for (int64_t b = 0; b < nb; b++) {
        const int8_t *q = ab[b].qs;
        const int64_t o0 = b * bsize + 2; /* first quant byte of the block */
        const int nq = q4 ? 16 : 32;
        for (int i = 0; i < nq; i++) {
            int64_t o = o0 + i;
            int8_t *ch = (int8_t *)aux + (size_t)(o / 64) * stride;
            ch[o % 64] = q[i];
            if (q4)
                ch[64 + o % 64] = q[i + 16];
        }
        int s = 0;
        for (int j = 0; j < 32; j++)
            s += q[j];
        int32_t *nsa = (int32_t *)(aux + (size_t)(o0 / 64) * stride + ST_NSA(q4));
        nsa[(o0 % 64) / 4] = (q4 ? -8 : -128) * s;
    }
    for (int64_t c = 0; c < nc; c++) {
        float *da = (float *)(aux + (size_t)c * stride + ST_DA(q4));
        for (int l = 0; l < 16; l++) {
            int64_t o = 64 * c + 4 * l;
            /* past the row's end: scale 0, times the last block's weight
             * scale (the word there might read as inf or NaN) */
            int64_t b = o < row_bytes ? o / bsize : nb - 1;
            da[l] = o < row_bytes ? fp16_to_f32(ab[b].d) : 0.0f;
            idx[16 * c + l] = (int16_t)((b * bsize - 64 * c + 64) / 2);
        }
    }
}

/* The sum of lanes of each of a, b, c, d, in that order. */
static inline __m128 hsum4x512(__m512 a, __m512 b, __m512 c, __m512 d)
{
    __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    /* per 128-bit lane: a, b, c, d partial sums */
    __m512 abcd = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, 0x44), _mm512_shuffle_ps(ab, cd, 0xee));
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(abcd), _mm512_extractf32x8_ps(abcd, 1));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* One chunk: the lanes' integer sums, scaled, added to acc. */
static inline __attribute__((always_inline)) __m512
stream_chunk(__m512 acc, __m512i prev, __m512i cur, const uint8_t *x, const int16_t *idx,
             const int Q4)
{
    __m512i s = _mm512_load_si512(x + ST_NSA(Q4));
    if (Q4) {
        const __m512i m4 = _mm512_set1_epi8(0x0f);
        s = _mm512_dpbusd_epi32(s, _mm512_and_si512(cur, m4), _mm512_load_si512(x));
        s = _mm512_dpbusd_epi32(s, _mm512_and_si512(_mm512_srli_epi16(cur, 4), m4),
                                _mm512_load_si512(x + 64));
    } else {
        /* weights go in as w + 128 (unsigned); nsa takes 128 * sum(a) off */
        s = _mm512_dpbusd_epi32(s, _mm512_xor_si512(cur, _mm512_set1_epi8((char)0x80)),
                                _mm512_load_si512(x));
    }
    __m512i iv = _mm512_zextsi256_si512(_mm256_load_si256((const __m256i *)idx));
    __m512i dwi = _mm512_permutex2var_epi16(prev, iv, cur);
    __m512 sc = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(dwi)),
                              _mm512_load_ps((const float *)(x + ST_DA(Q4))));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc);
}

static inline __attribute__((always_inline)) __m512
stream_row(const uint8_t *row, int64_t nc, __mmask64 last_mask, const uint8_t *aux,
           const int Q4)
{
    const size_t st = ST_STRIDE(Q4);
    const int16_t *idx = (const int16_t *)(aux + (size_t)nc * st);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512i prev = _mm512_setzero_si512();
    int64_t c = 0;
    for (; c + 2 < nc; c += 2) {
        __m512i c0 = _mm512_loadu_si512(row + 64 * c);
        __m512i c1 = _mm512_loadu_si512(row + 64 * c + 64);
        if (Q4)
            _mm_prefetch((const char *)row + 64 * c + 2048, _MM_HINT_T0);
        acc0 = stream_chunk(acc0, prev, c0, aux + (size_t)c * st, idx + 16 * c, Q4);
        acc1 = stream_chunk(acc1, c0, c1, aux + (size_t)(c + 1) * st, idx + 16 * (c + 1), Q4);
        prev = c1;
    }
    if (c + 1 < nc) {
        __m512i c0 = _mm512_loadu_si512(row + 64 * c);
        acc0 = stream_chunk(acc0, prev, c0, aux + (size_t)c * st, idx + 16 * c, Q4);
        prev = c0;
        c++;
    }
    __m512i cl = _mm512_maskz_loadu_epi8(last_mask, row + 64 * c);
    acc1 = stream_chunk(acc1, prev, cl, aux + (size_t)c * st, idx + 16 * c, Q4);
    return _mm512_add_ps(acc0, acc1);
}

static inline __attribute__((always_inline)) void
gemv_stream(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a, float *y,
            void *scratch, int prepared, const int Q4)
{
    const int64_t nb = n / QK8_0;
    const int bsize = Q4 ? (int)sizeof(block_q4_0) : (int)sizeof(block_q8_0);
    const uint8_t *aux = scratch;
    const int64_t row_bytes = nb * bsize, nc = (row_bytes + 63) / 64;
    if (nb == 0) {
        for (int64_t r = 0; r < nrows; r++)
            y[r] = 0.0f;
        return;
    }
    if (!prepared)
        gemv_stream_prepare(a, nb, bsize, scratch);
    const int64_t tail = row_bytes - 64 * (nc - 1);
    const __mmask64 last_mask = tail == 64 ? ~(__mmask64)0 : (((__mmask64)1 << tail) - 1);
    const uint8_t *wb = w;
    int64_t r = 0;
    /* four rows, one after another, summed across lanes together */
    for (; r + 4 <= nrows; r += 4) {
        __m512 s0 = stream_row(wb + (size_t)r * ws, nc, last_mask, aux, Q4);
        __m512 s1 = stream_row(wb + (size_t)(r + 1) * ws, nc, last_mask, aux, Q4);
        __m512 s2 = stream_row(wb + (size_t)(r + 2) * ws, nc, last_mask, aux, Q4);
        __m512 s3 = stream_row(wb + (size_t)(r + 3) * ws, nc, last_mask, aux, Q4);
        _mm_storeu_ps(y + r, hsum4x512(s0, s1, s2, s3));
    }
    for (; r < nrows; r++)
        y[r] = hsum512(stream_row(wb + (size_t)r * ws, nc, last_mask, aux, Q4));
}

static void gemv_q4_0(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                      float *y, void *scratch, int prepared)
{
    gemv_stream(n, w, ws, nrows, a, y, scratch, prepared, 1);
}

/* ---- Q8_0 x Q8_0 ---- */

/* Per pair of blocks: both blocks' activations (64 bytes), -128 * sum(a) per
 * block in the first of its eight lanes (the weights go in as w + 128), and
 * the activation scales over their lanes. (The byte-stream layout above
 * measured 15% slower for Q8_0 on Zen 4: its two-source word permute per
 * chunk costs more than the one-source permute per pair here.) */
typedef struct gemv_q8_0_aux {
    int8_t a[64];
    int32_t nsa[16];
    float da[16];
} gemv_q8_0_aux;

/* One row's lane sums of the pairs of blocks (an odd last block excluded). */
static inline __attribute__((always_inline)) __m512
q8_0_row_pairs(const uint8_t *row, int64_t np, const gemv_q8_0_aux *aux)
{
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    /* word index of the two scales in a 64-byte load: bytes 0 and 34 */
    const __m512i didx = _mm512_setr_epi32(0, 0, 0, 0, 0x00110011, 0x00110011, 0x00110011,
                                           0x00110011, 0, 0, 0, 0, 0, 0, 0, 0);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t p = 0;
    for (; p + 2 <= np; p += 2)
        for (int k = 0; k < 2; k++) {
            const uint8_t *q = row + (size_t)(p + k) * 2 * sizeof(block_q8_0);
            __m512i head = _mm512_loadu_si512(q);
            __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(q + 2)),
                                           loadu256(q + 36), 1);
            __m512i s = _mm512_dpbusd_epi32(_mm512_load_si512(aux[p + k].nsa),
                                            _mm512_xor_si512(v, bias),
                                            _mm512_load_si512(aux[p + k].a));
            __m512 dw =
                _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(didx, head)));
            __m512 sc = _mm512_mul_ps(dw, _mm512_load_ps(aux[p + k].da));
            if (k)
                acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc1);
            else
                acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc0);
        }
    if (p < np) {
        const uint8_t *q = row + (size_t)p * 2 * sizeof(block_q8_0);
        __m512i head = _mm512_loadu_si512(q);
        __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(q + 2)),
                                       loadu256(q + 36), 1);
        __m512i s = _mm512_dpbusd_epi32(_mm512_load_si512(aux[p].nsa), _mm512_xor_si512(v, bias),
                                        _mm512_load_si512(aux[p].a));
        __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(didx, head)));
        acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_load_ps(aux[p].da)),
                               acc0);
    }
    return _mm512_add_ps(acc0, acc1);
}

/* No software prefetch here or in the Q4_K kernel: for one sequential
 * stream the hardware prefetcher does better (measured 23 vs 17 GB/s on one
 * Zen 4 core); the Q4_0 kernel measured the other way. */
static void gemv_q8_0(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                      float *y, void *scratch, int prepared)
{
    const int64_t nb = n / QK8_0, np = nb / 2;
    const block_q8_0 *ab = a;
    gemv_q8_0_aux *aux = scratch;
    for (int64_t p = 0; p < np && !prepared; p++)
        for (int k = 0; k < 2; k++) {
            const block_q8_0 *b = &ab[2 * p + k];
            memcpy(aux[p].a + 32 * k, b->qs, 32);
            int s = 0;
            for (int j = 0; j < 32; j++)
                s += b->qs[j];
            float d = fp16_to_f32(b->d);
            for (int l = 0; l < 8; l++) {
                aux[p].nsa[8 * k + l] = l == 0 ? -128 * s : 0;
                aux[p].da[8 * k + l] = d;
            }
        }
    const uint8_t *wb = w;
    const size_t odd = (size_t)(nb - 1) * sizeof(block_q8_0);
    int64_t r = 0;
    /* four rows, one after another, summed across lanes together */
    for (; r + 4 <= nrows; r += 4) {
        __m512 s0 = q8_0_row_pairs(wb + (size_t)r * ws, np, aux);
        __m512 s1 = q8_0_row_pairs(wb + (size_t)(r + 1) * ws, np, aux);
        __m512 s2 = q8_0_row_pairs(wb + (size_t)(r + 2) * ws, np, aux);
        __m512 s3 = q8_0_row_pairs(wb + (size_t)(r + 3) * ws, np, aux);
        __m128 sum = hsum4x512(s0, s1, s2, s3);
        if (nb & 1) {
            float t[4];
            for (int k = 0; k < 4; k++)
                t[k] = qx_tile_q8_0_dot(QK8_0, wb + (size_t)(r + k) * ws + odd, ab + nb - 1);
            sum = _mm_add_ps(sum, _mm_loadu_ps(t));
        }
        _mm_storeu_ps(y + r, sum);
    }
    for (; r < nrows; r++) {
        const uint8_t *row = wb + (size_t)r * ws;
        float sum = hsum512(q8_0_row_pairs(row, np, aux));
        if (nb & 1)
            sum += qx_tile_q8_0_dot(QK8_0, row + odd, ab + nb - 1);
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
                      float *y, void *scratch, int prepared)
{
    const int64_t nb = n / QK_K;
    const block_q8_K *ab = a;
    gemv_q4_K_aux *aux = scratch;
    static const int order[8] = {0, 2, 1, 3, 4, 6, 5, 7};
    for (int64_t b = 0; b < nb && !prepared; b++) {
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

/* ---- Q6_K x Q8_K ---- */

/* Half a super-block at a time: one 64-byte load of ql gives the low bits of
 * elements 0-63 (low nibbles) and 64-127 (high nibbles), in the order of
 * the activations, so no rearranging is needed. */
static void gemv_q6_K(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                      float *y, void *scratch, int prepared)
{
    (void)scratch;
    (void)prepared;
    const int64_t nb = n / QK_K;
    const block_q8_K *ab = a;
    const __m512i m4 = _mm512_set1_epi8(0x0f), m3 = _mm512_set1_epi8(0x03);
    /* shifts of qh for the two 32-byte halves of a register, per 16-bit word */
    const __m512i sh01 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i sh23 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    __m512i sidx[4];
    for (int q = 0; q < 4; q++) /* groups 4q .. 4q+3, eight words each */
        sidx[q] = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_setr_epi16(
                (short)(4 * q), (short)(4 * q), (short)(4 * q), (short)(4 * q), (short)(4 * q),
                (short)(4 * q), (short)(4 * q), (short)(4 * q), (short)(4 * q + 1),
                (short)(4 * q + 1), (short)(4 * q + 1), (short)(4 * q + 1), (short)(4 * q + 1),
                (short)(4 * q + 1), (short)(4 * q + 1), (short)(4 * q + 1))),
            _mm256_setr_epi16((short)(4 * q + 2), (short)(4 * q + 2), (short)(4 * q + 2),
                              (short)(4 * q + 2), (short)(4 * q + 2), (short)(4 * q + 2),
                              (short)(4 * q + 2), (short)(4 * q + 2), (short)(4 * q + 3),
                              (short)(4 * q + 3), (short)(4 * q + 3), (short)(4 * q + 3),
                              (short)(4 * q + 3), (short)(4 * q + 3), (short)(4 * q + 3),
                              (short)(4 * q + 3)),
            1);
    for (int64_t r = 0; r < nrows; r++) {
        const block_q6_K *x = (const block_q6_K *)((const uint8_t *)w + (size_t)r * ws);
        __m512 acc = _mm512_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            __m256i sc16 = _mm256_cvtepi8_epi16(loadu128(x[b].scales));
            __m512i sc16z = _mm512_castsi256_si512(sc16);
            __m512i isum = _mm512_setzero_si512();
            for (int h = 0; h < 2; h++) {
                __m512i l = _mm512_loadu_si512(x[b].ql + 64 * h);
                __m512i hb = _mm512_broadcast_i64x4(loadu256(x[b].qh + 32 * h));
                __m512i q01 = _mm512_or_si512(
                    _mm512_and_si512(l, m4),
                    _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hb, sh01), m3), 4));
                __m512i q23 = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                    _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hb, sh23), m3), 4));
                const int8_t *aq = ab[b].qs + 128 * h;
                isum = _mm512_dpwssd_epi32(
                    isum, _mm512_maddubs_epi16(q01, _mm512_loadu_si512(aq)),
                    _mm512_permutexvar_epi16(sidx[2 * h], sc16z));
                isum = _mm512_dpwssd_epi32(
                    isum, _mm512_maddubs_epi16(q23, _mm512_loadu_si512(aq + 64)),
                    _mm512_permutexvar_epi16(sidx[2 * h + 1], sc16z));
            }
            /* q - 32: take 32 * sum over groups of scale * bsum */
            __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(sc16, loadu256(ab[b].bsums)), 5);
            isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(off));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(h2f(x[b].d) * ab[b].d),
                                  acc);
        }
        y[r] = hsum512(acc);
    }
}

/* ---- float rows ---- */

static inline __m512 load16_kind(const uint8_t *p, int64_t i, const int KIND)
{
    if (KIND == 0)
        return _mm512_loadu_ps((const float *)p + i);
    __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i));
    if (KIND == 1)
        return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* The activation row (of the weights' own type) is widened to floats once;
 * each weight row is then one conversion and one FMA per 16 values. */
static inline __attribute__((always_inline)) void
gemv_float(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a, float *y,
           void *scratch, int prepared, const int KIND)
{
    float *af = scratch;
    if (!prepared) {
        if (KIND == 0)
            memcpy(af, a, (size_t)n * sizeof(float));
        else if (KIND == 1)
            qx_fp16_to_f32(a, af, n);
        else
            qx_bf16_to_f32(a, af, n);
    }
    for (int64_t r = 0; r < nrows; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * ws;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 32 <= n; i += 32) {
            acc0 = _mm512_fmadd_ps(load16_kind(row, i, KIND), _mm512_loadu_ps(af + i), acc0);
            acc1 = _mm512_fmadd_ps(load16_kind(row, i + 16, KIND), _mm512_loadu_ps(af + i + 16),
                                   acc1);
        }
        float sum = hsum512(_mm512_add_ps(acc0, acc1));
        for (; i < n; i++)
            sum += scalar_kind(row, i, KIND) * af[i];
        y[r] = sum;
    }
}

static void gemv_f32(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a, float *y,
                     void *scratch, int prepared)
{
    gemv_float(n, w, ws, nrows, a, y, scratch, prepared, 0);
}

static void gemv_f16(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a, float *y,
                     void *scratch, int prepared)
{
    gemv_float(n, w, ws, nrows, a, y, scratch, prepared, 1);
}

static void gemv_bf16(int64_t n, const void *w, size_t ws, int64_t nrows, const void *a,
                      float *y, void *scratch, int prepared)
{
    gemv_float(n, w, ws, nrows, a, y, scratch, prepared, 2);
}

/* ------------------------------------------------------------------ */
/* Batched products of quantized weights: 8 rows x 16 columns per step.
 *
 * Every weight format is first rewritten, 32 elements at a time, as
 * unsigned bytes u with a float scale d and offset m: w = d * u - m
 * (Q4_0: u = q, m = 8d; Q8_0: u = w + 128, m = 128d; Q4_1: m = -min;
 * K-quants: d = super-scale * group scale, m = super-min * group min;
 * formats with groups of 16 carry two (d, m) per 32). A panel of 8 rows is
 * rewritten once per call. The activations (Q8_0/Q8_1/Q8_K) are rearranged
 * once per call in groups of 16 columns, four bytes of each column side by
 * side, so that one vpdpbusd multiplies a broadcast 4-byte piece of one
 * weight row with 16 columns at once: no horizontal sums, and the float
 * work (scale, offset) is one multiply and two FMAs per row and 32 elements
 * for 16 columns. With m * (da * sum(a)) precomputed per column, the output
 * is sum over blocks of d*da*dot(u, a) - m*da*sum(a). */

enum { QG_ROWS = 8, QG_COLS = 16 };

typedef struct qg_wblock {
    uint8_t u[QG_ROWS][32];
    float d[2][QG_ROWS];
    float m[2][QG_ROWS];
} qg_wblock;

typedef struct qg_ablock {
    int8_t s[8][QG_COLS][4];  /* piece j of each column */
    float da[QG_COLS];        /* activation scale */
    float dsum[2][QG_COLS];   /* da * sum of the quants, per half (or whole) */
} qg_ablock;

static int qg_halves(tensor_type t)
{
    return t == TENSOR_Q2_K || t == TENSOR_Q3_K || t == TENSOR_Q6_K ? 2 : 1;
}

size_t qgemm_panel_bytes(int64_t k)
{
    return (size_t)(k / 32) * sizeof(qg_wblock) + 64;
}

size_t qgemm_acts_bytes(int64_t k, int64_t batch)
{
    return (size_t)((batch + QG_COLS - 1) / QG_COLS) * (size_t)(k / 32) * sizeof(qg_ablock) + 64;
}

/* Rearranges `batch` quantized activation rows (stride as) into column
 * groups; groups [g0, g1). Columns past the batch are zero. */
void qgemm_prepare_acts(tensor_type at, int64_t k, const uint8_t *a, size_t as, int64_t batch,
                        int64_t g0, int64_t g1, void *out)
{
    const int64_t nb = k / 32;
    qg_ablock *dst = out;
    for (int64_t g = g0; g < g1; g++) {
        qg_ablock *ag = dst + g * nb;
        memset(ag, 0, sizeof(qg_ablock) * (size_t)nb);
        for (int c = 0; c < QG_COLS; c++) {
            int64_t col = g * QG_COLS + c;
            if (col >= batch)
                break;
            const uint8_t *row = a + (size_t)col * as;
            for (int64_t b = 0; b < nb; b++) {
                const int8_t *qs;
                float da;
                if (at == TENSOR_Q8_K) {
                    const block_q8_K *kb = (const block_q8_K *)row + b / 8;
                    qs = kb->qs + 32 * (b % 8);
                    da = kb->d;
                } else if (at == TENSOR_Q8_1) {
                    const block_q8_1 *q1 = (const block_q8_1 *)row + b;
                    qs = q1->qs;
                    da = h2f(q1->d);
                } else {
                    const block_q8_0 *q0 = (const block_q8_0 *)row + b;
                    qs = q0->qs;
                    da = h2f(q0->d);
                }
                for (int j = 0; j < 8; j++)
                    memcpy(ag[b].s[j][c], qs + 4 * j, 4);
                int s0 = 0, s1 = 0;
                for (int l = 0; l < 16; l++) {
                    s0 += qs[l];
                    s1 += qs[16 + l];
                }
                ag[b].da[c] = da;
                ag[b].dsum[0][c] = da * (float)s0;
                ag[b].dsum[1][c] = da * (float)s1;
            }
        }
    }
}

static inline void qg_put(qg_wblock *wb, int r, __m256i u, float d0, float m0, float d1, float m1)
{
    _mm256_store_si256((__m256i *)wb->u[r], u);
    wb->d[0][r] = d0;
    wb->m[0][r] = m0;
    wb->d[1][r] = d1;
    wb->m[1][r] = m1;
}

/* Rewrites rows [0, nr) of a panel (rows nr..7 zero) as (u, d, m). */
static void qg_pack_panel(tensor_type t, const uint8_t *w, size_t ws, int nr, int64_t k,
                          qg_wblock *panel)
{
    const int64_t nb = k / 32;
    const __m256i m4 = _mm256_set1_epi8(0x0f), m3 = _mm256_set1_epi8(0x03);
    if (nr < QG_ROWS)
        memset(panel, 0, sizeof(qg_wblock) * (size_t)nb);
    for (int r = 0; r < nr; r++) {
        const uint8_t *row = w + (size_t)r * ws;
        switch (t) {
        case TENSOR_Q4_0:
        case TENSOR_Q5_0:
        case TENSOR_Q8_0:
        case TENSOR_Q4_1:
        case TENSOR_Q5_1:
            for (int64_t b = 0; b < nb; b++) {
                __m256i u;
                float d, m;
                if (t == TENSOR_Q4_0) {
                    const block_q4_0 *x = (const block_q4_0 *)row + b;
                    u = unpack_nibbles16(x->qs);
                    d = h2f(x->d);
                    m = 8 * d;
                } else if (t == TENSOR_Q5_0) {
                    const block_q5_0 *x = (const block_q5_0 *)row + b;
                    u = _mm256_or_si256(unpack_nibbles16(x->qs), bits_to_0x10(x->qh));
                    d = h2f(x->d);
                    m = 16 * d;
                } else if (t == TENSOR_Q8_0) {
                    const block_q8_0 *x = (const block_q8_0 *)row + b;
                    u = _mm256_xor_si256(loadu256(x->qs), _mm256_set1_epi8((char)0x80));
                    d = h2f(x->d);
                    m = 128 * d;
                } else if (t == TENSOR_Q4_1) {
                    const block_q4_1 *x = (const block_q4_1 *)row + b;
                    u = unpack_nibbles16(x->qs);
                    d = h2f(x->d);
                    m = -h2f(x->m);
                } else {
                    const block_q5_1 *x = (const block_q5_1 *)row + b;
                    u = _mm256_or_si256(unpack_nibbles16(x->qs), bits_to_0x10(x->qh));
                    d = h2f(x->d);
                    m = -h2f(x->m);
                }
                qg_put(&panel[b], r, u, d, m, 0, 0);
            }
            break;
        case TENSOR_Q4_K:
        case TENSOR_Q5_K:
            for (int64_t sb = 0; sb < nb / 8; sb++) {
                bool five = t == TENSOR_Q5_K;
                const block_q4_K *x4 = (const block_q4_K *)row + sb;
                const block_q5_K *x5 = (const block_q5_K *)row + sb;
                const uint8_t *scales = five ? x5->scales : x4->scales;
                const uint8_t *qs = five ? x5->qs : x4->qs;
                float d = h2f(five ? x5->d : x4->d), dmin = h2f(five ? x5->dmin : x4->dmin);
                __m256i qh = five ? loadu256(x5->qh) : _mm256_setzero_si256();
                for (int g = 0; g < 8; g++) {
                    __m256i raw = loadu256(qs + 32 * (g / 2));
                    __m256i u = (g & 1) ? _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4)
                                        : _mm256_and_si256(raw, m4);
                    if (five) {
                        __m256i bit = _mm256_set1_epi8((char)(1 << g));
                        u = _mm256_or_si256(
                            u, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit),
                                                _mm256_set1_epi8(0x10)));
                    }
                    uint8_t sc, mn;
                    q4k_scale_min(g, scales, &sc, &mn);
                    qg_put(&panel[8 * sb + g], r, u, d * (float)sc, dmin * (float)mn, 0, 0);
                }
            }
            break;
        case TENSOR_Q6_K:
            for (int64_t sb = 0; sb < nb / 8; sb++) {
                const block_q6_K *x = (const block_q6_K *)row + sb;
                float d = h2f(x->d);
                for (int h = 0; h < 2; h++) {
                    __m256i l0 = loadu256(x->ql + 64 * h), l1 = loadu256(x->ql + 64 * h + 32);
                    __m256i hi = loadu256(x->qh + 32 * h);
                    for (int s = 0; s < 4; s++) {
                        __m256i lo4 = (s & 1) ? l1 : l0;
                        lo4 = s >= 2 ? _mm256_and_si256(_mm256_srli_epi16(lo4, 4), m4)
                                     : _mm256_and_si256(lo4, m4);
                        __m256i h2 = _mm256_and_si256(_mm256_srli_epi16(hi, 2 * s), m3);
                        __m256i u = _mm256_or_si256(lo4, _mm256_slli_epi16(h2, 4));
                        int g = 8 * h + 2 * s;
                        float d0 = d * (float)x->scales[g], d1 = d * (float)x->scales[g + 1];
                        qg_put(&panel[8 * sb + 4 * h + s], r, u, d0, 32 * d0, d1, 32 * d1);
                    }
                }
            }
            break;
        case TENSOR_Q3_K:
            for (int64_t sb = 0; sb < nb / 8; sb++) {
                const block_q3_K *x = (const block_q3_K *)row + sb;
                float d = h2f(x->d);
                int8_t sc[16];
                q3k_scales(x->scales, sc);
                __m256i hm = loadu256(x->hmask);
                for (int h = 0; h < 2; h++) {
                    __m256i raw = loadu256(x->qs + 32 * h);
                    for (int s = 0; s < 4; s++) {
                        __m256i lo = _mm256_and_si256(_mm256_srli_epi16(raw, 2 * s), m3);
                        __m256i bit = _mm256_set1_epi8((char)(1 << (4 * h + s)));
                        __m256i hb = _mm256_and_si256(
                            _mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit), _mm256_set1_epi8(4));
                        int g = 8 * h + 2 * s;
                        float d0 = d * (float)sc[g], d1 = d * (float)sc[g + 1];
                        qg_put(&panel[8 * sb + 4 * h + s], r, _mm256_or_si256(lo, hb), d0, 4 * d0,
                               d1, 4 * d1);
                    }
                }
            }
            break;
        case TENSOR_Q2_K:
            for (int64_t sb = 0; sb < nb / 8; sb++) {
                const block_q2_K *x = (const block_q2_K *)row + sb;
                float d = h2f(x->d), dmin = h2f(x->dmin);
                for (int h = 0; h < 2; h++) {
                    __m256i raw = loadu256(x->qs + 32 * h);
                    for (int s = 0; s < 4; s++) {
                        __m256i u = _mm256_and_si256(_mm256_srli_epi16(raw, 2 * s), m3);
                        int g = 8 * h + 2 * s;
                        uint8_t s0 = x->scales[g], s1 = x->scales[g + 1];
                        qg_put(&panel[8 * sb + 4 * h + s], r, u, d * (float)(s0 & 15),
                               dmin * (float)(s0 >> 4), d * (float)(s1 & 15),
                               dmin * (float)(s1 >> 4));
                    }
                }
            }
            break;
        default:
            break;
        }
    }
}

/* 8 rows x 16 columns over all blocks; HALVES: (d, m) per 16 elements. */
static inline __attribute__((always_inline)) void
qg_kernel(int64_t nb, const qg_wblock *W, const qg_ablock *A, __m512 f[QG_ROWS],
          const int HALVES)
{
    for (int r = 0; r < QG_ROWS; r++)
        f[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const qg_wblock *wb = &W[b];
        const qg_ablock *ab = &A[b];
        __m512 da = _mm512_load_ps(ab->da);
        for (int h = 0; h < HALVES; h++) {
            __m512i acc[QG_ROWS];
            for (int r = 0; r < QG_ROWS; r++)
                acc[r] = _mm512_setzero_si512();
            for (int j = h * 8 / HALVES; j < (h + 1) * 8 / HALVES; j++) {
                __m512i sv = _mm512_load_si512(ab->s[j]);
                for (int r = 0; r < QG_ROWS; r++) {
                    int32_t piece;
                    memcpy(&piece, wb->u[r] + 4 * j, 4);
                    acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(piece), sv);
                }
            }
            __m512 dsum = HALVES == 2 ? _mm512_load_ps(ab->dsum[h])
                                      : _mm512_add_ps(_mm512_load_ps(ab->dsum[0]),
                                                      _mm512_load_ps(ab->dsum[1]));
            for (int r = 0; r < QG_ROWS; r++) {
                __m512 sc = _mm512_mul_ps(_mm512_set1_ps(wb->d[h][r]), da);
                f[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r]), sc, f[r]);
                f[r] = _mm512_fnmadd_ps(_mm512_set1_ps(wb->m[h][r]), dsum, f[r]);
            }
        }
    }
}

/* The same for a last group of at most 8 columns, on 256-bit registers. */
static inline __attribute__((always_inline)) void
qg_kernel8(int64_t nb, const qg_wblock *W, const qg_ablock *A, __m256 f[QG_ROWS],
           const int HALVES)
{
    for (int r = 0; r < QG_ROWS; r++)
        f[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const qg_wblock *wb = &W[b];
        const qg_ablock *ab = &A[b];
        __m256 da = _mm256_load_ps(ab->da);
        for (int h = 0; h < HALVES; h++) {
            __m256i acc[QG_ROWS];
            for (int r = 0; r < QG_ROWS; r++)
                acc[r] = _mm256_setzero_si256();
            for (int j = h * 8 / HALVES; j < (h + 1) * 8 / HALVES; j++) {
                __m256i sv = _mm256_load_si256((const __m256i *)ab->s[j]);
                for (int r = 0; r < QG_ROWS; r++) {
                    int32_t piece;
                    memcpy(&piece, wb->u[r] + 4 * j, 4);
                    acc[r] = _mm256_dpbusd_epi32(acc[r], _mm256_set1_epi32(piece), sv);
                }
            }
            __m256 dsum = HALVES == 2 ? _mm256_load_ps(ab->dsum[h])
                                      : _mm256_add_ps(_mm256_load_ps(ab->dsum[0]),
                                                      _mm256_load_ps(ab->dsum[1]));
            for (int r = 0; r < QG_ROWS; r++) {
                __m256 sc = _mm256_mul_ps(_mm256_set1_ps(wb->d[h][r]), da);
                f[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r]), sc, f[r]);
                f[r] = _mm256_fnmadd_ps(_mm256_set1_ps(wb->m[h][r]), dsum, f[r]);
            }
        }
    }
}

void qgemm_rows(tensor_type t, const uint8_t *w, size_t ws, int64_t nrows, int64_t k,
                const void *acts, int64_t batch, float *y, size_t ldy, void *scratch)
{
    const int64_t nb = k / 32;
    qg_wblock *panel = scratch;
    const qg_ablock *A = acts;
    int halves = qg_halves(t);
    for (int64_t r0 = 0; r0 < nrows; r0 += QG_ROWS) {
        int nr = (int)(nrows - r0 < QG_ROWS ? nrows - r0 : QG_ROWS);
        qg_pack_panel(t, w + (size_t)r0 * ws, ws, nr, k, panel);
        for (int64_t g = 0; g * QG_COLS < batch; g++) {
            int nc = (int)(batch - g * QG_COLS < QG_COLS ? batch - g * QG_COLS : QG_COLS);
            /* f[r] holds row r0 + r for 16 columns: written transposed */
            float tmp[QG_ROWS][QG_COLS];
            if (nc > 8) {
                __m512 f[QG_ROWS];
                if (halves == 2)
                    qg_kernel(nb, panel, A + g * nb, f, 2);
                else
                    qg_kernel(nb, panel, A + g * nb, f, 1);
                for (int r = 0; r < QG_ROWS; r++)
                    _mm512_storeu_ps(tmp[r], f[r]);
            } else {
                __m256 f[QG_ROWS];
                if (halves == 2)
                    qg_kernel8(nb, panel, A + g * nb, f, 2);
                else
                    qg_kernel8(nb, panel, A + g * nb, f, 1);
                for (int r = 0; r < QG_ROWS; r++)
                    _mm256_storeu_ps(tmp[r], f[r]);
            }
            for (int c = 0; c < nc; c++)
                for (int r = 0; r < nr; r++)
                    y[(size_t)(g * QG_COLS + c) * ldy + (size_t)(r0 + r)] = tmp[r][c];
        }
    }
}

const quant_kernels quant_kernels_avx512 = {
    .level = SIMD_AVX512,
    QX_TABLE_COMMON,
    .gemv =
        {
            [TENSOR_F32] = gemv_f32,
            [TENSOR_F16] = gemv_f16,
            [TENSOR_BF16] = gemv_bf16,
            [TENSOR_Q4_0] = gemv_q4_0,
            [TENSOR_Q8_0] = gemv_q8_0,
            [TENSOR_Q4_K] = gemv_q4_K,
            [TENSOR_Q6_K] = gemv_q6_K,
        },
};
