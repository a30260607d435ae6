#include "app/vlm_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app_models.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void vlm_record_free(vlm_record *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->chunks[i].ids);
    free(r->chunks);
    memset(r, 0, sizeof *r);
}

/* A GGUF holding clip.* metadata is a projector, whatever its name. */
static int check_role(const char *path, bool want_mmproj)
{
    gguf_file *f = NULL;
    int rc = app_open_gguf(path, &f);
    if (rc != EXIT_OK)
        return rc;
    bool is_mmproj = clip_gguf_is_mmproj(f);
    gguf_close(f);
    if (is_mmproj == want_mmproj)
        return EXIT_OK;
    fprintf(stderr,
            want_mmproj ? "sightline: %s: a text model, not a vision projector (give it with -m, "
                          "and the mmproj file with --mmproj)\n"
                        : "sightline: %s: a vision projector (mmproj), not a text model (give it "
                          "with --mmproj, and the text model with -m)\n",
            path);
    return EXIT_MODEL;
}

int vlm_session_open(const app_context *app, const char *model, const char *mmproj,
                     const llm_cli_options *o, vlm_session *s)
{
    memset(s, 0, sizeof *s);
    int rc = check_role(model, false);
    if (rc == EXIT_OK)
        rc = check_role(mmproj, true);
    if (rc != EXIT_OK)
        return rc;
    llm_cli_options text = *o;
    text.model = model;
    if ((rc = llm_session_open(app, &text, &s->text)) != EXIT_OK)
        return rc;
    sl_error err = {0};
    if (clip_model_load(mmproj, &s->clip, &err) != SL_OK ||
        clip_encoder_create(s->clip, s->text.pool, &s->enc, &err) != SL_OK) {
        rc = cli_fail(&err);
    } else if (clip_n_embd_out(s->clip) != llm_model_n_embd(s->text.model)) {
        fprintf(stderr,
                "sightline: %s gives %d-wide image embeddings but %s takes %d: they are not a "
                "pair\n",
                mmproj, clip_n_embd_out(s->clip), model, llm_model_n_embd(s->text.model));
        rc = EXIT_MODEL;
    } else {
        const char *tmpl = gguf_get_str(s->text.gguf, "tokenizer.chat_template", NULL);
        /* SmolVLM files carry their template; one without any is taken as
         * SmolVLM's, the only projector family we read. */
        if (!tmpl)
            s->kind = CHAT_TEMPLATE_SMOLVLM;
        else if (chat_template_detect(tmpl, model, &s->kind, &err) != SL_OK)
            rc = cli_fail(&err);
    }
    if (rc != EXIT_OK)
        vlm_session_close(s);
    return rc;
}

void vlm_session_close(vlm_session *s)
{
    clip_encoder_free(s->enc);
    clip_model_free(s->clip);
    llm_session_close(&s->text);
    memset(s, 0, sizeof *s);
}

sl_status vlm_chat_prompt(const vlm_session *s, const char *system, const char *request,
                          char **out, sl_error *err)
{
    size_t n = strlen(request) + sizeof VLM_MEDIA_MARKER;
    char *content = malloc(n);
    if (!content)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    snprintf(content, n, "%s%s", VLM_MEDIA_MARKER, request);
    chat_message msgs[2] = {{"system", system}, {"user", content}};
    sl_status st = chat_format(s->kind, system ? msgs : msgs + 1, system ? 2 : 1, true, out, err);
    free(content);
    return st;
}

