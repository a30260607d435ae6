/* db_open: where the database goes, its modes, its pragmas, and that a file
 * it cannot use gets one clear error and stays exactly as it was. */
#include "storage/db_internal.h"
#include "tests/storage/storage_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- where ---- */

static void expect_path(const char *xdg, const char *home, const char *want)
{
    char *p = NULL;
    sl_error err;
    assert_int_equal(db_path_from(xdg, home, &p, &err), SL_OK);
    assert_string_equal(p, want);
    free(p);
}

static void test_path_rules(void **state)
{
    (void)state;
    expect_path("/data", "/home/ann", "/data/sightline/sightline.db");
    expect_path("/data/", "/home/ann", "/data/sightline/sightline.db");
    /* Unset, empty or relative XDG_DATA_HOME: the XDG default under HOME. */
    expect_path(NULL, "/home/ann", "/home/ann/.local/share/sightline/sightline.db");
    expect_path("", "/home/ann/", "/home/ann/.local/share/sightline/sightline.db");
    expect_path("data", "/home/ann", "/home/ann/.local/share/sightline/sightline.db");
    expect_path("/", "/home/ann", "/sightline/sightline.db");

    char *p = (char *)"untouched";
    sl_error err;
    assert_int_equal(db_path_from(NULL, NULL, &p, &err), SL_ERR_ARG);
    assert_null(p);
    assert_non_null(strstr(err.msg, "HOME"));
    assert_int_equal(db_path_from("rel", "home/ann", &p, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "home/ann"));
}

static void test_default_path_reads_environment(void **state)
{
    (void)state;
    char *saved_xdg = getenv("XDG_DATA_HOME") ? strdup(getenv("XDG_DATA_HOME")) : NULL;
    char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *p = NULL;
    sl_error err;

    setenv("XDG_DATA_HOME", "/xdg/data", 1);
    setenv("HOME", "/home/bob", 1);
    assert_int_equal(db_default_path(&p, &err), SL_OK);
    assert_string_equal(p, "/xdg/data/sightline/sightline.db");
    free(p);
    unsetenv("XDG_DATA_HOME");
    assert_int_equal(db_default_path(&p, &err), SL_OK);
    assert_string_equal(p, "/home/bob/.local/share/sightline/sightline.db");
    free(p);

    if (saved_xdg)
        setenv("XDG_DATA_HOME", saved_xdg, 1);
    if (saved_home)
        setenv("HOME", saved_home, 1);
    else
        unsetenv("HOME");
    free(saved_xdg);
    free(saved_home);
}

/* ---- modes ---- */

static void check_new_database_modes(mode_t mask)
{
    char *dir = temp_dir_create();
    char *path = path_join(dir, "a/b/sightline.db");
    char *a = path_join(dir, "a"), *b = path_join(dir, "a/b");
    mode_t old = umask(mask);
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    history_entry e = {.time_ms = 1, .mode = "read", .source = "camera", .text = "hi"};
    assert_int_equal(history_add(db, &e, NULL, &err), SL_OK);
    umask(old);

    assert_int_equal(mode_of(a), 0700);
    assert_int_equal(mode_of(b), 0700);
    assert_int_equal(mode_of(path), 0600);
    /* SQLite gives its side files the database's mode. */
    assert_true(file_exists(with_suffix(path, "-wal")));
    assert_int_equal(mode_of(with_suffix(path, "-wal")), 0600);
    assert_int_equal(mode_of(with_suffix(path, "-shm")), 0600);
    db_close(db);
    assert_int_equal(mode_of(path), 0600);

    free(a);
    free(b);
    free(path);
    temp_dir_remove(dir);
}

static void test_new_database_is_private_with_umask_0(void **state)
{
    (void)state;
    check_new_database_modes(0);
}

static void test_new_database_is_private_with_umask_0277(void **state)
{
    (void)state;
    /* Even a umask that takes the owner's write bit away. */
    check_new_database_modes(0277);
}

