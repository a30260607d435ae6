#include "vision/image_prep.h"

#include <leptonica/allheaders.h>
#include <math.h>
#include <stdlib.h>

#include "vision/vision_init_internal.h"

/* Tesseract's LSTM models read lines scaled to a fixed height and its
 * layout analysis drops small blobs as noise; small print is enlarged until
 * the median letter blob (x-height, with some capitals) is this tall
 * (bench/ocr.c compares 16 and 32). */
enum { DEFAULT_TARGET_HEIGHT = 24 };
#define DEFAULT_MAX_SCALE 4.0f
/* Enlarging costs time in Tesseract (about linear in pixels): stop there. */
#define MAX_PREPARED_PIXELS (4.0 * 1000 * 1000)
/* Below this the rotation is left alone (Tesseract copes), above it a skew
 * estimate is more likely a misreading of a picture than a turned page. */
#define MIN_SKEW_DEG 0.4f
#define MAX_SKEW_DEG 8.0f
#define MIN_SKEW_CONF 1.5f

/* Background flattening: Leptonica's pixBackgroundNormSimple settings
 * (tiles of 10x15 pixels, pixels above 100 count as background, 50 of them
 * per tile), except that the background becomes white (255, not 200) so
 * that it matches the white corners a deskew brings in: on grey background
 * plus white corners Tesseract's threshold took the whole page for ink. */
enum {
    NORM_TILE_W = 10, NORM_TILE_H = 15, NORM_BG_MIN = 100, NORM_MIN_COUNT = 50,
    NORM_SMOOTH_X = 2, NORM_SMOOTH_Y = 1,
};

image_prep_options image_prep_defaults(void)
{
    return (image_prep_options){.gray = true, .normalize = true, .upscale = true,
                                .deskew = true};
}

/* Rec. 709 luma: green-heavy, so red and blue signs come out darker than
 * with Leptonica's default weights (a white-on-red sign on a grey wall was
 * lost with those). */
static PIX *luma(PIX *rgb)
{
    return pixConvertRGBToGray(rgb, 0.2126f, 0.7152f, 0.0722f);
}

static PIX *pix_from_frame(const frame *f)
{
    PIX *p = pixCreate(f->width, f->height, 32);
    if (!p)
        return NULL;
    l_uint32 *data = pixGetData(p);
    int wpl = pixGetWpl(p);
    for (int y = 0; y < f->height; y++) {
        l_uint32 *row = data + (size_t)y * (size_t)wpl;
        const uint8_t *s = frame_pixel(f, 0, y);
        for (int x = 0; x < f->width; x++, s += 3)
            composeRGBPixel(s[0], s[1], s[2], row + x);
    }
    return p;
}

/* Otsu threshold of an 8-bit picture's histogram. */
static int otsu_threshold(PIX *gray)
{
    NUMA *hist = pixGetGrayHistogram(gray, 1);
    if (!hist)
        return 128;
    double n[256], total = 0, sum = 0;
    for (int i = 0; i < 256; i++) {
        l_float32 v = 0;
        numaGetFValue(hist, i, &v);
        n[i] = v;
        total += v;
        sum += v * i;
    }
    numaDestroy(&hist);
    double w0 = 0, sum0 = 0, best = -1;
    int thresh = 128;
    for (int t = 0; t < 255; t++) {
        w0 += n[t];
        sum0 += n[t] * t;
        double w1 = total - w0;
        if (w0 <= 0 || w1 <= 0)
            continue;
        double m0 = sum0 / w0, m1 = (sum - sum0) / w1;
        double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best)
            best = between, thresh = t + 1;
    }
    return thresh;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Median height of the letter-like blobs of one polarity of a binary picture,
 * and how many there are. Specks, lines and large areas are left out. */
