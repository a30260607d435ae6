/* History: what the assistant said, one entry per answer (every `read`,
 * `describe`, ...), listed by `sightline history`.
 *
 * Times are Unix milliseconds, UTC (db_now_ms); showing them in local time
 * is the caller's job. Strings are UTF-8: history_add replaces malformed
 * bytes of source and text with U+FFFD rather than lose the entry, and every
 * string read back is well-formed UTF-8 without NUL bytes, even from a
 * database edited by hand. */
#ifndef SIGHTLINE_STORAGE_HISTORY_H
#define SIGHTLINE_STORAGE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "storage/db.h"

/* Longest text kept (a whole page read aloud is a few KiB). */
#define HISTORY_TEXT_MAX (1 << 20)
/* Longest source (a file path). */
#define HISTORY_SOURCE_MAX 4096
/* Longest mode name. */
#define HISTORY_MODE_MAX 32

typedef struct history_entry {
    int64_t id;          /* given by history_add; ignored on input */
    int64_t time_ms;     /* when it was said: Unix ms, UTC, >= 0 */
    const char *mode;    /* "read", "describe", ...: 1..HISTORY_MODE_MAX of [a-z0-9_-] */
    const char *source;  /* the file read, or "camera" */
    const char *text;    /* what was said */
    int64_t duration_ms; /* how long the work took, >= 0 (the caller measures it) */
} history_entry;

/* Adds e; *id (may be NULL) gets the new entry's id. Ids only grow, also
 * across deletions. */
sl_status history_add(sl_db *db, const history_entry *e, int64_t *id, sl_error *err);

/* Called for each entry; the strings are valid only during the call. Return
 * nonzero to stop (history_each then returns SL_OK). */
typedef int (*history_fn)(void *ctx, const history_entry *e);

/* The newest `limit` entries (0: all), newest first; equal times keep the
 * order they were added in, newest first. */
sl_status history_each(sl_db *db, int64_t limit, history_fn fn, void *ctx, sl_error *err);

/* The same into an array. */
typedef struct history_entries {
    history_entry *items;
    size_t count;
} history_entries;

sl_status history_list(sl_db *db, int64_t limit, history_entries *out, sl_error *err);
void history_entries_free(history_entries *list);

sl_status history_count(sl_db *db, int64_t *count, sl_error *err);

#endif