static void test_existing_folder_keeps_its_mode(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *sub = path_join(dir, "shared");
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(chmod(sub, 0755), 0);
    char *path = path_join(sub, "s.db");
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    db_close(db);
    assert_int_equal(mode_of(sub), 0755);
    assert_int_equal(mode_of(path), 0600);
    free(path);
    free(sub);
    temp_dir_remove(dir);
}

static void test_zero_byte_file_becomes_a_database(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "empty.db");
    assert_int_equal(write_file_bytes(path, "", 0), 0);
    assert_int_equal(chmod(path, 0644), 0);
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    int version = 0;
    assert_int_equal(db_schema_version(db, &version, &err), SL_OK);
    assert_int_equal(version, db_schema_latest());
    db_close(db);
    assert_int_equal(mode_of(path), 0600);
    free(path);
    temp_dir_remove(dir);
}

static void test_zero_byte_file_with_a_wal_is_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "empty.db");
    assert_int_equal(write_file_bytes(path, "", 0), 0);
    assert_int_equal(write_file_bytes(with_suffix(path, "-wal"), "not empty", 9), 0);
    db_snapshot snap;
    db_snapshot_take(&snap, path);
    sl_db *db = NULL;
    sl_error err;
    assert_db_error(db_open(path, &db, &err), &err, SL_ERR_DB, path, "corrupt");
    assert_null(db);
    db_snapshot_assert_same(&snap, path, 0);
    db_snapshot_free(&snap);
    free(path);
    temp_dir_remove(dir);
}

/* ---- pragmas ---- */

static void test_connection_settings(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "p.db");
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    assert_string_equal(db_path(db), path);
    sqlite3 *sq = db->sq;

    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(sq, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(raw_int(sq, "PRAGMA foreign_keys"), 1);
    assert_int_equal(raw_int(sq, "PRAGMA secure_delete"), 1);
    assert_int_equal(raw_int(sq, "PRAGMA application_id"), DB_APPLICATION_ID);

    /* Foreign keys are enforced, not only switched on. */
    raw_exec(sq, "CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY);"
                 "CREATE TEMP TABLE child (p INTEGER REFERENCES parent (id));"
                 "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);");
    int rc = sqlite3_exec(sq, "INSERT INTO child VALUES (2)", NULL, NULL, NULL);
    assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
    db_close(db);
    free(path);
    temp_dir_remove(dir);
}

static int contains(const unsigned char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

static void test_deleted_text_is_overwritten(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "s.db");
    static const char secret[] = "PIN-7731-for-the-front-door";
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    history_entry keep = {.time_ms = 1, .mode = "read", .source = "camera", .text = "keep me"};
    history_entry gone = {.time_ms = 2, .mode = "read", .source = "camera", .text = secret};
    assert_int_equal(history_add(db, &keep, NULL, &err), SL_OK);
    assert_int_equal(history_add(db, &gone, NULL, &err), SL_OK);
    raw_exec(db->sq, "PRAGMA wal_checkpoint(TRUNCATE)");
    size_t n = 0;
    unsigned char *bytes = read_file_bytes(path, &n);
    assert_true(contains(bytes, n, secret)); /* the check below can fail */
    free(bytes);
    /* A few more writes, so the -wal holds older copies of the page. */
    raw_exec(db->sq, "UPDATE history SET duration_ms = 1 WHERE time_ms = 2;"
                     "UPDATE history SET duration_ms = 2 WHERE time_ms = 2;");
    bytes = read_file_bytes(with_suffix(path, "-wal"), &n);
    assert_true(contains(bytes, n, secret));
    free(bytes);
    raw_exec(db->sq, "DELETE FROM history WHERE time_ms = 2");
    assert_int_equal(db_checkpoint(db, &err), SL_OK);
    /* While the connection is still open: neither file holds the text. */
    bytes = read_file_bytes(path, &n);
    assert_false(contains(bytes, n, secret));
    assert_true(contains(bytes, n, "keep me"));
    free(bytes);
    bytes = read_file_bytes(with_suffix(path, "-wal"), &n);
    assert_false(contains(bytes, n, secret));
    free(bytes);
    db_close(db);
    free(path);
    temp_dir_remove(dir);
}

