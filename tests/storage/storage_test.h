/* Helpers shared by the storage tests. */
#ifndef SIGHTLINE_TESTS_STORAGE_TEST_H
#define SIGHTLINE_TESTS_STORAGE_TEST_H

#include <sqlite3.h>
#include <stddef.h>
#include <sys/stat.h>

#include "storage/storage.h"
#include "tests/support.h"

/* dir + "/" + name, malloc'ed. */
char *path_join(const char *dir, const char *name);

/* What a file is now: whether it exists, its bytes and the stat fields that
 * any write would change. */
typedef struct file_snapshot {
    int exists;
    unsigned char *bytes;
    size_t size;
    struct stat st;
} file_snapshot;

void snapshot_take(file_snapshot *s, const char *path);
/* Fails the test unless path is exactly as in s (absent when s says so). */
void snapshot_assert_same(const file_snapshot *s, const char *path);
void snapshot_free(file_snapshot *s);

/* The database and its -wal, -shm and -journal. */
typedef struct db_snapshot {
    file_snapshot main, wal, shm, journal;
} db_snapshot;

void db_snapshot_take(db_snapshot *s, const char *path);
/* The database and -wal must be unchanged; the -shm and -journal must not
 * appear when they were absent (with shm_may_appear, the -shm may). */
void db_snapshot_assert_same(const db_snapshot *s, const char *path, int shm_may_appear);
void db_snapshot_free(db_snapshot *s);

int file_exists(const char *path);
/* path + suffix, into a static buffer. */
const char *with_suffix(const char *path, const char *suffix);

/* A plain SQLite connection that asserts success. */
sqlite3 *raw_open(const char *path);
void raw_exec(sqlite3 *sq, const char *sql);
long long raw_int(sqlite3 *sq, const char *sql);

/* Asserts that status is SL_ERR_DB (or code), err->msg is one line that
 * starts with "path: " and contains phrase. */
void assert_db_error(sl_status status, const sl_error *err, sl_status code, const char *path,
                     const char *phrase);

/* Creates a sightline database at path holding n history entries whose texts
 * are long enough to fill several pages. */
void make_db_with_history(const char *path, int n);

/* Copies a file byte for byte (mode 0600). */
void copy_file(const char *from, const char *to);

/* A fresh database in a temporary folder, for cmocka setup/teardown. */
typedef struct db_fixture {
    char *dir;
    char *path;
    sl_db *db;
} db_fixture;

int db_fixture_setup(void **state);
int db_fixture_teardown(void **state);

#endif
