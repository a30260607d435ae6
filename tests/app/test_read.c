/* `sightline read` end to end: text on stdout, its accuracy on the sample
 * pictures, speech into a WAV file, the history, and every kind of bad
 * input with its one-line error and exit code. */
#include "tests/app/cli_test.h"
#include "tests/vision/cer.h"

#include <sys/stat.h>

const char *cli_program;

typedef struct read_env {
    char *dir;
    char db[4096];
} read_env;

static int setup(void **state)
{
    read_env *e = calloc(1, sizeof *e);
    e->dir = temp_dir_create();
    if (!e->dir)
        return -1;
    snprintf(e->db, sizeof e->db, "%s/user.db", e->dir);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    read_env *e = *state;
    temp_dir_remove(e->dir);
    free(e);
    return 0;
}

/* Runs `sightline --db DB -q ARGS`. */
static cli_result run_with_db(const read_env *e, const char *fmt, const char *arg1,
                              const char *arg2)
{
    char tail[8192], args[12288];
    snprintf(tail, sizeof tail, fmt, arg1 ? arg1 : "", arg2 ? arg2 : "");
    snprintf(args, sizeof args, "--db '%s' -q %s", e->db, tail);
    return cli_run(args);
}

static char *expected_text(const char *sample)
{
    char rel[512];
    snprintf(rel, sizeof rel, "samples/%s", sample);
    char *dot = strrchr(rel, '.');
    strcpy(dot, ".txt");
    size_t n;
    char *t = (char *)read_file_bytes(asset_path(rel), &n);
    assert_non_null(t);
    return t;
}

static void assert_reads_within(const read_env *e, const char *sample, double max_cer)
{
    char rel[512];
    snprintf(rel, sizeof rel, "samples/%s", sample);
    cli_result r = run_with_db(e, "read '%s'", asset_path(rel), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    char *want = expected_text(sample);
    double rate = cer(want, r.out);
    print_message("read %s: CER %.3f (limit %.2f)\n", sample, rate, max_cer);
    assert_true(rate >= 0 && rate <= max_cer);
    free(want);
    cli_result_free(&r);
}

static void test_reads_clean_and_degraded_samples(void **state)
{
    read_env *e = *state;
    assert_reads_within(e, "street-sign.png", 0.05);
    assert_reads_within(e, "medicine-label.png", 0.05);
    assert_reads_within(e, "street-sign-photo.jpg", 0.15);
}

/* stdout carries the text and nothing else; a picture without text leaves
 * it empty. */
static void test_stdout_is_only_text(void **state)
{
    read_env *e = *state;
    cli_result r = run_with_db(e, "read '%s'", asset_path("samples/garden-photo.jpg"), NULL);
    assert_int_equal(r.status, 0);
    assert_true(strlen(r.out) < 8);
    cli_result_free(&r);

    r = run_with_db(e, "read '%s'", asset_path("samples/menu.png"), NULL);
    assert_int_equal(r.status, 0);
    assert_true(count_lines(r.out) >= 5);
    assert_null(strstr(r.out, "sightline"));
    assert_null(strstr(r.out, "  ")); /* no layout padding, no headings of ours */
    cli_result_free(&r);
}

static void test_json_has_lines_with_confidence_and_box(void **state)
{
    read_env *e = *state;
    cli_result r = run_with_db(e, "read --json '%s'", asset_path("samples/street-sign.png"), NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1);
    assert_true(r.out[0] == '{');
    assert_non_null(strstr(r.out, "\"lines\":[{\"text\":"));
    assert_non_null(strstr(r.out, "\"confidence\":"));
    assert_non_null(strstr(r.out, "\"box\":{\"x\":"));
    cli_result_free(&r);
}

/* Duration of a 16-bit mono WAV from its header, in seconds. */
static double wav_seconds(const char *path)
{
    size_t n;
    unsigned char *b = read_file_bytes(path, &n);
    assert_non_null(b);
    assert_true(n > 44);
    assert_memory_equal(b, "RIFF", 4);
    unsigned rate = b[24] | b[25] << 8 | b[26] << 16 | (unsigned)b[27] << 24;
    double s = rate ? (double)(n - 44) / 2.0 / rate : 0;
    free(b);
    return s;
}

static void test_wav_length_grows_with_text_and_history_keeps_it(void **state)
{
    read_env *e = *state;
    char short_wav[4200], long_wav[4200];
    snprintf(short_wav, sizeof short_wav, "%s/sign.wav", e->dir);
    snprintf(long_wav, sizeof long_wav, "%s/letter.wav", e->dir);

    cli_result r = run_with_db(e, "read '%s' --wav '%s'", asset_path("samples/street-sign.png"),
                               short_wav);
    assert_int_equal(r.status, 0);
    size_t short_chars = strlen(r.out);
    cli_result_free(&r);
    r = run_with_db(e, "read '%s' --wav '%s'", asset_path("samples/letter.png"), long_wav);
    assert_int_equal(r.status, 0);
    size_t long_chars = strlen(r.out);
    cli_result_free(&r);

    double s_short = wav_seconds(short_wav), s_long = wav_seconds(long_wav);
    print_message("speech: %zu chars %.2f s, %zu chars %.2f s\n", short_chars, s_short, long_chars,
                  s_long);
    assert_true(long_chars > 3 * short_chars);
    assert_true(s_short > 0.5);
    assert_true(s_long > 2.0 * s_short);
    /* About 175 words a minute: tens of milliseconds per character. */
    double per_char = s_long / (double)long_chars;
    assert_true(per_char > 0.02 && per_char < 0.2);

    r = run_with_db(e, "history --json -n 2", NULL, NULL);
    assert_int_equal(r.status, 0);
    char *letter = strstr(r.out, "letter.png");
    char *sign = strstr(r.out, "street-sign.png");
    assert_non_null(letter);
    assert_non_null(sign);
    assert_true(letter < sign); /* newest first */
    assert_non_null(strstr(r.out, "\"mode\":\"read\""));
    cli_result_free(&r);

    r = run_with_db(e, "history -n 1", NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "  read  "));
    assert_non_null(strstr(r.out, "letter.png"));
    cli_result_free(&r);
}

