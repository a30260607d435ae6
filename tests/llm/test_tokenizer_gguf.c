/* Tokenizers read from llama.cpp's GGUF files, checked against the shared
 * reference vectors (../shared/fixtures/vocab, fixtures/llm): ids must be
 * identical; decoding must give the text back; streaming output must be
 * valid UTF-8 after every token. */
#include "llm/llm.h"
#include "tests/support.h"
#include "tests/llm/tokenizer_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tokenizer *open_tokenizer(const char *path)
{
    gguf_file *f = NULL;
    sl_error err = {0};
    if (gguf_open(path, &f, &err) != SL_OK)
        fail_msg("%s", err.msg);
    tokenizer *t = NULL;
    if (tokenizer_from_gguf(f, &t, &err) != SL_OK)
        fail_msg("%s", err.msg);
    gguf_close(f); /* the tokenizer keeps its own copy */
    return t;
}

static char *read_text(const char *path, size_t *len)
{
    size_t n = 0;
    unsigned char *b = read_file_bytes(path, &n);
    assert_non_null(b);
    char *s = malloc(n + 1);
    memcpy(s, b, n);
    s[n] = '\0';
    free(b);
    if (len)
        *len = n;
    return s;
}

/* Parses one line of space-separated ids. */
static size_t parse_ids(const char *line, size_t len, int32_t *ids, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && line[i] == ' ')
            i++;
        if (i >= len)
            break;
        long v = 0;
        while (i < len && line[i] >= '0' && line[i] <= '9')
            v = v * 10 + (line[i++] - '0');
        assert_true(n < cap);
        ids[n++] = (int32_t)v;
    }
    return n;
}

