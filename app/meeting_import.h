/* Transcripts made elsewhere, read into segments: SubRip (.srt), WebVTT
 * (.vtt) and plain text with `[hh:mm:ss] Speaker: text` lines (lines starting
 * with '#' and blank lines are skipped). The format is found from the
 * content. A speaker is taken from a VTT `<v Name>` tag or a short
 * "Name: " prefix. Any problem is one line "FILE:LINE: cause". */
#ifndef SIGHTLINE_APP_MEETING_IMPORT_H
#define SIGHTLINE_APP_MEETING_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"

#define TRANSCRIPT_FILE_MAX (64 << 20)

typedef struct transcript_line {
    int64_t t0_ms, t1_ms;
    char *speaker; /* "" when none */
    char *text;
    int line;      /* where it starts in the file, from 1 */
} transcript_line;

typedef struct transcript {
    transcript_line *items;
    size_t count;
} transcript;

/* name is used in error messages only. */
sl_status transcript_parse(const char *name, const char *data, size_t size, transcript *out,
                           sl_error *err);
sl_status transcript_read_file(const char *path, transcript *out, sl_error *err);
void transcript_free(transcript *t);

/* "[hh:mm:ss]" / "hh:mm:ss,mmm" / "mm:ss.mmm": fills *ms, returns the bytes
 * used, 0 when s does not start with a time. */
size_t transcript_parse_time(const char *s, int64_t *ms);

#endif
