/* sightline teach and sign: taught from videos and a picture of the drawn
 * hand, recognised again from new videos of it; errors leave the database as
 * it was. The videos are synthesized here (hand_video.c): the drawn hand
 * moved along a path, with position, size and turn varying between takes;
 * the landmarks come from the real hand models. */
#include "tests/app/cli_test.h"
#include "tests/app/hand_video.h"
#include "tests/app/hands_cli_test.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <unistd.h>

const char *cli_program;

static char *tmp;

static const char *tmp_file(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    return path;
}

static int group_setup(void **state)
{
    (void)state;
    tmp = temp_dir_create();
    if (!tmp || !hand_models_available())
        return 0; /* the tests skip */
    /* Three takes of each sign to teach, one more to recognise, a hold (a
     * letter), and a video without a hand. */
    static const struct {
        const char *name;
        hand_motion motion;
        int frames;
        uint64_t seed;
    } videos[] = {
        {"across1.avi", HAND_ACROSS, 18, 1}, {"across2.avi", HAND_ACROSS, 22, 2},
        {"across3.avi", HAND_ACROSS, 20, 3}, {"rise1.avi", HAND_RISE, 21, 4},
        {"rise2.avi", HAND_RISE, 17, 5},     {"rise3.avi", HAND_RISE, 23, 6},
        {"across.avi", HAND_ACROSS, 19, 7},  {"rise.avi", HAND_RISE, 20, 8},
        {"hold.avi", HAND_HOLD, 16, 9},      {"hold1.avi", HAND_HOLD, 14, 11},
        {"hold2.avi", HAND_HOLD, 18, 12},
    };
    for (size_t i = 0; i < sizeof videos / sizeof videos[0]; i++)
        hand_video_write(tmp_file(videos[i].name), videos[i].motion, videos[i].frames, 3,
                         videos[i].seed);
    hand_video_write(tmp_file("empty.avi"), HAND_HOLD, 0, 10, 10);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    temp_dir_remove(tmp);
    return 0;
}

#define REQUIRE_MODELS()                                                                   \
    if (!hand_models_available()) {                                                        \
        skip();                                                                            \
        return;                                                                            \
    }

/* Runs `sightline --db TMP/DB ARGS` where every %s in args is a file in TMP. */
static cli_result run_db(const char *db, const char *fmt, ...)
{
    char args[8192];
    int n = snprintf(args, sizeof args, "--db '%s/%s' ", tmp, db);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args + n, sizeof args - (size_t)n, fmt, ap);
    va_end(ap);
    return cli_run(args);
}

static void expect_ok(cli_result *r, const char *what)
{
    if (r->status != 0)
        fail_msg("%s: exit %d: %s", what, r->status, r->err);
}

static void expect_prefix(const cli_result *r, const char *prefix)
{
    if (strncmp(r->out, prefix, strlen(prefix)) != 0)
        fail_msg("stdout '%s' does not start with '%s' (stderr '%s')", r->out, prefix, r->err);
}

static void teach_both(const char *db)
{
    cli_result r = run_db(db, "-q teach sign across '%s/across1.avi' '%s/across2.avi' "
                              "'%s/across3.avi'", tmp, tmp, tmp);
    expect_ok(&r, "teach across");
    assert_string_equal(r.out, "taught sign 'across': 3 new examples, 3 in all\n");
    cli_result_free(&r);
    r = run_db(db, "-q teach sign rise '%s/rise1.avi' '%s/rise2.avi' '%s/rise3.avi'", tmp, tmp,
               tmp);
    expect_ok(&r, "teach rise");
    cli_result_free(&r);
}

