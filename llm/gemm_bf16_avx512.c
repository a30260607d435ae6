/* Batched products with AVX-512 BF16 dot products (vdpbf16ps): each
 * instruction does 32 multiply-adds, twice the float FMA rate of Zen 4.
 *
 * Used for BF16 weights (where ggml also multiplies in bfloat16) and, when
 * a matmul context asks for MATMUL_PRECISION_BF16, for F16 and F32 weights.
 *
 * Layout: a panel of 32 weight rows is repacked per call as pairs of
 * consecutive-k bfloat16 values, [k/2][32 rows] x 32 bits, so that one
 * 64-byte load feeds 16 rows; each activation column (already bfloat16,
 * zero-padded to an even length) contributes one broadcast 32-bit pair per
 * step. The micro-kernel holds 32 rows x 12 columns of float sums in 24
 * registers. */
#include <immintrin.h>
#include <string.h>

#include "llm/fp16.h"
#include "llm/quant_internal.h"

enum { PANEL_ROWS = 32, MAX_COLS = 12 };

/* One weight row as bfloat16 pairs (kp pairs; the odd tail padded with 0). */
static void row_to_bf16_pairs(tensor_type t, const uint8_t *row, int64_t k, uint16_t *out)
{
    int64_t i = 0;
    switch (t) {
    case TENSOR_BF16:
        memcpy(out, row, (size_t)k * 2);
        i = k;
        break;
    case TENSOR_F16:
        for (; i + 16 <= k; i += 16) {
            __m512 f = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 2 * i)));
            _mm256_storeu_si256((__m256i *)(out + i), (__m256i)_mm512_cvtneps_pbh(f));
        }
        for (; i < k; i++) {
            uint16_t h;
            memcpy(&h, row + 2 * i, 2);
            out[i] = f32_to_bf16(fp16_to_f32(h));
        }
        break;
    default: /* F32 */
        for (; i + 16 <= k; i += 16) {
            __m512 f = _mm512_loadu_ps((const float *)row + i);
            _mm256_storeu_si256((__m256i *)(out + i), (__m256i)_mm512_cvtneps_pbh(f));
        }
        for (; i < k; i++) {
            float f;
            memcpy(&f, row + 4 * i, 4);
            out[i] = f32_to_bf16(f);
        }
        break;
    }
    if (k & 1)
        out[k] = 0;
}

/* Packs rows [0, nr) of a panel; rows nr..31 are zero. tmp holds kp pairs. */
static void pack_panel(tensor_type t, const uint8_t *w, size_t ws, int nr, int64_t k,
                       uint32_t *panel, uint32_t *tmp)
{
    int64_t kp = (k + 1) / 2;
    for (int r = 0; r < PANEL_ROWS; r++) {
        if (r < nr)
            row_to_bf16_pairs(t, w + (size_t)r * ws, k, (uint16_t *)tmp);
        else
            memset(tmp, 0, (size_t)kp * 4);
        for (int64_t p = 0; p < kp; p++)
            panel[p * PANEL_ROWS + r] = tmp[p];
    }
}

static inline __attribute__((always_inline)) void
micro_kernel(int64_t kp, const uint32_t *panel, const uint32_t *x, size_t xs_words, float *y,
             size_t ldy, int nr, const int NC)
{
    __m512 acc0[MAX_COLS], acc1[MAX_COLS];
    for (int c = 0; c < NC; c++) {
        acc0[c] = _mm512_setzero_ps();
        acc1[c] = _mm512_setzero_ps();
    }
    for (int64_t p = 0; p < kp; p++) {
        __m512bh w0 = (__m512bh)_mm512_load_si512(panel + p * PANEL_ROWS);
        __m512bh w1 = (__m512bh)_mm512_load_si512(panel + p * PANEL_ROWS + 16);
        for (int c = 0; c < NC; c++) {
            __m512bh b = (__m512bh)_mm512_set1_epi32((int)x[(size_t)c * xs_words + (size_t)p]);
            acc0[c] = _mm512_dpbf16_ps(acc0[c], w0, b);
            acc1[c] = _mm512_dpbf16_ps(acc1[c], w1, b);
        }
    }
    __mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
    for (int c = 0; c < NC; c++) {
        _mm512_mask_storeu_ps(y + (size_t)c * ldy, m0, acc0[c]);
        _mm512_mask_storeu_ps(y + (size_t)c * ldy + 16, m1, acc1[c]);
    }
}

#define MK(nc)                                                                                 \
    case nc: micro_kernel(kp, panel, x, xs_words, y, ldy, nr, nc); break;

static void micro_kernel_any(int64_t kp, const uint32_t *panel, const uint32_t *x,
                             size_t xs_words, float *y, size_t ldy, int nr, int nc)
{
    switch (nc) {
        MK(1) MK(2) MK(3) MK(4) MK(5) MK(6) MK(7) MK(8) MK(9) MK(10) MK(11) MK(12)
    default: break;
    }
}

size_t gemm_bf16_scratch_bytes(int64_t k)
{
    int64_t kp = (k + 1) / 2;
    return (size_t)kp * 4 * (PANEL_ROWS + 1) + 128;
}

void gemm_bf16_rows(tensor_type wt, const uint8_t *w, size_t ws, int64_t nrows, int64_t k,
                    const uint16_t *x, size_t x_stride, int64_t batch, float *y, size_t ldy,
                    void *scratch)
{
    int64_t kp = (k + 1) / 2;
    uint32_t *panel = scratch;
    uint32_t *tmp = panel + (size_t)kp * PANEL_ROWS;
    const uint32_t *xw = (const uint32_t *)x;
    size_t xs_words = x_stride / 4;
    for (int64_t r = 0; r < nrows; r += PANEL_ROWS) {
        int nr = (int)(nrows - r < PANEL_ROWS ? nrows - r : PANEL_ROWS);
        pack_panel(wt, w + (size_t)r * ws, ws, nr, k, panel, tmp);
        for (int64_t c = 0; c < batch; c += MAX_COLS) {
            int nc = (int)(batch - c < MAX_COLS ? batch - c : MAX_COLS);
            micro_kernel_any(kp, panel, xw + (size_t)c * xs_words, xs_words,
                             y + (size_t)c * ldy + (size_t)r, ldy, nr, nc);
        }
    }
}