static bool same_ids(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static void print_ids(const char *what, const int32_t *v, size_t n)
{
    fprintf(stderr, "    %s:", what);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %d", v[i]);
    fprintf(stderr, "\n");
}

/* Feeds ids one at a time; every chunk must be valid UTF-8 by itself.
 * Returns the concatenation (malloc'ed). */
static char *stream_decode(const tokenizer *t, const int32_t *ids, size_t n, size_t *len)
{
    size_t cap = 3 * (tokenizer_max_piece(t) + 4);
    char *chunk = malloc(cap);
    size_t total_cap = 64 + n * cap, used = 0;
    char *all = malloc(total_cap);
    detokenizer d;
    detokenizer_init(&d, t);
    for (size_t i = 0; i <= n; i++) {
        int k = i < n ? detokenizer_push(&d, ids[i], false, chunk, cap)
                      : detokenizer_flush(&d, chunk, cap);
        assert_true(k >= 0);
        assert_true(test_utf8_valid(chunk, (size_t)k));
        memcpy(all + used, chunk, (size_t)k);
        used += (size_t)k;
    }
    free(chunk);
    *len = used;
    return all;
}

/* llama.cpp's tokenizer tests: strings separated by lines
 * "__ggml_vocab_test__", one line of ids each in .out. */
static void check_vectors(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/vocab/%s", name);
    const char *p = shared_path(rel);
    if (!p) {
        skip();
        return;
    }
    char *gguf_path_copy = strdup(p);
    tokenizer *t = open_tokenizer(gguf_path_copy);
    snprintf(rel, sizeof rel, "fixtures/vocab/%s.inp", name);
    char *inp = read_text(shared_path(rel), NULL);
    snprintf(rel, sizeof rel, "fixtures/vocab/%s.out", name);
    char *outs = read_text(shared_path(rel), NULL);

    static const char sep[] = "\n__ggml_vocab_test__\n";
    const char *s = inp, *o = outs;
    int total = 0, passed = 0;
    int32_t want[2048];
    for (;;) {
        const char *e = strstr(s, sep);
        if (!e)
            break;
        const char *oe = strchr(o, '\n');
        assert_non_null(oe);
        size_t nw = parse_ids(o, (size_t)(oe - o), want, 2048);
        int32_t *got = NULL;
        size_t ng = 0;
        sl_error err;
        assert_int_equal(tokenizer_encode(t, s, (size_t)(e - s), false, false, &got, &ng, &err),
                         SL_OK);
        total++;
        if (same_ids(got, ng, want, nw)) {
            passed++;
        } else {
            fprintf(stderr, "  %s: test %d '%.*s' differs\n", name, total, (int)(e - s), s);
            print_ids("want", want, nw);
            print_ids("got ", got, ng);
        }
        free(got);
        s = e + sizeof sep - 1;
        o = oe + 1;
    }
    fprintf(stderr, "%s: %d/%d vectors identical\n", name, passed, total);
    assert_true(total >= 40);
    assert_int_equal(passed, total);
    tokenizer_free(t);
    free(inp);
    free(outs);
    free(gguf_path_copy);
}

static void test_gpt2_vectors(void **state)
{
    (void)state;
    check_vectors("ggml-vocab-gpt-2.gguf");
}

static void test_spm_vectors(void **state)
{
    (void)state;
    check_vectors("ggml-vocab-llama-spm.gguf");
}

/* corpus.txt against corpus.NAME.ids, then decode(encode(line)) == line and
 * the streaming output valid after every token. */
static void check_corpus(const char *vocab, const char *ids_name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/vocab/%s", vocab);
    const char *p = shared_path(rel);
    if (!p) {
        skip();
        return;
    }
    tokenizer *t = open_tokenizer(p);
    REQUIRE_SHARED(cp, "fixtures/vocab/corpus.txt");
    char *corpus = read_text(cp, NULL);
    snprintf(rel, sizeof rel, "fixtures/vocab/%s", ids_name);
    REQUIRE_SHARED(ip, rel);
    char *idtext = read_text(ip, NULL);

    const char *s = corpus, *o = idtext;
    int total = 0, passed = 0, round = 0;
    int32_t want[2048];
    while (*s) {
        const char *e = strchr(s, '\n');
        assert_non_null(e);
        const char *oe = strchr(o, '\n');
        assert_non_null(oe);
        size_t nw = parse_ids(o, (size_t)(oe - o), want, 2048);
        size_t len = (size_t)(e - s);
        int32_t *got = NULL;
        size_t ng = 0;
        assert_int_equal(tokenizer_encode(t, s, len, false, false, &got, &ng, NULL), SL_OK);
        total++;
        if (same_ids(got, ng, want, nw)) {
            passed++;
        } else {
            fprintf(stderr, "  %s: corpus line %d '%.*s' differs\n", ids_name, total, (int)len, s);
            print_ids("want", want, nw);
            print_ids("got ", got, ng);
        }
        size_t dlen;
        char *back = stream_decode(t, got, ng, &dlen);
        if (dlen == len && memcmp(back, s, len) == 0)
            round++;
        else
            fprintf(stderr, "  %s: line %d decodes to '%.*s'\n", vocab, total, (int)dlen, back);
        char *whole;
        size_t wlen;
        assert_int_equal(tokenizer_decode(t, got, ng, false, &whole, &wlen, NULL), SL_OK);
        assert_int_equal(wlen, dlen);
        assert_memory_equal(whole, back, dlen);
        free(whole);
        free(back);
        free(got);
        s = e + 1;
        o = oe + 1;
    }
    fprintf(stderr, "%s: %d/%d corpus lines identical, %d/%d decode back to the line\n", ids_name,
            passed, total, round, total);
    assert_true(total >= 18);
    assert_int_equal(passed, total);
    assert_int_equal(round, total);
    tokenizer_free(t);
    free(corpus);
    free(idtext);
}

static void test_gpt2_corpus(void **state)
{
    (void)state;
    check_corpus("ggml-vocab-gpt-2.gguf", "corpus.gpt-2.ids");
}

static void test_spm_corpus(void **state)
{
    (void)state;
    check_corpus("ggml-vocab-llama-spm.gguf", "corpus.llama-spm.ids");
}

/* ---- the tiny models' prompts: a minimal reader of their golden JSON ---- */

static const char *json_find(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    p += strlen(pat);
    while (*p == ' ')
        p++;
    return p;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A JSON string value (escapes decoded) into out; returns its length. */
static size_t json_string(const char *p, char *out, size_t cap)
{
    assert_int_equal(*p, '"');
    p++;
    size_t n = 0;
    while (*p != '"') {
        assert_true(*p != '\0' && n + 4 < cap);
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        p++;
        char c = *p++;
        switch (c) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'u': {
            unsigned cp = (unsigned)strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += put_utf8(out + n, cp);
            break;
        }
        default: out[n++] = c; break;
        }
    }
    return n;
}

static void check_model_prompt(const char *model)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/llm/%s.golden.json", model);
    const char *jp = shared_path(rel);
    if (!jp) {
        skip();
        return;
    }
    char *json = read_text(jp, NULL);
    snprintf(rel, sizeof rel, "fixtures/llm/%s.gguf", model);
    REQUIRE_SHARED(mp, rel);
    tokenizer *t = open_tokenizer(mp);

    char prompt[4096];
    size_t plen = json_string(json_find(json, "prompt"), prompt, sizeof prompt);
    const char *arr = json_find(json, "prompt_tokens");
    assert_int_equal(*arr, '[');
    const char *end = strchr(arr, ']');
    int32_t want[1024];
    size_t nw = 0;
    for (const char *q = arr + 1; q < end;) {
        char *next;
        long v = strtol(q, &next, 10);
        if (next == q) {
            q++;
            continue;
        }
        want[nw++] = (int32_t)v;
        q = next;
    }
    int32_t *got = NULL;
    size_t ng = 0;
    /* As the fixtures were made: BOS as the vocabulary says, specials parsed. */
    assert_int_equal(tokenizer_encode(t, prompt, plen, true, true, &got, &ng, NULL), SL_OK);
    if (!same_ids(got, ng, want, nw)) {
        print_ids("want", want, nw);
        print_ids("got ", got, ng);
        fail_msg("%s: prompt tokens differ", model);
    }
    fprintf(stderr, "%s: %zu prompt tokens identical\n", model, ng);
    free(got);
    tokenizer_free(t);
    free(json);
}

