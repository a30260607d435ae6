/* sightline hands: landmarks of pictures and videos, the overlay, and the
 * one-line errors for missing files, corrupt videos and a missing camera. */
#include "tests/app/cli_test.h"
#include "tests/app/hand_video.h"
#include "tests/app/hands_cli_test.h"
#include "vision/frame_source.h"

#include <stdint.h>
#include <unistd.h>

const char *cli_program;

static char *tmp;

static int group_setup(void **state)
{
    (void)state;
    tmp = temp_dir_create();
    return tmp ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    temp_dir_remove(tmp);
    return 0;
}

static const char *tmp_file(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    return path;
}

/* The asset's path, or NULL (the test skips). */
static char *asset(const char *rel)
{
    const char *p = asset_path(rel);
    return p ? strdup(p) : NULL;
}

#define REQUIRE_MODELS()                                                                   \
    if (!hand_models_available()) {                                                        \
        skip();                                                                            \
        return;                                                                            \
    }

static void test_picture_json_has_21_landmarks_per_hand(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    static const struct {
        const char *file;
        int hands;
    } pictures[] = {{"hands/open-hand.png", 1}, {"hands/two-hands.png", 2}};
    for (size_t i = 0; i < sizeof pictures / sizeof pictures[0]; i++) {
        char *pic = asset(pictures[i].file);
        if (!pic) {
            skip();
            return;
        }
        char args[4400];
        snprintf(args, sizeof args, "hands '%s' --json", pic);
        cli_result r = cli_run(args);
        if (r.status != 0)
            fail_msg("%s: exit %d: %s", pictures[i].file, r.status, r.err);
        int counts[4] = {0};
        int n = json_landmark_counts(r.out, counts, 4, 640, 480);
        assert_int_equal(n, pictures[i].hands);
        for (int h = 0; h < n; h++)
            assert_int_equal(counts[h], 21);
        assert_non_null(strstr(r.out, "\"width\":640,\"height\":480"));
        assert_non_null(strstr(r.out, "\"frames_with_hands\":1"));
        /* One JSON document on one line; nothing on stderr with --json. */
        assert_int_equal(count_lines(r.out), 1);
        assert_string_equal(r.err, "");
        cli_result_free(&r);
        free(pic);
    }
}

static void test_picture_text(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    char *pic = asset("hands/open-hand.png");
    if (!pic) {
        skip();
        return;
    }
    char args[4400];
    snprintf(args, sizeof args, "-q hands '%s'", pic);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "1 hand\n  hand 1: ", 17) == 0);
    /* The count line, the hand's line and its 21 landmarks. */
    assert_int_equal(count_lines(r.out), 23);
    assert_non_null(strstr(r.out, "    wrist "));
    assert_non_null(strstr(r.out, "    pinky_tip "));
    assert_string_equal(r.err, "");
    cli_result_free(&r);
    free(pic);
}

static long count_colour(const frame *f, uint8_t r, uint8_t g, uint8_t b)
{
    long n = 0;
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            const uint8_t *p = frame_pixel(f, x, y);
            n += p[0] == r && p[1] == g && p[2] == b;
        }
    return n;
}

static void test_overlay_draws_the_landmarks(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    char *pic = asset("hands/two-hands.png");
    if (!pic) {
        skip();
        return;
    }
    char *out = strdup(tmp_file("overlay.png"));
    char args[9000];
    snprintf(args, sizeof args, "-q hands '%s' --overlay '%s'", pic, out);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    frame before, after;
    sl_error err;
    assert_int_equal(frame_load_image(pic, &before, &err), SL_OK);
    assert_int_equal(frame_load_image(out, &after, &err), SL_OK);
    assert_int_equal(after.width, before.width);
    assert_int_equal(after.height, before.height);
    /* hands_draw's joint dots (230, 30, 30): none in the drawing, 2 x 21
     * dots of up to 29 pixels each (some overlap) after. */
    assert_int_equal(count_colour(&before, 230, 30, 30), 0);
    long dots = count_colour(&after, 230, 30, 30);
    assert_true(dots >= 2 * 21 * 10);
    assert_true(dots <= 2 * 21 * 29);
    frame_free(&before);
    frame_free(&after);

    /* An overlay that cannot be written is an error naming it. */
    snprintf(args, sizeof args, "hands '%s' --overlay '%s'", pic,
             tmp_file("no/such/dir/o.png"));
    r = cli_run(args);
    assert_int_equal(r.status, 3);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "no/such/dir/o.png"));
    cli_result_free(&r);
    free(out);
    free(pic);
}

