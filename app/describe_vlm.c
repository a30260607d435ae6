#include "app/describe_vlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/json.h"
#include "app/objects_seen.h"
#include "app/personal_context.h"
#include "app/vlm_run.h"

#define PERSONAL_TOKENS_MAX 256
#define BRIEF_REQUEST "In one short sentence, what is in front of me?"
#define DETAIL_REQUEST                                                                       \
    "Describe this picture in detail for a blind person: the main things in it and where "  \
    "they are, any text, and anything that could be in the way or a danger."

typedef struct vlm_pass {
    const char *name;
    vlm_record rec;
    llm_generate_result gen;
    bool done;
} vlm_pass;

static int print_piece(void *user, int32_t token, const char *text, size_t len)
{
    (void)token;
    if (!*(bool *)user) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    }
    return 0;
}

/* One pass: prompt, picture, generation. */
static int run_pass(vlm_session *s, const vlm_request *q, const char *prompt, const frame *pic,
                    int longest_edge, int32_t n_predict, const char *const *stop, size_t n_stop,
                    vlm_pass *p)
{
    sl_error err = {0};
    int32_t *tail = NULL;
    size_t n_tail = 0;
    if (q->show_prompt)
        fprintf(stderr, "--- prompt (%s) ---\n%s\n---\n", p->name, prompt);
    if (vlm_eval_prompt(s, prompt, pic, longest_edge, &p->rec, &tail, &n_tail, &err) != SL_OK)
        return cli_fail(&err);
    llm_sampler *sampler = NULL;
    sl_status st = llm_sampler_create(&q->llm.sampling, llm_model_n_vocab(s->text.model),
                                      &sampler, &err);
    llm_generate_params gp = {.n_predict = n_predict, .stop = stop, .n_stop = n_stop};
    bool quiet = q->json;
    if (st == SL_OK)
        st = llm_generate(s->text.ctx, s->text.tok, sampler, tail, n_tail, &gp, print_piece,
                          &quiet, &p->gen, &err);
    llm_sampler_free(sampler);
    free(tail);
    if (st != SL_OK)
        return cli_fail(&err);
    if (!q->json)
        putchar('\n');
    p->done = true;
    return EXIT_OK;
}

static void json_pass(json_writer *w, const vlm_pass *p)
{
    json_begin_object(w);
    json_kv_string(w, "pass", p->name);
    json_key(w, "chunks");
    json_begin_array(w);
    for (size_t i = 0; i < p->rec.count; i++) {
        const vlm_record_chunk *c = &p->rec.chunks[i];
        json_begin_object(w);
        json_kv_string(w, "type", c->image ? "image" : "text");
        if (c->image) {
            json_kv_int(w, "n_tokens", (int64_t)c->n);
            json_kv_int(w, "tile", c->tile);
        } else {
            json_key(w, "tokens");
            json_begin_array(w);
            for (size_t k = 0; k < c->n; k++)
                json_int(w, c->ids[k]);
            json_end_array(w);
        }
        json_end_object(w);
    }
    json_end_array(w);
    json_kv_int(w, "n_tiles", p->rec.n_tiles);
    json_key(w, "tokens");
    json_begin_array(w);
    for (size_t k = 0; k < p->gen.n_tokens; k++)
        json_int(w, p->gen.tokens[k]);
    json_end_array(w);
    json_key(w, "text");
    json_string_n(w, p->gen.text, p->gen.text_len);
    json_kv_double(w, "encode_ms", p->rec.encode_ms);
    json_kv_double(w, "prompt_ms", p->rec.prompt_ms + p->gen.prompt_ms);
    json_kv_double(w, "decode_ms", p->gen.decode_ms);
    json_end_object(w);
}

static char *verbosity(const app_context *app)
{
    sl_db *db = NULL;
    char *v = NULL, *path = NULL;
    if (!app->db_path && db_default_path(&path, NULL) != SL_OK)
        return NULL;
    if (db_open(app->db_path ? app->db_path : path, &db, NULL) == SL_OK) {
        profile_get(db, "verbosity", &v, NULL);
        db_close(db);
    }
    free(path);
    return v;
}

