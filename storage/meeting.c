#include "storage/meeting.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"
#include "storage/utf8_internal.h"

/* Trimmed, valid UTF-8 copy of s (malloc'ed) or NULL when out of memory. */
static char *clean_text(const char *s, size_t *len)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!utf8_valid(s, n))
        return utf8_repair(s, n, len);
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    *len = n;
    return c;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? strdup((const char *)t) : NULL;
}

/* Runs a prepared statement to completion. */
static sl_status step_done(sl_db *db, sqlite3_stmt *st, const char *doing, sl_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, doing, err);
}

static sl_status check_meeting(sl_db *db, int64_t id, sl_error *err)
{
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "SELECT 1 FROM meetings WHERE id = ?1", &st,
                             "reading meetings", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return SL_OK;
    if (rc == SQLITE_DONE)
        return sl_fail(err, SL_ERR_ARG, "there is no meeting number %lld", (long long)id);
    return db_fail(db, rc, "reading meetings", err);
}

sl_status meeting_create(sl_db *db, const char *title, int64_t started_ms, int64_t *id,
                         sl_error *err)
{
    if (id)
        *id = 0;
    if (!db || !title)
        return sl_fail(err, SL_ERR_ARG, "meeting_create: no database or title");
    size_t n = 0;
    char *t = clean_text(title, &n);
    if (!t)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    if (n == 0 || n > MEETING_TITLE_MAX) {
        free(t);
        return sl_fail(err, SL_ERR_ARG, "a meeting title is 1 to %d bytes, this one is %zu",
                       MEETING_TITLE_MAX, n);
    }
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "INSERT INTO meetings (title, started_ms) VALUES (?1, ?2)",
                             &st, "starting a meeting", err);
    if (s == SL_OK) {
        sqlite3_bind_text(st, 1, t, (int)n, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, started_ms > 0 ? started_ms : db_now_ms());
        s = step_done(db, st, "starting a meeting", err);
    }
    if (s == SL_OK && id)
        *id = sqlite3_last_insert_rowid(db->sq);
    free(t);
    return s;
}

sl_status meeting_end(sl_db *db, int64_t id, int64_t ended_ms, sl_error *err)
{
    sl_status s = check_meeting(db, id, err);
    if (s != SL_OK)
        return s;
    sqlite3_stmt *st = NULL;
    s = db_prepare(db, "UPDATE meetings SET ended_ms = ?2 WHERE id = ?1", &st,
                   "ending a meeting", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, ended_ms > 0 ? ended_ms : db_now_ms());
    return step_done(db, st, "ending a meeting", err);
}

sl_status meeting_delete(sl_db *db, int64_t id, sl_error *err)
{
    sl_status s = check_meeting(db, id, err);
    if (s != SL_OK || (s = db_begin(db, err)) != SL_OK)
        return s;
    sqlite3_stmt *st = NULL;
    /* The index reads the text that was indexed, so it goes first. */
    s = db_fts_unindex(db, "meeting_segments_fts", "meeting_segments", "meeting_id", id,
                       "deleting a meeting", err);
    if (s == SL_OK)
        s = db_prepare(db, "DELETE FROM meetings WHERE id = ?1", &st, "deleting a meeting",
                       err);
    if (s == SL_OK) {
        sqlite3_bind_int64(st, 1, id);
        s = step_done(db, st, "deleting a meeting", err);
    }
    if (s != SL_OK) {
        db_rollback(db);
        return s;
    }
    return db_commit(db, err);
}

