/* Resampling exactly as llama.cpp's mtmd (tools/mtmd/mtmd-image.cpp at
 * d8a24cc) does it, down to the float/double mix of its arithmetic: the
 * embeddings of a VLM shift visibly when the pixels fed to it differ, so
 * "a good bicubic" is not enough. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision/clip_internal.h"

sl_status rgb_image_alloc(rgb_image *img, int w, int h, sl_error *err)
{
    img->w = w;
    img->h = h;
    img->px = NULL;
    if (w <= 0 || h <= 0 || w > CLIP_MAX_PICTURE_SIDE * 4 || h > CLIP_MAX_PICTURE_SIDE * 4)
        return sl_fail(err, SL_ERR_ARG, "image: bad size %d x %d", w, h);
    img->px = malloc((size_t)w * (size_t)h * 3);
    if (!img->px)
        return sl_fail(err, SL_ERR_NOMEM, "image: no memory for %d x %d pixels", w, h);
    return SL_OK;
}

void rgb_image_free(rgb_image *img)
{
    free(img->px);
    img->px = NULL;
}

static inline const uint8_t *px_at(const rgb_image *im, int x, int y)
{
    return im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline float lerpf(float s, float e, float t)
{
    return s + (e - s) * t;
}

void image_resize_bilinear(const rgb_image *src, rgb_image *dst)
{
    int sw = src->w, sh = src->h, tw = dst->w, th = dst->h;
    if (sw == tw && sh == th) {
        memcpy(dst->px, src->px, (size_t)sw * (size_t)sh * 3);
        return;
    }
    float x_ratio = tw > 1 ? (float)(sw - 1) / (float)(tw - 1) : 0.0f;
    float y_ratio = th > 1 ? (float)(sh - 1) / (float)(th - 1) : 0.0f;
    for (int y = 0; y < th; y++) {
        float py = (float)y * y_ratio;
        int y0 = (int)py < sh - 1 ? (int)py : sh - 1;
        int y1 = y0 + 1 < sh - 1 ? y0 + 1 : sh - 1;
        float yf = py - (float)y0;
        for (int x = 0; x < tw; x++) {
            float px = (float)x * x_ratio;
            int x0 = (int)px < sw - 1 ? (int)px : sw - 1;
            int x1 = x0 + 1 < sw - 1 ? x0 + 1 : sw - 1;
            float xf = px - (float)x0;
            const uint8_t *p00 = px_at(src, x0, y0), *p10 = px_at(src, x1, y0);
            const uint8_t *p01 = px_at(src, x0, y1), *p11 = px_at(src, x1, y1);
            uint8_t *o = dst->px + ((size_t)y * (size_t)tw + (size_t)x) * 3;
            for (int c = 0; c < 3; c++) {
                float top = lerpf((float)p00[c], (float)p10[c], xf);
                float bottom = lerpf((float)p01[c], (float)p11[c], xf);
                o[c] = (uint8_t)lerpf(top, bottom, yf);
            }
        }
    }
}

/* The cubic through four samples at -1, 0, 1, 2 evaluated at t in [0, 1).
 * The coefficients are computed in double and stored in float, the
 * polynomial is evaluated in float: mtmd's exact mix. */
static inline float cubic4(float p0, float p1, float p2, float p3, float t)
{
    float d0 = p0 - p1, d2 = p2 - p1, d3 = p3 - p1, a0 = p1;
    float a1 = (float)(-1.0 / 3 * (double)d0 + (double)d2 - 1.0 / 6 * (double)d3);
    float a2 = (float)(1.0 / 2 * (double)d0 + 1.0 / 2 * (double)d2);
    float a3 = (float)(-1.0 / 6 * (double)d0 - 1.0 / 2 * (double)d2 + 1.0 / 6 * (double)d3);
    return a0 + a1 * t + a2 * t * t + a3 * t * t * t;
}

/* mtmd evaluates, for every output pixel, the horizontal cubic on four
 * source rows and then the vertical cubic through those four values. The
 * horizontal value depends only on the output column and the source row, so
 * it is computed once per (source row, output column) pair that is used and
 * kept: the same float operations on the same inputs, hence the same bytes,
 * at a fraction of the work when upscaling. */
static void horizontal_row(const rgb_image *src, int sy, const int *x0, const float *dxs,
                           int tw, float *out)
{
    int nx = src->w;
    for (int j = 0; j < tw; j++) {
        int xs[4];
        for (int q = 0; q < 4; q++)
            xs[q] = clampi(x0[j] - 1 + q, 0, nx - 1);
        for (int k = 0; k < 3; k++)
            out[(size_t)j * 3 + (size_t)k] =
                cubic4((float)px_at(src, xs[0], sy)[k], (float)px_at(src, xs[1], sy)[k],
                       (float)px_at(src, xs[2], sy)[k], (float)px_at(src, xs[3], sy)[k], dxs[j]);
    }
}

