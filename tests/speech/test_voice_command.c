/* voice_command.c: pocketsphinx command grammar on speech made here with
 * espeak-ng (several voices and rates), with white noise mixed in at a
 * fixed SNR, plus sentences outside the grammar, silence and noise alone.
 *
 * The accuracy floors below are the levels measured on this set (README,
 * "Voice commands") less a small margin; set
 * SIGHTLINE_VOICE_COMMAND_FULL=1 to run every voice, rate and noise level
 * in the san variant too (it runs a subset by default, a third of the
 * time; the full grid gives the same figures there). */
#include "tests/speech/speech_test.h"

#include <stdint.h>

/* Measured on 2026-11-25 (README, "Voice commands") less a margin:
 * 4 voices x 3 rates x 3 noise levels x 13 commands = 468 utterances,
 * 81.2% correct (clean 89.1%, 20 dB 85.3%, 10 dB 69.2%), 2.1% wrong
 * command; out of the grammar 17/192 (8.9%) accepted; held-out voices and
 * rates 69.9%. The subset run (each voice at one rate; each sentence in
 * one voice) measured 81.4%, clean 88.5%, 10 dB 67.3%, 6/48 (12.5%) false
 * accepts. */
#define ACCURACY_FLOOR 78.0
#define CLEAN_FLOOR 86.0
#define NOISY10_FLOOR 65.0
#define SUBSET_ACCURACY_FLOOR 78.0
#define SUBSET_CLEAN_FLOOR 85.0
#define SUBSET_NOISY10_FLOOR 63.0
#define CONFUSION_CEIL_PCT 4.0
#define FALSE_ACCEPT_CEIL 12.0
#define SUBSET_FALSE_ACCEPT_CEIL 16.0
#define HELDOUT_FLOOR 65.0

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static const char *const voices[] = {"en", "en-us", "en+f3", "en+m3"};
static const int rates[] = {130, 175, 220};
/* SIGHTLINE_VOICE_COMMAND_HELDOUT=1: voices and rates the floors were not
 * tuned on, reported (README) and held to the looser HELDOUT floors. */
static const char *const heldout_voices[] = {"en-gb-scotland", "en-029", "en+f4", "en-us+m7"};
static const int heldout_rates[] = {150, 250, 150, 250};
static const double snrs[] = {INFINITY, 20.0, 10.0}; /* dB; INFINITY = clean */
#define N_VOICES 4
#define N_RATES 3
#define N_SNRS 3

/* Speech that is not a command (but shares some of its words). */
static const char *const outside[] = {
    "the weather is nice today",
    "please pass me the salt",
    "my daughter will visit on sunday",
    "turn left at the next corner",
    "i would like a cup of tea",
    "the bus leaves at half past seven",
    "where did i put my keys",
    "call my brother",
    "good morning",
    "thank you very much",
    "open the window",
    "what time is it",
    "start the car",
    "read me a story",
    "faster than light",
    "describe your day",
};
#define N_OUTSIDE (sizeof outside / sizeof outside[0])

/* Deterministic noise: xorshift and Box-Muller. */
static double gauss(uint64_t *s)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        u[i] = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* text at voice/rate, 16 kHz, 0.3 s of silence either side, white noise
 * at snr_db relative to the speech's RMS. */
static pcm_f32 render(const char *text, const char *voice, int rate, double snr_db,
                      uint64_t seed)
{
    tts_options o;
    tts_options_default(&o);
    o.voice = voice;
    o.rate_wpm = rate;
    pcm_s16 s;
    sl_error err;
    assert_int_equal(tts_synthesize(text, &o, &s, &err), SL_OK);
    pcm_f32 f, r;
    size_t pad = (size_t)s.rate * 3 / 10;
    assert_int_equal(pcm_f32_alloc(&f, s.rate, s.frames + 2 * pad, &err), SL_OK);
    memset(f.samples, 0, f.count * sizeof(float));
    double ss = 0;
    for (size_t i = 0; i < s.frames; i++) {
        f.samples[pad + i] = s.samples[i] / 32768.0f;
        ss += (double)f.samples[pad + i] * f.samples[pad + i];
    }
    size_t speech_frames = s.frames;
    pcm_s16_free(&s);
    assert_int_equal(resample_f32(&f, SPEECH_RATE, &r, &err), SL_OK);
    pcm_f32_free(&f);
    if (isfinite(snr_db)) {
        double rms = ss > 0 ? sqrt(ss / (double)speech_frames) : 0.05;
        double sd = rms * pow(10.0, -snr_db / 20.0);
        uint64_t st = seed * 0x9E3779B97F4A7C15ull + 1;
        for (size_t i = 0; i < r.count; i++)
            r.samples[i] += (float)(sd * gauss(&st));
    }
    return r;
}

