#include "storage/transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/db_internal.h"

/* The user's tables, in an order that satisfies the foreign keys. */
static const char *const user_tables[] = {
    "feedback",          "history",          "memory",           "profile",
    "sign_examples",     "taught_objects",   "meeting_summaries", "meeting_speakers",
    "meeting_segments",  "meetings"};

static bool has_table(sl_db *db, const char *schema, const char *table)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.sqlite_master WHERE type = 'table' "
             "AND name = '%s'", schema, table);
    long long n = 0;
    return db_query_int64(db, sql, &n, "reading the schema", NULL) == SL_OK && n > 0;
}

sl_status db_export(sl_db *db, const char *path, sl_error *err)
{
    /* VACUUM INTO writes only into an empty file; making it ourselves with
     * O_EXCL both refuses an existing file and sets the mode before any
     * data is in it. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot create the export: %s%s", path,
                       strerror(errno), errno == EEXIST ? " (choose a new file name)" : "");
    close(fd);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "VACUUM INTO ?1", &st, "exporting", err);
    if (s == SL_OK) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = sl_fail(err, SL_ERR_IO, "%s: cannot write the export: %s", path,
                        sqlite3_errmsg(db->sq));
        sqlite3_finalize(st);
    }
    if (s != SL_OK)
        unlink(path);
    return s;
}

/* A private copy of the file to import, beside the database, so that
 * checking and migrating it never touches the user's file. */
static sl_status copy_for_import(const char *from, const char *db_path, char **copy,
                                 sl_error *err)
{
    *copy = NULL;
    if (asprintf(copy, "%s.import-XXXXXX", db_path) < 0) {
        *copy = NULL;
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    int out = mkstemp(*copy);
    if (out < 0) {
        sl_status s = sl_fail(err, SL_ERR_IO, "%s: cannot make a working copy: %s", *copy,
                              strerror(errno));
        free(*copy);
        *copy = NULL;
        return s;
    }
    int in = open(from, O_RDONLY | O_CLOEXEC);
    sl_status s = SL_OK;
    if (in < 0) {
        s = sl_fail(err, SL_ERR_IO, "%s: %s", from, strerror(errno));
    } else {
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n) {
                s = sl_fail(err, SL_ERR_IO, "%s: cannot copy: %s", *copy, strerror(errno));
                break;
            }
        if (n < 0)
            s = sl_fail(err, SL_ERR_IO, "%s: %s", from, strerror(errno));
        close(in);
    }
    close(out);
    return s;
}

static void remove_copy(char *copy)
{
    if (!copy)
        return;
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", copy, suffixes[i]);
        unlink(p);
    }
    free(copy);
}

/* Statements that add src's rows missing from main; the length limits
 * repeat the ones the storage functions enforce. */