/* ---- files db_open must not touch ---- */

/* db_open on path fails with code and phrase and leaves the files as they
 * were. */
static void expect_refused(const char *path, sl_status code, const char *phrase,
                           int shm_may_appear)
{
    db_snapshot snap;
    db_snapshot_take(&snap, path);
    sl_db *db = NULL;
    sl_error err;
    db_options opts = {.busy_timeout_ms = 300};
    assert_db_error(db_open_with(path, &opts, &db, &err), &err, code, path, phrase);
    assert_null(db);
    db_snapshot_assert_same(&snap, path, shm_may_appear);
    db_snapshot_free(&snap);
}

static void test_random_bytes_are_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "random.db");
    unsigned char bytes[8192];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof bytes; i++) {
        x = x * 1664525u + 1013904223u;
        bytes[i] = (unsigned char)(x >> 24);
    }
    assert_int_equal(write_file_bytes(path, bytes, sizeof bytes), 0);
    expect_refused(path, SL_ERR_DB, "not a SQLite database", 0);
    free(path);
    temp_dir_remove(dir);
}

static void test_text_file_is_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "notes.txt");
    const char text[] = "shopping: milk, bread\n";
    assert_int_equal(write_file_bytes(path, text, sizeof text - 1), 0);
    expect_refused(path, SL_ERR_DB, "not a SQLite database", 0);
    /* Shorter than the magic, too. */
    assert_int_equal(write_file_bytes(path, "SQL", 3), 0);
    expect_refused(path, SL_ERR_DB, "not a SQLite database", 0);
    free(path);
    temp_dir_remove(dir);
}

static void smash(const char *path, long long offset, size_t n, unsigned seed)
{
    size_t size = 0;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    assert_true((size_t)offset + n <= size);
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        bytes[offset + (long long)i] = (unsigned char)(x >> 24);
    }
    assert_int_equal(write_file_bytes(path, bytes, size), 0);
    free(bytes);
}

static void test_smashed_pages_are_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "h.db");
    make_db_with_history(path, 300);
    assert_false(file_exists(with_suffix(path, "-wal")));
    size_t size = 0;
    free(read_file_bytes(path, &size));
    const long long page = 4096;
    long long pages = (long long)size / page;
    assert_true(pages >= 10);

    /* A page in the middle of the history table, and the last page. */
    char *copy = path_join(dir, "copy.db");
    long long which[] = {pages / 2, pages - 1, 1};
    for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
        copy_file(path, copy);
        smash(copy, which[i] * page, (size_t)page, 77 + (unsigned)i);
        expect_refused(copy, SL_ERR_DB, "database is corrupt", 0);
    }
    /* The SQLite header itself (page size field). */
    copy_file(path, copy);
    smash(copy, 16, 2, 5);
    expect_refused(copy, SL_ERR_DB, "database is corrupt", 0);
    free(copy);
    free(path);
    temp_dir_remove(dir);
}

static void test_truncated_database_is_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "h.db");
    make_db_with_history(path, 300);
    size_t size = 0;
    unsigned char *bytes = read_file_bytes(path, &size);
    char *copy = path_join(dir, "cut.db");
    /* At a page boundary (the header still promises the rest) and not. */
    size_t cuts[] = {(size / 2) & ~(size_t)4095, size - 100, 50, 120};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(write_file_bytes(copy, bytes, cuts[i]), 0);
        expect_refused(copy, SL_ERR_DB, cuts[i] < 100 ? "corrupt" : "database is corrupt", 0);
    }
    free(bytes);
    free(copy);
    free(path);
    temp_dir_remove(dir);
}

