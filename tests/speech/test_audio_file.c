/* audio_file.c: decoding audio files with GStreamer to mono float at
 * SPEECH_RATE, compared with our own WAV reader, and files that are not
 * audio. */
#include "tests/speech/speech_test.h"

#include <gst/gst.h>
#include <sys/stat.h>

static char *dir;

static const char *in_dir(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

static int setup(void **state)
{
    (void)state;
    dir = temp_dir_create();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    temp_dir_remove(dir);
    return 0;
}

/* A spoken sentence at 22050 Hz, written as WAV: real speech, not a tone. */
static const char *speech_wav(int channels)
{
    const char *path = in_dir(channels == 1 ? "speech-mono.wav" : "speech-stereo.wav");
    struct stat st;
    if (stat(path, &st) == 0)
        return path;
    pcm_s16 p;
    sl_error err;
    assert_int_equal(tts_synthesize("Meeting notes: the budget is approved.", NULL, &p, &err),
                     SL_OK);
    if (channels == 2) {
        pcm_s16 s;
        assert_int_equal(pcm_s16_alloc(&s, p.rate, 2, p.frames, &err), SL_OK);
        for (size_t i = 0; i < p.frames; i++) {
            s.samples[2 * i] = p.samples[i];
            s.samples[2 * i + 1] = (int16_t)(p.samples[i] / 2);
        }
        pcm_s16_free(&p);
        p = s;
    }
    assert_int_equal(wav_write(path, &p, &err), SL_OK);
    pcm_s16_free(&p);
    return path;
}

static pcm_f32 load(const char *path)
{
    pcm_f32 p;
    sl_error err;
    stderr_capture c;
    stderr_capture_begin(&c);
    sl_status st = audio_load_file(path, &p, &err);
    char *said = stderr_capture_end(&c);
    if (st != SL_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, SL_OK);
    assert_string_equal(said, "");
    free(said);
    assert_int_equal(p.rate, SPEECH_RATE);
    return p;
}

/* RMS of a - b over the common length, relative to the RMS of b. */
static double relative_difference(const pcm_f32 *a, const pcm_f32 *b)
{
    size_t n = a->count < b->count ? a->count : b->count;
    double d2 = 0, b2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->samples[i] - b->samples[i];
        d2 += d * d;
        b2 += (double)b->samples[i] * b->samples[i];
    }
    return sqrt(d2 / (b2 > 0 ? b2 : 1));
}

/* At SPEECH_RATE already, mono: no resampling on either side, so the two
 * decoders agree to float rounding. */
static void test_wav_at_speech_rate_equals_wav_reader(void **state)
{
    (void)state;
    pcm_s16 p;
    sl_error err;
    assert_int_equal(pcm_s16_alloc(&p, SPEECH_RATE, 1, 16000, &err), SL_OK);
    for (size_t i = 0; i < p.frames; i++)
        p.samples[i] = (int16_t)(9000 * sin(2 * M_PI * 300.0 * (double)i / SPEECH_RATE) +
                                 (double)(i % 7) * 100);
    const char *path = in_dir("16k.wav");
    assert_int_equal(wav_write(path, &p, &err), SL_OK);
    pcm_f32 ours, gst = load(path);
    assert_int_equal(wav_read_speech(path, &ours, &err), SL_OK);
    assert_int_equal(gst.count, ours.count);
    for (size_t i = 0; i < ours.count; i++)
        assert_float_equal(gst.samples[i], ours.samples[i], 1e-6);
    pcm_f32_free(&ours);
    pcm_f32_free(&gst);
    pcm_s16_free(&p);
}

static double max_difference(const pcm_f32 *a, const pcm_f32 *b)
{
    size_t n = a->count < b->count ? a->count : b->count;
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a->samples[i] - b->samples[i]);
        m = d > m ? d : m;
    }
    return m;
}

/* 22050 Hz speech, mono and stereo: GStreamer decodes and mixes, soxr
 * resamples on both paths, so they agree to 1e-5 per sample (float
 * rounding of the channel mean). */
static void test_wav_resampled_equals_wav_reader(void **state)
{
    (void)state;
    for (int channels = 1; channels <= 2; channels++) {
        const char *path = speech_wav(channels);
        pcm_f32 ours, gst = load(path);
        sl_error err;
        assert_int_equal(wav_read_speech(path, &ours, &err), SL_OK);
        double worst = max_difference(&gst, &ours);
        print_message("%d channel(s): %zu vs %zu samples, max difference %.2g\n", channels,
                      gst.count, ours.count, worst);
        assert_int_equal(gst.count, ours.count);
        assert_true(worst < 1e-5);
        pcm_f32_free(&ours);
        pcm_f32_free(&gst);
    }
}

