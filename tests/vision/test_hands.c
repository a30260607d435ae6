/* The hand pipeline: anchors, decoding, NMS and region geometry against
 * hand-computed values; crop and projection against each other; the whole
 * pipeline (both model sizes) on drawn hands in many poses, two at once,
 * tracking without re-detection, losing and finding a hand again. */
#include "vision/vision.h"
#include "vision/hands_internal.h"
#include "tests/support.h"
#include "tests/vision/hand_sketch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const float pi = 3.14159265f;

static void test_anchors(void **state)
{
    (void)state;
    static palm_anchor a[PALM_ANCHORS + 8];
    assert_int_equal(palm_anchors(a, PALM_ANCHORS + 8), PALM_ANCHORS);
    /* 24x24 cells with 2 anchors each, then 12x12 cells with 6 each. */
    assert_float_equal(a[0].x, 0.5f / 24, 1e-7);
    assert_float_equal(a[0].y, 0.5f / 24, 1e-7);
    assert_float_equal(a[1].x, 0.5f / 24, 1e-7);
    assert_float_equal(a[2].x, 1.5f / 24, 1e-7);
    assert_float_equal(a[48].y, 1.5f / 24, 1e-7);
    assert_float_equal(a[1151].x, 23.5f / 24, 1e-7);
    assert_float_equal(a[1151].y, 23.5f / 24, 1e-7);
    for (int i = 1152; i < 1158; i++) {
        assert_float_equal(a[i].x, 0.5f / 12, 1e-7);
        assert_float_equal(a[i].y, 0.5f / 12, 1e-7);
    }
    assert_float_equal(a[1158].x, 1.5f / 12, 1e-7);
    assert_float_equal(a[2015].x, 11.5f / 12, 1e-7);
    assert_float_equal(a[2015].y, 11.5f / 12, 1e-7);
    assert_int_equal(palm_anchors(a, 10), 10);
}

static void test_decode(void **state)
{
    (void)state;
    static palm_anchor anchors[PALM_ANCHORS];
    static float boxes[PALM_ANCHORS * PALM_VALUES], scores[PALM_ANCHORS];
    palm_anchors(anchors, PALM_ANCHORS);
    for (int i = 0; i < PALM_ANCHORS; i++)
        scores[i] = -5; /* sigmoid 0.0067 */
    /* Anchor 1200 (cell 8 of the 12x12 grid, centre (8.5/12, 0.5/12)). */
    int k = 1152 + 8 * 6;
    float *r = boxes + k * PALM_VALUES;
    r[0] = 19.2f;  /* +0.1 */
    r[1] = 38.4f;  /* +0.2 */
    r[2] = 48.0f;  /* w 0.25 */
    r[3] = 96.0f;  /* h 0.5 */
    r[4] = -9.6f;  /* keypoint 0: -0.05, */
    r[5] = 96.0f;  /* +0.5 */
    scores[k] = 2.0f;
    scores[7] = 1000.0f; /* clipped to 100 before the sigmoid */
    palm_detection d[8];
    int n = palm_decode(boxes, scores, anchors, PALM_ANCHORS, 0.5f, d, 8);
    assert_int_equal(n, 2);
    assert_float_equal(d[0].score, 1.0f, 1e-6);
    assert_float_equal(d[1].score, 1.0f / (1.0f + expf(-2.0f)), 1e-6);
    float cx = 8.5f / 12 + 0.1f, cy = 0.5f / 12 + 0.2f;
    assert_float_equal(d[1].xmin, cx - 0.125f, 1e-6);
    assert_float_equal(d[1].xmax, cx + 0.125f, 1e-6);
    assert_float_equal(d[1].ymin, cy - 0.25f, 1e-6);
    assert_float_equal(d[1].ymax, cy + 0.25f, 1e-6);
    assert_float_equal(d[1].kp[0][0], 8.5f / 12 - 0.05f, 1e-6);
    assert_float_equal(d[1].kp[0][1], 0.5f / 12 + 0.5f, 1e-6);
    assert_float_equal(d[1].kp[1][0], 8.5f / 12, 1e-6);
    /* max bounds the output. */
    assert_int_equal(palm_decode(boxes, scores, anchors, PALM_ANCHORS, 0.5f, d, 1), 1);
    assert_int_equal(palm_decode(boxes, scores, anchors, PALM_ANCHORS, 0.005f, d, 8), 8);
}

