#include "app/objects_seen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Matches pic against the taught descriptors of one method; adds what it
 * finds to out (a name already there keeps its better score). */
static void match_method(const taught_objects *taught, const char *method, int dim,
                         const float *region_vecs, const object_region *regions, int width,
                         float threshold, objects_seen *out)
{
    object_reference *refs = calloc(taught->count ? taught->count : 1, sizeof *refs);
    if (!refs)
        return;
    int n = 0;
    for (size_t i = 0; i < taught->count; i++)
        if (strcmp(taught->items[i].method, method) == 0 && taught->items[i].dim == dim)
            refs[n++] = (object_reference){(int)i, taught->items[i].vector};
    /* The same name may be taught several times: one label per name. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < i; k++) {
            const taught_object *a = &taught->items[refs[i].label];
            const taught_object *b = &taught->items[refs[k].label];
            if (a->kind == b->kind && strcmp(a->name, b->name) == 0) {
                refs[i].label = refs[k].label;
                break;
            }
        }
    object_match m[OBJECTS_SEEN_MAX];
    int found = n ? object_match_find(region_vecs, dim, regions, width, refs, n, threshold, m,
                                      OBJECTS_SEEN_MAX)
                  : 0;
    for (int i = 0; i < found; i++) {
        const taught_object *t = &taught->items[m[i].label];
        int at = -1;
        for (int k = 0; k < out->count && at < 0; k++)
            if (out->items[k].kind == t->kind && strcmp(out->items[k].name, t->name) == 0)
                at = k;
        if (at < 0 && out->count < OBJECTS_SEEN_MAX)
            at = out->count++;
        else if (at < 0 || out->items[at].score >= m[i].score)
            continue;
        object_seen *s = &out->items[at];
        snprintf(s->name, sizeof s->name, "%s", t->name);
        s->kind = t->kind;
        s->position = m[i].position;
        s->score = m[i].score;
    }
    free(refs);
}

static int by_score(const void *a, const void *b)
{
    float x = ((const object_seen *)a)->score, y = ((const object_seen *)b)->score;
    return (x < y) - (x > y);
}

void objects_find(const app_context *app, const frame *pic, const clip_model *clip,
                  clip_encoder *enc, objects_seen *out)
{
    memset(out, 0, sizeof *out);
    sl_db *db = NULL;
    char *path = NULL;
    if (!app->db_path && db_default_path(&path, NULL) != SL_OK)
        return;
    sl_status st = db_open(app->db_path ? app->db_path : path, &db, NULL);
    free(path);
    if (st != SL_OK)
        return;
    taught_objects taught = {0};
    st = taught_objects_list(db, -1, NULL, &taught, NULL);
    db_close(db);
    if (st != SL_OK || taught.count == 0) {
        taught_objects_free(&taught);
        return;
    }
    object_region regions[OBJECT_REGIONS];
    object_regions(pic->width, pic->height, regions);

    /* Each method only when something was taught with it: the VLM's takes
     * an encoder pass per region. */
    bool any_classic = false, any_clip = false;
    char clip_method[OBJECT_METHOD_MAX] = "";
    if (clip)
        object_descriptor_clip_method(clip, clip_method);
    for (size_t i = 0; i < taught.count; i++) {
        any_classic |= strcmp(taught.items[i].method, OBJECT_CLASSIC_METHOD) == 0;
        any_clip |= clip && enc && strcmp(taught.items[i].method, clip_method) == 0;
    }
    if (any_classic) {
        float *v = malloc(sizeof(float) * OBJECT_REGIONS * OBJECT_CLASSIC_DIM);
        bool ok = v != NULL;
        for (int r = 0; ok && r < OBJECT_REGIONS; r++)
            ok = object_descriptor_classic(pic, regions[r], v + r * OBJECT_CLASSIC_DIM,
                                           NULL) == SL_OK;
        if (ok)
            match_method(&taught, OBJECT_CLASSIC_METHOD, OBJECT_CLASSIC_DIM, v, regions,
                         pic->width, OBJECT_CLASSIC_THRESHOLD, out);
        free(v);
    }
    if (any_clip) {
        int dim = clip_n_embd_out(clip);
        float *v = malloc(sizeof(float) * OBJECT_REGIONS * (size_t)dim);
        bool ok = v != NULL;
        for (int r = 0; ok && r < OBJECT_REGIONS; r++)
            ok = object_descriptor_clip(clip, enc, pic, regions[r], v + (size_t)r * dim,
                                        NULL) == SL_OK;
        if (ok)
            match_method(&taught, clip_method, dim, v, regions, pic->width,
                         OBJECT_CLIP_THRESHOLD, out);
        free(v);
    }
    taught_objects_free(&taught);
    qsort(out->items, (size_t)out->count, sizeof out->items[0], by_score);
}

static char *lines(const objects_seen *seen, bool for_prompt)
{
    if (!seen || seen->count == 0)
        return NULL;
    size_t cap = (size_t)seen->count * (TAUGHT_NAME_MAX + 64) + 1;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t len = 0;
    s[0] = '\0';
    for (int i = 0; i < seen->count; i++) {
        const object_seen *o = &seen->items[i];
        const char *where = object_position_word(o->position);
        const char *owner = o->kind == TAUGHT_PERSON ? "" : for_prompt ? "The user's " : "Your ";
        if (for_prompt)
            len += (size_t)snprintf(s + len, cap - len, "%s%s is in view, %s%s.\n", owner,
                                    o->name, o->position == OBJECT_CENTRE ? "in the " : "on the ",
                                    where);
        else
            len += (size_t)snprintf(s + len, cap - len, "%s%s is in view, %s.\n", owner, o->name,
                                    where);
    }
    return s;
}

char *objects_prompt_text(const objects_seen *seen)
{
    return lines(seen, true);
}

char *objects_user_text(const objects_seen *seen)
{
    return lines(seen, false);
}

sl_status objects_describe_picture(const frame *pic, const clip_model *clip, clip_encoder *enc,
                                   object_descriptors *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    object_region whole = {0, 0, pic->width, pic->height};
    sl_status s = object_descriptor_classic(pic, whole, out->classic, err);
    if (s != SL_OK || !clip || !enc)
        return s;
    out->clip_dim = clip_n_embd_out(clip);
    out->clip = malloc(sizeof(float) * (size_t)out->clip_dim);
    if (!out->clip)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    object_descriptor_clip_method(clip, out->clip_method);
    s = object_descriptor_clip(clip, enc, pic, whole, out->clip, err);
    if (s != SL_OK)
        object_descriptors_free(out);
    return s;
}

void object_descriptors_free(object_descriptors *d)
{
    free(d->clip);
    d->clip = NULL;
    d->clip_dim = 0;
}
