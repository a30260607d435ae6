#include "vision/object_descriptor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The region is resampled to SIDE x SIDE (box filter) before anything is
 * measured, so descriptors of a close-up and of a small crop are alike. */
enum { SIDE = 48 };
/* Global colour: 16 hues x 3 saturations, 6 grey levels. */
enum { HUES = 16, SATS = 3, GREYS = 6, COLOUR_BINS = HUES * SATS + GREYS };
/* Per quarter: 8 hues x 2 saturations, 3 grey levels. */
enum { QHUES = 8, QSATS = 2, QGREYS = 3, QCOLOUR_BINS = QHUES * QSATS + QGREYS };
enum { ORIENTS = 8, LBP_BINS = 10 };
enum {
    OFF_COLOUR = 0,
    OFF_QCOLOUR = OFF_COLOUR + COLOUR_BINS,
    OFF_ORIENT = OFF_QCOLOUR + 4 * QCOLOUR_BINS,
    OFF_LBP = OFF_ORIENT + 4 * ORIENTS,
    DIM = OFF_LBP + LBP_BINS,
};
_Static_assert(DIM == OBJECT_CLASSIC_DIM, "descriptor layout");

/* Below this saturation (or value) a pixel has no reliable hue. */
#define PI_F 3.14159265358979f
#define MIN_SAT 0.22f
#define MIN_VAL 0.18f
/* Centre weighting: Gaussian of this sigma in units of the region's side. */
#define CENTRE_SIGMA 0.45f
/* Share of the cosine each part carries (they sum to 1). */
static const float part_weight[4] = {0.35f, 0.25f, 0.25f, 0.15f};

static sl_status check_region(const frame *f, object_region r, sl_error *err)
{
    if (!f || !f->pixels || f->width < 1 || f->height < 1)
        return sl_fail(err, SL_ERR_ARG, "object descriptor: no picture");
    if (r.width < 1 || r.height < 1 || r.x < 0 || r.y < 0 || r.x > f->width - r.width ||
        r.y > f->height - r.height)
        return sl_fail(err, SL_ERR_ARG, "object descriptor: region %dx%d at %d,%d is not "
                       "inside the %dx%d picture", r.width, r.height, r.x, r.y, f->width,
                       f->height);
    return SL_OK;
}

/* Box-filtered SIDE x SIDE copy of the region, RGB in 0..1. */
static void resample(const frame *f, object_region r, float *rgb)
{
    for (int oy = 0; oy < SIDE; oy++) {
        int y0 = r.y + (int)((int64_t)oy * r.height / SIDE);
        int y1 = r.y + (int)((int64_t)(oy + 1) * r.height / SIDE);
        if (y1 <= y0)
            y1 = y0 + 1;
        for (int ox = 0; ox < SIDE; ox++) {
            int x0 = r.x + (int)((int64_t)ox * r.width / SIDE);
            int x1 = r.x + (int)((int64_t)(ox + 1) * r.width / SIDE);
            if (x1 <= x0)
                x1 = x0 + 1;
            double s[3] = {0, 0, 0};
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) {
                    const uint8_t *p = frame_pixel(f, x, y);
                    s[0] += p[0];
                    s[1] += p[1];
                    s[2] += p[2];
                }
            double n = 255.0 * (double)(y1 - y0) * (double)(x1 - x0);
            float *o = rgb + 3 * (oy * SIDE + ox);
            for (int c = 0; c < 3; c++)
                o[c] = (float)(s[c] / n);
        }
    }
}

static void to_hsv(const float *p, float *h, float *s, float *v)
{
    float mx = fmaxf(p[0], fmaxf(p[1], p[2])), mn = fminf(p[0], fminf(p[1], p[2]));
    float d = mx - mn;
    *v = mx;
    *s = mx > 0 ? d / mx : 0;
    if (d <= 0) {
        *h = 0;
        return;
    }
    float hh;
    if (mx == p[0])
        hh = (p[1] - p[2]) / d;
    else if (mx == p[1])
        hh = 2 + (p[2] - p[0]) / d;
    else
        hh = 4 + (p[0] - p[1]) / d;
    hh *= 60;
    if (hh < 0)
        hh += 360;
    *h = hh;
}

