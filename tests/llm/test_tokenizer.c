/* Tokenizers on small inline vocabularies: the pre-tokenizer patterns of
 * each tokenizer.ggml.pre (facts from llama.cpp's src/llama-vocab.cpp and
 * src/unicode.cpp), BPE merge order, SentencePiece scores and byte
 * fallback, special tokens, BOS/EOS flags, the streaming detokenizer, and
 * the Unicode class table. */
#include "llm/llm.h"
#include "llm/tokenizer_internal.h"
#include "llm/unicode_category.h"
#include "llm/unicode_utf8.h"
#include "tests/support.h"
#include "tests/llm/tokenizer_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the pre-tokenizers, word by word ---- */

/* The words of text under a pattern, joined with '|'. */
static const char *words(pretok_kind kind, const char *text)
{
    static char out[1024];
    uint32_t cps[256], ends[256];
    uint8_t cls[256];
    size_t len = strlen(text), n = 0;
    for (size_t pos = 0; pos < len; n++) {
        assert_true(n < 256);
        cps[n] = utf8_decode_lax(text, len, &pos);
        cls[n] = (uint8_t)unicode_class_bits(cps[n]);
    }
    size_t nw = pretok_split(kind, cps, cls, n, ends);
    size_t o = 0, start = 0;
    for (size_t w = 0; w < nw; w++) {
        assert_true(ends[w] > start && ends[w] <= n);
        if (w)
            out[o++] = '|';
        for (size_t i = start; i < ends[w]; i++)
            o += utf8_encode(cps[i], out + o);
        start = ends[w];
    }
    assert_int_equal(start, n); /* the words cover the text */
    out[o] = '\0';
    return out;
}

