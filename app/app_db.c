#include "app/app_db.h"

#include <stdio.h>
#include <stdlib.h>

int app_db_open(const app_context *app, sl_db **out)
{
    sl_error err = {0};
    *out = NULL;
    char *path = NULL;
    if (!app->db_path && db_default_path(&path, &err) != SL_OK)
        return cli_fail(&err);
    sl_status st = db_open(app->db_path ? app->db_path : path, out, &err);
    free(path);
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

int app_db_remember(const app_context *app, const char *mode, const char *source,
                    const char *text, int64_t started_ms)
{
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    int64_t now = db_now_ms();
    history_entry e = {
        .time_ms = now,
        .mode = mode,
        .source = source,
        .text = text,
        .duration_ms = now > started_ms ? now - started_ms : 0,
    };
    sl_error err = {0};
    if (history_add(db, &e, NULL, &err) != SL_OK)
        rc = cli_fail(&err);
    db_close(db);
    return rc;
}
