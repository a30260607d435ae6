#include "storage/memory.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"
#include "storage/utf8_internal.h"

/* Words too common to say what a request is about. */
static const char *const stop_words[] = {
    "a",     "an",   "and",  "are",  "as",   "at",   "be",    "by",   "can",  "could",
    "did",   "do",   "does", "for",  "from", "has",  "have",  "he",   "her",  "his",
    "how",   "i",    "in",   "is",   "it",   "its",  "me",    "my",   "of",   "on",
    "or",    "our",  "she",  "so",   "that", "the",  "their", "them", "there", "these",
    "they",  "this", "to",   "was",  "we",   "what", "when",  "where", "which", "who",
    "why",   "will", "with", "would", "you", "your", "please", "tell", "about", "remember",
};

static bool is_stop_word(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof stop_words / sizeof stop_words[0]; i++)
        if (strlen(stop_words[i]) == n && strncmp(stop_words[i], w, n) == 0)
            return true;
    return false;
}

/* A full-text query matching any content word of the request: each word
 * lower-cased and quoted (so no request text is read as FTS5 or FTS4 syntax),
 * joined by OR. NULL with *empty set when no word is left. */
static char *fts_query(const char *request, bool *empty)
{
    size_t n = strlen(request);
    char *q = malloc(n * 4 + 16), *p = q;
    *empty = true;
    if (!q)
        return NULL;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)request[i];
        /* Letters, digits and any non-ASCII byte (other scripts) make words. */
        if (!(isalnum(c) || c >= 0x80)) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && (isalnum((unsigned char)request[i]) || (unsigned char)request[i] >= 0x80))
            i++;
        char word[128];
        size_t len = i - start < sizeof word - 1 ? i - start : sizeof word - 1;
        for (size_t k = 0; k < len; k++)
            word[k] = (char)tolower((unsigned char)request[start + k]);
        if (is_stop_word(word, len))
            continue;
        if (!*empty)
            p += sprintf(p, " OR ");
        *p++ = '"';
        memcpy(p, word, len);
        p += len;
        *p++ = '"';
        *empty = false;
    }
    *p = '\0';
    return q;
}

static sl_status read_items(sl_db *db, sqlite3_stmt *st, bool scored, memory_items *out,
                            sl_error *err)
{
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->count == cap) {
            cap = cap ? cap * 2 : 16;
            memory_item *grown = realloc(out->items, cap * sizeof *grown);
            if (!grown)
                return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading memories",
                               db->path);
            out->items = grown;
        }
        memory_item *m = &out->items[out->count];
        m->id = sqlite3_column_int64(st, 0);
        m->created_ms = sqlite3_column_int64(st, 1);
        m->source = strdup((const char *)sqlite3_column_text(st, 2));
        m->text = strdup((const char *)sqlite3_column_text(st, 3));
        m->score = scored ? sqlite3_column_double(st, 4) : 0;
        out->count++;
        if (!m->source || !m->text)
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading memories", db->path);
    }
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, "reading memories", err);
}

