/* The meeting text helpers without the program: transcript parsing (times,
 * speakers, formats), <think> stripping and the progress line with its
 * estimate of the time left. */
#include <stdlib.h>
#include <string.h>

#include "app/meeting_import.h"
#include "app/meeting_progress.h"
#include "app/meeting_summary.h"
#include "tests/support.h"

static void test_times(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_int_equal(transcript_parse_time("01:02:03,456", &ms), 12);
    assert_int_equal(ms, 3723456);
    assert_int_equal(transcript_parse_time("02:03.5", &ms), 7);
    assert_int_equal(ms, 123500);
    assert_int_equal(transcript_parse_time("00:61:00", &ms), 0);
    assert_int_equal(transcript_parse_time("12", &ms), 0);
    assert_int_equal(transcript_parse_time("1:02:03.4567", &ms), 0);
}

static void test_formats(void **state)
{
    (void)state;
    const char *srt = "\xef\xbb\xbf" "1\r\n00:00:01,000 --> 00:00:02,500\r\nAnn: hello\r\nthere\r\n\r\n"
                      "2\r\n00:00:03,000 --> 00:00:04,000\r\n<i>no speaker</i>\r\n";
    transcript t;
    sl_error err;
    assert_int_equal(transcript_parse("a.srt", srt, strlen(srt), &t, &err), SL_OK);
    assert_int_equal(t.count, 2);
    assert_int_equal(t.items[0].t0_ms, 1000);
    assert_int_equal(t.items[0].t1_ms, 2500);
    assert_string_equal(t.items[0].speaker, "Ann");
    assert_string_equal(t.items[0].text, "hello there");
    assert_string_equal(t.items[1].speaker, "");
    assert_string_equal(t.items[1].text, "no speaker");
    assert_int_equal(t.items[1].line, 7);
    transcript_free(&t);
    const char *plain = "# comment\n[00:00:05] Bo: one two three\n\n[00:01:00] Cy: four\n";
    assert_int_equal(transcript_parse("p.txt", plain, strlen(plain), &t, &err), SL_OK);
    assert_int_equal(t.count, 2);
    assert_int_equal(t.items[0].t1_ms, 60000); /* the next line's start */
    assert_int_equal(t.items[1].t1_ms, 60000 + 400 * 1);
    assert_string_equal(t.items[1].speaker, "Cy");
    transcript_free(&t);
    const char *bad = "[00:00:05] ok\nno time here\n";
    assert_int_equal(transcript_parse("b.txt", bad, strlen(bad), &t, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "b.txt:2:"));
    assert_int_equal(transcript_parse("z.txt", "a\0b", 3, &t, &err), SL_ERR_FORMAT);
}

static void test_strip_think(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"<think>plan</think>Answer", "Answer"},
        {"A<think>x</think>B<think>y</think>C", "ABC"},
        {"Start<think>never closed", "Start"},
        {"reasoning without an opening tag</think>Final", "Final"},
        {"nothing to strip", "nothing to strip"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = strdup(cases[i][0]);
        meeting_strip_think(s);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

static void test_progress_text(void **state)
{
    (void)state;
    static const struct {
        double fraction, elapsed;
        const char *want;
    } cases[] = {
        /* left = elapsed * (1 - f) / f */
        {0.25, 10, "25% done, about 30 s left"},
        {0.5, 45.4, "50% done, about 45 s left"},
        {0.1, 10, "10% done, about 1 min 30 s left"},
        {0.4, 130, "40% done, about 3 min 15 s left"},
        {0.05, 600, "5% done, about 3 h 10 min left"},
        {0.999, 100, "99% done, about 0 s left"},
        /* Too early to say: the fraction only. */
        {0.01, 30, "1% done"},
        {0.5, 0.2, "50% done"},
        {0, 5, "0% done"},
        {-1, 5, "0% done"},
        {1, 5, "100% done"},
        {1.5, 5, "100% done"},
        /* Absurd inputs stay printable. */
        {0.03, 1e12, "3% done, about 2777 h 46 min left"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        meeting_progress_text(cases[i].fraction, cases[i].elapsed, buf, sizeof buf);
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("%.3f after %.1f s: '%s', want '%s'", cases[i].fraction, cases[i].elapsed,
                     buf, cases[i].want);
    }
    /* Cut to the buffer, terminated. */
    char small[8];
    meeting_progress_text(0.25, 10, small, sizeof small);
    assert_string_equal(small, "25% don");
    double a = meeting_progress_now(), b = meeting_progress_now();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_strip_think),
        cmocka_unit_test(test_progress_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
