/* Hand landmarks with MediaPipe's models, run by our TFLite interpreter.
 *
 * Per frame: when fewer hands are tracked than wanted, the palm detector
 * (192x192, letterboxed) finds palms; each palm gives a rotated square region
 * (rotation from the wrist to the middle finger's base, scaled 2.6x, shifted
 * towards the fingers); the landmark model (224x224 crop of that region)
 * gives 21 landmarks, a presence score and handedness. A hand whose presence
 * stays above the threshold is tracked: the next frame's region comes from
 * its landmarks (scale 2.0), so the detector does not run on every frame.
 *
 * Coordinates are frame pixels: x to the right, y down; z is depth relative
 * to the wrist in the same pixel scale (smaller is nearer the camera). */
#ifndef SIGHTLINE_VISION_HANDS_H
#define SIGHTLINE_VISION_HANDS_H

#include <stdbool.h>

#include "llm/error.h"
#include "llm/threadpool.h"
#include "vision/frame.h"

enum { HAND_LANDMARKS = 21, HANDS_MAX = 4 };

/* Landmark indices (MediaPipe's order). */
enum {
    HAND_WRIST = 0,
    HAND_THUMB_CMC = 1, HAND_THUMB_MCP = 2, HAND_THUMB_IP = 3, HAND_THUMB_TIP = 4,
    HAND_INDEX_MCP = 5, HAND_INDEX_PIP = 6, HAND_INDEX_DIP = 7, HAND_INDEX_TIP = 8,
    HAND_MIDDLE_MCP = 9, HAND_MIDDLE_PIP = 10, HAND_MIDDLE_DIP = 11, HAND_MIDDLE_TIP = 12,
    HAND_RING_MCP = 13, HAND_RING_PIP = 14, HAND_RING_DIP = 15, HAND_RING_TIP = 16,
    HAND_PINKY_MCP = 17, HAND_PINKY_PIP = 18, HAND_PINKY_DIP = 19, HAND_PINKY_TIP = 20,
};

/* A rotated rectangle in frame pixels; rotation in radians, as MediaPipe
 * measures it (a region with rotation r maps its own offsets (dx, dy) to the
 * frame by (dx cos r - dy sin r, dx sin r + dy cos r)). */
typedef struct hand_roi {
    float cx, cy, w, h, rotation;
} hand_roi;

typedef struct hand {
    float landmarks[HAND_LANDMARKS][3]; /* frame pixels (z: see above) */
    float world[HAND_LANDMARKS][3];     /* metres, origin near the hand's centre */
    float presence;                     /* the landmark model's hand score, 0..1 */
    float right;      /* the model's probability of "Right"; the model assumes a mirrored
                         (selfie) picture, so for a plain camera picture > 0.5 means left */
    float palm_score; /* the detector's score when detected in this frame, else 0 */
    bool tracked;     /* its region came from the previous frame's landmarks */
    hand_roi roi;     /* the region the landmarks were read from */
} hand;

typedef struct hands_options {
    int max_hands;          /* 1..HANDS_MAX; 0 means 2 */
    bool full;              /* the larger models (slower, a little more accurate) */
    bool track;             /* false: detect on every frame (still pictures) */
    float min_detection;    /* palm score threshold; 0 means 0.5 */
    float min_presence;     /* landmark presence threshold; 0 means 0.5 */
    int detect_interval;    /* with a hand tracked, look for more every N frames; 0 means 10 */
} hands_options;

/* Per-stage time of the last hands_process call, in milliseconds. */
typedef struct hands_timing {
    double detect_ms, landmarks_ms, total_ms;
    int detections_run, landmark_runs;
} hands_timing;

typedef struct hands_tracker hands_tracker;

/* models_dir holds palm_detection_{full,lite}.tflite and
 * hand_landmark_{full,lite}.tflite (scripts/fetch-hand-models.sh); NULL
 * means $SIGHTLINE_HAND_MODELS or models/mediapipe. The pool is borrowed. */
sl_status hands_open(const char *models_dir, const hands_options *opt, thread_pool *pool,
                     hands_tracker **out, sl_error *err);
void hands_close(hands_tracker *t);

/* Finds the hands in the next frame of a stream (or a still picture with
 * track = false). Fills up to max hands, best first; *n gets the count. */
sl_status hands_process(hands_tracker *t, const frame *f, hand *out, int max, int *n,
                        sl_error *err);

/* Forgets the tracked hands (a new stream begins). */
void hands_reset(hands_tracker *t);

const hands_timing *hands_last_timing(const hands_tracker *t);

/* The pairs of landmark indices joined by the hand's bones and the palm's
 * outline, for drawing. */
extern const int hand_bones[][2];
extern const int hand_bone_count;

/* Draws the hands onto a frame: bones as lines, landmarks as dots. */
void hands_draw(frame *f, const hand *hands, int n);

#endif
