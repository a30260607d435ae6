/* Moving a user's data between devices, and erasing it.
 *
 * An export is a sightline database itself (compacted, no free pages that
 * could hold deleted text), so it can also be opened with --db. Import adds
 * what the file holds to the current database: entries already present
 * (same time and text) are skipped, so importing twice changes nothing;
 * profile settings from the file replace the current ones. */
#ifndef SIGHTLINE_STORAGE_TRANSFER_H
#define SIGHTLINE_STORAGE_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "storage/db.h"

/* Writes the database to a new file at path (mode 0600); an existing file is
 * refused, never overwritten. An encrypted database's export is encrypted
 * with the same passphrase. */
sl_status db_export(sl_db *db, const char *path, sl_error *err);

typedef struct db_import_counts {
    int64_t history, memories, settings, feedback, signs;
    int64_t objects; /* taught object and person descriptors */
    int64_t meetings;
} db_import_counts;

/* The file is checked like any database (a corrupt or newer one is refused
 * naming it) on a private copy, so it is never changed. An encrypted file
 * is opened with db's passphrase. */
sl_status db_import(sl_db *db, const char *path, db_import_counts *counts, sl_error *err);

/* Deletes everything the user stored and rewrites the file, so that no
 * trace of it remains on disk. */
sl_status db_erase_all(sl_db *db, sl_error *err);

/* Encrypts, decrypts or changes the passphrase of the database at path:
 * key/key_len open it (NULL: it is plain), new_key/new_key_len encrypt the
 * result (NULL: plain). The rows go into a new file beside it (0600), which
 * then replaces it atomically (rename); the old file's bytes are then
 * overwritten with zeros. The search index is rebuilt, so a plain database
 * with FTS5 becomes an encrypted one with FTS4. Nothing else may use the
 * database meanwhile: a program that keeps it open goes on with the old
 * file. A wrong key changes nothing. */
sl_status db_rekey_file(const char *path, const char *key, size_t key_len, const char *new_key,
                        size_t new_key_len, sl_error *err);

#endif