static palm_detection box(float score, float x0, float y0, float x1, float y1)
{
    palm_detection d = {.score = score, .xmin = x0, .ymin = y0, .xmax = x1, .ymax = y1};
    for (int k = 0; k < PALM_KEYPOINTS; k++) {
        d.kp[k][0] = x0;
        d.kp[k][1] = y1;
    }
    return d;
}

static void test_weighted_nms(void **state)
{
    (void)state;
    palm_detection in[4] = {
        box(0.6f, 0.1f, 0.1f, 0.3f, 0.3f),
        box(0.9f, 0.12f, 0.1f, 0.32f, 0.3f), /* IoU with the first: 0.18/0.22 = 0.82 */
        box(0.8f, 0.6f, 0.6f, 0.8f, 0.8f),   /* apart */
        box(0.7f, 0.2f, 0.2f, 0.4f, 0.4f),   /* IoU with the best: 0.012/0.068 = 0.18, kept */
    };
    assert_float_equal(palm_iou(&in[0], &in[1]), 0.018f / 0.022f, 1e-5);
    palm_detection out[4];
    int n = palm_nms(in, 4, 0.3f, out, 4);
    assert_int_equal(n, 3);
    /* The best keeps its score; its box is the score-weighted mean. */
    assert_float_equal(out[0].score, 0.9f, 1e-6);
    assert_float_equal(out[0].xmin, (0.9f * 0.12f + 0.6f * 0.1f) / 1.5f, 1e-6);
    assert_float_equal(out[0].xmax, (0.9f * 0.32f + 0.6f * 0.3f) / 1.5f, 1e-6);
    assert_float_equal(out[0].kp[3][1], 0.3f, 1e-6);
    assert_float_equal(out[1].score, 0.8f, 1e-6);
    assert_float_equal(out[1].xmin, 0.6f, 1e-6);
    assert_float_equal(out[2].score, 0.7f, 1e-6);
    palm_detection again[4] = {in[0], in[1], in[2], in[3]};
    assert_int_equal(palm_nms(again, 4, 0.3f, out, 1), 1);
}

static void test_palm_region(void **state)
{
    (void)state;
    /* Fingers up: no rotation; 2.6 x the long side; half the box height
     * towards the fingers. */
    palm_detection d = box(1, 50, 110, 150, 190);
    d.kp[0][0] = 100;
    d.kp[0][1] = 200;
    d.kp[2][0] = 100;
    d.kp[2][1] = 100;
    hand_roi r = palm_roi(&d);
    assert_float_equal(r.rotation, 0, 1e-6);
    assert_float_equal(r.w, 260, 1e-3);
    assert_float_equal(r.h, 260, 1e-3);
    assert_float_equal(r.cx, 100, 1e-3);
    assert_float_equal(r.cy, 150 - 40, 1e-3);
    /* Fingers to the right: a quarter turn; the shift follows the fingers. */
    d.kp[0][0] = 50;
    d.kp[0][1] = 150;
    d.kp[2][0] = 150;
    d.kp[2][1] = 150;
    r = palm_roi(&d);
    assert_float_equal(r.rotation, pi / 2, 1e-5);
    assert_float_equal(r.cx, 100 + 40, 1e-3);
    assert_float_equal(r.cy, 150, 1e-3);
    /* Fingers down: half a turn. */
    d.kp[2][0] = 50;
    d.kp[2][1] = 250;
    r = palm_roi(&d);
    assert_float_equal(fabsf(r.rotation), pi, 1e-5);
    assert_float_equal(hands_normalize_radians(3 * pi), -pi, 1e-5);
    assert_float_equal(hands_normalize_radians(-pi / 2), -pi / 2, 1e-6);
}

/* Landmarks of an upright hand, then the same turned a quarter: the tracking
 * region turns with them and keeps its size. */