static void test_model_prompts(void **state)
{
    (void)state;
    static const char *const models[] = {"tiny-spm-f16", "tiny-spm-q8_0", "tiny-spm-q4_0",
                                         "tiny-spm-q4_k_m", "tiny-bpe-q8_0"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        check_model_prompt(models[i]);
}

/* What the files say about special tokens. */
static void test_special_tokens_from_files(void **state)
{
    (void)state;
    REQUIRE_SHARED(sp, "fixtures/vocab/ggml-vocab-llama-spm.gguf");
    tokenizer *t = open_tokenizer(sp);
    assert_int_equal(tokenizer_vocab_size(t), 32000);
    assert_int_equal(tokenizer_bos(t), 1);
    assert_int_equal(tokenizer_eos(t), 2);
    assert_int_equal(tokenizer_unk(t), 0);
    assert_true(tokenizer_add_bos(t));
    assert_false(tokenizer_add_eos(t));
    assert_true(tokenizer_is_eog(t, 2));
    assert_false(tokenizer_is_eog(t, 1));
    assert_int_equal(tokenizer_find(t, "<0x0A>"), 13);
    assert_int_equal(tokenizer_token_type(t, 13), TOKEN_TYPE_BYTE);
    /* <s> inside the text: a token only when asked. */
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(tokenizer_encode(t, "<s>hi</s>", 9, true, true, &ids, &n, NULL), SL_OK);
    assert_true(n >= 4);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[n - 1], 2);
    free(ids);
    assert_int_equal(tokenizer_encode(t, "<s>hi</s>", 9, false, false, &ids, &n, NULL), SL_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(ids[i] > 2);
    free(ids);
    tokenizer_free(t);

    REQUIRE_SHARED(bp, "fixtures/vocab/ggml-vocab-gpt-2.gguf");
    t = open_tokenizer(bp);
    assert_int_equal(tokenizer_bos(t), 50256);
    assert_int_equal(tokenizer_eos(t), 50256);
    assert_false(tokenizer_add_bos(t));
    assert_true(tokenizer_is_eog(t, 50256));
    assert_true(tokenizer_is_control(t, 50256));
    const char txt[] = "a<|endoftext|>b";
    assert_int_equal(tokenizer_encode(t, txt, strlen(txt), true, true, &ids, &n, NULL), SL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[1], 50256);
    char buf[64];
    detokenizer d;
    detokenizer_init(&d, t);
    assert_int_equal(detokenizer_push(&d, 50256, false, buf, sizeof buf), 0);
    assert_int_equal(detokenizer_push(&d, 50256, true, buf, sizeof buf), 13);
    assert_memory_equal(buf, "<|endoftext|>", 13);
    free(ids);
    tokenizer_free(t);
}

/* Multi-byte characters that SPM spells with byte-fallback tokens come out
 * of the streaming detokenizer whole, never in part. */
static void test_spm_byte_fallback_streaming(void **state)
{
    (void)state;
    REQUIRE_SHARED(sp, "fixtures/vocab/ggml-vocab-llama-spm.gguf");
    tokenizer *t = open_tokenizer(sp);
    const char text[] = "a \xf0\x9f\xa6\x99 b"; /* U+1F999, not in the vocabulary */
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(tokenizer_encode(t, text, strlen(text), false, false, &ids, &n, NULL), SL_OK);
    size_t first_byte = n;
    for (size_t i = 0; i < n; i++)
        if (tokenizer_token_type(t, ids[i]) == TOKEN_TYPE_BYTE) {
            first_byte = i;
            break;
        }
    assert_true(first_byte + 4 <= n);
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(tokenizer_token_type(t, ids[first_byte + k]), TOKEN_TYPE_BYTE);

    char buf[256];
    detokenizer d;
    detokenizer_init(&d, t);
    for (size_t i = 0; i < n; i++) {
        int k = detokenizer_push(&d, ids[i], false, buf, sizeof buf);
        assert_true(k >= 0);
        assert_true(test_utf8_valid(buf, (size_t)k));
        if (i > first_byte && i < first_byte + 3)
            assert_int_equal(k, 0); /* held back */
        if (i == first_byte + 3) {
            assert_int_equal(k, 4);
            assert_memory_equal(buf, "\xf0\x9f\xa6\x99", 4);
        }
    }
    assert_int_equal(detokenizer_flush(&d, buf, sizeof buf), 0);

    /* A character cut short by a later token: U+FFFD, then the token. */
    detokenizer_init(&d, t);
    int32_t f0 = tokenizer_find(t, "<0xF0>"), x9f = tokenizer_find(t, "<0x9F>");
    int32_t a = tokenizer_find(t, "a");
    assert_true(f0 >= 0 && x9f >= 0 && a >= 0);
    assert_int_equal(detokenizer_push(&d, f0, false, buf, sizeof buf), 0);
    assert_int_equal(detokenizer_push(&d, x9f, false, buf, sizeof buf), 0);
    assert_int_equal(detokenizer_push(&d, a, false, buf, sizeof buf), 4);
    assert_memory_equal(buf, "\xef\xbf\xbd" "a", 4);
    /* ... and one left at the end is flushed as U+FFFD. */
    assert_int_equal(detokenizer_push(&d, f0, false, buf, sizeof buf), 0);
    assert_int_equal(detokenizer_flush(&d, buf, 2), -1);
    assert_int_equal(detokenizer_flush(&d, buf, sizeof buf), 3);
    assert_memory_equal(buf, "\xef\xbf\xbd", 3);
    free(ids);
    tokenizer_free(t);
}

/* Errors name the file and the key. */
static void test_gguf_errors_name_file_and_key(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    char path[512];
    snprintf(path, sizeof path, "%s/bad.gguf", dir);
    gguf_writer *w = NULL;
    assert_int_equal(gguf_writer_create(&w, NULL), SL_OK);
    assert_int_equal(gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2", NULL), SL_OK);
    assert_int_equal(gguf_writer_set_str(w, "tokenizer.ggml.pre", "gpt-2", NULL), SL_OK);
    const char *toks[] = {"a", "b", "ab"};
    assert_int_equal(gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, 3, NULL), SL_OK);
    assert_int_equal(gguf_writer_write(w, path, NULL), SL_OK);
    gguf_file *f = NULL;
    sl_error err = {0};
    assert_int_equal(gguf_open(path, &f, &err), SL_OK);
    tokenizer *t = NULL;
    assert_int_equal(tokenizer_from_gguf(f, &t, &err), SL_ERR_FORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "tokenizer.ggml.merges"));
    gguf_close(f);

    /* Scores shorter than the vocabulary. */
    const char *merges[] = {"a b"};
    assert_int_equal(gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", merges, 1, NULL), SL_OK);
    float scores[2] = {0, 0};
    assert_int_equal(gguf_writer_set_arr_num(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores,
                                             2, NULL),
                     SL_OK);
    assert_int_equal(gguf_writer_write(w, path, NULL), SL_OK);
    assert_int_equal(gguf_open(path, &f, &err), SL_OK);
    assert_int_equal(tokenizer_from_gguf(f, &t, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "tokenizer.ggml.scores"));
    gguf_close(f);

    /* An unknown pre-tokenizer is refused by name. */
    float scores3[3] = {0, 0, 0};
    assert_int_equal(gguf_writer_set_arr_num(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores3,
                                             3, NULL),
                     SL_OK);
    assert_int_equal(gguf_writer_set_str(w, "tokenizer.ggml.pre", "deepseek-coder", NULL), SL_OK);
    assert_int_equal(gguf_writer_write(w, path, NULL), SL_OK);
    assert_int_equal(gguf_open(path, &f, &err), SL_OK);
    assert_int_equal(tokenizer_from_gguf(f, &t, &err), SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "deepseek-coder"));
    gguf_close(f);

    /* A bool where an id belongs. */
    assert_int_equal(gguf_writer_set_str(w, "tokenizer.ggml.pre", "gpt-2", NULL), SL_OK);
    assert_int_equal(gguf_writer_set_bool(w, "tokenizer.ggml.eos_token_id", true, NULL), SL_OK);
    assert_int_equal(gguf_writer_write(w, path, NULL), SL_OK);
    assert_int_equal(gguf_open(path, &f, &err), SL_OK);
    assert_int_equal(tokenizer_from_gguf(f, &t, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "tokenizer.ggml.eos_token_id"));
    gguf_close(f);

    /* Now valid: "ab" merges. */
    assert_int_equal(gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2, NULL), SL_OK);
    assert_int_equal(gguf_writer_write(w, path, NULL), SL_OK);
    assert_int_equal(gguf_open(path, &f, &err), SL_OK);
    assert_int_equal(tokenizer_from_gguf(f, &t, &err), SL_OK);
    gguf_close(f);
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(tokenizer_encode(t, "ab", 2, true, false, &ids, &n, NULL), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 2);
    assert_int_equal(tokenizer_eos(t), 2);
    assert_true(tokenizer_is_eog(t, 2));
    free(ids);
    tokenizer_free(t);
    gguf_writer_free(w);
    temp_dir_remove(dir);
}

