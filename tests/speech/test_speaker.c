/* Speaker voices and their clustering on synthetic signals: the pitch of
 * harmonic signals (including one whose every other period is weaker, the
 * octave trap), synthetic "voices" (a glottal pulse train through formant
 * resonators, different vowels per utterance) told apart by pitch and by
 * timbre alone, the online and final clustering, and odd input. */
#include "tests/support.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speech/speaker.h"

#define RATE 16000
#define PI 3.14159265358979323846

static unsigned g_seed = 1;
static double frand(void)
{
    g_seed = g_seed * 1103515245u + 12345u;
    return ((g_seed >> 8) & 0xffff) / 65536.0;
}

/* A harmonic signal at f0 (10 harmonics, 1/k amplitudes); every other period
 * scaled by `alternate` (1: plain). */
static float *harmonic(double f0, double seconds, double alternate, size_t *n)
{
    *n = (size_t)(seconds * RATE);
    float *x = malloc(*n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / RATE, s = 0;
        for (int k = 1; k <= 10; k++)
            s += sin(2 * PI * k * f0 * t) / k;
        long period = (long)(t * f0);
        x[i] = (float)(0.2 * s * (period % 2 ? alternate : 1.0));
    }
    return x;
}

static void test_pitch_of_harmonic_signals(void **state)
{
    (void)state;
    static const double f0s[] = {85, 120, 180, 260, 350};
    for (size_t i = 0; i < sizeof f0s / sizeof f0s[0]; i++) {
        size_t n;
        float *x = harmonic(f0s[i], 1.0, 1.0, &n);
        speaker_voice v;
        assert_int_equal(speaker_voice_from_pcm(x, n, &v, NULL), SL_OK);
        assert_true(v.frames > 50);
        /* Within 2% (the lag's resolution at 8 kHz is 1-4%, interpolated). */
        if (fabs(v.pitch_hz - f0s[i]) > 0.02 * f0s[i])
            fail_msg("%.0f Hz read as %.1f Hz", f0s[i], v.pitch_hz);
        free(x);
    }
    /* Every other period at 80%: the signal repeats exactly only every two
     * periods, but the pitch heard is f0, not f0 / 2. */
    size_t n;
    float *x = harmonic(150, 1.0, 0.8, &n);
    speaker_voice v;
    assert_int_equal(speaker_voice_from_pcm(x, n, &v, NULL), SL_OK);
    if (fabs(v.pitch_hz - 150) > 3)
        fail_msg("150 Hz with alternating periods read as %.1f Hz", v.pitch_hz);
    free(x);
}

/* A synthetic utterance: glottal pulses at f0 (a slow 10% contour), through
 * three formant resonators scaled by `tract` (a shorter vocal tract raises
 * every formant), a new vowel every 150 ms, 40 ms gaps between syllables. */
static float *utterance(double f0, double tract, double seconds, size_t *n)
{
    static const double vowels[][3] = {
        {730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240},
        {530, 1840, 2480}, {570, 840, 2410}, {660, 1720, 2410},
    };
    *n = (size_t)(seconds * RATE);
    float *x = calloc(*n, sizeof *x);
    assert_non_null(x);
    double phase = 0;
    double y[3][2] = {{0}};
    int vowel = (int)(frand() * 6);
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / RATE;
        size_t syl = i / (RATE * 150 / 1000);
        bool gap = i % (RATE * 150 / 1000) < RATE * 40 / 1000;
        if (i % (RATE * 150 / 1000) == 0 && syl)
            vowel = (int)(frand() * 6);
        double f = f0 * (1 + 0.1 * sin(2 * PI * t / seconds));
        phase += f / RATE;
        double src = 0;
        if (phase >= 1) {
            phase -= 1;
            src = gap ? 0 : 1;
        }
        double s = src;
        for (int k = 0; k < 3; k++) {
            double fc = vowels[vowel][k] * tract, bw = 80 + 40 * k;
            double r = exp(-PI * bw / RATE), c = 2 * r * cos(2 * PI * fc / RATE);
            double out = s + c * y[k][0] - r * r * y[k][1];
            y[k][1] = y[k][0];
            y[k][0] = out;
            s = out * (1 - r);
        }
        x[i] = (float)s;
    }
    /* Peak at 0.5, as a recording would be levelled. */
    float peak = 0;
    for (size_t i = 0; i < *n; i++)
        peak = fabsf(x[i]) > peak ? fabsf(x[i]) : peak;
    assert_true(peak > 0);
    for (size_t i = 0; i < *n; i++)
        x[i] *= 0.5f / peak;
    return x;
}

typedef struct synth_speaker {
    double f0, tract;
} synth_speaker;

/* Interleaved utterances of the speakers; true speaker of utterance i is
 * i % n_speakers. */
static void voices_of(const synth_speaker *sp, int n_speakers, int per_speaker,
                      speaker_voice *out)
{
    for (int u = 0; u < n_speakers * per_speaker; u++) {
        size_t n;
        const synth_speaker *s = &sp[u % n_speakers];
        float *x = utterance(s->f0 * (0.97 + 0.06 * frand()), s->tract, 3 + frand(), &n);
        assert_int_equal(speaker_voice_from_pcm(x, n, &out[u], NULL), SL_OK);
        assert_true(out[u].frames > 0);
        free(x);
    }
}