static int letter_height(PIX *bin, int *count)
{
    *count = 0;
    BOXA *boxes = pixConnCompBB(bin, 8);
    if (!boxes)
        return 0;
    int n = boxaGetCount(boxes);
    int w = pixGetWidth(bin), h = pixGetHeight(bin);
    int *heights = n > 0 ? malloc((size_t)n * sizeof *heights) : NULL;
    int k = 0;
    for (int i = 0; heights && i < n; i++) {
        l_int32 bx, by, bw, bh;
        if (boxaGetBoxGeometry(boxes, i, &bx, &by, &bw, &bh))
            continue;
        /* A letter: a few pixels at least, not a long rule, not a whole panel. */
        if (bh < 5 || bh > h / 3 || bw > w / 4 || bw > 4 * bh || bh > 6 * bw + 6)
            continue;
        heights[k++] = bh;
    }
    boxaDestroy(&boxes);
    int median = 0;
    if (k >= 3) {
        qsort(heights, (size_t)k, sizeof *heights, cmp_int);
        median = heights[k / 2];
    }
    free(heights);
    *count = k;
    return median;
}

static sl_status nomem(sl_error *err, const char *what)
{
    return sl_fail(err, SL_ERR_NOMEM, "image preparation: out of memory while %s", what);
}

/* Replaces *p with q (taking ownership); false if q is NULL. */
static bool replace(PIX **p, PIX *q)
{
    if (!q)
        return false;
    pixDestroy(p);
    *p = q;
    return true;
}

sl_status image_prep_run(const frame *f, const image_prep_options *opt, prepared_image *out,
                         sl_error *err)
{
    *out = (prepared_image){.scale = 1.0f};
    if (!f || !f->pixels || f->width < 1 || f->height < 1 || f->stride < 3 * f->width)
        return sl_fail(err, SL_ERR_ARG, "image preparation: empty or malformed frame");
    vision_leptonica_init();
    image_prep_options o = opt ? *opt : image_prep_defaults();
    int target = o.target_height > 0 ? o.target_height : DEFAULT_TARGET_HEIGHT;
    float max_scale = o.max_scale > 0 ? o.max_scale : DEFAULT_MAX_SCALE;
    out->src_width = f->width;
    out->src_height = f->height;

    PIX *pix = pix_from_frame(f);
    if (!pix)
        return nomem(err, "copying the frame");
    /* Without the grey step colour goes to Tesseract as it is; the decisions
     * below are still taken on a grey copy. */
    PIX *gray = luma(pix);
    if (!gray) {
        pixDestroy(&pix);
        return nomem(err, "making a grey copy");
    }
    if (o.gray)
        replace(&pix, pixClone(gray));

    /* Text polarity and size, from one Otsu threshold of the whole picture:
     * dark letters on light ground are blobs of the binary picture, light
     * letters on dark ground blobs of its inverse; the side with more
     * letter-like blobs is the text. */
    int thresh = otsu_threshold(gray);
    PIX *bin = pixThresholdToBinary(gray, thresh);
    PIX *inv = bin ? pixInvert(NULL, bin) : NULL;
    if (!bin || !inv) {
        pixDestroy(&bin), pixDestroy(&inv), pixDestroy(&gray), pixDestroy(&pix);
        return nomem(err, "thresholding");
    }
    int n_dark = 0, n_light = 0;
    int h_dark = letter_height(bin, &n_dark);
    int h_light = letter_height(inv, &n_light);
    bool light_text = n_light > 2 * n_dark && n_light >= 8;
    out->text_height = light_text ? h_light : h_dark;
    if (!out->text_height)
        out->text_height = h_dark ? h_dark : h_light;
    pixDestroy(&inv);
    pixDestroy(&bin);

    if (o.gray && light_text) {
        /* Mostly light-on-dark: Tesseract's layout analysis expects dark ink. */
        if (!replace(&pix, pixInvert(NULL, pix)))
            goto oom;
        out->inverted = true;
    }

    if (o.normalize && o.gray) {
        /* Uneven light and tinted paper become an even white background; the
         * letters keep their grey edges (no binarisation). */
        PIX *norm = pixBackgroundNorm(pix, NULL, NULL, NORM_TILE_W, NORM_TILE_H, NORM_BG_MIN,
                                      NORM_MIN_COUNT, 255, NORM_SMOOTH_X, NORM_SMOOTH_Y);
        if (norm)
            replace(&pix, norm);
    }

    if (o.upscale && out->text_height > 0 && out->text_height < target) {
        float s = (float)target / (float)out->text_height;
        if (s > max_scale)
            s = max_scale;
        double pixels = (double)f->width * f->height * s * s;
        if (pixels > MAX_PREPARED_PIXELS)
            s = (float)sqrt(MAX_PREPARED_PIXELS / ((double)f->width * f->height));
        if (s >= 1.25f) {
            if (!replace(&pix, pixScale(pix, s, s)))
                goto oom;
            out->scale = (float)pixGetWidth(pix) / (float)f->width;
        }
    }

    if (o.deskew) {
        /* The skew is measured on the picture as it now is (flattened,
         * enlarged), thresholded so that the letters are the ink. */
        PIX *g = pixGetDepth(pix) == 8 ? pixClone(pix) : luma(pix);
        PIX *ink = g ? pixThresholdToBinary(g, otsu_threshold(g)) : NULL;
        if (ink && light_text && !out->inverted)
            pixInvert(ink, ink);
        l_float32 angle = 0, conf = 0;
        if (ink && pixFindSkew(ink, &angle, &conf) == 0 && conf >= MIN_SKEW_CONF &&
            fabsf(angle) >= MIN_SKEW_DEG && fabsf(angle) <= MAX_SKEW_DEG) {
            const float deg2rad = 3.14159265f / 180.0f;
            /* White is the background after the steps above. Giving the
             * size makes Leptonica enlarge the canvas first, centred, so
             * that text near the corners stays in the picture. */
            int w0 = pixGetWidth(pix), h0 = pixGetHeight(pix);
            PIX *rot = pixRotate(pix, deg2rad * angle, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE,
                                 w0, h0);
            if (rot) {
                replace(&pix, rot);
                out->angle_deg = angle;
                out->base_width = w0, out->base_height = h0;
            }
        }
        pixDestroy(&ink);
        pixDestroy(&g);
    }
    pixDestroy(&gray);
    out->pix = pix;
    if (!out->base_width)
        out->base_width = pixGetWidth(pix), out->base_height = pixGetHeight(pix);
    return SL_OK;

oom:
    pixDestroy(&gray), pixDestroy(&pix);
    return nomem(err, "preparing the picture");
}