static void test_region_from_landmarks(void **state)
{
    (void)state;
    float lm[HAND_LANDMARKS][3] = {{0}};
    for (int i = 0; i < HAND_LANDMARKS; i++) {
        int finger = i == 0 ? 2 : (i - 1) / 4, joint = i == 0 ? -1 : (i - 1) % 4;
        lm[i][0] = 200 + (float)(finger - 2) * 20;
        lm[i][1] = 300 - (float)(joint + 1) * 25;
    }
    hand_roi up = hand_roi_from_landmarks(lm);
    assert_float_equal(up.rotation, 0, 1e-5);
    assert_true(up.cy < 300 && up.w > 100 && up.w == up.h);
    float turned[HAND_LANDMARKS][3];
    for (int i = 0; i < HAND_LANDMARKS; i++) { /* (x, y) -> centre + rotate 90 deg clockwise */
        float dx = lm[i][0] - 200, dy = lm[i][1] - 250;
        turned[i][0] = 200 - dy;
        turned[i][1] = 250 + dx;
        turned[i][2] = 0;
    }
    hand_roi right = hand_roi_from_landmarks(turned);
    assert_float_equal(right.rotation, pi / 2, 1e-4);
    assert_float_equal(right.w, up.w, 1e-2);
    /* The centre turns about (200, 250) as well. */
    assert_float_equal(right.cx, 200 - (up.cy - 250), 1e-2);
    assert_float_equal(right.cy, 250 + (up.cx - 200), 1e-2);
}

/* A frame whose colour encodes position: the crop's pixels say where they
 * were sampled, and projecting their centres must land there. */
static void test_crop_matches_projection(void **state)
{
    (void)state;
    frame f;
    assert_int_equal(frame_alloc(&f, 256, 256, NULL), SL_OK);
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++) {
            uint8_t *p = frame_pixel(&f, x, y);
            p[0] = (uint8_t)x;
            p[1] = (uint8_t)y;
            p[2] = 0;
        }
    enum { S = 32 };
    static float tensor[S * S * 3];
    hand_roi roi = {130, 120, 100, 100, 0.5f};
    hand_crop(&f, &roi, S, tensor);
    static float raw[HAND_LANDMARKS * 3];
    int cells[HAND_LANDMARKS][2];
    for (int i = 0; i < HAND_LANDMARKS; i++) {
        cells[i][0] = (i * 7) % S;
        cells[i][1] = (i * 13 + 3) % S;
        raw[3 * i] = (float)cells[i][0] + 0.5f;
        raw[3 * i + 1] = (float)cells[i][1] + 0.5f;
        raw[3 * i + 2] = (float)S; /* z: one input width */
    }
    float out[HAND_LANDMARKS][3];
    hand_project(raw, &roi, S, out);
    for (int i = 0; i < HAND_LANDMARKS; i++) {
        const float *px = tensor + (cells[i][1] * S + cells[i][0]) * 3;
        /* The sample at x is (x - 0.5) in the colour ramp (pixel centres). */
        assert_float_equal(px[0] * 255 + 0.5f, out[i][0], 0.02f);
        assert_float_equal(px[1] * 255 + 0.5f, out[i][1], 0.02f);
        assert_float_equal(out[i][2], 100 / 0.4f, 1e-3);
    }
    /* The region's centre is the crop's centre. */
    hand_roi none = {100, 80, 64, 64, 0};
    hand_crop(&f, &none, S, tensor);
    assert_float_equal(tensor[(16 * S + 16) * 3] * 255, 100 + 1 - 0.5f, 0.05f);
    frame_free(&f);
}

static void test_letterbox(void **state)
{
    (void)state;
    frame f;
    assert_int_equal(frame_alloc(&f, 400, 200, NULL), SL_OK);
    memset(f.pixels, 255, (size_t)f.stride * f.height);
    static float t[PALM_INPUT * PALM_INPUT * 3];
    letterbox lb;
    palm_input(&f, t, &lb);
    assert_float_equal(lb.scale, 192.0f / 400, 1e-6);
    assert_float_equal(lb.pad_x, 0, 1e-6);
    assert_float_equal(lb.pad_y, 48, 1e-4);
    assert_float_equal(t[(10 * PALM_INPUT + 100) * 3], 0.0f, 0); /* border: black */
    assert_float_equal(t[(96 * PALM_INPUT + 100) * 3], 1.0f, 1e-6);
    palm_detection d = box(1, 0.25f, 0.5f, 0.75f, 0.75f), px;
    palm_to_frame(&d, &lb, &px);
    assert_float_equal(px.xmin, 100, 1e-3);
    assert_float_equal(px.ymin, (96 - 48) / lb.scale, 1e-3);
    assert_float_equal(px.ymax, (144 - 48) / lb.scale, 1e-3);
    frame_free(&f);
}

