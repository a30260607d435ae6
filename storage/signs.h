/* Taught signs: the examples the user recorded with `sightline teach`, one
 * row per example, listed and deleted with `sightline signs`.
 *
 * storage/ does not know what an example holds: the caller (app/) stores the
 * blob vision/'s signs_frames_to_blob made and checks what it reads back with
 * signs_frames_from_blob. The blob's size is bounded here so that a database
 * edited by hand cannot make a reader allocate without limit.
 *
 * Names are what the recogniser answers with, so they are kept exactly:
 * sign_examples_add refuses (rather than repairs) malformed UTF-8. Names read
 * back are well-formed UTF-8 without NUL bytes even from a database edited by
 * hand. Times are Unix milliseconds, UTC (db_now_ms). */
#ifndef SIGHTLINE_STORAGE_SIGNS_H
#define SIGHTLINE_STORAGE_SIGNS_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "storage/db.h"

/* Longest name in bytes (vision/signs.h's SIGN_NAME_MAX less the NUL). */
#define SIGN_EXAMPLE_NAME_MAX 63
/* Largest blob: 4096 frames of two hands (vision/signs_blob.c) fit with room. */
#define SIGN_EXAMPLE_BLOB_MAX (4 << 20)

typedef enum sign_example_kind {
    SIGN_EXAMPLE_SIGN = 0,   /* a sign: a motion, matched as a sequence */
    SIGN_EXAMPLE_LETTER = 1, /* a fingerspelled letter: a held handshape */
} sign_example_kind;

/* "sign" or "letter" (what the table stores and the CLI prints). */
const char *sign_example_kind_name(sign_example_kind kind);

typedef struct sign_example {
    int64_t id;              /* given by sign_examples_add; ignored on input */
    const char *name;        /* 1..SIGN_EXAMPLE_NAME_MAX bytes of UTF-8, no control
                                characters; a letter is one character */
    sign_example_kind kind;
    int64_t created_ms;      /* when it was taught: Unix ms, UTC, >= 0 */
    const unsigned char *blob; /* the recording, 1..SIGN_EXAMPLE_BLOB_MAX bytes */
    size_t blob_size;
} sign_example;

/* SL_OK when name is one sign_examples_add accepts for kind, else SL_ERR_ARG
 * saying why (so a caller can refuse a name before it records anything). */
sl_status sign_example_check_name(const char *name, sign_example_kind kind, sl_error *err);

/* Adds e; *id (may be NULL) gets the new example's id. Ids only grow, also
 * across deletions. */
sl_status sign_examples_add(sl_db *db, const sign_example *e, int64_t *id, sl_error *err);

/* Called for each example; name and blob are valid only during the call.
 * Return nonzero to stop (sign_examples_each then returns SL_OK). */
typedef int (*sign_example_fn)(void *ctx, const sign_example *e);

/* Every example of one kind (kind < 0: both kinds), ordered by kind, name
 * (bytewise) and id. A row whose kind or blob a sane sightline never writes
 * (edited by hand) is an SL_ERR_DB naming its id. */
sl_status sign_examples_each(sl_db *db, int kind, sign_example_fn fn, void *ctx, sl_error *err);

/* The same into an array (each entry's name and blob are its own copies). */
typedef struct sign_examples {
    sign_example *items;
    size_t count;
} sign_examples;

sl_status sign_examples_list(sl_db *db, int kind, sign_examples *out, sl_error *err);
void sign_examples_free(sign_examples *list);

/* Deletes one example; SL_ERR_ARG when there is no example with that id. */
sl_status sign_examples_delete(sl_db *db, int64_t id, sl_error *err);

/* Deletes every example of a name and kind; *deleted (may be NULL) gets how
 * many there were (0 is not an error). */
sl_status sign_examples_delete_name(sl_db *db, sign_example_kind kind, const char *name,
                                    int64_t *deleted, sl_error *err);

/* Examples of one kind (kind < 0: both). */
sl_status sign_examples_count(sl_db *db, int kind, int64_t *count, sl_error *err);

#endif
