/* The database schema, as migrations applied in order.
 *
 * Append new entries; never edit or reorder old ones. A database remembers
 * which versions it has applied, so an edited entry would leave databases made
 * before the edit with a different schema than new ones.
 *
 * Each migration runs in one transaction together with its row in
 * schema_version and PRAGMA user_version. The table is the record (when, what);
 * user_version is a copy in the file header, which db_open reads before it
 * parses the schema, so a database from a newer sightline is recognised as
 * such even when its schema uses SQL this build's SQLite cannot parse.
 *
 * Conventions for every table: times are INTEGER Unix milliseconds, UTC
 * (db_now_ms); text is UTF-8; ids are INTEGER PRIMARY KEY AUTOINCREMENT so a
 * deleted row's id is never given to a new one (other tables and exported
 * files may refer to it). Full-text search tables are listed apart, in
 * search_tables: each is created after its migration's SQL with FTS5, or FTS4
 * where the SQLite lacks FTS5 (Debian 12's SQLCipher, 3.4.1 on SQLite 3.15);
 * storage/fts.c holds every statement that differs between the two.
 * A migration that must rebuild a table with foreign keys pointing at it needs
 * PRAGMA foreign_keys=OFF around its transaction: add a flag to db_migration
 * then. */
#include "storage/migrations_internal.h"

#include <stdio.h>

static const db_migration migrations[] = {
    {1, "schema_version and history",
     "CREATE TABLE schema_version (\n"
     "  version    INTEGER PRIMARY KEY,\n"
     "  applied_ms INTEGER NOT NULL,\n"
     "  name       TEXT NOT NULL\n"
     ");\n"
     /* What the assistant said: one row per answer spoken or shown. */
     "CREATE TABLE history (\n"
     "  id          INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  time_ms     INTEGER NOT NULL,\n"
     "  mode        TEXT NOT NULL,\n"
     "  source      TEXT NOT NULL,\n"
     "  text        TEXT NOT NULL,\n"
     "  duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0)\n"
     ");\n"
     "CREATE INDEX history_by_time ON history (time_ms, id);\n"},
    {2, "memory, profile and feedback",
     /* What the user asked to be remembered, searched through memory_fts
      * (search_tables). The index holds only tokens (content= the memory
      * table); storage/memory.c keeps it in step in the same transaction
      * (triggers cannot: with trusted_schema off, SQLite refuses virtual
      * tables in triggers). */
     "CREATE TABLE memory (\n"
     "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  source     TEXT NOT NULL,\n"
     "  text       TEXT NOT NULL\n"
     ");\n"
     "CREATE TABLE profile (\n"
     "  key        TEXT PRIMARY KEY,\n"
     "  value      TEXT NOT NULL,\n"
     "  updated_ms INTEGER NOT NULL\n"
     ");\n"
     "CREATE TABLE feedback (\n"
     "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  time_ms    INTEGER NOT NULL,\n"
     "  kind       TEXT NOT NULL,\n"
     "  note       TEXT,\n"
     "  history_id INTEGER REFERENCES history (id) ON DELETE SET NULL\n"
     ");\n"},
    {3, "taught signs",
     /* What `sightline teach` recorded: one row per example. landmarks is
      * vision/signs_blob.c's recording of the hands (storage/ does not read
      * it); keeping landmarks rather than features lets the features change
      * without losing what the user taught. */
     "CREATE TABLE sign_examples (\n"
     "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  name       TEXT NOT NULL,\n"
     "  kind       TEXT NOT NULL CHECK (kind IN ('sign', 'letter')),\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  landmarks  BLOB NOT NULL\n"
     ");\n"
     "CREATE INDEX sign_examples_by_name ON sign_examples (kind, name, id);\n"},
    {4, "taught objects and people",
     /* What `sightline teach object|person` recorded: one descriptor per
      * row, several per name. method names what made the vector
      * (vision/object_descriptor.h); vector is little-endian float32. */
     "CREATE TABLE taught_objects (\n"
     "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  name       TEXT NOT NULL,\n"
     "  kind       TEXT NOT NULL CHECK (kind IN ('object', 'person')),\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  method     TEXT NOT NULL,\n"
     "  vector     BLOB NOT NULL\n"
     ");\n"
     "CREATE INDEX taught_objects_by_name ON taught_objects (kind, name, id);\n"},
    {5, "meetings",
     /* Meeting transcripts: one row per finished segment, committed as it
      * is heard (storage/meeting.c). Segment times are milliseconds from the
      * start of the meeting, not Unix times. The search index
      * (meeting_segments_fts, search_tables) is kept in step in C, as for
      * memory. */
     "CREATE TABLE meetings (\n"
     "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  title      TEXT NOT NULL,\n"
     "  started_ms INTEGER NOT NULL,\n"
     "  ended_ms   INTEGER\n"
     ");\n"
     "CREATE TABLE meeting_segments (\n"
     "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,\n"
     "  t0_ms      INTEGER NOT NULL CHECK (t0_ms >= 0),\n"
     "  t1_ms      INTEGER NOT NULL CHECK (t1_ms >= t0_ms),\n"
     "  speaker    TEXT NOT NULL,\n"
     "  text       TEXT NOT NULL\n"
     ");\n"
     "CREATE INDEX meeting_segments_by_time ON meeting_segments (meeting_id, t0_ms, id);\n"
     "CREATE TABLE meeting_speakers (\n"
     "  meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,\n"
     "  label      TEXT NOT NULL,\n"
     "  name       TEXT NOT NULL,\n"
     "  PRIMARY KEY (meeting_id, label)\n"
     ");\n"
     "CREATE TABLE meeting_summaries (\n"
     "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  method     TEXT NOT NULL,\n"
     "  body       TEXT NOT NULL\n"
     ");\n"},
};