static void test_draw(void **state)
{
    (void)state;
    frame f;
    assert_int_equal(frame_alloc(&f, 64, 64, NULL), SL_OK);
    hand h = {0};
    for (int i = 0; i < HAND_LANDMARKS; i++) {
        h.landmarks[i][0] = 10 + (float)i * 2;
        h.landmarks[i][1] = 30;
    }
    h.landmarks[20][0] = NAN;      /* must be skipped, not drawn */
    h.landmarks[19][1] = 1e30f;
    hands_draw(&f, &h, 1);
    const uint8_t *p = frame_pixel(&f, 10, 30);
    assert_true(p[0] > 200 && p[1] < 100);
    assert_int_equal(frame_pixel(&f, 10, 5)[0], 0);
    frame_free(&f);
}

/* --- the pipeline ----------------------------------------------------------- */

static const char *models_dir(void)
{
    static char dir[4096];
    const char *env = getenv("SIGHTLINE_HAND_MODELS");
    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else
        snprintf(dir, sizeof dir, "%s", source_path("models/mediapipe"));
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/palm_detection_lite.tflite", dir);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        fprintf(stderr, "skipped: %s not found (run scripts/fetch-hand-models.sh)\n", probe);
        return NULL;
    }
    fclose(f);
    return dir;
}

static hands_tracker *open_tracker(bool full, bool track, int max_hands)
{
    hands_options o = {.full = full, .track = track, .max_hands = max_hands};
    hands_tracker *t = NULL;
    sl_error err;
    if (hands_open(models_dir(), &o, NULL, &t, &err))
        fail_msg("%s", err.msg);
    return t;
}

/* Each drawn fingertip has a landmark within tolerance (the drawing's tips
 * are round ends; the model puts the tip a little inside them). */
static void check_tips(const hand *h, const hand_pose *p, const char *what)
{
    static const int tip[5] = {HAND_THUMB_TIP, HAND_INDEX_TIP, HAND_MIDDLE_TIP, HAND_RING_TIP,
                               HAND_PINKY_TIP};
    float tol = 30 * p->scale + 6;
    for (int i = 0; i < 5; i++) {
        float want[2];
        hand_sketch_map(p, hand_sketch_tips[i], want);
        float d = hypotf(h->landmarks[tip[i]][0] - want[0], h->landmarks[tip[i]][1] - want[1]);
        if (!(d <= tol))
            fail_msg("%s: fingertip %d at (%.0f, %.0f), drawn at (%.0f, %.0f): %.1f px > %.1f",
                     what, i, h->landmarks[tip[i]][0], h->landmarks[tip[i]][1], want[0],
                     want[1], d, tol);
    }
}

static void test_finds_drawn_hands(void **state)
{
    (void)state;
    if (!models_dir()) {
        skip();
        return;
    }
    static const hand_pose poses[] = {
        {320, 310, 1.0f, 0, false},  {220, 260, 0.6f, 30, false}, {400, 240, 0.7f, 90, true},
        {320, 200, 0.8f, 180, false}, {330, 250, 0.5f, -45, true}, {450, 300, 0.4f, 0, false},
    };
    frame f;
    assert_int_equal(frame_alloc(&f, 640, 480, NULL), SL_OK);
    for (int full = 0; full <= 1; full++) {
        hands_tracker *t = open_tracker(full, false, 2);
        for (size_t i = 0; i < sizeof poses / sizeof poses[0]; i++) {
            hand_sketch_draw(&f, &poses[i], 1);
            hand h[HANDS_MAX];
            int n;
            sl_error err;
            assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
            char what[96];
            snprintf(what, sizeof what, "%s model, pose %zu", full ? "full" : "lite", i);
            if (n != 1)
                fail_msg("%s: %d hands", what, n);
            assert_true(h[0].presence >= 0.5f && h[0].presence <= 1.0f);
            assert_true(h[0].palm_score >= 0.5f);
            assert_false(h[0].tracked);
            check_tips(&h[0], &poses[i], what);
            /* World landmarks are metres: a hand spans about 0.1-0.3 m. */
            float span = hypotf(h[0].world[HAND_MIDDLE_TIP][0] - h[0].world[HAND_WRIST][0],
                                h[0].world[HAND_MIDDLE_TIP][1] - h[0].world[HAND_WRIST][1]);
            assert_true(span > 0.05f && span < 0.4f);
            assert_int_equal(hands_last_timing(t)->detections_run, 1);
        }
        /* Nothing to find in an empty picture. */
        hand_sketch_draw(&f, NULL, 0);
        hand h[HANDS_MAX];
        int n;
        sl_error err;
        assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
        assert_int_equal(n, 0);
        hands_close(t);
    }
    frame_free(&f);
}