static void test_pretok_gpt2(void **state)
{
    (void)state;
    assert_string_equal(words(PRETOK_GPT2, "Hello world"), "Hello| world");
    assert_string_equal(words(PRETOK_GPT2, "  Hello"), " | Hello");
    assert_string_equal(words(PRETOK_GPT2, "x   "), "x|   ");
    assert_string_equal(words(PRETOK_GPT2, "it's we're"), "it|'s| we|'re");
    /* Contractions are case-sensitive here. */
    assert_string_equal(words(PRETOK_GPT2, "IT'S"), "IT|'|S");
    /* Numbers stay whole, with their space. */
    assert_string_equal(words(PRETOK_GPT2, "1234567 42"), "1234567| 42");
    assert_string_equal(words(PRETOK_GPT2, "3.14"), "3|.|14");
    assert_string_equal(words(PRETOK_GPT2, "a, b!!"), "a|,| b|!!");
    assert_string_equal(words(PRETOK_GPT2, "a\n\nb"), "a|\n|\n|b");
    assert_string_equal(words(PRETOK_GPT2, "na\xc3\xafve caf\xc3\xa9"), "na\xc3\xafve| caf\xc3\xa9");
    assert_string_equal(words(PRETOK_GPT2, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e!"),
                        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e|!");
    /* An emoji and its skin-tone modifier are both symbols: one word. */
    assert_string_equal(words(PRETOK_GPT2, "hi \xf0\x9f\x91\x8b\xf0\x9f\x8f\xbd"),
                        "hi| \xf0\x9f\x91\x8b\xf0\x9f\x8f\xbd");
    /* U+00A0 is white space, not a letter. */
    assert_string_equal(words(PRETOK_GPT2, "a\xc2\xa0" "b"), "a|\xc2\xa0|b");
}

static void test_pretok_llama3(void **state)
{
    (void)state;
    /* \p{N}{1,3}: digits in groups of up to three from the left, no space. */
    assert_string_equal(words(PRETOK_LLAMA3, "1234567"), "123|456|7");
    assert_string_equal(words(PRETOK_LLAMA3, "in 2024"), "in| |202|4");
    /* Case-insensitive contractions. */
    assert_string_equal(words(PRETOK_LLAMA3, "IT'S we'RE"), "IT|'S| we|'RE");
    /* [^\r\n\p{L}\p{N}]?\p{L}+: one non-letter in front of letters. */
    assert_string_equal(words(PRETOK_LLAMA3, "$hello (world"), "$hello| (|world");
    assert_string_equal(words(PRETOK_LLAMA3, "x(world"), "x|(world");
    assert_string_equal(words(PRETOK_LLAMA3, "Hello world"), "Hello| world");
    /* Punctuation runs take following newlines; \s*[\r\n]+ keeps newlines
     * with the spaces before them. */
    assert_string_equal(words(PRETOK_LLAMA3, "...\n\nx"), "...\n\n|x");
    assert_string_equal(words(PRETOK_LLAMA3, "a  \n\n b"), "a|  \n\n| b");
    assert_string_equal(words(PRETOK_LLAMA3, "  x"), " | x");
    assert_string_equal(words(PRETOK_LLAMA3, "x "), "x| ");
    assert_string_equal(words(PRETOK_LLAMA3, "a !?"), "a| !?");
}

static void test_pretok_qwen2(void **state)
{
    (void)state;
    /* As llama3, but \p{N}: every digit alone. */
    assert_string_equal(words(PRETOK_QWEN2, "1234"), "1|2|3|4");
    assert_string_equal(words(PRETOK_QWEN2, "in 2024"), "in| |2|0|2|4");
    assert_string_equal(words(PRETOK_QWEN2, "IT'S"), "IT|'S");
    assert_string_equal(words(PRETOK_QWEN2, "$hello world"), "$hello| world");
    assert_string_equal(words(PRETOK_QWEN2, "ok.\nNext"), "ok|.\n|Next");
}

static void test_pretok_smollm(void **state)
{
    (void)state;
    /* \p{N} split off first (each digit alone, its space left behind), then
     * the GPT-2 pattern on what is between. */
    assert_string_equal(words(PRETOK_SMOLLM, "abc123 def"), "abc|1|2|3| def");
    assert_string_equal(words(PRETOK_SMOLLM, "in 2024!"), "in| |2|0|2|4|!");
    assert_string_equal(words(PRETOK_SMOLLM, "x1y"), "x|1|y");
    assert_string_equal(words(PRETOK_SMOLLM, "IT'S"), "IT|'|S");
    /* Any number character, not only ASCII digits: U+0663, U+00BD. */
    assert_string_equal(words(PRETOK_SMOLLM, "a\xd9\xa3\xc2\xbd"), "a|\xd9\xa3|\xc2\xbd");
    assert_string_equal(words(PRETOK_SMOLLM, "Hello  world"), "Hello| | world");
}

/* ---- building inline vocabularies ---- */

typedef struct test_vocab {
    tokenizer_vocab v;
    tokenizer_text toks[600];
    tokenizer_text merges[64];
    float scores[600];
    int32_t types[600];
    char store[600][24];
} test_vocab;

static int32_t tv_add(test_vocab *tv, const char *text, int32_t type, float score)
{
    size_t i = tv->v.n_tokens++;
    assert_true(i < 600 && strlen(text) < 24);
    strcpy(tv->store[i], text);
    tv->toks[i] = (tokenizer_text){tv->store[i], strlen(text)};
    tv->types[i] = type;
    tv->scores[i] = score;
    return (int32_t)i;
}

/* A byte-level vocabulary: the 256 GPT-2 byte characters (ids 0-255 in
 * byte order), then extra tokens and merges. */
static void tv_init_bpe(test_vocab *tv, const char *pre)
{
    memset(tv, 0, sizeof *tv);
    tokenizer_vocab_init(&tv->v);
    tv->v.source = "inline-bpe";
    tv->v.model = "gpt2";
    tv->v.pre = pre;
    tv->v.tokens = tv->toks;
    tv->v.types = tv->types;
    tv->v.merges = tv->merges;
    int next = 256;
    for (int b = 0; b < 256; b++) {
        bool self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        char u[5] = {0};
        utf8_encode(self ? (uint32_t)b : (uint32_t)next++, u);
        tv_add(tv, u, TOKEN_TYPE_NORMAL, 0);
    }
}

static void tv_merge(test_vocab *tv, const char *m)
{
    tv->merges[tv->v.n_merges++] = (tokenizer_text){m, strlen(m)};
}

static tokenizer *tv_create(test_vocab *tv)
{
    tokenizer *t = NULL;
    sl_error err = {0};
    if (tokenizer_create(&tv->v, &t, &err) != SL_OK)
        fail_msg("%s", err.msg);
    return t;
}

/* Encodes and compares with the expected ids (terminated by -99). */
static void expect_ids(const tokenizer *t, const char *text, bool add_special, bool parse_special,
                       const int32_t *want)
{
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(
        tokenizer_encode(t, text, strlen(text), add_special, parse_special, &ids, &n, NULL), SL_OK);
    size_t nw = 0;
    while (want[nw] != -99)
        nw++;
    if (n != nw || (n && memcmp(ids, want, n * sizeof *ids) != 0)) {
        fprintf(stderr, "'%s': got", text);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, ", want");
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, " %d", want[i]);
        fprintf(stderr, "\n");
        fail();
    }
    free(ids);
}