sl_status meeting_add_segment(sl_db *db, int64_t meeting_id, int64_t t0_ms, int64_t t1_ms,
                              const char *speaker, const char *text, int64_t *id,
                              sl_error *err)
{
    if (id)
        *id = 0;
    if (!db || !text)
        return sl_fail(err, SL_ERR_ARG, "meeting_add_segment: no database or text");
    if (t0_ms < 0 || t1_ms < t0_ms)
        return sl_fail(err, SL_ERR_ARG, "a segment's times must be 0 <= start <= end, not "
                                        "%lld..%lld ms", (long long)t0_ms, (long long)t1_ms);
    size_t n = 0, sn = 0;
    char *t = clean_text(text, &n);
    char *sp = clean_text(speaker ? speaker : "", &sn);
    sl_status s = SL_OK;
    if (!t || !sp)
        s = sl_fail(err, SL_ERR_NOMEM, "out of memory");
    else if (n == 0 || n > MEETING_TEXT_MAX)
        s = sl_fail(err, SL_ERR_ARG, "a segment's text is 1 to %d bytes, this one is %zu",
                    MEETING_TEXT_MAX, n);
    else if (sn > MEETING_SPEAKER_MAX)
        s = sl_fail(err, SL_ERR_ARG, "a speaker label is at most %d bytes, this one is %zu",
                    MEETING_SPEAKER_MAX, sn);
    if (s == SL_OK)
        s = check_meeting(db, meeting_id, err);
    if (s == SL_OK && (s = db_begin(db, err)) == SL_OK) {
        sqlite3_stmt *st = NULL;
        int64_t row = 0;
        s = db_prepare(db,
                       "INSERT INTO meeting_segments (meeting_id, t0_ms, t1_ms, speaker, text) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
                       &st, "storing a segment", err);
        if (s == SL_OK) {
            sqlite3_bind_int64(st, 1, meeting_id);
            sqlite3_bind_int64(st, 2, t0_ms);
            sqlite3_bind_int64(st, 3, t1_ms);
            sqlite3_bind_text(st, 4, sp, (int)sn, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, t, (int)n, SQLITE_STATIC);
            s = step_done(db, st, "storing a segment", err);
            row = sqlite3_last_insert_rowid(db->sq);
        }
        if (s == SL_OK)
            s = db_prepare(db, "INSERT INTO meeting_segments_fts (rowid, text) VALUES (?1, ?2)",
                           &st, "indexing a segment", err);
        if (s == SL_OK) {
            sqlite3_bind_int64(st, 1, row);
            sqlite3_bind_text(st, 2, t, (int)n, SQLITE_STATIC);
            s = step_done(db, st, "indexing a segment", err);
        }
        if (s == SL_OK)
            s = db_commit(db, err);
        else
            db_rollback(db);
        if (s == SL_OK && id)
            *id = row;
    }
    free(t);
    free(sp);
    return s;
}

static sl_status read_infos(sl_db *db, sqlite3_stmt *st, meeting_infos *out, sl_error *err)
{
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->count == cap) {
            cap = cap ? cap * 2 : 8;
            meeting_info *g = realloc(out->items, cap * sizeof *g);
            if (!g)
                return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading meetings",
                               db->path);
            out->items = g;
        }
        meeting_info *m = &out->items[out->count++];
        m->id = sqlite3_column_int64(st, 0);
        m->title = dup_col(st, 1);
        m->started_ms = sqlite3_column_int64(st, 2);
        m->ended_ms = sqlite3_column_int64(st, 3);
        m->segments = sqlite3_column_int64(st, 4);
        if (!m->title)
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading meetings", db->path);
    }
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, "reading meetings", err);
}

#define INFO_SQL                                                                             \
    "SELECT m.id, m.title, m.started_ms, coalesce(m.ended_ms, 0), "                          \
    "(SELECT count(*) FROM meeting_segments s WHERE s.meeting_id = m.id) FROM meetings m "

sl_status meeting_get(sl_db *db, int64_t id, meeting_info *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, INFO_SQL "WHERE m.id = ?1", &st, "reading meetings", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    meeting_infos list = {0};
    s = read_infos(db, st, &list, err);
    sqlite3_finalize(st);
    if (s == SL_OK && list.count == 0)
        s = sl_fail(err, SL_ERR_ARG, "there is no meeting number %lld", (long long)id);
    if (s == SL_OK) {
        *out = list.items[0];
        list.count = 0;
    }
    meeting_infos_free(&list);
    return s;
}

sl_status meeting_list(sl_db *db, meeting_infos *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, INFO_SQL "ORDER BY m.started_ms DESC, m.id DESC", &st,
                             "listing meetings", err);
    if (s != SL_OK)
        return s;
    s = read_infos(db, st, out, err);
    sqlite3_finalize(st);
    if (s != SL_OK)
        meeting_infos_free(out);
    return s;
}

static sl_status read_segments(sl_db *db, sqlite3_stmt *st, bool with_title,
                               meeting_segments *out, sl_error *err)
{
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->count == cap) {
            cap = cap ? cap * 2 : 32;
            meeting_segment *g = realloc(out->items, cap * sizeof *g);
            if (!g)
                return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading segments",
                               db->path);
            out->items = g;
        }
        meeting_segment *m = &out->items[out->count++];
        memset(m, 0, sizeof *m);
        m->id = sqlite3_column_int64(st, 0);
        m->meeting_id = sqlite3_column_int64(st, 1);
        m->t0_ms = sqlite3_column_int64(st, 2);
        m->t1_ms = sqlite3_column_int64(st, 3);
        m->speaker = dup_col(st, 4);
        m->text = dup_col(st, 5);
        bool named = sqlite3_column_type(st, 6) != SQLITE_NULL;
        m->name = named ? dup_col(st, 6) : NULL;
        m->meeting_title = with_title ? dup_col(st, 7) : NULL;
        if (!m->speaker || !m->text || (named && !m->name) || (with_title && !m->meeting_title))
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory reading segments", db->path);
    }
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, "reading segments", err);
}

