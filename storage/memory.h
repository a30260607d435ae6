/* What the user asked the assistant to remember ("my dog is called Max"),
 * found again by the words of a request.
 *
 * Search is SQLite FTS5 (porter stemming, unicode61) ranked by BM25 and
 * nudged towards recent memories: score = bm25_relevance * (1 + 0.5 *
 * 2^(-age_days / 30)), so between two equally relevant memories the newer
 * wins, but an old memory that matches well still beats a new one that
 * barely matches. Common English function words are dropped from a request
 * before matching, so "what is on the table" matches memories about tables,
 * not every memory containing "is" or "the".
 *
 * Forgetting leaves no trace in the file: secure_delete is on, the FTS
 * index is rebuilt without the row, and the WAL is checkpointed and
 * truncated. */
#ifndef SIGHTLINE_STORAGE_MEMORY_H
#define SIGHTLINE_STORAGE_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "storage/db.h"

#define MEMORY_TEXT_MAX 4096

typedef struct memory_item {
    int64_t id;
    int64_t created_ms;
    char *source; /* "user" (typed), "spoken", "feedback" */
    char *text;
    double score; /* search relevance, higher is better; 0 from memory_list */
} memory_item;

typedef struct memory_items {
    memory_item *items;
    size_t count;
} memory_items;

/* text: 1..MEMORY_TEXT_MAX bytes after trimming white space. */
sl_status memory_add(sl_db *db, const char *text, const char *source, int64_t *id,
                     sl_error *err);

/* SL_ERR_ARG when there is no memory with that id. */
sl_status memory_forget(sl_db *db, int64_t id, sl_error *err);

/* Newest first; limit <= 0 means all. */
sl_status memory_list(sl_db *db, int64_t limit, memory_items *out, sl_error *err);

/* Best first; memories sharing no content word with the request are not
 * returned. limit <= 0 means all matches. */
sl_status memory_search(sl_db *db, const char *request, int64_t limit, memory_items *out,
                        sl_error *err);

void memory_items_free(memory_items *m);

#endif
