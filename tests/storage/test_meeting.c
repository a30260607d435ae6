/* Meetings: segments go in committed one by one, come back in time order with
 * speaker names, are found by FTS5 search, and go with their meeting. */
#include "storage/db_internal.h"
#include "tests/storage/storage_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef db_fixture fixture;
#define setup db_fixture_setup
#define teardown db_fixture_teardown

static int64_t add_meeting(sl_db *db, const char *title, int64_t started)
{
    int64_t id = 0;
    sl_error err;
    if (meeting_create(db, title, started, &id, &err) != SL_OK)
        fail_msg("meeting_create: %s", err.msg);
    assert_true(id > 0);
    return id;
}

static void add_seg(sl_db *db, int64_t m, int64_t t0, int64_t t1, const char *sp,
                    const char *text)
{
    sl_error err;
    int64_t id = 0;
    if (meeting_add_segment(db, m, t0, t1, sp, text, &id, &err) != SL_OK)
        fail_msg("meeting_add_segment: %s", err.msg);
    assert_true(id > 0);
}

static void test_segments_round_trip(void **state)
{
    fixture *f = *state;
    int64_t m = add_meeting(f->db, "Budget", 1700000000000);
    add_seg(f->db, m, 5000, 7000, "S2", "  second line ");
    add_seg(f->db, m, 1000, 3000, "S1", "first line");
    sl_error err;
    assert_int_equal(meeting_set_speaker(f->db, m, "S1", "Alice", &err), SL_OK);
    meeting_segments segs;
    assert_int_equal(meeting_segments_get(f->db, m, &segs, &err), SL_OK);
    assert_int_equal(segs.count, 2);
    assert_int_equal(segs.items[0].t0_ms, 1000);
    assert_int_equal(segs.items[0].t1_ms, 3000);
    assert_string_equal(segs.items[0].speaker, "S1");
    assert_string_equal(segs.items[0].name, "Alice");
    assert_string_equal(segs.items[0].text, "first line");
    assert_null(segs.items[1].name);
    assert_string_equal(segs.items[1].text, "second line");
    meeting_segments_free(&segs);

    meeting_info info;
    assert_int_equal(meeting_get(f->db, m, &info, &err), SL_OK);
    assert_string_equal(info.title, "Budget");
    assert_int_equal(info.started_ms, 1700000000000);
    assert_int_equal(info.ended_ms, 0);
    assert_int_equal(info.segments, 2);
    meeting_info_free(&info);
    assert_int_equal(meeting_end(f->db, m, 1700000100000, &err), SL_OK);
    assert_int_equal(meeting_get(f->db, m, &info, &err), SL_OK);
    assert_int_equal(info.ended_ms, 1700000100000);
    meeting_info_free(&info);

    /* Renaming replaces. */
    assert_int_equal(meeting_set_speaker(f->db, m, "S1", "Alicia", &err), SL_OK);
    assert_int_equal(meeting_segments_get(f->db, m, &segs, &err), SL_OK);
    assert_string_equal(segs.items[0].name, "Alicia");
    meeting_segments_free(&segs);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    sl_error err;
    int64_t m = add_meeting(f->db, "x", 0);
    assert_int_equal(meeting_add_segment(f->db, m, 10, 5, "S1", "t", NULL, &err), SL_ERR_ARG);
    assert_int_equal(meeting_add_segment(f->db, m, -1, 5, "S1", "t", NULL, &err), SL_ERR_ARG);
    assert_int_equal(meeting_add_segment(f->db, m, 0, 5, "S1", "   ", NULL, &err), SL_ERR_ARG);
    assert_int_equal(meeting_add_segment(f->db, m + 99, 0, 5, "S1", "t", NULL, &err),
                     SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "no meeting number"));
    assert_int_equal(meeting_create(f->db, "", 0, NULL, &err), SL_ERR_ARG);
    meeting_info info;
    assert_int_equal(meeting_get(f->db, m + 99, &info, &err), SL_ERR_ARG);
    assert_int_equal(meeting_set_speaker(f->db, m + 99, "S1", "A", &err), SL_ERR_ARG);
    /* Invalid UTF-8 is repaired, not stored raw. */
    add_seg(f->db, m, 0, 1, "S1", "caf\xc3 ok");
    meeting_segments segs;
    assert_int_equal(meeting_segments_get(f->db, m, &segs, &err), SL_OK);
    assert_int_equal(segs.count, 1);
    assert_null(strstr(segs.items[0].text, "\xc3 "));
    meeting_segments_free(&segs);
}

