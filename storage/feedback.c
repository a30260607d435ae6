#include "storage/feedback.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"
#include "storage/profile.h"

static const char *const kinds[] = {"good", "bad", "shorter", "longer", "slower", "faster"};
static const char *const verbosity_steps[] = {"brief", "normal", "detailed"};

#define FEEDBACK_NOTE_MAX 4096

static int verbosity_index(const char *v)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(v, verbosity_steps[i]) == 0)
            return i;
    return 1;
}

static sl_status change_rate(sl_db *db, int delta, feedback_change *c, sl_error *err)
{
    long rate;
    sl_status s = profile_get_int(db, "rate", &rate, err);
    if (s != SL_OK)
        return s;
    const profile_key *k = profile_key_find("rate");
    long next = rate + delta;
    next = next < k->min ? k->min : next > k->max ? k->max : next;
    if (next == rate)
        return SL_OK;
    snprintf(c->value, sizeof c->value, "%ld", next);
    c->key = "rate";
    return profile_set(db, "rate", c->value, err);
}

static sl_status change_verbosity(sl_db *db, int step, feedback_change *c, sl_error *err)
{
    char *v = NULL;
    sl_status s = profile_get(db, "verbosity", &v, err);
    if (s != SL_OK)
        return s;
    int i = verbosity_index(v);
    free(v);
    if (i + step < 0)
        return change_rate(db, FEEDBACK_RATE_STEP, c, err);
    if (i + step > 2)
        return SL_OK;
    snprintf(c->value, sizeof c->value, "%s", verbosity_steps[i + step]);
    c->key = "verbosity";
    return profile_set(db, "verbosity", c->value, err);
}

/* The kind of the feedback before the one just added, or "" if none. */
static sl_status previous_kind(sl_db *db, char *kind, size_t cap, sl_error *err)
{
    sqlite3_stmt *st = NULL;
    kind[0] = '\0';
    sl_status s = db_prepare(db, "SELECT kind FROM feedback ORDER BY id DESC LIMIT 1 OFFSET 1",
                             &st, "reading feedback", err);
    if (s != SL_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(kind, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, "reading feedback", err);
}

static sl_status insert_feedback(sl_db *db, const char *kind, const char *note,
                                 int64_t history_id, sl_error *err)
{
    sqlite3_stmt *st = NULL;
    /* history_id 0 means the latest answer; NULL when the history is empty. */
    sl_status s = db_prepare(db,
                             "INSERT INTO feedback (time_ms, kind, note, history_id) VALUES "
                             "(?1, ?2, ?3, CASE WHEN ?4 > 0 THEN ?4 ELSE "
                             "(SELECT max(id) FROM history) END)",
                             &st, "recording feedback", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, db_now_ms());
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    if (note)
        sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, history_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return sl_fail(err, SL_ERR_ARG, "there is no answer number %lld in the history",
                       (long long)history_id);
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, "recording feedback", err);
}

sl_status feedback_add(sl_db *db, const char *kind, const char *note, int64_t history_id,
                       feedback_change *change, sl_error *err)
{
    feedback_change none = {0};
    if (!change)
        change = &none;
    memset(change, 0, sizeof *change);
    bool known = false;
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        known |= strcmp(kind, kinds[i]) == 0;
    if (!known)
        return sl_fail(err, SL_ERR_ARG,
                       "feedback is good, bad, shorter, longer, slower or faster, not '%.40s'",
                       kind ? kind : "");
    if (note && strlen(note) > FEEDBACK_NOTE_MAX)
        return sl_fail(err, SL_ERR_LIMIT, "a feedback note is at most %d bytes",
                       FEEDBACK_NOTE_MAX);
    sl_status s = db_begin(db, err);
    if (s != SL_OK)
        return s;
    s = insert_feedback(db, kind, note, history_id, err);
    if (s == SL_OK) {
        if (strcmp(kind, "shorter") == 0)
            s = change_verbosity(db, -1, change, err);
        else if (strcmp(kind, "longer") == 0)
            s = change_verbosity(db, +1, change, err);
        else if (strcmp(kind, "slower") == 0)
            s = change_rate(db, -FEEDBACK_RATE_STEP, change, err);
        else if (strcmp(kind, "faster") == 0)
            s = change_rate(db, FEEDBACK_RATE_STEP, change, err);
        else if (strcmp(kind, "bad") == 0) {
            char prev[16];
            s = previous_kind(db, prev, sizeof prev, err);
            if (s == SL_OK && strcmp(prev, "bad") == 0)
                s = change_rate(db, -FEEDBACK_RATE_STEP, change, err);
        }
    }
    if (s == SL_OK)
        s = db_commit(db, err);
    else
        db_rollback(db);
    return s;
}
