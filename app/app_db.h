/* The user's database as the commands open it: --db or the default path,
 * with errors reported the way every command reports them. */
#ifndef SIGHTLINE_APP_DB_H
#define SIGHTLINE_APP_DB_H

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

#endif