/* Arbitrary bytes in, arbitrary ids out: ids stay in range, every streamed
 * chunk is valid UTF-8, and valid UTF-8 input comes back unchanged. */
static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static bool utf8_ok_for_round_trip(const char *s, size_t n)
{
    return test_utf8_valid(s, n);
}

static void check_random(const char *vocab, bool spm)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/vocab/%s", vocab);
    const char *p = shared_path(rel);
    if (!p) {
        skip();
        return;
    }
    tokenizer *t = open_tokenizer(p);
    static const char *const pieces[] = {"a", " ", "  ", "\n", "1", "'s", "<s>", "</s>", "<unk>",
                                         "<|endoftext|>", "\xc3\xa9", "\xe6\x97\xa5",
                                         "\xf0\x9f\xa6\x99", "\xc3", "\x80", "\xff", "\xed\xa0\x80",
                                         "\t", "!!", "\xe2\x96\x81", "\xc4\xa0"};
    uint32_t seed = 12345;
    int32_t n_vocab = tokenizer_vocab_size(t);
    for (int iter = 0; iter < 400; iter++) {
        char text[256];
        size_t len = 0;
        int k = (int)(rng_next(&seed) % 24);
        for (int i = 0; i < k; i++) {
            const char *pc = pieces[rng_next(&seed) % (sizeof pieces / sizeof pieces[0])];
            memcpy(text + len, pc, strlen(pc));
            len += strlen(pc);
        }
        bool parse = (iter & 1) != 0;
        int32_t *ids = NULL;
        size_t n = 0;
        assert_int_equal(tokenizer_encode(t, text, len, true, parse, &ids, &n, NULL), SL_OK);
        for (size_t i = 0; i < n; i++)
            assert_true(ids[i] >= 0 && ids[i] < n_vocab);
        size_t dlen;
        char *back = stream_decode(t, ids, n, &dlen);
        assert_true(test_utf8_valid(back, dlen));
        /* Without specials in the text, valid UTF-8 comes back as it was
         * (SPM: its added BOS is not rendered, its prefix space dropped;
         * only a U+2581 in the text, a space to it, cannot come back). */
        bool spm_lossy = spm && memmem(text, len, "\xe2\x96\x81", 3);
        if (!parse && utf8_ok_for_round_trip(text, len) && !spm_lossy) {
            if (dlen != len || memcmp(back, text, len) != 0)
                fail_msg("%s: '%.*s' decodes to '%.*s'", vocab, (int)len, text, (int)dlen, back);
        }
        free(back);
        free(ids);
    }
    /* Random ids decode to valid UTF-8 too. */
    int32_t ids[64];
    for (int iter = 0; iter < 200; iter++) {
        for (int i = 0; i < 64; i++)
            ids[i] = (int32_t)(rng_next(&seed) % (uint32_t)n_vocab);
        size_t dlen;
        char *back = stream_decode(t, ids, 64, &dlen);
        free(back);
    }
    tokenizer_free(t);
}