static void test_two_hands(void **state)
{
    (void)state;
    if (!models_dir()) {
        skip();
        return;
    }
    const hand_pose two[2] = {{170, 260, 0.55f, -15, true}, {470, 250, 0.55f, 10, false}};
    frame f;
    assert_int_equal(frame_alloc(&f, 640, 480, NULL), SL_OK);
    hand_sketch_draw(&f, two, 2);
    hands_tracker *t = open_tracker(false, false, 2);
    hand h[HANDS_MAX];
    int n;
    sl_error err;
    assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    /* One each side; match them by position. */
    int left = h[0].landmarks[HAND_WRIST][0] < h[1].landmarks[HAND_WRIST][0] ? 0 : 1;
    check_tips(&h[left], &two[0], "left picture hand");
    check_tips(&h[1 - left], &two[1], "right picture hand");
    /* Asked for one, the pipeline returns the surer. */
    hands_close(t);
    t = open_tracker(false, false, 1);
    assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    hands_close(t);
    frame_free(&f);
}

/* A hand moving and turning: detected once, then tracked from its own
 * landmarks; lost on an empty frame; found again. */
static void test_tracking(void **state)
{
    (void)state;
    if (!models_dir()) {
        skip();
        return;
    }
    frame f;
    assert_int_equal(frame_alloc(&f, 640, 480, NULL), SL_OK);
    hands_tracker *t = open_tracker(false, true, 1);
    int detections = 0;
    for (int i = 0; i < 12; i++) {
        hand_pose p = {260 + 8.0f * i, 280 - 3.0f * i, 0.6f, 3.0f * i, false};
        hand_sketch_draw(&f, &p, 1);
        hand h[HANDS_MAX];
        int n;
        sl_error err;
        assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
        char what[64];
        snprintf(what, sizeof what, "tracking frame %d", i);
        if (n != 1)
            fail_msg("%s: %d hands", what, n);
        check_tips(&h[0], &p, what);
        assert_true(h[0].tracked == (i > 0));
        detections += hands_last_timing(t)->detections_run;
        assert_int_equal(hands_last_timing(t)->landmark_runs, 1);
    }
    assert_int_equal(detections, 1);

    hand_sketch_draw(&f, NULL, 0);
    hand h[HANDS_MAX];
    int n;
    sl_error err;
    assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    hand_pose back = {300, 260, 0.7f, 0, false};
    hand_sketch_draw(&f, &back, 1);
    assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_false(h[0].tracked);
    assert_int_equal(hands_last_timing(t)->detections_run, 1);
    check_tips(&h[0], &back, "found again");
    hands_close(t);

    /* Wanting two hands with one in view, the detector looks again every
     * tenth frame only. */
    t = open_tracker(false, true, 2);
    detections = 0;
    for (int i = 0; i < 12; i++) {
        assert_int_equal(hands_process(t, &f, h, HANDS_MAX, &n, &err), SL_OK);
        assert_int_equal(n, 1);
        detections += hands_last_timing(t)->detections_run;
    }
    assert_int_equal(detections, 2);
    hands_close(t);
    frame_free(&f);
}

static void test_missing_models(void **state)
{
    (void)state;
    hands_tracker *t = NULL;
    sl_error err;
    assert_int_equal(hands_open("/nonexistent", NULL, NULL, &t, &err), SL_ERR_MODEL);
    assert_non_null(strstr(err.msg, "/nonexistent/palm_detection_lite.tflite"));
    assert_non_null(strstr(err.msg, "fetch-hand-models.sh"));
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anchors),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_weighted_nms),
        cmocka_unit_test(test_palm_region),
        cmocka_unit_test(test_region_from_landmarks),
        cmocka_unit_test(test_crop_matches_projection),
        cmocka_unit_test(test_letterbox),
        cmocka_unit_test(test_draw),
        cmocka_unit_test(test_missing_models),
        cmocka_unit_test(test_finds_drawn_hands),
        cmocka_unit_test(test_two_hands),
        cmocka_unit_test(test_tracking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