#define IDS(...) ((const int32_t[]){__VA_ARGS__, -99})
#define NO_IDS ((const int32_t[]){-99})

static void test_bpe_merge_order(void **state)
{
    (void)state;
    test_vocab tv;
    tv_init_bpe(&tv, "gpt-2");
    int32_t ab = tv_add(&tv, "ab", TOKEN_TYPE_NORMAL, 0);
    int32_t bc = tv_add(&tv, "bc", TOKEN_TYPE_NORMAL, 0);
    int32_t aa = tv_add(&tv, "aa", TOKEN_TYPE_NORMAL, 0);
    tv_merge(&tv, "b c");
    tv_merge(&tv, "a b");
    tv_merge(&tv, "a a");
    tokenizer *t = tv_create(&tv);
    /* The lower rank wins: "b c" before "a b". */
    expect_ids(t, "abc", false, false, IDS('a', bc));
    /* Equal ranks: the leftmost pair first. */
    expect_ids(t, "aaa", false, false, IDS(aa, 'a'));
    expect_ids(t, "ab", false, false, IDS(ab));
    tokenizer_free(t);

    tv_init_bpe(&tv, "gpt-2");
    ab = tv_add(&tv, "ab", TOKEN_TYPE_NORMAL, 0);
    bc = tv_add(&tv, "bc", TOKEN_TYPE_NORMAL, 0);
    int32_t abc = tv_add(&tv, "abc", TOKEN_TYPE_NORMAL, 0);
    tv_merge(&tv, "a b");
    tv_merge(&tv, "b c");
    tv_merge(&tv, "ab c");
    t = tv_create(&tv);
    expect_ids(t, "abc", false, false, IDS(abc));
    expect_ids(t, "abcbc", false, false, IDS(abc, bc));
    /* Merges never cross words: " " and "a" stay apart without "Ġa". */
    expect_ids(t, "ab ab", false, false, IDS(ab, ' ', ab));
    tokenizer_free(t);
}

static void test_bpe_bytes_and_round_trip(void **state)
{
    (void)state;
    test_vocab tv;
    tv_init_bpe(&tv, "gpt-2");
    tokenizer *t = tv_create(&tv);
    /* "é" is C3 A9: two byte tokens (GPT-2 characters "Ã" and "©"). */
    int32_t c3 = tokenizer_find(t, "\xc3\x83"), a9 = tokenizer_find(t, "\xc2\xa9");
    assert_true(c3 >= 0 && a9 >= 0);
    expect_ids(t, "\xc3\xa9", false, false, IDS(c3, a9));
    /* Space is "Ġ" (U+0120), newline "Ċ" (U+010A). */
    assert_int_equal(tokenizer_find(t, "\xc4\xa0"), ' ');
    assert_int_equal(tokenizer_find(t, "\xc4\x8a"), '\n');
    size_t len;
    const char *p = tokenizer_piece(t, tokenizer_find(t, "\xc4\xa0"), false, &len);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], ' ');
    p = tokenizer_piece(t, tokenizer_find(t, "\xc4\x8a"), false, &len);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], '\n');

    /* Any bytes survive encode then decode, invalid UTF-8 aside. */
    const char *texts[] = {"Hello, world!\n", "caf\xc3\xa9 \xe2\x82\xac 12",
                           "\xf0\x9f\xa6\x99\t\r\n  x", ""};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int32_t *ids = NULL;
        size_t n = 0;
        assert_int_equal(tokenizer_encode(t, texts[i], strlen(texts[i]), false, false, &ids, &n, NULL),
                         SL_OK);
        assert_int_equal(n, strlen(texts[i])); /* one token per byte: no merges */
        char *back;
        size_t blen;
        assert_int_equal(tokenizer_decode(t, ids, n, false, &back, &blen, NULL), SL_OK);
        assert_int_equal(blen, strlen(texts[i]));
        assert_memory_equal(back, texts[i], blen);
        free(back);
        free(ids);
    }
    /* Invalid UTF-8 in: read as U+FFFD (EF BF BD), as llama.cpp reads it. */
    int32_t ef = tokenizer_find(t, "\xc3\xaf"), bf = tokenizer_find(t, "\xc2\xbf"),
            bd = tokenizer_find(t, "\xc2\xbd");
    expect_ids(t, "a\xff", false, false, IDS('a', ef, bf, bd));
    tokenizer_free(t);
}

