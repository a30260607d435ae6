/* OCR: character error rate on the sample pictures and on held-out pictures
 * of the same kinds (tests/vision/ocr_heldout, made by make-ocr-heldout.sh),
 * reading order, boxes, preprocessing decisions, languages and errors, and
 * silence on stderr. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support.h"
#include "tests/vision/cer.h"
#include "vision/ocr_layout.h"
#include "vision/vision.h"

static ocr_engine *engine;

static int open_engine(void **state)
{
    (void)state;
    sl_error err;
    if (ocr_open("eng", &engine, &err) != SL_OK) {
        fprintf(stderr, "ocr_open: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int close_engine(void **state)
{
    (void)state;
    ocr_close(engine);
    engine = NULL;
    return 0;
}

static char *slurp(const char *path)
{
    size_t n;
    unsigned char *b = read_file_bytes(path, &n);
    if (!b)
        return NULL;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, b, n);
    s[n] = 0;
    free(b);
    return s;
}

static void load(const char *path, frame *f)
{
    sl_error err;
    sl_status st = frame_load_image(path, f, &err);
    if (st != SL_OK)
        fail_msg("%s: %s", path, err.msg);
}

static void read_picture(const char *path, frame *f, ocr_result *r)
{
    load(path, f);
    sl_error err;
    sl_status st = ocr_read_frame(engine, f, r, &err);
    if (st != SL_OK)
        fail_msg("%s: %s", path, err.msg);
}

/* Every line: non-empty, no newline, confidence in range, box inside the
 * frame and not degenerate. */
static void check_lines(const char *name, const frame *f, const ocr_result *r)
{
    for (size_t i = 0; i < r->count; i++) {
        const ocr_line *l = &r->lines[i];
        assert_non_null(l->text);
        if (!l->text[0] || strchr(l->text, '\n'))
            fail_msg("%s: line %zu is empty or holds a newline", name, i);
        assert_true(l->confidence >= 0 && l->confidence <= 100);
        if (l->x < 0 || l->y < 0 || l->w < 1 || l->h < 1 || l->x + l->w > f->width ||
            l->y + l->h > f->height)
            fail_msg("%s: line %zu '%s' box %d,%d %dx%d outside the %dx%d picture", name, i,
                     l->text, l->x, l->y, l->w, l->h, f->width, f->height);
    }
}

static size_t code_points(const char *s)
{
    size_t n;
    unsigned *cp = cer_normalise(s, &n);
    assert_non_null(cp);
    free(cp);
    return n;
}

/* Reads every picture of DIR/MANIFEST and checks it against its class. */
static void check_dir(const char *dir)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    FILE *fp = fopen(path, "r");
    if (!fp)
        fail_msg("%s: missing", path);
    char line[512];
    int pictures = 0, failures = 0;
    while (fgets(line, sizeof line, fp)) {
        char name[256], klass[32];
        if (line[0] == '#' || sscanf(line, "%255s %31s", name, klass) != 2)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        char txt[2048];
        snprintf(txt, sizeof txt, "%s/%s", dir, name);
        strcpy(strrchr(txt, '.'), ".txt");
        char *expected = slurp(txt);
        assert_non_null(expected);
        frame f = {0};
        ocr_result r;
        read_picture(path, &f, &r);
        check_lines(name, &f, &r);
        char *got = ocr_result_text(&r);
        assert_non_null(got);
        bool ok;
        if (strcmp(klass, "notext") == 0) {
            /* "No (or almost no) text": at most a stray mark. */
            size_t n = code_points(got);
            ok = n <= 3;
            print_message("%-28s %-8s %zu characters read\n", name, klass, n);
        } else {
            double limit = strcmp(klass, "clean") == 0 ? 0.05 : 0.15;
            assert_true(strcmp(klass, "clean") == 0 || strcmp(klass, "degraded") == 0);
            double c = cer(expected, got);
            ok = c >= 0 && c <= limit;
            print_message("%-28s %-8s CER %5.2f%% (limit %.0f%%)\n", name, klass, 100 * c,
                          100 * limit);
        }
        if (!ok) {
            for (char *q = got; *q; q++)
                if (*q == '\n')
                    *q = '|';
            print_message("  FAILED: read \"%s\"\n", got);
            failures++;
        }
        pictures++;
        free(got);
        free(expected);
        ocr_result_free(&r);
        frame_free(&f);
    }
    fclose(fp);
    assert_true(pictures >= 8);
    assert_int_equal(failures, 0);
}

