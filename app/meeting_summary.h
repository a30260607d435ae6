/* A meeting summary without a language model: the most central sentences
 * by TextRank (sentences are nodes, edges weighted by shared content words
 * normalised by log lengths, PageRank with damping 0.85), decisions found by
 * cue phrases ("we decided", "we agreed", "let's go with", "decision"), and
 * action items by cue phrases ("I will", "NAME will", "can you", "action
 * item", "by Friday") with their owner (the speaker for "I", the named person
 * otherwise) and due date when one is said. Every item keeps the time of the
 * segment it came from. */
#ifndef SIGHTLINE_APP_MEETING_SUMMARY_H
#define SIGHTLINE_APP_MEETING_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "storage/meeting.h"

typedef struct summary_item {
    int64_t t_ms;  /* the segment's start */
    char *speaker; /* who said it ("" when unknown) */
    char *text;    /* the sentence */
    char *owner;   /* action items: who does it, or NULL */
    char *due;     /* action items: when, as said ("by Friday"), or NULL */
} summary_item;

typedef struct summary_list {
    summary_item *items;
    size_t count;
} summary_list;

typedef struct meeting_summary {
    summary_list summary; /* in time order */
    summary_list decisions;
    summary_list actions;
} meeting_summary;

/* max_sentences: how many sentences the short summary keeps (0: 5). */
sl_status meeting_summarize_extractive(const meeting_segments *segs, size_t max_sentences,
                                       meeting_summary *out, sl_error *err);

/* Markdown with the three sections; malloc'ed, NULL when out of memory. */
char *meeting_summary_markdown(const meeting_summary *s);

void meeting_summary_free(meeting_summary *s);

/* Cuts <think>...</think> reasoning out of a model's answer, in place (an
 * unclosed <think> runs to the end; a lone </think> drops what precedes it). */
void meeting_strip_think(char *s);

#endif
