/* The Whisper encoder and decoder against whisper.cpp's outputs for the
 * tiny random-weight model (../shared/fixtures/whisper/README.md), and
 * self-consistency on a random model generated at test time. */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speech/whisper.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder_matches_whisper_cpp),
        cmocka_unit_test(test_first_logits_match_whisper_cpp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