static void test_other_programs_databases_are_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "other.db");
    sqlite3 *sq = raw_open(path);
    raw_exec(sq, "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')");
    sqlite3_close(sq);
    expect_refused(path, SL_ERR_DB, "another program", 0);

    char *path2 = path_join(dir, "other2.db");
    sq = raw_open(path2);
    raw_exec(sq, "PRAGMA application_id = 1234; CREATE TABLE t (x)");
    sqlite3_close(sq);
    expect_refused(path2, SL_ERR_DB, "another program", 0);

    /* A folder or a FIFO where the file should be (the FIFO must not hang). */
    char *sub = path_join(dir, "folder.db");
    assert_int_equal(mkdir(sub, 0700), 0);
    expect_refused(sub, SL_ERR_DB, "not a regular file", 0);
    char *fifo = path_join(dir, "fifo.db");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_refused(fifo, SL_ERR_DB, "not a regular file", 0);
    free(fifo);
    free(sub);
    free(path2);
    free(path);
    temp_dir_remove(dir);
}

/* A sightline database whose recorded schema is one version newer. With
 * keep_open, the connection that made it stays open, so the change sits in
 * the -wal and another process "uses" the database. */
static sqlite3 *make_newer(const char *path, int keep_open)
{
    make_db_with_history(path, 5);
    sqlite3 *sq = raw_open(path);
    raw_exec(sq, "PRAGMA wal_autocheckpoint = 0");
    char sql[256];
    snprintf(sql, sizeof sql,
             "BEGIN; INSERT INTO schema_version VALUES (%d, 1, 'from the future');"
             "CREATE TABLE future_things (x);"
             "PRAGMA user_version = %d; COMMIT;",
             db_schema_latest() + 1, db_schema_latest() + 1);
    raw_exec(sq, sql);
    if (keep_open)
        return sq;
    sqlite3_close(sq);
    return NULL;
}

static void test_newer_schema_is_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "new.db");

    /* Closed cleanly: no -wal, and none may appear. */
    make_newer(path, 0);
    assert_false(file_exists(with_suffix(path, "-wal")));
    expect_refused(path, SL_ERR_DB, "newer than this sightline", 0);

    /* In use by another connection: the change is only in the -wal. */
    char *path2 = path_join(dir, "new2.db");
    sqlite3 *other = make_newer(path2, 1);
    size_t wal_size = 0;
    free(read_file_bytes(with_suffix(path2, "-wal"), &wal_size));
    assert_true(wal_size > 0);
    expect_refused(path2, SL_ERR_DB, "newer than this sightline", 1);

    /* What a crash leaves: the database and its -wal, no -shm. SQLite's
     * read-only recovery may create the -shm; the rest is untouched. */
    char *path3 = path_join(dir, "new3.db");
    copy_file(path2, path3);
    char wal3[4200];
    snprintf(wal3, sizeof wal3, "%s-wal", path3);
    copy_file(with_suffix(path2, "-wal"), wal3);
    sqlite3_close(other);
    expect_refused(path3, SL_ERR_DB, "newer than this sightline", 1);

    free(path3);
    free(path2);
    free(path);
    temp_dir_remove(dir);
}

static void test_newer_schema_this_sqlite_cannot_parse_is_refused(void **state)
{
    (void)state;
    /* A later sightline may use SQL our SQLite does not know; the version in
     * the file header still says what the file is. */
    char *dir = temp_dir_create();
    char *path = path_join(dir, "future.db");
    make_db_with_history(path, 2);
    sqlite3 *sq = raw_open(path);
    char sql[512];
    snprintf(sql, sizeof sql,
             "PRAGMA writable_schema = ON;"
             "INSERT INTO sqlite_master VALUES ('table', 'later', 'later', 0,"
             " 'CREATE TABLE later (x) WITH SYNTAX FROM THE FUTURE');"
             "PRAGMA user_version = %d;",
             db_schema_latest() + 1);
    raw_exec(sq, sql);
    sqlite3_close(sq);
    expect_refused(path, SL_ERR_DB, "newer than this sightline", 0);
    /* The same file claiming our version is simply corrupt. */
    sq = raw_open(path);
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", db_schema_latest());
    raw_exec(sq, sql);
    sqlite3_close(sq);
    expect_refused(path, SL_ERR_DB, "database is corrupt", 0);
    free(path);
    temp_dir_remove(dir);
}