static void test_video_tracks_the_hand(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    char *video = strdup(tmp_file("rise.avi"));
    hand_video_write(video, HAND_RISE, 12, 3, 5);
    char args[4400];
    snprintf(args, sizeof args, "hands '%s' --json", video);
    cli_result r = cli_run(args);
    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    int counts[32] = {0};
    int n = json_landmark_counts(r.out, counts, 32, 320, 240);
    /* One hand in each of the 12 frames that show it, none in the 6 blank. */
    assert_int_equal(n, 12);
    for (int h = 0; h < n; h++)
        assert_int_equal(counts[h], 21);
    assert_non_null(strstr(r.out, "\"index\":17,"));
    assert_null(strstr(r.out, "\"index\":18,"));
    assert_non_null(strstr(r.out, "\"frames_with_hands\":12"));
    /* After the first frame, the hand is followed, not searched for. */
    assert_non_null(strstr(r.out, "\"tracked\":true"));
    cli_result_free(&r);

    /* --frames stops early. */
    snprintf(args, sizeof args, "hands '%s' --json --frames 5", video);
    r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"index\":4,"));
    assert_null(strstr(r.out, "\"index\":5,"));
    cli_result_free(&r);
    free(video);
}

static void test_camera_is_missing(void **state)
{
    (void)state;
    /* No /dev/video* on the machines this runs on; where there is a camera
     * the test has nothing to check. */
    if (access("/dev/video0", F_OK) == 0) {
        skip();
        return;
    }
    cli_result r = cli_run("hands --camera");
    assert_int_equal(r.status, 4);
    assert_int_equal(count_lines(r.err), 1);
    assert_true(strncmp(r.err, "sightline: no camera found", 26) == 0);
    assert_string_equal(r.out, "");
    cli_result_free(&r);
}

static void test_bad_input_is_one_line(void **state)
{
    (void)state;
    REQUIRE_MODELS();
    /* Missing file. */
    cli_result r = cli_run("hands /no/such/clip.mp4");
    assert_int_equal(r.status, 3);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "/no/such/clip.mp4: no such file"));
    cli_result_free(&r);

    /* A text file. */
    const char *text = tmp_file("notes.txt");
    assert_int_equal(write_file_bytes(text, "hello\n", 6), 0);
    char args[4400];
    snprintf(args, sizeof args, "hands '%s'", text);
    r = cli_run(args);
    assert_int_equal(r.status, 3);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "notes.txt"));
    cli_result_free(&r);

    /* A video cut short, and one whose frames are overwritten with junk. */
    char *video = strdup(tmp_file("whole.avi"));
    hand_video_write(video, HAND_ACROSS, 10, 0, 3);
    size_t size;
    unsigned char *bytes = read_file_bytes(video, &size);
    assert_non_null(bytes);
    const char *cut = tmp_file("cut.avi");
    assert_int_equal(write_file_bytes(cut, bytes, 300), 0);
    snprintf(args, sizeof args, "hands '%s'", cut);
    r = cli_run(args);
    assert_true(r.status != 0);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "cut.avi"));
    cli_result_free(&r);
    for (size_t i = 200; i < size; i++)
        bytes[i] = (unsigned char)(i * 7);
    const char *junk = tmp_file("junk.avi");
    assert_int_equal(write_file_bytes(junk, bytes, size), 0);
    snprintf(args, sizeof args, "hands '%s'", junk);
    r = cli_run(args);
    assert_true(r.status != 0);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "junk.avi"));
    cli_result_free(&r);
    free(bytes);
    free(video);
}

static void test_usage_and_models(void **state)
{
    (void)state;
    cli_result r = cli_run("hands");
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);
    r = cli_run("hands a.png --camera");
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
    r = cli_run("hands a.png --frames 0");
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
    r = cli_run("hands --help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: sightline hands"));
    cli_result_free(&r);

    /* Models missing: exit 6, and the message says how to get them. */
    char *pic = asset("hands/open-hand.png");
    if (!pic) {
        skip();
        return;
    }
    char args[4400];
    snprintf(args, sizeof args, "hands '%s'", pic);
    char *saved = getenv("SIGHTLINE_HAND_MODELS") ? strdup(getenv("SIGHTLINE_HAND_MODELS"))
                                                  : NULL;
    setenv("SIGHTLINE_HAND_MODELS", tmp, 1);
    r = cli_run(args);
    if (saved)
        setenv("SIGHTLINE_HAND_MODELS", saved, 1);
    else
        unsetenv("SIGHTLINE_HAND_MODELS");
    free(saved);
    assert_int_equal(r.status, 6);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "fetch-hand-models.sh"));
    cli_result_free(&r);
    free(pic);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-SIGHTLINE\n", argv[0]);
        return 2;
    }
    cli_program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_picture_json_has_21_landmarks_per_hand),
        cmocka_unit_test(test_picture_text),
        cmocka_unit_test(test_overlay_draws_the_landmarks),
        cmocka_unit_test(test_video_tracks_the_hand),
        cmocka_unit_test(test_camera_is_missing),
        cmocka_unit_test(test_bad_input_is_one_line),
        cmocka_unit_test(test_usage_and_models),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