int describe_with_model(const app_context *app, const vlm_request *q, const frame *pic,
                        int64_t started)
{
    vlm_session s;
    int rc = vlm_session_open(app, q->model, q->mmproj, &q->llm, &s);
    if (rc != EXIT_OK)
        return rc;
    vlm_pass passes[2] = {{.name = "brief"}, {.name = "details"}};
    int n_passes = 0;
    char *v = verbosity(app);
    bool brief_only = v && strcmp(v, "brief") == 0;
    int32_t n_detail = q->n_predict ? q->n_predict : v && strcmp(v, "detailed") == 0 ? 256 : 128;
    free(v);
    sl_error err = {0};
    char *prompt = NULL;
    const char *request = q->question ? q->question : BRIEF_REQUEST;
    char *personal = personal_context_build(app, request, s.text.tok, PERSONAL_TOKENS_MAX);
    /* Taught objects and people in view join the personal context. */
    objects_seen seen;
    objects_find(app, pic, s.clip, s.enc, &seen);
    char *in_view = objects_prompt_text(&seen);
    if (in_view) {
        size_t len = strlen(in_view);
        if (len && in_view[len - 1] == '\n')
            in_view[--len] = '\0';
        size_t n = (personal ? strlen(personal) : 0) + len + 2;
        char *both = malloc(n);
        if (both) {
            snprintf(both, n, "%s%s%s", personal ? personal : "",
                     personal && *personal && personal[strlen(personal) - 1] != '\n' ? "\n" : "",
                     in_view);
            free(personal);
            personal = both;
        }
        free(in_view);
    }

    if (q->prompt_template || q->question) {
        passes[0].name = q->prompt_template ? "custom" : "answer";
        if (q->prompt_template)
            prompt = strdup(q->prompt_template);
        else if (vlm_chat_prompt(&s, personal, q->question, &prompt, &err) != SL_OK)
            rc = cli_fail(&err);
        if (rc == EXIT_OK)
            rc = prompt ? run_pass(&s, q, prompt, pic, 0, n_detail, NULL, 0, &passes[0])
                        : EXIT_FAILURE_OTHER;
        n_passes = 1;
    } else {
        /* The first sentence from one tile and the overview. */
        static const char *const sentence_end[] = {"\n"};
        if (vlm_chat_prompt(&s, personal, BRIEF_REQUEST, &prompt, &err) != SL_OK)
            rc = cli_fail(&err);
        if (rc == EXIT_OK)
            rc = run_pass(&s, q, prompt, pic, clip_image_size(s.clip), 48, sentence_end, 1,
                          &passes[0]);
        n_passes = 1;
        if (rc == EXIT_OK && !q->json)
            rc = speak_text(app, &q->say, passes[0].gen.text);
        if (rc == EXIT_OK && !brief_only) {
            free(prompt);
            prompt = NULL;
            if (vlm_chat_prompt(&s, personal, DETAIL_REQUEST, &prompt, &err) != SL_OK)
                rc = cli_fail(&err);
            if (rc == EXIT_OK)
                rc = run_pass(&s, q, prompt, pic, 0, n_detail, NULL, 0, &passes[1]);
            n_passes = 2;
        }
    }
    if (rc == EXIT_OK && q->json) {
        json_writer w;
        json_init(&w, stdout, false);
        json_begin_object(&w);
        json_kv_string(&w, "source", q->source);
        json_kv_string(&w, "model", q->model);
        json_kv_string(&w, "mmproj", q->mmproj);
        json_key(&w, "passes");
        json_begin_array(&w);
        for (int i = 0; i < n_passes; i++)
            json_pass(&w, &passes[i]);
        json_end_array(&w);
        json_end_object(&w);
        json_finish(&w);
    }
    /* What is remembered and (after the first sentence) spoken. */
    if (rc == EXIT_OK) {
        size_t n = 2;
        for (int i = 0; i < n_passes; i++)
            n += passes[i].gen.text_len + 1;
        char *all = calloc(1, n);
        for (int i = 0; all && i < n_passes; i++) {
            if (i)
                strcat(all, "\n");
            strcat(all, passes[i].gen.text);
        }
        if (all) {
            int db_rc = app_db_remember(app, q->question ? "ask" : "describe", q->source, all,
                                        started);
            const char *rest = q->json || n_passes == 1 ? all : passes[1].gen.text;
            if (q->json || n_passes > 1 || q->question || q->prompt_template)
                rc = speak_text(app, &q->say, rest);
            if (rc == EXIT_OK)
                rc = db_rc;
            free(all);
        }
    }
    for (int i = 0; i < 2; i++) {
        vlm_record_free(&passes[i].rec);
        llm_generate_result_free(&passes[i].gen);
    }
    free(personal);
    free(prompt);
    vlm_session_close(&s);
    return rc;
}
