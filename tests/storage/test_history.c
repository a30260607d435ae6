/* history: entries go in, come back newest first, intact. */
#include "storage/db_internal.h"
#include "tests/storage/storage_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef db_fixture fixture;
#define setup db_fixture_setup
#define teardown db_fixture_teardown

static int64_t add(sl_db *db, int64_t time_ms, const char *mode, const char *source,
                   const char *text, int64_t duration_ms)
{
    history_entry e = {.time_ms = time_ms, .mode = mode, .source = source, .text = text,
                       .duration_ms = duration_ms};
    int64_t id = 0;
    sl_error err;
    sl_status s = history_add(db, &e, &id, &err);
    if (s != SL_OK)
        fail_msg("history_add: %s", err.msg);
    assert_true(id > 0);
    return id;
}

static void test_list_is_newest_first(void **state)
{
    fixture *f = *state;
    sl_error err;
    int64_t a = add(f->db, 1000, "read", "/pics/a.png", "first", 10);
    int64_t b = add(f->db, 3000, "describe", "camera", "third by time", 20);
    int64_t c = add(f->db, 2000, "read", "camera", "second by time", 30);
    int64_t d = add(f->db, 3000, "read", "camera", "same time as b, added later", 40);
    assert_true(a < b && b < c && c < d);

    history_entries list;
    assert_int_equal(history_list(f->db, 0, &list, &err), SL_OK);
    assert_int_equal(list.count, 4);
    int64_t want[] = {d, b, c, a};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(list.items[i].id, want[i]);
    assert_int_equal(list.items[1].time_ms, 3000);
    assert_string_equal(list.items[1].mode, "describe");
    assert_string_equal(list.items[1].source, "camera");
    assert_string_equal(list.items[1].text, "third by time");
    assert_int_equal(list.items[1].duration_ms, 20);
    assert_string_equal(list.items[3].source, "/pics/a.png");
    history_entries_free(&list);
    assert_null(list.items);

    /* Limits. */
    assert_int_equal(history_list(f->db, 2, &list, &err), SL_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].id, d);
    assert_int_equal(list.items[1].id, b);
    history_entries_free(&list);
    assert_int_equal(history_list(f->db, 100, &list, &err), SL_OK);
    assert_int_equal(list.count, 4);
    history_entries_free(&list);
    assert_int_equal(history_list(f->db, -1, &list, &err), SL_ERR_ARG);
    assert_int_equal(list.count, 0);

    int64_t n = 0;
    assert_int_equal(history_count(f->db, &n, &err), SL_OK);
    assert_int_equal(n, 4);
}

static void test_empty_history(void **state)
{
    fixture *f = *state;
    sl_error err;
    history_entries list;
    assert_int_equal(history_list(f->db, 0, &list, &err), SL_OK);
    assert_int_equal(list.count, 0);
    history_entries_free(&list);
    int64_t n = -1;
    assert_int_equal(history_count(f->db, &n, &err), SL_OK);
    assert_int_equal(n, 0);
}