static void test_voices_apart_by_pitch_and_by_timbre(void **state)
{
    (void)state;
    g_seed = 7;
    /* A and B: same tract, pitch an octave apart; A and C: same pitch
     * range, C's formants 25% higher. */
    const synth_speaker sp[] = {{110, 1.0}, {220, 1.0}, {112, 1.25}};
    speaker_voice v[12];
    voices_of(sp, 3, 4, v);
    for (int i = 0; i < 3; i++)
        if (fabs(v[i].pitch_hz - sp[i].f0) > 0.1 * sp[i].f0)
            fail_msg("speaker %d: pitch %.1f Hz, made at %.0f Hz", i, v[i].pitch_hz, sp[i].f0);
    /* Every utterance is nearer on average to the other utterances of its
     * speaker than to those of any other speaker (what average linkage
     * compares), and other speakers are farther than the default
     * threshold. */
    speaker_params p = speaker_default_params();
    for (int a = 0; a < 12; a++) {
        double mean[3] = {0};
        for (int b = 0; b < 12; b++)
            if (a != b)
                mean[b % 3] += speaker_voice_distance(&v[a], &v[b]) / (b % 3 == a % 3 ? 3 : 4);
        for (int s = 0; s < 3; s++)
            if (s != a % 3 && (mean[s] <= mean[a % 3] || mean[s] < p.final_threshold))
                fail_msg("utterance %d: own speaker at %.2f on average, speaker %d at %.2f", a,
                         mean[a % 3], s, mean[s]);
    }
    assert_float_equal(speaker_voice_distance(&v[0], &v[0]), 0, 1e-6);
    assert_float_equal(speaker_voice_distance(&v[0], &v[1]), speaker_voice_distance(&v[1], &v[0]),
                       1e-6);
}

static void test_tracker_labels_synthetic_meeting(void **state)
{
    (void)state;
    g_seed = 11;
    const synth_speaker sp[] = {{110, 1.0}, {220, 1.0}, {112, 1.25}};
    speaker_voice v[15];
    voices_of(sp, 3, 5, v);
    speaker_tracker *t = NULL;
    assert_int_equal(speaker_tracker_create(NULL, &t, NULL), SL_OK);
    int online[15], final[15], k = 0;
    for (int i = 0; i < 15; i++)
        assert_int_equal(speaker_tracker_add(t, &v[i], &online[i], NULL), SL_OK);
    assert_int_equal(speaker_tracker_count(t), 15);
    assert_int_equal(speaker_tracker_recluster(t, final, &k, NULL), SL_OK);
    assert_int_equal(k, 3);
    /* Final labels in order of first appearance: utterance i is speaker
     * i % 3 + 1. Online ones may split a speaker (the final pass mends
     * that) but never put two speakers under one label. */
    int speaker_of_online[16] = {0};
    for (int i = 0; i < 15; i++) {
        assert_int_equal(final[i], i % 3 + 1);
        assert_int_equal(speaker_tracker_online_label(t, (size_t)i), online[i]);
        assert_true(online[i] >= 1 && online[i] < 16);
        if (!speaker_of_online[online[i]])
            speaker_of_online[online[i]] = i % 3 + 1;
        assert_int_equal(speaker_of_online[online[i]], i % 3 + 1);
    }
    assert_int_equal(online[0], 1);
    assert_int_equal(online[1], 2);
    assert_int_equal(online[2], 3);
    speaker_tracker_free(t);
}

/* The final pass on hand-made voices: it merges what the online pass split,
 * keeps the online numbering, and lends labels to voiceless utterances. */
