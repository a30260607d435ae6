/* Convolution kernels, compiled once per instruction set (see meson.build):
 * TL_KERN_ISA names the table this copy defines (tl_kern_scalar, _avx2,
 * _avx512). The plain C versions are also the reference the SIMD ones are
 * tested against; they are written so that gcc vectorises their inner loops
 * at the baseline ISA. */
#include "vision/tflite_kern.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#ifndef TL_KERN_ISA
#error "TL_KERN_ISA must name the table this file defines"
#endif
#define TL_CAT2(a, b) a##b
#define TL_CAT(a, b) TL_CAT2(a, b)
#define TL_TABLE TL_CAT(tl_kern_, TL_KERN_ISA)
#define TL_STR2(a) #a
#define TL_STR(a) TL_STR2(a)

static inline float clampf(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* --- plain C ------------------------------------------------------------- */

enum { GENERIC_ROWS = 4 };

__attribute__((unused)) static void gemm_generic(const tl_gemm_args *g)
{
    const int K = g->K;
    const int panels = (g->N + TL_PANEL - 1) / TL_PANEL;
    for (int64_t m0 = 0; m0 < g->M; m0 += GENERIC_ROWS) {
        int mr = g->M - m0 < GENERIC_ROWS ? (int)(g->M - m0) : GENERIC_ROWS;
        const float *a[GENERIC_ROWS];
        for (int r = 0; r < GENERIC_ROWS; r++)
            a[r] = g->A + (m0 + (r < mr ? r : mr - 1)) * g->lda;
        for (int p = 0; p < panels; p++) {
            const float *restrict b = g->B + (int64_t)p * K * TL_PANEL;
            const float *bias = g->bias + p * TL_PANEL;
            float acc[GENERIC_ROWS][TL_PANEL];
            for (int r = 0; r < GENERIC_ROWS; r++)
                for (int j = 0; j < TL_PANEL; j++)
                    acc[r][j] = bias[j];
            for (int k = 0; k < K; k++) {
                const float *restrict bk = b + (int64_t)k * TL_PANEL;
                for (int r = 0; r < GENERIC_ROWS; r++) {
                    float av = a[r][k];
                    for (int j = 0; j < TL_PANEL; j++)
                        acc[r][j] += av * bk[j];
                }
            }
            int nc = g->N - p * TL_PANEL < TL_PANEL ? g->N - p * TL_PANEL : TL_PANEL;
            for (int r = 0; r < mr; r++) {
                float *c = g->C + (m0 + r) * g->ldc + p * TL_PANEL;
                for (int j = 0; j < nc; j++)
                    c[j] = clampf(acc[r][j], g->lo, g->hi);
            }
        }
    }
}

/* The window rows and columns of output (oy, ox) that fall inside the image. */
static inline void dw_window(const tl_dw_args *a, int oy, int ox, int *ky0, int *ky1, int *kx0,
                             int *kx1)
{
    int iy = oy * a->sh - a->pad_top, ix = ox * a->sw - a->pad_left;
    *ky0 = 0;
    while (*ky0 < a->kh && iy + *ky0 * a->dh < 0)
        (*ky0)++;
    *ky1 = a->kh;
    while (*ky1 > *ky0 && iy + (*ky1 - 1) * a->dh >= a->in_h)
        (*ky1)--;
    *kx0 = 0;
    while (*kx0 < a->kw && ix + *kx0 * a->dw < 0)
        (*kx0)++;
    *kx1 = a->kw;
    while (*kx1 > *kx0 && ix + (*kx1 - 1) * a->dw >= a->in_w)
        (*kx1)--;
}

__attribute__((unused)) static void dw_row_generic(const tl_dw_args *a, int oy, float *out)
{
    const int C = a->c;
    for (int ox = 0; ox < a->out_w; ox++) {
        int ky0, ky1, kx0, kx1;
        dw_window(a, oy, ox, &ky0, &ky1, &kx0, &kx1);
        float *restrict o = out + (int64_t)ox * C;
        for (int c = 0; c < C; c++)
            o[c] = a->bias[c];
        for (int ky = ky0; ky < ky1; ky++) {
            int iy = oy * a->sh - a->pad_top + ky * a->dh;
            for (int kx = kx0; kx < kx1; kx++) {
                int ix = ox * a->sw - a->pad_left + kx * a->dw;
                const float *restrict ip = a->in + ((int64_t)iy * a->in_w + ix) * C;
                const float *restrict wp = a->w + ((int64_t)ky * a->kw + kx) * C;
                for (int c = 0; c < C; c++)
                    o[c] += ip[c] * wp[c];
            }
        }
        for (int c = 0; c < C; c++)
            o[c] = clampf(o[c], a->lo, a->hi);
    }
}

/* --- AVX-512 ------------------------------------------------------------- */
#if defined(__AVX512F__)

enum { ROWS = 8 };

/* 8 rows x 2 panels (32 channels) per tile: 16 accumulators, two weight
 * loads and eight broadcasts per k. Rows past M repeat the last row and are
 * not stored. */
static void gemm_avx512(const tl_gemm_args *g)
{
    const int K = g->K;
    const int panels = (g->N + TL_PANEL - 1) / TL_PANEL;
    const __m512 lo = _mm512_set1_ps(g->lo), hi = _mm512_set1_ps(g->hi);
    for (int64_t m0 = 0; m0 < g->M; m0 += ROWS) {
        int mr = g->M - m0 < ROWS ? (int)(g->M - m0) : ROWS;
        const float *a[ROWS];
        for (int r = 0; r < ROWS; r++)
            a[r] = g->A + (m0 + (r < mr ? r : mr - 1)) * g->lda;
        for (int p = 0; p < panels; p += 2) {
            const bool two = p + 1 < panels;
            const float *b0 = g->B + (int64_t)p * K * TL_PANEL;
            const float *b1 = two ? b0 + (int64_t)K * TL_PANEL : b0;
            __m512 bias0 = _mm512_loadu_ps(g->bias + p * TL_PANEL);
            __m512 bias1 = two ? _mm512_loadu_ps(g->bias + (p + 1) * TL_PANEL) : bias0;
            __m512 c0[ROWS], c1[ROWS];
#pragma GCC unroll 8
            for (int r = 0; r < ROWS; r++) {
                c0[r] = bias0;
                c1[r] = bias1;
            }
            for (int k = 0; k < K; k++) {
                __m512 w0 = _mm512_loadu_ps(b0 + (int64_t)k * TL_PANEL);
                __m512 w1 = _mm512_loadu_ps(b1 + (int64_t)k * TL_PANEL);
#pragma GCC unroll 8
                for (int r = 0; r < ROWS; r++) {
                    __m512 av = _mm512_set1_ps(a[r][k]);
                    c0[r] = _mm512_fmadd_ps(av, w0, c0[r]);
                    c1[r] = _mm512_fmadd_ps(av, w1, c1[r]);
                }
            }
            int n0 = g->N - p * TL_PANEL;
            int n1 = n0 - TL_PANEL;
            __mmask16 k0 = n0 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n0) - 1);
            __mmask16 k1 = !two || n1 <= 0 ? 0 : n1 >= 16 ? (__mmask16)0xffff
                                                          : (__mmask16)((1u << n1) - 1);
            for (int r = 0; r < mr; r++) {
                float *c = g->C + (m0 + r) * g->ldc + p * TL_PANEL;
                _mm512_mask_storeu_ps(c, k0, _mm512_min_ps(_mm512_max_ps(c0[r], lo), hi));
                if (k1)
                    _mm512_mask_storeu_ps(c + TL_PANEL, k1,
                                          _mm512_min_ps(_mm512_max_ps(c1[r], lo), hi));
            }
        }
    }
}