static void test_bpe_pre_variants_through_merges(void **state)
{
    (void)state;
    /* The same vocabulary under each pre-tokenizer: "1234" can merge all
     * the way only where the pattern keeps the digits together. */
    static const char *const pres[] = {"gpt-2", "llama-bpe", "qwen2", "smollm"};
    for (size_t k = 0; k < 4; k++) {
        test_vocab tv;
        tv_init_bpe(&tv, pres[k]);
        int32_t d12 = tv_add(&tv, "12", TOKEN_TYPE_NORMAL, 0);
        int32_t d123 = tv_add(&tv, "123", TOKEN_TYPE_NORMAL, 0);
        int32_t d1234 = tv_add(&tv, "1234", TOKEN_TYPE_NORMAL, 0);
        tv_merge(&tv, "1 2");
        tv_merge(&tv, "12 3");
        tv_merge(&tv, "123 4");
        tokenizer *t = tv_create(&tv);
        if (k == 0)
            expect_ids(t, "1234", false, false, IDS(d1234));
        else if (k == 1)
            expect_ids(t, "1234", false, false, IDS(d123, '4'));
        else
            expect_ids(t, "1234", false, false, IDS('1', '2', '3', '4'));
        (void)d12;
        tokenizer_free(t);
    }
}

static void test_bpe_flags_by_pre(void **state)
{
    (void)state;
    test_vocab tv;
    tv_init_bpe(&tv, "llama-bpe");
    int32_t abc = tv_add(&tv, "abc", TOKEN_TYPE_NORMAL, 0);
    int32_t bos = tv_add(&tv, "<|begin_of_text|>", TOKEN_TYPE_CONTROL, 0);
    int32_t eot = tv_add(&tv, "<|eot_id|>", TOKEN_TYPE_CONTROL, 0);
    tv.v.bos_id = bos;
    tv.v.eos_id = eot;
    tokenizer *t = tv_create(&tv);
    /* llama-bpe: BOS by default, and a word that is a token is taken whole
     * even without merges leading to it. */
    assert_true(tokenizer_add_bos(t));
    expect_ids(t, "abc", true, false, IDS(bos, abc));
    expect_ids(t, "abc", false, false, IDS(abc));
    assert_true(tokenizer_is_eog(t, eot));
    tokenizer_free(t);

    tv.v.pre = "gpt-2";
    t = tv_create(&tv);
    assert_false(tokenizer_add_bos(t));
    expect_ids(t, "abc", true, false, IDS('a', 'b', 'c'));
    tokenizer_free(t);

    /* The file's flags win over the defaults. */
    tv.v.add_bos = 1;
    tv.v.add_eos = 1;
    t = tv_create(&tv);
    expect_ids(t, "c", true, false, IDS(bos, 'c', eot));
    expect_ids(t, "c", false, false, IDS('c'));
    tokenizer_free(t);
}