static sl_status record_add(vlm_record *rec, vlm_record_chunk c, sl_error *err)
{
    vlm_record_chunk *grown = realloc(rec->chunks, (rec->count + 1) * sizeof *grown);
    if (!grown) {
        free(c.ids);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    rec->chunks = grown;
    rec->chunks[rec->count++] = c;
    return SL_OK;
}

/* Appends the ids of text to the run (BOS only at the very start, and not
 * when the text already begins with the BOS token's text, as SmolVLM's
 * template does with <|im_start|>). */
static sl_status run_append(const tokenizer *tok, const char *text, size_t len, bool first,
                            int32_t **run, size_t *n, sl_error *err)
{
    bool bos = first && tokenizer_add_bos(tok);
    if (bos && tokenizer_bos(tok) >= 0) {
        size_t bl;
        const char *bt = tokenizer_token_text(tok, tokenizer_bos(tok), &bl);
        if (bt && bl && len >= bl && memcmp(text, bt, bl) == 0)
            bos = false;
    }
    int32_t *ids = NULL;
    size_t k = 0;
    sl_status st = tokenizer_encode(tok, text, len, bos, true, &ids, &k, err);
    if (st != SL_OK)
        return st;
    int32_t *grown = realloc(*run, (*n + k + 1) * sizeof *grown);
    if (!grown) {
        free(ids);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    memcpy(grown + *n, ids, k * sizeof *ids);
    *run = grown;
    *n += k;
    free(ids);
    return SL_OK;
}

sl_status vlm_eval_prompt(vlm_session *s, const char *prompt, const frame *pic,
                          int longest_edge, vlm_record *rec, int32_t **tail, size_t *n_tail,
                          sl_error *err)
{
    memset(rec, 0, sizeof *rec);
    *tail = NULL;
    *n_tail = 0;
    const char *media = strstr(prompt, VLM_MEDIA_MARKER);
    if (!media || strstr(media + 1, VLM_MEDIA_MARKER))
        return sl_fail(err, SL_ERR_ARG, "the prompt must hold %s exactly once",
                       VLM_MEDIA_MARKER);
    const tokenizer *tok = s->text.tok;
    clip_tiles tiles = {0};
    vlm_chunks ch = {0};
    float *embd = NULL;
    int32_t *run = NULL;
    size_t n_run = 0;
    llm_context_reset(s->text.ctx);
    sl_status st = clip_preprocess(s->clip, pic, longest_edge, &tiles, err);
    if (st == SL_OK)
        st = vlm_prompt_chunks(s->clip, &tiles, &ch, err);
    size_t per = (size_t)clip_tokens_per_tile(s->clip) * (size_t)clip_n_embd_out(s->clip);
    if (st == SL_OK && !(embd = malloc(per * sizeof *embd)))
        st = sl_fail(err, SL_ERR_NOMEM, "out of memory for image embeddings");
    rec->n_tiles = tiles.n_tiles;
    if (st == SL_OK)
        st = run_append(tok, prompt, (size_t)(media - prompt), true, &run, &n_run, err);
    for (int i = 0; st == SL_OK && i < ch.count; i++) {
        const vlm_chunk *c = &ch.items[i];
        if (c->type == VLM_CHUNK_TEXT) {
            st = run_append(tok, c->text, strlen(c->text), false, &run, &n_run, err);
            continue;
        }
        /* An image: first the text before it, then its embeddings. */
        double t0 = now_ms();
        if (n_run)
            st = llm_decode(s->text.ctx, run, (int32_t)n_run, NULL, err);
        if (st == SL_OK)
            st = record_add(rec, (vlm_record_chunk){false, run, n_run, -1}, err);
        run = NULL;
        n_run = 0;
        double t1 = now_ms();
        if (st == SL_OK)
            st = clip_encoder_run(s->enc, clip_tiles_tile(&tiles, c->tile), embd, err);
        double t2 = now_ms();
        if (st == SL_OK)
            st = llm_decode_embd(s->text.ctx, embd, c->n_tokens, NULL, err);
        if (st == SL_OK)
            st = record_add(rec, (vlm_record_chunk){true, NULL, (size_t)c->n_tokens, c->tile},
                            err);
        rec->encode_ms += t2 - t1;
        rec->prompt_ms += (t1 - t0) + (now_ms() - t2);
    }
    const char *after = media + strlen(VLM_MEDIA_MARKER);
    if (st == SL_OK)
        st = run_append(tok, after, strlen(after), false, &run, &n_run, err);
    if (st == SL_OK && n_run == 0)
        st = sl_fail(err, SL_ERR_ARG, "the prompt needs text after %s", VLM_MEDIA_MARKER);
    if (st == SL_OK) {
        int32_t *copy = malloc(n_run * sizeof *copy);
        if (!copy)
            st = sl_fail(err, SL_ERR_NOMEM, "out of memory");
        else {
            memcpy(copy, run, n_run * sizeof *copy);
            st = record_add(rec, (vlm_record_chunk){false, copy, n_run, -1}, err);
        }
    }
    if (st == SL_OK) {
        *tail = run;
        *n_tail = n_run;
    } else {
        free(run);
        vlm_record_free(rec);
    }
    free(embd);
    vlm_chunks_free(&ch);
    clip_tiles_free(&tiles);
    return st;
}
