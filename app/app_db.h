/* The user's database as the commands open it: --db or the default path,
 * with errors reported the way every command reports them.
 *
 * Encryption (a sightline built with -Dencryption=true): an encrypted
 * database is opened with the passphrase from SIGHTLINE_PASSPHRASE, or asked
 * for on the terminal (no echo) when stdin is one; a new database is
 * created encrypted when SIGHTLINE_PASSPHRASE is set. A wrong passphrase is
 * one line and exit code 5, and the file is not changed. */
#ifndef SIGHTLINE_APP_DB_H
#define SIGHTLINE_APP_DB_H

#include <stddef.h>

#include "app/cli.h"
#include "storage/storage.h"

/* Opens the database; on failure prints the one-line error and returns the
 * exit code (non-zero) with *out NULL. */
int app_db_open(const app_context *app, sl_db **out);

/* Records what a mode said. A failure is reported on stderr but is not the
 * command's failure: the user already has the answer. Returns the exit code
 * the command should end with for it (0, or EXIT_DATABASE). */
int app_db_remember(const app_context *app, const char *mode, const char *source,
                    const char *text, int64_t started_ms);

/* The database's path (--db or the default), malloc'ed; on failure prints
 * the error and returns the exit code. */
int app_db_path(const app_context *app, char **path);

/* A passphrase: the environment variable env when it is set (and not
 * empty), else asked on the terminal with prompt (twice with confirm, which
 * must match). *key is malloc'ed (app_passphrase_free), *len its length.
 * Prints the error and returns the exit code when there is none. */
int app_passphrase(const char *env, const char *prompt, int confirm, const char *path,
                   char **key, size_t *len);
void app_passphrase_free(char *key, size_t len);

#endif
