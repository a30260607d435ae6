#include "storage/transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ATTACHes the database at path as src, with its key (none: a plain
 * file, also beside an encrypted main database). Only read, but attached
 * for writing: db_begin's BEGIN IMMEDIATE takes the write lock of every
 * attached database, which SQLite 3.15 refuses on a read-only one; the lock
 * also keeps src still while it is copied. */
static sl_status attach_src(sl_db *db, const char *path, const char *key, size_t key_len,
                            const char *doing, sl_error *err)
{
    char *uri = db_path_uri(path, "mode=rw");
    if (!uri)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st = NULL;
#ifdef SL_STORAGE_SQLCIPHER
    /* SQLCipher: without KEY an attached file gets main's key; '' means a
     * plain file. */
    sl_status s = db_prepare(db, "ATTACH ?1 AS src KEY ?2", &st, doing, err);
    if (s == SL_OK)
        sqlite3_bind_blob(st, 2, key ? key : "", key ? (int)key_len : 0, SQLITE_STATIC);
#else
    (void)key_len;
    sl_status s = key ? sl_fail(err, SL_ERR_DB, "%s: encrypted, and this sightline was built "
                                "without encryption", path)
                      : db_prepare(db, "ATTACH ?1 AS src", &st, doing, err);
#endif
    if (s == SL_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = db_fail(db, rc, doing, err);
    }
    sqlite3_finalize(st);
    free(uri);
    return s;
}

/* The ordinary tables of src (not the search tables' own storage), which a
 * new database of the same schema version also has. */
static sl_status table_names(sl_db *db, char ***names, size_t *count, sl_error *err)
{
    *names = NULL;
    *count = 0;
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "SELECT t.name FROM src.sqlite_master t WHERE t.type = 'table' "
                             "AND t.rootpage > 0 AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                             "AND NOT EXISTS (SELECT 1 FROM src.sqlite_master v "
                             "WHERE v.type = 'table' AND v.rootpage = 0 "
                             "AND substr(t.name, 1, length(v.name) + 1) = v.name || '_') "
                             "AND EXISTS (SELECT 1 FROM main.sqlite_master m "
                             "WHERE m.type = 'table' AND m.name = t.name) ORDER BY t.name",
                             &st, "reading the schema", err);
    if (s != SL_OK)
        return s;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char **grown = realloc(*names, (*count + 1) * sizeof *grown);
        char *name = strdup((const char *)sqlite3_column_text(st, 0));
        if (grown)
            *names = grown;
        if (!grown || !name) {
            free(name);
            s = sl_fail(err, SL_ERR_NOMEM, "out of memory");
            break;
        }
        (*names)[(*count)++] = name;
    }
    if (s == SL_OK && rc != SQLITE_DONE)
        s = db_fail(db, rc, "reading the schema", err);
    sqlite3_finalize(st);
    return s;
}

static sl_status exec_printf(sl_db *db, const char *doing, sl_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    if (!sql)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    sl_status s = db_exec(db, sql, doing, err);
    sqlite3_free(sql);
    return s;
}

/* Fills main, a new database, with every row of the one attached as src
 * (same schema version), ids and AUTOINCREMENT counters included, and
 * rebuilds main's search indexes from them. The search tables are not
 * copied: main may use another module (FTS4 on SQLCipher, FTS5 on SQLite). */