static void assert_one_line_error(cli_result *r, int status, const char *needle)
{
    print_message("exit %d: %s", r->status, r->err);
    assert_int_equal(r->status, status);
    assert_int_equal(count_lines(r->err), 1);
    assert_non_null(strstr(r->err, needle));
    assert_string_equal(r->out, "");
}

static void test_bad_pictures(void **state)
{
    read_env *e = *state;
    char path[4200];

    snprintf(path, sizeof path, "%s/missing.jpg", e->dir);
    cli_result r = run_with_db(e, "read '%s'", path, NULL);
    assert_one_line_error(&r, 3, "missing.jpg");
    cli_result_free(&r);

    snprintf(path, sizeof path, "%s/empty.png", e->dir);
    assert_int_equal(write_file_bytes(path, "", 0), 0);
    r = run_with_db(e, "read '%s'", path, NULL);
    assert_one_line_error(&r, 3, "empty.png");
    cli_result_free(&r);

    size_t n;
    unsigned char *jpeg = read_file_bytes(asset_path("samples/letter-photo.jpg"), &n);
    assert_non_null(jpeg);
    snprintf(path, sizeof path, "%s/cut.jpg", e->dir);
    assert_int_equal(write_file_bytes(path, jpeg, n / 2), 0);
    free(jpeg);
    r = run_with_db(e, "read '%s'", path, NULL);
    assert_one_line_error(&r, 3, "cut.jpg");
    cli_result_free(&r);

    snprintf(path, sizeof path, "%s/notes.png", e->dir);
    const char *text = "shopping: milk, bread, tea\n";
    assert_int_equal(write_file_bytes(path, text, strlen(text)), 0);
    r = run_with_db(e, "read '%s'", path, NULL);
    assert_one_line_error(&r, 3, "notes.png");
    cli_result_free(&r);

    /* None of these is a reading: the history stays empty. */
    r = run_with_db(e, "history --json", NULL, NULL);
    assert_string_equal(r.out, "[]\n");
    cli_result_free(&r);
}

static void test_unwritable_wav_fails_before_reading(void **state)
{
    read_env *e = *state;
    cli_result r = run_with_db(e, "read '%s' --wav /proc/no-such-dir/out.wav",
                               asset_path("samples/street-sign.png"), NULL);
    assert_one_line_error(&r, 3, "/proc/no-such-dir/out.wav");
    cli_result_free(&r);

    r = run_with_db(e, "read '%s' --wav '%s'", asset_path("samples/street-sign.png"), e->dir);
    assert_one_line_error(&r, 3, "folder");
    cli_result_free(&r);
}

static void test_corrupt_database_is_reported_and_kept(void **state)
{
    read_env *e = *state;
    unsigned char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 131 + 7);
    memcpy(junk, "SQLite format 3", 16); /* a header, then garbage */
    assert_int_equal(write_file_bytes(e->db, junk, sizeof junk), 0);

    cli_result r = run_with_db(e, "read '%s'", asset_path("samples/street-sign.png"), NULL);
    print_message("exit %d: %s", r.status, r.err);
    assert_int_equal(r.status, 5);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "user.db"));
    cli_result_free(&r);

    r = run_with_db(e, "history", NULL, NULL);
    assert_int_equal(r.status, 5);
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);

    size_t n;
    unsigned char *after = read_file_bytes(e->db, &n);
    assert_int_equal(n, sizeof junk);
    assert_memory_equal(after, junk, sizeof junk);
    free(after);
}

/* This machine has neither a camera nor a sound card: both are one clear
 * line with the device exit code, never a hang. */
static void test_missing_devices(void **state)
{
    read_env *e = *state;
    cli_result r = run_with_db(e, "read --camera --device /dev/video77", NULL, NULL);
    assert_one_line_error(&r, 4, "/dev/video77");
    cli_result_free(&r);

    r = run_with_db(e, "read '%s' --speak", asset_path("samples/street-sign.png"), NULL);
    if (r.status == 0) {
        print_message("an audio device is present: --speak played the speech\n");
    } else {
        assert_int_equal(r.status, 4);
        assert_int_equal(count_lines(r.err), 1);
        assert_non_null(strstr(r.err, "--wav"));
        assert_true(strlen(r.out) > 0); /* the text is printed before speaking */
    }
    cli_result_free(&r);
}

static void test_usage_errors(void **state)
{
    read_env *e = *state;
    cli_result r = run_with_db(e, "read", NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);
    r = run_with_db(e, "read a.png b.png", NULL, NULL);
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
    r = run_with_db(e, "read a.png --rate 5000", NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--rate"));
    cli_result_free(&r);
    r = run_with_db(e, "read '%s' --lang xx-nonexistent", asset_path("samples/street-sign.png"),
                    NULL);
    assert_int_not_equal(r.status, 0);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "xx-nonexistent"));
    cli_result_free(&r);
    r = cli_run("help read");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--camera"));
    assert_non_null(strstr(r.out, "Examples:"));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    cli_program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_clean_and_degraded_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout_is_only_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_has_lines_with_confidence_and_box, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wav_length_grows_with_text_and_history_keeps_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_pictures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_wav_fails_before_reading, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_database_is_reported_and_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