static void dw_row_avx512(const tl_dw_args *a, int oy, float *out)
{
    const int C = a->c;
    const __m512 lo = _mm512_set1_ps(a->lo), hi = _mm512_set1_ps(a->hi);
    for (int ox = 0; ox < a->out_w; ox++) {
        int ky0, ky1, kx0, kx1;
        dw_window(a, oy, ox, &ky0, &ky1, &kx0, &kx1);
        float *o = out + (int64_t)ox * C;
        const int iy0 = oy * a->sh - a->pad_top, ix0 = ox * a->sw - a->pad_left;
        int c0 = 0;
        for (; c0 + 64 <= C; c0 += 64) {
            __m512 acc[4];
#pragma GCC unroll 4
            for (int b = 0; b < 4; b++)
                acc[b] = _mm512_loadu_ps(a->bias + c0 + 16 * b);
            for (int ky = ky0; ky < ky1; ky++) {
                const int iy = iy0 + ky * a->dh;
                for (int kx = kx0; kx < kx1; kx++) {
                    const int ix = ix0 + kx * a->dw;
                    const float *ip = a->in + ((int64_t)iy * a->in_w + ix) * C + c0;
                    const float *wp = a->w + ((int64_t)ky * a->kw + kx) * C + c0;
#pragma GCC unroll 4
                    for (int b = 0; b < 4; b++)
                        acc[b] = _mm512_fmadd_ps(_mm512_loadu_ps(ip + 16 * b),
                                                 _mm512_loadu_ps(wp + 16 * b), acc[b]);
                }
            }
#pragma GCC unroll 4
            for (int b = 0; b < 4; b++)
                _mm512_storeu_ps(o + c0 + 16 * b,
                                 _mm512_min_ps(_mm512_max_ps(acc[b], lo), hi));
        }
        if (c0 + 32 <= C) {
            __m512 acc0 = _mm512_loadu_ps(a->bias + c0), acc1 = _mm512_loadu_ps(a->bias + c0 + 16);
            for (int ky = ky0; ky < ky1; ky++) {
                const int iy = iy0 + ky * a->dh;
                for (int kx = kx0; kx < kx1; kx++) {
                    const int ix = ix0 + kx * a->dw;
                    const float *ip = a->in + ((int64_t)iy * a->in_w + ix) * C + c0;
                    const float *wp = a->w + ((int64_t)ky * a->kw + kx) * C + c0;
                    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(ip), _mm512_loadu_ps(wp), acc0);
                    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(ip + 16), _mm512_loadu_ps(wp + 16), acc1);
                }
            }
            _mm512_storeu_ps(o + c0, _mm512_min_ps(_mm512_max_ps(acc0, lo), hi));
            _mm512_storeu_ps(o + c0 + 16, _mm512_min_ps(_mm512_max_ps(acc1, lo), hi));
            c0 += 32;
        }
        for (; c0 < C; c0 += 16) {
            int left = C - c0;
            __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            __m512 acc = _mm512_maskz_loadu_ps(m, a->bias + c0);
            for (int ky = ky0; ky < ky1; ky++) {
                const int iy = iy0 + ky * a->dh;
                for (int kx = kx0; kx < kx1; kx++) {
                    const int ix = ix0 + kx * a->dw;
                    const float *ip = a->in + ((int64_t)iy * a->in_w + ix) * C + c0;
                    const float *wp = a->w + ((int64_t)ky * a->kw + kx) * C + c0;
                    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, ip),
                                          _mm512_maskz_loadu_ps(m, wp), acc);
                }
            }
            _mm512_mask_storeu_ps(o + c0, m, _mm512_min_ps(_mm512_max_ps(acc, lo), hi));
        }
    }
}

