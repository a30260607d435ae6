/* Picture + prompt -> logits, end to end against llama.cpp's mtmd on the
 * shared tiny SmolVLM-style pair: the prompt's token ids around every tile,
 * n_past, the logits after the prompt (max |d| <= 0.15, Q8_0 text model)
 * and the greedy tokens by the fixtures' rule (identical up to the first
 * step whose top-2 gap is <= 0.1). Uses the tokenizer and the decoder
 * (llm/tokenizer.h, llm/model.h); built only where both exist. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"
#include "tests/support.h"
#include "vision/vision.h"

#define LOGIT_TOL 0.15f
#define GAP_RULE 0.1f

static char *slurp(const char *path)
{
    size_t n;
    unsigned char *d = read_file_bytes(path, &n);
    if (!d)
        return NULL;
    char *s = realloc(d, n + 1);
    if (!s) {
        free(d);
        return NULL;
    }
    s[n] = 0;
    return s;
}

/* The numbers of the array that follows `"key": [` (after `from`). */
static double *json_numbers(const char *json, const char *from, const char *key, size_t *n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": [", key);
    const char *p = strstr(from ? from : json, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    size_t cap = 64, k = 0;
    double *v = malloc(cap * sizeof *v);
    while (v && *p && *p != ']') {
        char *e;
        double x = strtod(p, &e);
        if (e == p)
            break;
        if (k == cap) {
            cap *= 2;
            double *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(v);
                return NULL;
            }
            v = nv;
        }
        v[k++] = x;
        p = e;
        while (*p == ',' || *p == ' ' || *p == '\n')
            p++;
    }
    *n = k;
    return v;
}

typedef struct seq {
    int32_t *ids;
    size_t n, cap;
} seq;

static void seq_push(seq *s, const int32_t *ids, size_t n)
{
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2 + 16;
        s->ids = realloc(s->ids, s->cap * sizeof *s->ids);
        assert_non_null(s->ids);
    }
    memcpy(s->ids + s->n, ids, n * sizeof *ids);
    s->n += n;
}

static void push_text(seq *s, const tokenizer *tok, const char *text)
{
    int32_t *ids;
    size_t n;
    sl_error err = {0};
    /* no BOS (the fixture's vocabulary adds none); special tokens parsed */
    if (tokenizer_encode(tok, text, strlen(text), false, true, &ids, &n, &err) != SL_OK)
        fail_msg("%s", err.msg);
    seq_push(s, ids, n);
    free(ids);
}

