/* Hand regions: from landmarks (tracking), crops for the landmark model,
 * and the landmark model's output back to frame pixels. */
#include <math.h>

#include "vision/hands_internal.h"

float hands_normalize_radians(float a)
{
    const float two_pi = 6.283185307f;
    return a - two_pi * floorf((a + 3.14159265f) / two_pi);
}

/* --- landmarks -> region (tracking) -------------------------------------- */

static const float track_scale = 2.0f, track_shift_y = -0.1f;
/* The landmarks MediaPipe bounds the hand with: wrist, thumb base, and the
 * two lower joints of each finger (the tips move too much). */
static const int track_points[] = {0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18};

hand_roi hand_roi_from_landmarks(const float lm[HAND_LANDMARKS][3])
{
    float x0 = lm[HAND_WRIST][0], y0 = lm[HAND_WRIST][1];
    float x1 = ((lm[HAND_INDEX_MCP][0] + lm[HAND_RING_MCP][0]) / 2 + lm[HAND_MIDDLE_MCP][0]) / 2;
    float y1 = ((lm[HAND_INDEX_MCP][1] + lm[HAND_RING_MCP][1]) / 2 + lm[HAND_MIDDLE_MCP][1]) / 2;
    float rotation = hands_normalize_radians(1.5707963f - atan2f(-(y1 - y0), x1 - x0));
    const int n = (int)(sizeof track_points / sizeof track_points[0]);
    float minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
    for (int i = 0; i < n; i++) {
        const float *p = lm[track_points[i]];
        minx = fminf(minx, p[0]);
        maxx = fmaxf(maxx, p[0]);
        miny = fminf(miny, p[1]);
        maxy = fmaxf(maxy, p[1]);
    }
    float acx = (minx + maxx) / 2, acy = (miny + maxy) / 2;
    /* The extent in the hand's own rotated frame. */
    float rs = sinf(-rotation), rc = cosf(-rotation);
    float pminx = INFINITY, pmaxx = -INFINITY, pminy = INFINITY, pmaxy = -INFINITY;
    for (int i = 0; i < n; i++) {
        float dx = lm[track_points[i]][0] - acx, dy = lm[track_points[i]][1] - acy;
        float px = dx * rc - dy * rs, py = dx * rs + dy * rc;
        pminx = fminf(pminx, px);
        pmaxx = fmaxf(pmaxx, px);
        pminy = fminf(pminy, py);
        pmaxy = fmaxf(pmaxy, py);
    }
    float pcx = (pminx + pmaxx) / 2, pcy = (pminy + pmaxy) / 2;
    float s = sinf(rotation), c = cosf(rotation);
    float cx = pcx * c - pcy * s + acx, cy = pcx * s + pcy * c + acy;
    return hands_transform_roi(cx, cy, pmaxx - pminx, pmaxy - pminy, rotation, track_scale,
                         track_shift_y);
}

/* --- crops and projection ------------------------------------------------- */

void hand_crop(const frame *f, const hand_roi *roi, int size, float *tensor)
{
    float s = sinf(roi->rotation), c = cosf(roi->rotation);
    for (int v = 0; v < size; v++) {
        float ny = ((float)v + 0.5f) / (float)size - 0.5f;
        for (int u = 0; u < size; u++) {
            float nx = ((float)u + 0.5f) / (float)size - 0.5f;
            float x = roi->cx + (nx * c * roi->w - ny * s * roi->h);
            float y = roi->cy + (nx * s * roi->w + ny * c * roi->h);
            float rgb[3];
            hands_sample_rgb(f, x, y, rgb);
            float *dst = tensor + ((int64_t)v * size + u) * 3;
            for (int k = 0; k < 3; k++)
                dst[k] = rgb[k] / 255.0f;
        }
    }
}

/* MediaPipe scales the landmark model's z by the input width and then by
 * 1 / 0.4 so that it has about the scale of x. */
static const float z_normalization = 0.4f;

void hand_project(const float *raw, const hand_roi *roi, int size, float out[HAND_LANDMARKS][3])
{
    float s = sinf(roi->rotation), c = cosf(roi->rotation);
    for (int i = 0; i < HAND_LANDMARKS; i++) {
        float nx = raw[3 * i] / (float)size - 0.5f, ny = raw[3 * i + 1] / (float)size - 0.5f;
        out[i][0] = roi->cx + (nx * c * roi->w - ny * s * roi->h);
        out[i][1] = roi->cy + (nx * s * roi->w + ny * c * roi->h);
        out[i][2] = raw[3 * i + 2] / (float)size / z_normalization * roi->w;
    }
}

float hand_roi_iou(const hand_roi *a, const hand_roi *b)
{
    /* Axis-aligned bounds of each rotated square. */
    float ea = (fabsf(cosf(a->rotation)) + fabsf(sinf(a->rotation))) * a->w / 2;
    float eb = (fabsf(cosf(b->rotation)) + fabsf(sinf(b->rotation))) * b->w / 2;
    palm_detection pa = {.xmin = a->cx - ea, .xmax = a->cx + ea, .ymin = a->cy - ea,
                         .ymax = a->cy + ea};
    palm_detection pb = {.xmin = b->cx - eb, .xmax = b->cx + eb, .ymin = b->cy - eb,
                         .ymax = b->cy + eb};
    return palm_iou(&pa, &pb);
}
