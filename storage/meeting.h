/* Meeting transcripts: meetings, their segments (times in ms from the start
 * of the meeting, a speaker label, the text), names given to speaker labels,
 * and stored summaries. Each segment is committed on its own the moment it is
 * added, so a process killed mid-meeting loses only the segment not yet
 * added. Segment text is searchable with FTS5 (porter, unicode61). */
#ifndef SIGHTLINE_STORAGE_MEETING_H
#define SIGHTLINE_STORAGE_MEETING_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "storage/db.h"

#define MEETING_TITLE_MAX 256
#define MEETING_SPEAKER_MAX 64
#define MEETING_TEXT_MAX 8192
#define MEETING_SUMMARY_MAX (1 << 20)

typedef struct meeting_info {
    int64_t id;
    char *title;
    int64_t started_ms; /* Unix ms */
    int64_t ended_ms;   /* 0 while running */
    int64_t segments;   /* how many */
} meeting_info;

typedef struct meeting_infos {
    meeting_info *items;
    size_t count;
} meeting_infos;

typedef struct meeting_segment {
    int64_t id;
    int64_t meeting_id;
    int64_t t0_ms, t1_ms; /* from the start of the meeting */
    char *speaker;        /* label ("S1", "Alice"), "" when unknown */
    char *name;           /* the name given to the label, or NULL */
    char *text;
    char *meeting_title;  /* filled by meeting_search only */
} meeting_segment;

typedef struct meeting_segments {
    meeting_segment *items;
    size_t count;
} meeting_segments;

/* started_ms: Unix ms (<= 0: now). title: 1..MEETING_TITLE_MAX bytes. */
sl_status meeting_create(sl_db *db, const char *title, int64_t started_ms, int64_t *id,
                         sl_error *err);
/* Marks the meeting ended (ended_ms <= 0: now). */
sl_status meeting_end(sl_db *db, int64_t id, int64_t ended_ms, sl_error *err);
/* Deletes the meeting and everything stored with it. */
sl_status meeting_delete(sl_db *db, int64_t id, sl_error *err);

/* One segment, committed at once. 0 <= t0_ms <= t1_ms; speaker may be NULL;
 * text: 1..MEETING_TEXT_MAX bytes after trimming (invalid UTF-8 repaired). */
sl_status meeting_add_segment(sl_db *db, int64_t meeting_id, int64_t t0_ms, int64_t t1_ms,
                              const char *speaker, const char *text, int64_t *id,
                              sl_error *err);

/* SL_ERR_ARG when there is no such meeting. */
sl_status meeting_get(sl_db *db, int64_t id, meeting_info *out, sl_error *err);
/* Newest first. */
sl_status meeting_list(sl_db *db, meeting_infos *out, sl_error *err);
/* In time order. */
sl_status meeting_segments_get(sl_db *db, int64_t meeting_id, meeting_segments *out,
                               sl_error *err);

/* Gives a speaker label a name in one meeting (replacing an earlier one). */
sl_status meeting_set_speaker(sl_db *db, int64_t meeting_id, const char *label,
                              const char *name, sl_error *err);

/* Sets the speaker labels of n stored segments of the meeting (ids[i] gets
 * labels[i]; each label at most MEETING_SPEAKER_MAX bytes), all in one
 * transaction: how a meeting's final speaker clustering relabels what was
 * labelled live. An id that is not the meeting's is an SL_ERR_ARG. */
sl_status meeting_relabel_segments(sl_db *db, int64_t meeting_id, const int64_t *ids,
                                   const char *const *labels, size_t n, sl_error *err);

/* Segments containing every word of words (meeting_title filled), best match
 * first; limit <= 0: all. No content word: no results. */
sl_status meeting_search(sl_db *db, const char *words, int64_t limit, meeting_segments *out,
                         sl_error *err);

/* Stores a summary (method: "extractive", "llm"); the newest per method is
 * what meeting_summary_get returns (*body NULL when none). */
sl_status meeting_summary_put(sl_db *db, int64_t meeting_id, const char *method,
                              const char *body, sl_error *err);
sl_status meeting_summary_get(sl_db *db, int64_t meeting_id, const char *method, char **body,
                              sl_error *err);

void meeting_info_free(meeting_info *m);
void meeting_infos_free(meeting_infos *m);
void meeting_segments_free(meeting_segments *s);

#endif