const tl_kern_table TL_TABLE = {TL_STR(TL_KERN_ISA), ROWS, gemm_avx512, dw_row_avx512};

/* --- AVX2 + FMA ---------------------------------------------------------- */
#elif defined(__AVX2__) && defined(__FMA__)

enum { ROWS = 6 };

/* 6 rows x 1 panel (16 channels, two registers) per tile: 12 accumulators. */
static void gemm_avx2(const tl_gemm_args *g)
{
    const int K = g->K;
    const int panels = (g->N + TL_PANEL - 1) / TL_PANEL;
    const __m256 lo = _mm256_set1_ps(g->lo), hi = _mm256_set1_ps(g->hi);
    for (int64_t m0 = 0; m0 < g->M; m0 += ROWS) {
        int mr = g->M - m0 < ROWS ? (int)(g->M - m0) : ROWS;
        const float *a[ROWS];
        for (int r = 0; r < ROWS; r++)
            a[r] = g->A + (m0 + (r < mr ? r : mr - 1)) * g->lda;
        for (int p = 0; p < panels; p++) {
            const float *b = g->B + (int64_t)p * K * TL_PANEL;
            __m256 bias0 = _mm256_loadu_ps(g->bias + p * TL_PANEL);
            __m256 bias1 = _mm256_loadu_ps(g->bias + p * TL_PANEL + 8);
            __m256 c0[ROWS], c1[ROWS];
#pragma GCC unroll 6
            for (int r = 0; r < ROWS; r++) {
                c0[r] = bias0;
                c1[r] = bias1;
            }
            for (int k = 0; k < K; k++) {
                __m256 w0 = _mm256_loadu_ps(b + (int64_t)k * TL_PANEL);
                __m256 w1 = _mm256_loadu_ps(b + (int64_t)k * TL_PANEL + 8);
#pragma GCC unroll 6
                for (int r = 0; r < ROWS; r++) {
                    __m256 av = _mm256_broadcast_ss(a[r] + k);
                    c0[r] = _mm256_fmadd_ps(av, w0, c0[r]);
                    c1[r] = _mm256_fmadd_ps(av, w1, c1[r]);
                }
            }
            int nc = g->N - p * TL_PANEL < TL_PANEL ? g->N - p * TL_PANEL : TL_PANEL;
            for (int r = 0; r < mr; r++) {
                float *c = g->C + (m0 + r) * g->ldc + p * TL_PANEL;
                __m256 v0 = _mm256_min_ps(_mm256_max_ps(c0[r], lo), hi);
                __m256 v1 = _mm256_min_ps(_mm256_max_ps(c1[r], lo), hi);
                if (nc == TL_PANEL) {
                    _mm256_storeu_ps(c, v0);
                    _mm256_storeu_ps(c + 8, v1);
                } else {
                    float tmp[TL_PANEL];
                    _mm256_storeu_ps(tmp, v0);
                    _mm256_storeu_ps(tmp + 8, v1);
                    memcpy(c, tmp, (size_t)nc * sizeof(float));
                }
            }
        }
    }
}