#define SEGMENT_SQL                                                                          \
    "SELECT s.id, s.meeting_id, s.t0_ms, s.t1_ms, s.speaker, s.text, n.name "               \
    "FROM meeting_segments s LEFT JOIN meeting_speakers n "                                 \
    "ON n.meeting_id = s.meeting_id AND n.label = s.speaker "

sl_status meeting_segments_get(sl_db *db, int64_t meeting_id, meeting_segments *out,
                               sl_error *err)
{
    memset(out, 0, sizeof *out);
    sl_status s = check_meeting(db, meeting_id, err);
    if (s != SL_OK)
        return s;
    sqlite3_stmt *st = NULL;
    s = db_prepare(db, SEGMENT_SQL "WHERE s.meeting_id = ?1 ORDER BY s.t0_ms, s.id", &st,
                   "reading segments", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, meeting_id);
    s = read_segments(db, st, false, out, err);
    sqlite3_finalize(st);
    if (s != SL_OK)
        meeting_segments_free(out);
    return s;
}

sl_status meeting_set_speaker(sl_db *db, int64_t meeting_id, const char *label,
                              const char *name, sl_error *err)
{
    if (!db || !label || !name)
        return sl_fail(err, SL_ERR_ARG, "meeting_set_speaker: no database, label or name");
    size_t ln = 0, nn = 0;
    char *l = clean_text(label, &ln), *n = clean_text(name, &nn);
    sl_status s = SL_OK;
    if (!l || !n)
        s = sl_fail(err, SL_ERR_NOMEM, "out of memory");
    else if (ln == 0 || ln > MEETING_SPEAKER_MAX || nn == 0 || nn > MEETING_SPEAKER_MAX)
        s = sl_fail(err, SL_ERR_ARG, "a speaker label and name are 1 to %d bytes each",
                    MEETING_SPEAKER_MAX);
    if (s == SL_OK)
        s = check_meeting(db, meeting_id, err);
    sqlite3_stmt *st = NULL;
    if (s == SL_OK)
        s = db_prepare(db,
                       "INSERT OR REPLACE INTO meeting_speakers (meeting_id, label, name) "
                       "VALUES (?1, ?2, ?3)",
                       &st, "naming a speaker", err);
    if (s == SL_OK) {
        sqlite3_bind_int64(st, 1, meeting_id);
        sqlite3_bind_text(st, 2, l, (int)ln, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, n, (int)nn, SQLITE_STATIC);
        s = step_done(db, st, "naming a speaker", err);
    }
    free(l);
    free(n);
    return s;
}

/* Every word of words, lower-cased and quoted so nothing is read as FTS5 or
 * FTS4 syntax; both AND adjacent phrases. Empty string when there is no word. */
static char *fts_query(const char *words)
{
    size_t n = strlen(words);
    char *q = malloc(n * 3 + 1), *p = q;
    if (!q)
        return NULL;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)words[i];
        if (!(isalnum(c) || c >= 0x80)) {
            i++;
            continue;
        }
        if (p != q)
            *p++ = ' ';
        *p++ = '"';
        while (i < n && (isalnum((unsigned char)words[i]) || (unsigned char)words[i] >= 0x80))
            *p++ = (char)tolower((unsigned char)words[i++]);
        *p++ = '"';
    }
    *p = '\0';
    return q;
}

sl_status meeting_search(sl_db *db, const char *words, int64_t limit, meeting_segments *out,
                         sl_error *err)
{
    memset(out, 0, sizeof *out);
    char *q = fts_query(words ? words : "");
    if (!q)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    if (!*q) {
        free(q);
        return SL_OK;
    }
    sqlite3_stmt *st = NULL;
    char *rank = NULL, *sql = NULL;
    sl_status s = db_fts_rank(db, "meeting_segments_fts", &rank, err);
    if (s == SL_OK &&
        !(sql = sqlite3_mprintf("SELECT s.id, s.meeting_id, s.t0_ms, s.t1_ms, s.speaker, s.text, "
                                "n.name, m.title FROM meeting_segments_fts f "
                                "JOIN meeting_segments s ON s.id = f.rowid "
                                "JOIN meetings m ON m.id = s.meeting_id "
                                "LEFT JOIN meeting_speakers n ON n.meeting_id = s.meeting_id "
                                "AND n.label = s.speaker "
                                "WHERE meeting_segments_fts MATCH ?1 "
                                "ORDER BY %s, s.meeting_id, s.t0_ms LIMIT ?2",
                                rank)))
        s = sl_fail(err, SL_ERR_NOMEM, "out of memory");
    sqlite3_free(rank);
    if (s == SL_OK)
        s = db_prepare(db, sql, &st, "searching meetings", err);
    sqlite3_free(sql);
    if (s == SL_OK) {
        sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
        s = read_segments(db, st, true, out, err);
        sqlite3_finalize(st);
    }
    free(q);
    if (s != SL_OK)
        meeting_segments_free(out);
    return s;
}

