/* audio_out.c: playback through PortAudio.
 *
 * Run twice by meson: as is (this machine has no sound card: every call
 * must fail fast with one line and print nothing, not even at exit), and
 * with SIGHTLINE_TEST_NULL_AUDIO=1, where ALSA's default device is its null
 * plugin, so the whole playing path runs. */
#include "tests/speech/speech_test.h"

static int null_device;
static char *null_home;

static pcm_s16 tone(int rate, int channels, double seconds)
{
    pcm_s16 p;
    assert_int_equal(pcm_s16_alloc(&p, rate, channels, (size_t)(seconds * rate), NULL), SL_OK);
    for (size_t i = 0; i < p.frames; i++)
        for (int c = 0; c < channels; c++)
            p.samples[i * (size_t)channels + (size_t)c] =
                (int16_t)(6000 * sin(2 * M_PI * 440.0 * (double)i / rate));
    return p;
}

static void test_no_device(void **state)
{
    (void)state;
    if (null_device)
        skip();
    if (machine_has_sound_card()) {
        print_message("this machine has a sound card: the no-device path is not tested\n");
        skip();
    }
    pcm_s16 p = tone(22050, 1, 0.5);
    sl_error err;
    for (int round = 0; round < 2; round++) {
        stderr_capture c;
        stderr_capture_begin(&c);
        double t0 = seconds_now();
        sl_status st = audio_play(&p, &err);
        double took = seconds_now() - t0;
        char *said = stderr_capture_end(&c);
        print_message("call %d: %.1f ms, '%s'\n", round + 1, took * 1e3, err.msg);
        assert_string_equal(said, "");
        free(said);
        assert_int_equal(st, SL_ERR_DEVICE);
        assert_one_line_naming(&err, "no audio output device found");
        assert_non_null(strstr(err.msg, "--wav"));
        assert_true(took < 3.0);
    }
    pcm_s16_free(&p);
}

/* The whole process, exit included, prints nothing on stderr: JACK's
 * client library would otherwise complain from its destructors. */
static void test_child_process_is_silent(void **state)
{
    (void)state;
    if (null_device || machine_has_sound_card())
        skip();
    char cmd[4200];
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = 0;
    snprintf(cmd, sizeof cmd, "'%s' --play-once", self);
    char *out = NULL, *errtext = NULL;
    int rc = run_command(cmd, &out, &errtext);
    assert_non_null(out);
    assert_non_null(errtext);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "status 6: no audio output device found"));
    assert_string_equal(errtext, "");
    free(out);
    free(errtext);
}

static void test_null_device_plays(void **state)
{
    (void)state;
    if (!null_device)
        skip();
    sl_error err;
    /* Mono speech at espeak's rate, stereo at 44.1 kHz, 8 kHz mono (may be
     * resampled for the device), and nothing at all. */
    static const int shapes[][2] = {{22050, 1}, {44100, 2}, {8000, 1}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        pcm_s16 p = tone(shapes[k][0], shapes[k][1], 0.3);
        stderr_capture c;
        stderr_capture_begin(&c);
        double t0 = seconds_now();
        sl_status st = audio_play(&p, &err);
        double took = seconds_now() - t0;
        char *said = stderr_capture_end(&c);
        print_message("%d Hz x %d: status %d in %.0f ms %s\n", shapes[k][0], shapes[k][1],
                      (int)st, took * 1e3, st ? err.msg : "");
        assert_int_equal(st, SL_OK);
        assert_string_equal(said, "");
        free(said);
        assert_true(took < 5.0);
        pcm_s16_free(&p);
    }
    pcm_s16 empty;
    assert_int_equal(pcm_s16_alloc(&empty, 22050, 1, 0, NULL), SL_OK);
    assert_int_equal(audio_play(&empty, &err), SL_OK);
    pcm_s16_free(&empty);
}

static void test_bad_buffer(void **state)
{
    (void)state;
    pcm_s16 p = {0};
    sl_error err;
    assert_int_equal(audio_play(&p, &err), SL_ERR_ARG);
    p.rate = 22050;
    p.channels = 1;
    p.frames = 10; /* but no samples */
    assert_int_equal(audio_play(&p, &err), SL_ERR_ARG);
    assert_one_line_naming(&err, "audio output");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--play-once") == 0) {
        pcm_s16 p = tone(22050, 1, 0.1);
        sl_error err;
        sl_status st = audio_play(&p, &err);
        printf("status %d: %s\n", (int)st, st ? err.msg : "played");
        pcm_s16_free(&p);
        return 0;
    }
    const char *env = getenv("SIGHTLINE_TEST_NULL_AUDIO");
    null_device = env && strcmp(env, "1") == 0;
    if (null_device && !(null_home = use_null_alsa_device())) {
        fprintf(stderr, "cannot set up the null ALSA device\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_buffer),
        cmocka_unit_test(test_no_device),
        cmocka_unit_test(test_child_process_is_silent),
        cmocka_unit_test(test_null_device_plays),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    temp_dir_remove(null_home);
    return failed;
}