static void dw_row_avx2(const tl_dw_args *a, int oy, float *out)
{
    const int C = a->c;
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    for (int ox = 0; ox < a->out_w; ox++) {
        int ky0, ky1, kx0, kx1;
        dw_window(a, oy, ox, &ky0, &ky1, &kx0, &kx1);
        float *o = out + (int64_t)ox * C;
        const int iy0 = oy * a->sh - a->pad_top, ix0 = ox * a->sw - a->pad_left;
        int c0 = 0;
        for (; c0 + 32 <= C; c0 += 32) {
            __m256 acc[4];
#pragma GCC unroll 4
            for (int b = 0; b < 4; b++)
                acc[b] = _mm256_loadu_ps(a->bias + c0 + 8 * b);
            for (int ky = ky0; ky < ky1; ky++) {
                const int iy = iy0 + ky * a->dh;
                for (int kx = kx0; kx < kx1; kx++) {
                    const int ix = ix0 + kx * a->dw;
                    const float *ip = a->in + ((int64_t)iy * a->in_w + ix) * C + c0;
                    const float *wp = a->w + ((int64_t)ky * a->kw + kx) * C + c0;
#pragma GCC unroll 4
                    for (int b = 0; b < 4; b++)
                        acc[b] = _mm256_fmadd_ps(_mm256_loadu_ps(ip + 8 * b),
                                                 _mm256_loadu_ps(wp + 8 * b), acc[b]);
                }
            }
#pragma GCC unroll 4
            for (int b = 0; b < 4; b++)
                _mm256_storeu_ps(o + c0 + 8 * b, _mm256_min_ps(_mm256_max_ps(acc[b], lo), hi));
        }
        for (; c0 + 8 <= C; c0 += 8) {
            __m256 acc = _mm256_loadu_ps(a->bias + c0);
            for (int ky = ky0; ky < ky1; ky++) {
                const int iy = iy0 + ky * a->dh;
                for (int kx = kx0; kx < kx1; kx++) {
                    const int ix = ix0 + kx * a->dw;
                    const float *ip = a->in + ((int64_t)iy * a->in_w + ix) * C + c0;
                    const float *wp = a->w + ((int64_t)ky * a->kw + kx) * C + c0;
                    acc = _mm256_fmadd_ps(_mm256_loadu_ps(ip), _mm256_loadu_ps(wp), acc);
                }
            }
            _mm256_storeu_ps(o + c0, _mm256_min_ps(_mm256_max_ps(acc, lo), hi));
        }
        for (; c0 < C; c0++) {
            float acc = a->bias[c0];
            for (int ky = ky0; ky < ky1; ky++) {
                const int iy = iy0 + ky * a->dh;
                for (int kx = kx0; kx < kx1; kx++) {
                    const int ix = ix0 + kx * a->dw;
                    acc = fmaf(a->in[((int64_t)iy * a->in_w + ix) * C + c0],
                               a->w[((int64_t)ky * a->kw + kx) * C + c0], acc);
                }
            }
            o[c0] = clampf(acc, a->lo, a->hi);
        }
    }
}

const tl_kern_table TL_TABLE = {TL_STR(TL_KERN_ISA), ROWS, gemm_avx2, dw_row_avx2};

#else

const tl_kern_table TL_TABLE = {TL_STR(TL_KERN_ISA), GENERIC_ROWS, gemm_generic, dw_row_generic};

#endif
