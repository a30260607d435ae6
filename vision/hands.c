/* The hand pipeline: detection when needed, landmarks for every region,
 * tracking from frame to frame (see hands.h). */
#include "vision/hands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vision/hands_internal.h"
#include "vision/tflite.h"
#include "vision/tflite_interp.h"

static const float nms_iou = 0.3f;
/* A detection this close to a tracked hand is that hand again. */
static const float same_hand_iou = 0.5f;
enum { MAX_CANDIDATES = 256 };

struct hands_tracker {
    hands_options opt;
    tflite_model *palm_model, *landmark_model;
    tflite_interp *palm, *landmark;
    palm_anchor anchors[PALM_ANCHORS];
    palm_detection candidates[MAX_CANDIDATES];
    hand_roi tracked[HANDS_MAX];
    int n_tracked;
    int frames_since_detect;
    hands_timing timing;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static sl_status open_model(const char *dir, const char *name, thread_pool *pool,
                            tflite_model **model, tflite_interp **it, sl_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tflite", dir, name);
    sl_status st = tflite_model_open(path, model, err);
    if (st == SL_ERR_IO)
        return sl_fail(err, SL_ERR_MODEL, "%s: hand model missing (scripts/fetch-hand-models.sh"
                       " installs it)", path);
    if (st)
        return st;
    return tflite_interp_create(*model, pool, it, err);
}

/* Checks that a model has the tensors the pipeline reads. */
static sl_status check_io(const tflite_interp *it, const char *what, int side, int n_out,
                          const int64_t *counts, sl_error *err)
{
    tflite_io in = tflite_interp_input(it, 0);
    if (tflite_interp_input_count(it) != 1 || in.rank != 4 || in.shape[1] != side ||
        in.shape[2] != side || in.shape[3] != 3)
        return sl_fail(err, SL_ERR_MODEL, "%s: input is not [1,%d,%d,3]", what, side, side);
    if (tflite_interp_output_count(it) < n_out)
        return sl_fail(err, SL_ERR_MODEL, "%s: %d outputs, %d expected", what,
                       tflite_interp_output_count(it), n_out);
    for (int i = 0; i < n_out; i++)
        if (tflite_interp_output(it, i).count != counts[i])
            return sl_fail(err, SL_ERR_MODEL, "%s: output %d has %lld values, %lld expected",
                           what, i, (long long)tflite_interp_output(it, i).count,
                           (long long)counts[i]);
    return SL_OK;
}

sl_status hands_open(const char *models_dir, const hands_options *opt, thread_pool *pool,
                     hands_tracker **out, sl_error *err)
{
    *out = NULL;
    hands_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    if (opt)
        t->opt = *opt;
    else
        t->opt.track = true;
    if (t->opt.max_hands <= 0)
        t->opt.max_hands = 2;
    if (t->opt.max_hands > HANDS_MAX)
        t->opt.max_hands = HANDS_MAX;
    if (t->opt.min_detection <= 0)
        t->opt.min_detection = 0.5f;
    if (t->opt.min_presence <= 0)
        t->opt.min_presence = 0.5f;
    if (t->opt.detect_interval <= 0)
        t->opt.detect_interval = 10;
    if (!models_dir || !*models_dir) {
        models_dir = getenv("SIGHTLINE_HAND_MODELS");
        if (!models_dir || !*models_dir)
            models_dir = "models/mediapipe";
    }
    const char *kind = t->opt.full ? "full" : "lite";
    char name[64];
    snprintf(name, sizeof name, "palm_detection_%s", kind);
    sl_status st = open_model(models_dir, name, pool, &t->palm_model, &t->palm, err);
    static const int64_t palm_counts[2] = {PALM_ANCHORS * PALM_VALUES, PALM_ANCHORS};
    if (!st)
        st = check_io(t->palm, name, PALM_INPUT, 2, palm_counts, err);
    snprintf(name, sizeof name, "hand_landmark_%s", kind);
    if (!st)
        st = open_model(models_dir, name, pool, &t->landmark_model, &t->landmark, err);
    static const int64_t landmark_counts[4] = {3 * HAND_LANDMARKS, 1, 1, 3 * HAND_LANDMARKS};
    if (!st)
        st = check_io(t->landmark, name, LANDMARK_INPUT, 4, landmark_counts, err);
    if (st) {
        hands_close(t);
        return st;
    }
    palm_anchors(t->anchors, PALM_ANCHORS);
    *out = t;
    return SL_OK;
}

void hands_close(hands_tracker *t)
{
    if (!t)
        return;
    tflite_interp_free(t->palm);
    tflite_interp_free(t->landmark);
    tflite_model_free(t->palm_model);
    tflite_model_free(t->landmark_model);
    free(t);
}

void hands_reset(hands_tracker *t)
{
    t->n_tracked = 0;
    t->frames_since_detect = 0;
}

const hands_timing *hands_last_timing(const hands_tracker *t)
{
    return &t->timing;
}

/* Runs the detector: palms in frame pixels, best first. */
static sl_status detect(hands_tracker *t, const frame *f, palm_detection *out, int max,
                        int *found, sl_error *err)
{
    double t0 = now_ms();
    letterbox lb;
    *found = 0;
    palm_input(f, tflite_interp_input(t->palm, 0).data, &lb);
    sl_status st = tflite_interp_invoke(t->palm, err);
    if (st)
        return st;
    int n = palm_decode(tflite_interp_output(t->palm, 0).data,
                        tflite_interp_output(t->palm, 1).data, t->anchors, PALM_ANCHORS,
                        t->opt.min_detection, t->candidates, MAX_CANDIDATES);
    n = palm_nms(t->candidates, n, nms_iou, out, max);
    for (int i = 0; i < n; i++)
        palm_to_frame(&out[i], &lb, &out[i]);
    t->timing.detect_ms += now_ms() - t0;
    t->timing.detections_run++;
    *found = n;
    return SL_OK;
}

/* Landmarks in one region; false when the model sees no hand there. */
static bool landmarks(hands_tracker *t, const frame *f, const hand_roi *roi, hand *h,
                      sl_error *err, sl_status *st)
{
    double t0 = now_ms();
    hand_crop(f, roi, LANDMARK_INPUT, tflite_interp_input(t->landmark, 0).data);
    *st = tflite_interp_invoke(t->landmark, err);
    t->timing.landmarks_ms += now_ms() - t0;
    t->timing.landmark_runs++;
    if (*st)
        return false;
    memset(h, 0, sizeof *h);
    h->presence = tflite_interp_output(t->landmark, 1).data[0];
    h->right = tflite_interp_output(t->landmark, 2).data[0];
    h->roi = *roi;
    if (!(h->presence >= t->opt.min_presence))
        return false;
    hand_project(tflite_interp_output(t->landmark, 0).data, roi, LANDMARK_INPUT, h->landmarks);
    const float *world = tflite_interp_output(t->landmark, 3).data;
    for (int i = 0; i < HAND_LANDMARKS; i++)
        for (int k = 0; k < 3; k++)
            h->world[i][k] = world[3 * i + k];
    return true;
}

static int by_presence_desc(const void *x, const void *y)
{
    float a = ((const hand *)x)->presence, b = ((const hand *)y)->presence;
    return (a < b) - (a > b);
}

sl_status hands_process(hands_tracker *t, const frame *f, hand *out, int max, int *n,
                        sl_error *err)
{
    *n = 0;
    if (!f || !f->pixels || f->width <= 0 || f->height <= 0)
        return sl_fail(err, SL_ERR_ARG, "hands: empty frame");
    double t0 = now_ms();
    memset(&t->timing, 0, sizeof t->timing);
    int want = t->opt.max_hands;
    hand_roi regions[2 * HANDS_MAX];
    float palm_scores[2 * HANDS_MAX] = {0};
    bool from_track[2 * HANDS_MAX] = {false};
    int n_regions = 0;
    if (t->opt.track) {
        for (int i = 0; i < t->n_tracked; i++) {
            from_track[n_regions] = true;
            regions[n_regions++] = t->tracked[i];
        }
    }
    bool detect_now = !t->opt.track || t->n_tracked == 0 ||
                      (t->n_tracked < want && t->frames_since_detect >= t->opt.detect_interval);
    if (detect_now) {
        palm_detection palms[HANDS_MAX];
        int found;
        sl_status st = detect(t, f, palms, want, &found, err);
        if (st)
            return st;
        t->frames_since_detect = 0;
        for (int i = 0; i < found && n_regions < 2 * HANDS_MAX; i++) {
            hand_roi r = palm_roi(&palms[i]);
            bool known = false;
            for (int k = 0; k < n_regions; k++)
                known = known || hand_roi_iou(&r, &regions[k]) > same_hand_iou;
            if (known)
                continue;
            palm_scores[n_regions] = palms[i].score;
            regions[n_regions++] = r;
        }
    } else {
        t->frames_since_detect++;
    }

    hand found[2 * HANDS_MAX];
    int n_found = 0;
    for (int i = 0; i < n_regions; i++) {
        sl_status st = SL_OK;
        hand *h = &found[n_found];
        if (!landmarks(t, f, &regions[i], h, err, &st)) {
            if (st)
                return st;
            continue;
        }
        h->tracked = from_track[i];
        h->palm_score = palm_scores[i];
        /* Two regions can settle on one hand: keep the surer reading. */
        hand_roi next = hand_roi_from_landmarks(h->landmarks);
        bool duplicate = false;
        for (int k = 0; k < n_found; k++) {
            hand_roi other = hand_roi_from_landmarks(found[k].landmarks);
            if (hand_roi_iou(&next, &other) > same_hand_iou) {
                if (h->presence > found[k].presence)
                    found[k] = *h;
                duplicate = true;
                break;
            }
        }
        if (!duplicate)
            n_found++;
    }
    qsort(found, (size_t)n_found, sizeof found[0], by_presence_desc);
    if (n_found > want)
        n_found = want;
    t->n_tracked = 0;
    if (t->opt.track)
        for (int i = 0; i < n_found; i++)
            t->tracked[t->n_tracked++] = hand_roi_from_landmarks(found[i].landmarks);
    for (int i = 0; i < n_found && i < max; i++)
        out[(*n)++] = found[i];
    t->timing.total_ms = now_ms() - t0;
    return SL_OK;
}

/* --- drawing --------------------------------------------------------------- */

const int hand_bones[][2] = {
    {0, 1}, {1, 2}, {2, 3}, {3, 4},         /* thumb */
    {0, 5}, {5, 6}, {6, 7}, {7, 8},         /* index */
    {5, 9}, {9, 10}, {10, 11}, {11, 12},    /* middle */
    {9, 13}, {13, 14}, {14, 15}, {15, 16},  /* ring */
    {13, 17}, {17, 18}, {18, 19}, {19, 20}, /* pinky */
    {0, 17},
};
const int hand_bone_count = (int)(sizeof hand_bones / sizeof hand_bones[0]);

static void put_pixel(frame *f, int x, int y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || x >= f->width || y >= f->height)
        return;
    memcpy(frame_pixel(f, x, y), rgb, 3);
}

