/* What storage/'s own modules (history, migrations and the tables of later
 * issues) share: the SQLite handle and helpers that turn SQLite result codes
 * into sightline's one-line errors. Nothing outside storage/ includes this.
 *
 * SQLite features: the Debian SQLCipher (for optional encryption) is SQLite
 * 3.15, so SQL and C calls here stay within what 3.15 has (no RETURNING,
 * UPSERT, STRICT tables, window functions, sqlite3_prepare_v3). */
#ifndef SIGHTLINE_STORAGE_DB_INTERNAL_H
#define SIGHTLINE_STORAGE_DB_INTERNAL_H

#include <sqlite3.h>

#include "storage/db.h"

struct sl_db {
    sqlite3 *sq;
    char *path;
    int busy_timeout_ms;
    int tx_depth; /* open db_begin calls: 1 is the transaction, more are savepoints */
    char *key;    /* the passphrase (key_len bytes), NULL for a plain database */
    size_t key_len;
};

/* db_open_with for storage/'s own copies (import, export, re-keying): with
 * foreign_fts, a database whose search tables use a module this SQLite lacks
 * (FTS5 on SQLCipher) opens anyway, for reading its ordinary tables. */
sl_status db_open_internal(const char *path, const db_options *opts, int foreign_fts,
                           sl_db **out, sl_error *err);

/* ---- full-text search (storage/fts.c) ----
 * A search table is FTS5 where this SQLite has it and FTS4 otherwise
 * (SQLCipher 3.4 is SQLite 3.15 without FTS5); FTS4 hits are ranked with
 * sl_bm25(), FTS5's BM25 computed from matchinfo(), so both give the same
 * order. Every SQL text that differs between the two lives in fts.c. Each
 * table is indexed over a content table's `text` column whose key is `id`. */
typedef enum db_fts_kind { DB_FTS_NONE = 0, DB_FTS4 = 4, DB_FTS5 = 5 } db_fts_kind;

/* FTS5 when this SQLite has it, else FTS4: what new search tables get. */
db_fts_kind db_fts_for_new_tables(void);

/* The module of an existing search table (DB_FTS_NONE when missing). */
sl_status db_fts_kind_of(sl_db *db, const char *schema, const char *table, db_fts_kind *kind,
                         sl_error *err);

/* Creates the search table fts over content.text. */
sl_status db_fts_create(sl_db *db, const char *fts, const char *content, sl_error *err);

/* Registers sl_bm25() on a connection. */
int db_fts_register(sqlite3 *sq);

/* Refuses (SL_ERR_DB, one line) a database with a search table whose
 * module this SQLite lacks. */
sl_status db_fts_check_modules(sl_db *db, sl_error *err);

/* Removes from fts the rows of content whose column equals value; runs
 * before those rows are deleted (both modules read the indexed text). */
sl_status db_fts_unindex(sl_db *db, const char *fts, const char *content, const char *column,
                         int64_t value, const char *doing, sl_error *err);

/* Empties fts after its content table was emptied. */
sl_status db_fts_clear(sl_db *db, const char *schema, const char *fts, const char *doing,
                       sl_error *err);

/* An SQL expression ranking the rows of a MATCH on fts, lower is better
 * (FTS5's bm25() or the same figure from matchinfo()). sqlite3_free it. */
sl_status db_fts_rank(sl_db *db, const char *fts, char **expr, sl_error *err);

/* Fills err from a failed SQLite call: corruption, locks, read-only files and
 * a full disk get their own wording; `doing` says what was attempted ("reading
 * the history"). sq may be NULL (then only rc is known). Returns the status. */
sl_status db_fail_sqlite(const char *path, sqlite3 *sq, int rc, int busy_timeout_ms,
                         const char *doing, sl_error *err);

/* db_fail_sqlite for an open sl_db. */
sl_status db_fail(sl_db *db, int rc, const char *doing, sl_error *err);

/* Runs SQL without results (several statements allowed). */
sl_status db_exec(sl_db *db, const char *sql, const char *doing, sl_error *err);

sl_status db_prepare(sl_db *db, const char *sql, sqlite3_stmt **stmt, const char *doing,
                     sl_error *err);

/* A statement returning one integer; *value is 0 when it returns no row. */
sl_status db_query_int64(sl_db *db, const char *sql, long long *value, const char *doing,
                         sl_error *err);

/* "SLDB": PRAGMA application_id of every sightline database, so db_open can
 * tell a sightline database from another program's. */
#define DB_APPLICATION_ID 0x534C4442

/* "file:" URI for path (percent-escaped) with query params such as
 * "mode=ro"; malloc'ed, NULL when out of memory. */
char *db_path_uri(const char *path, const char *params);

#endif