void prepared_image_free(prepared_image *p)
{
    if (!p)
        return;
    if (p->pix)
        pixDestroy(&p->pix);
    *p = (prepared_image){0};
}

bool prepared_box_to_source(const prepared_image *p, int *x, int *y, int *w, int *h)
{
    double xs[4] = {*x, *x + *w, *x, *x + *w};
    double ys[4] = {*y, *y, *y + *h, *y + *h};
    double pw = p->pix ? pixGetWidth(p->pix) : p->base_width;
    double ph = p->pix ? pixGetHeight(p->pix) : p->base_height;
    double bw = p->base_width > 0 ? p->base_width : pw, bh = p->base_height > 0 ? p->base_height : ph;
    double x0 = 1e30, y0 = 1e30, x1 = -1e30, y1 = -1e30;
    /* Undo the rotation about the centre of the grown canvas (Leptonica
     * turns clockwise for a positive angle, y pointing down), the centred
     * growth (Leptonica's integer offsets), then the scale. */
    double a = -(double)p->angle_deg * 3.14159265358979 / 180.0;
    double c = cos(a), s = sin(a), cx = pw / 2, cy = ph / 2;
    double offx = (double)(((int)pw - (int)bw) / 2), offy = (double)(((int)ph - (int)bh) / 2);
    for (int i = 0; i < 4; i++) {
        double dx = xs[i] - cx, dy = ys[i] - cy;
        double rx = cx + c * dx - s * dy - offx, ry = cy + s * dx + c * dy - offy;
        rx /= p->scale, ry /= p->scale;
        if (rx < x0) x0 = rx;
        if (rx > x1) x1 = rx;
        if (ry < y0) y0 = ry;
        if (ry > y1) y1 = ry;
    }
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > p->src_width) x1 = p->src_width;
    if (y1 > p->src_height) y1 = p->src_height;
    if (x1 - x0 < 1 || y1 - y0 < 1)
        return false;
    *x = (int)floor(x0), *y = (int)floor(y0);
    *w = (int)ceil(x1) - *x, *h = (int)ceil(y1) - *y;
    if (*x + *w > p->src_width)
        *w = p->src_width - *x;
    if (*y + *h > p->src_height)
        *h = p->src_height - *y;
    return *w > 0 && *h > 0;
}