/* Adds w to a histogram of n circular bins at position pos (in bins),
 * shared between the two nearest bins. */
static void add_circular(float *hist, int n, float pos, float w)
{
    pos -= 0.5f;
    float fl = floorf(pos);
    float frac = pos - fl;
    int b0 = ((int)fl % n + n) % n;
    hist[b0] += w * (1 - frac);
    hist[(b0 + 1) % n] += w * frac;
}

/* The same for n bins on a line (clamped at the ends). */
static void add_linear(float *hist, int n, float pos, float w)
{
    pos -= 0.5f;
    if (pos <= 0) {
        hist[0] += w;
        return;
    }
    if (pos >= (float)(n - 1)) {
        hist[n - 1] += w;
        return;
    }
    int b0 = (int)pos;
    float frac = pos - (float)b0;
    hist[b0] += w * (1 - frac);
    hist[b0 + 1] += w * frac;
}

static void add_colour(float *hist, int hues, int sats, int greys, float h, float s, float v,
                       float w)
{
    if (s >= MIN_SAT && v >= MIN_VAL) {
        /* Saturation bins over MIN_SAT..1 (hard: saturation changes little
         * with the light); hue shared between neighbours. */
        int sb = (int)((s - MIN_SAT) / (1 - MIN_SAT) * (float)sats);
        if (sb >= sats)
            sb = sats - 1;
        float tmp[HUES] = {0};
        add_circular(tmp, hues, h / 360.0f * (float)hues, w);
        for (int k = 0; k < hues; k++)
            hist[sb * hues + k] += tmp[k];
    } else {
        add_linear(hist + hues * sats, greys, v * (float)greys, w);
    }
}

/* sqrt of each bin (Hellinger), scaled to length `weight`'s square root so
 * the part adds `weight` times its cosine to the whole. */
static void finish_part(float *p, int n, float weight)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += p[i];
    if (sum <= 0)
        return;
    double len2 = 0;
    for (int i = 0; i < n; i++) {
        p[i] = (float)sqrt(p[i] / sum);
        len2 += (double)p[i] * p[i];
    }
    float scale = (float)(sqrt(weight) / sqrt(len2));
    for (int i = 0; i < n; i++)
        p[i] *= scale;
}

/* Background: the colours along the edges of the whole picture (a taught
 * close-up's and a room's alike). A pixel whose colour, or a neighbouring
 * one in a cube of LEVELS^3, is common there is background and counts
 * little, so an object taught on a white wall and seen on a wooden table
 * describes alike, and a crop that holds only table describes as nothing. */
enum { LEVELS = 8, RING_DIV = 16, BORDER_SAMPLES = 256 };
/* Colours under FG_SHARE of the border are foreground, over BG_SHARE
 * background, linear between. */
#define FG_SHARE 0.03f
#define BG_SHARE 0.08f

static int colour_cell(float v)
{
    int q = (int)(v * LEVELS);
    return q >= LEVELS ? LEVELS - 1 : q < 0 ? 0 : q;
}

static int cell_of(const uint8_t *p)
{
    return ((p[0] * LEVELS / 256) * LEVELS + p[1] * LEVELS / 256) * LEVELS +
           p[2] * LEVELS / 256;
}

static void border_histogram(const frame *f, float *border)
{
    int rw = f->width / RING_DIV > 0 ? f->width / RING_DIV : 1;
    int rh = f->height / RING_DIV > 0 ? f->height / RING_DIV : 1;
    /* A few hundred samples along each edge are plenty. */
    int sx = f->width / BORDER_SAMPLES > 0 ? f->width / BORDER_SAMPLES : 1;
    int sy = f->height / BORDER_SAMPLES > 0 ? f->height / BORDER_SAMPLES : 1;
    double n = 0;
    memset(border, 0, sizeof(float) * LEVELS * LEVELS * LEVELS);
    for (int y = 0; y < f->height; y += sy)
        for (int x = 0; x < f->width; x += sx) {
            if (x >= rw && x < f->width - rw && y >= rh && y < f->height - rh)
                continue;
            border[cell_of(frame_pixel(f, x, y))] += 1;
            n += 1;
        }
    for (int i = 0; i < LEVELS * LEVELS * LEVELS; i++)
        border[i] = (float)(border[i] / n);
}