static voice_command_recognizer *open_quietly(void)
{
    voice_command_recognizer *r = NULL;
    sl_error err;
    stderr_capture c;
    stderr_capture_begin(&c);
    sl_status st = voice_command_open(NULL, &r, &err);
    char *said = stderr_capture_end(&c);
    if (st != SL_OK)
        print_error("voice_command_open: %s\n", err.msg);
    assert_int_equal(st, SL_OK);
    assert_string_equal(said, "");
    free(said);
    return r;
}

static voice_command_result hear(voice_command_recognizer *r, const pcm_f32 *a)
{
    voice_command_result res;
    sl_error err;
    assert_int_equal(voice_command_recognize(r, a->samples, a->count, &res, &err), SL_OK);
    assert_true(res.confidence >= 0.0f && res.confidence <= 1.0f);
    assert_true((res.id == VOICE_CMD_NONE) == (res.phrase[0] == 0));
    return res;
}

static int full_run(void)
{
    const char *e = getenv("SIGHTLINE_VOICE_COMMAND_FULL");
    return !SANITIZED || (e && e[0] == '1');
}

/* The first phrase of each command, as a user would say it. */
static const char *first_phrase(voice_command_id id)
{
    voice_command_id pid;
    const char *p;
    for (size_t i = 0; (p = voice_command_phrase(i, &pid)) != NULL; i++)
        if (pid == id)
            return p;
    return NULL;
}

typedef struct grid_counts {
    int ok[N_SNRS], wrong[N_SNRS], rejected[N_SNRS], n[N_SNRS];
} grid_counts;

/* Every command's first phrase by voice at rate, at each noise level;
 * prints one line "voice rate: ok/n per noise level" and adds to g. */
static void run_voice(voice_command_recognizer *r, const char *voice, int rate, int seed_base,
                      grid_counts *g, double *audio_s)
{
    int ok[N_SNRS] = {0}, n[N_SNRS] = {0};
    for (int k = 0; k < N_SNRS; k++)
        for (int c = 1; c < VOICE_CMD_COUNT; c++) {
            const char *text = first_phrase((voice_command_id)c);
            pcm_f32 a = render(text, voice, rate, snrs[k], (uint64_t)(seed_base + c * 10 + k));
            *audio_s += (double)a.count / SPEECH_RATE;
            voice_command_result res = hear(r, &a);
            pcm_f32_free(&a);
            n[k]++;
            g->n[k]++;
            if (res.id == (voice_command_id)c) {
                ok[k]++;
                g->ok[k]++;
            } else if (res.id == VOICE_CMD_NONE) {
                g->rejected[k]++;
            } else {
                g->wrong[k]++;
                print_message("  '%s' (%s, %d wpm, snr %g) heard as '%s' (%.2f)\n", text, voice,
                              rate, snrs[k], res.phrase, (double)res.confidence);
            }
        }
    print_message("%-14s %d wpm: clean %2d/%2d  20 dB %2d/%2d  10 dB %2d/%2d\n", voice, rate,
                  ok[0], n[0], ok[1], n[1], ok[2], n[2]);
}

