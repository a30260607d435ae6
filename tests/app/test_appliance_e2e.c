/* The appliance end to end under Xvfb: on a still picture of a street sign,
 * the scripted read key gives a spoken answer (a WAV in the audio sink) and
 * a screen on which the answer can be read back by OCR, with text to
 * background contrast of at least 7:1 measured from the pixels. The read
 * key is remapped in the profile (key.read F5). Also: the ask, meeting and
 * sign keys with what they need missing, and `sightline` with no command
 * with and without a display. */
#include "app/appliance_core.h"
#include "speech/speech.h"
#include "tests/support.h"
#include "vision/vision.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *program;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

#define WIN_W 1280
#define WIN_H 800

/* The answer area: below the preview, which takes the top 2/5 of the
 * window (app/appliance_screen.c), and above the status line. */
#define ANSWER_TOP (WIN_H * 2 / 5)
#define ANSWER_BOTTOM (WIN_H - 60)

static void test_read_key_end_to_end(void **state)
{
    (void)state;
    const char *sign_path = asset_path("samples/street-sign.png");
    if (!sign_path) {
        skip();
        return;
    }
    char sign[1024];
    snprintf(sign, sizeof sign, "%s", sign_path);
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char sink[1100], shot[1100], cmd[4096];
    snprintf(sink, sizeof sink, "%s/sink", dir);
    snprintf(shot, sizeof shot, "%s/shot.png", dir);
    assert_int_equal(mkdir(sink, 0700), 0);
    /* The read key comes from the profile (key.read), so "r" does nothing. */
    snprintf(cmd, sizeof cmd, "'%s' --db '%s/db.sqlite' -q profile set key.read F5", program,
             dir);
    char *out = NULL, *err = NULL;
    assert_int_equal(run_command(cmd, &out, &err), 0);
    free(out);
    free(err);
    snprintf(cmd, sizeof cmd,
             "xvfb-run -a -s '-screen 0 1280x800x24' '%s' --db '%s/db.sqlite' -q appliance "
             "--source 'still:%s' --window %dx%d --audio-sink '%s' "
             "--script 'r,F5,wait,shot:%s,q'",
             program, dir, sign, WIN_W, WIN_H, sink, shot);
    int rc = run_command(cmd, &out, &err);
    if (rc != 0)
        fprintf(stderr, "exit %d\nstdout: %s\nstderr: %s\n", rc, out ? out : "",
                err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);

    /* The acknowledgement and the answer were both spoken. */
    char pattern[1200];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/*-read.wav", sink);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 1);
    globfree(&g);
    snprintf(pattern, sizeof pattern, "%s/*-read-answer.wav", sink);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 1);
    pcm_s16 pcm = {0};
    assert_int_equal(wav_read(g.gl_pathv[0], &pcm, NULL), SL_OK);
    globfree(&g);
    double seconds = (double)pcm.frames / pcm.rate;
    /* "MAIN STREET Airport 12 km" at 175 words a minute: about 2-3 s. */
    assert_true(seconds > 1.0 && seconds < 8.0);
    int peak = 0;
    for (size_t i = 0; i < pcm.frames * (size_t)pcm.channels; i++)
        peak = abs(pcm.samples[i]) > peak ? abs(pcm.samples[i]) : peak;
    assert_true(peak > 3000);
    pcm_s16_free(&pcm);

    frame f = {0};
    assert_int_equal(frame_load_image(shot, &f, NULL), SL_OK);
    assert_int_equal(f.width, WIN_W);
    assert_int_equal(f.height, WIN_H);
    /* OCR the answer area only: the preview shows the sign too. */
    frame area = {0};
    assert_int_equal(frame_alloc(&area, WIN_W, ANSWER_BOTTOM - ANSWER_TOP, NULL), SL_OK);
    for (int y = 0; y < area.height; y++)
        memcpy(area.pixels + (size_t)y * area.stride,
               f.pixels + (size_t)(y + ANSWER_TOP) * f.stride, (size_t)WIN_W * 3);
    ocr_engine *ocr = NULL;
    assert_int_equal(ocr_open(NULL, &ocr, NULL), SL_OK);
    ocr_result r = {0};
    assert_int_equal(ocr_read_frame(ocr, &area, &r, NULL), SL_OK);
    char *text = ocr_result_text(&r);
    assert_non_null(text);
    fprintf(stderr, "screen reads: %s\n", text);
    assert_non_null(strstr(text, "MAIN STREET"));
    free(text);
    ocr_result_free(&r);
    ocr_close(ocr);

    /* Background: the most common colour of the answer area; text: the
     * most common colour among pixels far from it (anti-aliased edges are
     * mixtures and rarer than the glyphs' solid cores). */
    size_t n = (size_t)area.width * area.height;
    uint32_t *px = malloc(n * sizeof *px);
    assert_non_null(px);
    for (int y = 0; y < area.height; y++)
        for (int x = 0; x < area.width; x++) {
            const uint8_t *p = area.pixels + (size_t)y * area.stride + (size_t)x * 3;
            px[(size_t)y * area.width + x] = (uint32_t)(p[0] << 16) | (uint32_t)(p[1] << 8) | p[2];
        }
    qsort(px, n, sizeof *px, cmp_u32);
    long best_bg = 0, best_fg = 0;
    uint32_t bg = 0, fg = 0;
    for (int pass = 0; pass < 2; pass++) {
        appliance_rgb bgc0 = {(uint8_t)(bg >> 16), (uint8_t)(bg >> 8), (uint8_t)bg};
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && px[j] == px[i])
                j++;
            long run = (long)(j - i);
            appliance_rgb cc = {(uint8_t)(px[i] >> 16), (uint8_t)(px[i] >> 8), (uint8_t)px[i]};
            if (pass == 0 && run > best_bg)
                best_bg = run, bg = px[i];
            if (pass == 1 && run > best_fg && wcag_contrast(cc, bgc0) > 3.0)
                best_fg = run, fg = px[i];
            i = j;
        }
    }
    free(px);
    appliance_rgb bgc = {(uint8_t)(bg >> 16), (uint8_t)(bg >> 8), (uint8_t)bg};
    appliance_rgb fgc = {(uint8_t)(fg >> 16), (uint8_t)(fg >> 8), (uint8_t)fg};
    double contrast = wcag_contrast(fgc, bgc);
    fprintf(stderr, "text #%06x (%ld px) on #%06x (%ld px): contrast %.2f:1\n", fg, best_fg,
            bg, best_bg, contrast);
    assert_true(best_fg > 2000); /* real text, not a few stray pixels */
    assert_true(contrast >= 7.0);
    frame_free(&area);
    frame_free(&f);
    temp_dir_remove(dir);
}

