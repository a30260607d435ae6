/* The appliance's display-free core: keys, the cancelling worker, wrapping
 * and scrolling, WCAG contrast of the themes. */
#include "app/appliance_core.h"
#include "tests/support.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_default_keys(void **state)
{
    (void)state;
    appliance_keymap km;
    appliance_keymap_default(&km);
    assert_int_equal(appliance_keymap_lookup(&km, "D"), APPLIANCE_DESCRIBE);
    assert_int_equal(appliance_keymap_lookup(&km, "d"), APPLIANCE_DESCRIBE);
    assert_int_equal(appliance_keymap_lookup(&km, "Space"), APPLIANCE_DESCRIBE);
    assert_int_equal(appliance_keymap_lookup(&km, "R"), APPLIANCE_READ);
    assert_int_equal(appliance_keymap_lookup(&km, "A"), APPLIANCE_ASK);
    assert_int_equal(appliance_keymap_lookup(&km, "S"), APPLIANCE_SIGN);
    assert_int_equal(appliance_keymap_lookup(&km, "M"), APPLIANCE_MEETING);
    assert_int_equal(appliance_keymap_lookup(&km, "."), APPLIANCE_REPEAT);
    assert_int_equal(appliance_keymap_lookup(&km, "Escape"), APPLIANCE_STOP);
    assert_int_equal(appliance_keymap_lookup(&km, "+"), APPLIANCE_FASTER);
    assert_int_equal(appliance_keymap_lookup(&km, "-"), APPLIANCE_SLOWER);
    assert_int_equal(appliance_keymap_lookup(&km, "H"), APPLIANCE_HELP);
    assert_int_equal(appliance_keymap_lookup(&km, "F1"), APPLIANCE_HELP);
    assert_int_equal(appliance_keymap_lookup(&km, "Q"), APPLIANCE_QUIT);
    assert_int_equal(appliance_keymap_lookup(&km, "Z"), APPLIANCE_NONE);
    assert_int_equal(appliance_keymap_lookup(&km, NULL), APPLIANCE_NONE);
    assert_string_equal(appliance_action_ack(APPLIANCE_READ), "reading");
    assert_string_equal(appliance_action_ack(APPLIANCE_DESCRIBE), "describing");
    for (int a = 1; a < APPLIANCE_ACTION_COUNT; a++)
        assert_int_equal(appliance_action_from_name(appliance_action_name((appliance_action)a)), a);
    assert_int_equal(appliance_action_from_name("dance"), APPLIANCE_NONE);
}

static void test_remap(void **state)
{
    (void)state;
    appliance_keymap km;
    appliance_keymap_default(&km);
    int before = km.count;
    assert_int_equal(appliance_keymap_bind(&km, "R", APPLIANCE_DESCRIBE, NULL), SL_OK);
    assert_int_equal(km.count, before);
    assert_int_equal(appliance_keymap_lookup(&km, "r"), APPLIANCE_DESCRIBE);
    assert_int_equal(appliance_keymap_bind(&km, "Return", APPLIANCE_READ, NULL), SL_OK);
    assert_int_equal(appliance_keymap_lookup(&km, "Return"), APPLIANCE_READ);
    sl_error err = {0};
    assert_int_equal(appliance_keymap_bind(&km, "", APPLIANCE_READ, &err), SL_ERR_ARG);
    assert_int_equal(appliance_keymap_bind(&km, "AVeryLongKeyNameIndeed", APPLIANCE_READ, &err),
                     SL_ERR_ARG);
    char *help = appliance_keymap_help(&km);
    assert_non_null(help);
    assert_non_null(strstr(help, "Return read"));
    assert_non_null(strstr(help, "period repeat"));
    assert_non_null(strstr(help, "Q quit."));
    free(help);
}

/* The profile's key.ACTION: the new key is the action's only key, and it
 * leaves the action it had. */