static void test_special_tokens(void **state)
{
    (void)state;
    test_vocab tv;
    tv_init_bpe(&tv, "smollm");
    int32_t start = tv_add(&tv, "<|im_start|>", TOKEN_TYPE_CONTROL, 0);
    int32_t end = tv_add(&tv, "<|im_end|>", TOKEN_TYPE_CONTROL, 0);
    int32_t utt = tv_add(&tv, "<end_of_utterance>", TOKEN_TYPE_NORMAL, 0);
    int32_t img = tv_add(&tv, "<image>", TOKEN_TYPE_USER_DEFINED, 0);
    int32_t x1 = tv_add(&tv, "<x>", TOKEN_TYPE_CONTROL, 0);
    int32_t x2 = tv_add(&tv, "<x>y", TOKEN_TYPE_CONTROL, 0);
    int32_t eos = tv_add(&tv, "<|endoftext|>", TOKEN_TYPE_CONTROL, 0);
    tv.v.eos_id = eos;
    tokenizer *t = tv_create(&tv);
    expect_ids(t, "<|im_start|>hi<|im_end|>", false, true, IDS(start, 'h', 'i', end));
    /* Without parse_special, control texts are plain text... */
    int32_t *ids = NULL;
    size_t n = 0;
    const char *s = "<|im_start|>";
    assert_int_equal(tokenizer_encode(t, s, strlen(s), false, false, &ids, &n, NULL), SL_OK);
    assert_int_equal(n, strlen(s));
    free(ids);
    /* ... but user-defined ones are always cut out. */
    expect_ids(t, "a<image>b", false, false, IDS('a', img, 'b'));
    /* The longest special text wins. */
    expect_ids(t, "<x>y<x>", false, true, IDS(x2, x1));
    /* End of generation: eos, <|im_end|>, and <end_of_utterance> even when
     * the file calls it normal (it becomes a control token). */
    assert_true(tokenizer_is_eog(t, eos));
    assert_true(tokenizer_is_eog(t, end));
    assert_true(tokenizer_is_eog(t, utt));
    assert_int_equal(tokenizer_token_type(t, utt), TOKEN_TYPE_CONTROL);
    assert_false(tokenizer_is_eog(t, start));
    assert_false(tokenizer_is_eog(t, 'a'));
    assert_false(tokenizer_is_eog(t, -1));
    assert_false(tokenizer_is_eog(t, 1 << 20));
    /* Rendering: control tokens only when asked, user-defined always. */
    char buf[64];
    detokenizer d;
    detokenizer_init(&d, t);
    assert_int_equal(detokenizer_push(&d, start, false, buf, sizeof buf), 0);
    assert_int_equal(detokenizer_push(&d, start, true, buf, sizeof buf), 12);
    assert_int_equal(detokenizer_push(&d, img, false, buf, sizeof buf), 7);
    assert_memory_equal(buf, "<image>", 7);
    assert_int_equal(detokenizer_push(&d, -5, true, buf, sizeof buf), 0);
    assert_int_equal(tokenizer_find(t, "<|im_end|>"), end);
    assert_int_equal(tokenizer_find(t, "<|nope|>"), -1);
    size_t len;
    assert_string_equal(tokenizer_token_text(t, end, &len), "<|im_end|>");
    assert_int_equal(len, 10);
    assert_null(tokenizer_token_text(t, 99999, &len));
    tokenizer_free(t);
}

/* ---- SentencePiece ---- */

static void tv_init_spm(test_vocab *tv)
{
    memset(tv, 0, sizeof *tv);
    tokenizer_vocab_init(&tv->v);
    tv->v.source = "inline-spm";
    tv->v.model = "llama";
    tv->v.tokens = tv->toks;
    tv->v.types = tv->types;
    tv->v.scores = tv->scores;
    tv_add(tv, "<unk>", TOKEN_TYPE_UNKNOWN, 0);
    tv_add(tv, "<s>", TOKEN_TYPE_CONTROL, 0);
    tv_add(tv, "</s>", TOKEN_TYPE_CONTROL, 0);
    for (int b = 0; b < 256; b++) {
        char hex[8];
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        tv_add(tv, hex, TOKEN_TYPE_BYTE, 0); /* id 3 + b */
    }
}

#define SP "\xe2\x96\x81"

