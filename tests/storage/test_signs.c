/* Taught signs: examples go in, come back intact in order, can be deleted,
 * and a database edited by hand cannot make a reader misbehave. */
#include "storage/db_internal.h"
#include "tests/storage/storage_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef db_fixture fixture;
#define setup db_fixture_setup
#define teardown db_fixture_teardown

/* A recording whose bytes depend on seed (storage must not care what they
 * are: zeros and 0xff included). */
static void fill(unsigned char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)((i * 131u + seed * 7u) ^ (i >> 3));
}

static int64_t add(sl_db *db, const char *name, sign_example_kind kind, int64_t t,
                   const unsigned char *blob, size_t size)
{
    sign_example e = {.name = name, .kind = kind, .created_ms = t, .blob = blob,
                      .blob_size = size};
    int64_t id = 0;
    sl_error err;
    if (sign_examples_add(db, &e, &id, &err) != SL_OK)
        fail_msg("sign_examples_add: %s", err.msg);
    assert_true(id > 0);
    return id;
}

static void test_examples_round_trip(void **state)
{
    fixture *f = *state;
    sl_error err;
    static unsigned char b1[5000], b2[12], b3[700], b4[1];
    fill(b1, sizeof b1, 1);
    fill(b2, sizeof b2, 2);
    fill(b3, sizeof b3, 3);
    b4[0] = 0;
    int64_t thanks = add(f->db, "thank you", SIGN_EXAMPLE_SIGN, 2000, b1, sizeof b1);
    int64_t a = add(f->db, "A", SIGN_EXAMPLE_LETTER, 3000, b2, sizeof b2);
    int64_t hello = add(f->db, "hello", SIGN_EXAMPLE_SIGN, 1000, b3, sizeof b3);
    int64_t thanks2 = add(f->db, "thank you", SIGN_EXAMPLE_SIGN, 4000, b4, sizeof b4);
    /* Reopen: the rows come from the file. */
    db_close(f->db);
    f->db = NULL;
    assert_int_equal(db_open(f->path, &f->db, &err), SL_OK);

    sign_examples list;
    assert_int_equal(sign_examples_list(f->db, -1, &list, &err), SL_OK);
    assert_int_equal(list.count, 4);
    /* Signs first, by name then id; then letters. */
    int64_t want[] = {hello, thanks, thanks2, a};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(list.items[i].id, want[i]);
    assert_string_equal(list.items[0].name, "hello");
    assert_int_equal(list.items[0].kind, SIGN_EXAMPLE_SIGN);
    assert_int_equal(list.items[0].created_ms, 1000);
    assert_int_equal(list.items[0].blob_size, sizeof b3);
    assert_memory_equal(list.items[0].blob, b3, sizeof b3);
    assert_int_equal(list.items[1].blob_size, sizeof b1);
    assert_memory_equal(list.items[1].blob, b1, sizeof b1);
    assert_int_equal(list.items[2].blob_size, 1);
    assert_int_equal(list.items[2].blob[0], 0);
    assert_string_equal(list.items[3].name, "A");
    assert_int_equal(list.items[3].kind, SIGN_EXAMPLE_LETTER);
    assert_memory_equal(list.items[3].blob, b2, sizeof b2);
    sign_examples_free(&list);
    assert_null(list.items);
    assert_int_equal(list.count, 0);

    /* Filters. */
    assert_int_equal(sign_examples_list(f->db, SIGN_EXAMPLE_LETTER, &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].id, a);
    sign_examples_free(&list);
    int64_t n = 0;
    assert_int_equal(sign_examples_count(f->db, SIGN_EXAMPLE_SIGN, &n, &err), SL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(sign_examples_count(f->db, -1, &n, &err), SL_OK);
    assert_int_equal(n, 4);
    assert_int_equal(sign_examples_count(f->db, 7, &n, &err), SL_ERR_ARG);
    assert_string_equal(sign_example_kind_name(SIGN_EXAMPLE_LETTER), "letter");
    assert_string_equal(sign_example_kind_name(SIGN_EXAMPLE_SIGN), "sign");
}

static void test_delete(void **state)
{
    fixture *f = *state;
    sl_error err;
    unsigned char b[8];
    fill(b, sizeof b, 9);
    int64_t h1 = add(f->db, "hello", SIGN_EXAMPLE_SIGN, 1, b, sizeof b);
    int64_t h2 = add(f->db, "hello", SIGN_EXAMPLE_SIGN, 2, b, sizeof b);
    int64_t hl = add(f->db, "h", SIGN_EXAMPLE_LETTER, 3, b, sizeof b);
    int64_t bye = add(f->db, "bye", SIGN_EXAMPLE_SIGN, 4, b, sizeof b);
    (void)h2;

    assert_int_equal(sign_examples_delete(f->db, h1, &err), SL_OK);
    assert_int_equal(sign_examples_delete(f->db, h1, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "no taught example with id"));

    int64_t deleted = -1;
    /* The name of a sign, asked as a letter, deletes nothing. */
    assert_int_equal(sign_examples_delete_name(f->db, SIGN_EXAMPLE_LETTER, "hello", &deleted,
                                               &err), SL_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(sign_examples_delete_name(f->db, SIGN_EXAMPLE_SIGN, "hello", &deleted,
                                               &err), SL_OK);
    assert_int_equal(deleted, 1);
    sign_examples list;
    assert_int_equal(sign_examples_list(f->db, -1, &list, &err), SL_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].id, bye);
    assert_int_equal(list.items[1].id, hl);
    sign_examples_free(&list);

    /* Ids are never reused. */
    int64_t again = add(f->db, "hello", SIGN_EXAMPLE_SIGN, 5, b, sizeof b);
    assert_true(again > bye);
}

static void test_invalid_examples_are_rejected(void **state)
{
    fixture *f = *state;
    sl_error err;
    unsigned char b[4] = {1, 2, 3, 4};
    sign_example ok = {.name = "hello", .kind = SIGN_EXAMPLE_SIGN, .created_ms = 1, .blob = b,
                       .blob_size = sizeof b};
    struct {
        const char *name;
        int kind;
        int64_t t;
        size_t size;
        sl_status want;
        const char *phrase;
    } cases[] = {
        {"", SIGN_EXAMPLE_SIGN, 1, 4, SL_ERR_ARG, "needs a name"},
        {"caf\xe9", SIGN_EXAMPLE_SIGN, 1, 4, SL_ERR_ARG, "not valid UTF-8"},
        {"a\tb", SIGN_EXAMPLE_SIGN, 1, 4, SL_ERR_ARG, "control character"},
        {" hi", SIGN_EXAMPLE_SIGN, 1, 4, SL_ERR_ARG, "starts or ends with a space"},
        {"AB", SIGN_EXAMPLE_LETTER, 1, 4, SL_ERR_ARG, "one character"},
        {"hello", 5, 1, 4, SL_ERR_ARG, "neither sign nor letter"},
        {"hello", SIGN_EXAMPLE_SIGN, -1, 4, SL_ERR_ARG, "negative"},
        {"hello", SIGN_EXAMPLE_SIGN, 1, 0, SL_ERR_ARG, "no recording"},
        {"hello", SIGN_EXAMPLE_SIGN, 1, (size_t)SIGN_EXAMPLE_BLOB_MAX + 1, SL_ERR_LIMIT,
         "more than"},
        {"0123456789012345678901234567890123456789012345678901234567890123", SIGN_EXAMPLE_SIGN,
         1, 4, SL_ERR_ARG, "more than 63"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sign_example e = ok;
        e.name = cases[i].name;
        e.kind = (sign_example_kind)cases[i].kind;
        e.created_ms = cases[i].t;
        e.blob_size = cases[i].size;
        int64_t id = 99;
        sl_status s = sign_examples_add(f->db, &e, &id, &err);
        if (s != cases[i].want || !strstr(err.msg, cases[i].phrase))
            fail_msg("case %zu: status %d, message '%s'", i, (int)s, err.msg);
        assert_int_equal(id, 0);
        assert_null(strchr(err.msg, '\n'));
    }
    /* A letter may be any one character, not only ASCII. */
    add(f->db, "\xc3\x84", SIGN_EXAMPLE_LETTER, 1, b, sizeof b); /* Ä */
    add(f->db, "\xe3\x81\x82", SIGN_EXAMPLE_LETTER, 1, b, sizeof b); /* あ */
    int64_t n = 0;
    assert_int_equal(sign_examples_count(f->db, -1, &n, &err), SL_OK);
    assert_int_equal(n, 2);
}

/* Rows written behind sightline's back are reported by id, not trusted. */
static void test_edited_database(void **state)
{
    fixture *f = *state;
    sl_error err;
    sign_examples list;

    /* A malformed name is repaired on the way out. */
    raw_exec(f->db->sq, "INSERT INTO sign_examples (name, kind, created_ms, landmarks) "
                        "VALUES (CAST(x'4100ff' AS TEXT), 'sign', 1, x'01')");
    assert_int_equal(sign_examples_list(f->db, -1, &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].name, "A\xef\xbf\xbd\xef\xbf\xbd");
    sign_examples_free(&list);

    /* A recording that is text, not a blob. */
    raw_exec(f->db->sq, "UPDATE sign_examples SET landmarks = 'abc'");
    assert_int_equal(sign_examples_list(f->db, -1, &list, &err), SL_ERR_DB);
    assert_non_null(strstr(err.msg, "holds no recording"));
    assert_non_null(strstr(err.msg, f->path));
    assert_int_equal(list.count, 0);

    /* An empty recording. */
    raw_exec(f->db->sq, "UPDATE sign_examples SET landmarks = x''");
    assert_int_equal(sign_examples_list(f->db, -1, &list, &err), SL_ERR_DB);
    assert_non_null(strstr(err.msg, "0 bytes"));

    /* A kind the CHECK constraint forbids, forced in with the schema edited. */
    raw_exec(f->db->sq, "DELETE FROM sign_examples");
    raw_exec(f->db->sq, "PRAGMA ignore_check_constraints = ON");
    raw_exec(f->db->sq, "INSERT INTO sign_examples (name, kind, created_ms, landmarks) "
                        "VALUES ('x', 'gesture', 1, x'01')");
    raw_exec(f->db->sq, "PRAGMA ignore_check_constraints = OFF");
    assert_int_equal(sign_examples_list(f->db, -1, &list, &err), SL_ERR_DB);
    assert_non_null(strstr(err.msg, "kind 'gesture'"));
}

static void test_migration_adds_the_table_to_an_old_database(void **state)
{
    fixture *f = *state;
    sl_error err;
    /* A database from before the taught-signs migration (3), with history:
     * the migration keeps it and adds the table. */
    history_entry h = {.time_ms = 5, .mode = "read", .source = "camera", .text = "kept"};
    assert_int_equal(history_add(f->db, &h, NULL, &err), SL_OK);
    /* Later migrations' tables go too, so that the file is exactly version 2. */
    raw_exec(f->db->sq, "DROP TABLE IF EXISTS meeting_summaries; DROP TABLE IF EXISTS "
                        "meeting_speakers; DROP TABLE IF EXISTS meeting_segments_fts; "
                        "DROP TABLE IF EXISTS meeting_segments; DROP TABLE IF EXISTS meetings;"
                        "DROP TABLE sign_examples; DROP TABLE IF EXISTS taught_objects;"
                        "DELETE FROM schema_version WHERE version >= 3;"
                        "PRAGMA user_version = 2");
    db_close(f->db);
    f->db = NULL;
    assert_int_equal(db_open(f->path, &f->db, &err), SL_OK);
    int version = 0;
    assert_int_equal(db_schema_version(f->db, &version, &err), SL_OK);
    assert_true(version >= 3);
    int64_t n = -1;
    assert_int_equal(sign_examples_count(f->db, -1, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(history_count(f->db, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    unsigned char b[3] = {7, 8, 9};
    add(f->db, "yes", SIGN_EXAMPLE_SIGN, 6, b, sizeof b);
}

static int stop_after_first(void *ctx, const sign_example *e)
{
    (void)e;
    ++*(int *)ctx;
    return 1;
}

static void test_each_stops(void **state)
{
    fixture *f = *state;
    sl_error err;
    unsigned char b[2] = {1, 2};
    add(f->db, "a", SIGN_EXAMPLE_SIGN, 1, b, sizeof b);
    add(f->db, "b", SIGN_EXAMPLE_SIGN, 1, b, sizeof b);
    int calls = 0;
    assert_int_equal(sign_examples_each(f->db, -1, stop_after_first, &calls, &err), SL_OK);
    assert_int_equal(calls, 1);
    assert_int_equal(sign_examples_each(f->db, 3, stop_after_first, &calls, &err), SL_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_examples_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_examples_are_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_adds_the_table_to_an_old_database,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_stops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