static void report_grid(const char *what, const grid_counts *g, double t, double audio_s)
{
    int ok = 0, n = 0, wrong = 0, rej = 0;
    for (int k = 0; k < N_SNRS; k++) {
        ok += g->ok[k];
        n += g->n[k];
        wrong += g->wrong[k];
        rej += g->rejected[k];
    }
    print_message("%s: %d/%d correct (%.1f%%), %d wrong, %d rejected; clean %.1f%%, 20 dB "
                  "%.1f%%, 10 dB %.1f%%; %.1f s for %.1f s of audio\n",
                  what, ok, n, 100.0 * ok / n, wrong, rej, 100.0 * g->ok[0] / g->n[0],
                  100.0 * g->ok[1] / g->n[1], 100.0 * g->ok[2] / g->n[2], t, audio_s);
}

static double pct(int a, int b)
{
    return b ? 100.0 * a / b : 0.0;
}

static void test_commands_by_voice_rate_noise(void **state)
{
    (void)state;
    voice_command_recognizer *r = open_quietly();
    int full = full_run();
    grid_counts g;
    memset(&g, 0, sizeof g);
    double t0 = seconds_now(), audio_s = 0;
    for (int v = 0; v < N_VOICES; v++)
        for (int k = 0; k < N_RATES; k++) {
            /* Subset: each voice at one rate. */
            if (!full && k != v % N_RATES)
                continue;
            run_voice(r, voices[v], rates[k], v * 1000 + k * 300, &g, &audio_s);
        }
    report_grid("commands", &g, seconds_now() - t0, audio_s);
    int ok = g.ok[0] + g.ok[1] + g.ok[2], n = g.n[0] + g.n[1] + g.n[2];
    int wrong = g.wrong[0] + g.wrong[1] + g.wrong[2];
    /* Floors: measured level less a margin (README). */
    assert_true(pct(ok, n) >= (full ? ACCURACY_FLOOR : SUBSET_ACCURACY_FLOOR));
    assert_true(pct(g.ok[0], g.n[0]) >= (full ? CLEAN_FLOOR : SUBSET_CLEAN_FLOOR));
    assert_true(pct(g.ok[2], g.n[2]) >= (full ? NOISY10_FLOOR : SUBSET_NOISY10_FLOOR));
    assert_true(pct(wrong, n) <= CONFUSION_CEIL_PCT);
    voice_command_close(r);
}

static void test_heldout_voices_and_rates(void **state)
{
    (void)state;
    const char *e = getenv("SIGHTLINE_VOICE_COMMAND_HELDOUT");
    if (!(e && e[0] == '1'))
        skip();
    voice_command_recognizer *r = open_quietly();
    grid_counts g;
    memset(&g, 0, sizeof g);
    double t0 = seconds_now(), audio_s = 0;
    for (int v = 0; v < 4; v++)
        run_voice(r, heldout_voices[v], heldout_rates[v], 7000 + v * 100, &g, &audio_s);
    report_grid("held-out commands", &g, seconds_now() - t0, audio_s);
    int ok = g.ok[0] + g.ok[1] + g.ok[2], n = g.n[0] + g.n[1] + g.n[2];
    assert_true(pct(ok, n) >= HELDOUT_FLOOR);
    voice_command_close(r);
}

static void test_rejects_other_speech_silence_and_noise(void **state)
{
    (void)state;
    voice_command_recognizer *r = open_quietly();
    int full = full_run();
    int accepted = 0, n = 0;
    for (size_t s = 0; s < N_OUTSIDE; s++)
        for (int v = 0; v < N_VOICES; v++)
            for (int k = 0; k < N_SNRS; k++) {
                if (!full && (int)s % N_VOICES != v)
                    continue;
                pcm_f32 a = render(outside[s], voices[v], 175, snrs[k], s * 7 + (size_t)v + 1);
                voice_command_result res = hear(r, &a);
                pcm_f32_free(&a);
                n++;
                if (res.id != VOICE_CMD_NONE) {
                    accepted++;
                    print_message("  false accept: '%s' (%s, snr %g) as '%s' (%.2f)\n",
                                  outside[s], voices[v], snrs[k], res.phrase,
                                  (double)res.confidence);
                }
            }
    /* Two seconds of digital silence, and of white noise at three levels. */
    int quiet_accepted = 0;
    pcm_f32 q;
    sl_error err;
    assert_int_equal(pcm_f32_alloc(&q, SPEECH_RATE, 2 * SPEECH_RATE, &err), SL_OK);
    const double levels[] = {0.0, 0.003, 0.03, 0.1};
    for (int l = 0; l < 4; l++) {
        uint64_t st = 12345 + (uint64_t)l;
        for (size_t i = 0; i < q.count; i++)
            q.samples[i] = (float)(levels[l] * gauss(&st));
        voice_command_result res = hear(r, &q);
        if (res.id != VOICE_CMD_NONE) {
            quiet_accepted++;
            print_message("  false accept: noise %.3f as '%s' (%.2f)\n", levels[l], res.phrase,
                          (double)res.confidence);
        }
    }
    pcm_f32_free(&q);
    print_message("outside the grammar: %d/%d accepted (%.1f%%); silence/noise: %d/4 accepted\n",
                  accepted, n, 100.0 * accepted / n, quiet_accepted);
    assert_true(100.0 * accepted / n <= (full ? FALSE_ACCEPT_CEIL : SUBSET_FALSE_ACCEPT_CEIL));
    assert_int_equal(quiet_accepted, 0);
    voice_command_close(r);
}

