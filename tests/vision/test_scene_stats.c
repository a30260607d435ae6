/* Brightness and colour names on pictures whose answer is known: painted
 * frames and a sample photo. */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support.h"
#include "vision/vision.h"

static void paint(frame *f, int x0, int x1, uint8_t r, uint8_t g, uint8_t b)
{
    for (int y = 0; y < f->height; y++)
        for (int x = x0; x < x1; x++) {
            uint8_t *p = frame_pixel(f, x, y);
            p[0] = r, p[1] = g, p[2] = b;
        }
}

static void test_colour_names(void **state)
{
    (void)state;
    assert_string_equal(scene_colour_name(0, 0, 0), "black");
    assert_string_equal(scene_colour_name(255, 255, 255), "white");
    assert_string_equal(scene_colour_name(128, 128, 128), "grey");
    assert_string_equal(scene_colour_name(220, 30, 30), "red");
    assert_string_equal(scene_colour_name(30, 180, 40), "green");
    assert_string_equal(scene_colour_name(30, 60, 220), "blue");
    assert_string_equal(scene_colour_name(20, 30, 100), "dark blue");
    assert_string_equal(scene_colour_name(250, 220, 20), "yellow");
    assert_string_equal(scene_colour_name(250, 140, 20), "orange");
    assert_string_equal(scene_colour_name(120, 70, 30), "brown");
    assert_string_equal(scene_colour_name(240, 100, 200), "pink");
    assert_string_equal(scene_colour_name(130, 40, 200), "purple");
}

static void test_shares_and_brightness(void **state)
{
    (void)state;
    frame f;
    assert_int_equal(frame_alloc(&f, 300, 200, NULL), SL_OK);
    paint(&f, 0, 150, 220, 30, 30);  /* red half */
    paint(&f, 150, 240, 30, 60, 220); /* blue, 30% */
    paint(&f, 240, 300, 0, 0, 0);    /* black, 20% */
    scene_stats s;
    scene_stats_compute(&f, &s);
    assert_int_equal(s.n_colours, 3);
    assert_string_equal(s.colours[0].name, "red");
    assert_string_equal(s.colours[1].name, "blue");
    assert_string_equal(s.colours[2].name, "black");
    assert_true(fabs(s.colours[0].share - 0.5) < 0.02);
    assert_true(fabs(s.colours[1].share - 0.3) < 0.02);
    assert_true(s.brightness > 0.05 && s.brightness < 0.3);

    paint(&f, 0, 300, 250, 250, 250);
    scene_stats_compute(&f, &s);
    assert_int_equal(s.n_colours, 1);
    assert_string_equal(s.colours[0].name, "white");
    assert_string_equal(scene_brightness_word(s.brightness), "very bright");
    assert_true(s.contrast < 1e-6);

    paint(&f, 0, 300, 10, 10, 10);
    scene_stats_compute(&f, &s);
    assert_string_equal(scene_brightness_word(s.brightness), "very dark");
    frame_free(&f);
}

/* The garden sample: mostly green, moderately lit, with detail. */
static void test_sample_photo(void **state)
{
    (void)state;
    frame f = {0};
    sl_error err = {0};
    assert_int_equal(frame_load_image(asset_path("samples/garden-photo.jpg"), &f, &err), SL_OK);
    scene_stats s;
    scene_stats_compute(&f, &s);
    print_message("garden: brightness %.2f (%s) contrast %.2f, %s %.0f%%\n", s.brightness,
                  scene_brightness_word(s.brightness), s.contrast,
                  s.n_colours ? s.colours[0].name : "-", s.n_colours ? 100 * s.colours[0].share : 0);
    assert_true(s.n_colours >= 1);
    assert_true(s.contrast > 0.02);
    frame_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colour_names),
        cmocka_unit_test(test_shares_and_brightness),
        cmocka_unit_test(test_sample_photo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