static const struct {
    const char *table;
    const char *sql;
} import_sql[] = {
    {"history",
     "INSERT INTO main.history (time_ms, mode, source, text, duration_ms) "
     "SELECT h.time_ms, h.mode, h.source, h.text, h.duration_ms FROM src.history h "
     "WHERE length(h.text) <= 1048576 AND length(h.source) <= 4096 AND length(h.mode) <= 32 "
     "AND NOT EXISTS (SELECT 1 FROM main.history m WHERE m.time_ms = h.time_ms "
     "AND m.text = h.text AND m.source = h.source) ORDER BY h.id"},
    {"memory",
     "INSERT INTO main.memory (created_ms, source, text) "
     "SELECT s.created_ms, s.source, s.text FROM src.memory s WHERE length(s.text) <= 4096 "
     "AND NOT EXISTS (SELECT 1 FROM main.memory m WHERE m.created_ms = s.created_ms "
     "AND m.text = s.text) ORDER BY s.id"},
    {"profile", "INSERT OR REPLACE INTO main.profile (key, value, updated_ms) "
                "SELECT key, value, updated_ms FROM src.profile WHERE length(value) <= 256"},
    /* Feedback points at history rows; their ids differ between databases,
     * so the link is found again through the answer's time and text. */
    {"feedback",
     "INSERT INTO main.feedback (time_ms, kind, note, history_id) "
     "SELECT f.time_ms, f.kind, f.note, (SELECT m.id FROM main.history m JOIN src.history h "
     "ON h.time_ms = m.time_ms AND h.text = m.text WHERE h.id = f.history_id LIMIT 1) "
     "FROM src.feedback f WHERE NOT EXISTS (SELECT 1 FROM main.feedback g "
     "WHERE g.time_ms = f.time_ms AND g.kind = f.kind) ORDER BY f.id"},
    {"sign_examples",
     "INSERT INTO main.sign_examples (name, kind, created_ms, landmarks) "
     "SELECT s.name, s.kind, s.created_ms, s.landmarks FROM src.sign_examples s "
     "WHERE NOT EXISTS (SELECT 1 FROM main.sign_examples m WHERE m.name = s.name "
     "AND m.kind = s.kind AND m.created_ms = s.created_ms) ORDER BY s.id"},
    {"taught_objects",
     "INSERT INTO main.taught_objects (name, kind, created_ms, method, vector) "
     "SELECT s.name, s.kind, s.created_ms, s.method, s.vector FROM src.taught_objects s "
     "WHERE length(s.vector) <= 65536 AND length(s.method) <= 63 "
     "AND NOT EXISTS (SELECT 1 FROM main.taught_objects m WHERE m.name = s.name "
     "AND m.kind = s.kind AND m.created_ms = s.created_ms AND m.method = s.method "
     "AND m.vector = s.vector) ORDER BY s.id"},
    /* A meeting is the same meeting when its start and title are; its
     * segments, names and summaries follow it through that pair. */
    {"meetings",
     "INSERT INTO main.meetings (title, started_ms, ended_ms) "
     "SELECT s.title, s.started_ms, s.ended_ms FROM src.meetings s WHERE length(s.title) <= 256 "
     "AND NOT EXISTS (SELECT 1 FROM main.meetings m WHERE m.title = s.title "
     "AND m.started_ms = s.started_ms) ORDER BY s.id"},
    {"meeting_segments",
     "INSERT INTO main.meeting_segments (meeting_id, t0_ms, t1_ms, speaker, text) "
     "SELECT m.id, g.t0_ms, g.t1_ms, g.speaker, g.text FROM src.meeting_segments g "
     "JOIN src.meetings sm ON sm.id = g.meeting_id "
     "JOIN main.meetings m ON m.title = sm.title AND m.started_ms = sm.started_ms "
     "WHERE length(g.text) <= 8192 AND length(g.speaker) <= 64 AND NOT EXISTS (SELECT 1 "
     "FROM main.meeting_segments h WHERE h.meeting_id = m.id AND h.t0_ms = g.t0_ms "
     "AND h.text = g.text) ORDER BY g.id"},
    {"meeting_speakers",
     "INSERT OR REPLACE INTO main.meeting_speakers (meeting_id, label, name) "
     "SELECT m.id, k.label, k.name FROM src.meeting_speakers k "
     "JOIN src.meetings sm ON sm.id = k.meeting_id "
     "JOIN main.meetings m ON m.title = sm.title AND m.started_ms = sm.started_ms "
     "WHERE length(k.label) <= 64 AND length(k.name) <= 64"},
    {"meeting_summaries",
     "INSERT INTO main.meeting_summaries (meeting_id, created_ms, method, body) "
     "SELECT m.id, u.created_ms, u.method, u.body FROM src.meeting_summaries u "
     "JOIN src.meetings sm ON sm.id = u.meeting_id "
     "JOIN main.meetings m ON m.title = sm.title AND m.started_ms = sm.started_ms "
     "WHERE length(u.body) <= 1048576 AND NOT EXISTS (SELECT 1 FROM main.meeting_summaries v "
     "WHERE v.meeting_id = m.id AND v.created_ms = u.created_ms AND v.method = u.method) "
     "ORDER BY u.id"},
};

