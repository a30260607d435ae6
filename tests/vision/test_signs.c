/* Sign features, matching, segmentation, and recognition accuracy measured on
 * synthesized landmark sequences (tests/vision/hand_synth.c: a kinematic
 * hand with noise, timing changes, scale and rotation; no recorded sign
 * videos exist for the project). */
#include "vision/vision.h"
#include "vision/signs_internal.h"
#include "tests/support.h"
#include "tests/vision/hand_sketch.h"
#include "tests/vision/hand_synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FRAMES = 256 };

static float feature_distance(const float *a, const float *b, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrtf(s);
}

static void test_features_are_invariant(void **state)
{
    (void)state;
    for (int l = 0; l < synth_letter_count; l++) {
        const handshape *h = &synth_letters[l].shape;
        float a[HAND_LANDMARKS][3], b[HAND_LANDMARKS][3];
        float fa[SIGN_HAND_FEATURES], fb[SIGN_HAND_FEATURES];
        synth_landmarks(h, 0, 0, 0, 0, 50, 100, 300, a);
        /* Moved, 2.4x larger, turned in the picture and in depth. */
        synth_landmarks(h, 0, 70, 25, -30, 120, 420, 150, b);
        assert_true(signs_hand_features(a, fa));
        assert_true(signs_hand_features(b, fb));
        for (int i = 0; i < SIGN_HAND_FEATURES; i++)
            assert_float_equal(fa[i], fb[i], 2e-4);
        /* A left hand is the mirror image: the same shape. */
        synth_landmarks(h, 1, -20, 0, 0, 80, 300, 200, b);
        assert_true(signs_hand_features(b, fb));
        for (int i = 0; i < SIGN_HAND_FEATURES; i++)
            assert_float_equal(fa[i], fb[i], 2e-4);
        /* ...and every other letter's shape differs. */
        for (int m = 0; m < l; m++) {
            synth_landmarks(&synth_letters[m].shape, 0, 0, 0, 0, 50, 100, 300, b);
            assert_true(signs_hand_features(b, fb));
            if (!(feature_distance(fa, fb, SIGN_HAND_FEATURES) > 0.05f))
                fail_msg("letters %s and %s look alike", synth_letters[l].name,
                         synth_letters[m].name);
        }
    }
    float flat[HAND_LANDMARKS][3] = {{0}};
    float f[SIGN_HAND_FEATURES];
    assert_false(signs_hand_features(flat, f));
}

/* Moving along its own fingers reads the same however the hand is turned. */
static void test_motion_features(void **state)
{
    (void)state;
    const handshape *h = &synth_letters[0].shape;
    float out[2][SIGN_FEATURES];
    for (int k = 0; k < 2; k++) {
        float roll = k ? 90 : 0, r = roll * 3.14159265f / 180;
        sign_frame a = {.n_hands = 1}, b = {.n_hands = 1};
        synth_landmarks(h, 0, roll, 0, 0, 60, 300, 300, a.lm[0]);
        /* 0.1 palm lengths towards the fingers: "up" turned by roll. */
        synth_landmarks(h, 0, roll, 0, 0, 60, 300 - 6 * sinf(r), 300 - 6 * cosf(r), b.lm[0]);
        signs_frame_features(&a, &b, out[k]);
        assert_float_equal(out[k][0], 1, 0);
    }
    int along = 1 + SIGN_HAND_FEATURES;
    assert_float_equal(out[0][along], out[1][along], 1e-4);
    assert_true(out[0][along] > 0.05f * SIGN_MOTION_WEIGHT);
    assert_float_equal(out[0][along + 1], 0, 1e-4);
    assert_float_equal(out[1][along + 1], 0, 1e-4);
    assert_float_equal(out[0][SIGN_SLOT], 0, 0); /* no second hand */
}

static void test_dtw(void **state)
{
    (void)state;
    static sign_frame frames[MAX_FRAMES];
    synth_rng r = {99};
    synth_variation quiet = synth_default_variation;
    quiet.noise = 0.005f;
    sign_sequence a, b, c;
    sl_error err;
    int n = synth_sign_frames(0, &quiet, &r, frames, MAX_FRAMES);
    assert_int_equal(signs_sequence(frames, n, &a, &err), SL_OK);
    n = synth_sign_frames(0, &quiet, &r, frames, MAX_FRAMES);
    assert_int_equal(signs_sequence(frames, n, &b, &err), SL_OK);
    n = synth_sign_frames(5, &quiet, &r, frames, MAX_FRAMES);
    assert_int_equal(signs_sequence(frames, n, &c, &err), SL_OK);
    assert_float_equal(signs_dtw(&a, &a), 0, 0);
    assert_float_equal(signs_dtw(&a, &b), signs_dtw(&b, &a), 1e-5);
    assert_true(signs_dtw(&a, &b) < signs_dtw(&a, &c));
    signs_sequence_free(&a);
    signs_sequence_free(&b);
    signs_sequence_free(&c);
    assert_int_equal(signs_sequence(frames, 0, &a, &err), SL_ERR_ARG);
}

