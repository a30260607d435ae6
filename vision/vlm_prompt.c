/* Building the list of prompt chunks that projectors return: text pieces
 * are merged until the next image, as llama.cpp's mtmd merges the tokens of
 * neighbouring text. Errors are remembered and reported once at the end so
 * that a projector's layout code reads as a plain sequence. */
#include <stdlib.h>
#include <string.h>

#include "vision/clip_internal.h"

void vlm_builder_init(vlm_chunks_builder *b, vlm_chunks *out)
{
    memset(b, 0, sizeof *b);
    b->out = out;
    out->count = 0;
    out->items = NULL;
    b->status = SL_OK;
}

static bool push(vlm_chunks_builder *b, vlm_chunk c)
{
    if (b->out->count == b->cap) {
        int cap = b->cap ? 2 * b->cap : 16;
        vlm_chunk *n = realloc(b->out->items, (size_t)cap * sizeof *n);
        if (!n) {
            b->status = SL_ERR_NOMEM;
            return false;
        }
        b->out->items = n;
        b->cap = cap;
    }
    b->out->items[b->out->count++] = c;
    return true;
}

static void flush_text(vlm_chunks_builder *b)
{
    if (b->status != SL_OK || !b->text_len)
        return;
    char *t = b->text;
    b->text = NULL;
    b->text_len = b->text_cap = 0;
    if (!push(b, (vlm_chunk){.type = VLM_CHUNK_TEXT, .text = t, .tile = -1}))
        free(t);
}

void vlm_builder_text(vlm_chunks_builder *b, const char *text)
{
    if (b->status != SL_OK)
        return;
    size_t n = strlen(text);
    if (b->text_len + n + 1 > b->text_cap) {
        size_t cap = (b->text_len + n + 1) * 2;
        char *t = realloc(b->text, cap);
        if (!t) {
            b->status = SL_ERR_NOMEM;
            return;
        }
        b->text = t;
        b->text_cap = cap;
    }
    memcpy(b->text + b->text_len, text, n + 1);
    b->text_len += n;
}

void vlm_builder_image(vlm_chunks_builder *b, int tile, int n_tokens)
{
    flush_text(b);
    if (b->status == SL_OK)
        push(b, (vlm_chunk){.type = VLM_CHUNK_IMAGE, .tile = tile, .n_tokens = n_tokens});
}

sl_status vlm_builder_finish(vlm_chunks_builder *b, sl_error *err)
{
    flush_text(b);
    free(b->text);
    b->text = NULL;
    if (b->status != SL_OK) {
        vlm_chunks_free(b->out);
        return sl_fail(err, b->status, "vlm_prompt_chunks: no memory");
    }
    return SL_OK;
}

void vlm_chunks_free(vlm_chunks *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->count; i++)
        if (c->items[i].type == VLM_CHUNK_TEXT)
            free((char *)c->items[i].text);
    free(c->items);
    c->items = NULL;
    c->count = 0;
}
