/* `sightline command`: WAVs spoken here with espeak-ng give the command
 * (plain and --json), speech that is not a command gives {"command":null}
 * with exit 0, and usage, missing model and bad audio fail with the
 * documented exit codes. The accuracy itself is measured in
 * tests/speech/test_voice_command.c. */
#include "tests/app/cli_test.h"
#include "speech/speech.h"

const char *cli_program;

static void write_speech(const char *path, const char *text, const char *voice)
{
    tts_options o;
    tts_options_default(&o);
    o.voice = voice;
    pcm_s16 s;
    sl_error err;
    assert_int_equal(tts_synthesize(text, &o, &s, &err), SL_OK);
    assert_int_equal(wav_write(path, &s, &err), SL_OK);
    pcm_s16_free(&s);
}

static void test_recognises_and_rejects(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char colour[4096], meeting[4096], other[4096], args[16384];
    snprintf(colour, sizeof colour, "%s/colour.wav", dir);
    snprintf(meeting, sizeof meeting, "%s/meeting.wav", dir);
    snprintf(other, sizeof other, "%s/other.wav", dir);
    write_speech(colour, "what colour is it", "en-us");
    write_speech(meeting, "start meeting", "en");
    write_speech(other, "my daughter will visit on sunday", "en");

    snprintf(args, sizeof args, "command '%s' --json", colour);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "{\"command\":\"what_colour\",\"phrase\":\"what colour is it\","
                                  "\"confidence\":"));
    assert_int_equal(count_lines(r.out), 1);
    assert_string_equal(r.err, "");
    cli_result_free(&r);

    snprintf(args, sizeof args, "command '%s'", meeting);
    r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_memory_equal(r.out, "start_meeting\t\"", 15);
    cli_result_free(&r);

    snprintf(args, sizeof args, "command '%s' --json", other);
    r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "{\"command\":null}\n");
    cli_result_free(&r);
    snprintf(args, sizeof args, "command '%s'", other);
    r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "(no command)\n");
    cli_result_free(&r);

    /* The threshold is checked. */
    snprintf(args, sizeof args, "command '%s' --threshold 1.5", colour);
    r = cli_run(args);
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
    temp_dir_remove(dir);
}

static void test_errors_and_help(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char empty[4096], said[4096];
    snprintf(empty, sizeof empty, "%s/empty.wav", dir);
    snprintf(said, sizeof said, "%s/said.wav", dir);
    FILE *f = fopen(empty, "wb");
    assert_non_null(f);
    fclose(f);
    write_speech(said, "help", "en-us");
    struct {
        char args[8192];
        int code;
        const char *needle;
    } cases[] = {
        {"command", 2, "FILE or --mic"},
        {"command x.wav --frobnicate", 2, "unknown option"},
        {"command a.wav b.wav", 2, "one FILE only"},
        {"command /nonexistent.wav", 3, "nonexistent.wav"},
        {"", 3, "empty.wav"},
        {"", 6, "/nonexistent/ps/en-us/mdef"},
    };
    snprintf(cases[4].args, sizeof cases[4].args, "command '%s'", empty);
    snprintf(cases[5].args, sizeof cases[5].args, "command '%s' --model-dir /nonexistent/ps",
             said);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r = cli_run(cases[i].args);
        if (r.status != cases[i].code || !strstr(r.err, cases[i].needle))
            fail_msg("'%s': status %d, stderr '%s'", cases[i].args, r.status, r.err);
        assert_string_equal(r.out, "");
        cli_result_free(&r);
    }
    /* The help says where free-form transcription comes from. */
    cli_result r = cli_run("help command");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Free-form transcription"));
    assert_non_null(strstr(r.out, "scripts/get-models.sh whisper-base"));
    cli_result_free(&r);
    temp_dir_remove(dir);
}

int main(int argc, char **argv)
{
    if (!cli_test_start(argc, argv))
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recognises_and_rejects),
        cmocka_unit_test(test_errors_and_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
