/* The Whisper encoder and decoder against whisper.cpp's outputs for the
 * tiny random-weight model (../shared/fixtures/whisper/README.md), and
 * self-consistency on a random model generated at test time. */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speech/whisper.h"
#include "speech/whisper_transcribe.h"
#include "tests/speech/whisper_test_util.h"

typedef struct fixture {
    whisper_model *m;
    float *pcm;
    size_t n;
    mel_spectrogram mel;
    thread_pool *pool;
} fixture;

static int fixture_open(fixture *fx, int threads)
{
    memset(fx, 0, sizeof *fx);
    const char *p = shared_path("fixtures/whisper/speech_meeting.wav");
    if (!p)
        return -1;
    int rate = 0;
    fx->pcm = wav_read_s16_mono(p, &fx->n, &rate);
    assert_non_null(fx->pcm);
    p = shared_path("fixtures/whisper/tiny_whisper_test_f16.bin");
    if (!p)
        return -1;
    sl_error err = {0};
    assert_int_equal(whisper_model_load(p, &fx->m, &err), SL_OK);
    assert_int_equal(thread_pool_create(threads, &fx->pool, &err), SL_OK);
    assert_int_equal(
        mel_from_pcm(fx->pcm, fx->n, 80, fx->m->filters, &fx->mel, fx->pool, &err), SL_OK);
    return 0;
}

static void fixture_close(fixture *fx)
{
    mel_free(&fx->mel);
    whisper_model_free(fx->m);
    thread_pool_destroy(fx->pool);
    free(fx->pcm);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= d))
            d = e;
    }
    return d;
}

static int argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

static void test_encoder_matches_whisper_cpp(void **state)
{
    (void)state;
    fixture fx;
    if (fixture_open(&fx, 2) != 0) {
        skip();
        return;
    }
    const char *g = shared_path("fixtures/whisper/golden_tiny_whisper_encoder_out.npy");
    assert_non_null(g);
    int64_t dims[4];
    int nd = 0;
    size_t count = 0;
    float *gold = npy_read_f32(g, dims, &nd, &count);
    assert_non_null(gold);
    assert_int_equal(count, 1500 * 64);
    whisper_state *st = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_state_create(fx.m, fx.pool, 1, &st, &err), SL_OK);
    assert_int_equal(whisper_encode(st, &fx.mel, 0, &err), SL_OK);
    double d = max_abs_diff(whisper_encoder_output(st), gold, count);
    printf("encoder: max |diff| vs whisper.cpp = %.3g (tolerance 2e-2)\n", d);
    assert_true(d <= 2e-2);
    /* without whisper.cpp's zero key padding the output moves */
    whisper_state_set_key_padding(st, false);
    assert_int_equal(whisper_encode(st, &fx.mel, 0, &err), SL_OK);
    printf("encoder without key padding: max |diff| = %.3g\n",
           max_abs_diff(whisper_encoder_output(st), gold, count));
    whisper_state_free(st);
    free(gold);
    fixture_close(&fx);
}

static void test_first_logits_match_whisper_cpp(void **state)
{
    (void)state;
    fixture fx;
    if (fixture_open(&fx, 2) != 0) {
        skip();
        return;
    }
    const char *g = shared_path("fixtures/whisper/golden_tiny_whisper_logits0.npy");
    assert_non_null(g);
    int64_t dims[4];
    int nd = 0;
    size_t count = 0;
    float *gold = npy_read_f32(g, dims, &nd, &count);
    assert_non_null(gold);
    assert_int_equal(count, 51864);
    whisper_state *st = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_state_create(fx.m, fx.pool, 1, &st, &err), SL_OK);
    assert_int_equal(whisper_encode(st, &fx.mel, 0, &err), SL_OK);
    float *logits = malloc(51864 * sizeof(float));
    assert_non_null(logits);
    int32_t prompt[2] = {50257, 50362};
    assert_int_equal(whisper_decode(st, 0, prompt, 2, 0, logits, &err), SL_OK);
    double d = max_abs_diff(logits, gold, count);
    printf("logits0: max |diff| vs whisper.cpp = %.3g (tolerance 5e-2), argmax %d vs %d\n", d,
           argmax(logits, 51864), argmax(gold, 51864));
    assert_true(d <= 5e-2);
    assert_int_equal(argmax(logits, 51864), argmax(gold, 51864));
    free(logits);
    whisper_state_free(st);
    free(gold);
    fixture_close(&fx);
}


/* ---------------------------------------------------------------- golden JSON */

static char *golden_json(void)
{
    const char *p = shared_path("fixtures/whisper/golden_tiny_whisper.json");
    if (!p)
        return NULL;
    size_t n;
    unsigned char *b = read_file_bytes(p, &n);
    assert_non_null(b);
    char *s = realloc(b, n + 1);
    assert_non_null(s);
    s[n] = 0;
    return s;
}

/* Parses up to max numbers of the JSON array that follows `key` after
 * position `from`. */
static int json_array(const char *from, const char *key, double *out, int max)
{
    const char *k = strstr(from, key);
    if (!k)
        return -1;
    const char *p = strchr(k, '[');
    if (!p)
        return -1;
    p++;
    int n = 0;
    while (*p && *p != ']' && n < max) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            break;
        out[n++] = v;
        p = end;
        while (*p == ',' || *p == ' ' || *p == '\n')
            p++;
    }
    return n;
}

/* Greedy, no timestamps, no fallback, 2 threads: whisper-cli's settings
 * for the golden tokens. */
