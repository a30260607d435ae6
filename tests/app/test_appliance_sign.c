/* The appliance's sign mode end to end under Xvfb: signs taught with
 * `sightline teach` from videos of the drawn hand, then the appliance
 * watching another take (a video played as a camera) with sign mode on:
 * the sign is spoken (a WAV in the audio sink) and shown (OCR of the
 * screen). Needs the hand models and Xvfb; skips without them. */
#include "tests/app/hand_video.h"
#include "tests/app/hands_cli_test.h"
#include "tests/support.h"
#include "vision/vision.h"

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char program[4096];

static void run_ok(const char *cmd)
{
    char *out = NULL, *err = NULL;
    int rc = run_command(cmd, &out, &err);
    if (rc != 0)
        fail_msg("'%s': exit %d: %s", cmd, rc, err ? err : "");
    free(out);
    free(err);
}

static void test_sign_mode_speaks_and_shows_the_sign(void **state)
{
    (void)state;
    if (!hand_models_available()) {
        skip();
        return;
    }
    char *dir = temp_dir_create();
    assert_non_null(dir);
    static const struct {
        const char *name;
        hand_motion motion;
        int frames, blank;
        uint64_t seed;
    } videos[] = {
        {"across1.avi", HAND_ACROSS, 18, 3, 1}, {"across2.avi", HAND_ACROSS, 22, 3, 2},
        {"across3.avi", HAND_ACROSS, 20, 3, 3}, {"rise1.avi", HAND_RISE, 21, 3, 4},
        {"rise2.avi", HAND_RISE, 17, 3, 5},     {"rise3.avi", HAND_RISE, 23, 3, 6},
        {"across.avi", HAND_ACROSS, 19, 12, 7},
    };
    char path[1200], cmd[4096];
    for (size_t i = 0; i < sizeof videos / sizeof videos[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, videos[i].name);
        hand_video_write(path, videos[i].motion, videos[i].frames, videos[i].blank,
                         videos[i].seed);
    }
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' --db db.sqlite -q teach sign across across1.avi across2.avi "
             "across3.avi && '%s' --db db.sqlite -q teach sign rise rise1.avi rise2.avi rise3.avi",
             dir, program, program);
    run_ok(cmd);
    /* 43 frames at 4 a second (slow enough for the sanitized build to see
     * every one): the hand moves from 3 s to 7.8 s, and the pause after it
     * (8 frames) ends the sign at about 9.8 s. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir sink && xvfb-run -a -s '-screen 0 1280x800x24' '%s' --db db.sqlite "
             "-q appliance --source video:across.avi --video-fps 4 --window 800x600 "
             "--audio-sink sink --no-mic --script 's,wait:11500,shot:shot.png,s,q'",
             dir, program);
    run_ok(cmd);

    char pattern[1200];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/sink/*-sign-answer.wav", dir);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 1);
    globfree(&g);
    snprintf(pattern, sizeof pattern, "%s/sink/*-sign-o[nf]*.wav", dir);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 2);
    globfree(&g);

    /* The answer area (below the preview's 2/5 of the window). */
    snprintf(path, sizeof path, "%s/shot.png", dir);
    frame f = {0}, area = {0};
    assert_int_equal(frame_load_image(path, &f, NULL), SL_OK);
    assert_int_equal(frame_alloc(&area, f.width, f.height / 2, NULL), SL_OK);
    for (int y = 0; y < area.height; y++)
        memcpy(area.pixels + (size_t)y * area.stride,
               f.pixels + (size_t)(y + f.height * 2 / 5) * f.stride, (size_t)f.width * 3);
    ocr_engine *ocr = NULL;
    assert_int_equal(ocr_open(NULL, &ocr, NULL), SL_OK);
    ocr_result r = {0};
    assert_int_equal(ocr_read_frame(ocr, &area, &r, NULL), SL_OK);
    char *text = ocr_result_text(&r);
    assert_non_null(text);
    fprintf(stderr, "screen reads: %s\n", text);
    assert_non_null(strstr(text, "Signed: across"));
    free(text);
    ocr_result_free(&r);
    ocr_close(ocr);
    frame_free(&area);
    frame_free(&f);
    temp_dir_remove(dir);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SIGHTLINE\n", argv[0]);
        return 2;
    }
    /* The commands run from the test's folder. */
    if (!realpath(argv[1], program)) {
        fprintf(stderr, "%s: not found\n", argv[1]);
        return 2;
    }
    if (system("command -v Xvfb >/dev/null 2>&1 && command -v xvfb-run >/dev/null 2>&1") != 0) {
        fprintf(stderr, "Xvfb or xvfb-run is not installed: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_mode_speaks_and_shows_the_sign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
