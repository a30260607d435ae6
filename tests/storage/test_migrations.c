/* Migrations: applied once, in order, each recorded; opening an up-to-date
 * database writes nothing. */
#include "storage/migrations_internal.h"
#include "tests/storage/storage_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_list_is_ordered_without_gaps(void **state)
{
    (void)state;
    int n = 0;
    const db_migration *list = db_migrations(&n);
    assert_true(n >= 1);
    for (int i = 0; i < n; i++) {
        assert_int_equal(list[i].version, i + 1);
        assert_non_null(list[i].name);
        assert_true(list[i].name[0] != '\0');
        assert_non_null(list[i].sql);
    }
    assert_int_equal(db_migrations_latest(), n);
    assert_int_equal(db_schema_latest(), n);
}

static void test_new_database_records_every_version(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "m.db");
    int64_t before = db_now_ms();
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    int64_t after = db_now_ms();
    int version = 0;
    assert_int_equal(db_schema_version(db, &version, &err), SL_OK);
    assert_int_equal(version, db_schema_latest());
    db_close(db);

    sqlite3 *sq = raw_open(path);
    assert_int_equal(raw_int(sq, "PRAGMA user_version"), db_schema_latest());
    assert_int_equal(raw_int(sq, "PRAGMA application_id"), DB_APPLICATION_ID);
    assert_int_equal(raw_int(sq, "SELECT count(*) FROM schema_version"), db_schema_latest());
    int n = 0;
    const db_migration *list = db_migrations(&n);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(sq,
                                        "SELECT version, applied_ms, name FROM schema_version "
                                        "ORDER BY version",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (int i = 0; i < n; i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), list[i].version);
        int64_t applied = sqlite3_column_int64(st, 1);
        assert_true(applied >= before && applied <= after);
        assert_string_equal((const char *)sqlite3_column_text(st, 2), list[i].name);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    /* Migration 1's table is there. */
    assert_int_equal(
        raw_int(sq, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'history'"),
        1);
    sqlite3_close(sq);
    free(path);
    temp_dir_remove(dir);
}

static void test_reopening_writes_nothing(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char *path = path_join(dir, "m.db");
    make_db_with_history(path, 10);
    file_snapshot snap;
    snapshot_take(&snap, path);
    for (int i = 0; i < 3; i++) {
        sl_db *db = NULL;
        sl_error err;
        assert_int_equal(db_open(path, &db, &err), SL_OK);
        int version = 0;
        assert_int_equal(db_schema_version(db, &version, &err), SL_OK);
        assert_int_equal(version, db_schema_latest());
        db_close(db);
    }
    snapshot_assert_same(&snap, path);
    snapshot_free(&snap);
    sqlite3 *sq = raw_open(path);
    assert_int_equal(raw_int(sq, "SELECT count(*) FROM schema_version"), db_schema_latest());
    sqlite3_close(sq);
    free(path);
    temp_dir_remove(dir);
}

static void test_migrate_refuses_a_newer_schema(void **state)
{
    (void)state;
    /* What happens when a newer sightline upgrades the file between db_open's
     * check and its migration step. */
    char *dir = temp_dir_create();
    char *path = path_join(dir, "m.db");
    sl_db *db = NULL;
    sl_error err;
    assert_int_equal(db_open(path, &db, &err), SL_OK);
    sqlite3 *sq = raw_open(path);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", db_schema_latest() + 3);
    raw_exec(sq, sql);
    sqlite3_close(sq);
    assert_int_equal(db_migrate(db, &err), SL_ERR_DB);
    assert_non_null(strstr(err.msg, "newer"));
    assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
    db_close(db);
    free(path);
    temp_dir_remove(dir);
}

typedef struct opener {
    const char *path;
    sl_status status;
    char msg[SL_ERROR_MSG_MAX];
} opener;

static void *open_and_close(void *arg)
{
    opener *o = arg;
    sl_db *db = NULL;
    sl_error err;
    o->status = db_open(o->path, &db, &err);
    if (o->status != SL_OK)
        snprintf(o->msg, sizeof o->msg, "%s", err.msg);
    db_close(db);
    return NULL;
}

static void test_concurrent_first_opens_migrate_once(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        char *dir = temp_dir_create();
        char *path = path_join(dir, "race/m.db");
        enum { N = 4 };
        opener o[N];
        pthread_t t[N];
        for (int i = 0; i < N; i++) {
            o[i] = (opener){.path = path};
            assert_int_equal(pthread_create(&t[i], NULL, open_and_close, &o[i]), 0);
        }
        for (int i = 0; i < N; i++) {
            pthread_join(t[i], NULL);
            if (o[i].status != SL_OK)
                fail_msg("opener %d: %s", i, o[i].msg);
        }
        sqlite3 *sq = raw_open(path);
        assert_int_equal(raw_int(sq, "SELECT count(*) FROM schema_version"), db_schema_latest());
        assert_int_equal(raw_int(sq, "PRAGMA user_version"), db_schema_latest());
        sqlite3_close(sq);
        free(path);
        temp_dir_remove(dir);
    }
}

static void test_concurrent_first_opens_by_processes(void **state)
{
    (void)state;
    /* Locks between processes are what the appliance and a CLI command meet. */
    for (int round = 0; round < 10; round++) {
        char *dir = temp_dir_create();
        char *path = path_join(dir, "race/m.db");
        enum { N = 3 };
        pid_t pids[N];
        for (int i = 0; i < N; i++) {
            pids[i] = fork();
            assert_true(pids[i] >= 0);
            if (pids[i] == 0) {
                opener o = {.path = path};
                open_and_close(&o);
                if (o.status != SL_OK)
                    fprintf(stderr, "child %d: %s\n", i, o.msg);
                _exit(o.status == SL_OK ? 0 : 1);
            }
        }
        for (int i = 0; i < N; i++) {
            int status = 0;
            assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        }
        sqlite3 *sq = raw_open(path);
        assert_int_equal(raw_int(sq, "SELECT count(*) FROM schema_version"), db_schema_latest());
        sqlite3_close(sq);
        free(path);
        temp_dir_remove(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_is_ordered_without_gaps),
        cmocka_unit_test(test_new_database_records_every_version),
        cmocka_unit_test(test_reopening_writes_nothing),
        cmocka_unit_test(test_migrate_refuses_a_newer_schema),
        cmocka_unit_test(test_concurrent_first_opens_migrate_once),
        cmocka_unit_test(test_concurrent_first_opens_by_processes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
