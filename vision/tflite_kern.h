/* The TFLite interpreter's hot loops (convolution as matrix products, and
 * depthwise convolution), in one source compiled once per instruction set
 * (tflite_kern.c: plain C, AVX2+FMA, AVX-512) and chosen at run time.
 * Private to the interpreter. */
#ifndef SIGHTLINE_VISION_TFLITE_KERN_H
#define SIGHTLINE_VISION_TFLITE_KERN_H

#include <stdbool.h>
#include <stdint.h>

/* Packed weights come in panels of TL_PANEL output channels: panel p holds,
 * for every k in [0, K), the weights of channels p*TL_PANEL .. +TL_PANEL-1
 * (zero past the last channel). */
#define TL_PANEL 16

/* C[m, n] = clamp(bias[n] + sum_k A[m, k] * W[n, k], lo, hi) for m < M and
 * n < N. A's rows are `lda` floats apart, C's `ldc`. */
typedef struct tl_gemm_args {
    int64_t M;
    int K, N;
    const float *A;
    int64_t lda;
    const float *B;    /* packed panels, ceil(N / TL_PANEL) of them */
    const float *bias; /* ceil(N / TL_PANEL) * TL_PANEL entries */
    float *C;
    int64_t ldc;
    float lo, hi;
} tl_gemm_args;

/* One output row of a depthwise convolution with multiplier 1 (NHWC, one
 * image): out[x, c] = clamp(bias[c] + sum over the window of in * w). */
typedef struct tl_dw_args {
    const float *in; /* the image: in_h x in_w x c */
    int in_h, in_w, c;
    const float *w;  /* kh x kw x c */
    const float *bias;
    int kh, kw, sh, sw, dh, dw, pad_top, pad_left;
    int out_w;
    float lo, hi;
} tl_dw_args;

typedef struct tl_kern_table {
    const char *name;
    int rows; /* rows of C one GEMM tile computes: split work in multiples of it */
    void (*gemm)(const tl_gemm_args *a);
    void (*dw_row)(const tl_dw_args *a, int oy, float *out);
} tl_kern_table;

extern const tl_kern_table tl_kern_scalar;
#if defined(__x86_64__) || defined(__i386__)
extern const tl_kern_table tl_kern_avx2, tl_kern_avx512;
#endif

/* The best table this CPU runs. SIGHTLINE_SIMD=scalar|avx2|avx512 in the
 * environment lowers the choice (tests and benchmarks compare them). */
const tl_kern_table *tl_kern_select(void);

/* A named table if this CPU can run it, else NULL. */
const tl_kern_table *tl_kern_by_name(const char *name);

#endif