static void test_inconsistent_schema_version_is_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "odd.db");
    make_db_with_history(path, 1);
    sqlite3 *sq = raw_open(path);
    raw_exec(sq, "DELETE FROM schema_version");
    sqlite3_close(sq);
    expect_refused(path, SL_ERR_DB, "schema_version", 0);
    free(path);
    temp_dir_remove(dir);
}

/* ---- read-only and locked ---- */

/* Runs db_open in a child process as user `nobody` (root may write anything)
 * and returns 0 when it failed with SL_ERR_DB mentioning phrase. */
static int open_as_nobody(const char *path, const char *phrase)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        sl_db *db = NULL;
        sl_error err;
        db_options opts = {.busy_timeout_ms = 200};
        sl_status s = db_open_with(path, &opts, &db, &err);
        if (s != SL_ERR_DB || !strstr(err.msg, phrase) || strchr(err.msg, '\n')) {
            fprintf(stderr, "child: status %d: %s\n", s, s == SL_OK ? "opened" : err.msg);
            db_close(db);
            _exit(1);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_read_only_file_is_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "ro.db");
    make_db_with_history(path, 3);
    if (geteuid() == 0) {
        assert_int_equal(chown(dir, 65534, 65534), 0);
        assert_int_equal(chown(path, 65534, 65534), 0);
    }
    assert_int_equal(chmod(path, 0400), 0);
    db_snapshot snap;
    db_snapshot_take(&snap, path);
    assert_int_equal(open_as_nobody(path, "read-only"), 0);
    db_snapshot_assert_same(&snap, path, 0);
    db_snapshot_free(&snap);

    /* A writable file in a folder where SQLite cannot create the -wal. */
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(chmod(dir, 0500), 0);
    db_snapshot_take(&snap, path);
    assert_int_equal(open_as_nobody(path, "folder"), 0);
    db_snapshot_assert_same(&snap, path, 0);
    db_snapshot_free(&snap);
    assert_int_equal(chmod(dir, 0700), 0);
    free(path);
    temp_dir_remove(dir);
}

static void test_locked_database_is_refused(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "locked.db");
    make_db_with_history(path, 3);
    sqlite3 *other = raw_open(path);
    raw_exec(other, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;"
                    "INSERT INTO history (time_ms, mode, source, text, duration_ms) "
                    "VALUES (9, 'read', 'camera', 'mine', 1)");
    double t0 = now_s();
    expect_refused(path, SL_ERR_DB, "locked by another program", 1);
    double waited = now_s() - t0;
    assert_true(waited >= 0.25); /* the 300 ms busy timeout was used */
    raw_exec(other, "COMMIT");
    sqlite3_close(other);

    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    int64_t n = 0;
    assert_int_equal(history_count(db, &n, &err), SL_OK);
    assert_int_equal(n, 4);
    db_close(db);
    free(path);
    temp_dir_remove(dir);
}

/* ---- two connections ---- */

typedef struct holder {
    sl_db *db;
    int hold_ms;
    volatile int started;
} holder;