static void test_utf8_round_trip(void **state)
{
    fixture *f = *state;
    sl_error err;
    static const char *texts[] = {
        "Caf\303\251 cr\303\250me br\303\273l\303\251e \342\202\2544,50",
        "\xd0\x9c\xd0\xbe\xd0\xbb\xd0\xbe\xd0\xba\xd0\xbe 1 \xd0\xbb",          /* Молоко 1 л */
        "\xe6\x9d\xb1\xe4\xba\xac\xe9\xa7\x85 \xe2\x86\x92 \xe5\x87\xba\xe5\x8f\xa3", /* 東京駅 → 出口 */
        "\xd8\xa7\xd9\x84\xd8\xb5\xd9\x8a\xd8\xaf\xd9\x84\xd9\x8a\xd8\xa9",  /* Arabic */
        "e\xcc\x81 \xf0\x9f\x91\x8b\xf0\x9f\x8f\xbd line1\nline2\ttab \"quoted\" \\", /* é, 👋🏽 */
        "",
    };
    enum { N = sizeof texts / sizeof texts[0] };
    for (int i = 0; i < N; i++)
        add(f->db, 100 + i, "read", "/home/\xc3\xa5sa/Bilder/kvitto 1.jpg", texts[i], i);
    /* Reopen: the text comes from the file, not a cache. */
    db_close(f->db);
    f->db = NULL;
    assert_int_equal(db_open(f->path, &f->db, &err), SL_OK);
    history_entries list;
    assert_int_equal(history_list(f->db, 0, &list, &err), SL_OK);
    assert_int_equal(list.count, N);
    for (int i = 0; i < N; i++) {
        const history_entry *e = &list.items[N - 1 - i];
        assert_string_equal(e->text, texts[i]);
        assert_string_equal(e->source, "/home/\xc3\xa5sa/Bilder/kvitto 1.jpg");
        assert_int_equal(e->duration_ms, i);
    }
    history_entries_free(&list);
}

static void test_malformed_utf8_is_repaired(void **state)
{
    fixture *f = *state;
    sl_error err;
    /* A lone continuation byte, a truncated 3-byte sequence, an overlong
     * '/', a surrogate, and Latin-1 in a file name. */
    add(f->db, 1, "read", "/pics/caf\xe9.png", "a\x80" "b\xe2\x82" "c\xc0\xaf" "d\xed\xa0\x80", 0);
    history_entries list;
    assert_int_equal(history_list(f->db, 0, &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].source, "/pics/caf\xef\xbf\xbd.png");
    assert_string_equal(list.items[0].text, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
                                            "c\xef\xbf\xbd\xef\xbf\xbd"
                                            "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    history_entries_free(&list);
}

static void test_edited_database_reads_as_clean_utf8(void **state)
{
    fixture *f = *state;
    sl_error err;
    /* Rows written behind sightline's back: a blob with a NUL and bad bytes,
     * a NULL forced in through a number. */
    raw_exec(f->db->sq, "INSERT INTO history (time_ms, mode, source, text, duration_ms) "
                        "VALUES (5, 'READ!', 42, CAST(x'41004280' AS TEXT), 7)");
    history_entries list;
    assert_int_equal(history_list(f->db, 0, &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].mode, "READ!");
    assert_string_equal(list.items[0].source, "42");
    assert_string_equal(list.items[0].text, "A\xef\xbf\xbd" "B\xef\xbf\xbd");
    history_entries_free(&list);
}

static void test_invalid_entries_are_rejected(void **state)
{
    fixture *f = *state;
    sl_error err;
    history_entry ok = {.time_ms = 1, .mode = "read", .source = "camera", .text = "t"};
    history_entry e;
    static const char *bad_modes[] = {"", "Read", "read aloud", "r\303\251ad",
                                      "abcdefghijklmnopqrstuvwxyz0123456"};
    for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
        e = ok;
        e.mode = bad_modes[i];
        assert_int_equal(history_add(f->db, &e, NULL, &err), SL_ERR_ARG);
        assert_non_null(strstr(err.msg, "mode"));
    }
    e = ok;
    e.mode = "abcdefghijklmnopqrstuvwxyz012345"; /* 32: the longest allowed */
    assert_int_equal(history_add(f->db, &e, NULL, &err), SL_OK);
    e = ok;
    e.mode = NULL;
    assert_int_equal(history_add(f->db, &e, NULL, &err), SL_ERR_ARG);
    e = ok;
    e.text = NULL;
    assert_int_equal(history_add(f->db, &e, NULL, &err), SL_ERR_ARG);
    e = ok;
    e.duration_ms = -1;
    assert_int_equal(history_add(f->db, &e, NULL, &err), SL_ERR_ARG);
    e = ok;
    e.time_ms = -5;
    assert_int_equal(history_add(f->db, &e, NULL, &err), SL_ERR_ARG);

    char *big = malloc(HISTORY_TEXT_MAX + 2);
    memset(big, 'a', HISTORY_TEXT_MAX + 1);
    big[HISTORY_TEXT_MAX + 1] = '\0';
    e = ok;
    e.text = big;
    assert_int_equal(history_add(f->db, &e, NULL, &err), SL_ERR_LIMIT);
    big[HISTORY_TEXT_MAX] = '\0'; /* exactly the limit fits */
    assert_int_equal(history_add(f->db, &e, NULL, &err), SL_OK);
    free(big);

    int64_t n = 0;
    assert_int_equal(history_count(f->db, &n, &err), SL_OK);
    assert_int_equal(n, 2);
}