static void test_samples(void **state)
{
    (void)state;
    const char *dir = asset_path("samples");
    assert_non_null(dir);
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", dir);
    check_dir(copy);
}

static void test_heldout(void **state)
{
    (void)state;
    const char *dir = source_path("tests/vision/ocr_heldout");
    assert_non_null(dir);
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", dir);
    check_dir(copy);
}

static const char *heldout(const char *name)
{
    static char path[1024];
    const char *dir = source_path("tests/vision/ocr_heldout");
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static ptrdiff_t find_line(const ocr_result *r, const char *needle)
{
    for (size_t i = 0; i < r->count; i++)
        if (strstr(r->lines[i].text, needle))
            return (ptrdiff_t)i;
    return -1;
}

/* A page in two columns: the left column is read to its end before the
 * right one starts; boxes sit where the text was drawn (the generator puts
 * the title centred at the top, the left column at x = 24, the right one at
 * x = 262, lines 26 pixels apart from y = 70). */
static void test_two_columns(void **state)
{
    (void)state;
    frame f = {0};
    ocr_result r;
    read_picture(heldout("two-column-page.png"), &f, &r);
    check_lines("two-column-page", &f, &r);
    ptrdiff_t title = find_line(&r, "Library News");
    ptrdiff_t left_first = find_line(&r, "library opens");
    ptrdiff_t left_last = find_line(&r, "three weeks");
    ptrdiff_t right_first = find_line(&r, "Large print");
    ptrdiff_t right_last = find_line(&r, "reading room");
    assert_true(title >= 0 && left_first >= 0 && left_last >= 0 && right_first >= 0 &&
                right_last >= 0);
    assert_true(title < left_first);
    assert_true(left_first < left_last);
    assert_true(left_last < right_first);
    assert_true(right_first < right_last);
    const ocr_line *t = &r.lines[title];
    assert_true(t->y < 50);
    assert_true(abs(t->x + t->w / 2 - f.width / 2) < 30);
    for (ptrdiff_t i = left_first; i <= left_last; i++) {
        const ocr_line *l = &r.lines[i];
        assert_true(abs(l->x - 24) <= 6);
        assert_true(l->x + l->w < 262);
        assert_true(abs(l->y - (70 + 26 * (int)(i - left_first))) <= 8);
    }
    for (ptrdiff_t i = right_first; i <= right_last; i++) {
        const ocr_line *l = &r.lines[i];
        assert_true(abs(l->x - 262) <= 6);
        assert_true(abs(l->y - (70 + 26 * (int)(i - right_first))) <= 8);
    }
    ocr_result_free(&r);
    frame_free(&f);
}

/* Two short columns that Tesseract reads as one block of long lines: the
 * lines are cut at the gutter and the left column comes first. */
static void test_short_columns(void **state)
{
    (void)state;
    frame f = {0};
    ocr_result r;
    read_picture(heldout("train-notice-columns.png"), &f, &r);
    check_lines("train-notice-columns", &f, &r);
    static const char *const order[] = {"Trains to", "every hour", "Tickets", "on board",
                                        "Bicycles", "busy hours", "book a space", "journey"};
    ptrdiff_t prev = -1;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        ptrdiff_t k = find_line(&r, order[i]);
        if (k <= prev)
            fail_msg("'%s' is line %td, after line %td", order[i], k, prev);
        const ocr_line *l = &r.lines[k];
        assert_true(i < 4 ? l->x + l->w < 265 : l->x >= 265);
        prev = k;
    }
    assert_int_equal(r.count, 8);
    ocr_result_free(&r);
    frame_free(&f);
}

