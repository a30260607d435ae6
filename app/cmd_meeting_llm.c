/* meeting summarize --llm: map-reduce over a transcript of any length with a
 * GGUF text model. The transcript is cut into chunks of whole lines that fit
 * half the context; each chunk is summarized into notes (map); notes are
 * merged in groups that fit, again and again, until one set of notes remains
 * (reduce), which is turned into the final summary. Every line given to the
 * model carries its [hh:mm:ss] time, and the prompts ask for the time on
 * every decision and action item. Reasoning text (<think>...</think>) is cut
 * out of every answer before it is used or shown. */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app_db.h"
#include "app/commands.h"
#include "app/llm_session.h"
#include "app/meeting_cmd_internal.h"
#include "app/meeting_progress.h"
#include "app/meeting_summary.h"

static const char *const map_prompt =
    "You take notes of a meeting. Below is part of its transcript; each line starts with "
    "its time. Write short notes with these headings:\n"
    "SUMMARY: what was discussed.\nDECISIONS: each with its [hh:mm:ss] time.\n"
    "ACTION ITEMS: each with owner, due date if said, and its [hh:mm:ss] time.\n"
    "OPEN QUESTIONS:\n\nTranscript:\n";

static const char *const reduce_prompt =
    "Below are notes on consecutive parts of one meeting. Merge them into one set of notes "
    "with the headings SUMMARY, DECISIONS, ACTION ITEMS (owner, due date, [hh:mm:ss] time) "
    "and OPEN QUESTIONS. Keep every time.\n\nNotes:\n";

typedef struct llm_run {
    llm_session *s;
    llm_sampler *sampler;
    chat_template_kind kind;
    int32_t n_ctx;
    int32_t max_answer; /* tokens per answer: two answers fit one reduce input */
    int calls;
} llm_run;

static sl_status count_tokens(const llm_run *L, const char *text, size_t *n, sl_error *err)
{
    int32_t *ids = NULL;
    size_t k = 0;
    sl_status st = tokenizer_encode(L->s->tok, text, strlen(text), false, false, &ids, &k, err);
    free(ids);
    *n = k;
    return st;
}