static void test_teach_then_sign(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    const char *pic = asset_path("hands/open-hand.png");
    if (!pic) {
        skip();
        return;
    }
    teach_both("round.db");
    /* The open hand is the handshape of the letter B: taught from the
     * picture and two videos of it held still (one example alone gives the
     * classifier no spread to judge distances by). */
    char args[4400];
    snprintf(args, sizeof args, "-q teach letter B '%s' '%s/hold1.avi' '%s/hold2.avi'", pic, tmp,
             tmp);
    cli_result r = run_db("round.db", "%s", args);
    expect_ok(&r, "teach letter");
    assert_string_equal(r.out, "taught letter 'B': 3 new examples, 3 in all\n");
    cli_result_free(&r);

    r = run_db("round.db", "teach list");
    expect_ok(&r, "teach list");
    assert_int_equal(count_lines(r.out), 9);
    assert_non_null(strstr(r.out, "\tsign\tacross\t"));
    assert_non_null(strstr(r.out, "\tletter\tB\t1 frames\n"));
    cli_result_free(&r);

    /* New takes are recognised. */
    r = run_db("round.db", "-q sign '%s/across.avi'", tmp);
    expect_ok(&r, "sign across");
    expect_prefix(&r, "across (confidence ");
    assert_int_equal(count_lines(r.out), 1);
    cli_result_free(&r);
    r = run_db("round.db", "-q sign '%s/rise.avi'", tmp);
    expect_ok(&r, "sign rise");
    expect_prefix(&r, "rise (confidence ");
    cli_result_free(&r);
    /* Spoken for the hearing person: into a WAV here (no sound card). */
    snprintf(args, sizeof args, "-q sign '%s/rise.avi' --wav '%s/rise.wav'", tmp, tmp);
    r = run_db("round.db", "%s", args);
    expect_ok(&r, "sign --wav");
    cli_result_free(&r);
    snprintf(args, sizeof args, "%s/rise.wav", tmp);
    size_t wav_bytes = 0;
    unsigned char *wav = read_file_bytes(args, &wav_bytes);
    assert_non_null(wav);
    assert_true(wav_bytes > 44 + 2 * 22050 / 10); /* at least a tenth of a second */
    assert_memory_equal(wav, "RIFF", 4);
    free(wav);
    /* A hand held still is a fingerspelled letter, a word of its own. */
    r = run_db("round.db", "-q sign '%s/hold.avi'", tmp);
    expect_ok(&r, "sign hold");
    expect_prefix(&r, "B (spelled B, confidence ");
    cli_result_free(&r);

    r = run_db("round.db", "sign '%s/across.avi' --json", tmp);
    expect_ok(&r, "sign --json");
    assert_non_null(strstr(r.out, "\"text\":\"across\",\"items\":[{\"type\":\"sign\","
                                  "\"text\":\"across\""));
    assert_non_null(strstr(r.out, "\"frames\":25,\"frames_with_hands\":19"));
    assert_int_equal(count_lines(r.out), 1);
    cli_result_free(&r);
}

static void test_untaught_motion_is_unknown(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    cli_result r = run_db("one.db", "-q teach sign across '%s/across1.avi' '%s/across2.avi' "
                                    "'%s/across3.avi'", tmp, tmp, tmp);
    expect_ok(&r, "teach across");
    cli_result_free(&r);
    r = run_db("one.db", "-q sign '%s/rise.avi'", tmp);
    expect_ok(&r, "sign rise");
    expect_prefix(&r, "unknown (nearest across, confidence ");
    cli_result_free(&r);
    r = run_db("one.db", "sign '%s/rise.avi' --json", tmp);
    assert_non_null(strstr(r.out, "\"text\":\"\",\"items\":[{\"type\":\"unknown\""));
    cli_result_free(&r);
}

static void assert_one_line(const cli_result *r, int status, const char *phrase)
{
    if (r->status != status || count_lines(r->err) != 1 || !strstr(r->err, phrase))
        fail_msg("exit %d (want %d), stderr '%s' (want one line with '%s')", r->status, status,
                 r->err, phrase);
}