static void test_search(void **state)
{
    fixture *f = *state;
    int64_t a = add_meeting(f->db, "Budget review", 1000);
    int64_t b = add_meeting(f->db, "Hiring", 2000);
    add_seg(f->db, a, 0, 1000, "S1", "Welcome everyone.");
    add_seg(f->db, a, 62000, 65000, "S2", "The marketing budget is too high.");
    add_seg(f->db, b, 3000, 4000, "S1", "We need two engineers; budgets allow it.");
    sl_error err;
    meeting_segments hits;
    assert_int_equal(meeting_search(f->db, "budget", 0, &hits, &err), SL_OK);
    assert_int_equal(hits.count, 2); /* porter: budgets matches budget */
    int seen_a = 0;
    for (size_t i = 0; i < hits.count; i++)
        if (hits.items[i].meeting_id == a) {
            seen_a = 1;
            assert_int_equal(hits.items[i].t0_ms, 62000);
            assert_string_equal(hits.items[i].meeting_title, "Budget review");
        }
    assert_true(seen_a);
    meeting_segments_free(&hits);
    assert_int_equal(meeting_search(f->db, "marketing BUDGET", 0, &hits, &err), SL_OK);
    assert_int_equal(hits.count, 1);
    meeting_segments_free(&hits);
    /* FTS5 syntax in the words is just words. */
    assert_int_equal(meeting_search(f->db, "\"budget\" OR NEAR( * ^", 0, &hits, &err), SL_OK);
    meeting_segments_free(&hits);
    assert_int_equal(meeting_search(f->db, "!!!", 0, &hits, &err), SL_OK);
    assert_int_equal(hits.count, 0);
    meeting_segments_free(&hits);

    /* Deleting a meeting takes its segments out of the index too. */
    assert_int_equal(meeting_delete(f->db, a, &err), SL_OK);
    assert_int_equal(meeting_search(f->db, "budget", 0, &hits, &err), SL_OK);
    assert_int_equal(hits.count, 1);
    assert_int_equal(hits.items[0].meeting_id, b);
    meeting_segments_free(&hits);
}

static void test_summaries_and_list(void **state)
{
    fixture *f = *state;
    int64_t a = add_meeting(f->db, "one", 1000);
    int64_t b = add_meeting(f->db, "two", 2000);
    sl_error err;
    char *body = NULL;
    assert_int_equal(meeting_summary_get(f->db, a, "extractive", &body, &err), SL_OK);
    assert_null(body);
    assert_int_equal(meeting_summary_put(f->db, a, "extractive", "first", &err), SL_OK);
    assert_int_equal(meeting_summary_put(f->db, a, "extractive", "second", &err), SL_OK);
    assert_int_equal(meeting_summary_get(f->db, a, "extractive", &body, &err), SL_OK);
    assert_string_equal(body, "second");
    free(body);
    meeting_infos list;
    assert_int_equal(meeting_list(f->db, &list, &err), SL_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].id, b);
    assert_int_equal(list.items[1].id, a);
    meeting_infos_free(&list);
}

/* Each segment is durable on its own: another connection sees it at once. */
static void test_segment_committed_at_once(void **state)
{
    fixture *f = *state;
    int64_t m = add_meeting(f->db, "live", 0);
    add_seg(f->db, m, 0, 10, "S1", "hello there");
    sqlite3 *raw = raw_open(f->path);
    assert_int_equal(raw_int(raw, "SELECT count(*) FROM meeting_segments"), 1);
    sqlite3_close(raw);
}