static void test_random_input(void **state)
{
    (void)state;
    check_random("ggml-vocab-gpt-2.gguf", false);
    check_random("ggml-vocab-llama-spm.gguf", true);
}

/* The tiny SmolVLM text model: GPT-2 BPE plus image tokens as user-defined
 * tokens. Its golden.json lists the ids of the text chunks llama.cpp's mtmd
 * built around the pictures (frame tokens as the fixture README describes
 * them); each chunk's text must give the same ids. */
static void test_vlm_text_chunks(void **state)
{
    (void)state;
    REQUIRE_SHARED(mp, "fixtures/vlm/tiny-vlm-text-q8_0.gguf");
    tokenizer *t = open_tokenizer(mp);
    static const struct {
        const char *text;
        int32_t ids[12];
        size_t n;
    } chunks[] = {
        {"User:<fake_token_around_image><row_1_col_1>", {12982, 25, 50257, 50261}, 4},
        {"<fake_token_around_image><row_1_col_2>", {50257, 50262}, 2},
        {"\n<fake_token_around_image><row_2_col_1>", {198, 50257, 50267}, 3},
        {"\n\n<fake_token_around_image><global-img>", {628, 50257, 50258}, 3},
        {"<fake_token_around_image>Describe the image.<end_of_utterance>\nAssistant:",
         {50257, 24564, 4892, 262, 2939, 13, 50260, 198, 48902, 25}, 10},
    };
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        int32_t *ids = NULL;
        size_t n = 0;
        /* add_special as the vocabulary says: add_bos_token is false here. */
        assert_int_equal(tokenizer_encode(t, chunks[c].text, strlen(chunks[c].text), true, true,
                                          &ids, &n, NULL),
                         SL_OK);
        if (!same_ids(ids, n, chunks[c].ids, chunks[c].n)) {
            print_ids("want", chunks[c].ids, chunks[c].n);
            print_ids("got ", ids, n);
            fail_msg("chunk %zu differs", c);
        }
        free(ids);
    }
    assert_false(tokenizer_add_bos(t));
    assert_int_equal(tokenizer_eos(t), 50260);
    assert_true(tokenizer_is_eog(t, 50260));
    assert_true(tokenizer_is_eog(t, 50256));
    assert_false(tokenizer_is_eog(t, 50259));
    assert_int_equal(tokenizer_find(t, "<image>"), 50259);
    tokenizer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt2_vectors),
        cmocka_unit_test(test_spm_vectors),
        cmocka_unit_test(test_gpt2_corpus),
        cmocka_unit_test(test_spm_corpus),
        cmocka_unit_test(test_model_prompts),
        cmocka_unit_test(test_special_tokens_from_files),
        cmocka_unit_test(test_spm_byte_fallback_streaming),
        cmocka_unit_test(test_gguf_errors_name_file_and_key),
        cmocka_unit_test(test_random_input),
        cmocka_unit_test(test_vlm_text_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