/* A receipt: each price is read on the line of its item, and that line's
 * box spans from the item (x = 20) to the price (ending 20 from the right). */
static void test_receipt_rows(void **state)
{
    (void)state;
    frame f = {0};
    ocr_result r;
    read_picture(heldout("market-receipt.png"), &f, &r);
    check_lines("market-receipt", &f, &r);
    static const char *const rows[] = {"Oat milk 1.85", "Rye bread 2.60", "Olive oil 6.45",
                                       "Dark chocolate 2.10", "Apples 3.20", "SUM EUR 17.19"};
    ptrdiff_t prev = -1;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ptrdiff_t k = find_line(&r, rows[i]);
        if (k < 0)
            fail_msg("receipt: no line holds '%s'", rows[i]);
        assert_true(k > prev);
        prev = k;
        const ocr_line *l = &r.lines[k];
        assert_true(abs(l->x - 20) <= 6);
        assert_true(abs(l->x + l->w - (f.width - 20)) <= 6);
        assert_true(l->h < 30);
    }
    ocr_result_free(&r);
    frame_free(&f);
}

/* Boxes on a turned picture map back through the deskew: the notice turned
 * by -3.5 degrees (ImageMagick: counter-clockwise, canvas grown to fit) has
 * each line's box centre where the rotation puts the centre of the same line
 * of the upright notice. */
static void test_rotated_boxes(void **state)
{
    (void)state;
    frame f0 = {0}, f1 = {0};
    ocr_result r0, r1;
    read_picture(heldout("allergy-notice.png"), &f0, &r0);
    read_picture(heldout("allergy-notice-rotated.jpg"), &f1, &r1);
    check_lines("allergy-notice-rotated", &f1, &r1);
    assert_int_equal(r0.count, 4);
    assert_int_equal(r1.count, 4);
    double a = -3.5 * 3.14159265358979 / 180.0, c = cos(a), s = sin(a);
    for (size_t i = 0; i < 4; i++) {
        const ocr_line *p = &r0.lines[i], *q = &r1.lines[i];
        double dx = p->x + p->w / 2.0 - f0.width / 2.0, dy = p->y + p->h / 2.0 - f0.height / 2.0;
        double ex = f1.width / 2.0 + c * dx - s * dy, ey = f1.height / 2.0 + s * dx + c * dy;
        double gx = q->x + q->w / 2.0, gy = q->y + q->h / 2.0;
        if (fabs(gx - ex) > 8 || fabs(gy - ey) > 6)
            fail_msg("line %zu centre at %.0f,%.0f, expected %.0f,%.0f", i, gx, gy, ex, ey);
        /* The box of a turned line is taller than the upright one by about
         * its width times sin(3.5 degrees), not more. */
        assert_true(q->h <= p->h + (int)(0.07 * p->w) + 8);
    }
    ocr_result_free(&r0), ocr_result_free(&r1);
    frame_free(&f0), frame_free(&f1);
}

/* The preparation steps decide from the picture: small print is enlarged,
 * letters of 30 points and more are not; light letters on dark are inverted; a turned page is
 * turned back by about its angle. */
static void test_preparation(void **state)
{
    (void)state;
    image_prep_options o = image_prep_defaults();
    frame f = {0};
    prepared_image p;
    sl_error err;

    load(heldout("tablet-box.png"), &f);
    assert_int_equal(image_prep_run(&f, &o, &p, &err), SL_OK);
    assert_true(p.scale > 1.25f);
    assert_true(p.text_height > 0 && p.text_height < 20);
    assert_false(p.inverted);
    assert_true(fabsf(p.angle_deg) < 0.5f);
    prepared_image_free(&p);
    frame_free(&f);

    /* The street sign: white letters on green, 30 and 46 points. */
    const char *sign = asset_path("samples/street-sign.png");
    assert_non_null(sign);
    load(sign, &f);
    assert_int_equal(image_prep_run(&f, &o, &p, &err), SL_OK);
    assert_true(p.scale == 1.0f);
    assert_true(p.inverted);
    prepared_image_free(&p);
    o.gray = false; /* colour kept: nothing is inverted */
    assert_int_equal(image_prep_run(&f, &o, &p, &err), SL_OK);
    assert_false(p.inverted);
    prepared_image_free(&p);
    frame_free(&f);
    o = image_prep_defaults();

    load(heldout("allergy-notice-rotated.jpg"), &f);
    assert_int_equal(image_prep_run(&f, &o, &p, &err), SL_OK);
    if (fabsf(fabsf(p.angle_deg) - 3.5f) > 0.6f)
        fail_msg("deskew found %.2f degrees, the picture is turned by 3.5", p.angle_deg);
    prepared_image_free(&p);
    o.deskew = false;
    assert_int_equal(image_prep_run(&f, &o, &p, &err), SL_OK);
    assert_true(p.angle_deg == 0.0f);
    prepared_image_free(&p);
    frame_free(&f);
}