static void test_profile_remap(void **state)
{
    (void)state;
    appliance_keymap km;
    appliance_keymap_default(&km);
    int before = km.count;
    sl_error err = {0};
    assert_int_equal(appliance_keymap_remap(&km, APPLIANCE_DESCRIBE, "F5", &err), SL_OK);
    assert_int_equal(appliance_keymap_lookup(&km, "F5"), APPLIANCE_DESCRIBE);
    assert_int_equal(appliance_keymap_lookup(&km, "D"), APPLIANCE_NONE);
    assert_int_equal(appliance_keymap_lookup(&km, "Space"), APPLIANCE_NONE);
    assert_int_equal(km.count, before - 1);
    /* "H" was help's: it moves to ask; F1 still helps; "A" is free. */
    assert_int_equal(appliance_keymap_remap(&km, APPLIANCE_ASK, "h", &err), SL_OK);
    assert_int_equal(appliance_keymap_lookup(&km, "H"), APPLIANCE_ASK);
    assert_int_equal(appliance_keymap_lookup(&km, "A"), APPLIANCE_NONE);
    assert_int_equal(appliance_keymap_lookup(&km, "F1"), APPLIANCE_HELP);
    assert_int_equal(appliance_keymap_lookup(&km, "R"), APPLIANCE_READ);
    char *help = appliance_keymap_help(&km);
    assert_non_null(help);
    assert_non_null(strstr(help, "F5 describe;"));
    assert_non_null(strstr(help, "h ask;"));
    assert_non_null(strstr(help, "F1 help;"));
    free(help);
    assert_int_equal(appliance_keymap_remap(&km, APPLIANCE_NONE, "F6", &err), SL_ERR_ARG);
    assert_int_equal(appliance_keymap_remap(&km, APPLIANCE_READ, "", &err), SL_ERR_ARG);
    assert_int_equal(appliance_keymap_lookup(&km, "R"), APPLIANCE_READ);
    /* The profile's defaults are these keys. */
    assert_string_equal(appliance_action_default_key(APPLIANCE_DESCRIBE), "D");
    assert_string_equal(appliance_action_default_key(APPLIANCE_STOP), "Escape");
    assert_string_equal(appliance_action_default_key(APPLIANCE_REPEAT), ".");
    assert_null(appliance_action_default_key(APPLIANCE_NONE));
}

/* A slow job in 10 stages of 20 ms; it notes whether it saw the cancel. */
typedef struct slow_arg {
    const char *answer;
    int stages_run;
    int *finished; /* set to stages_run when done */
    int *freed;
} slow_arg;

static char *slow_job(void *p, const appliance_job_ctx *ctx)
{
    slow_arg *a = p;
    for (int i = 0; i < 10; i++) {
        if (appliance_job_cancelled(ctx))
            break;
        sleep_ms(20);
        a->stages_run++;
    }
    *a->finished = a->stages_run;
    return strdup(a->answer);
}

static void slow_free(void *p)
{
    slow_arg *a = p;
    (*a->freed)++;
    free(a);
}

static slow_arg *slow_new(const char *answer, int *finished, int *freed)
{
    slow_arg *a = calloc(1, sizeof *a);
    a->answer = answer;
    a->finished = finished;
    a->freed = freed;
    *finished = -1;
    return a;
}

static bool wait_result(appliance_worker *w, appliance_result *r, int ms)
{
    for (int t = 0; t < ms; t += 5) {
        if (appliance_worker_poll(w, r))
            return true;
        sleep_ms(5);
    }
    return false;
}

static void test_worker_newer_cancels_older(void **state)
{
    (void)state;
    appliance_worker *w = NULL;
    assert_int_equal(appliance_worker_start(&w, NULL), SL_OK);
    int fin1, fin2, fin3, freed = 0;
    uint64_t id1 = appliance_worker_submit(w, APPLIANCE_DESCRIBE, slow_job,
                                           slow_new("first", &fin1, &freed), slow_free);
    sleep_ms(50); /* the first job is running */
    assert_true(appliance_worker_busy(w));
    uint64_t id2 = appliance_worker_submit(w, APPLIANCE_READ, slow_job,
                                           slow_new("second", &fin2, &freed), slow_free);
    /* Replaces the second before it starts (the first is still winding down
     * or the second just began: either way only the third may answer). */
    uint64_t id3 = appliance_worker_submit(w, APPLIANCE_READ, slow_job,
                                           slow_new("third", &fin3, &freed), slow_free);
    assert_true(id1 < id2 && id2 < id3);
    appliance_result r;
    assert_true(wait_result(w, &r, 3000));
    assert_int_equal(r.id, id3);
    assert_int_equal(r.what, APPLIANCE_READ);
    assert_string_equal(r.text, "third");
    free(r.text);
    /* The first stopped early at a stage boundary, the third ran fully. */
    assert_true(fin1 >= 1 && fin1 < 10);
    assert_int_equal(fin3, 10);
    assert_true(fin2 < 10);
    assert_int_equal(freed, 3);
    assert_int_equal(appliance_worker_dropped(w), 2);
    assert_false(appliance_worker_busy(w));
    assert_false(appliance_worker_poll(w, &r));
    appliance_worker_stop(w);
}

