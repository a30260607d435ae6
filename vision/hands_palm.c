/* Palm detection around the model: anchors, box decoding, weighted
 * non-maximum suppression, the letterboxed input and the hand region. The
 * constants are those of MediaPipe's palm detection graph. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision/hands_internal.h"

static const int anchor_strides[] = {8, 16, 16, 16};
enum { ANCHOR_LAYERS = 4, ANCHORS_PER_LAYER = 2 /* aspect ratio 1 + interpolated scale */ };
static const float anchor_offset = 0.5f;
static const float score_clip = 100.0f;
static const float palm_scale = 2.6f, palm_shift_y = -0.5f;

int palm_anchors(palm_anchor *out, int max)
{
    int n = 0;
    for (int layer = 0; layer < ANCHOR_LAYERS;) {
        /* Consecutive layers with the same stride share one grid; each
         * contributes its anchors to every cell. */
        int last = layer;
        while (last < ANCHOR_LAYERS && anchor_strides[last] == anchor_strides[layer])
            last++;
        int per_cell = (last - layer) * ANCHORS_PER_LAYER;
        int side = (PALM_INPUT + anchor_strides[layer] - 1) / anchor_strides[layer];
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                for (int a = 0; a < per_cell; a++) {
                    if (n < max)
                        out[n] = (palm_anchor){((float)x + anchor_offset) / (float)side,
                                               ((float)y + anchor_offset) / (float)side};
                    n++;
                }
        layer = last;
    }
    return n < max ? n : max;
}

int palm_decode(const float *boxes, const float *scores, const palm_anchor *anchors,
                int n_anchors, float min_score, palm_detection *out, int max)
{
    int n = 0;
    for (int i = 0; i < n_anchors && n < max; i++) {
        float logit = fminf(fmaxf(scores[i], -score_clip), score_clip);
        float score = 1.0f / (1.0f + expf(-logit));
        if (!(score >= min_score))
            continue;
        const float *r = boxes + (int64_t)i * PALM_VALUES;
        const palm_anchor *a = &anchors[i];
        /* Regressors are in input pixels relative to the anchor centre. */
        float cx = r[0] / PALM_INPUT + a->x, cy = r[1] / PALM_INPUT + a->y;
        float w = r[2] / PALM_INPUT, h = r[3] / PALM_INPUT;
        palm_detection *d = &out[n++];
        d->score = score;
        d->xmin = cx - w / 2;
        d->ymin = cy - h / 2;
        d->xmax = cx + w / 2;
        d->ymax = cy + h / 2;
        for (int k = 0; k < PALM_KEYPOINTS; k++) {
            d->kp[k][0] = r[4 + 2 * k] / PALM_INPUT + a->x;
            d->kp[k][1] = r[5 + 2 * k] / PALM_INPUT + a->y;
        }
    }
    return n;
}

float palm_iou(const palm_detection *a, const palm_detection *b)
{
    float ix = fminf(a->xmax, b->xmax) - fmaxf(a->xmin, b->xmin);
    float iy = fminf(a->ymax, b->ymax) - fmaxf(a->ymin, b->ymin);
    if (ix <= 0 || iy <= 0)
        return 0.0f;
    float inter = ix * iy;
    float ua = (a->xmax - a->xmin) * (a->ymax - a->ymin) + (b->xmax - b->xmin) * (b->ymax - b->ymin)
               - inter;
    return ua > 0 ? inter / ua : 0.0f;
}

static int by_score_desc(const void *x, const void *y)
{
    float a = ((const palm_detection *)x)->score, b = ((const palm_detection *)y)->score;
    return (a < b) - (a > b);
}