static sl_status copy_rows(sl_db *db, const char *src_path, sl_error *err)
{
    long long src_version = 0, version = 0;
    sl_status s = db_query_int64(db, "PRAGMA src.user_version", &src_version,
                                 "reading the schema version", err);
    if (s == SL_OK)
        s = db_query_int64(db, "PRAGMA main.user_version", &version,
                           "reading the schema version", err);
    if (s == SL_OK && src_version != version)
        return sl_fail(err, SL_ERR_INTERNAL, "%s: schema version %lld, the copy has %lld",
                       src_path, src_version, version);
    char **names = NULL;
    size_t count = 0;
    if (s == SL_OK)
        s = table_names(db, &names, &count, err);
    /* Rows arrive table by table, children before their parents at times;
     * they come from a database that kept its keys, so the check is off for
     * the copy (a pragma that must be set outside a transaction). */
    if (s == SL_OK)
        s = db_exec(db, "PRAGMA foreign_keys = OFF", "copying", err);
    if (s == SL_OK && (s = db_begin(db, err)) == SL_OK) {
        for (size_t i = 0; s == SL_OK && i < count; i++)
            s = exec_printf(db, "copying", err,
                            "DELETE FROM main.\"%w\"; INSERT INTO main.\"%w\" SELECT * FROM "
                            "src.\"%w\"",
                            names[i], names[i], names[i]);
        long long seq = 0;
        if (s == SL_OK)
            s = db_query_int64(db,
                               "SELECT count(*) FROM src.sqlite_master "
                               "WHERE name = 'sqlite_sequence'",
                               &seq, "reading the schema", err);
        if (s == SL_OK && seq)
            s = db_exec(db,
                        "DELETE FROM main.sqlite_sequence; INSERT INTO main.sqlite_sequence "
                        "SELECT * FROM src.sqlite_sequence",
                        "copying", err);
        static const char *const search_tables[] = {"memory_fts", "meeting_segments_fts"};
        for (size_t i = 0; s == SL_OK && i < 2; i++) {
            db_fts_kind kind;
            s = db_fts_kind_of(db, "main", search_tables[i], &kind, err);
            if (s == SL_OK && kind != DB_FTS_NONE)
                s = exec_printf(db, "indexing the copy", err,
                                "INSERT INTO main.\"%w\" (\"%w\") VALUES ('rebuild')",
                                search_tables[i], search_tables[i]);
        }
        if (s == SL_OK)
            s = db_commit(db, err);
        else
            db_rollback(db);
    }
    sl_status on = db_exec(db, "PRAGMA foreign_keys = ON", "copying", s == SL_OK ? err : NULL);
    if (s == SL_OK)
        s = on;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return s;
}

