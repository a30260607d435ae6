/* Export, import and erase: the same data arrives, nothing is overwritten,
 * a bad file changes nothing, and erasing leaves no trace in the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/storage/storage_test.h"

typedef struct env {
    char *dir;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->dir = temp_dir_create();
    *state = e;
    return e->dir ? 0 : -1;
}

static int teardown(void **state)
{
    env *e = *state;
    temp_dir_remove(e->dir);
    free(e);
    return 0;
}

static sl_db *open_db(const char *path)
{
    sl_db *db = NULL;
    sl_error err = {0};
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    return db;
}

static void fill(sl_db *db)
{
    sl_error err = {0};
    assert_int_equal(memory_add(db, "My dog is called Max", "user", NULL, &err), SL_OK);
    assert_int_equal(memory_add(db, "The green door is the kitchen", "spoken", NULL, &err), SL_OK);
    history_entry h = {0, 1700000000000, "read", "letter.png", "Dear Anna", 120};
    assert_int_equal(history_add(db, &h, NULL, &err), SL_OK);
    assert_int_equal(profile_set(db, "rate", "230", &err), SL_OK);
    assert_int_equal(feedback_add(db, "good", "nice", 0, NULL, &err), SL_OK);
}

/* Everything a user can see, as one string. */
static char *dump(sl_db *db)
{
    sl_error err = {0};
    size_t cap = 65536;
    char *s = calloc(1, cap);
    memory_items m;
    assert_int_equal(memory_list(db, 0, &m, &err), SL_OK);
    for (size_t i = 0; i < m.count; i++)
        snprintf(s + strlen(s), cap - strlen(s), "memory %lld %s %s\n",
                 (long long)m.items[i].created_ms, m.items[i].source, m.items[i].text);
    memory_items_free(&m);
    history_entries h;
    assert_int_equal(history_list(db, 0, &h, &err), SL_OK);
    for (size_t i = 0; i < h.count; i++)
        snprintf(s + strlen(s), cap - strlen(s), "history %lld %s %s %s\n",
                 (long long)h.items[i].time_ms, h.items[i].mode, h.items[i].source,
                 h.items[i].text);
    history_entries_free(&h);
    char *rate = NULL;
    assert_int_equal(profile_get(db, "rate", &rate, &err), SL_OK);
    snprintf(s + strlen(s), cap - strlen(s), "rate %s\n", rate);
    free(rate);
    return s;
}

static void test_export_import_round_trip(void **state)
{
    env *e = *state;
    char *a = path_join(e->dir, "a.db"), *x = path_join(e->dir, "export.db"),
         *b = path_join(e->dir, "b.db");
    sl_db *da = open_db(a);
    fill(da);
    sl_error err = {0};
    assert_int_equal(db_export(da, x, &err), SL_OK);
    struct stat st;
    assert_int_equal(stat(x, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* An existing file is never overwritten. */
    file_snapshot before;
    snapshot_take(&before, x);
    assert_int_equal(db_export(da, x, &err), SL_ERR_IO);
    assert_non_null(strstr(err.msg, "export.db"));
    snapshot_assert_same(&before, x);
    snapshot_free(&before);

    sl_db *dbb = open_db(b);
    db_import_counts c;
    assert_int_equal(db_import(dbb, x, &c, &err), SL_OK);
    assert_int_equal(c.memories, 2);
    assert_int_equal(c.history, 1);
    assert_int_equal(c.feedback, 1);
    char *wa = dump(da), *wb = dump(dbb);
    assert_string_equal(wa, wb);
    /* Imported memories are searchable. */
    memory_items m;
    assert_int_equal(memory_search(dbb, "where is the kitchen", 5, &m, &err), SL_OK);
    assert_int_equal(m.count, 1);
    memory_items_free(&m);

    /* Twice: nothing new. */
    assert_int_equal(db_import(dbb, x, &c, &err), SL_OK);
    assert_int_equal(c.memories + c.history + c.feedback, 0);
    char *wb2 = dump(dbb);
    assert_string_equal(wb, wb2);
    free(wa), free(wb), free(wb2);
    db_close(da);
    db_close(dbb);
    free(a), free(x), free(b);
}

static void test_bad_import_changes_nothing(void **state)
{
    env *e = *state;
    char *b = path_join(e->dir, "b.db"), *junk = path_join(e->dir, "junk.db");
    sl_db *db = open_db(b);
    fill(db);
    assert_int_equal(db_checkpoint(db, NULL), SL_OK);
    char *before = dump(db);
    unsigned char bytes[4096];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 37 + 11);
    memcpy(bytes, "SQLite format 3", 16);
    assert_int_equal(write_file_bytes(junk, bytes, sizeof bytes), 0);
    file_snapshot js;
    snapshot_take(&js, junk);
    sl_error err = {0};
    sl_status s = db_import(db, junk, NULL, &err);
    assert_int_not_equal(s, SL_OK);
    assert_non_null(strstr(err.msg, "junk.db"));
    assert_null(strchr(err.msg, '\n'));
    snapshot_assert_same(&js, junk);
    snapshot_free(&js);
    char *after = dump(db);
    assert_string_equal(before, after);
    free(before), free(after);

    char *missing = path_join(e->dir, "nope.db");
    assert_int_equal(db_import(db, missing, NULL, &err), SL_ERR_IO);
    assert_non_null(strstr(err.msg, "nope.db"));
    free(missing);
    db_close(db);
    free(b), free(junk);
}

static void test_erase_all_leaves_no_trace(void **state)
{
    env *e = *state;
    char *p = path_join(e->dir, "u.db");
    sl_db *db = open_db(p);
    sl_error err = {0};
    assert_int_equal(memory_add(db, "the safe combination is okapiflamingo", "user", NULL, &err),
                     SL_OK);
    history_entry h = {0, 1700000000000, "read", "x.png", "okapiflamingo again", 1};
    assert_int_equal(history_add(db, &h, NULL, &err), SL_OK);
    assert_int_equal(db_checkpoint(db, &err), SL_OK);
    assert_int_equal(db_erase_all(db, &err), SL_OK);
    const char *names[] = {p, with_suffix(p, "-wal")};
    for (int i = 0; i < 2; i++) {
        char *path = strdup(names[i]);
        size_t n = 0;
        unsigned char *bytes = read_file_bytes(path, &n);
        for (size_t k = 0; bytes && k + 8 <= n; k++)
            assert_false(memcmp(bytes + k, "flamingo", 8) == 0);
        free(bytes);
        free(path);
    }
    memory_items m;
    assert_int_equal(memory_list(db, 0, &m, &err), SL_OK);
    assert_int_equal(m.count, 0);
    memory_items_free(&m);
    /* Still a working database. */
    assert_int_equal(memory_add(db, "fresh start", "user", NULL, &err), SL_OK);
    db_close(db);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_import_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_import_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_all_leaves_no_trace, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
