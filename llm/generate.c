#include "llm/generate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

const char *llm_stop_reason_name(llm_stop_reason r)
{
    switch (r) {
    case LLM_STOP_EOG: return "eog";
    case LLM_STOP_STRING: return "stop";
    case LLM_STOP_LENGTH: return "length";
    case LLM_STOP_CONTEXT: return "context";
    case LLM_STOP_CALLER: return "caller";
    }
    return "?";
}

typedef struct gen_state {
    const llm_generate_params *p;
    llm_text_fn fn;
    void *user;
    char *text;
    size_t len, cap;
    size_t emitted; /* bytes of text already given to fn */
    bool stopped_by_string;
} gen_state;

static bool append_text(gen_state *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        size_t cap = (g->cap + n + 1) * 2;
        char *grown = realloc(g->text, cap);
        if (!grown)
            return false;
        g->text = grown;
        g->cap = cap;
    }
    memcpy(g->text + g->len, s, n);
    g->len += n;
    g->text[g->len] = '\0';
    return true;
}

/* How many bytes at the end of the text could be the start of a stop
 * string: they wait until the next piece decides. */
static size_t held_back(const gen_state *g)
{
    size_t hold = 0;
    for (size_t i = 0; i < g->p->n_stop; i++) {
        size_t sl = strlen(g->p->stop[i]);
        for (size_t k = sl > 0 ? sl - 1 : 0; k > hold; k--)
            if (k <= g->len && memcmp(g->text + g->len - k, g->p->stop[i], k) == 0) {
                hold = k;
                break;
            }
    }
    return hold;
}

/* After new text: cuts at a stop string if one appeared, then gives fn
 * what is final. Returns non-zero when generation must end. */
static int settle(gen_state *g, int32_t token, bool final)
{
    size_t cut = g->len;
    for (size_t i = 0; i < g->p->n_stop; i++) {
        const char *hit = g->p->stop[i][0] ? strstr(g->text, g->p->stop[i]) : NULL;
        if (hit && (size_t)(hit - g->text) < cut) {
            cut = (size_t)(hit - g->text);
            g->stopped_by_string = true;
        }
    }
    if (g->stopped_by_string) {
        g->len = cut;
        g->text[cut] = '\0';
    }
    size_t ready = g->stopped_by_string || final ? g->len : g->len - held_back(g);
    if (ready < g->emitted)
        ready = g->emitted;
    int rc = 0;
    if (g->fn)
        rc = g->fn(g->user, token, g->text + g->emitted, ready - g->emitted);
    g->emitted = ready;
    return g->stopped_by_string ? 1 : rc;
}

sl_status llm_generate(llm_context *ctx, const tokenizer *tok, llm_sampler *sampler,
                       const int32_t *prompt, size_t n_prompt, const llm_generate_params *params,
                       llm_text_fn fn, void *user, llm_generate_result *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    llm_generate_params defaults = {0};
    const llm_generate_params *p = params ? params : &defaults;
    int32_t n_vocab = llm_model_n_vocab(llm_context_model(ctx));
    if (n_prompt == 0)
        return sl_fail(err, SL_ERR_ARG, "generate: the prompt is empty");
    size_t piece_cap = 3 * (tokenizer_max_piece(tok) + 4);
    float *logits = malloc((size_t)n_vocab * sizeof *logits);
    char *piece = malloc(piece_cap);
    gen_state g = {.p = p, .fn = fn, .user = user};
    size_t tok_cap = 64;
    out->tokens = malloc(tok_cap * sizeof *out->tokens);
    if (!logits || !piece || !out->tokens || !append_text(&g, "", 0)) {
        free(logits), free(piece), free(g.text);
        llm_generate_result_free(out);
        return sl_fail(err, SL_ERR_NOMEM, "generate: out of memory");
    }
    out->n_prompt = (int32_t)n_prompt;
    for (size_t i = 0; i < n_prompt; i++)
        llm_sampler_accept(sampler, prompt[i]);

    double t0 = now_ms();
    sl_status s = llm_decode(ctx, prompt, (int32_t)n_prompt, logits, err);
    double t1 = now_ms();
    out->prompt_ms = t1 - t0;
    if (s == SL_OK && p->logits_after_prompt)
        memcpy(p->logits_after_prompt, logits, (size_t)n_vocab * sizeof *logits);

    detokenizer d;
    detokenizer_init(&d, tok);
    out->stop_reason = LLM_STOP_LENGTH;
    while (s == SL_OK) {
        if (p->n_predict > 0 && out->n_tokens >= (size_t)p->n_predict) {
            out->stop_reason = LLM_STOP_LENGTH;
            break;
        }
        int32_t id;
        if ((s = llm_sampler_sample(sampler, logits, &id, err)) != SL_OK)
            break;
        if (tokenizer_is_eog(tok, id)) {
            out->stop_reason = LLM_STOP_EOG;
            break;
        }
        llm_sampler_accept(sampler, id);
        if (out->n_tokens == tok_cap) {
            int32_t *grown = realloc(out->tokens, 2 * tok_cap * sizeof *grown);
            if (!grown) {
                s = sl_fail(err, SL_ERR_NOMEM, "generate: out of memory");
                break;
            }
            out->tokens = grown;
            tok_cap *= 2;
        }
        out->tokens[out->n_tokens++] = id;
        int n = detokenizer_push(&d, id, p->render_special, piece, piece_cap);
        if (n < 0 || !append_text(&g, piece, (size_t)n)) {
            s = sl_fail(err, SL_ERR_NOMEM, "generate: out of memory");
            break;
        }
        if (settle(&g, id, false)) {
            out->stop_reason = g.stopped_by_string ? LLM_STOP_STRING : LLM_STOP_CALLER;
            break;
        }
        if (llm_context_pos(ctx) >= llm_context_n_ctx(ctx)) {
            out->stop_reason = LLM_STOP_CONTEXT;
            break;
        }
        if (p->n_predict > 0 && out->n_tokens >= (size_t)p->n_predict)
            continue; /* no need to evaluate a token nobody will sample after */
        s = llm_decode(ctx, &id, 1, logits, err);
    }
    if (s == SL_OK && !g.stopped_by_string) {
        int n = detokenizer_flush(&d, piece, piece_cap);
        if (n > 0)
            append_text(&g, piece, (size_t)n);
        settle(&g, -1, true);
    }
    out->decode_ms = now_ms() - t1;
    out->text = g.text;
    out->text_len = g.len;
    free(logits);
    free(piece);
    if (s != SL_OK)
        llm_generate_result_free(out);
    return s;
}

void llm_generate_result_free(llm_generate_result *r)
{
    free(r->tokens);
    free(r->text);
    memset(r, 0, sizeof *r);
}