/* Reading order on made-up boxes: a block of prices beside a block of items
 * becomes rows; two columns of running text stay apart, also when Tesseract
 * ran their lines together and they were cut at the gutter. */
static void test_layout_rules(void **state)
{
    (void)state;
    static const char *const items[] = {"Tea", "Cake", "Soup"};
    static const char *const prices[] = {"1.20", "3.40", "5.60"};
    ocr_layout_line in[6];
    for (int i = 0; i < 3; i++) {
        in[i] = (ocr_layout_line){{strdup(items[i]), 90, 10, 20 + 30 * i, 120, 20}, 0, 1, 0};
        in[3 + i] = (ocr_layout_line){{strdup(prices[i]), 60, 300, 22 + 30 * i, 40, 18}, 1, 1, 0};
    }
    ocr_result r;
    sl_error err;
    assert_int_equal(ocr_layout_order(in, 6, 1, &r, &err), SL_OK);
    assert_int_equal(r.count, 3);
    assert_string_equal(r.lines[0].text, "Tea 1.20");
    assert_string_equal(r.lines[2].text, "Soup 5.60");
    assert_int_equal(r.lines[1].x, 10);
    assert_int_equal(r.lines[1].w, 330);
    assert_true(fabsf(r.lines[1].confidence - 75.0f) < 0.01f);
    ocr_result_free(&r);
    for (int i = 0; i < 6; i++)
        free(in[i].line.text);

    /* Two columns of five-word lines: running text, read column by column. */
    static const char *const words[] = {"a1", "a2", "a3", "b1", "b2", "b3"};
    for (int i = 0; i < 6; i++)
        in[i] = (ocr_layout_line){
            {strdup(words[i]), 90, i < 3 ? 10 : 240, 20 + 30 * (i % 3), 200, 20}, i / 3, 5, 0};
    assert_int_equal(ocr_layout_order(in, 6, 1, &r, &err), SL_OK);
    assert_int_equal(r.count, 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(r.lines[i].text, words[i]);
    ocr_result_free(&r);
    for (int i = 0; i < 6; i++)
        free(in[i].line.text);

    /* Tesseract gave one block whose lines run across a gutter and were
     * cut there: a title spanning both columns, two columns of prose, and a
     * last line in the left column only. Read: title, left, right. */
    ocr_layout_line cut[8] = {
        {{strdup("Title"), 90, 100, 0, 200, 24}, 0, 1, 0},
        {{strdup("l1"), 90, 10, 40, 200, 20}, 0, 5, 1},
        {{strdup("r1"), 90, 260, 40, 200, 20}, 0, 5, 1},
        {{strdup("l2"), 90, 10, 70, 195, 20}, 0, 5, 1},
        {{strdup("r2"), 90, 260, 70, 190, 20}, 0, 5, 1},
        {{strdup("l3"), 90, 10, 100, 60, 20}, 0, 1, 0},
        {{strdup("Footer"), 90, 20, 140, 420, 20}, 0, 6, 0},
        {{strdup("after"), 90, 20, 170, 100, 20}, 0, 1, 0},
    };
    static const char *const want[] = {"Title", "l1", "l2", "l3", "r1", "r2", "Footer", "after"};
    assert_int_equal(ocr_layout_order(cut, 8, 1, &r, &err), SL_OK);
    assert_int_equal(r.count, 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(r.lines[i].text, want[i]);
    ocr_result_free(&r);
    for (int i = 0; i < 8; i++)
        free(cut[i].line.text);
    /* The same cut into items and prices (short lines): rows again. */
    ocr_layout_line cells[4] = {
        {{strdup("Tea"), 90, 10, 40, 40, 20}, 0, 1, 1},
        {{strdup("1.20"), 80, 260, 40, 40, 20}, 0, 1, 1},
        {{strdup("Cake"), 90, 10, 70, 50, 20}, 0, 1, 1},
        {{strdup("3.40"), 80, 260, 70, 40, 20}, 0, 1, 1},
    };
    assert_int_equal(ocr_layout_order(cells, 4, 1, &r, &err), SL_OK);
    assert_int_equal(r.count, 2);
    assert_string_equal(r.lines[0].text, "Tea 1.20");
    assert_string_equal(r.lines[1].text, "Cake 3.40");
    ocr_result_free(&r);
    for (int i = 0; i < 4; i++)
        free(cells[i].line.text);

    /* The same boxes without row joining keep Tesseract's order too. */
    for (int i = 0; i < 6; i++)
        in[i] = (ocr_layout_line){
            {strdup(words[i]), 90, i < 3 ? 10 : 240, 20 + 30 * (i % 3), 60, 20}, i / 3, 1, 0};
    assert_int_equal(ocr_layout_order(in, 6, 0, &r, &err), SL_OK);
    assert_int_equal(r.count, 6);
    assert_string_equal(r.lines[3].text, "b1");
    ocr_result_free(&r);
    for (int i = 0; i < 6; i++)
        free(in[i].line.text);
}

static void test_cer(void **state)
{
    (void)state;
    assert_true(cer("abc", "abc") == 0.0);
    assert_true(fabs(cer("kitten", "sitting") - 3.0 / 6.0) < 1e-12);
    assert_true(cer("Lunch  Menu\nTomato soup\n", " Lunch Menu Tomato\tsoup") == 0.0);
    /* Code points, not bytes: one substitution in four characters. */
    assert_true(fabs(cer("caf\xc3\xa9", "cafe") - 0.25) < 1e-12);
    assert_true(fabs(cer("\xe2\x82\xac 5", "E 5") - 1.0 / 3.0) < 1e-12);
    assert_true(cer("", "") == 0.0);
    assert_true(cer("", "xy") == 2.0);
    assert_true(cer("abcd", "") == 1.0);
}

static void test_languages(void **state)
{
    (void)state;
    char **langs;
    size_t n;
    sl_error err;
    assert_int_equal(ocr_languages(&langs, &n, &err), SL_OK);
    bool eng = false;
    for (size_t i = 0; i < n; i++) {
        eng |= strcmp(langs[i], "eng") == 0;
        assert_string_not_equal(langs[i], "osd");
        if (i)
            assert_true(strcmp(langs[i - 1], langs[i]) < 0);
    }
    assert_true(eng);
    ocr_languages_free(langs, n);
}

static void expect_unsupported(const char *lang, const char *named)
{
    ocr_engine *e = (ocr_engine *)1;
    sl_error err;
    assert_int_equal(ocr_open(lang, &e, &err), SL_ERR_UNSUPPORTED);
    assert_null(e);
    assert_int_equal(err.code, SL_ERR_UNSUPPORTED);
    if (!strstr(err.msg, named) || !strstr(err.msg, "eng") || strchr(err.msg, '\n'))
        fail_msg("message for '%s' should name '%s' and the installed languages: %s", lang,
                 named, err.msg);
}

static void test_bad_language(void **state)
{
    (void)state;
    expect_unsupported("klingon", "'klingon'");
    expect_unsupported("eng+xyz", "'xyz'");
    expect_unsupported("../eng", "'../eng'");
    expect_unsupported("", "''");
    expect_unsupported("osd", "'osd'");
    expect_unsupported("eng+bad\nname", "'bad?name'"); /* the message stays one line */
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    expect_unsupported(longname, "'xxxxxxxx");
    ocr_engine *e = NULL;
    sl_error err;
    assert_int_equal(ocr_open(NULL, &e, &err), SL_OK); /* NULL = eng */
    ocr_close(e);
}

/* No language data where Tesseract looks: a model error naming the folder. */
static void test_missing_tessdata(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    const char *old = getenv("TESSDATA_PREFIX");
    char *saved = old ? strdup(old) : NULL;
    setenv("TESSDATA_PREFIX", dir, 1);
    ocr_engine *e = (ocr_engine *)1;
    sl_error err;
    sl_status st = ocr_open("eng", &e, &err);
    char **langs = NULL;
    size_t n = 99;
    sl_status st2 = ocr_languages(&langs, &n, &err);
    if (saved)
        setenv("TESSDATA_PREFIX", saved, 1);
    else
        unsetenv("TESSDATA_PREFIX");
    free(saved);
    assert_int_equal(st, SL_ERR_MODEL);
    assert_null(e);
    assert_int_equal(st2, SL_OK);
    assert_int_equal(n, 0);
    ocr_languages_free(langs, n);
    temp_dir_remove(dir);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    frame f = {0};
    ocr_result r = {(ocr_line *)1, 5};
    sl_error err;
    assert_int_equal(ocr_read_frame(engine, &f, &r, &err), SL_ERR_ARG);
    assert_null(r.lines);
    assert_int_equal(r.count, 0);
    assert_int_equal(ocr_read_frame(engine, NULL, &r, &err), SL_ERR_ARG);
    ocr_result_free(&r);
    ocr_result_free(NULL);
    ocr_close(NULL);
    char *t = ocr_result_text(&r);
    assert_string_equal(t, "");
    free(t);

    /* A blank page and a 1x1 picture read as nothing. */
    assert_int_equal(frame_alloc(&f, 200, 100, &err), SL_OK);
    memset(f.pixels, 255, (size_t)f.stride * 100);
    assert_int_equal(ocr_read_frame(engine, &f, &r, &err), SL_OK);
    assert_int_equal(r.count, 0);
    frame_free(&f);
    assert_int_equal(frame_alloc(&f, 1, 1, &err), SL_OK);
    assert_int_equal(ocr_read_frame(engine, &f, &r, &err), SL_OK);
    assert_int_equal(r.count, 0);
    frame_free(&f);
}

/* Nothing reaches stderr: not Tesseract's "Estimating resolution" or
 * "Error opening data file", not Leptonica's messages. */
static void test_silent(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);

    ocr_engine *e = NULL;
    sl_error err;
    sl_status bad = ocr_open("nonexistent", &e, &err);
    sl_status good = ocr_open("eng", &e, &err);
    frame f = {0};
    sl_status read = SL_ERR_INTERNAL;
    ocr_result r = {0};
    if (good == SL_OK && frame_load_image(heldout("market-receipt-photo.jpg"), &f, &err) == SL_OK)
        read = ocr_read_frame(e, &f, &r, &err);
    ocr_result_free(&r);
    frame_free(&f);
    ocr_close(e);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(bad, SL_ERR_UNSUPPORTED);
    assert_int_equal(good, SL_OK);
    assert_int_equal(read, SL_OK);
    size_t n = 0;
    unsigned char *text = read_file_bytes(path, &n);
    if (n)
        fail_msg("stderr got %zu bytes: %.*s", n, (int)(n > 200 ? 200 : n), (char *)text);
    free(text);
    temp_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cer),
        cmocka_unit_test(test_layout_rules),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_bad_language),
        cmocka_unit_test(test_missing_tessdata),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_silent),
        cmocka_unit_test(test_preparation),
        cmocka_unit_test(test_two_columns),
        cmocka_unit_test(test_short_columns),
        cmocka_unit_test(test_receipt_rows),
        cmocka_unit_test(test_rotated_boxes),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_heldout),
    };
    return cmocka_run_group_tests(tests, open_engine, close_engine);
}