static int append_empty(sign_frame *s, int at, int n)
{
    for (int i = 0; i < n; i++)
        memset(&s[at + i], 0, sizeof s[0]);
    return at + n;
}

static void test_segmentation(void **state)
{
    (void)state;
    static sign_frame s[1024];
    synth_rng r = {7};
    const synth_variation *v = &synth_default_variation;
    /* Two signs separated by a pause, the first with a 2-frame dropout. */
    int n = append_empty(s, 0, 10);
    int a0 = n;
    n += synth_sign_frames(0, v, &r, s + n, 200);
    memset(&s[a0 + 12], 0, 2 * sizeof s[0]);
    int a1 = n;
    n = append_empty(s, n, 8);
    int b0 = n;
    n += synth_sign_frames(4, v, &r, s + n, 200);
    int b1 = n;
    n = append_empty(s, n, 10);
    sign_segment seg[16];
    int k = signs_segment(s, n, NULL, seg, 16);
    int motions = 0;
    for (int i = 0; i < k; i++) {
        if (seg[i].kind != SIGN_SEGMENT_MOTION)
            continue;
        int want0 = motions ? b0 : a0, want1 = motions ? b1 : a1;
        assert_int_equal(seg[i].start, want0);
        assert_int_equal(seg[i].end, want1);
        assert_true(seg[i].word_end);
        motions++;
    }
    assert_int_equal(motions, 2);

    /* Fingerspelling: three letters held 14 frames with moves between them. */
    n = append_empty(s, 0, 5);
    int holds[3][2];
    static const int letters[3] = {2, 7, 14};
    for (int l = 0; l < 3; l++) {
        holds[l][0] = n;
        n += synth_letter_frames(letters[l], v, &r, 14, s + n);
        holds[l][1] = n;
        if (l < 2) /* the hand moves on: a quick sweep */
            for (int t = 0; t < 8; t++, n++) {
                s[n] = s[n - 1];
                for (int i = 0; i < HAND_LANDMARKS; i++)
                    s[n].lm[0][i][0] += 12.0f * (float)(t + 1);
            }
    }
    n = append_empty(s, n, 10);
    k = signs_segment(s, n, NULL, seg, 16);
    int found = 0;
    for (int i = 0; i < k; i++) {
        if (seg[i].kind != SIGN_SEGMENT_HOLD)
            continue;
        assert_true(found < 3);
        /* The smoothing window may trim a frame or two at either end. */
        assert_true(abs(seg[i].start - holds[found][0]) <= 2);
        assert_true(abs(seg[i].end - holds[found][1]) <= 2);
        assert_true(seg[i].word_end == (found == 2));
        found++;
    }
    assert_int_equal(found, 3);
    assert_int_equal(signs_segment(s, 0, NULL, seg, 16), 0);
}

static sl_status sequence_of(int n, const sign_frame *frames, sign_sequence *out)
{
    sl_error err;
    sl_status st = signs_sequence(frames, n, out, &err);
    if (st)
        fail_msg("%s", err.msg);
    return st;
}

/* 3 taught examples per sign, 10 new ones to recognise; untaught motion
 * must come out "unknown". Measured at two levels of variation; the
 * thresholds hold for the default one. */