static size_t count_files(const char *dir, const char *suffix)
{
    char pattern[1200];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/*-%s.wav", dir, suffix);
    if (glob(pattern, 0, NULL, &g) != 0)
        return 0;
    size_t n = g.gl_pathc;
    globfree(&g);
    return n;
}

/* Ask, meeting and sign with nothing they need: each says one line, and
 * the appliance goes on (the quit key still works). With --mic-file the
 * microphone is there, and Whisper is what is missing (the tests' models
 * folder is empty): the ask key then hears spoken commands instead. */
static void test_modes_say_what_is_missing(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char sink[1100], sink2[1100], wav[1100], cmd[4096];
    snprintf(sink, sizeof sink, "%s/sink", dir);
    snprintf(sink2, sizeof sink2, "%s/sink2", dir);
    snprintf(wav, sizeof wav, "%s/q.wav", dir);
    assert_int_equal(mkdir(sink, 0700), 0);
    assert_int_equal(mkdir(sink2, 0700), 0);
    /* What the microphone hears: a spoken command. */
    tts_options to;
    tts_options_default(&to);
    pcm_s16 q = {0};
    assert_int_equal(tts_synthesize("read this", &to, &q, NULL), SL_OK);
    double q_seconds = (double)q.frames / q.rate;
    assert_int_equal(wav_write(wav, &q, NULL), SL_OK);
    pcm_s16_free(&q);
    snprintf(cmd, sizeof cmd,
             "SIGHTLINE_HAND_MODELS='%s' xvfb-run -a -s '-screen 0 1280x800x24' '%s' --db "
             "'%s/db.sqlite' -q appliance --source test:smpte --window 640x480 --audio-sink '%s' "
             "--no-mic --script 'ask:200,m,s,wait:100,q'",
             dir, program, dir, sink);
    char *out = NULL, *err = NULL;
    int rc = run_command(cmd, &out, &err);
    if (rc != 0)
        fprintf(stderr, "exit %d\nstderr: %s\n", rc, err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
    assert_int_equal(count_files(sink, "no-microphone"), 2);
    assert_int_equal(count_files(sink, "no-hand-models"), 1);
    assert_int_equal(count_files(sink, "listening"), 0);
    assert_int_equal(count_files(sink, "quit"), 1);

    snprintf(cmd, sizeof cmd,
             "xvfb-run -a -s '-screen 0 1280x800x24' '%s' --db '%s/db.sqlite' -q appliance "
             "--source test:smpte --window 640x480 --audio-sink '%s' --mic-file '%s' "
             "--script 'ask:%d,wait,wait:300,wait,m,q'",
             program, dir, sink2, wav, (int)(1000 * q_seconds) + 300);
    rc = run_command(cmd, &out, &err);
    if (rc != 0)
        fprintf(stderr, "exit %d\nstderr: %s\n", rc, err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
    assert_int_equal(count_files(sink2, "no-microphone"), 0);
    if (voice_command_model_present(NULL)) {
        /* Without Whisper the ask key hears commands (pocketsphinx): the
         * spoken "read this" reads; the meeting still needs Whisper. */
        assert_int_equal(count_files(sink2, "listening"), 1);
        assert_int_equal(count_files(sink2, "read-answer"), 1);
        assert_int_equal(count_files(sink2, "no-whisper"), 1);
    } else {
        assert_int_equal(count_files(sink2, "no-whisper"), 2);
    }
    assert_int_equal(count_files(sink2, "quit"), 1);
    temp_dir_remove(dir);
}

/* No command and no display: the main help on stderr, exit 2, as always;
 * a DISPLAY that cannot be opened counts as none. */
static void test_no_command_without_display(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    const char *envs[] = {"env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER",
                          "env -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER DISPLAY=:59999"};
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "%s '%s' --db '%s/db.sqlite'", envs[i], program, dir);
        char *out = NULL, *err = NULL;
        assert_int_equal(run_command(cmd, &out, &err), 2);
        assert_string_equal(out ? out : "", "");
        assert_non_null(err);
        assert_true(strncmp(err, "usage: sightline", 16) == 0);
        assert_non_null(strstr(err, "Commands:"));
        assert_non_null(strstr(err, "appliance"));
        free(out);
        free(err);
    }
    temp_dir_remove(dir);
}

/* No command with a display starts the appliance; on a machine without a
 * camera it stops at once saying so (exit 4), which shows the branch taken.
 * Skipped where a camera exists (the appliance would stay open). */
static void test_no_command_with_display(void **state)
{
    (void)state;
    if (access("/dev/video0", F_OK) == 0) {
        skip();
        return;
    }
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "xvfb-run -a -s '-screen 0 640x480x24' env -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "
             "'%s' --db '%s/db.sqlite'",
             program, dir);
    char *out = NULL, *err = NULL;
    assert_int_equal(run_command(cmd, &out, &err), 4);
    assert_non_null(err);
    assert_non_null(strstr(err, "no camera"));
    assert_null(strstr(err, "usage: sightline"));
    free(out);
    free(err);
    temp_dir_remove(dir);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SIGHTLINE\n", argv[0]);
        return 2;
    }
    program = argv[1];
    if (system("command -v Xvfb >/dev/null 2>&1 && command -v xvfb-run >/dev/null 2>&1") != 0) {
        fprintf(stderr, "Xvfb or xvfb-run is not installed: only the no-display test runs\n");
        const struct CMUnitTest no_display[] = {
            cmocka_unit_test(test_no_command_without_display),
        };
        return cmocka_run_group_tests(no_display, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_command_without_display),
        cmocka_unit_test(test_no_command_with_display),
        cmocka_unit_test(test_read_key_end_to_end),
        cmocka_unit_test(test_modes_say_what_is_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