/* Search tables: created by migration `version` right after its SQL, over
 * content's `text` column (see storage/fts.c). */
static const struct {
    int version;
    const char *table, *content;
} search_tables[] = {
    {2, "memory_fts", "memory"},
    {5, "meeting_segments_fts", "meeting_segments"},
};

const db_migration *db_migrations(int *count)
{
    *count = (int)(sizeof migrations / sizeof migrations[0]);
    return migrations;
}

int db_migrations_latest(void)
{
    return migrations[sizeof migrations / sizeof migrations[0] - 1].version;
}

sl_status db_fail_newer_schema(const char *path, long long version, sl_error *err)
{
    return sl_fail(err, SL_ERR_DB,
                   "%s: database schema version %lld is newer than this sightline supports "
                   "(%d); use a newer sightline",
                   path, version, db_migrations_latest());
}

static sl_status record_version(sl_db *db, const db_migration *m, sl_error *err)
{
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "INSERT INTO schema_version (version, applied_ms, name) "
                             "VALUES (?1, ?2, ?3)",
                             &st, "recording the schema version", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int(st, 1, m->version);
    sqlite3_bind_int64(st, 2, db_now_ms());
    sqlite3_bind_text(st, 3, m->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(db, rc, "recording the schema version", err);

    /* Pragmas take no parameters; both values are integers we format. */
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d",
             m->version, DB_APPLICATION_ID);
    return db_exec(db, sql, "recording the schema version", err);
}

static sl_status apply(sl_db *db, const db_migration *m, sl_error *err)
{
    sl_status s = db_begin(db, err);
    if (s != SL_OK)
        return s;
    /* Read again under the write lock: another process may have migrated
     * while this one waited. */
    long long version = 0;
    s = db_query_int64(db, "PRAGMA user_version", &version, "reading the schema version", err);
    if (s == SL_OK && version > db_migrations_latest())
        s = db_fail_newer_schema(db->path, version, err);
    if (s == SL_OK && version >= m->version)
        return db_commit(db, err);
    if (s == SL_OK && version != m->version - 1)
        s = sl_fail(err, SL_ERR_INTERNAL, "%s: schema version %lld cannot be migrated to %d",
                    db->path, version, m->version);
    if (s == SL_OK) {
        char doing[128];
        snprintf(doing, sizeof doing, "applying migration %d (%s)", m->version, m->name);
        s = db_exec(db, m->sql, doing, err);
        for (size_t i = 0; s == SL_OK && i < sizeof search_tables / sizeof search_tables[0]; i++)
            if (search_tables[i].version == m->version)
                s = db_fts_create(db, search_tables[i].table, search_tables[i].content, err);
    }
    if (s == SL_OK)
        s = record_version(db, m, err);
    if (s != SL_OK) {
        db_rollback(db);
        return s;
    }
    return db_commit(db, err);
}

sl_status db_migrate(sl_db *db, sl_error *err)
{
    long long version = 0;
    sl_status s =
        db_query_int64(db, "PRAGMA user_version", &version, "reading the schema version", err);
    if (s != SL_OK)
        return s;
    if (version > db_migrations_latest())
        return db_fail_newer_schema(db->path, version, err);
    int n = 0;
    const db_migration *list = db_migrations(&n);
    for (int i = 0; i < n; i++) {
        if (list[i].version <= version)
            continue;
        s = apply(db, &list[i], err);
        if (s != SL_OK)
            return s;
    }
    return SL_OK;
}
