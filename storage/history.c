#include "storage/history.h"

#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"
#include "storage/utf8_internal.h"

static int mode_name_ok(const char *mode)
{
    size_t n = strlen(mode);
    if (n < 1 || n > HISTORY_MODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = mode[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Binds s as text, repaired when it is not well-formed UTF-8. *owned gets the
 * repaired copy, which must outlive the statement's step. */
static sl_status bind_utf8(sl_db *db, sqlite3_stmt *st, int index, const char *s, size_t n,
                           char **owned, sl_error *err)
{
    *owned = NULL;
    if (!utf8_valid(s, n)) {
        *owned = utf8_repair(s, n, &n);
        if (!*owned)
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for a history entry",
                           db->path);
        s = *owned;
    }
    int rc = sqlite3_bind_text(st, index, s, (int)n, SQLITE_STATIC);
    return rc == SQLITE_OK ? SL_OK : db_fail(db, rc, "adding to the history", err);
}

sl_status history_add(sl_db *db, const history_entry *e, int64_t *id, sl_error *err)
{
    if (id)
        *id = 0;
    if (!db || !e)
        return sl_fail(err, SL_ERR_ARG, "history_add: no database or no entry");
    if (!e->mode || !mode_name_ok(e->mode))
        return sl_fail(err, SL_ERR_ARG,
                       "history: mode '%.40s' is not 1 to %d characters of a-z, 0-9, _ and -",
                       e->mode ? e->mode : "(null)", HISTORY_MODE_MAX);
    if (!e->source || !e->text)
        return sl_fail(err, SL_ERR_ARG, "history: an entry needs a source and a text");
    if (e->time_ms < 0 || e->duration_ms < 0)
        return sl_fail(err, SL_ERR_ARG,
                       "history: time %lld ms and duration %lld ms must not be negative",
                       (long long)e->time_ms, (long long)e->duration_ms);
    size_t source_len = strlen(e->source), text_len = strlen(e->text);
    if (source_len > HISTORY_SOURCE_MAX)
        return sl_fail(err, SL_ERR_LIMIT, "history: source is %zu bytes, more than %d",
                       source_len, HISTORY_SOURCE_MAX);
    if (text_len > HISTORY_TEXT_MAX)
        return sl_fail(err, SL_ERR_LIMIT, "history: text is %zu bytes, more than %d",
                       text_len, HISTORY_TEXT_MAX);

    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "INSERT INTO history (time_ms, mode, source, text, duration_ms) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)",
                             &st, "adding to the history", err);
    if (s != SL_OK)
        return s;
    char *source_copy = NULL, *text_copy = NULL;
    sqlite3_bind_int64(st, 1, e->time_ms);
    sqlite3_bind_text(st, 2, e->mode, -1, SQLITE_STATIC);
    s = bind_utf8(db, st, 3, e->source, source_len, &source_copy, err);
    if (s == SL_OK)
        s = bind_utf8(db, st, 4, e->text, text_len, &text_copy, err);
    sqlite3_bind_int64(st, 5, e->duration_ms);
    if (s == SL_OK) {
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = db_fail(db, rc, "adding to the history", err);
        else if (id)
            *id = sqlite3_last_insert_rowid(db->sq);
    }
    sqlite3_finalize(st);
    free(source_copy);
    free(text_copy);
    return s;
}

/* Column i as well-formed UTF-8: the row's own text when it is, else a
 * repaired copy in *owned. */
static sl_status column_utf8(sl_db *db, sqlite3_stmt *st, int i, const char **out, char **owned,
                             sl_error *err)
{
    *owned = NULL;
    const char *s = (const char *)sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (!s) {
        *out = "";
        return SL_OK;
    }
    if (utf8_valid(s, (size_t)n)) {
        *out = s;
        return SL_OK;
    }
    *owned = utf8_repair(s, (size_t)n, NULL);
    if (!*owned)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading the history", db->path);
    *out = *owned;
    return SL_OK;
}

sl_status history_each(sl_db *db, int64_t limit, history_fn fn, void *ctx, sl_error *err)
{
    if (!db || !fn)
        return sl_fail(err, SL_ERR_ARG, "history_each: no database or no callback");
    if (limit < 0)
        return sl_fail(err, SL_ERR_ARG, "history: the number of entries %lld is negative",
                       (long long)limit);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "SELECT id, time_ms, mode, source, text, duration_ms FROM history "
                             "ORDER BY time_ms DESC, id DESC LIMIT ?1",
                             &st, "reading the history", err);
    if (s != SL_OK)
        return s;
    /* A negative LIMIT is none. */
    sqlite3_bind_int64(st, 1, limit == 0 ? -1 : limit);
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            s = db_fail(db, rc, "reading the history", err);
            break;
        }
        history_entry e = {
            .id = sqlite3_column_int64(st, 0),
            .time_ms = sqlite3_column_int64(st, 1),
            .duration_ms = sqlite3_column_int64(st, 5),
        };
        char *owned[3] = {NULL, NULL, NULL};
        s = column_utf8(db, st, 2, &e.mode, &owned[0], err);
        if (s == SL_OK)
            s = column_utf8(db, st, 3, &e.source, &owned[1], err);
        if (s == SL_OK)
            s = column_utf8(db, st, 4, &e.text, &owned[2], err);
        int stop = s == SL_OK ? fn(ctx, &e) : 1;
        for (int i = 0; i < 3; i++)
            free(owned[i]);
        if (stop)
            break;
    }
    sqlite3_finalize(st);
    return s;
}

typedef struct collect_ctx {
    history_entries *list;
    size_t cap;
    int failed; /* out of memory */
} collect_ctx;

/* Copies an entry; its three strings share one allocation that starts at
 * mode (history_entries_free relies on that). */
static int collect(void *ctx, const history_entry *e)
{
    collect_ctx *c = ctx;
    history_entries *list = c->list;
    if (list->count == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        history_entry *grown = realloc(list->items, cap * sizeof *grown);
        if (!grown) {
            c->failed = 1;
            return 1;
        }
        list->items = grown;
        c->cap = cap;
    }
    size_t m = strlen(e->mode) + 1, s = strlen(e->source) + 1, t = strlen(e->text) + 1;
    char *block = malloc(m + s + t);
    if (!block) {
        c->failed = 1;
        return 1;
    }
    memcpy(block, e->mode, m);
    memcpy(block + m, e->source, s);
    memcpy(block + m + s, e->text, t);
    history_entry copy = *e;
    copy.mode = block;
    copy.source = block + m;
    copy.text = block + m + s;
    list->items[list->count++] = copy;
    return 0;
}

sl_status history_list(sl_db *db, int64_t limit, history_entries *out, sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "history_list: no place for the result");
    out->items = NULL;
    out->count = 0;
    collect_ctx c = {.list = out};
    sl_status s = history_each(db, limit, collect, &c, err);
    if (s == SL_OK && c.failed)
        s = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu history entries", db->path,
                    out->count + 1);
    if (s != SL_OK)
        history_entries_free(out);
    return s;
}

void history_entries_free(history_entries *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free((char *)list->items[i].mode);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

sl_status history_count(sl_db *db, int64_t *count, sl_error *err)
{
    if (!db || !count)
        return sl_fail(err, SL_ERR_ARG, "history_count: no database or no result");
    long long n = 0;
    sl_status s = db_query_int64(db, "SELECT count(*) FROM history", &n, "counting the history",
                                 err);
    *count = n;
    return s;
}
