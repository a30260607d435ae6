/* `sightline transcribe`: the fixture model on the fixture sentence gives
 * whisper.cpp's greedy tokens in --json, the text formats are well formed,
 * the VAD path runs, and missing/wrong models and audio fail with the
 * documented exit codes. */
#include "tests/app/cli_test.h"

const char *cli_program;

static char model[4096], wav[4096], vadm[4096], vocab_only[4096];

static int have_fixtures(void)
{
    const char *p;
    if (!(p = shared_path("fixtures/whisper/tiny_whisper_test_f16.bin")))
        return 0;
    snprintf(model, sizeof model, "%s", p);
    if (!(p = shared_path("fixtures/whisper/speech_meeting.wav")))
        return 0;
    snprintf(wav, sizeof wav, "%s", p);
    if (!(p = shared_path("fixtures/whisper/silero-v6.2.0-ggml.bin")))
        return 0;
    snprintf(vadm, sizeof vadm, "%s", p);
    if (!(p = shared_path("fixtures/whisper/for-tests-ggml-tiny.bin")))
        return 0;
    snprintf(vocab_only, sizeof vocab_only, "%s", p);
    return 1;
}

static void test_json_tokens(void **state)
{
    (void)state;
    if (!have_fixtures()) {
        skip();
        return;
    }
    char args[16384];
    snprintf(args, sizeof args,
             "-q --threads 2 transcribe '%s' -m '%s' --greedy --no-timestamps --no-fallback "
             "--json",
             wav, model);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);
    /* whisper.cpp's first greedy tokens (golden_tiny_whisper.json) */
    assert_non_null(strstr(r.out, "\"tokens\": [\n"));
    const char *t = strstr(r.out, "\"tokens\"");
    assert_non_null(t);
    const int want[10] = {14086, 42425, 2053, 42425, 13089, 42425, 504, 18512, 11848, 13089};
    const char *p = strchr(t, '[') + 1;
    for (int i = 0; i < 10; i++) {
        char *end;
        long v = strtol(p, &end, 10);
        assert_int_equal(v, want[i]);
        p = end + 1;
    }
    assert_non_null(strstr(r.out, "\"t1_ms\": 30000"));
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

static void test_text_formats_and_vad(void **state)
{
    (void)state;
    if (!have_fixtures()) {
        skip();
        return;
    }
    char args[16384];
    snprintf(args, sizeof args,
             "-q transcribe '%s' -m '%s' --greedy --no-fallback --srt --vad-model '%s'", wav,
             model, vadm);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);
    if (r.out[0]) { /* SubRip: numbered cues with comma milliseconds */
        assert_true(strncmp(r.out, "1\n", 2) == 0);
        assert_non_null(strstr(r.out, " --> "));
        assert_non_null(strstr(r.out, ","));
    }
    cli_result_free(&r);
    snprintf(args, sizeof args, "-q transcribe '%s' -m '%s' --greedy --no-fallback --vtt", wav,
             model);
    r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "WEBVTT\n", 7) == 0);
    cli_result_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    if (!have_fixtures()) {
        skip();
        return;
    }
    char args[16384];
    struct {
        const char *fmt;
        int code;
        const char *needle;
    } cases[] = {
        {"transcribe '%s'", 6, "no Whisper model"},
        {"transcribe '%s' -m /nonexistent/model.bin", 3, "model.bin"},
        {"transcribe '%s' -m '%s'", 6, "no weights"},
        {"transcribe '%s' -m '%s'", 6, "bad magic"},
        {"transcribe /nonexistent.wav -m '%s'", 3, "nonexistent.wav"},
        {"transcribe", 2, "FILE or --mic"},
        {"transcribe '%s' --beam 0 -m x", 2, "--beam"},
        {"transcribe '%s' --frobnicate", 2, "unknown option"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        switch (i) {
        case 2:
            snprintf(args, sizeof args, cases[i].fmt, wav, vocab_only);
            break;
        case 3:
            snprintf(args, sizeof args, cases[i].fmt, wav, wav);
            break;
        case 4:
            snprintf(args, sizeof args, cases[i].fmt, model);
            break;
        default:
            snprintf(args, sizeof args, cases[i].fmt, wav);
        }
        cli_result r = cli_run(args);
        if (r.status != cases[i].code || !strstr(r.err, cases[i].needle))
            fail_msg("'%s': status %d, stderr '%s'", args, r.status, r.err);
        cli_result_free(&r);
    }
}

/* A 0-byte file and a text file given as audio: input errors. */
static void test_bad_audio(void **state)
{
    (void)state;
    if (!have_fixtures()) {
        skip();
        return;
    }
    char *dir = temp_dir_create();
    char empty[4096], text[4096], args[16384];
    snprintf(empty, sizeof empty, "%s/empty.wav", dir);
    snprintf(text, sizeof text, "%s/notes.wav", dir);
    assert_int_equal(write_file_bytes(empty, "", 0), 0);
    assert_int_equal(write_file_bytes(text, "hello, not audio\n", 17), 0);
    const char *files[2] = {empty, text};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "-q transcribe '%s' -m '%s'", files[i], model);
        cli_result r = cli_run(args);
        if (r.status != 3 || !strstr(r.err, files[i]))
            fail_msg("%s: status %d, stderr '%s'", files[i], r.status, r.err);
        cli_result_free(&r);
    }
    temp_dir_remove(dir);
}

int main(int argc, char **argv)
{
    if (!cli_test_start(argc, argv))
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_tokens),
        cmocka_unit_test(test_text_formats_and_vad),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bad_audio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