sl_status image_resize_bicubic(const rgb_image *src, rgb_image *dst, sl_error *err)
{
    int nx = src->w, ny = src->h, tw = dst->w, th = dst->h;
    float tx = (float)nx / (float)tw;
    float ty = (float)ny / (float)th;
    int *x0 = malloc((size_t)tw * sizeof *x0);
    float *dxs = malloc((size_t)tw * sizeof *dxs);
    /* horizontal values of source rows, cached in a ring of 4 + slots keyed by
     * source row (output rows visit source rows in increasing order) */
    float *ring = malloc((size_t)8 * (size_t)tw * 3 * sizeof(float));
    if (!x0 || !dxs || !ring) {
        free(x0);
        free(dxs);
        free(ring);
        return sl_fail(err, SL_ERR_NOMEM, "image: no memory to resize to %d x %d", tw, th);
    }
    int slot_row[8];
    for (int i = 0; i < 8; i++)
        slot_row[i] = -1;
    for (int j = 0; j < tw; j++) {
        x0[j] = (int)(tx * (float)j);
        dxs[j] = tx * (float)j - (float)x0[j];
    }
    for (int i = 0; i < th; i++) {
        int y = (int)(ty * (float)i);
        float dy = ty * (float)i - (float)y;
        const float *rows[4];
        for (int jj = 0; jj < 4; jj++) {
            int sy = clampi(y - 1 + jj, 0, ny - 1);
            int slot = sy & 7;
            if (slot_row[slot] != sy) {
                horizontal_row(src, sy, x0, dxs, tw, ring + (size_t)slot * (size_t)tw * 3);
                slot_row[slot] = sy;
            }
            rows[jj] = ring + (size_t)slot * (size_t)tw * 3;
        }
        uint8_t *o = dst->px + (size_t)i * (size_t)tw * 3;
        for (size_t q = 0; q < (size_t)tw * 3; q++) {
            float r = roundf(cubic4(rows[0][q], rows[1][q], rows[2][q], rows[3][q], dy));
            r = r < 0.0f ? 0.0f : r > 255.0f ? 255.0f : r;
            o[q] = (uint8_t)r;
        }
    }
    free(x0);
    free(dxs);
    free(ring);
    return SL_OK;
}

sl_status image_resize_bicubic_pad(const rgb_image *src, rgb_image *dst, sl_error *err)
{
    int tw = dst->w, th = dst->h;
    if (src->w == tw && src->h == th) {
        memcpy(dst->px, src->px, (size_t)tw * (size_t)th * 3);
        return SL_OK;
    }
    float sw_ = (float)tw / (float)src->w;
    float sh_ = (float)th / (float)src->h;
    float scale = sw_ < sh_ ? sw_ : sh_;
    int nw = (int)ceilf((float)src->w * scale);
    int nh = (int)ceilf((float)src->h * scale);
    nw = nw < tw ? nw : tw;
    nh = nh < th ? nh : th;
    if (nw < 1)
        nw = 1;
    if (nh < 1)
        nh = 1;
    rgb_image tmp;
    sl_status st = rgb_image_alloc(&tmp, nw, nh, err);
    if (st != SL_OK)
        return st;
    if ((st = image_resize_bicubic(src, &tmp, err)) != SL_OK) {
        rgb_image_free(&tmp);
        return st;
    }
    memset(dst->px, 0, (size_t)tw * (size_t)th * 3);
    int ox = (tw - nw) / 2, oy = (th - nh) / 2;
    for (int y = 0; y < nh; y++)
        memcpy(dst->px + ((size_t)(y + oy) * (size_t)tw + (size_t)ox) * 3,
               tmp.px + (size_t)y * (size_t)nw * 3, (size_t)nw * 3);
    rgb_image_free(&tmp);
    return SL_OK;
}

void image_to_planar(const rgb_image *src, int x, int y, int w, int h, const float mean[3],
                     const float std[3], float *dst)
{
    size_t plane = (size_t)w * (size_t)h;
    for (int r = 0; r < h; r++) {
        const uint8_t *p = px_at(src, x, y + r);
        for (int c = 0; c < w; c++)
            for (int k = 0; k < 3; k++) {
                float v = (float)p[3 * c + k] / 255.0f;
                dst[k * plane + (size_t)r * (size_t)w + (size_t)c] = (v - mean[k]) / std[k];
            }
    }
}