static void test_spm(void **state)
{
    (void)state;
    test_vocab tv;
    tv_init_spm(&tv);
    int32_t sp = tv_add(&tv, SP, TOKEN_TYPE_NORMAL, -5);
    int32_t a = tv_add(&tv, "a", TOKEN_TYPE_NORMAL, -3);
    int32_t b = tv_add(&tv, "b", TOKEN_TYPE_NORMAL, -3);
    int32_t c = tv_add(&tv, "c", TOKEN_TYPE_NORMAL, -3);
    int32_t spa = tv_add(&tv, SP "a", TOKEN_TYPE_NORMAL, -1);
    int32_t ab = tv_add(&tv, "ab", TOKEN_TYPE_NORMAL, -2);
    int32_t bc = tv_add(&tv, "bc", TOKEN_TYPE_NORMAL, -1.5f);
    int32_t spab = tv_add(&tv, SP "ab", TOKEN_TYPE_NORMAL, -0.5f);
    tokenizer *t = tv_create(&tv);
    assert_true(tokenizer_add_bos(t));
    assert_int_equal(tokenizer_bos(t), 1);
    assert_int_equal(tokenizer_eos(t), 2);
    /* A space in front, spaces as U+2581, best score first: ▁a (-1)
     * before ab (-2), then ▁a+b = ▁ab. */
    expect_ids(t, "ab", false, false, IDS(spab));
    expect_ids(t, "ab", true, false, IDS(1, spab));
    /* ▁a (-1) before bc (-1.5); then ▁ab (-0.5) takes the b from bc. */
    expect_ids(t, "abc", false, false, IDS(spab, c));
    expect_ids(t, "a b", false, false, IDS(spa, sp, b));
    /* Byte fallback for what the vocabulary lacks: "é" = C3 A9. */
    expect_ids(t, "\xc3\xa9", false, false, IDS(sp, 3 + 0xC3, 3 + 0xA9));
    /* After a special token the text gets a space prefix again. */
    expect_ids(t, "a<s>a", false, true, IDS(spa, 1, spa));
    expect_ids(t, "", true, false, IDS(1));
    expect_ids(t, "", false, false, NO_IDS);
    tokenizer_free(t);

    /* add_space_prefix off: no leading ▁. */
    tv.v.add_space_prefix = 0;
    t = tv_create(&tv);
    expect_ids(t, "ab", false, false, IDS(ab));
    expect_ids(t, "cc", false, false, IDS(c, c));
    /* Without the ▁, bc (-1.5) beats ab (-2). */
    expect_ids(t, "abc", false, false, IDS(a, bc));
    tokenizer_free(t);

    /* Decoding drops the prefix space once, BOS or not. */
    tv.v.add_space_prefix = -1;
    t = tv_create(&tv);
    char *s;
    size_t len;
    const int32_t seq[] = {1, spa, sp, b, 3 + 0xC3, 3 + 0xA9, spa};
    assert_int_equal(tokenizer_decode(t, seq, 7, false, &s, &len, NULL), SL_OK);
    assert_string_equal(s, "a b\xc3\xa9 a");
    free(s);
    assert_int_equal(tokenizer_decode(t, seq, 7, true, &s, &len, NULL), SL_OK);
    assert_string_equal(s, "<s>a b\xc3\xa9 a");
    free(s);
    tokenizer_free(t);
}

/* ---- the streaming detokenizer on its own ---- */

