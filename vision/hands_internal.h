/* The steps of the hand pipeline, shared by hands.c and the tests. */
#ifndef SIGHTLINE_VISION_HANDS_INTERNAL_H
#define SIGHTLINE_VISION_HANDS_INTERNAL_H

#include <math.h>

#include "vision/frame.h"
#include "vision/hands.h"

enum {
    PALM_INPUT = 192,     /* the palm detector's input side */
    PALM_ANCHORS = 2016,  /* 24*24*2 + 12*12*6 */
    PALM_KEYPOINTS = 7,
    PALM_VALUES = 18,     /* box (4) + 7 keypoints (x, y) per anchor */
    LANDMARK_INPUT = 224, /* the landmark model's input side */
};

/* An anchor's centre, normalised to the detector's input. */
typedef struct palm_anchor {
    float x, y;
} palm_anchor;

/* A detected palm: box and keypoints normalised to the detector's input
 * (0..1 across the letterboxed square), or in frame pixels after
 * palm_to_frame. Keypoint 0 is the wrist, 2 the middle finger's base. */
typedef struct palm_detection {
    float score;
    float xmin, ymin, xmax, ymax;
    float kp[PALM_KEYPOINTS][2];
} palm_detection;

/* How a frame sits in the detector's square input: input pixel =
 * frame pixel * scale + pad. */
typedef struct letterbox {
    float scale, pad_x, pad_y;
} letterbox;

/* MediaPipe's SSD anchors for the palm detector: 4 layers with strides 8,
 * 16, 16, 16 on 192 pixels, two anchors per layer and cell, fixed size.
 * Returns the count written (PALM_ANCHORS when max allows). */
int palm_anchors(palm_anchor *out, int max);

/* Decodes the detector's raw outputs (PALM_ANCHORS x 18 regressors, scores
 * as logits) into the detections scoring at least min_score. Returns how
 * many were written (at most max). */
int palm_decode(const float *boxes, const float *scores, const palm_anchor *anchors,
                int n_anchors, float min_score, palm_detection *out, int max);

/* Weighted non-maximum suppression (MediaPipe's WEIGHTED algorithm): the
 * best detection absorbs every other with IoU above the threshold, its box
 * and keypoints becoming their score-weighted mean. dets is reordered.
 * Returns the number written to out. */
int palm_nms(palm_detection *dets, int n, float iou_threshold, palm_detection *out, int max);

float palm_iou(const palm_detection *a, const palm_detection *b);

/* The detector's input: the frame letterboxed into 192x192, RGB in [-1, 1],
 * the borders black (-1). */
void palm_input(const frame *f, float *tensor, letterbox *lb);

/* From normalised detector coordinates to frame pixels. */
void palm_to_frame(const palm_detection *in, const letterbox *lb, palm_detection *out);

/* The landmark model's region for a palm in frame pixels: rotated so the
 * wrist-to-middle-finger line points up, square, 2.6x the palm box, shifted
 * half a box towards the fingers. */
hand_roi palm_roi(const palm_detection *d);

/* The tracking region from 21 landmarks in frame pixels: square, 2x the
 * landmarks' extent, shifted a tenth towards the fingers. */
hand_roi hand_roi_from_landmarks(const float lm[HAND_LANDMARKS][3]);

/* Samples the rotated region into a size x size RGB tensor in [0, 1]
 * (bilinear, edges repeated). */
void hand_crop(const frame *f, const hand_roi *roi, int size, float *tensor);

/* From the landmark model's output (21 x, y, z in crop pixels of a
 * size-pixel input) to frame pixels. */
void hand_project(const float *raw, const hand_roi *roi, int size, float out[HAND_LANDMARKS][3]);

/* Overlap of two regions' axis-aligned bounds (intersection over union). */
float hand_roi_iou(const hand_roi *a, const hand_roi *b);

/* The same angle in [-pi, pi). */
float hands_normalize_radians(float a);

/* Bilinear sample of channel c at continuous pixel coordinates (pixel
 * centres at +0.5), edges repeated. */
static inline void hands_sample_rgb(const frame *f, float x, float y, float rgb[3])
{
    x -= 0.5f;
    y -= 0.5f;
    float fx = floorf(x), fy = floorf(y);
    int x0 = (int)fx, y0 = (int)fy;
    float ax = x - fx, ay = y - fy;
    int x1 = x0 + 1, y1 = y0 + 1;
    x0 = x0 < 0 ? 0 : x0 >= f->width ? f->width - 1 : x0;
    x1 = x1 < 0 ? 0 : x1 >= f->width ? f->width - 1 : x1;
    y0 = y0 < 0 ? 0 : y0 >= f->height ? f->height - 1 : y0;
    y1 = y1 < 0 ? 0 : y1 >= f->height ? f->height - 1 : y1;
    const uint8_t *p00 = frame_pixel(f, x0, y0), *p01 = frame_pixel(f, x1, y0);
    const uint8_t *p10 = frame_pixel(f, x0, y1), *p11 = frame_pixel(f, x1, y1);
    for (int c = 0; c < 3; c++) {
        float top = p00[c] + (p01[c] - p00[c]) * ax;
        float bot = p10[c] + (p11[c] - p10[c]) * ax;
        rgb[c] = top + (bot - top) * ay;
    }
}

/* MediaPipe's RectTransformation in pixels: shift by a fraction of the
 * box along its own axes, make it square on the long side, scale. */
static inline hand_roi hands_transform_roi(float cx, float cy, float w, float h, float rotation, float scale,
                              float shift_y)
{
    float s = sinf(rotation), c = cosf(rotation);
    cx += -h * shift_y * s;
    cy += h * shift_y * c;
    float side = fmaxf(w, h) * scale;
    return (hand_roi){cx, cy, side, side, rotation};
}


#endif
