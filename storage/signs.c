#include "storage/signs.h"

#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"
#include "storage/utf8_internal.h"

const char *sign_example_kind_name(sign_example_kind kind)
{
    return kind == SIGN_EXAMPLE_LETTER ? "letter" : "sign";
}

static int kind_ok(int kind)
{
    return kind == SIGN_EXAMPLE_SIGN || kind == SIGN_EXAMPLE_LETTER;
}

/* Characters (code points) in well-formed UTF-8. */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return chars;
}

/* Names end up in printed lines and JSON: no control characters, and no
 * spaces at the ends (they would be invisible in the list). */
sl_status sign_example_check_name(const char *name, sign_example_kind kind, sl_error *err)
{
    if (!name || !*name)
        return sl_fail(err, SL_ERR_ARG, "signs: an example needs a name");
    size_t n = strlen(name);
    if (n > SIGN_EXAMPLE_NAME_MAX)
        return sl_fail(err, SL_ERR_ARG, "signs: name '%.40s...' is %zu bytes, more than %d",
                       name, n, SIGN_EXAMPLE_NAME_MAX);
    if (!utf8_valid(name, n))
        return sl_fail(err, SL_ERR_ARG, "signs: name is not valid UTF-8");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7F)
            return sl_fail(err, SL_ERR_ARG, "signs: name contains a control character");
    }
    if (name[0] == ' ' || name[n - 1] == ' ')
        return sl_fail(err, SL_ERR_ARG, "signs: name '%s' starts or ends with a space", name);
    if (kind == SIGN_EXAMPLE_LETTER && utf8_chars(name, n) != 1)
        return sl_fail(err, SL_ERR_ARG, "signs: a letter is one character, not '%s'", name);
    return SL_OK;
}

sl_status sign_examples_add(sl_db *db, const sign_example *e, int64_t *id, sl_error *err)
{
    if (id)
        *id = 0;
    if (!db || !e)
        return sl_fail(err, SL_ERR_ARG, "sign_examples_add: no database or no example");
    if (!kind_ok((int)e->kind))
        return sl_fail(err, SL_ERR_ARG, "signs: kind %d is neither sign nor letter",
                       (int)e->kind);
    sl_status s = sign_example_check_name(e->name, e->kind, err);
    if (s != SL_OK)
        return s;
    if (e->created_ms < 0)
        return sl_fail(err, SL_ERR_ARG, "signs: time %lld ms must not be negative",
                       (long long)e->created_ms);
    if (!e->blob || e->blob_size == 0)
        return sl_fail(err, SL_ERR_ARG, "signs: example '%s' has no recording", e->name);
    if (e->blob_size > SIGN_EXAMPLE_BLOB_MAX)
        return sl_fail(err, SL_ERR_LIMIT, "signs: recording of '%s' is %zu bytes, more than %d",
                       e->name, e->blob_size, SIGN_EXAMPLE_BLOB_MAX);

    sqlite3_stmt *st = NULL;
    s = db_prepare(db,
                   "INSERT INTO sign_examples (name, kind, created_ms, landmarks) "
                   "VALUES (?1, ?2, ?3, ?4)",
                   &st, "adding a taught sign", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sign_example_kind_name(e->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, e->created_ms);
    sqlite3_bind_blob(st, 4, e->blob, (int)e->blob_size, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = db_fail(db, rc, "adding a taught sign", err);
    else if (id)
        *id = sqlite3_last_insert_rowid(db->sq);
    sqlite3_finalize(st);
    return s;
}

/* Binds the kind filter: NULL matches both kinds. */
static sl_status bind_kind(sl_db *db, sqlite3_stmt *st, int index, int kind, sl_error *err)
{
    if (kind < 0)
        return SL_OK; /* unbound parameters are NULL */
    if (!kind_ok(kind))
        return sl_fail(err, SL_ERR_ARG, "signs: kind %d is neither sign nor letter", kind);
    int rc = sqlite3_bind_text(st, index, sign_example_kind_name((sign_example_kind)kind), -1,
                               SQLITE_STATIC);
    return rc == SQLITE_OK ? SL_OK : db_fail(db, rc, "reading the taught signs", err);
}

/* One row as an example; *owned may get a repaired copy of the name. */
static sl_status read_row(sl_db *db, sqlite3_stmt *st, sign_example *e, char **owned,
                          sl_error *err)
{
    *owned = NULL;
    e->id = sqlite3_column_int64(st, 0);
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    if (kind && strcmp(kind, "sign") == 0)
        e->kind = SIGN_EXAMPLE_SIGN;
    else if (kind && strcmp(kind, "letter") == 0)
        e->kind = SIGN_EXAMPLE_LETTER;
    else
        return sl_fail(err, SL_ERR_DB, "%s: taught sign %lld has kind '%.20s' (sign or letter"
                       " expected)", db->path, (long long)e->id, kind ? kind : "NULL");
    e->created_ms = sqlite3_column_int64(st, 3);
    /* Type first, then the pointer, then the size: the order SQLite's
     * documentation asks for so no conversion invalidates the pointer. */
    if (sqlite3_column_type(st, 4) != SQLITE_BLOB)
        return sl_fail(err, SL_ERR_DB, "%s: taught sign %lld holds no recording", db->path,
                       (long long)e->id);
    e->blob = sqlite3_column_blob(st, 4);
    int bytes = sqlite3_column_bytes(st, 4);
    if (!e->blob || bytes <= 0 || bytes > SIGN_EXAMPLE_BLOB_MAX)
        return sl_fail(err, SL_ERR_DB, "%s: taught sign %lld has a recording of %d bytes "
                       "(1 to %d)", db->path, (long long)e->id, bytes, SIGN_EXAMPLE_BLOB_MAX);
    e->blob_size = (size_t)bytes;
    const char *name = (const char *)sqlite3_column_text(st, 1);
    int n = sqlite3_column_bytes(st, 1);
    if (!name) {
        e->name = "";
    } else if (utf8_valid(name, (size_t)n)) {
        e->name = name;
    } else {
        *owned = utf8_repair(name, (size_t)n, NULL);
        if (!*owned)
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading the taught signs",
                           db->path);
        e->name = *owned;
    }
    return SL_OK;
}

sl_status sign_examples_each(sl_db *db, int kind, sign_example_fn fn, void *ctx, sl_error *err)
{
    if (!db || !fn)
        return sl_fail(err, SL_ERR_ARG, "sign_examples_each: no database or no callback");
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "SELECT id, name, kind, created_ms, landmarks FROM sign_examples "
                             "WHERE ?1 IS NULL OR kind = ?1 "
                             "ORDER BY kind = 'letter', name, id",
                             &st, "reading the taught signs", err);
    if (s != SL_OK)
        return s;
    s = bind_kind(db, st, 1, kind, err);
    while (s == SL_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            s = db_fail(db, rc, "reading the taught signs", err);
            break;
        }
        sign_example e = {0};
        char *owned = NULL;
        s = read_row(db, st, &e, &owned, err);
        int stop = s == SL_OK ? fn(ctx, &e) : 1;
        free(owned);
        if (stop)
            break;
    }
    sqlite3_finalize(st);
    return s;
}

