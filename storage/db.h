/* The per-user SQLite database: where it lives, opening it safely, and
 * transactions.
 *
 * db_open never harms a database it does not understand. An existing file is
 * checked before anything writes to it: it must be a SQLite database, pass
 * `PRAGMA quick_check`, belong to sightline (or be empty), and have a schema
 * version this build knows. Any failure is one SL_ERR_DB line naming the file
 * and the cause, and the file and its -wal are left byte for byte as they
 * were (see db.c for the one case where SQLite adds a -shm index). Only then
 * are the missing migrations applied.
 *
 * A new database gets mode 0600 and the folders db_open creates for it 0700,
 * whatever the umask. A zero-byte file counts as a new database: that is what
 * an interrupted first start or `touch` leaves behind; it is set to 0600 too.
 *
 * Every connection runs in WAL mode with foreign keys on, secure_delete on
 * (deleted rows are overwritten, not just unlinked) and a busy timeout, so the
 * appliance and a CLI command can use the database at the same time. An
 * sl_db is used by one thread at a time.
 *
 * Encryption at rest: when storage/ is built on SQLCipher (storage_cipher_dep,
 * `meson setup -Dencryption=true` for the program), db_options.key encrypts
 * a new database and opens an encrypted one. The key is applied before
 * anything is read, and checked by reading the schema through a read-only
 * connection that creates no file: a wrong key is the one line "PATH: wrong
 * passphrase, or not a sightline database" (SL_ERR_DB) and the file is not
 * touched. A build on plain SQLite refuses a key in one line. */
#ifndef SIGHTLINE_STORAGE_DB_H
#define SIGHTLINE_STORAGE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"

typedef struct sl_db sl_db;

/* How long a statement waits for another connection's lock before it fails
 * with "locked by another program". */
#define DB_BUSY_TIMEOUT_MS_DEFAULT 5000

typedef struct db_options {
    int busy_timeout_ms; /* <= 0: DB_BUSY_TIMEOUT_MS_DEFAULT */
    /* The passphrase of an encrypted database (key_len bytes, any bytes but
     * at least one), or NULL for a plain one. db_open keeps a copy for
     * export and import and wipes it on close. */
    const char *key;
    size_t key_len;
} db_options;

/* Whether this build of storage/ can encrypt (it links SQLCipher). */
int db_encryption_available(void);

/* *encrypted = 1 when path is a non-empty file that does not start with the
 * SQLite header: an encrypted database, or not a database at all (db_open
 * tells which once it has the key). 0 for a plain database, an empty file or
 * no file. */
sl_status db_file_is_encrypted(const char *path, int *encrypted, sl_error *err);

/* $XDG_DATA_HOME/sightline/sightline.db, or ~/.local/share/sightline/
 * sightline.db when XDG_DATA_HOME is unset, empty or relative (the XDG spec
 * says to ignore relative values). *out is malloc'ed. */
sl_status db_default_path(char **out, sl_error *err);

/* The same rule with the two variables given (either may be NULL): what
 * db_default_path uses, separate so it can be tested without the environment.
 * HOME must be absolute when it is needed. */
sl_status db_path_from(const char *xdg_data_home, const char *home, char **out,
                       sl_error *err);

/* Opens (creating when missing) the database at path and brings its schema
 * up to date. On failure *out is NULL. */
sl_status db_open(const char *path, sl_db **out, sl_error *err);
sl_status db_open_with(const char *path, const db_options *opts, sl_db **out, sl_error *err);

/* NULL is fine. */
void db_close(sl_db *db);

/* The path db_open was given. */
const char *db_path(const sl_db *db);

/* The schema version recorded in the database, and the newest one this build
 * knows (what db_open migrates to). */
sl_status db_schema_version(sl_db *db, int *version, sl_error *err);
int db_schema_latest(void);

/* Copies the -wal's committed pages into the database and empties the
 * -wal. secure_delete overwrites deleted rows in the database's pages, but the
 * -wal can still hold older copies of those pages until it is reused or the
 * last connection closes: call this after deleting private data. Waits for
 * other connections' readers up to the busy timeout. */
sl_status db_checkpoint(sl_db *db, sl_error *err);

/* Now as Unix time in milliseconds (UTC): the unit of every time column. */
int64_t db_now_ms(void);

/* Transactions. db_begin takes the write lock at once (BEGIN IMMEDIATE), so
 * a writer waits for the busy timeout at the start instead of failing midway.
 * Calls nest: an inner db_begin opens a savepoint, and its db_rollback undoes
 * only the inner part. Every db_begin that succeeded is ended by exactly one
 * db_commit or db_rollback. db_rollback is meant for error paths: it keeps
 * err as the caller's first error and reports nothing itself. */
sl_status db_begin(sl_db *db, sl_error *err);
sl_status db_commit(sl_db *db, sl_error *err);
void db_rollback(sl_db *db);

#endif