static void test_export_import_erase(void **state)
{
    fixture *f = *state;
    int64_t m = add_meeting(f->db, "kept", 5000);
    add_seg(f->db, m, 0, 10, "S1", "quarterly forecast");
    sl_error err;
    assert_int_equal(meeting_set_speaker(f->db, m, "S1", "Bo", &err), SL_OK);
    char *exported = path_join(f->dir, "export.db");
    assert_int_equal(db_export(f->db, exported, &err), SL_OK);
    char *other = path_join(f->dir, "o.db");
    sl_db *o = NULL;
    assert_int_equal(db_open(other, &o, &err), SL_OK);
    db_import_counts c;
    assert_int_equal(db_import(o, exported, &c, &err), SL_OK);
    assert_int_equal(c.meetings, 1);
    assert_int_equal(db_import(o, exported, &c, &err), SL_OK);
    assert_int_equal(c.meetings, 0); /* idempotent */
    meeting_segments hits;
    assert_int_equal(meeting_search(o, "forecast", 0, &hits, &err), SL_OK);
    assert_int_equal(hits.count, 1);
    assert_string_equal(hits.items[0].name, "Bo");
    meeting_segments_free(&hits);
    assert_int_equal(db_erase_all(o, &err), SL_OK);
    assert_int_equal(meeting_search(o, "forecast", 0, &hits, &err), SL_OK);
    assert_int_equal(hits.count, 0);
    meeting_infos list;
    assert_int_equal(meeting_list(o, &list, &err), SL_OK);
    assert_int_equal(list.count, 0);
    meeting_infos_free(&list);
    db_close(o);
    free(other);
    free(exported);
}

/* The final speaker pass relabels segments in one go; names follow the
 * label; another meeting's segment is refused and nothing changes. */
static void test_relabel_segments(void **state)
{
    fixture *f = *state;
    sl_error err;
    int64_t m = add_meeting(f->db, "Relabel", 0), other = add_meeting(f->db, "Other", 0);
    int64_t ids[3];
    assert_int_equal(meeting_add_segment(f->db, m, 0, 1000, "S1", "one", &ids[0], &err), SL_OK);
    assert_int_equal(meeting_add_segment(f->db, m, 1000, 2000, "S3", "two", &ids[1], &err), SL_OK);
    assert_int_equal(meeting_add_segment(f->db, other, 0, 1000, "S1", "x", &ids[2], &err), SL_OK);
    assert_int_equal(meeting_set_speaker(f->db, m, "S1", "Alice", &err), SL_OK);
    const char *labels[] = {"S2", "S1", "S9"};
    assert_int_equal(meeting_relabel_segments(f->db, m, ids, labels, 2, &err), SL_OK);
    meeting_segments segs;
    assert_int_equal(meeting_segments_get(f->db, m, &segs, &err), SL_OK);
    assert_string_equal(segs.items[0].speaker, "S2");
    assert_null(segs.items[0].name);
    assert_string_equal(segs.items[1].speaker, "S1");
    assert_string_equal(segs.items[1].name, "Alice");
    meeting_segments_free(&segs);
    /* ids[2] is the other meeting's: all or nothing. */
    const int64_t bad[] = {ids[0], ids[2]};
    assert_int_equal(meeting_relabel_segments(f->db, m, bad, labels + 1, 2, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "not in meeting"));
    assert_int_equal(meeting_segments_get(f->db, m, &segs, &err), SL_OK);
    assert_string_equal(segs.items[0].speaker, "S2");
    meeting_segments_free(&segs);
    char longer[MEETING_SPEAKER_MAX + 2];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    const char *too_long[] = {longer};
    assert_int_equal(meeting_relabel_segments(f->db, m, ids, too_long, 1, &err), SL_ERR_ARG);
    assert_int_equal(meeting_relabel_segments(f->db, m + 99, ids, labels, 1, &err), SL_ERR_ARG);
    assert_int_equal(meeting_relabel_segments(f->db, m, NULL, NULL, 0, &err), SL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_segments_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summaries_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segment_committed_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_import_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relabel_segments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