static void remove_with_side_files(const char *path)
{
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

/* Writes a new database at path (an empty file the caller made, 0600) with
 * every row of the database at src_path: the key `to` for the new one,
 * `from` for the source. */
static sl_status write_copy(const char *src_path, const char *from, size_t from_len,
                            const char *path, const char *to, size_t to_len, int compact,
                            sl_error *err)
{
    db_options o = {.key = to, .key_len = to_len};
    sl_db *copy = NULL;
    sl_status s = db_open_internal(path, &o, 0, &copy, err);
    if (s != SL_OK)
        return s;
    s = attach_src(copy, src_path, from, from_len, "opening the database to copy", err);
    if (s == SL_OK) {
        s = copy_rows(copy, src_path, err);
        db_exec(copy, "DETACH src", "closing the copied database", NULL);
    }
    /* The index rebuilds leave free pages behind. */
    if (s == SL_OK && compact)
        s = db_exec(copy, "VACUUM", "compacting the copy", err);
    if (s == SL_OK)
        s = db_checkpoint(copy, err);
    db_close(copy);
    return s;
}

sl_status db_export(sl_db *db, const char *path, sl_error *err)
{
    /* Making the file ourselves with O_EXCL both refuses an existing file
     * and sets the mode before any data is in it. The copy is encrypted
     * with the database's own key when it has one. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot create the export: %s%s", path,
                       strerror(errno), errno == EEXIST ? " (choose a new file name)" : "");
    if (fchmod(fd, 0600) != 0) {
        sl_status s = sl_fail(err, SL_ERR_IO, "%s: cannot set mode 0600: %s", path,
                              strerror(errno));
        close(fd);
        unlink(path);
        return s;
    }
    close(fd);
    sl_error why = {0};
    sl_status s = write_copy(db->path, db->key, db->key_len, path, db->key, db->key_len, 1,
                             &why);
    if (s != SL_OK) {
        remove_with_side_files(path);
        return sl_fail(err, s, "%s: cannot write the export: %s", path, why.msg);
    }
    return SL_OK;
}

sl_status db_rekey_file(const char *path, const char *key, size_t key_len, const char *new_key,
                        size_t new_key_len, sl_error *err)
{
    if (new_key && new_key_len == 0)
        return sl_fail(err, SL_ERR_ARG, "%s: the new passphrase is empty", path);
    if ((key || new_key) && !db_encryption_available())
        return sl_fail(err, SL_ERR_DB,
                       "%s: this sightline was built without encryption "
                       "(meson setup -Dencryption=true links SQLCipher)",
                       path);
    /* The source is checked and migrated like any database; the copy holds
     * its write lock while it reads it (attach_src). */
    db_options o = {.key = key, .key_len = key_len};
    sl_db *src = NULL;
    sl_status s = db_open_internal(path, &o, 1, &src, err);
    if (s != SL_OK)
        return s;
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.rekey-XXXXXX", path) < 0) {
        db_close(src);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        s = sl_fail(err, SL_ERR_IO, "%s: cannot make the new file: %s", tmp, strerror(errno));
        free(tmp);
        db_close(src);
        return s;
    }
    if (fchmod(fd, 0600) != 0)
        s = sl_fail(err, SL_ERR_IO, "%s: cannot set mode 0600: %s", tmp, strerror(errno));
    close(fd);
    if (s == SL_OK) {
        s = write_copy(path, key, key_len, tmp, new_key, new_key_len, 0, err);
        /* Durable before it replaces the original. */
        int tfd = s == SL_OK ? open(tmp, O_RDONLY | O_CLOEXEC) : -1;
        if (s == SL_OK && (tfd < 0 || fsync(tfd) != 0))
            s = sl_fail(err, SL_ERR_IO, "%s: cannot write the new file: %s", tmp,
                        strerror(errno));
        if (tfd >= 0)
            close(tfd);
        /* Closed cleanly first (its -wal checkpointed and removed), so
         * nothing of it remains beside the new file. */
        db_close(src);
        src = NULL;
        /* The old file, to overwrite once it is replaced. */
        int old = s == SL_OK ? open(path, O_RDWR | O_CLOEXEC) : -1;
        if (s == SL_OK && rename(tmp, path) != 0)
            s = sl_fail(err, SL_ERR_IO, "%s: cannot replace the database: %s", path,
                        strerror(errno));
        if (s == SL_OK && old >= 0) {
            /* Best effort: the old bytes (plain text when encrypting) are
             * zeroed in place, as secure_delete does for deleted rows. */
            struct stat st;
            if (fstat(old, &st) == 0) {
                static const char zeros[65536];
                for (off_t at = 0; at < st.st_size;) {
                    size_t n = (size_t)(st.st_size - at) < sizeof zeros
                                   ? (size_t)(st.st_size - at) : sizeof zeros;
                    ssize_t w = pwrite(old, zeros, n, at);
                    if (w <= 0)
                        break;
                    at += w;
                }
                fsync(old);
            }
        }
        if (old >= 0)
            close(old);
    }
    db_close(src);
    if (s != SL_OK)
        remove_with_side_files(tmp);
    free(tmp);
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
    remove_with_side_files(copy);
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
    /* Open the copy as a database: the full checks and migrations. An
     * encrypted file is opened with this database's passphrase; a plain one
     * imports into an encrypted database too. Only ordinary tables are read,
     * so a search index of a module this SQLite lacks does not matter. */
    int encrypted = 0;
    s = db_file_is_encrypted(copy, &encrypted, err);
    if (s != SL_OK) {
        remove_copy(copy);
        return s;
    }
    const char *key = encrypted ? db->key : NULL;
    size_t key_len = encrypted ? db->key_len : 0;
    db_options o = {.key = key, .key_len = key_len};
    sl_db *check = NULL;
    sl_error why = {0};
    if (encrypted && !db->key)
        s = sl_fail(&why, SL_ERR_DB, "%s: encrypted, or not a database; an encrypted export "
                    "imports into a database encrypted with the same passphrase", copy);
    else
        s = db_open_internal(copy, &o, 1, &check, &why);
    db_close(check);
    if (s != SL_OK) {
        /* The message names the copy; the user knows the file by its name. */
        const char *cause = strstr(why.msg, ": ");
        s = sl_fail(err, s, "%s: cannot import: %s", path, cause ? cause + 2 : why.msg);
        remove_copy(copy);
        return s;
    }
    s = attach_src(db, copy, key, key_len, "opening the file to import", err);
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
    if (s == SL_OK)
        s = db_fts_clear(db, "main", "memory_fts", "erasing", err);
    if (s == SL_OK)
        s = db_fts_clear(db, "main", "meeting_segments_fts", "erasing", err);
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