static void check_e2e(const char *name)
{
    char rel[256];
    REQUIRE_SHARED(mp, "fixtures/vlm/tiny-vlm-mmproj-f16.gguf");
    char *mmproj = strdup(mp);
    REQUIRE_SHARED(tp, "fixtures/vlm/tiny-vlm-text-q8_0.gguf");
    char *text = strdup(tp);
    snprintf(rel, sizeof rel, "fixtures/vlm/%s.png", name);
    REQUIRE_SHARED(pp, rel);
    char *png = strdup(pp);
    snprintf(rel, sizeof rel, "fixtures/vlm/%s/golden.json", name);
    REQUIRE_SHARED(jp, rel);
    char *json = slurp(jp);
    assert_non_null(json);

    sl_error err = {0};
    thread_pool *pool;
    assert_int_equal(thread_pool_create(2, &pool, &err), SL_OK);
    clip_model *cm;
    assert_int_equal(clip_model_load(mmproj, &cm, &err), SL_OK);
    llm_model *lm;
    if (llm_model_load(text, NULL, &lm, &err) != SL_OK)
        fail_msg("%s", err.msg);
    /* the caller's check of the pair */
    assert_int_equal(llm_model_n_embd(lm), clip_n_embd_out(cm));
    gguf_file *tf;
    assert_int_equal(gguf_open(text, &tf, &err), SL_OK);
    tokenizer *tok;
    if (tokenizer_from_gguf(tf, &tok, &err) != SL_OK)
        fail_msg("%s", err.msg);

    frame img = {0};
    assert_int_equal(frame_load_image(png, &img, &err), SL_OK);
    clip_tiles tiles;
    assert_int_equal(clip_preprocess(cm, &img, 0, &tiles, &err), SL_OK);
    vlm_chunks ch;
    assert_int_equal(vlm_prompt_chunks(cm, &tiles, &ch, &err), SL_OK);

    /* The prompt "User:<__media__>Describe the image.<end_of_utterance>\n
     * Assistant:" as runs of text tokens between the image chunks; each
     * run must equal the golden text chunk at the same place. */
    llm_context *ctx;
    assert_int_equal(llm_context_create(lm, 512, TENSOR_F16, pool, &ctx, &err), SL_OK);
    clip_encoder *enc;
    assert_int_equal(clip_encoder_create(cm, pool, &enc, &err), SL_OK);
    int n_vocab = llm_model_n_vocab(lm);
    float *logits = malloc((size_t)n_vocab * sizeof(float));
    size_t per = (size_t)clip_tokens_per_tile(cm) * (size_t)clip_n_embd_out(cm);
    float *embd = malloc(per * sizeof(float));
    assert_non_null(logits);
    assert_non_null(embd);

    const char *gold = strstr(json, "\"chunks\"");
    assert_non_null(gold);
    seq run = {0};
    push_text(&run, tok, "User:");
    for (int i = 0; i <= ch.count; i++) {
        bool end = i == ch.count;
        if (!end && ch.items[i].type == VLM_CHUNK_TEXT) {
            push_text(&run, tok, ch.items[i].text);
            continue;
        }
        if (end)
            push_text(&run, tok, "Describe the image.<end_of_utterance>\nAssistant:");
        /* the golden text chunk at this place */
        gold = strstr(gold, "{\"type\": \"text\"");
        assert_non_null(gold);
        size_t ng;
        double *g = json_numbers(json, gold, "tokens", &ng);
        assert_non_null(g);
        assert_int_equal(run.n, ng);
        for (size_t k = 0; k < ng; k++)
            assert_int_equal(run.ids[k], (int32_t)g[k]);
        free(g);
        gold++;
        assert_int_equal(llm_decode(ctx, run.ids, (int32_t)run.n, end ? logits : NULL, &err),
                         SL_OK);
        run.n = 0;
        if (end)
            break;
        /* the image chunk: its tile's embeddings take n_tokens positions */
        const char *gi = strstr(gold, "{\"type\": \"image\"");
        assert_non_null(gi);
        assert_int_equal(atoi(strstr(gi, "\"n_tokens\": ") + 12), ch.items[i].n_tokens);
        assert_int_equal(clip_encoder_run(enc, clip_tiles_tile(&tiles, ch.items[i].tile), embd,
                                          &err),
                         SL_OK);
        assert_int_equal(llm_decode_embd(ctx, embd, ch.items[i].n_tokens, NULL, &err), SL_OK);
        gold = gi + 1;
    }
    free(run.ids);
    const char *np = strstr(json, "\"n_past\": ");
    assert_non_null(np);
    assert_int_equal(llm_context_pos(ctx), atoi(np + 10));

    size_t nl;
    double *ref = json_numbers(json, NULL, "logits_after_prompt", &nl);
    assert_non_null(ref);
    assert_int_equal(nl, (size_t)n_vocab);
    float worst = 0;
    for (size_t k = 0; k < nl; k++) {
        float d = fabsf(logits[k] - (float)ref[k]);
        worst = d > worst || isnan(d) ? d : worst;
    }
    print_message("%s: logits max |d| = %.4f over %zu\n", name, (double)worst, nl);
    assert_true(worst <= LOGIT_TOL);
    free(ref);

    size_t ngr, ngap;
    double *greedy = json_numbers(json, NULL, "greedy", &ngr);
    double *gap = json_numbers(json, NULL, "greedy_top2_gap", &ngap);
    assert_non_null(greedy);
    assert_non_null(gap);
    assert_int_equal(ngr, ngap);
    int matched = 0;
    for (size_t s = 0; s < ngr; s++) {
        int32_t best = 0;
        for (int32_t k = 1; k < n_vocab; k++)
            if (logits[k] > logits[best])
                best = k;
        if (gap[s] <= GAP_RULE)
            break; /* a near-tie: paths may part from here */
        assert_int_equal(best, (int32_t)greedy[s]);
        matched++;
        assert_int_equal(llm_decode(ctx, &best, 1, logits, &err), SL_OK);
    }
    print_message("%s: %d of %zu greedy tokens compared, all equal\n", name, matched, ngr);
    free(greedy);
    free(gap);

    free(logits);
    free(embd);
    clip_encoder_free(enc);
    llm_context_free(ctx);
    vlm_chunks_free(&ch);
    clip_tiles_free(&tiles);
    frame_free(&img);
    tokenizer_free(tok);
    gguf_close(tf);
    llm_model_free(lm);
    clip_model_free(cm);
    thread_pool_destroy(pool);
    free(json);
    free(mmproj);
    free(text);
    free(png);
}

static void test_e2e_test_png(void **state)
{
    (void)state;
    check_e2e("test");
}

static void test_e2e_street_png(void **state)
{
    (void)state;
    check_e2e("street");
}

static void test_e2e_portrait_png(void **state)
{
    (void)state;
    check_e2e("portrait");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_test_png),
        cmocka_unit_test(test_e2e_street_png),
        cmocka_unit_test(test_e2e_portrait_png),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