static void test_detokenizer_utf8(void **state)
{
    (void)state;
    test_vocab tv;
    tv_init_spm(&tv);
    tv.v.add_space_prefix = 0;
    tokenizer *t = tv_create(&tv);
#define BYTE(x) (3 + (x))
    char buf[64];
    detokenizer d;
    detokenizer_init(&d, t);
    /* "€" = E2 82 AC, one byte per token: held back until complete. */
    assert_int_equal(detokenizer_push(&d, BYTE(0xE2), false, buf, sizeof buf), 0);
    assert_int_equal(d.n_pending, 1);
    assert_int_equal(detokenizer_push(&d, BYTE(0x82), false, buf, sizeof buf), 0);
    assert_int_equal(detokenizer_push(&d, BYTE(0xAC), false, buf, 2), -1); /* too small */
    assert_int_equal(d.n_pending, 2);                                      /* unchanged */
    assert_int_equal(detokenizer_push(&d, BYTE(0xAC), false, buf, 3), 3);
    assert_memory_equal(buf, "\xe2\x82\xac", 3);
    assert_int_equal(detokenizer_flush(&d, buf, 0), 0);

    /* Bytes that can never form a character: one U+FFFD per maximal
     * ill-formed subpart. C0 80 (overlong): two; ED A0 80 (surrogate):
     * three; F5: one; E2 82 then 'A': one, then A; F4 90 (above U+10FFFF):
     * two. */
    static const struct {
        int in[4];
        int n;
        const char *out;
    } cases[] = {
        {{0xC0, 0x80}, 2, "\xef\xbf\xbd\xef\xbf\xbd"},
        {{0xED, 0xA0, 0x80}, 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {{0xF5}, 1, "\xef\xbf\xbd"},
        {{0xE2, 0x82, 'A'}, 3, "\xef\xbf\xbd" "A"},
        {{0xF0, 0x9F, 0x98, 0x80}, 4, "\xf0\x9f\x98\x80"},
        {{0xF4, 0x90}, 2, "\xef\xbf\xbd\xef\xbf\xbd"},
        {{0x80, 'x'}, 2, "\xef\xbf\xbdx"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        detokenizer_init(&d, t);
        char all[64];
        size_t used = 0;
        for (int i = 0; i < cases[k].n; i++) {
            int r = detokenizer_push(&d, BYTE(cases[k].in[i]), false, all + used, sizeof all - used);
            assert_true(r >= 0);
            assert_true(test_utf8_valid(all + used, (size_t)r));
            used += (size_t)r;
        }
        int r = detokenizer_flush(&d, all + used, sizeof all - used);
        assert_true(r >= 0);
        used += (size_t)r;
        all[used] = '\0';
        assert_string_equal(all, cases[k].out);
    }
    tokenizer_free(t);
}

/* ---- creation errors ---- */

static void test_create_errors(void **state)
{
    (void)state;
    test_vocab tv;
    tv_init_bpe(&tv, "gpt-2");
    tokenizer *t = NULL;
    sl_error err = {0};
    tv.v.model = "t5";
    assert_int_equal(tokenizer_create(&tv.v, &t, &err), SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "inline-bpe"));
    assert_non_null(strstr(err.msg, "t5"));
    tv.v.model = "gpt2";
    tv.v.pre = NULL; /* llama.cpp's "default": a regex set we do not carry */
    assert_int_equal(tokenizer_create(&tv.v, &t, &err), SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "tokenizer.ggml.pre"));
    tv.v.pre = "gpt-2";
    tv.v.n_tokens = 0;
    assert_int_equal(tokenizer_create(&tv.v, &t, &err), SL_ERR_FORMAT);
    assert_null(t);
    /* Ids outside the vocabulary are ignored; empty tokens get a name. */
    tv.v.n_tokens = 256;
    tv_add(&tv, "", TOKEN_TYPE_NORMAL, 0);
    tv.v.bos_id = 100000;
    tv.v.eos_id = -3;
    t = tv_create(&tv);
    assert_int_equal(tokenizer_bos(t), 11); /* llama.cpp's BPE default */
    assert_int_equal(tokenizer_eos(t), 11);
    assert_string_equal(tokenizer_token_text(t, 256, NULL), "[EMPTY_256]");
    tokenizer_free(t);
}

/* ---- the Unicode table ---- */

