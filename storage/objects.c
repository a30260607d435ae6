#include "storage/objects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"
#include "storage/utf8_internal.h"

const char *taught_kind_name(taught_kind kind)
{
    return kind == TAUGHT_PERSON ? "person" : "object";
}

static int kind_ok(int kind)
{
    return kind == TAUGHT_OBJECT || kind == TAUGHT_PERSON;
}

sl_status taught_check_name(const char *name, sl_error *err)
{
    if (!name || !*name)
        return sl_fail(err, SL_ERR_ARG, "objects: a taught object or person needs a name");
    size_t n = strlen(name);
    if (n > TAUGHT_NAME_MAX)
        return sl_fail(err, SL_ERR_ARG, "objects: name '%.40s...' is %zu bytes, more than %d",
                       name, n, TAUGHT_NAME_MAX);
    if (!utf8_valid(name, n))
        return sl_fail(err, SL_ERR_ARG, "objects: name is not valid UTF-8");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7F)
            return sl_fail(err, SL_ERR_ARG, "objects: name contains a control character");
    }
    if (name[0] == ' ' || name[n - 1] == ' ')
        return sl_fail(err, SL_ERR_ARG, "objects: name '%s' starts or ends with a space", name);
    return SL_OK;
}

static int method_ok(const char *m, size_t n)
{
    if (n == 0 || n > TAUGHT_METHOD_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i] <= 0x20 || m[i] >= 0x7F)
            return 0;
    return 1;
}

/* The blob is little-endian float32 whatever the host. */
static void put_f32(unsigned char *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    for (int k = 0; k < 4; k++)
        b[k] = (unsigned char)(u >> (8 * k));
}