static void test_ids_are_never_reused(void **state)
{
    fixture *f = *state;
    add(f->db, 1, "read", "camera", "one", 0);
    int64_t two = add(f->db, 2, "read", "camera", "two", 0);
    raw_exec(f->db->sq, "DELETE FROM history WHERE time_ms = 2");
    int64_t three = add(f->db, 3, "read", "camera", "three", 0);
    assert_true(three > two);
}

typedef struct counter {
    int seen;
    int stop_after;
    int64_t last_time;
} counter;

static int count_some(void *ctx, const history_entry *e)
{
    counter *c = ctx;
    if (c->seen > 0)
        assert_true(e->time_ms <= c->last_time);
    c->last_time = e->time_ms;
    c->seen++;
    return c->seen == c->stop_after;
}

static void test_each_streams_and_stops(void **state)
{
    fixture *f = *state;
    sl_error err;
    assert_int_equal(db_begin(f->db, &err), SL_OK);
    for (int i = 0; i < 1000; i++) {
        char text[32];
        snprintf(text, sizeof text, "entry %d", i);
        add(f->db, (i * 37) % 1000, "read", "camera", text, i);
    }
    assert_int_equal(db_commit(f->db, &err), SL_OK);
    counter c = {.stop_after = -1};
    assert_int_equal(history_each(f->db, 0, count_some, &c, &err), SL_OK);
    assert_int_equal(c.seen, 1000);
    c = (counter){.stop_after = 10};
    assert_int_equal(history_each(f->db, 0, count_some, &c, &err), SL_OK);
    assert_int_equal(c.seen, 10);
    c = (counter){.stop_after = -1};
    assert_int_equal(history_each(f->db, 25, count_some, &c, &err), SL_OK);
    assert_int_equal(c.seen, 25);
}

static void test_transactions_nest_and_roll_back(void **state)
{
    fixture *f = *state;
    sl_error err;
    int64_t n = 0;
    assert_int_equal(db_begin(f->db, &err), SL_OK);
    add(f->db, 1, "read", "camera", "outer", 0);
    assert_int_equal(db_begin(f->db, &err), SL_OK);
    add(f->db, 2, "read", "camera", "inner, undone", 0);
    db_rollback(f->db);
    assert_int_equal(db_begin(f->db, &err), SL_OK);
    add(f->db, 3, "read", "camera", "inner, kept", 0);
    assert_int_equal(db_commit(f->db, &err), SL_OK);
    assert_int_equal(db_commit(f->db, &err), SL_OK);
    assert_int_equal(history_count(f->db, &n, &err), SL_OK);
    assert_int_equal(n, 2);

    assert_int_equal(db_begin(f->db, &err), SL_OK);
    add(f->db, 4, "read", "camera", "all undone", 0);
    db_rollback(f->db);
    assert_int_equal(history_count(f->db, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(db_commit(f->db, &err), SL_ERR_INTERNAL);
    db_rollback(f->db); /* nothing open: harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_is_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_utf8_is_repaired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_database_reads_as_clean_utf8, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid_entries_are_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_are_never_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_streams_and_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions_nest_and_roll_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