static void sign_recognition(const synth_variation *v, const char *level, uint64_t seed,
                             double *accuracy, double *false_accept)
{
    enum { TAUGHT = 3, TRIALS = 10, UNTAUGHT = 30 };
    static sign_frame frames[MAX_FRAMES];
    synth_rng r = {seed};
    sign_classifier *c;
    sl_error err;
    assert_int_equal(sign_classifier_create(NULL, &c, &err), SL_OK);
    for (int s = 0; s < synth_sign_count; s++)
        for (int e = 0; e < TAUGHT; e++) {
            sign_sequence q;
            sequence_of(synth_sign_frames(s, v, &r, frames, MAX_FRAMES), frames, &q);
            assert_int_equal(sign_classifier_add(c, synth_signs[s].name, SIGN_KIND_SIGN, &q, &err),
                             SL_OK);
            signs_sequence_free(&q);
        }
    int correct = 0, nearest_right = 0, rejected = 0, total = 0;
    for (int s = 0; s < synth_sign_count; s++)
        for (int e = 0; e < TRIALS; e++) {
            sign_sequence q;
            sequence_of(synth_sign_frames(s, v, &r, frames, MAX_FRAMES), frames, &q);
            sign_result res;
            assert_int_equal(sign_classify(c, SIGN_KIND_SIGN, &q, &res, &err), SL_OK);
            correct += !res.unknown && strcmp(res.name, synth_signs[s].name) == 0;
            nearest_right += strcmp(res.nearest, synth_signs[s].name) == 0;
            rejected += res.unknown;
            total++;
            signs_sequence_free(&q);
        }
    int accepted[3] = {0};
    for (int kind = 0; kind < 3; kind++)
        for (int u = 0; u < UNTAUGHT; u++) {
            sign_sequence q;
            sequence_of(synth_untaught_frames(kind, v, &r, frames, MAX_FRAMES), frames, &q);
            sign_result res;
            assert_int_equal(sign_classify(c, SIGN_KIND_SIGN, &q, &res, &err), SL_OK);
            accepted[kind] += !res.unknown;
            signs_sequence_free(&q);
        }
    *accuracy = (double)correct / total;
    *false_accept = (double)(accepted[0] + accepted[1] + accepted[2]) / (3 * UNTAUGHT);
    print_message("signs (%s variation): %d signs, %d taught each, %d trials: top-1 %.1f%%"
                  " (nearest %.1f%%, %.1f%% rejected as unknown); untaught accepted %.1f%%"
                  " (random shapes %d/%d, untaught paths %d/%d, taught shapes on untaught"
                  " paths %d/%d)\n", level, synth_sign_count, TAUGHT, total, 100 * *accuracy,
                  100.0 * nearest_right / total, 100.0 * rejected / total, 100 * *false_accept,
                  accepted[0], UNTAUGHT, accepted[1], UNTAUGHT, accepted[2], UNTAUGHT);
    sign_classifier_free(c);
}

static void test_sign_recognition(void **state)
{
    (void)state;
    assert_true(synth_sign_count >= 20);
    double acc, far;
    sign_recognition(&synth_default_variation, "default", 2024, &acc, &far);
    assert_true(acc >= 0.95);
    assert_true(far <= 0.10);
    sign_recognition(&synth_hard_variation, "hard", 4048, &acc, &far);
    assert_true(acc >= 0.70); /* reported; a floor against regressions */
}

static void test_letter_recognition(void **state)
{
    (void)state;
    enum { TAUGHT = 3, TRIALS = 10, UNTAUGHT = 60, HOLD = 12 };
    static sign_frame frames[MAX_FRAMES];
    synth_rng r = {77};
    const synth_variation *v = &synth_default_variation;
    sign_classifier *c;
    sl_error err;
    assert_int_equal(sign_classifier_create(NULL, &c, &err), SL_OK);
    for (int l = 0; l < synth_letter_count; l++)
        for (int e = 0; e < TAUGHT; e++) {
            sign_sequence q;
            sequence_of(synth_letter_frames(l, v, &r, HOLD, frames), frames, &q);
            assert_int_equal(sign_classifier_add(c, synth_letters[l].name, SIGN_KIND_LETTER, &q,
                                                 &err), SL_OK);
            signs_sequence_free(&q);
        }
    int correct = 0, rejected = 0, total = 0;
    for (int l = 0; l < synth_letter_count; l++)
        for (int e = 0; e < TRIALS; e++) {
            sign_sequence q;
            sequence_of(synth_letter_frames(l, v, &r, HOLD, frames), frames, &q);
            sign_result res;
            assert_int_equal(sign_classify(c, SIGN_KIND_LETTER, &q, &res, &err), SL_OK);
            correct += !res.unknown && strcmp(res.name, synth_letters[l].name) == 0;
            rejected += res.unknown;
            total++;
            signs_sequence_free(&q);
        }
    /* Random handshapes held still. */
    int accepted = 0;
    for (int u = 0; u < UNTAUGHT; u++) {
        int n = synth_untaught_frames(0, v, &r, frames, HOLD);
        sign_sequence q;
        sequence_of(n, frames, &q);
        sign_result res;
        assert_int_equal(sign_classify(c, SIGN_KIND_LETTER, &q, &res, &err), SL_OK);
        accepted += !res.unknown;
        signs_sequence_free(&q);
    }
    print_message("letters: %d letters, %d taught each: top-1 %.1f%% (%.1f%% rejected as"
                  " unknown); random handshapes accepted %.1f%% of %d\n",
                  synth_letter_count, TAUGHT, 100.0 * correct / total, 100.0 * rejected / total,
                  100.0 * accepted / UNTAUGHT, UNTAUGHT);
    assert_true(correct >= 0.85 * total);
    assert_true(accepted <= 0.15 * UNTAUGHT);
    sign_classifier_free(c);
}