static void test_recluster_corrects_online_and_keeps_labels(void **state)
{
    (void)state;
    /* Thresholds of 2.0 scaled units (the numbers below are made for it). */
    speaker_params p = {.online_threshold = 2.0f, .final_threshold = 2.0f, .max_speakers = 16};
    speaker_tracker *t = NULL;
    assert_int_equal(speaker_tracker_create(&p, &t, NULL), SL_OK);
    /* Only the pitch differs (log2: 7.0 is 128 Hz, 7.8 is 223 Hz): speaker X
     * near 7.0, Y at 7.8. X's second utterance is 0.22 octave up, 2.2 scaled
     * units (over the 2.0 threshold: a new online speaker), but on average
     * only 1.75 from X's utterances, so the final pass puts it back. */
    static const float pitch[] = {7.0f, 7.8f, 7.22f, 7.06f, 7.8f, 0, 7.07f};
    int online[7], final[7], k = 0;
    for (int i = 0; i < 7; i++) {
        speaker_voice v;
        memset(&v, 0, sizeof v);
        v.frames = pitch[i] > 0 ? 100 : 0;
        v.v[2 * SPEAKER_MFCC] = pitch[i];
        assert_int_equal(speaker_tracker_add(t, &v, &online[i], NULL), SL_OK);
    }
    assert_int_equal(online[0], 1);
    assert_int_equal(online[1], 2);
    assert_int_equal(online[2], 3); /* split off online */
    assert_int_equal(online[4], 2);
    assert_int_equal(online[5], online[4]); /* no voice: the previous label */
    assert_int_equal(speaker_tracker_recluster(t, final, &k, NULL), SL_OK);
    assert_int_equal(k, 2);
    static const int want[] = {1, 2, 1, 1, 2, 2, 1};
    for (int i = 0; i < 7; i++)
        if (final[i] != want[i])
            fail_msg("utterance %d: final label %d, want %d", i, final[i], want[i]);
    speaker_tracker_free(t);
    /* A short utterance (under a second) far from both joins the nearer one
     * instead of founding a speaker, online and finally. */
    assert_int_equal(speaker_tracker_create(&p, &t, NULL), SL_OK);
    static const float pitch2[] = {7.0f, 7.8f, 7.35f, 7.0f};
    static const int frames2[] = {150, 150, 60, 150};
    for (int i = 0; i < 4; i++) {
        speaker_voice v;
        memset(&v, 0, sizeof v);
        v.frames = frames2[i];
        v.v[2 * SPEAKER_MFCC] = pitch2[i];
        assert_int_equal(speaker_tracker_add(t, &v, &online[i], NULL), SL_OK);
    }
    assert_int_equal(online[2], 1);
    assert_int_equal(online[3], 1);
    assert_int_equal(speaker_tracker_recluster(t, final, &k, NULL), SL_OK);
    assert_int_equal(k, 2);
    assert_int_equal(final[2], 1);
    speaker_tracker_free(t);
    /* max_speakers caps the count past the threshold. */
    p.max_speakers = 1;
    assert_int_equal(speaker_tracker_create(&p, &t, NULL), SL_OK);
    for (int i = 0; i < 7; i++) {
        speaker_voice v;
        memset(&v, 0, sizeof v);
        v.frames = 100;
        v.v[2 * SPEAKER_MFCC] = pitch[i] > 0 ? pitch[i] : 7.5f;
        assert_int_equal(speaker_tracker_add(t, &v, &online[i], NULL), SL_OK);
    }
    assert_int_equal(speaker_tracker_recluster(t, final, &k, NULL), SL_OK);
    assert_int_equal(k, 1);
    for (int i = 0; i < 7; i++)
        assert_int_equal(final[i], 1);
    speaker_tracker_free(t);
}

static void test_odd_input(void **state)
{
    (void)state;
    speaker_voice v;
    /* Nothing, too short, silence, NaNs: no voice, no failure. */
    assert_int_equal(speaker_voice_from_pcm(NULL, 0, &v, NULL), SL_OK);
    assert_int_equal(v.frames, 0);
    float *x = calloc(RATE * 2, sizeof *x);
    assert_non_null(x);
    assert_int_equal(speaker_voice_from_pcm(x, 1000, &v, NULL), SL_OK);
    assert_int_equal(v.frames, 0);
    assert_int_equal(speaker_voice_from_pcm(x, RATE * 2, &v, NULL), SL_OK);
    assert_int_equal(v.frames, 0);
    for (int i = 0; i < RATE * 2; i++)
        x[i] = (i / 50) % 2 ? NAN : 0.3f;
    assert_int_equal(speaker_voice_from_pcm(x, RATE * 2, &v, NULL), SL_OK);
    assert_int_equal(v.frames, 0);
    /* White noise: a voice (timbre) but no pitch. */
    g_seed = 3;
    for (int i = 0; i < RATE * 2; i++)
        x[i] = (float)(0.2 * (frand() - 0.5));
    assert_int_equal(speaker_voice_from_pcm(x, RATE * 2, &v, NULL), SL_OK);
    assert_true(v.frames > 0);
    assert_float_equal(v.pitch_hz, 0, 0);
    sl_error err = {0};
    assert_int_equal(speaker_voice_from_pcm(NULL, 5, &v, &err), SL_ERR_ARG);
    free(x);
    /* A tracker with only voiceless utterances labels nothing. */
    speaker_tracker *t = NULL;
    assert_int_equal(speaker_tracker_create(NULL, &t, NULL), SL_OK);
    memset(&v, 0, sizeof v);
    int label = -1, labels[2], k = -1;
    assert_int_equal(speaker_tracker_add(t, &v, &label, NULL), SL_OK);
    assert_int_equal(label, 0);
    assert_int_equal(speaker_tracker_add(t, &v, &label, NULL), SL_OK);
    assert_int_equal(speaker_tracker_recluster(t, labels, &k, NULL), SL_OK);
    assert_int_equal(k, 0);
    assert_int_equal(labels[0], 0);
    assert_int_equal(labels[1], 0);
    assert_int_equal(speaker_tracker_online_label(t, 5), 0);
    speaker_tracker_free(t);
    speaker_tracker_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pitch_of_harmonic_signals),
        cmocka_unit_test(test_voices_apart_by_pitch_and_by_timbre),
        cmocka_unit_test(test_tracker_labels_synthetic_meeting),
        cmocka_unit_test(test_recluster_corrects_online_and_keeps_labels),
        cmocka_unit_test(test_odd_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