static void test_unicode_classes(void **state)
{
    (void)state;
    assert_int_equal(unicode_class_of('a'), UNICODE_LETTER);
    assert_int_equal(unicode_class_of('Z'), UNICODE_LETTER);
    assert_int_equal(unicode_class_of('5'), UNICODE_NUMBER);
    assert_int_equal(unicode_class_of('!'), UNICODE_PUNCT);
    assert_int_equal(unicode_class_of('$'), UNICODE_SYMBOL);
    assert_int_equal(unicode_class_of(' '), UNICODE_SEPARATOR);
    assert_int_equal(unicode_class_of('\n'), UNICODE_CONTROL);
    assert_true(unicode_is_whitespace(' ') && unicode_is_whitespace('\n') &&
                unicode_is_whitespace('\t') && unicode_is_whitespace(0x0B));
    assert_true(unicode_is_whitespace(0x85) && unicode_is_whitespace(0xA0) &&
                unicode_is_whitespace(0x3000) && unicode_is_whitespace(0x2029));
    assert_false(unicode_is_whitespace(0x200B)); /* zero width space is Cf */
    assert_false(unicode_is_whitespace('a'));
    assert_int_equal(unicode_class_of(0x200B), UNICODE_CONTROL);
    assert_int_equal(unicode_class_of(0x0301), UNICODE_MARK);
    assert_int_equal(unicode_class_of(0x20AC), UNICODE_SYMBOL);
    assert_int_equal(unicode_class_of(0x00BD), UNICODE_NUMBER);
    assert_int_equal(unicode_class_of(0x0378), UNICODE_UNASSIGNED);
    assert_int_equal(unicode_class_of(0x4E00), UNICODE_LETTER);
    assert_int_equal(unicode_class_of(0x9FA5), UNICODE_LETTER); /* inside a First/Last range */
    assert_int_equal(unicode_class_of(0xAC01), UNICODE_LETTER);
    assert_int_equal(unicode_class_of(0x1F600), UNICODE_SYMBOL);
    assert_int_equal(unicode_class_of(0xE000), UNICODE_CONTROL);
    assert_int_equal(unicode_class_of(0xD800), UNICODE_CONTROL);
    assert_int_equal(unicode_class_of(0x10FFFD), UNICODE_CONTROL);
    assert_int_equal(unicode_class_of(0x10FFFF), UNICODE_UNASSIGNED);
    assert_int_equal(unicode_class_of(0x110000), UNICODE_UNASSIGNED);
    assert_int_equal(unicode_class_of(0xFFFFFFFF), UNICODE_UNASSIGNED);
}

/* The committed table is what the generator writes from the installed
 * unicode-data (skipped where the package is absent). */
static void test_unicode_table_is_generated(void **state)
{
    (void)state;
    FILE *probe = fopen("/usr/share/unicode/UnicodeData.txt", "r");
    if (!probe) {
        fprintf(stderr, "skipped: /usr/share/unicode/UnicodeData.txt missing (unicode-data)\n");
        skip();
        return;
    }
    fclose(probe);
    char script[1024], table[1024], cmd[2200];
    snprintf(script, sizeof script, "%s", source_path("scripts/gen-unicode-tables.sh"));
    snprintf(table, sizeof table, "%s", source_path("llm/unicode_tables.c"));
    snprintf(cmd, sizeof cmd, "sh '%s' | cmp -s - '%s'", script, table);
    assert_int_equal(run_command(cmd, NULL, NULL), 0);
}

/* ---- utf8 helpers ---- */

static void test_utf8_lax(void **state)
{
    (void)state;
    const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\xc3";
    size_t pos = 0, n = sizeof s - 1;
    const uint32_t want[] = {'a', 0xE9, 0x20AC, 0x1F600, 0xFFFD, 0xFFFD};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(utf8_decode_lax(s, n, &pos), want[i]);
    assert_int_equal(pos, n);
    /* Lenient like llama.cpp: an overlong form decodes as it stands. */
    pos = 0;
    assert_int_equal(utf8_decode_lax("\xc1\x81", 2, &pos), 'A');
    assert_int_equal(utf8_lead_len(0x41), 1);
    assert_int_equal(utf8_lead_len(0x80), 1);
    assert_int_equal(utf8_lead_len(0xC3), 2);
    assert_int_equal(utf8_lead_len(0xE2), 3);
    assert_int_equal(utf8_lead_len(0xFF), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretok_gpt2),
        cmocka_unit_test(test_pretok_llama3),
        cmocka_unit_test(test_pretok_qwen2),
        cmocka_unit_test(test_pretok_smollm),
        cmocka_unit_test(test_bpe_merge_order),
        cmocka_unit_test(test_bpe_bytes_and_round_trip),
        cmocka_unit_test(test_bpe_pre_variants_through_merges),
        cmocka_unit_test(test_bpe_flags_by_pre),
        cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_spm),
        cmocka_unit_test(test_detokenizer_utf8),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_unicode_classes),
        cmocka_unit_test(test_unicode_table_is_generated),
        cmocka_unit_test(test_utf8_lax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