/* Runs a gst-launch style pipeline to the end; 0 when an element is
 * missing (the caller skips). */
static int transcode(const char *description)
{
    GError *e = NULL;
    GstElement *pipe = gst_parse_launch(description, &e);
    if (!pipe || e) {
        g_clear_error(&e);
        if (pipe)
            gst_object_unref(pipe);
        return 0;
    }
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND,
                                               GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int ok = m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
    if (m)
        gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(pipe);
    assert_true(ok);
    return 1;
}

/* FLAC is lossless: the same samples as the WAV it came from. Ogg Vorbis
 * and MP3 are lossy. Vorbis: the same length within 1 ms (16 samples) and
 * the same waveform within 15 % (RMS of the difference over the RMS of the
 * speech; seen: 4 %). MP3: the length within its encoder padding (100 ms;
 * seen: 60 ms longer) and the level within 15 %. */
static void test_flac_and_ogg(void **state)
{
    (void)state;
    const char *wav = speech_wav(1);
    const char *flac = in_dir("speech.flac"), *ogg = in_dir("speech.ogg");
    char desc[2048];
    snprintf(desc, sizeof desc,
             "filesrc location=\"%s\" ! wavparse ! audioconvert ! flacenc ! filesink "
             "location=\"%s\"",
             wav, flac);
    if (!transcode(desc)) {
        print_message("no flacenc: FLAC not tested\n");
        skip();
    }
    pcm_f32 from_wav = load(wav), from_flac = load(flac);
    assert_int_equal(from_flac.count, from_wav.count);
    for (size_t i = 0; i < from_wav.count; i++)
        assert_float_equal(from_flac.samples[i], from_wav.samples[i], 1e-6);

    snprintf(desc, sizeof desc,
             "filesrc location=\"%s\" ! wavparse ! audioconvert ! vorbisenc quality=0.6 ! oggmux "
             "! filesink location=\"%s\"",
             wav, ogg);
    if (transcode(desc)) {
        pcm_f32 from_ogg = load(ogg);
        double rel = relative_difference(&from_ogg, &from_wav);
        print_message("ogg: %zu vs %zu samples, relative difference %.4f\n", from_ogg.count,
                      from_wav.count, rel);
        assert_true(from_ogg.count + 16 >= from_wav.count && from_ogg.count <= from_wav.count + 16);
        assert_true(rel < 0.15);
        pcm_f32_free(&from_ogg);
    } else {
        print_message("no vorbisenc: Ogg not tested\n");
    }
    const char *mp3 = in_dir("speech.mp3");
    snprintf(desc, sizeof desc,
             "filesrc location=\"%s\" ! wavparse ! audioconvert ! lamemp3enc target=bitrate "
             "bitrate=128 ! filesink location=\"%s\"",
             wav, mp3);
    if (transcode(desc)) {
        pcm_f32 from_mp3 = load(mp3);
        print_message("mp3: %zu vs %zu samples\n", from_mp3.count, from_wav.count);
        assert_true(from_mp3.count + 1600 >= from_wav.count &&
                    from_mp3.count <= from_wav.count + 1600);
        /* MP3 decoders shift the signal by the encoder delay; compare levels. */
        assert_float_equal(pcm_f32_rms(&from_mp3), pcm_f32_rms(&from_wav),
                           0.15 * pcm_f32_rms(&from_wav));
        pcm_f32_free(&from_mp3);
    } else {
        print_message("no lamemp3enc: MP3 not tested\n");
    }
    pcm_f32_free(&from_wav);
    pcm_f32_free(&from_flac);
}

static void expect_failure(const char *path, sl_status want, const char *says)
{
    pcm_f32 p;
    sl_error err;
    stderr_capture c;
    stderr_capture_begin(&c);
    double t0 = seconds_now();
    sl_status st = audio_load_file(path, &p, &err);
    double took = seconds_now() - t0;
    char *said = stderr_capture_end(&c);
    print_message("%s: %.0f ms: %s\n", strrchr(path, '/') ? strrchr(path, '/') + 1 : path,
                  took * 1e3, err.msg);
    assert_string_equal(said, "");
    free(said);
    if (st != want)
        print_error("status %d, wanted %d\n", (int)st, (int)want);
    assert_int_equal(st, want);
    assert_one_line_naming(&err, path);
    if (says)
        assert_one_line_naming(&err, says);
    assert_null(p.samples);
}