static sl_status import_rows(sl_db *db, db_import_counts *c, sl_error *err)
{
    int64_t segments = 0, other = 0;
    int64_t *counts[] = {&c->history, &c->memories, &c->settings, &c->feedback, &c->signs,
                         &c->objects, &c->meetings, &segments, &other, &other};
    for (size_t i = 0; i < sizeof import_sql / sizeof import_sql[0]; i++) {
        if (!has_table(db, "src", import_sql[i].table) ||
            !has_table(db, "main", import_sql[i].table))
            continue;
        sl_status s = db_exec(db, import_sql[i].sql, "importing", err);
        if (s != SL_OK)
            return s;
        *counts[i] = sqlite3_changes(db->sq);
    }
    /* New memory and segment rows need their tokens in the search index. */
    sl_status s = SL_OK;
    if (c->memories)
        s = db_exec(db, "INSERT INTO memory_fts (memory_fts) VALUES ('rebuild')",
                    "indexing imported memories", err);
    if (s == SL_OK && segments)
        s = db_exec(db, "INSERT INTO meeting_segments_fts (meeting_segments_fts) "
                        "VALUES ('rebuild')",
                    "indexing imported meetings", err);
    return s;
}

sl_status db_import(sl_db *db, const char *path, db_import_counts *counts, sl_error *err)
{
    db_import_counts none;
    if (!counts)
        counts = &none;
    memset(counts, 0, sizeof *counts);
    char *copy = NULL;
    sl_status s = copy_for_import(path, db->path, &copy, err);
    if (s != SL_OK) {
        remove_copy(copy);
        return s;
    }
    /* Open the copy as a database: the full checks and migrations. */
    sl_db *check = NULL;
    sl_error why = {0};
    s = db_open(copy, &check, &why);
    db_close(check);
    if (s != SL_OK) {
        /* The message names the copy; the user knows the file by its name. */
        const char *cause = strstr(why.msg, ": ");
        s = sl_fail(err, s, "%s: cannot import: %s", path, cause ? cause + 2 : why.msg);
        remove_copy(copy);
        return s;
    }
    char *uri = db_path_uri(copy, "mode=ro");
    char *sql = uri ? sqlite3_mprintf("ATTACH %Q AS src", uri) : NULL;
    free(uri);
    if (!sql) {
        remove_copy(copy);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    s = db_exec(db, sql, "opening the file to import", err);
    sqlite3_free(sql);
    if (s == SL_OK) {
        if ((s = db_begin(db, err)) == SL_OK) {
            s = import_rows(db, counts, err);
            if (s == SL_OK)
                s = db_commit(db, err);
            else
                db_rollback(db);
        }
        db_exec(db, "DETACH src", "closing the imported file", NULL);
    }
    remove_copy(copy);
    return s;
}

sl_status db_erase_all(sl_db *db, sl_error *err)
{
    sl_status s = db_begin(db, err);
    if (s != SL_OK)
        return s;
    for (size_t i = 0; s == SL_OK && i < sizeof user_tables / sizeof user_tables[0]; i++) {
        if (!has_table(db, "main", user_tables[i]))
            continue;
        char sql[96];
        snprintf(sql, sizeof sql, "DELETE FROM %s", user_tables[i]);
        s = db_exec(db, sql, "erasing", err);
    }
    if (s == SL_OK && has_table(db, "main", "memory_fts"))
        s = db_exec(db, "INSERT INTO memory_fts (memory_fts) VALUES ('delete-all')", "erasing",
                    err);
    if (s == SL_OK && has_table(db, "main", "meeting_segments_fts"))
        s = db_exec(db, "INSERT INTO meeting_segments_fts (meeting_segments_fts) "
                        "VALUES ('delete-all')",
                    "erasing", err);
    if (s != SL_OK) {
        db_rollback(db);
        return s;
    }
    if ((s = db_commit(db, err)) != SL_OK)
        return s;
    /* VACUUM rebuilds the file from the live rows only; with secure_delete
     * the freed pages were zeroed too. The WAL goes last. */
    s = db_exec(db, "VACUUM", "erasing", err);
    return s == SL_OK ? db_checkpoint(db, err) : s;
}