/* The light: the 98th percentile of max(R, G, B) over the picture
 * (sampled); colours are divided by it so a dim room and a bright one
 * describe alike (white-patch balance of brightness only). */
static float white_level(const frame *f)
{
    int hist[256] = {0};
    int sx = f->width / 128 > 0 ? f->width / 128 : 1;
    int sy = f->height / 128 > 0 ? f->height / 128 : 1;
    int n = 0;
    for (int y = 0; y < f->height; y += sy)
        for (int x = 0; x < f->width; x += sx) {
            const uint8_t *p = frame_pixel(f, x, y);
            int m = p[0] > p[1] ? p[0] : p[1];
            m = m > p[2] ? m : p[2];
            hist[m]++;
            n++;
        }
    int want = n - n / 50, seen = 0, v = 255;
    for (int i = 0; i < 256; i++) {
        seen += hist[i];
        if (seen >= want) {
            v = i;
            break;
        }
    }
    float level = (float)v / 255.0f;
    return level < 0.4f ? 0.4f : level;
}

static void foreground_weights(const float *rgb, const float *border, float *fg)
{
    for (int i = 0; i < SIDE * SIDE; i++) {
        const float *p = rgb + 3 * i;
        int r = colour_cell(p[0]), g = colour_cell(p[1]), b = colour_cell(p[2]);
        float near = 0;
        for (int dr = -1; dr <= 1; dr++)
            for (int dg = -1; dg <= 1; dg++)
                for (int db = -1; db <= 1; db++) {
                    int rr = r + dr, gg = g + dg, bb = b + db;
                    if (rr < 0 || gg < 0 || bb < 0 || rr >= LEVELS || gg >= LEVELS ||
                        bb >= LEVELS)
                        continue;
                    near += border[(rr * LEVELS + gg) * LEVELS + bb];
                }
        float w = (BG_SHARE - near) / (BG_SHARE - FG_SHARE);
        fg[i] = w > 1 ? 1 : w > 0 ? w : 0;
    }
}