static void test_errors_leave_the_database_alone(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    /* Nothing taught. */
    cli_result r = run_db("err.db", "sign '%s/across.avi'", tmp);
    assert_one_line(&r, 2, "nothing taught yet");
    cli_result_free(&r);

    /* One good video and one that is not there: nothing is stored. */
    r = run_db("err.db", "-q teach sign across '%s/across1.avi' '%s/missing.avi'", tmp, tmp);
    assert_one_line(&r, 3, "missing.avi: no such file");
    cli_result_free(&r);
    /* A video cut short. */
    size_t size;
    unsigned char *bytes = read_file_bytes(tmp_file("across2.avi"), &size);
    assert_non_null(bytes);
    assert_int_equal(write_file_bytes(tmp_file("cut.avi"), bytes, size / 3), 0);
    free(bytes);
    r = run_db("err.db", "-q teach sign across '%s/across1.avi' '%s/cut.avi'", tmp, tmp);
    assert_true(r.status != 0);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "cut.avi"));
    cli_result_free(&r);
    /* No hand in the video. */
    r = run_db("err.db", "teach sign across '%s/empty.avi'", tmp);
    assert_one_line(&r, 3, "no hand found in 20 frames");
    cli_result_free(&r);
    r = run_db("err.db", "teach list");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    cli_result_free(&r);

    /* Names and arguments. */
    r = run_db("err.db", "teach letter AB '%s/hold.avi'", tmp);
    assert_one_line(&r, 2, "a letter is one character");
    cli_result_free(&r);
    r = run_db("err.db", "teach sign");
    assert_one_line(&r, 2, "needs a name");
    cli_result_free(&r);
    r = run_db("err.db", "teach sign hello");
    assert_one_line(&r, 2, "which videos?");
    cli_result_free(&r);
    r = run_db("err.db", "sign '%s/across.avi' --rate 9000", tmp);
    assert_one_line(&r, 2, "--rate");
    cli_result_free(&r);
}

static void test_camera_is_missing(void **state)
{
    (void)state;
    if (access("/dev/video0", F_OK) == 0) {
        skip();
        return;
    }
    REQUIRE_MODELS();
    cli_result r = run_db("cam.db", "teach sign hello --camera");
    assert_one_line(&r, 4, "sightline: no camera found");
    cli_result_free(&r);
    r = run_db("cam.db", "-q teach sign across '%s/across1.avi'", tmp);
    expect_ok(&r, "teach");
    cli_result_free(&r);
    r = run_db("cam.db", "sign --camera");
    assert_one_line(&r, 4, "sightline: no camera found");
    assert_string_equal(r.out, "");
    cli_result_free(&r);
}

static void test_forget_and_damaged_examples(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    teach_both("forget.db");
    cli_result r = run_db("forget.db", "teach forget sign rise");
    expect_ok(&r, "forget");
    assert_string_equal(r.out, "forgot sign 'rise' (3 examples)\n");
    cli_result_free(&r);
    r = run_db("forget.db", "teach forget sign rise");
    assert_one_line(&r, 2, "no sign named 'rise'");
    cli_result_free(&r);
    r = run_db("forget.db", "teach list");
    assert_int_equal(count_lines(r.out), 3);
    assert_null(strstr(r.out, "rise"));
    cli_result_free(&r);

    /* A recording damaged behind sightline's back: `sign` names it, `teach
     * list` still lists it so it can be forgotten. */
    sqlite3 *sq;
    assert_int_equal(sqlite3_open(tmp_file("forget.db"), &sq), SQLITE_OK);
    assert_int_equal(sqlite3_exec(sq, "UPDATE sign_examples SET landmarks = x'534c534701' "
                                      "WHERE id = (SELECT min(id) FROM sign_examples)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(sq);
    r = run_db("forget.db", "sign '%s/across.avi'", tmp);
    assert_one_line(&r, 5, "taught sign 'across' (id 1)");
    cli_result_free(&r);
    r = run_db("forget.db", "teach list");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "1\tsign\tacross\tunreadable\n"));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-SIGHTLINE\n", argv[0]);
        return 2;
    }
    cli_program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_teach_then_sign),
        cmocka_unit_test(test_untaught_motion_is_unknown),
        cmocka_unit_test(test_errors_leave_the_database_alone),
        cmocka_unit_test(test_camera_is_missing),
        cmocka_unit_test(test_forget_and_damaged_examples),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