typedef struct collect_ctx {
    sign_examples *list;
    size_t cap;
    int failed; /* out of memory */
} collect_ctx;

/* Copies an example; name and blob share one allocation that starts at the
 * blob (sign_examples_free relies on that). */
static int collect(void *ctx, const sign_example *e)
{
    collect_ctx *c = ctx;
    sign_examples *list = c->list;
    if (list->count == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 32;
        sign_example *grown = realloc(list->items, cap * sizeof *grown);
        if (!grown) {
            c->failed = 1;
            return 1;
        }
        list->items = grown;
        c->cap = cap;
    }
    size_t name_len = strlen(e->name) + 1;
    unsigned char *block = malloc(e->blob_size + name_len);
    if (!block) {
        c->failed = 1;
        return 1;
    }
    memcpy(block, e->blob, e->blob_size);
    memcpy(block + e->blob_size, e->name, name_len);
    sign_example copy = *e;
    copy.blob = block;
    copy.name = (const char *)block + e->blob_size;
    list->items[list->count++] = copy;
    return 0;
}

sl_status sign_examples_list(sl_db *db, int kind, sign_examples *out, sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "sign_examples_list: no place for the result");
    out->items = NULL;
    out->count = 0;
    collect_ctx c = {.list = out};
    sl_status s = sign_examples_each(db, kind, collect, &c, err);
    if (s == SL_OK && c.failed)
        s = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu taught signs", db_path(db),
                    out->count + 1);
    if (s != SL_OK)
        sign_examples_free(out);
    return s;
}

void sign_examples_free(sign_examples *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free((void *)list->items[i].blob);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

sl_status sign_examples_delete(sl_db *db, int64_t id, sl_error *err)
{
    if (!db)
        return sl_fail(err, SL_ERR_ARG, "sign_examples_delete: no database");
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "DELETE FROM sign_examples WHERE id = ?1", &st,
                             "deleting a taught sign", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = db_fail(db, rc, "deleting a taught sign", err);
    else if (sqlite3_changes(db->sq) == 0)
        s = sl_fail(err, SL_ERR_ARG, "signs: no taught example with id %lld", (long long)id);
    sqlite3_finalize(st);
    return s;
}

sl_status sign_examples_delete_name(sl_db *db, sign_example_kind kind, const char *name,
                                    int64_t *deleted, sl_error *err)
{
    if (deleted)
        *deleted = 0;
    if (!db || !name)
        return sl_fail(err, SL_ERR_ARG, "sign_examples_delete_name: no database or no name");
    if (!kind_ok((int)kind))
        return sl_fail(err, SL_ERR_ARG, "signs: kind %d is neither sign nor letter", (int)kind);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "DELETE FROM sign_examples WHERE kind = ?1 AND name = ?2", &st,
                             "deleting a taught sign", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_text(st, 1, sign_example_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = db_fail(db, rc, "deleting a taught sign", err);
    else if (deleted)
        *deleted = sqlite3_changes(db->sq);
    sqlite3_finalize(st);
    return s;
}

sl_status sign_examples_count(sl_db *db, int kind, int64_t *count, sl_error *err)
{
    if (!db || !count)
        return sl_fail(err, SL_ERR_ARG, "sign_examples_count: no database or no result");
    *count = 0;
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "SELECT count(*) FROM sign_examples WHERE ?1 IS NULL OR kind = ?1",
                             &st, "counting the taught signs", err);
    if (s != SL_OK)
        return s;
    s = bind_kind(db, st, 1, kind, err);
    if (s == SL_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *count = sqlite3_column_int64(st, 0);
        else
            s = db_fail(db, rc, "counting the taught signs", err);
    }
    sqlite3_finalize(st);
    return s;
}