sl_status meeting_summary_put(sl_db *db, int64_t meeting_id, const char *method,
                              const char *body, sl_error *err)
{
    if (!db || !method || !body)
        return sl_fail(err, SL_ERR_ARG, "meeting_summary_put: no database, method or body");
    size_t n = strlen(body);
    if (n > MEETING_SUMMARY_MAX)
        return sl_fail(err, SL_ERR_LIMIT, "a summary is at most %d bytes, this one is %zu",
                       MEETING_SUMMARY_MAX, n);
    sl_status s = check_meeting(db, meeting_id, err);
    sqlite3_stmt *st = NULL;
    if (s == SL_OK)
        s = db_prepare(db,
                       "INSERT INTO meeting_summaries (meeting_id, created_ms, method, body) "
                       "VALUES (?1, ?2, ?3, ?4)",
                       &st, "storing a summary", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, meeting_id);
    sqlite3_bind_int64(st, 2, db_now_ms());
    sqlite3_bind_text(st, 3, method, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, body, (int)n, SQLITE_STATIC);
    return step_done(db, st, "storing a summary", err);
}

sl_status meeting_summary_get(sl_db *db, int64_t meeting_id, const char *method, char **body,
                              sl_error *err)
{
    *body = NULL;
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db,
                             "SELECT body FROM meeting_summaries WHERE meeting_id = ?1 "
                             "AND method = ?2 ORDER BY created_ms DESC, id DESC LIMIT 1",
                             &st, "reading a summary", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, meeting_id);
    sqlite3_bind_text(st, 2, method, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *body = dup_col(st, 0);
        if (!*body)
            s = sl_fail(err, SL_ERR_NOMEM, "out of memory");
    } else if (rc != SQLITE_DONE) {
        s = db_fail(db, rc, "reading a summary", err);
    }
    sqlite3_finalize(st);
    return s;
}

void meeting_info_free(meeting_info *m)
{
    free(m->title);
    memset(m, 0, sizeof *m);
}

void meeting_infos_free(meeting_infos *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->items[i].title);
    free(m->items);
    memset(m, 0, sizeof *m);
}

void meeting_segments_free(meeting_segments *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i].speaker);
        free(s->items[i].name);
        free(s->items[i].text);
        free(s->items[i].meeting_title);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

sl_status meeting_relabel_segments(sl_db *db, int64_t meeting_id, const int64_t *ids,
                                   const char *const *labels, size_t n, sl_error *err)
{
    if (!db || (n && (!ids || !labels)))
        return sl_fail(err, SL_ERR_ARG, "meeting_relabel_segments: no database, ids or labels");
    for (size_t i = 0; i < n; i++)
        if (!labels[i] || strlen(labels[i]) > MEETING_SPEAKER_MAX)
            return sl_fail(err, SL_ERR_ARG, "a speaker label is at most %d bytes",
                           MEETING_SPEAKER_MAX);
    sl_status s = check_meeting(db, meeting_id, err);
    if (s != SL_OK || (s = db_begin(db, err)) != SL_OK)
        return s;
    sqlite3_stmt *st = NULL;
    s = db_prepare(db, "UPDATE meeting_segments SET speaker = ?3 WHERE id = ?1 AND meeting_id = ?2",
                   &st, "relabelling segments", err);
    for (size_t i = 0; s == SL_OK && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_int64(st, 2, meeting_id);
        sqlite3_bind_text(st, 3, labels[i], -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = db_fail(db, rc, "relabelling segments", err);
        else if (sqlite3_changes(db->sq) != 1)
            s = sl_fail(err, SL_ERR_ARG, "segment %lld is not in meeting %lld",
                        (long long)ids[i], (long long)meeting_id);
    }
    sqlite3_finalize(st);
    if (s != SL_OK) {
        db_rollback(db);
        return s;
    }
    return db_commit(db, err);
}