sl_status object_descriptor_classic(const frame *f, object_region r, float *out, sl_error *err)
{
    sl_status s = check_region(f, r, err);
    if (s != SL_OK)
        return s;
    float *rgb = malloc(sizeof(float) * 5 * SIDE * SIDE);
    if (!rgb)
        return sl_fail(err, SL_ERR_NOMEM, "object descriptor: out of memory");
    float *grey = rgb + 3 * SIDE * SIDE;
    float *weight = grey + SIDE * SIDE;
    float border[LEVELS * LEVELS * LEVELS];
    border_histogram(f, border);
    resample(f, r, rgb);
    foreground_weights(rgb, border, weight);
    float white = white_level(f);
    for (int i = 0; i < 3 * SIDE * SIDE; i++)
        rgb[i] = fminf(rgb[i] / white, 1.0f);
    memset(out, 0, sizeof(float) * DIM);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            float dx = ((float)x + 0.5f) / SIDE - 0.5f, dy = ((float)y + 0.5f) / SIDE - 0.5f;
            weight[y * SIDE + x] *=
                expf(-(dx * dx + dy * dy) / (2 * CENTRE_SIGMA * CENTRE_SIGMA));
            const float *p = rgb + 3 * (y * SIDE + x);
            grey[y * SIDE + x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
        }

    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            int i = y * SIDE + x;
            int q = (y >= SIDE / 2) * 2 + (x >= SIDE / 2);
            float h, sat, v;
            to_hsv(rgb + 3 * i, &h, &sat, &v);
            add_colour(out + OFF_COLOUR, HUES, SATS, GREYS, h, sat, v, weight[i]);
            add_colour(out + OFF_QCOLOUR + q * QCOLOUR_BINS, QHUES, QSATS, QGREYS, h, sat, v,
                       weight[i]);
        }

    /* Gradients and LBP on the interior pixels. */
    static const int nx[8] = {1, 1, 0, -1, -1, -1, 0, 1}, ny[8] = {0, 1, 1, 1, 0, -1, -1, -1};
    for (int y = 1; y < SIDE - 1; y++)
        for (int x = 1; x < SIDE - 1; x++) {
            int i = y * SIDE + x;
            int q = (y >= SIDE / 2) * 2 + (x >= SIDE / 2);
            float gx = grey[i + 1] - grey[i - 1], gy = grey[i + SIDE] - grey[i - SIDE];
            float mag = sqrtf(gx * gx + gy * gy);
            if (mag > 0.02f) {
                float a = atan2f(gy, gx);
                if (a < 0)
                    a += PI_F;
                add_circular(out + OFF_ORIENT + q * ORIENTS, ORIENTS,
                             a / PI_F * ORIENTS, mag * weight[i]);
            }
            /* Uniform rotation-invariant LBP; a neighbour counts as brighter
             * only past a small margin so flat noise does not flicker. */
            int bits[8], ones = 0, transitions = 0;
            for (int k = 0; k < 8; k++) {
                bits[k] = grey[(y + ny[k]) * SIDE + x + nx[k]] >= grey[i] + 0.02f;
                ones += bits[k];
            }
            for (int k = 0; k < 8; k++)
                transitions += bits[k] != bits[(k + 1) % 8];
            out[OFF_LBP + (transitions <= 2 ? ones : 9)] += weight[i];
        }
    free(rgb);

    finish_part(out + OFF_COLOUR, COLOUR_BINS, part_weight[0]);
    for (int q = 0; q < 4; q++)
        finish_part(out + OFF_QCOLOUR + q * QCOLOUR_BINS, QCOLOUR_BINS, part_weight[1] / 4);
    for (int q = 0; q < 4; q++)
        finish_part(out + OFF_ORIENT + q * ORIENTS, ORIENTS, part_weight[2] / 4);
    finish_part(out + OFF_LBP, LBP_BINS, part_weight[3]);
    return SL_OK;
}

void object_descriptor_clip_method(const clip_model *m, char out[OBJECT_METHOD_MAX])
{
    snprintf(out, OBJECT_METHOD_MAX, "clip:%s:%d", clip_projector_name(m), clip_n_embd_out(m));
}

sl_status object_descriptor_clip(const clip_model *m, clip_encoder *enc, const frame *f,
                                 object_region r, float *out, sl_error *err)
{
    sl_status s = check_region(f, r, err);
    if (s != SL_OK)
        return s;
    /* The region as a frame of its own (the rows point into f). */
    frame crop = {.width = r.width, .height = r.height, .stride = f->stride,
                  .pixels = (uint8_t *)frame_pixel(f, r.x, r.y)};
    clip_tiles tiles = {0};
    s = clip_preprocess(m, &crop, clip_image_size(m), &tiles, err);
    if (s != SL_OK)
        return s;
    int n_tok = clip_tokens_per_tile(m), n_embd = clip_n_embd_out(m);
    float *embd = malloc(sizeof(float) * (size_t)n_tok * (size_t)n_embd);
    if (!embd) {
        clip_tiles_free(&tiles);
        return sl_fail(err, SL_ERR_NOMEM, "object descriptor: out of memory");
    }
    s = clip_encoder_run(enc, clip_tiles_tile(&tiles, tiles.overview_index), embd, err);
    clip_tiles_free(&tiles);
    if (s == SL_OK) {
        double len2 = 0;
        for (int j = 0; j < n_embd; j++) {
            double sum = 0;
            for (int t = 0; t < n_tok; t++)
                sum += embd[(size_t)t * n_embd + j];
            out[j] = (float)(sum / n_tok);
            len2 += (double)out[j] * out[j];
        }
        if (!(len2 > 0) || !isfinite(len2))
            s = sl_fail(err, SL_ERR_INTERNAL, "object descriptor: the encoder gave a pooled "
                        "embedding of length %g", sqrt(len2));
        else
            for (int j = 0; j < n_embd; j++)
                out[j] = (float)(out[j] / sqrt(len2));
    }
    free(embd);
    return s;
}
