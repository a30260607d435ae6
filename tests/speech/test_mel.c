/* mel_from_pcm against whisper.cpp's spectrogram of the meeting sentence,
 * and its padding/length rules on short and empty input. */
#include "tests/support.h"

#include <math.h>
#include <stdlib.h>

#include "speech/mel.h"
#include "speech/whisper_model.h"
#include "tests/speech/whisper_test_util.h"

static void test_mel_matches_whisper_cpp(void **state)
{
    (void)state;
    REQUIRE_SHARED(wav_shared, "fixtures/whisper/speech_meeting.wav");
    char wav_path[4096], npy[4096], model_path[4096];
    snprintf(wav_path, sizeof wav_path, "%s", wav_shared);
    snprintf(npy, sizeof npy, "%s", shared_path("fixtures/whisper/golden_tiny_whisper_mel.npy"));
    snprintf(model_path, sizeof model_path, "%s",
             shared_path("fixtures/whisper/tiny_whisper_test_f16.bin"));
    size_t n = 0;
    int rate = 0;
    float *pcm = wav_read_s16_mono(wav_path, &n, &rate);
    assert_non_null(pcm);
    assert_int_equal(rate, 16000);
    assert_int_equal(n, 51614);
    int64_t dims[4];
    int nd = 0;
    size_t count = 0;
    float *gold = npy_read_f32(npy, dims, &nd, &count);
    assert_non_null(gold);
    assert_int_equal(nd, 2);
    whisper_model *m = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_model_load(model_path, &m, &err), SL_OK);

    for (int threads = 1; threads <= 2; threads++) {
        thread_pool *pool = NULL;
        assert_int_equal(thread_pool_create(threads, &pool, &err), SL_OK);
        mel_spectrogram mel;
        assert_int_equal(mel_from_pcm(pcm, n, 80, m->filters, &mel, pool, &err), SL_OK);
        assert_int_equal(mel.n_mel, dims[0]);
        assert_int_equal(mel.n_len, dims[1]);
        assert_int_equal(mel.n_len_org, 322);
        double maxd = 0;
        for (size_t i = 0; i < count; i++) {
            double d = fabs((double)mel.data[i] - gold[i]);
            if (d > maxd)
                maxd = d;
        }
        printf("mel (%d threads): max |diff| vs whisper.cpp = %.3g\n", threads, maxd);
        assert_true(maxd <= 1e-4);
        mel_free(&mel);
        thread_pool_destroy(pool);
    }
    whisper_model_free(m);
    free(gold);
    free(pcm);
}

static void test_mel_short_and_empty(void **state)
{
    (void)state;
    float filters[80 * WHISPER_N_FREQ];
    for (int i = 0; i < 80 * WHISPER_N_FREQ; i++)
        filters[i] = (i % WHISPER_N_FREQ) == (i / WHISPER_N_FREQ) ? 1.0f : 0.0f;
    sl_error err = {0};
    mel_spectrogram mel;
    /* empty input: 30 s of silence, every value the clamp floor */
    assert_int_equal(mel_from_pcm(NULL, 0, 80, filters, &mel, NULL, &err), SL_OK);
    assert_int_equal(mel.n_len, 3000);
    assert_int_equal(mel.n_len_org, 0);
    for (size_t i = 0; i < (size_t)80 * 3000; i++)
        assert_float_equal(mel.data[i], (-10.0 + 4.0) / 4.0, 1e-6);
    mel_free(&mel);
    /* one sample and a 128-bin request */
    float one = 0.5f;
    float *f128 = calloc(128 * WHISPER_N_FREQ, sizeof(float));
    assert_non_null(f128);
    for (int i = 0; i < 128; i++)
        f128[i * WHISPER_N_FREQ + i] = 1.0f;
    assert_int_equal(mel_from_pcm(&one, 1, 128, f128, &mel, NULL, &err), SL_OK);
    assert_int_equal(mel.n_mel, 128);
    assert_int_equal(mel.n_len, 3000);
    /* the first frame holds the sample: bin 0 is the loudest and clamps
     * everything to at most 8 decades below it */
    float mx = -100, mn = 100;
    for (size_t i = 0; i < (size_t)128 * 3000; i++) {
        mx = mel.data[i] > mx ? mel.data[i] : mx;
        mn = mel.data[i] < mn ? mel.data[i] : mn;
    }
    assert_true(mx - mn <= 2.0f + 1e-5f);
    mel_free(&mel);
    free(f128);
    /* bad arguments */
    assert_int_equal(mel_from_pcm(&one, 1, 0, filters, &mel, NULL, &err), SL_ERR_ARG);
    assert_int_equal(mel_from_pcm(NULL, 5, 80, filters, &mel, NULL, &err), SL_ERR_ARG);
}

/* A pure tone puts its energy in the mel band holding its frequency. */
static void test_mel_tone_lands_in_its_band(void **state)
{
    (void)state;
    REQUIRE_SHARED(model_path, "fixtures/whisper/for-tests-ggml-tiny.en.bin");
    whisper_model *m = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_model_load(model_path, &m, &err), SL_OK);
    size_t n = 16000;
    float *pcm = malloc(n * sizeof(float));
    assert_non_null(pcm);
    for (size_t i = 0; i < n; i++)
        pcm[i] = 0.3f * sinf(2.0f * (float)M_PI * 1000.0f * (float)i / 16000.0f);
    mel_spectrogram mel;
    assert_int_equal(mel_from_pcm(pcm, n, 80, m->filters, &mel, NULL, &err), SL_OK);
    int frame = 50, best = -1;
    float bv = -100;
    for (int b = 0; b < 80; b++) {
        float v = mel.data[(size_t)b * mel.n_len + frame];
        if (v > bv) {
            bv = v;
            best = b;
        }
    }
    /* the band whose filter peaks nearest FFT bin 25 (1000 Hz) */
    int want = -1;
    float wv = -1;
    for (int b = 0; b < 80; b++)
        if (m->filters[b * WHISPER_N_FREQ + 25] > wv) {
            wv = m->filters[b * WHISPER_N_FREQ + 25];
            want = b;
        }
    assert_int_equal(best, want);
    mel_free(&mel);
    free(pcm);
    whisper_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mel_matches_whisper_cpp),
        cmocka_unit_test(test_mel_short_and_empty),
        cmocka_unit_test(test_mel_tone_lands_in_its_band),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
