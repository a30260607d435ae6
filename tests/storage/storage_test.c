#include "tests/storage/storage_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void snapshot_take(file_snapshot *s, const char *path)
{
    memset(s, 0, sizeof *s);
    if (stat(path, &s->st) != 0)
        return;
    s->exists = 1;
    if (!S_ISREG(s->st.st_mode))
        return; /* a folder or a FIFO: its stat fields are the snapshot */
    s->bytes = read_file_bytes(path, &s->size);
    assert_non_null(s->bytes);
}

void snapshot_assert_same(const file_snapshot *s, const char *path)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists != s->exists)
        fail_msg("%s: %s", path, s->exists ? "was removed" : "was created");
    if (!exists)
        return;
    if (!S_ISREG(st.st_mode)) {
        assert_int_equal(st.st_mode, s->st.st_mode);
        assert_int_equal(st.st_ino, s->st.st_ino);
        return;
    }
    size_t size = 0;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    assert_int_equal(size, s->size);
    assert_memory_equal(bytes, s->bytes, size);
    free(bytes);
    /* Same bytes could still have been rewritten; these say it was not. */
    assert_int_equal(st.st_ino, s->st.st_ino);
    assert_int_equal(st.st_mode, s->st.st_mode);
    assert_int_equal(st.st_mtim.tv_sec, s->st.st_mtim.tv_sec);
    assert_int_equal(st.st_mtim.tv_nsec, s->st.st_mtim.tv_nsec);
}

void snapshot_free(file_snapshot *s)
{
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

const char *with_suffix(const char *path, const char *suffix)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s%s", path, suffix);
    return buf;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void db_snapshot_take(db_snapshot *s, const char *path)
{
    snapshot_take(&s->main, path);
    snapshot_take(&s->wal, with_suffix(path, "-wal"));
    snapshot_take(&s->shm, with_suffix(path, "-shm"));
    snapshot_take(&s->journal, with_suffix(path, "-journal"));
}

void db_snapshot_assert_same(const db_snapshot *s, const char *path, int shm_may_appear)
{
    snapshot_assert_same(&s->main, path);
    snapshot_assert_same(&s->wal, with_suffix(path, "-wal"));
    snapshot_assert_same(&s->journal, with_suffix(path, "-journal"));
    if (!s->shm.exists && !shm_may_appear)
        assert_false(file_exists(with_suffix(path, "-shm")));
}

void db_snapshot_free(db_snapshot *s)
{
    snapshot_free(&s->main);
    snapshot_free(&s->wal);
    snapshot_free(&s->shm);
    snapshot_free(&s->journal);
}

sqlite3 *raw_open(const char *path)
{
    sqlite3 *sq = NULL;
    int rc = sqlite3_open_v2(path, &sq, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", path, sqlite3_errmsg(sq));
    sqlite3_busy_timeout(sq, 5000);
    return sq;
}

void raw_exec(sqlite3 *sq, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(sq, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        fail_msg("%s: %s", sql, copy);
    }
}

long long raw_int(sqlite3 *sq, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(sq, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(sq));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

void assert_db_error(sl_status status, const sl_error *err, sl_status code, const char *path,
                     const char *phrase)
{
    if (status != code || err->code != code)
        fail_msg("expected status %d, got %d (%s)", code, status, err->msg);
    size_t n = strlen(path);
    if (strncmp(err->msg, path, n) != 0 || strncmp(err->msg + n, ": ", 2) != 0)
        fail_msg("message does not start with the path: %s", err->msg);
    if (strchr(err->msg, '\n'))
        fail_msg("message is not one line: %s", err->msg);
    if (!strstr(err->msg, phrase))
        fail_msg("message lacks '%s': %s", phrase, err->msg);
}

void make_db_with_history(const char *path, int n)
{
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    char text[400];
    assert_int_equal(db_begin(db, &err), SL_OK);
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text,
                 "entry %d: the quick brown fox jumps over the lazy dog, then reads the "
                 "label on the tin of beans aloud, twice, slowly. %d",
                 i, i * 7919);
        history_entry e = {.time_ms = 1700000000000LL + i * 1000LL, .mode = "read",
                           .source = "camera", .text = text, .duration_ms = 100 + i};
        assert_int_equal(history_add(db, &e, NULL, &err), SL_OK);
    }
    assert_int_equal(db_commit(db, &err), SL_OK);
    db_close(db);
}

void copy_file(const char *from, const char *to)
{
    size_t n = 0;
    unsigned char *bytes = read_file_bytes(from, &n);
    assert_non_null(bytes);
    assert_int_equal(write_file_bytes(to, bytes, n), 0);
    free(bytes);
}

int db_fixture_setup(void **state)
{
    db_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = temp_dir_create();
    f->path = path_join(f->dir, "user.db");
    sl_error err;
    assert_int_equal(db_open(f->path, &f->db, &err), SL_OK);
    *state = f;
    return 0;
}

int db_fixture_teardown(void **state)
{
    db_fixture *f = *state;
    db_close(f->db);
    free(f->path);
    temp_dir_remove(f->dir);
    free(f);
    return 0;
}
