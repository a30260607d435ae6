/* Encryption at rest (storage/ on SQLCipher): an encrypted file holds no
 * plain text, the wrong passphrase changes nothing, and encrypting,
 * re-keying, decrypting, export and import keep every row. Built only
 * against storage_cipher_dep. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/storage/storage_test.h"

/* Words that must never appear in an encrypted file's bytes. */
#define SECRET_MEMORY "Max the black dog sleeps under the zebrawood table"
#define SECRET_HISTORY "Quetzalcoatl pharmacy receipt, total 42 euros"
#define SECRET_SEGMENT "the xylophone budget is approved"

static const char key1[] = "correct horse battery staple";
static const char key2[] = "another passphrase, with 'quotes' and \"more\"";

typedef struct env {
    char *dir;
    char *path;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->dir = temp_dir_create();
    e->path = path_join(e->dir, "user.db");
    *state = e;
    return e->dir ? 0 : -1;
}

static int teardown(void **state)
{
    env *e = *state;
    temp_dir_remove(e->dir);
    free(e->path);
    free(e);
    return 0;
}

#define assert_ok(call)                                                                \
    do {                                                                               \
        if ((call) != SL_OK)                                                           \
            fail_msg("%s", err.msg);                                                   \
    } while (0)

static sl_status open_keyed(const char *path, const char *key, sl_db **db, sl_error *err)
{
    db_options o = {.key = key, .key_len = key ? strlen(key) : 0};
    return db_open_with(path, &o, db, err);
}

static sl_db *must_open(const char *path, const char *key)
{
    sl_db *db = NULL;
    sl_error err = {0};
    if (open_keyed(path, key, &db, &err) != SL_OK)
        fail_msg("%s", err.msg);
    return db;
}

static void fill(sl_db *db)
{
    sl_error err = {0};
    assert_int_equal(memory_add(db, SECRET_MEMORY, "user", NULL, &err), SL_OK);
    assert_int_equal(memory_add(db, "The green door is the kitchen", "spoken", NULL, &err), SL_OK);
    /* A forgotten row keeps its id unused after any copy. */
    int64_t gone = 0;
    assert_int_equal(memory_add(db, "a memory to forget", "user", &gone, &err), SL_OK);
    assert_int_equal(memory_forget(db, gone, &err), SL_OK);
    history_entry h = {0, 1700000000000, "read", "receipt.png", SECRET_HISTORY, 120};
    assert_int_equal(history_add(db, &h, NULL, &err), SL_OK);
    assert_int_equal(profile_set(db, "rate", "230", &err), SL_OK);
    int64_t meeting = 0;
    assert_int_equal(meeting_create(db, "budget", 1700000000000, &meeting, &err), SL_OK);
    assert_int_equal(meeting_add_segment(db, meeting, 0, 1500, "S1", SECRET_SEGMENT, NULL, &err),
                     SL_OK);
}

/* What a user can see (ids included), as one string. */
static char *dump(sl_db *db)
{
    sl_error err = {0};
    size_t cap = 65536, n = 0;
    char *s = calloc(1, cap);
    memory_items m;
    assert_int_equal(memory_list(db, 0, &m, &err), SL_OK);
    for (size_t i = 0; i < m.count; i++)
        n += (size_t)snprintf(s + n, cap - n, "memory %lld %lld %s %s\n",
                              (long long)m.items[i].id, (long long)m.items[i].created_ms,
                              m.items[i].source, m.items[i].text);
    memory_items_free(&m);
    history_entries h;
    assert_int_equal(history_list(db, 0, &h, &err), SL_OK);
    for (size_t i = 0; i < h.count; i++)
        n += (size_t)snprintf(s + n, cap - n, "history %lld %s %s\n", (long long)h.items[i].id,
                              h.items[i].mode, h.items[i].text);
    history_entries_free(&h);
    char *rate = NULL;
    assert_int_equal(profile_get(db, "rate", &rate, &err), SL_OK);
    n += (size_t)snprintf(s + n, cap - n, "rate %s\n", rate ? rate : "-");
    free(rate);
    /* The search indexes are rebuilt by every copy: they must find the rows. */
    assert_int_equal(memory_search(db, "where does the dog sleep", 0, &m, &err), SL_OK);
    for (size_t i = 0; i < m.count; i++)
        n += (size_t)snprintf(s + n, cap - n, "found memory %lld\n", (long long)m.items[i].id);
    memory_items_free(&m);
    meeting_segments g;
    assert_int_equal(meeting_search(db, "xylophone budget", 0, &g, &err), SL_OK);
    for (size_t i = 0; i < g.count; i++)
        n += (size_t)snprintf(s + n, cap - n, "found segment %lld %s\n",
                              (long long)g.items[i].id, g.items[i].text);
    meeting_segments_free(&g);
    /* A new memory must not reuse the forgotten one's id. */
    return s;
}

