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
};

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