static void test_bad_input(void **state)
{
    (void)state;
    voice_command_recognizer *r = NULL;
    sl_error err;
    voice_command_options o;
    voice_command_options_default(&o);
    o.model_dir = "/nonexistent/pocketsphinx";
    assert_int_equal(voice_command_open(&o, &r, &err), SL_ERR_MODEL);
    assert_non_null(strstr(err.msg, "/nonexistent/pocketsphinx"));
    assert_null(r);
    voice_command_options_default(&o);
    o.threshold = 1.5f;
    assert_int_equal(voice_command_open(&o, &r, &err), SL_ERR_ARG);
    r = open_quietly();
    voice_command_result res;
    /* Empty and very short audio: no command, no error. */
    assert_int_equal(voice_command_recognize(r, NULL, 0, &res, &err), SL_OK);
    assert_int_equal(res.id, VOICE_CMD_NONE);
    float few[100] = {0};
    assert_int_equal(voice_command_recognize(r, few, 100, &res, &err), SL_OK);
    assert_int_equal(res.id, VOICE_CMD_NONE);
    /* Too long: a limit error naming the length. */
    size_t n = (size_t)(VOICE_COMMAND_MAX_SECONDS + 1) * SPEECH_RATE;
    float *big = calloc(n, sizeof *big);
    assert_non_null(big);
    assert_int_equal(voice_command_recognize(r, big, n, &res, &err), SL_ERR_LIMIT);
    free(big);
    /* Out-of-range and NaN samples are clipped, not undefined. */
    pcm_f32 a = render("stop", "en", 175, INFINITY, 1);
    for (size_t i = 0; i < a.count; i += 97)
        a.samples[i] = (i / 97) % 2 ? 3.0f : NAN;
    assert_int_equal(voice_command_recognize(r, a.samples, a.count, &res, &err), SL_OK);
    pcm_f32_free(&a);
    voice_command_close(r);
    voice_command_close(NULL);
}

static void test_names_and_phrases(void **state)
{
    (void)state;
    assert_string_equal(voice_command_name(VOICE_CMD_NONE), "none");
    assert_string_equal(voice_command_name(VOICE_CMD_WHAT_COLOUR), "what_colour");
    assert_null(voice_command_name(VOICE_CMD_COUNT));
    int seen[VOICE_CMD_COUNT] = {0};
    voice_command_id id;
    size_t i = 0;
    for (; voice_command_phrase(i, &id); i++) {
        assert_true(id > VOICE_CMD_NONE && id < VOICE_CMD_COUNT);
        seen[id]++;
    }
    for (int c = 1; c < VOICE_CMD_COUNT; c++)
        assert_true(seen[c] >= 2); /* each command has a variant */
    assert_string_equal(first_phrase(VOICE_CMD_READ), "read this");
    assert_string_equal(first_phrase(VOICE_CMD_WHAT_COLOUR), "what colour is it");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_phrases),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_commands_by_voice_rate_noise),
        cmocka_unit_test(test_rejects_other_speech_silence_and_noise),
        cmocka_unit_test(test_heldout_voices_and_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