static bool file_contains(const char *path, const char *needle)
{
    size_t size = 0;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    size_t k = strlen(needle);
    bool found = false;
    for (size_t i = 0; !found && i + k <= size; i++)
        found = memcmp(bytes + i, needle, k) == 0;
    free(bytes);
    return found;
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)))
        n += ent->d_name[0] != '.';
    closedir(d);
    return n;
}

static void assert_encrypted_file(const char *path)
{
    int enc = 0;
    sl_error err = {0};
    assert_int_equal(db_file_is_encrypted(path, &enc, &err), SL_OK);
    assert_int_equal(enc, 1);
    assert_false(file_contains(path, "SQLite format 3"));
    assert_false(file_contains(path, "zebrawood"));
    assert_false(file_contains(path, "Quetzalcoatl"));
    assert_false(file_contains(path, "xylophone"));
    assert_false(file_contains(path, "CREATE TABLE"));
    assert_false(file_exists(with_suffix(path, "-wal")));
    assert_false(file_exists(with_suffix(path, "-journal")));
}

static void test_build_has_encryption(void **state)
{
    (void)state;
    assert_int_equal(db_encryption_available(), 1);
}

static void test_encrypted_database_holds_no_plain_text(void **state)
{
    env *e = *state;
    sl_db *db = must_open(e->path, key1);
    fill(db);
    char *before = dump(db);
    db_close(db);
    assert_encrypted_file(e->path);
    /* The same data with the right passphrase. */
    db = must_open(e->path, key1);
    char *after = dump(db);
    db_close(db);
    assert_string_equal(after, before);
    assert_non_null(strstr(after, "found memory 1"));
    assert_non_null(strstr(after, "found segment"));
    free(before);
    free(after);
}

static void expect_wrong_key(const char *path, const char *key)
{
    db_snapshot snap;
    db_snapshot_take(&snap, path);
    sl_db *db = NULL;
    sl_error err = {0};
    sl_status s = open_keyed(path, key, &db, &err);
    assert_null(db);
    char want[4200];
    snprintf(want, sizeof want, "%s: wrong passphrase, or not a sightline database", path);
    assert_int_equal(s, SL_ERR_DB);
    assert_string_equal(err.msg, want);
    db_snapshot_assert_same(&snap, path, 0);
    db_snapshot_free(&snap);
}

static void test_wrong_key_changes_nothing(void **state)
{
    env *e = *state;
    sl_db *db = must_open(e->path, key1);
    fill(db);
    db_close(db);
    expect_wrong_key(e->path, key2);
    expect_wrong_key(e->path, "correct horse battery stapl"); /* one byte short */
    expect_wrong_key(e->path, "x");

    /* No key at all: refused naming the file, nothing changed. */
    db_snapshot snap;
    db_snapshot_take(&snap, e->path);
    sl_error err = {0};
    assert_int_not_equal(db_open(e->path, &db, &err), SL_OK);
    assert_db_error(SL_ERR_DB, &err, SL_ERR_DB, e->path, "give its passphrase");
    db_snapshot_assert_same(&snap, e->path, 0);

    /* Re-keying and importing with the wrong key change nothing either. */
    memset(&err, 0, sizeof err);
    assert_int_equal(db_rekey_file(e->path, key2, strlen(key2), NULL, 0, &err), SL_ERR_DB);
    assert_non_null(strstr(err.msg, "wrong passphrase"));
    db_snapshot_assert_same(&snap, e->path, 0);
    db_snapshot_free(&snap);

    /* And the right key still opens it. */
    db = must_open(e->path, key1);
    db_close(db);
}

static void test_key_for_a_plain_database_is_refused(void **state)
{
    env *e = *state;
    sl_db *db = must_open(e->path, NULL);
    fill(db);
    db_close(db);
    db_snapshot snap;
    db_snapshot_take(&snap, e->path);
    sl_error err = {0};
    assert_int_equal(open_keyed(e->path, key1, &db, &err), SL_ERR_DB);
    assert_db_error(SL_ERR_DB, &err, SL_ERR_DB, e->path, "not encrypted");
    db_snapshot_assert_same(&snap, e->path, 0);
    db_snapshot_free(&snap);
}