/* One model call on a fresh context: instruction + body. */
static sl_status ask(llm_run *L, const char *instruction, const char *body, char **out,
                     sl_error *err)
{
    *out = NULL;
    size_t n = strlen(instruction) + strlen(body) + 1;
    char *user = malloc(n);
    if (!user)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    snprintf(user, n, "%s%s", instruction, body);
    chat_message msgs[1] = {{"user", user}};
    char *prompt = NULL;
    sl_status st = chat_format(L->kind, msgs, 1, true, &prompt, err);
    free(user);
    int32_t *ids = NULL;
    size_t k = 0;
    if (st == SL_OK)
        st = tokenizer_encode(L->s->tok, prompt, strlen(prompt), true, true, &ids, &k, err);
    free(prompt);
    if (st == SL_OK && k + 16 > (size_t)L->n_ctx)
        st = sl_fail(err, SL_ERR_LIMIT, "a meeting chunk of %zu tokens does not fit the "
                                        "context of %d", k, L->n_ctx);
    llm_generate_result r = {0};
    if (st == SL_OK) {
        llm_context_reset(L->s->ctx);
        llm_sampler_reset(L->sampler);
        int32_t room = L->n_ctx - (int32_t)k;
        llm_generate_params gp = {.n_predict = room < L->max_answer ? room : L->max_answer};
        st = llm_generate(L->s->ctx, L->s->tok, L->sampler, ids, k, &gp, NULL, NULL, &r, err);
        L->calls++;
    }
    free(ids);
    if (st == SL_OK) {
        meeting_strip_think(r.text);
        *out = strdup(r.text);
        if (!*out)
            st = sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    llm_generate_result_free(&r);
    return st;
}

typedef struct strs {
    char **v;
    size_t n;
} strs;

static void strs_free(strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Groups the items into bodies of at most budget tokens (an item alone may
 * exceed it: it is cut), and asks instruction on each group. */
static sl_status map_groups(llm_run *L, const app_context *app, const strs *items,
                            const char *instruction, size_t budget, bool first_pass, strs *out,
                            sl_error *err)
{
    double t0 = meeting_progress_now();
    memset(out, 0, sizeof *out);
    out->v = calloc(items->n + 1, sizeof *out->v);
    if (!out->v)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    size_t i = 0;
    sl_status st = SL_OK;
    while (st == SL_OK && i < items->n) {
        size_t cap = 1, used = 0, len = 0;
        for (size_t k = i; k < items->n; k++)
            cap += strlen(items->v[k]) + 1;
        char *body = calloc(1, cap);
        if (!body)
            return sl_fail(err, SL_ERR_NOMEM, "out of memory");
        while (st == SL_OK && i < items->n) {
            size_t t = 0;
            st = count_tokens(L, items->v[i], &t, err);
            if (st != SL_OK || (used && used + t > budget))
                break;
            if (!used && t > budget) {
                /* One line too long for the context: keep its start. */
                size_t keep = strlen(items->v[i]) * budget / t;
                memcpy(body + len, items->v[i], keep);
                len += keep;
            } else {
                memcpy(body + len, items->v[i], strlen(items->v[i]));
                len += strlen(items->v[i]);
            }
            body[len++] = '\n';
            used += t + 1;
            i++;
        }
        if (st == SL_OK) {
            st = ask(L, instruction, body, &out->v[out->n], err);
            if (st == SL_OK)
                out->n++;
        }
        if (st == SL_OK) {
            /* The time left of this pass (the transcript, or a round of
             * merging notes), from the parts done so far. */
            char line[96];
            meeting_progress_text((double)i / (double)items->n, meeting_progress_now() - t0,
                                  line, sizeof line);
            cli_note(app, "meeting: model call %d, %s: %s", L->calls,
                     first_pass ? "reading the transcript" : "merging notes", line);
        }
        free(body);
    }
    return st;
}

int meeting_cmd_summarize_llm(app_context *app, int argc, char **argv, int64_t id)
{
    llm_cli_options o;
    llm_cli_options_init(&o);
    o.sampling.temperature = 0;
    const char *tmpl = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--llm") == 0)
            continue;
        if (strcmp(argv[i], "--chat-template") == 0 && i + 1 < argc) {
            tmpl = argv[++i];
            continue;
        }
        int used = llm_cli_parse_option(&cmd_meeting, argc, argv, &i, &o);
        if (used < 0)
            return EXIT_USAGE;
        if (used == 0)
            return cli_usage_error(&cmd_meeting, "summarize --llm: unknown option '%s'",
                                   argv[i]);
    }
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    meeting_segments segs;
    if (meeting_segments_get(db, id, &segs, &err) != SL_OK) {
        db_close(db);
        return cli_fail(&err);
    }
    llm_session s;
    if ((rc = llm_session_open(app, &o, &s)) != EXIT_OK) {
        meeting_segments_free(&segs);
        db_close(db);
        return rc;
    }
    llm_run L = {.s = &s, .n_ctx = llm_context_n_ctx(s.ctx)};
    sl_status st =
        tmpl ? chat_template_from_name(tmpl, &L.kind, &err)
             : chat_template_detect(gguf_get_str(s.gguf, "tokenizer.chat_template", NULL),
                                    gguf_path(s.gguf), &L.kind, &err);
    if (st == SL_OK)
        st = llm_sampler_create(&o.sampling, llm_model_n_vocab(s.model), &L.sampler, &err);
    /* Half the context for the text, the rest for the instruction and answer. */
    size_t instr = 0;
    if (st == SL_OK)
        st = count_tokens(&L, map_prompt, &instr, &err);
    size_t budget = (size_t)L.n_ctx / 2 > instr + 32 ? (size_t)L.n_ctx / 2 - instr : 32;
    L.max_answer = (int32_t)(budget / 2 < 384 ? budget / 2 : 384);
    strs lines = {0}, notes = {0};
    if (st == SL_OK) {
        lines.v = calloc(segs.count + 1, sizeof *lines.v);
        if (!lines.v)
            st = sl_fail(&err, SL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; st == SL_OK && i < segs.count; i++) {
        char t[32];
        meeting_format_time(segs.items[i].t0_ms, t, sizeof t);
        const char *who = meeting_who(&segs.items[i]);
        if (asprintf(&lines.v[lines.n], "[%s] %s%s%s", t, who, who[0] ? ": " : "",
                     segs.items[i].text) < 0)
            st = sl_fail(&err, SL_ERR_NOMEM, "out of memory");
        else
            lines.n++;
    }
    if (st == SL_OK)
        st = map_groups(&L, app, &lines, map_prompt, budget, true, &notes, &err);
    int rounds = 0;
    while (st == SL_OK && notes.n > 1) {
        strs merged;
        st = map_groups(&L, app, &notes, reduce_prompt, budget, false, &merged, &err);
        strs_free(&notes);
        notes = merged;
        /* A reduce that cannot shrink (each note alone fills the budget) would
         * loop: merged notes are cut to fit by map_groups, so it always does,
         * but bound it anyway. */
        if (++rounds > 32)
            st = sl_fail(&err, SL_ERR_INTERNAL, "meeting summary did not converge");
    }
    if (st == SL_OK && notes.n == 1) {
        printf("%s\n", notes.v[0]);
        size_t n = strlen(notes.v[0]) + 64;
        char *body = malloc(n);
        if (!body)
            st = sl_fail(&err, SL_ERR_NOMEM, "out of memory");
        else {
            snprintf(body, n, "%s\n", notes.v[0]);
            st = meeting_summary_put(db, id, "llm", body, &err);
            free(body);
        }
        cli_note(app, "meeting: %zu lines, %d model calls, context %d", lines.n, L.calls,
                 L.n_ctx);
    }
    if (st != SL_OK)
        rc = cli_fail(&err);
    strs_free(&lines);
    strs_free(&notes);
    llm_sampler_free(L.sampler);
    llm_session_close(&s);
    meeting_segments_free(&segs);
    db_close(db);
    return rc;
}

static int by_time(const void *a, const void *b)
{
    const meeting_segment *x = *(const meeting_segment *const *)a,
                          *y = *(const meeting_segment *const *)b;
    return x->t0_ms < y->t0_ms ? -1 : x->t0_ms > y->t0_ms ? 1 : 0;
}

/* meeting ask ID "question": the segments sharing a content word with the
 * question (FTS5, one search per word, this meeting only), in time order and
 * up to half the context, then the model. Works on a meeting still being
 * recorded: it reads what has been committed so far. */
int meeting_cmd_ask(app_context *app, int argc, char **argv)
{
    static const char *const skip[] = {"what", "did", "we", "the", "about", "a", "an", "of",
                                       "to", "is", "was", "who", "when", "how", "do", "does",
                                       "and", "or", "in", "on", "for", "it", "will", "with"};
    long id;
    if (argc < 4 || !cli_parse_int(argv[2], 1, 0x7fffffffffffffffL, &id))
        return cli_usage_error(&cmd_meeting, "usage: meeting ask ID \"question\" [-m MODEL]");
    const char *question = argv[3];
    llm_cli_options o;
    llm_cli_options_init(&o);
    o.sampling.temperature = 0;
    const char *tmpl = NULL;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--chat-template") == 0 && i + 1 < argc) {
            tmpl = argv[++i];
            continue;
        }
        int used = llm_cli_parse_option(&cmd_meeting, argc, argv, &i, &o);
        if (used < 0)
            return EXIT_USAGE;
        if (used == 0)
            return cli_usage_error(&cmd_meeting, "ask: unknown option '%s'", argv[i]);
    }
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    meeting_info info;
    if (meeting_get(db, id, &info, &err) != SL_OK) {
        db_close(db);
        return cli_fail(&err);
    }
    meeting_info_free(&info);
    /* One search per content word; hits of this meeting, without repeats. */
    meeting_segments found[32];
    size_t n_found = 0, n_ptr = 0;
    const meeting_segment *picked[256];
    char word[64];
    sl_status st = SL_OK;
    for (const char *p = question; *p && st == SL_OK && n_found < 32;) {
        size_t n = 0;
        while (*p && !isalnum((unsigned char)*p))
            p++;
        while (isalnum((unsigned char)p[n]))
            n++;
        if (n == 0)
            break;
        snprintf(word, sizeof word, "%.*s", (int)(n < 63 ? n : 63), p);
        p += n;
        bool stop = n < 3;
        for (size_t k = 0; !stop && k < sizeof skip / sizeof skip[0]; k++)
            stop = strcasecmp(word, skip[k]) == 0;
        if (stop)
            continue;
        st = meeting_search(db, word, 0, &found[n_found], &err);
        if (st != SL_OK)
            break;
        meeting_segments *h = &found[n_found++];
        for (size_t i = 0; i < h->count && n_ptr < 256; i++) {
            bool dup = h->items[i].meeting_id != id;
            for (size_t k = 0; !dup && k < n_ptr; k++)
                dup = picked[k]->id == h->items[i].id;
            if (!dup)
                picked[n_ptr++] = &h->items[i];
        }
    }
    llm_session s;
    bool opened = false;
    if (st == SL_OK && n_ptr == 0) {
        printf("The meeting says nothing about that.\n");
    } else if (st == SL_OK) {
        if ((rc = llm_session_open(app, &o, &s)) == EXIT_OK)
            opened = true;
    }
    if (st == SL_OK && opened) {
        qsort(picked, n_ptr, sizeof *picked, by_time);
        llm_run L = {.s = &s, .n_ctx = llm_context_n_ctx(s.ctx)};
        L.max_answer = L.n_ctx / 4 < 256 ? L.n_ctx / 4 : 256;
        st = tmpl ? chat_template_from_name(tmpl, &L.kind, &err)
                  : chat_template_detect(gguf_get_str(s.gguf, "tokenizer.chat_template", NULL),
                                         gguf_path(s.gguf), &L.kind, &err);
        if (st == SL_OK)
            st = llm_sampler_create(&o.sampling, llm_model_n_vocab(s.model), &L.sampler, &err);
        /* The transcript lines that fit half the context. */
        size_t cap = strlen(question) + 256, len = 0, used = 0;
        for (size_t i = 0; i < n_ptr; i++)
            cap += strlen(picked[i]->text) + 96;
        char *body = st == SL_OK ? malloc(cap) : NULL;
        if (st == SL_OK && !body)
            st = sl_fail(&err, SL_ERR_NOMEM, "out of memory");
        size_t budget = (size_t)L.n_ctx / 2;
        for (size_t i = 0; st == SL_OK && i < n_ptr; i++) {
            char t[32], line[MEETING_TEXT_MAX + 128];
            meeting_format_time(picked[i]->t0_ms, t, sizeof t);
            const char *who = meeting_who(picked[i]);
            snprintf(line, sizeof line, "[%s] %s%s%s\n", t, who, who[0] ? ": " : "",
                     picked[i]->text);
            size_t tk = 0;
            st = count_tokens(&L, line, &tk, &err);
            if (st != SL_OK || used + tk > budget)
                break;
            memcpy(body + len, line, strlen(line));
            len += strlen(line);
            used += tk;
        }
        if (st == SL_OK) {
            len += (size_t)snprintf(body + len, cap - len,
                                    "\nQuestion: %s\nAnswer from the transcript above and "
                                    "give the [hh:mm:ss] time of the lines you use.\n",
                                    question);
            char *answer = NULL;
            st = ask(&L, "Transcript lines from a meeting:\n", body, &answer, &err);
            if (st == SL_OK)
                printf("%s\n", answer);
            free(answer);
        }
        free(body);
        llm_sampler_free(L.sampler);
        llm_session_close(&s);
    }
    if (st != SL_OK)
        rc = cli_fail(&err);
    for (size_t i = 0; i < n_found; i++)
        meeting_segments_free(&found[i]);
    db_close(db);
    return rc;
}