static void test_classifier_edges(void **state)
{
    (void)state;
    sign_classifier *c;
    sl_error err;
    assert_int_equal(sign_classifier_create(NULL, &c, &err), SL_OK);
    static sign_frame frames[MAX_FRAMES];
    synth_rng r = {5};
    sign_sequence q;
    sequence_of(synth_sign_frames(0, &synth_default_variation, &r, frames, MAX_FRAMES), frames, &q);
    sign_result res;
    /* Nothing taught: unknown. */
    assert_int_equal(sign_classify(c, SIGN_KIND_SIGN, &q, &res, &err), SL_OK);
    assert_true(res.unknown);
    assert_string_equal(res.name, "");
    assert_int_equal(sign_classifier_add(c, "", SIGN_KIND_SIGN, &q, &err), SL_ERR_ARG);
    char long_name[SIGN_NAME_MAX + 4];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    assert_int_equal(sign_classifier_add(c, long_name, SIGN_KIND_SIGN, &q, &err), SL_ERR_ARG);
    /* One example of one sign: the same sequence is recognised. */
    assert_int_equal(sign_classifier_add(c, "hello", SIGN_KIND_SIGN, &q, &err), SL_OK);
    assert_int_equal(sign_classifier_count(c), 1);
    assert_int_equal(sign_classify(c, SIGN_KIND_SIGN, &q, &res, &err), SL_OK);
    assert_false(res.unknown);
    assert_string_equal(res.name, "hello");
    assert_float_equal(res.distance, 0, 0);
    /* Letters are a separate kind. */
    assert_int_equal(sign_classify(c, SIGN_KIND_LETTER, &q, &res, &err), SL_OK);
    assert_true(res.unknown);
    signs_sequence_free(&q);
    sign_classifier_free(c);
}

static void test_blob_round_trip(void **state)
{
    (void)state;
    static sign_frame frames[MAX_FRAMES];
    synth_rng r = {31};
    int n = synth_sign_frames(7, &synth_default_variation, &r, frames, MAX_FRAMES); /* two hands */
    frames[3].n_hands = 0;
    memset(frames[3].lm, 0, sizeof frames[3].lm);
    unsigned char *blob;
    size_t size;
    sl_error err;
    assert_int_equal(signs_frames_to_blob(frames, n, &blob, &size, &err), SL_OK);
    sign_frame *back;
    int m;
    assert_int_equal(signs_frames_from_blob(blob, size, &back, &m, &err), SL_OK);
    assert_int_equal(m, n);
    assert_memory_equal(back, frames, sizeof(sign_frame) * (size_t)n);
    free(back);
    /* Every cut and a wrong count or hand count are refused. */
    for (size_t cut = 0; cut < size; cut += 97) {
        assert_int_equal(signs_frames_from_blob(blob, cut, &back, &m, &err), SL_ERR_FORMAT);
        assert_null(back);
    }
    blob[8] ^= 1;
    assert_int_equal(signs_frames_from_blob(blob, size, &back, &m, &err), SL_ERR_FORMAT);
    blob[8] ^= 1;
    blob[12] = 3;
    assert_int_equal(signs_frames_from_blob(blob, size, &back, &m, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "3 hands"));
    blob[12] = 1;
    memset(blob + 16, 0xff, 4); /* a NaN landmark */
    assert_int_equal(signs_frames_from_blob(blob, size, &back, &m, &err), SL_ERR_FORMAT);
    free(blob);
    assert_int_equal(signs_frames_to_blob(frames, 0, &blob, &size, &err), SL_ERR_ARG);
}

/* --- recorded through the real models ------------------------------------- */

static const char *models_dir(void)
{
    static char dir[4096];
    const char *env = getenv("SIGHTLINE_HAND_MODELS");
    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else
        snprintf(dir, sizeof dir, "%s", source_path("models/mediapipe"));
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/hand_landmark_lite.tflite", dir);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        fprintf(stderr, "skipped: %s not found (run scripts/fetch-hand-models.sh)\n", probe);
        return NULL;
    }
    fclose(f);
    return dir;
}

/* The drawn open hand moving along one of four paths, seen by the hand
 * pipeline (tracking on): the landmarks are the models' own readings. */