sl_status memory_add(sl_db *db, const char *text, const char *source, int64_t *id,
                     sl_error *err)
{
    if (id)
        *id = 0;
    if (!db || !text || !source)
        return sl_fail(err, SL_ERR_ARG, "memory_add: no database, text or source");
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    if (n == 0)
        return sl_fail(err, SL_ERR_ARG, "a memory needs some text");
    if (n > MEMORY_TEXT_MAX)
        return sl_fail(err, SL_ERR_LIMIT, "a memory is at most %d bytes, this one is %zu",
                       MEMORY_TEXT_MAX, n);
    char *repaired = NULL;
    if (!utf8_valid(text, n)) {
        repaired = utf8_repair(text, n, &n);
        if (!repaired)
            return sl_fail(err, SL_ERR_NOMEM, "out of memory");
        text = repaired;
    }
    sl_status s = db_begin(db, err);
    if (s != SL_OK) {
        free(repaired);
        return s;
    }
    int64_t row = 0;
    sqlite3_stmt *st = NULL;
    s = db_prepare(db, "INSERT INTO memory (created_ms, source, text) VALUES (?1, ?2, ?3)", &st,
                   "remembering", err);
    if (s == SL_OK) {
        sqlite3_bind_int64(st, 1, db_now_ms());
        sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, text, (int)n, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            s = db_fail(db, rc, "remembering", err);
        row = sqlite3_last_insert_rowid(db->sq);
    }
    if (s == SL_OK)
        s = db_prepare(db, "INSERT INTO memory_fts (rowid, text) VALUES (?1, ?2)", &st,
                       "indexing a memory", err);
    if (s == SL_OK) {
        sqlite3_bind_int64(st, 1, row);
        sqlite3_bind_text(st, 2, text, (int)n, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            s = db_fail(db, rc, "indexing a memory", err);
    }
    if (s == SL_OK)
        s = db_commit(db, err);
    else
        db_rollback(db);
    if (s == SL_OK && id)
        *id = row;
    free(repaired);
    return s;
}

/* Removes the row and its tokens: the index reads the text that was
 * indexed, so it goes before the row. */
static sl_status delete_memory(sl_db *db, int64_t id, sl_error *err)
{
    sqlite3_stmt *st = NULL;
    sl_status s = db_fts_unindex(db, "memory_fts", "memory", "id", id, "forgetting", err);
    if (s != SL_OK)
        return s;
    int rc;
    if ((s = db_prepare(db, "DELETE FROM memory WHERE id = ?1", &st, "forgetting", err)) != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(db, rc, "forgetting", err);
    if (sqlite3_changes(db->sq) == 0)
        return sl_fail(err, SL_ERR_ARG, "there is no memory number %lld", (long long)id);
    return SL_OK;
}

sl_status memory_forget(sl_db *db, int64_t id, sl_error *err)
{
    sl_status s = db_begin(db, err);
    if (s != SL_OK)
        return s;
    s = delete_memory(db, id, err);
    if (s != SL_OK) {
        db_rollback(db);
        return s;
    }
    if ((s = db_commit(db, err)) != SL_OK)
        return s;
    /* The FTS index keeps deleted rows' tokens in old segments until they
     * are merged; optimize merges everything now. Then the WAL, which still
     * holds the old pages, is written back and truncated. */
    s = db_exec(db, "INSERT INTO memory_fts (memory_fts) VALUES ('optimize')",
                "forgetting", err);
    return s == SL_OK ? db_checkpoint(db, err) : s;
}

sl_status memory_list(sl_db *db, int64_t limit, memory_items *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "SELECT id, created_ms, source, text FROM memory "
                             "ORDER BY created_ms DESC, id DESC LIMIT ?1",
                             &st, "listing memories", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
    s = read_items(db, st, false, out, err);
    sqlite3_finalize(st);
    if (s != SL_OK)
        memory_items_free(out);
    return s;
}

static int by_score(const void *a, const void *b)
{
    const memory_item *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

sl_status memory_search(sl_db *db, const char *request, int64_t limit, memory_items *out,
                        sl_error *err)
{
    memset(out, 0, sizeof *out);
    bool empty;
    char *q = fts_query(request ? request : "", &empty);
    if (!q)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    if (empty) {
        free(q);
        return SL_OK;
    }
    /* BM25 (db_fts_rank) is lower for better matches; its negation is the
     * relevance. The recency factor (memory.h) is applied here rather than
     * in SQL, which has no pow() in every SQLite build. */
    sqlite3_stmt *st = NULL;
    char *rank = NULL, *sql = NULL;
    sl_status s = db_fts_rank(db, "memory_fts", &rank, err);
    if (s == SL_OK && !(sql = sqlite3_mprintf("SELECT m.id, m.created_ms, m.source, m.text, -%s "
                                              "FROM memory_fts JOIN memory m "
                                              "ON m.id = memory_fts.rowid "
                                              "WHERE memory_fts MATCH ?1",
                                              rank)))
        s = sl_fail(err, SL_ERR_NOMEM, "out of memory");
    sqlite3_free(rank);
    if (s == SL_OK)
        s = db_prepare(db, sql, &st, "searching memories", err);
    sqlite3_free(sql);
    if (s == SL_OK) {
        sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
        s = read_items(db, st, true, out, err);
        sqlite3_finalize(st);
    }
    free(q);
    if (s != SL_OK) {
        memory_items_free(out);
        return s;
    }
    int64_t now = db_now_ms();
    for (size_t i = 0; i < out->count; i++) {
        double age_days = (double)(now - out->items[i].created_ms) / 86400000.0;
        out->items[i].score *= 1.0 + 0.5 * pow(2.0, -(age_days > 0 ? age_days : 0) / 30.0);
    }
    if (out->count > 1)
        qsort(out->items, out->count, sizeof *out->items, by_score);
    if (limit > 0 && out->count > (size_t)limit) {
        for (size_t i = (size_t)limit; i < out->count; i++) {
            free(out->items[i].source);
            free(out->items[i].text);
        }
        out->count = (size_t)limit;
    }
    return SL_OK;
}

void memory_items_free(memory_items *m)
{
    for (size_t i = 0; i < m->count; i++) {
        free(m->items[i].source);
        free(m->items[i].text);
    }
    free(m->items);
    memset(m, 0, sizeof *m);
}