static void *hold_write_lock(void *arg)
{
    holder *h = arg;
    sl_error err;
    history_entry e = {.time_ms = 5, .mode = "read", .source = "a", .text = "from A"};
    assert_int_equal(db_begin(h->db, &err), SL_OK);
    assert_int_equal(history_add(h->db, &e, NULL, &err), SL_OK);
    __atomic_store_n(&h->started, 1, __ATOMIC_SEQ_CST);
    struct timespec ts = {0, h->hold_ms * 1000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(db_commit(h->db, &err), SL_OK);
    return NULL;
}

static void test_two_connections_share_the_database(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "two.db");
    sl_db *a = NULL, *b = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &a, &err), SL_OK);
    /* The second open sees a -wal and a -shm in use and checks with locks. */
    assert_int_equal(db_open(path, &b, &err), SL_OK);

    holder h = {.db = a, .hold_ms = 400};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hold_write_lock, &h), 0);
    while (!__atomic_load_n(&h.started, __ATOMIC_SEQ_CST)) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    double t0 = now_s();
    history_entry e = {.time_ms = 6, .mode = "read", .source = "b", .text = "from B"};
    assert_int_equal(history_add(b, &e, NULL, &err), SL_OK); /* waits for A */
    double waited = now_s() - t0;
    pthread_join(t, NULL);
    assert_true(waited >= 0.2);

    int64_t n = 0;
    assert_int_equal(history_count(a, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(history_count(b, &n, &err), SL_OK);
    assert_int_equal(n, 2);
    db_close(a);
    db_close(b);
    free(path);
    temp_dir_remove(dir);
}

/* ---- crash leftovers ---- */

static void test_hot_rollback_journal_is_rolled_back(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "j.db");
    make_db_with_history(path, 20);
    sqlite3 *sq = raw_open(path);
    raw_exec(sq, "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 2;"
                 "BEGIN; DELETE FROM history;");
    /* A copy of the files now is what a crash at this point leaves. */
    char *crash = path_join(dir, "crash.db");
    copy_file(path, crash);
    char journal[4200];
    snprintf(journal, sizeof journal, "%s-journal", crash);
    assert_true(file_exists(with_suffix(path, "-journal")));
    copy_file(with_suffix(path, "-journal"), journal);
    raw_exec(sq, "ROLLBACK");
    sqlite3_close(sq);

    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(crash, &db, &err), SL_OK);
    int64_t n = 0;
    assert_int_equal(history_count(db, &n, &err), SL_OK);
    assert_int_equal(n, 20);
    db_close(db);
    assert_false(file_exists(journal));
    free(crash);
    free(path);
    temp_dir_remove(dir);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sl_db *db = (sl_db *)&db;
    sl_error err;
    assert_int_equal(db_open("", &db, &err), SL_ERR_ARG);
    assert_null(db);
    assert_int_equal(db_open(NULL, &db, &err), SL_ERR_ARG);
    assert_int_equal(db_open("x.db", NULL, &err), SL_ERR_ARG);
    db_close(NULL);

    /* A path under a file cannot get its folders. */
    char *dir = temp_dir_create();
    char *file = path_join(dir, "file");
    assert_int_equal(write_file_bytes(file, "x", 1), 0);
    char *path = path_join(file, "sub/s.db");
    assert_db_error(db_open(path, &db, &err), &err, SL_ERR_IO, path, "not a folder");
    free(path);
    free(file);
    temp_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_rules),
        cmocka_unit_test(test_default_path_reads_environment),
        cmocka_unit_test(test_new_database_is_private_with_umask_0),
        cmocka_unit_test(test_new_database_is_private_with_umask_0277),
        cmocka_unit_test(test_existing_folder_keeps_its_mode),
        cmocka_unit_test(test_zero_byte_file_becomes_a_database),
        cmocka_unit_test(test_zero_byte_file_with_a_wal_is_refused),
        cmocka_unit_test(test_connection_settings),
        cmocka_unit_test(test_deleted_text_is_overwritten),
        cmocka_unit_test(test_random_bytes_are_refused),
        cmocka_unit_test(test_text_file_is_refused),
        cmocka_unit_test(test_smashed_pages_are_refused),
        cmocka_unit_test(test_truncated_database_is_refused),
        cmocka_unit_test(test_other_programs_databases_are_refused),
        cmocka_unit_test(test_newer_schema_is_refused),
        cmocka_unit_test(test_newer_schema_this_sqlite_cannot_parse_is_refused),
        cmocka_unit_test(test_inconsistent_schema_version_is_refused),
        cmocka_unit_test(test_read_only_file_is_refused),
        cmocka_unit_test(test_locked_database_is_refused),
        cmocka_unit_test(test_two_connections_share_the_database),
        cmocka_unit_test(test_hot_rollback_journal_is_rolled_back),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