static int record(hands_tracker *t, frame *f, int path, synth_rng *r, sign_frame *out, int max)
{
    int n = (int)lrintf(20 * synth_uniform(r, 0.8f, 1.25f));
    if (n > max)
        n = max;
    float scale = synth_uniform(r, 0.22f, 0.32f), roll = synth_uniform(r, -20, 20);
    float cx = synth_uniform(r, 120, 200), cy = synth_uniform(r, 110, 140);
    float ra = roll * 3.14159265f / 180;
    /* Palm lengths in the drawing: about 130 design pixels. */
    float palm = 130 * scale;
    hands_reset(t);
    for (int i = 0; i < n; i++) {
        float u = (float)i / (float)(n - 1), dx = 0, dy = 0, turn = 0;
        switch (path) {
        case 0: dx = 1.2f * u; break;                                     /* sweep across */
        case 1: dy = 1.0f * u; break;                                     /* rise */
        case 2: dx = 0.5f * cosf(6.2832f * u) - 0.5f; dy = 0.5f * sinf(6.2832f * u); break;
        default: turn = 25 * sinf(2 * 6.2832f * u); break;                /* wave */
        }
        hand_pose p = {cx + palm * (dx * cosf(ra) + dy * sinf(ra)),
                       cy + palm * (dx * sinf(ra) - dy * cosf(ra)), scale, roll + turn, false};
        hand_sketch_draw(f, &p, 1);
        hand h[HANDS_MAX];
        int k;
        sl_error err;
        if (hands_process(t, f, h, HANDS_MAX, &k, &err))
            fail_msg("%s", err.msg);
        sign_frame_from_hands(h, k, &out[i]);
    }
    return n;
}

static void test_recorded_signs(void **state)
{
    (void)state;
    if (!models_dir()) {
        skip();
        return;
    }
    enum { PATHS = 4, TAUGHT = 3, TRIALS = 2 };
    static const char *const names[PATHS] = {"across", "rise", "circle", "wave"};
    hands_options o = {.track = true, .max_hands = 1};
    hands_tracker *t;
    sl_error err;
    if (hands_open(models_dir(), &o, NULL, &t, &err))
        fail_msg("%s", err.msg);
    frame f;
    assert_int_equal(frame_alloc(&f, 320, 240, NULL), SL_OK);
    static sign_frame frames[MAX_FRAMES];
    synth_rng r = {11};
    sign_classifier *c;
    assert_int_equal(sign_classifier_create(NULL, &c, &err), SL_OK);
    int seen = 0, total_frames = 0;
    for (int p = 0; p < PATHS; p++)
        for (int e = 0; e < TAUGHT; e++) {
            int n = record(t, &f, p, &r, frames, MAX_FRAMES);
            for (int i = 0; i < n; i++)
                seen += frames[i].n_hands == 1;
            total_frames += n;
            sign_sequence q;
            sequence_of(n, frames, &q);
            assert_int_equal(sign_classifier_add(c, names[p], SIGN_KIND_SIGN, &q, &err), SL_OK);
            signs_sequence_free(&q);
        }
    int correct = 0;
    for (int p = 0; p < PATHS; p++)
        for (int e = 0; e < TRIALS; e++) {
            int n = record(t, &f, p, &r, frames, MAX_FRAMES);
            sign_sequence q;
            sequence_of(n, frames, &q);
            sign_result res;
            assert_int_equal(sign_classify(c, SIGN_KIND_SIGN, &q, &res, &err), SL_OK);
            correct += !res.unknown && strcmp(res.name, names[p]) == 0;
            if (getenv("SIGNS_DEBUG"))
                print_message("  %s -> %s (nearest %s, %.3f, confidence %.2f)\n", names[p],
                              res.unknown ? "unknown" : res.name, res.nearest, res.distance,
                              res.confidence);
            signs_sequence_free(&q);
        }
    print_message("recorded (drawn hand through the hand models): %d motions, %d taught each:"
                  " %d of %d recognised; a hand was found in %d of %d frames\n", PATHS, TAUGHT,
                  correct, PATHS * TRIALS, seen, total_frames);
    assert_true(seen >= total_frames * 95 / 100);
    assert_true(correct >= PATHS * TRIALS - 1);
    sign_classifier_free(c);
    frame_free(&f);
    hands_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_are_invariant),
        cmocka_unit_test(test_motion_features),
        cmocka_unit_test(test_dtw),
        cmocka_unit_test(test_segmentation),
        cmocka_unit_test(test_classifier_edges),
        cmocka_unit_test(test_blob_round_trip),
        cmocka_unit_test(test_sign_recognition),
        cmocka_unit_test(test_letter_recognition),
        cmocka_unit_test(test_recorded_signs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