static void test_not_audio(void **state)
{
    (void)state;
    const char *text = in_dir("notes.wav");
    static const char words[] = "Shopping list:\nmilk\nbread\napples\n";
    assert_int_equal(write_file_bytes(text, words, sizeof words - 1), 0);
    expect_failure(text, SL_ERR_FORMAT, "not an audio file");

    const char *empty = in_dir("empty.wav");
    assert_int_equal(write_file_bytes(empty, "", 0), 0);
    expect_failure(empty, SL_ERR_FORMAT, "empty");

    expect_failure(in_dir("missing.flac"), SL_ERR_IO, "No such file");
    expect_failure(dir, SL_ERR_IO, "folder");

    unsigned char noise[4096];
    uint32_t seed = 99;
    for (size_t i = 0; i < sizeof noise; i++) {
        seed = seed * 1664525u + 1013904223u;
        noise[i] = (unsigned char)(seed >> 24);
    }
    const char *mp3 = in_dir("noise.mp3");
    assert_int_equal(write_file_bytes(mp3, noise, sizeof noise), 0);
    expect_failure(mp3, SL_ERR_FORMAT, NULL);

    /* A picture decodes, but has no audio stream. */
    const char *png = asset_path("samples/letter.png");
    if (png) {
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", png);
        expect_failure(copy, SL_ERR_FORMAT, NULL);
    }

    /* A WAV header with no samples after it. */
    const char *wav = speech_wav(1);
    size_t n = 0;
    unsigned char *bytes = read_file_bytes(wav, &n);
    assert_non_null(bytes);
    const char *header = in_dir("header-only.wav");
    assert_int_equal(write_file_bytes(header, bytes, 44), 0);
    expect_failure(header, SL_ERR_FORMAT, NULL);
    /* Cut in the middle: what is there decodes, or it fails with one line. */
    const char *cut = in_dir("cut.wav");
    assert_int_equal(write_file_bytes(cut, bytes, n / 2), 0);
    pcm_f32 p;
    sl_error err;
    sl_status st = audio_load_file(cut, &p, &err);
    if (st == SL_OK) {
        assert_true(p.count > 0 && p.count < (n - 44) / 2 * SPEECH_RATE / 22050 + 16);
        pcm_f32_free(&p);
    } else {
        assert_one_line_naming(&err, cut);
    }
    free(bytes);
}

/* Bytes of a WAV and a FLAC file overwritten at random: GStreamer's
 * parsers must give samples or one line, print nothing, and finish. */
static void test_corrupted_files(void **state)
{
    (void)state;
    const char *wav = speech_wav(1);
    const char *flac = in_dir("fuzz-src.flac");
    char desc[2048];
    snprintf(desc, sizeof desc,
             "filesrc location=\"%s\" ! wavparse ! audioconvert ! flacenc ! filesink "
             "location=\"%s\"",
             wav, flac);
    int have_flac = transcode(desc);
    const char *sources[2] = {wav, flac};
    uint32_t seed = 7;
    int failures = 0, decoded = 0;
    for (int s = 0; s < (have_flac ? 2 : 1); s++) {
        size_t n = 0;
        unsigned char *orig = read_file_bytes(sources[s], &n);
        assert_non_null(orig);
        unsigned char *b = malloc(n);
        assert_non_null(b);
        for (int iter = 0; iter < 25; iter++) {
            memcpy(b, orig, n);
            for (int k = 0; k < 1 + iter % 6; k++) {
                seed = seed * 1664525u + 1013904223u;
                size_t at = iter % 2 ? (seed >> 8) % 128 : (seed >> 8) % n;
                seed = seed * 1664525u + 1013904223u;
                b[at] = (unsigned char)(seed >> 24);
            }
            const char *path = in_dir(s ? "fuzz.flac" : "fuzz.wav");
            assert_int_equal(write_file_bytes(path, b, n), 0);
            pcm_f32 p;
            sl_error err;
            stderr_capture c;
            stderr_capture_begin(&c);
            double t0 = seconds_now();
            sl_status st = audio_load_file(path, &p, &err);
            double took = seconds_now() - t0;
            char *said = stderr_capture_end(&c);
            assert_string_equal(said, "");
            free(said);
            assert_true(took < 15.0);
            if (st == SL_OK) {
                decoded++;
                for (size_t i = 0; i < p.count; i++)
                    assert_true(isfinite(p.samples[i]));
                pcm_f32_free(&p);
            } else {
                failures++;
                assert_one_line_naming(&err, path);
            }
        }
        free(b);
        free(orig);
    }
    print_message("%d decoded, %d refused with one line\n", decoded, failures);
}

int main(void)
{
    if (!gst_init_check(NULL, NULL, NULL)) {
        fprintf(stderr, "GStreamer does not start\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wav_at_speech_rate_equals_wav_reader),
        cmocka_unit_test(test_wav_resampled_equals_wav_reader),
        cmocka_unit_test(test_flac_and_ogg),
        cmocka_unit_test(test_not_audio),
        cmocka_unit_test(test_corrupted_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