static void test_greedy_tokens_match_whisper_cpp(void **state)
{
    (void)state;
    fixture fx;
    if (fixture_open(&fx, 2) != 0) {
        skip();
        return;
    }
    char *js = golden_json();
    assert_non_null(js);
    double gold[256];
    int ng = json_array(strstr(js, "\"tokens\""), "\"ids\"", gold, 256);
    assert_int_equal(ng, 220);
    whisper_params p = whisper_default_params(WHISPER_STRATEGY_GREEDY);
    p.no_timestamps = true;
    p.temperature_inc = 0;
    p.best_of = 1;
    p.beam_size = 1;
    whisper_result r;
    sl_error err = {0};
    assert_int_equal(whisper_transcribe(fx.m, fx.pool, fx.pcm, fx.n, &p, NULL, NULL, &r, &err),
                     SL_OK);
    assert_int_equal(r.n_windows, 1);
    assert_int_equal(r.n_segments, 1);
    const whisper_segment *g = &r.segments[0];
    /* no EOT: 220 tokens from the failed decoder, as whisper.cpp emits them */
    assert_int_equal(g->n_tokens, 220);
    int same = 0;
    while (same < g->n_tokens && g->tokens[same] == (int32_t)gold[same])
        same++;
    printf("greedy: first %d of 220 tokens equal whisper.cpp's (required: 10)\n", same);
    double gold1[256];
    assert_int_equal(json_array(strstr(js, "\"ids_t1\""), "\"ids_t1\"", gold1, 256), 220);
    int same1 = 0;
    while (same1 < g->n_tokens && g->tokens[same1] == (int32_t)gold1[same1])
        same1++;
    printf("greedy: first %d of 220 tokens equal whisper.cpp -t 1's\n", same1);
    assert_true(same1 >= 10);
    whisper_result_free(&r);
    /* reproducing whisper.cpp's 2-thread attention split gives its -t 2 path */
    p.reference_threads = 2;
    assert_int_equal(whisper_transcribe(fx.m, fx.pool, fx.pcm, fx.n, &p, NULL, NULL, &r, &err),
                     SL_OK);
    assert_int_equal(r.n_segments, 1);
    g = &r.segments[0];
    same = 0;
    while (same < g->n_tokens && g->tokens[same] == (int32_t)gold[same])
        same++;
    printf("greedy (reference_threads 2): first %d of 220 tokens equal whisper.cpp -t 2's\n",
           same);
    assert_true(same >= 10);
    assert_true(same >= 10);
    assert_int_equal(g->t1_ms, 30000);
    /* the text is the tokens' bytes */
    assert_true(strncmp(g->text, " w14086 w42425 w2053", 20) == 0);
    whisper_result_free(&r);
    free(js);
    fixture_close(&fx);
}

/* Teacher forcing: the golden tokens as prefix, our logits after
 * whisper.cpp's suppression rules against its top-5 at every step. */
static void test_teacher_forcing_logits(void **state)
{
    (void)state;
    fixture fx;
    if (fixture_open(&fx, 2) != 0) {
        skip();
        return;
    }
    char *js = golden_json();
    assert_non_null(js);
    double gold[256];
    assert_int_equal(json_array(strstr(js, "\"tokens\""), "\"ids\"", gold, 256), 220);
    const char *tf = strstr(js, "\"teacher_forcing\"");
    assert_non_null(tf);
    whisper_state *st = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_state_create(fx.m, fx.pool, 1, &st, &err), SL_OK);
    whisper_state_set_kv_chunks(st, 2); /* the golden run used -t 2 */
    assert_int_equal(whisper_encode(st, &fx.mel, 0, &err), SL_OK);
    whisper_params p = whisper_default_params(WHISPER_STRATEGY_GREEDY);
    p.no_timestamps = true;
    float *logits = malloc(51864 * sizeof(float)), *lp = malloc(51864 * sizeof(float));
    assert_non_null(logits);
    assert_non_null(lp);
    int32_t prompt[2] = {50257, 50362}, prev[256];
    assert_int_equal(whisper_decode(st, 0, prompt, 2, 0, logits, &err), SL_OK);
    double maxd = 0, maxd10 = 0;
    int top1_same = 0, steps = 0;
    for (int step = 0; step < 220; step++) {
        char key[64];
        snprintf(key, sizeof key, "\"step\": %d,", step);
        const char *at = strstr(tf, key);
        assert_non_null(at);
        double ids[5], lg[5];
        assert_int_equal(json_array(at, "\"ids\"", ids, 5), 5);
        assert_int_equal(json_array(at, "\"logits\"", lg, 5), 5);
        whisper_apply_logit_rules(fx.m, &p, prev, step, 0, 0.0f, logits, lp);
        for (int k = 0; k < 5; k++) {
            double d = fabs(logits[(int)ids[k]] - lg[k]);
            maxd = d > maxd ? d : maxd;
            if (step < 10)
                maxd10 = d > maxd10 ? d : maxd10;
        }
        top1_same += argmax(logits, 51864) == (int)ids[0];
        steps++;
        if (step < 10)
            assert_int_equal(argmax(logits, 51864), (int)ids[0]);
        prev[step] = (int32_t)gold[step];
        assert_int_equal(whisper_decode(st, 0, &prev[step], 1, 2 + step, logits, &err), SL_OK);
    }
    printf("teacher forcing: top-5 logits max |diff| %.3g over the first 10 steps, %.3g over "
           "all %d; argmax equal at %d of %d steps\n",
           maxd10, maxd, steps, top1_same, steps);
    assert_true(maxd10 <= 5e-2);
    assert_true(maxd <= 1e-1);
    free(logits);
    free(lp);
    whisper_state_free(st);
    free(js);
    fixture_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder_matches_whisper_cpp),
        cmocka_unit_test(test_first_logits_match_whisper_cpp),
        cmocka_unit_test(test_greedy_tokens_match_whisper_cpp),
        cmocka_unit_test(test_teacher_forcing_logits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
