/* Taught objects and people: image descriptors the user recorded with
 * `sightline teach object|person NAME PICTURE...`, several per name.
 *
 * Each row holds one descriptor: a vector of float32 (stored little-endian)
 * and the method that made it ("classic-v1", "clip:idefics3:576", ...; see
 * vision/object_descriptor.h). Vectors of different methods are never
 * compared, so a name taught with one method is found again only by that
 * method; `teach` stores every method it can compute.
 *
 * Names follow the rules of taught signs (storage/signs.h): 1..63 bytes of
 * UTF-8, no control characters, no spaces at the ends. Sizes are bounded so
 * that a database edited by hand cannot make a reader allocate without
 * limit, and vectors read back are checked (finite values, whole floats). */
#ifndef SIGHTLINE_STORAGE_OBJECTS_H
#define SIGHTLINE_STORAGE_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "storage/db.h"

#define TAUGHT_NAME_MAX 63
#define TAUGHT_METHOD_MAX 63
/* Largest vector: SmolVLM-2.2B's n_embd is 2048; room for bigger ones. */
#define TAUGHT_DIM_MAX 16384

typedef enum taught_kind {
    TAUGHT_OBJECT = 0,
    TAUGHT_PERSON = 1,
} taught_kind;

/* "object" or "person". */
const char *taught_kind_name(taught_kind kind);

typedef struct taught_object {
    int64_t id;          /* given by taught_objects_add; ignored on input */
    const char *name;
    taught_kind kind;
    int64_t created_ms;  /* Unix ms, UTC, >= 0 */
    const char *method;  /* 1..TAUGHT_METHOD_MAX printable ASCII bytes */
    const float *vector; /* dim finite floats */
    int dim;             /* 1..TAUGHT_DIM_MAX */
} taught_object;

/* SL_OK when name is one taught_objects_add accepts, else SL_ERR_ARG saying
 * why. */
sl_status taught_check_name(const char *name, sl_error *err);

/* Adds o; *id (may be NULL) gets the new row's id. */
sl_status taught_objects_add(sl_db *db, const taught_object *o, int64_t *id, sl_error *err);

typedef struct taught_objects {
    taught_object *items; /* each item's name, method and vector are its own copies */
    size_t count;
} taught_objects;

/* Rows of one kind (kind < 0: both) and one method (NULL: every method),
 * ordered by kind, name (bytewise) and id. A row a sane sightline never
 * writes (edited by hand) is an SL_ERR_DB naming its id. */
sl_status taught_objects_list(sl_db *db, int kind, const char *method, taught_objects *out,
                              sl_error *err);
void taught_objects_free(taught_objects *list);

/* Deletes every descriptor of a name (kind < 0: of either kind); *deleted
 * (may be NULL) gets how many (0 is not an error). */
sl_status taught_objects_delete_name(sl_db *db, int kind, const char *name, int64_t *deleted,
                                     sl_error *err);

#endif