static float get_f32(const unsigned char *b)
{
    uint32_t u = 0;
    for (int k = 0; k < 4; k++)
        u |= (uint32_t)b[k] << (8 * k);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

sl_status taught_objects_add(sl_db *db, const taught_object *o, int64_t *id, sl_error *err)
{
    if (id)
        *id = 0;
    if (!db || !o)
        return sl_fail(err, SL_ERR_ARG, "taught_objects_add: no database or no descriptor");
    if (!kind_ok((int)o->kind))
        return sl_fail(err, SL_ERR_ARG, "objects: kind %d is neither object nor person",
                       (int)o->kind);
    sl_status s = taught_check_name(o->name, err);
    if (s != SL_OK)
        return s;
    if (o->created_ms < 0)
        return sl_fail(err, SL_ERR_ARG, "objects: time %lld ms must not be negative",
                       (long long)o->created_ms);
    if (!o->method || !method_ok(o->method, strlen(o->method)))
        return sl_fail(err, SL_ERR_ARG, "objects: method of '%s' must be 1 to %d printable "
                       "ASCII characters without spaces", o->name, TAUGHT_METHOD_MAX);
    if (!o->vector || o->dim < 1 || o->dim > TAUGHT_DIM_MAX)
        return sl_fail(err, SL_ERR_ARG, "objects: descriptor of '%s' has %d values (1 to %d)",
                       o->name, o->dim, TAUGHT_DIM_MAX);
    for (int i = 0; i < o->dim; i++)
        if (!isfinite(o->vector[i]))
            return sl_fail(err, SL_ERR_ARG, "objects: descriptor of '%s' has a value that is "
                           "not finite at %d", o->name, i);
    unsigned char *blob = malloc((size_t)o->dim * 4);
    if (!blob)
        return sl_fail(err, SL_ERR_NOMEM, "objects: out of memory");
    for (int i = 0; i < o->dim; i++)
        put_f32(blob + 4 * i, o->vector[i]);

    sqlite3_stmt *st = NULL;
    s = db_prepare(db,
                   "INSERT INTO taught_objects (name, kind, created_ms, method, vector) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)",
                   &st, "adding a taught object", err);
    if (s == SL_OK) {
        sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, taught_kind_name(o->kind), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, o->created_ms);
        sqlite3_bind_text(st, 4, o->method, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 5, blob, o->dim * 4, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = db_fail(db, rc, "adding a taught object", err);
        else if (id)
            *id = sqlite3_last_insert_rowid(db->sq);
        sqlite3_finalize(st);
    }
    free(blob);
    return s;
}

typedef struct list_ctx {
    size_t cap;
} list_ctx;

/* One row into list (name, method and vector in one allocation that starts
 * at the vector: taught_objects_free relies on it). */
static sl_status read_row(sl_db *db, sqlite3_stmt *st, taught_objects *list, list_ctx *c,
                          sl_error *err)
{
    taught_object o = {0};
    o.id = sqlite3_column_int64(st, 0);
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    if (kind && strcmp(kind, "object") == 0)
        o.kind = TAUGHT_OBJECT;
    else if (kind && strcmp(kind, "person") == 0)
        o.kind = TAUGHT_PERSON;
    else
        return sl_fail(err, SL_ERR_DB, "%s: taught object %lld has kind '%.20s' (object or "
                       "person expected)", db->path, (long long)o.id, kind ? kind : "NULL");
    o.created_ms = sqlite3_column_int64(st, 3);
    const char *method = (const char *)sqlite3_column_text(st, 4);
    int method_len = sqlite3_column_bytes(st, 4);
    if (!method || !method_ok(method, (size_t)method_len))
        return sl_fail(err, SL_ERR_DB, "%s: taught object %lld has no valid method", db->path,
                       (long long)o.id);
    if (sqlite3_column_type(st, 5) != SQLITE_BLOB)
        return sl_fail(err, SL_ERR_DB, "%s: taught object %lld holds no descriptor", db->path,
                       (long long)o.id);
    const unsigned char *blob = sqlite3_column_blob(st, 5);
    int bytes = sqlite3_column_bytes(st, 5);
    if (!blob || bytes <= 0 || bytes % 4 != 0 || bytes / 4 > TAUGHT_DIM_MAX)
        return sl_fail(err, SL_ERR_DB, "%s: taught object %lld has a descriptor of %d bytes "
                       "(a multiple of 4, at most %d)", db->path, (long long)o.id, bytes,
                       4 * TAUGHT_DIM_MAX);
    o.dim = bytes / 4;
    const char *name = (const char *)sqlite3_column_text(st, 1);
    int name_len = sqlite3_column_bytes(st, 1);
    char *repaired = NULL;
    if (!name) {
        name = "";
        name_len = 0;
    } else if (!utf8_valid(name, (size_t)name_len)) {
        repaired = utf8_repair(name, (size_t)name_len, NULL);
        if (!repaired)
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
        name = repaired;
        name_len = (int)strlen(repaired);
    }
    if (list->count == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        taught_object *grown = realloc(list->items, cap * sizeof *grown);
        if (!grown) {
            free(repaired);
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
        }
        list->items = grown;
        c->cap = cap;
    }
    size_t size = (size_t)bytes + (size_t)name_len + 1 + (size_t)method_len + 1;
    unsigned char *block = malloc(size);
    if (!block) {
        free(repaired);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
    }
    float *v = (float *)(void *)block;
    sl_status s = SL_OK;
    for (int i = 0; i < o.dim; i++) {
        v[i] = get_f32(blob + 4 * i);
        if (!isfinite(v[i]) && s == SL_OK)
            s = sl_fail(err, SL_ERR_DB, "%s: taught object %lld has a value that is not "
                        "finite at %d", db->path, (long long)o.id, i);
    }
    char *name_copy = (char *)block + bytes;
    memcpy(name_copy, name, (size_t)name_len);
    name_copy[name_len] = '\0';
    char *method_copy = name_copy + name_len + 1;
    memcpy(method_copy, method, (size_t)method_len);
    method_copy[method_len] = '\0';
    free(repaired);
    if (s != SL_OK) {
        free(block);
        return s;
    }
    o.vector = v;
    o.name = name_copy;
    o.method = method_copy;
    list->items[list->count++] = o;
    return SL_OK;
}

sl_status taught_objects_list(sl_db *db, int kind, const char *method, taught_objects *out,
                              sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "taught_objects_list: no place for the result");
    out->items = NULL;
    out->count = 0;
    if (!db)
        return sl_fail(err, SL_ERR_ARG, "taught_objects_list: no database");
    if (kind >= 0 && !kind_ok(kind))
        return sl_fail(err, SL_ERR_ARG, "objects: kind %d is neither object nor person", kind);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "SELECT id, name, kind, created_ms, method, vector "
                             "FROM taught_objects WHERE (?1 IS NULL OR kind = ?1) "
                             "AND (?2 IS NULL OR method = ?2) "
                             "ORDER BY kind = 'person', name, id",
                             &st, "reading the taught objects", err);
    if (s != SL_OK)
        return s;
    if (kind >= 0)
        sqlite3_bind_text(st, 1, taught_kind_name((taught_kind)kind), -1, SQLITE_STATIC);
    if (method)
        sqlite3_bind_text(st, 2, method, -1, SQLITE_STATIC);
    list_ctx c = {0};
    while (s == SL_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW)
            s = db_fail(db, rc, "reading the taught objects", err);
        else
            s = read_row(db, st, out, &c, err);
    }
    sqlite3_finalize(st);
    if (s != SL_OK)
        taught_objects_free(out);
    return s;
}

void taught_objects_free(taught_objects *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free((void *)list->items[i].vector);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

sl_status taught_objects_delete_name(sl_db *db, int kind, const char *name, int64_t *deleted,
                                     sl_error *err)
{
    if (deleted)
        *deleted = 0;
    if (!db || !name)
        return sl_fail(err, SL_ERR_ARG, "taught_objects_delete_name: no database or no name");
    if (kind >= 0 && !kind_ok(kind))
        return sl_fail(err, SL_ERR_ARG, "objects: kind %d is neither object nor person", kind);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "DELETE FROM taught_objects WHERE (?1 IS NULL OR kind = ?1) "
                             "AND name = ?2", &st, "deleting a taught object", err);
    if (s != SL_OK)
        return s;
    if (kind >= 0)
        sqlite3_bind_text(st, 1, taught_kind_name((taught_kind)kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = db_fail(db, rc, "deleting a taught object", err);
    else if (deleted)
        *deleted = sqlite3_changes(db->sq);
    sqlite3_finalize(st);
    return s;
}