static void test_encrypt_rekey_decrypt_keep_every_row(void **state)
{
    env *e = *state;
    sl_db *db = must_open(e->path, NULL);
    fill(db);
    char *plain = dump(db);
    db_close(db);
    assert_true(file_contains(e->path, "zebrawood"));
    sl_error err = {0};

    /* plain -> encrypted */
    assert_ok(db_rekey_file(e->path, NULL, 0, key1, strlen(key1), &err));
    assert_encrypted_file(e->path);
    struct stat st;
    assert_int_equal(stat(e->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    db = must_open(e->path, key1);
    char *text = dump(db);
    int64_t id = 0;
    assert_int_equal(memory_add(db, "a new memory", "user", &id, &err), SL_OK);
    assert_int_equal(id, 4); /* 3 was forgotten before the copy: never reused */
    assert_int_equal(memory_forget(db, id, &err), SL_OK);
    db_close(db);
    assert_string_equal(text, plain);
    free(text);
    /* Nothing of the work is left beside it. */
    assert_int_equal(files_in(e->dir), 1);

    /* key1 -> key2 */
    assert_int_equal(db_rekey_file(e->path, key1, strlen(key1), key2, strlen(key2), &err),
                     SL_OK);
    assert_encrypted_file(e->path);
    expect_wrong_key(e->path, key1);
    db = must_open(e->path, key2);
    text = dump(db);
    db_close(db);
    assert_string_equal(text, plain);
    free(text);

    /* encrypted -> plain */
    assert_int_equal(db_rekey_file(e->path, key2, strlen(key2), NULL, 0, &err), SL_OK);
    int enc = 1;
    assert_int_equal(db_file_is_encrypted(e->path, &enc, &err), SL_OK);
    assert_int_equal(enc, 0);
    db = must_open(e->path, NULL);
    text = dump(db);
    db_close(db);
    assert_string_equal(text, plain);
    free(text);
    free(plain);
}

static void test_export_and_import_encrypted(void **state)
{
    env *e = *state;
    sl_db *db = must_open(e->path, key1);
    fill(db);
    char *want = dump(db);
    char *out = path_join(e->dir, "export.db");
    sl_error err = {0};
    assert_ok(db_export(db, out, &err));
    db_close(db);
    /* The export is encrypted with the same passphrase. */
    assert_encrypted_file(out);
    expect_wrong_key(out, key2);
    db = must_open(out, key1);
    char *got = dump(db);
    db_close(db);
    assert_string_equal(got, want);
    free(got);

    /* Imported into another encrypted database (same passphrase). */
    char *other = path_join(e->dir, "other.db");
    db = must_open(other, key1);
    db_snapshot snap;
    db_snapshot_take(&snap, out);
    db_import_counts c;
    assert_int_equal(db_import(db, out, &c, &err), SL_OK);
    assert_int_equal(c.memories, 2);
    assert_int_equal(c.history, 1);
    assert_int_equal(c.meetings, 1);
    memory_items m;
    assert_int_equal(memory_search(db, "zebrawood", 0, &m, &err), SL_OK);
    assert_int_equal(m.count, 1);
    memory_items_free(&m);
    db_close(db);
    db_snapshot_assert_same(&snap, out, 0);
    db_snapshot_free(&snap);
    assert_encrypted_file(other);

    /* An encrypted export into a plain database: refused, nothing changed. */
    char *plain = path_join(e->dir, "plain.db");
    db = must_open(plain, NULL);
    db_snapshot_take(&snap, plain);
    memset(&err, 0, sizeof err);
    assert_int_not_equal(db_import(db, out, &c, &err), SL_OK);
    assert_non_null(strstr(err.msg, "same passphrase"));
    /* ...but a plain export goes into an encrypted database. */
    fill(db);
    char *plain_out = path_join(e->dir, "plain-export.db");
    assert_int_equal(db_export(db, plain_out, &err), SL_OK);
    db_close(db);
    assert_true(file_contains(plain_out, "zebrawood"));
    db = must_open(other, key1);
    assert_int_equal(db_import(db, plain_out, &c, &err), SL_OK);
    assert_int_equal(c.memories, 2); /* remembered at another time: new rows */
    assert_int_equal(memory_search(db, "zebrawood", 0, &m, &err), SL_OK);
    assert_int_equal(m.count, 2);
    memory_items_free(&m);
    db_close(db);
    db_snapshot_free(&snap);
    free(plain_out);
    free(plain);
    free(other);
    free(out);
    free(want);
}

static void test_erase_encrypted(void **state)
{
    env *e = *state;
    sl_db *db = must_open(e->path, key1);
    fill(db);
    sl_error err = {0};
    assert_int_equal(db_erase_all(db, &err), SL_OK);
    memory_items m;
    assert_int_equal(memory_search(db, "dog", 0, &m, &err), SL_OK);
    assert_int_equal(m.count, 0);
    memory_items_free(&m);
    db_close(db);
    assert_encrypted_file(e->path);
    db = must_open(e->path, key1);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_has_encryption),
        cmocka_unit_test_setup_teardown(test_encrypted_database_holds_no_plain_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_for_a_plain_database_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_encrypt_rekey_decrypt_keep_every_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_export_and_import_encrypted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_encrypted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