static void draw_line(frame *f, float x0, float y0, float x1, float y1, const uint8_t rgb[3])
{
    if (!(fabsf(x0) < 1e6f && fabsf(y0) < 1e6f && fabsf(x1) < 1e6f && fabsf(y1) < 1e6f))
        return; /* NaN or far outside: nothing useful to draw */
    float dx = x1 - x0, dy = y1 - y0;
    int steps = (int)fmaxf(fabsf(dx), fabsf(dy)) + 1;
    for (int i = 0; i <= steps; i++) {
        float a = (float)i / (float)steps;
        int x = (int)lrintf(x0 + dx * a), y = (int)lrintf(y0 + dy * a);
        for (int oy = 0; oy < 2; oy++)
            for (int ox = 0; ox < 2; ox++)
                put_pixel(f, x + ox, y + oy, rgb);
    }
}

void hands_draw(frame *f, const hand *hands, int n)
{
    static const uint8_t bone[3] = {40, 220, 60}, joint[3] = {230, 30, 30};
    for (int h = 0; h < n; h++) {
        const float(*lm)[3] = hands[h].landmarks;
        for (int b = 0; b < hand_bone_count; b++)
            draw_line(f, lm[hand_bones[b][0]][0], lm[hand_bones[b][0]][1],
                      lm[hand_bones[b][1]][0], lm[hand_bones[b][1]][1], bone);
        for (int i = 0; i < HAND_LANDMARKS; i++) {
            if (!(fabsf(lm[i][0]) < 1e6f && fabsf(lm[i][1]) < 1e6f))
                continue;
            int cx = (int)lrintf(lm[i][0]), cy = (int)lrintf(lm[i][1]);
            for (int y = -3; y <= 3; y++)
                for (int x = -3; x <= 3; x++)
                    if (x * x + y * y <= 9)
                        put_pixel(f, cx + x, cy + y, joint);
        }
    }
}
