/* audio_in.c: microphone capture through PortAudio.
 *
 * Run twice by meson: as is (no sound card here: "no microphone found",
 * fast, nothing printed), and with SIGHTLINE_TEST_NULL_AUDIO=1, where ALSA's
 * default device is its null plugin, which records silence (or stale
 * memory, sometimes): the capture
 * thread, chunking, resampling to SPEECH_RATE and stopping all run. */
#include "tests/speech/speech_test.h"

static int null_device;
static char *null_home;

static void test_no_microphone(void **state)
{
    (void)state;
    if (null_device)
        skip();
    if (machine_has_sound_card()) {
        print_message("this machine has a sound card: the no-microphone path is not tested\n");
        skip();
    }
    for (int round = 0; round < 2; round++) {
        stderr_capture c;
        stderr_capture_begin(&c);
        double t0 = seconds_now();
        sl_error err;
        pcm_f32 rec;
        sl_status st = audio_in_record(0.5, &rec, &err);
        audio_in *a = (audio_in *)&err; /* must be set to NULL */
        sl_error err2;
        sl_status st2 = audio_in_open(NULL, NULL, NULL, &a, &err2);
        double took = seconds_now() - t0;
        char *said = stderr_capture_end(&c);
        print_message("call %d: %.1f ms, '%s'\n", round + 1, took * 1e3, err.msg);
        assert_string_equal(said, "");
        free(said);
        assert_int_equal(st, SL_ERR_DEVICE);
        assert_string_equal(err.msg, "no microphone found");
        assert_null(rec.samples);
        assert_int_equal(st2, SL_ERR_ARG); /* no function: refused before the device */
        assert_null(a);
        assert_true(took < 3.0);
    }
}

typedef struct counter {
    int chunks;
    int stop_after;
    size_t samples;
    size_t min_chunk, max_chunk;
    double peak;
    int bad_rate;
} counter;

static int count_chunk(const pcm_f32 *chunk, void *user)
{
    counter *c = user;
    c->chunks++;
    c->samples += chunk->count;
    if (!c->min_chunk || chunk->count < c->min_chunk)
        c->min_chunk = chunk->count;
    if (chunk->count > c->max_chunk)
        c->max_chunk = chunk->count;
    c->bad_rate |= chunk->rate != SPEECH_RATE;
    for (size_t i = 0; i < chunk->count; i++)
        if (!(fabs(chunk->samples[i]) <= c->peak)) /* NaN counts as a peak */
            c->peak = isfinite(chunk->samples[i]) ? fabs(chunk->samples[i]) : INFINITY;
    return c->chunks >= c->stop_after;
}

static void test_null_device_records_silence(void **state)
{
    (void)state;
    if (!null_device)
        skip();
    sl_error err;
    stderr_capture cap;
    stderr_capture_begin(&cap);
    pcm_f32 rec;
    sl_status st = audio_in_record(0.3, &rec, &err);
    char *said = stderr_capture_end(&cap);
    if (st != SL_OK)
        print_error("audio_in_record: %s\n", err.msg);
    assert_int_equal(st, SL_OK);
    assert_string_equal(said, "");
    free(said);
    assert_int_equal(rec.rate, SPEECH_RATE);
    assert_int_equal(rec.count, 4800);
    /* The null plugin mostly records silence, but sometimes stale memory
     * (NaN included, seen): what comes out must be finite and in range,
     * however bad the device's samples. */
    for (size_t i = 0; i < rec.count; i++)
        assert_true(isfinite(rec.samples[i]) && fabsf(rec.samples[i]) <= 1.5f);
    pcm_f32_free(&rec);

    /* 50 ms chunks; the function stops the capture after five. */
    audio_in_options o;
    audio_in_options_default(&o);
    o.chunk_ms = 50;
    counter c = {0};
    c.stop_after = 5;
    audio_in *a;
    assert_int_equal(audio_in_open(&o, count_chunk, &c, &a, &err), SL_OK);
    double t0 = seconds_now();
    while (audio_in_running(a) && seconds_now() - t0 < 5.0) {
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    assert_false(audio_in_running(a));
    assert_int_equal(audio_in_close(a, &err), SL_OK);
    print_message("%d chunks of %zu..%zu samples\n", c.chunks, c.min_chunk, c.max_chunk);
    assert_int_equal(c.chunks, 5);
    assert_int_equal(c.bad_rate, 0);
    /* 50 ms: 800 samples each, exactly. */
    assert_int_equal(c.min_chunk, 800);
    assert_int_equal(c.max_chunk, 800);
    assert_true(c.peak <= 1.5);

    /* At the device's own rate (the null device says 44.1 or 48 kHz) the
     * resampler's output comes in bursts (seen: 538 to 1080 samples per
     * 50 ms read); the chunks are still 800 samples each. */
    o.native_rate = 1;
    counter native = {0};
    native.stop_after = 6;
    assert_int_equal(audio_in_open(&o, count_chunk, &native, &a, &err), SL_OK);
    t0 = seconds_now();
    while (audio_in_running(a) && seconds_now() - t0 < 5.0) {
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    assert_int_equal(audio_in_close(a, &err), SL_OK);
    print_message("native rate: %d chunks of %zu..%zu samples, %zu in all\n", native.chunks,
                  native.min_chunk, native.max_chunk, native.samples);
    assert_int_equal(native.chunks, 6);
    assert_int_equal(native.bad_rate, 0);
    assert_int_equal(native.min_chunk, 800);
    assert_int_equal(native.max_chunk, 800);
    o.native_rate = 0;

    /* Closing while it runs stops it. */
    counter forever = {0};
    forever.stop_after = 1 << 30;
    assert_int_equal(audio_in_open(&o, count_chunk, &forever, &a, &err), SL_OK);
    assert_true(audio_in_running(a));
    assert_int_equal(audio_in_close(a, &err), SL_OK);
}

static void test_bad_options(void **state)
{
    (void)state;
    audio_in_options o;
    audio_in_options_default(&o);
    o.chunk_ms = 5;
    audio_in *a;
    counter c = {0};
    sl_error err;
    assert_int_equal(audio_in_open(&o, count_chunk, &c, &a, &err), SL_ERR_ARG);
    assert_one_line_naming(&err, "5 ms");
    o.chunk_ms = 1001;
    assert_int_equal(audio_in_open(&o, count_chunk, &c, &a, &err), SL_ERR_ARG);
    pcm_f32 rec;
    assert_int_equal(audio_in_record(0.0, &rec, &err), SL_ERR_ARG);
    assert_int_equal(audio_in_record(NAN, &rec, &err), SL_ERR_ARG);
    assert_int_equal(audio_in_close(NULL, &err), SL_OK);
}

int main(void)
{
    const char *env = getenv("SIGHTLINE_TEST_NULL_AUDIO");
    null_device = env && strcmp(env, "1") == 0;
    if (null_device && !(null_home = use_null_alsa_device())) {
        fprintf(stderr, "cannot set up the null ALSA device\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_no_microphone),
        cmocka_unit_test(test_null_device_records_silence),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    temp_dir_remove(null_home);
    return failed;
}