static void test_worker_stop_key_and_shutdown(void **state)
{
    (void)state;
    appliance_worker *w = NULL;
    assert_int_equal(appliance_worker_start(&w, NULL), SL_OK);
    int fin, freed = 0;
    appliance_worker_submit(w, APPLIANCE_DESCRIBE, slow_job, slow_new("x", &fin, &freed),
                            slow_free);
    sleep_ms(30);
    appliance_worker_cancel(w);
    for (int t = 0; t < 2000 && appliance_worker_busy(w); t += 5)
        sleep_ms(5);
    assert_false(appliance_worker_busy(w));
    appliance_result r;
    assert_false(appliance_worker_poll(w, &r));
    assert_true(fin < 10);
    assert_int_equal(appliance_worker_dropped(w), 1);
    /* Stopping with a job running cancels it and frees its argument. */
    appliance_worker_submit(w, APPLIANCE_DESCRIBE, slow_job, slow_new("y", &fin, &freed),
                            slow_free);
    sleep_ms(30);
    appliance_worker_stop(w);
    assert_int_equal(freed, 2);
    assert_true(fin < 10);
}

/* Every byte is 10 pixels wide. */
static int mono(const char *text, size_t n, void *ctx)
{
    (void)text;
    (void)ctx;
    return (int)n * 10;
}

static void test_wrap(void **state)
{
    (void)state;
    const char *t = "MAIN STREET  turn left here\nextraordinarily";
    appliance_line lines[16];
    int n = appliance_wrap(t, 110, mono, NULL, lines, 16); /* 11 characters a line */
    const char *want[] = {"MAIN STREET", "turn left", "here", "extraordina", "rily"};
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++) {
        assert_int_equal(lines[i].length, strlen(want[i]));
        assert_memory_equal(t + lines[i].offset, want[i], lines[i].length);
        assert_true(mono(NULL, lines[i].length, NULL) <= 110);
    }
    /* Fewer slots than lines: the count is still the total. */
    assert_int_equal(appliance_wrap(t, 110, mono, NULL, lines, 2), 5);
    assert_int_equal(appliance_wrap("", 110, mono, NULL, lines, 16), 0);
    /* UTF-8 characters are not split: "é" is 2 bytes = 20 px. */
    n = appliance_wrap("\xc3\xa9\xc3\xa9\xc3\xa9", 30, mono, NULL, lines, 16);
    assert_int_equal(n, 3);
    assert_int_equal(lines[0].length, 2);
    assert_int_equal(appliance_scroll(0, 3, 10, 4), 3);
    assert_int_equal(appliance_scroll(5, 10, 10, 4), 6);
    assert_int_equal(appliance_scroll(2, -5, 10, 4), 0);
    assert_int_equal(appliance_scroll(0, 1, 3, 4), 0);
}

static void test_contrast(void **state)
{
    (void)state;
    appliance_rgb black = {0, 0, 0}, white = {255, 255, 255}, grey = {119, 119, 119};
    assert_float_equal(wcag_contrast(black, white), 21.0, 1e-9);
    assert_float_equal(wcag_contrast(white, black), 21.0, 1e-9);
    assert_float_equal(wcag_contrast(white, white), 1.0, 1e-12);
    /* #777 on white is WCAG's well-known 4.48:1. */
    assert_float_equal(wcag_contrast(grey, white), 4.48, 0.01);
    const char *themes[] = {"yellow-on-black", "white-on-black", "black-on-white"};
    for (int i = 0; i < 3; i++) {
        appliance_rgb fg, bg;
        assert_int_equal(appliance_theme_colors(themes[i], &fg, &bg, NULL), SL_OK);
        assert_true(wcag_contrast(fg, bg) >= 7.0);
    }
    appliance_rgb fg, bg;
    sl_error err = {0};
    assert_int_equal(appliance_theme_colors("pink", &fg, &bg, &err), SL_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_keys),
        cmocka_unit_test(test_remap),
        cmocka_unit_test(test_profile_remap),
        cmocka_unit_test(test_worker_newer_cancels_older),
        cmocka_unit_test(test_worker_stop_key_and_shutdown),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_contrast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
