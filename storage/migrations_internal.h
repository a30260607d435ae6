/* The schema as an ordered list of migrations, and the code that applies it.
 * Private to storage/. */
#ifndef SIGHTLINE_STORAGE_MIGRATIONS_INTERNAL_H
#define SIGHTLINE_STORAGE_MIGRATIONS_INTERNAL_H

#include "storage/db_internal.h"

typedef struct db_migration {
    int version;      /* 1, 2, 3, ... in order, no gaps */
    const char *name; /* recorded in schema_version */
    const char *sql;  /* one or more statements */
} db_migration;

/* The list, oldest first. */
const db_migration *db_migrations(int *count);

/* Version of the last migration. */
int db_migrations_latest(void);

/* Applies the migrations the database lacks, each in its own transaction
 * together with its schema_version row and PRAGMA user_version. A database
 * already at the latest version is only read. */
sl_status db_migrate(sl_db *db, sl_error *err);

/* The error for a database whose schema is newer than this build's. */
sl_status db_fail_newer_schema(const char *path, long long version, sl_error *err);

#endif