int palm_nms(palm_detection *dets, int n, float iou_threshold, palm_detection *out, int max)
{
    qsort(dets, (size_t)n, sizeof *dets, by_score_desc);
    /* A detection absorbed by a better one gets score -1. */
    int written = 0;
    for (int i = 0; i < n && written < max; i++) {
        if (dets[i].score < 0)
            continue;
        palm_detection top = dets[i];
        palm_detection sum = {0};
        float total = 0;
        for (int j = i; j < n; j++) {
            if (dets[j].score < 0 || (j != i && !(palm_iou(&top, &dets[j]) > iou_threshold)))
                continue;
            float s = dets[j].score;
            total += s;
            sum.xmin += dets[j].xmin * s;
            sum.ymin += dets[j].ymin * s;
            sum.xmax += dets[j].xmax * s;
            sum.ymax += dets[j].ymax * s;
            for (int k = 0; k < PALM_KEYPOINTS; k++) {
                sum.kp[k][0] += dets[j].kp[k][0] * s;
                sum.kp[k][1] += dets[j].kp[k][1] * s;
            }
            if (j != i)
                dets[j].score = -1;
        }
        palm_detection *o = &out[written++];
        o->score = top.score;
        o->xmin = sum.xmin / total;
        o->ymin = sum.ymin / total;
        o->xmax = sum.xmax / total;
        o->ymax = sum.ymax / total;
        for (int k = 0; k < PALM_KEYPOINTS; k++) {
            o->kp[k][0] = sum.kp[k][0] / total;
            o->kp[k][1] = sum.kp[k][1] / total;
        }
    }
    return written;
}

void palm_input(const frame *f, float *tensor, letterbox *lb)
{
    int longest = f->width > f->height ? f->width : f->height;
    lb->scale = (float)PALM_INPUT / (float)longest;
    lb->pad_x = ((float)PALM_INPUT - f->width * lb->scale) / 2;
    lb->pad_y = ((float)PALM_INPUT - f->height * lb->scale) / 2;
    for (int v = 0; v < PALM_INPUT; v++)
        for (int u = 0; u < PALM_INPUT; u++) {
            float *dst = tensor + ((int64_t)v * PALM_INPUT + u) * 3;
            float x = ((float)u + 0.5f - lb->pad_x) / lb->scale;
            float y = ((float)v + 0.5f - lb->pad_y) / lb->scale;
            if (x < 0 || y < 0 || x >= f->width || y >= f->height) {
                dst[0] = dst[1] = dst[2] = 0.0f;
                continue;
            }
            float rgb[3];
            hands_sample_rgb(f, x, y, rgb);
            for (int c = 0; c < 3; c++)
                dst[c] = rgb[c] / 255.0f;
        }
}

void palm_to_frame(const palm_detection *in, const letterbox *lb, palm_detection *out)
{
    palm_detection d = *in;
#define TO_X(v) (((v) * PALM_INPUT - lb->pad_x) / lb->scale)
#define TO_Y(v) (((v) * PALM_INPUT - lb->pad_y) / lb->scale)
    d.xmin = TO_X(in->xmin);
    d.xmax = TO_X(in->xmax);
    d.ymin = TO_Y(in->ymin);
    d.ymax = TO_Y(in->ymax);
    for (int k = 0; k < PALM_KEYPOINTS; k++) {
        d.kp[k][0] = TO_X(in->kp[k][0]);
        d.kp[k][1] = TO_Y(in->kp[k][1]);
    }
#undef TO_X
#undef TO_Y
    *out = d;
}

hand_roi palm_roi(const palm_detection *d)
{
    /* The target angle is 90 degrees: the wrist-to-middle-finger line up. */
    float x0 = d->kp[0][0], y0 = d->kp[0][1], x1 = d->kp[2][0], y1 = d->kp[2][1];
    float rotation = hands_normalize_radians(1.5707963f - atan2f(-(y1 - y0), x1 - x0));
    return hands_transform_roi((d->xmin + d->xmax) / 2, (d->ymin + d->ymax) / 2, d->xmax - d->xmin,
                         d->ymax - d->ymin, rotation, palm_scale, palm_shift_y);
}

