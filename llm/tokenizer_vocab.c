/* Building a tokenizer from a vocabulary: token table, lookups, special
 * tokens, the flags that depend on the model and pre-tokenizer. The rules
 * for defaults, promotions and end-of-generation tokens are llama.cpp's
 * (src/llama-vocab.cpp, llama_vocab::impl::load), so that the same file
 * behaves the same. */
#include "llm/tokenizer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/unicode_utf8.h"

/* ---- lookups ---- */

int32_t tok_lookup(const tokenizer *t, const char *s, size_t n)
{
    uint32_t h = tok_hash(s, n);
    for (size_t i = h & t->map_mask;; i = (i + 1) & t->map_mask) {
        int32_t id = t->map_id[i];
        if (id < 0)
            return -1;
        if (t->map_hash[i] != h)
            continue;
        size_t len;
        const char *txt = tok_text(t, id, &len);
        if (len == n && memcmp(txt, s, n) == 0)
            return id;
    }
}

static uint32_t merge_hash(const char *l, size_t ln, const char *r, size_t rn)
{
    /* The split point is part of the key: "ab"+"c" and "a"+"bc" differ. */
    return tok_hash(l, ln) * 0x9E3779B1u ^ tok_hash(r, rn);
}

int32_t tok_merge_rank(const tokenizer *t, const char *l, size_t ln, const char *r, size_t rn)
{
    if (!t->mmap_rank)
        return -1;
    uint32_t h = merge_hash(l, ln, r, rn);
    for (size_t i = h & t->mmap_mask;; i = (i + 1) & t->mmap_mask) {
        int32_t m = t->mmap_rank[i];
        if (m < 0)
            return -1;
        if (t->mmap_hash[i] != h || t->merge_left[m] != ln || t->merge_right[m] != rn)
            continue;
        const char *txt = t->merge_text + t->merge_off[m];
        if (memcmp(txt, l, ln) == 0 && memcmp(txt + ln + 1, r, rn) == 0)
            return m;
    }
}

/* ---- accessors ---- */

int32_t tokenizer_vocab_size(const tokenizer *t) { return t->n_tokens; }
int32_t tokenizer_bos(const tokenizer *t) { return t->bos; }
int32_t tokenizer_eos(const tokenizer *t) { return t->eos; }
int32_t tokenizer_eot(const tokenizer *t) { return t->eot; }
int32_t tokenizer_unk(const tokenizer *t) { return t->unk; }
bool tokenizer_add_bos(const tokenizer *t) { return t->add_bos; }
bool tokenizer_add_eos(const tokenizer *t) { return t->add_eos; }

bool tokenizer_is_eog(const tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_tokens && (t->attr[id] & TOK_ATTR_EOG);
}

token_type tokenizer_token_type(const tokenizer *t, int32_t id)
{
    if (id < 0 || id >= t->n_tokens)
        return TOKEN_TYPE_UNDEFINED;
    return (token_type)t->type[id];
}

bool tokenizer_is_control(const tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_tokens && (t->attr[id] & TOK_ATTR_SPECIAL);
}

const char *tokenizer_token_text(const tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n_tokens)
        return NULL;
    size_t n;
    const char *s = tok_text(t, id, &n);
    if (len)
        *len = n;
    return s;
}

int32_t tokenizer_find_n(const tokenizer *t, const char *text, size_t len)
{
    return text ? tok_lookup(t, text, len) : -1;
}

int32_t tokenizer_find(const tokenizer *t, const char *text)
{
    return text ? tok_lookup(t, text, strlen(text)) : -1;
}

const char *tokenizer_piece(const tokenizer *t, int32_t id, bool render_special, size_t *len)
{
    if (id < 0 || id >= t->n_tokens)
        return NULL;
    size_t n = t->piece_off[id + 1] - t->piece_off[id] - 1;
    if (!render_special && (t->attr[id] & TOK_ATTR_SPECIAL))
        n = 0;
    if (len)
        *len = n;
    return t->piece + t->piece_off[id];
}

size_t tokenizer_max_piece(const tokenizer *t) { return t->max_piece; }

void tokenizer_vocab_init(tokenizer_vocab *v)
{
    memset(v, 0, sizeof *v);
    v->bos_id = v->eos_id = v->eot_id = v->eom_id = v->unk_id = v->sep_id = v->pad_id =
        TOKENIZER_ID_DEFAULT;
    v->fim_pad_id = v->fim_rep_id = v->fim_sep_id = TOKENIZER_ID_DEFAULT;
    v->add_bos = v->add_eos = v->add_space_prefix = -1;
}

void tokenizer_free(tokenizer *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->text_off);
    free(t->piece);
    free(t->piece_off);
    free(t->scores);
    free(t->attr);
    free(t->type);
    free(t->map_hash);
    free(t->map_id);
    free(t->merge_text);
    free(t->merge_off);
    free(t->merge_left);
    free(t->merge_right);
    free(t->mmap_hash);
    free(t->mmap_rank);
    free(t->special);
    free(t);
}

/* ---- building ---- */

/* tokenizer.ggml.pre names and the pattern llama.cpp gives each (only
 * names whose flags we reproduce exactly are listed). */
static const struct pre_name {
    const char *name;
    pretok_kind kind;
    bool ignore_merges_add_bos; /* LLAMA3 proper: whole-token words, BOS by default */
} pre_names[] = {
    {"gpt-2", PRETOK_GPT2, false},      {"phi-2", PRETOK_GPT2, false},
    {"mpt", PRETOK_GPT2, false},        {"olmo", PRETOK_GPT2, false},
    {"jais", PRETOK_GPT2, false},       {"exaone4", PRETOK_GPT2, false},
    {"trillion", PRETOK_GPT2, false},   {"granite-docling", PRETOK_GPT2, false},
    {"llama3", PRETOK_LLAMA3, true},    {"llama-v3", PRETOK_LLAMA3, true},
    {"llama-bpe", PRETOK_LLAMA3, true}, {"dbrx", PRETOK_LLAMA3, false},
    {"smaug-bpe", PRETOK_LLAMA3, false}, {"qwen2", PRETOK_QWEN2, false},
    {"deepseek-r1-qwen", PRETOK_QWEN2, false}, {"stablelm2", PRETOK_QWEN2, false},
    {"megrez", PRETOK_QWEN2, false},    {"smollm", PRETOK_SMOLLM, false},
    {"starcoder", PRETOK_SMOLLM, false}, {"refact", PRETOK_SMOLLM, false},
    {"command-r", PRETOK_SMOLLM, false}, {"codeshell", PRETOK_SMOLLM, false},
    {"exaone", PRETOK_SMOLLM, false},   {"minerva-7b", PRETOK_SMOLLM, false},
};

/* Texts llama.cpp treats as end of generation (and so as control tokens)
 * whatever their type says. */
static const char *const eog_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
    "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
    "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
    "<turn|>", "<|tool_response>", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
    NULL,
};

/* Found by text when no key names them (llama.cpp does the same); each list
 * ends at NULL. The fill-in-the-middle pad/repo/file-separator tokens end
 * generation too. */
static const char *const eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "<end_of_utterance>", NULL,
};
static const char *const eom_texts[] = {"<|eom_id|>", NULL};
static const char *const fim_pre_texts[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>",
    "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL,
};
static const char *const fim_suf_texts[] = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>", "<SUF>",
    "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL,
};
static const char *const fim_mid_texts[] = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>",
    "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL,
};
static const char *const fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                                            "[PAD]", NULL};
static const char *const fim_rep_texts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                            "<REPO>", "<reponame>", NULL};
static const char *const fim_sep_texts[] = {"<|file_sep|>", NULL};

static int32_t find_first_of(const tokenizer *t, const char *const *texts)
{
    int32_t best = -1;
    for (size_t i = 0; texts[i]; i++) {
        int32_t id = tok_lookup(t, texts[i], strlen(texts[i]));
        if (id >= 0 && (best < 0 || id < best))
            best = id;
    }
    return best;
}

static void promote_control(tokenizer *t, int32_t id)
{
    if (id >= 0) {
        t->attr[id] |= TOK_ATTR_CONTROL;
        if (t->type[id] != TOKEN_TYPE_CONTROL && t->type[id] != TOKEN_TYPE_UNKNOWN &&
            t->type[id] != TOKEN_TYPE_USER_DEFINED)
            t->type[id] = TOKEN_TYPE_CONTROL;
    }
}

/* Resolves a special id: a given one inside the vocabulary wins, else the
 * default, else none. */
static int32_t resolve_id(const tokenizer *t, int64_t given, int32_t def)
{
    if (given != TOKENIZER_ID_DEFAULT && given >= 0 && given < t->n_tokens)
        return (int32_t)given;
    return def >= 0 && def < t->n_tokens ? def : -1;
}

static bool build_map(tokenizer *t)
{
    size_t cap = 16;
    while (cap < (size_t)t->n_tokens * 2)
        cap *= 2;
    t->map_hash = malloc(cap * sizeof *t->map_hash);
    t->map_id = malloc(cap * sizeof *t->map_id);
    if (!t->map_hash || !t->map_id)
        return false;
    memset(t->map_id, 0xff, cap * sizeof *t->map_id);
    t->map_mask = cap - 1;
    for (int32_t id = 0; id < t->n_tokens; id++) {
        size_t len;
        const char *s = tok_text(t, id, &len);
        uint32_t h = tok_hash(s, len);
        size_t i = h & t->map_mask;
        for (;; i = (i + 1) & t->map_mask) {
            int32_t other = t->map_id[i];
            if (other < 0)
                break;
            size_t olen;
            const char *o = tok_text(t, other, &olen);
            /* A repeated text maps to its last id, as llama.cpp's map does. */
            if (t->map_hash[i] == h && olen == len && memcmp(o, s, len) == 0)
                break;
        }
        t->map_hash[i] = h;
        t->map_id[i] = id;
    }
    return true;
}

static sl_status build_merges(tokenizer *t, const tokenizer_vocab *v, sl_error *err)
{
    const char *src = v->source ? v->source : "vocabulary";
    if (v->n_merges == 0)
        return SL_OK;
    if (!v->merges)
        return sl_fail(err, SL_ERR_ARG, "%s: tokenizer.ggml.merges: no array given", src);
    if (v->n_merges > TOKENIZER_MAX_TOKENS)
        return sl_fail(err, SL_ERR_LIMIT, "%s: tokenizer.ggml.merges: %zu merges, more than %u",
                       src, v->n_merges, TOKENIZER_MAX_TOKENS);
    size_t total = 0;
    for (size_t i = 0; i < v->n_merges; i++) {
        if (v->merges[i].len > 0 && !v->merges[i].data)
            return sl_fail(err, SL_ERR_ARG, "%s: tokenizer.ggml.merges[%zu]: no text", src, i);
        if (v->merges[i].len > TOKENIZER_MAX_TEXT_BYTES - total - 1)
            return sl_fail(err, SL_ERR_LIMIT, "%s: tokenizer.ggml.merges: more than %zu bytes of text",
                           src, TOKENIZER_MAX_TEXT_BYTES);
        total += v->merges[i].len + 1;
    }
    size_t n = v->n_merges;
    t->merge_text = malloc(total);
    t->merge_off = malloc(n * sizeof *t->merge_off);
    t->merge_left = malloc(n * sizeof *t->merge_left);
    t->merge_right = malloc(n * sizeof *t->merge_right);
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    t->mmap_hash = malloc(cap * sizeof *t->mmap_hash);
    t->mmap_rank = malloc(cap * sizeof *t->mmap_rank);
    if (!t->merge_text || !t->merge_off || !t->merge_left || !t->merge_right || !t->mmap_hash ||
        !t->mmap_rank)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu merges", src, n);
    memset(t->mmap_rank, 0xff, cap * sizeof *t->mmap_rank);
    t->mmap_mask = cap - 1;
    t->n_merges = (int32_t)n;
    size_t off = 0;
    for (size_t m = 0; m < n; m++) {
        const char *s = v->merges[m].data;
        size_t len = v->merges[m].len;
        if (len)
            memcpy(t->merge_text + off, s, len);
        t->merge_text[off + len] = '\0';
        t->merge_off[m] = off;
        off += len + 1;
        /* The split is the first space after the first byte (a left part
         * may itself be a space); a merge without one can never apply. */
        const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
        if (!sp) {
            t->merge_left[m] = t->merge_right[m] = UINT32_MAX;
            continue;
        }
        size_t ln = (size_t)(sp - s), rn = len - ln - 1;
        t->merge_left[m] = (uint32_t)ln;
        t->merge_right[m] = (uint32_t)rn;
        uint32_t h = merge_hash(s, ln, sp + 1, rn);
        size_t i = h & t->mmap_mask;
        bool dup = false;
        for (;; i = (i + 1) & t->mmap_mask) {
            int32_t o = t->mmap_rank[i];
            if (o < 0)
                break;
            const char *ot = t->merge_text + t->merge_off[o];
            if (t->mmap_hash[i] == h && t->merge_left[o] == ln && t->merge_right[o] == rn &&
                memcmp(ot, s, len) == 0) {
                dup = true; /* the first (lowest) rank stays */
                break;
            }
        }
        if (!dup) {
            t->mmap_hash[i] = h;
            t->mmap_rank[i] = (int32_t)m;
        }
    }
    return SL_OK;
}

/* GPT-2's byte <-> printable character map: printable Latin-1 bytes stand
 * for themselves, the other 68 take U+0100.. in byte order. */
static void build_byte_chars(tokenizer *t)
{
    int next = 256;
    for (int i = 0; i < 512; i++)
        t->char_byte[i] = -1;
    for (int b = 0; b < 256; b++) {
        bool self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        uint32_t cp = self ? (uint32_t)b : (uint32_t)next++;
        char tmp[4];
        size_t n = utf8_encode(cp, tmp);
        memcpy(t->byte_char[b], tmp, n);
        t->byte_char_len[b] = (uint8_t)n;
        t->char_byte[cp] = (int16_t)b;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The byte a "<0xXX>" text stands for, or -1. */
static int byte_token_value(const char *s, size_t len)
{
    if (len != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
        return -1;
    int hi = hex_digit(s[3]), lo = hex_digit(s[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* What token id renders to, written to dst (NULL: only counted). */
static size_t render_piece(const tokenizer *t, int32_t id, char *dst)
{
    size_t len;
    const char *s = tok_text(t, id, &len);
    uint8_t a = t->attr[id];
    if (a & (TOK_ATTR_SPECIAL | TOK_ATTR_USER_DEFINED)) {
        if (dst)
            memcpy(dst, s, len);
        return len;
    }
    if (a & TOK_ATTR_NORMAL) {
        size_t n = 0;
        if (t->kind == TOKENIZER_SPM) {
            for (size_t i = 0; i < len;) {
                if (len - i >= 3 && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
                    if (dst)
                        dst[n] = ' ';
                    n++;
                    i += 3;
                } else {
                    if (dst)
                        dst[n] = s[i];
                    n++;
                    i++;
                }
            }
            return n;
        }
        /* Byte-level BPE: each character stands for one byte. A character
         * outside the map (not a byte-level vocabulary) is kept as it is. */
        for (size_t i = 0; i < len;) {
            size_t at = i;
            uint32_t cp = utf8_decode_lax(s, len, &i);
            if (cp < 512 && t->char_byte[cp] >= 0) {
                if (dst)
                    dst[n] = (char)t->char_byte[cp];
                n++;
            } else {
                if (dst)
                    memcpy(dst + n, s + at, i - at);
                n += i - at;
            }
        }
        return n;
    }
    if (a & TOK_ATTR_BYTE) {
        int b = byte_token_value(s, len);
        if (b < 0) {
            if (dst)
                memcpy(dst, s, len);
            return len;
        }
        if (dst)
            dst[0] = (char)b;
        return 1;
    }
    return 0; /* unused and undefined tokens render nothing */
}

static bool build_pieces(tokenizer *t)
{
    size_t total = 0;
    t->piece_off = malloc(((size_t)t->n_tokens + 1) * sizeof *t->piece_off);
    if (!t->piece_off)
        return false;
    for (int32_t id = 0; id < t->n_tokens; id++) {
        size_t n = render_piece(t, id, NULL);
        t->piece_off[id] = total;
        total += n + 1;
        if (n > t->max_piece)
            t->max_piece = n;
    }
    t->piece_off[t->n_tokens] = total;
    t->piece = malloc(total);
    if (!t->piece)
        return false;
    for (int32_t id = 0; id < t->n_tokens; id++) {
        size_t n = render_piece(t, id, t->piece + t->piece_off[id]);
        t->piece[t->piece_off[id] + n] = '\0';
    }
    return true;
}

typedef struct special_key {
    size_t len;
    int32_t id;
} special_key;

static int cmp_special(const void *a, const void *b)
{
    const special_key *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The tokens cut out of the text before tokenizing, longest first so that
 * a token containing another wins (ties by id, to be deterministic). */
static bool build_special(tokenizer *t)
{
    size_t n = 0;
    for (int32_t id = 0; id < t->n_tokens; id++)
        if (t->attr[id] & (TOK_ATTR_SPECIAL | TOK_ATTR_USER_DEFINED))
            n++;
    special_key *keys = malloc((n + 1) * sizeof *keys);
    t->special = malloc((n + 1) * sizeof *t->special);
    if (!keys || !t->special) {
        free(keys);
        return false;
    }
    n = 0;
    for (int32_t id = 0; id < t->n_tokens; id++)
        if (t->attr[id] & (TOK_ATTR_SPECIAL | TOK_ATTR_USER_DEFINED))
            keys[n++] = (special_key){t->text_off[id + 1] - t->text_off[id] - 1, id};
    qsort(keys, n, sizeof *keys, cmp_special);
    for (size_t i = 0; i < n; i++)
        t->special[i] = keys[i].id;
    t->n_special = (int32_t)n;
    free(keys);
    return true;
}

static sl_status copy_tokens(tokenizer *t, const tokenizer_vocab *v, const char *src, sl_error *err)
{
    size_t n = v->n_tokens, total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = v->tokens[i].len;
        if (len > 0 && !v->tokens[i].data)
            return sl_fail(err, SL_ERR_ARG, "%s: tokenizer.ggml.tokens[%zu]: no text", src, i);
        if (len == 0)
            len = 32; /* "[EMPTY_<i>]" */
        if (len > TOKENIZER_MAX_TEXT_BYTES - total - 1)
            return sl_fail(err, SL_ERR_LIMIT, "%s: tokenizer.ggml.tokens: more than %zu bytes of text",
                           src, TOKENIZER_MAX_TEXT_BYTES);
        total += len + 1;
    }
    t->text = malloc(total);
    t->text_off = malloc((n + 1) * sizeof *t->text_off);
    if (!t->text || !t->text_off)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu tokens", src, n);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        t->text_off[i] = off;
        size_t len = v->tokens[i].len;
        if (len == 0) {
            /* llama.cpp names empty tokens so that they stay distinct. */
            len = (size_t)snprintf(t->text + off, 32, "[EMPTY_%zu]", i);
        } else {
            memcpy(t->text + off, v->tokens[i].data, len);
        }
        t->text[off + len] = '\0';
        off += len + 1;
    }
    t->text_off[n] = off;
    return SL_OK;
}

static uint8_t attr_of_type(int32_t type)
{
    switch (type) {
    case TOKEN_TYPE_NORMAL: return TOK_ATTR_NORMAL;
    case TOKEN_TYPE_UNKNOWN: return TOK_ATTR_UNKNOWN;
    case TOKEN_TYPE_CONTROL: return TOK_ATTR_CONTROL;
    case TOKEN_TYPE_USER_DEFINED: return TOK_ATTR_USER_DEFINED;
    case TOKEN_TYPE_UNUSED: return TOK_ATTR_UNUSED;
    case TOKEN_TYPE_BYTE: return TOK_ATTR_BYTE;
    default: return 0;
    }
}

static sl_status create(const tokenizer_vocab *v, tokenizer *t, sl_error *err)
{
    const char *src = v->source ? v->source : "vocabulary";
    if (!v->model)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tokenizer.ggml.model missing", src);
    if (strcmp(v->model, "llama") == 0) {
        t->kind = TOKENIZER_SPM;
    } else if (strcmp(v->model, "gpt2") == 0) {
        t->kind = TOKENIZER_BPE;
        const char *pre = v->pre && v->pre[0] ? v->pre : "default";
        size_t k = 0, n_names = sizeof pre_names / sizeof pre_names[0];
        while (k < n_names && strcmp(pre_names[k].name, pre) != 0)
            k++;
        if (k == n_names)
            return sl_fail(err, SL_ERR_UNSUPPORTED,
                           "%s: tokenizer.ggml.pre '%s' is not supported (gpt-2, llama-bpe, qwen2, "
                           "smollm and their aliases are)", src, pre);
        t->pre = pre_names[k].kind;
        t->ignore_merges = pre_names[k].ignore_merges_add_bos;
    } else {
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "%s: tokenizer.ggml.model '%s' is not supported (gpt2 and llama are)", src,
                       v->model);
    }
    if (v->n_tokens == 0 || !v->tokens)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tokenizer.ggml.tokens missing or empty", src);
    if (v->n_tokens > TOKENIZER_MAX_TOKENS)
        return sl_fail(err, SL_ERR_LIMIT, "%s: tokenizer.ggml.tokens: %zu tokens, more than %u", src,
                       v->n_tokens, TOKENIZER_MAX_TOKENS);
    t->n_tokens = (int32_t)v->n_tokens;
    sl_status st = copy_tokens(t, v, src, err);
    if (st != SL_OK)
        return st;

    size_t n = v->n_tokens;
    t->scores = calloc(n, sizeof *t->scores);
    t->attr = malloc(n);
    t->type = malloc(n);
    if (!t->scores || !t->attr || !t->type)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu tokens", src, n);
    if (v->scores)
        memcpy(t->scores, v->scores, n * sizeof *t->scores);
    for (size_t i = 0; i < n; i++) {
        int32_t ty = v->types ? v->types[i] : TOKEN_TYPE_NORMAL;
        t->attr[i] = attr_of_type(ty);
        t->type[i] = (uint8_t)(attr_of_type(ty) ? ty : TOKEN_TYPE_UNDEFINED);
    }
    if (!build_map(t))
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for the token table", src);
    if (t->kind == TOKENIZER_BPE) {
        st = build_merges(t, v, err);
        if (st != SL_OK)
            return st;
        build_byte_chars(t);
    }

    /* Special ids and flags: the model's defaults, then the file's keys. */
    bool spm = t->kind == TOKENIZER_SPM;
    t->bos = resolve_id(t, v->bos_id, spm ? 1 : 11);
    t->eos = resolve_id(t, v->eos_id, spm ? 2 : 11);
    t->unk = resolve_id(t, v->unk_id, spm ? 0 : -1);
    t->eot = resolve_id(t, v->eot_id, -1);
    t->eom = resolve_id(t, v->eom_id, -1);
    int32_t fim_pad = resolve_id(t, v->fim_pad_id, -1);
    int32_t fim_rep = resolve_id(t, v->fim_rep_id, -1);
    int32_t fim_sep = resolve_id(t, v->fim_sep_id, -1);
    t->add_bos = spm || t->ignore_merges;
    t->add_eos = false;
    t->add_space_prefix = spm;
    if (v->add_bos >= 0)
        t->add_bos = v->add_bos != 0;
    if (v->add_eos >= 0)
        t->add_eos = v->add_eos != 0;
    if (v->add_space_prefix >= 0)
        t->add_space_prefix = v->add_space_prefix != 0;

    /* Tokens found by their text become control tokens (llama.cpp warns
     * that the file typed them wrongly and overrides the type). */
    if (t->eot < 0)
        promote_control(t, t->eot = find_first_of(t, eot_texts));
    if (t->eom < 0)
        promote_control(t, t->eom = find_first_of(t, eom_texts));
    promote_control(t, find_first_of(t, fim_pre_texts));
    promote_control(t, find_first_of(t, fim_suf_texts));
    promote_control(t, find_first_of(t, fim_mid_texts));
    if (fim_pad < 0)
        promote_control(t, fim_pad = find_first_of(t, fim_pad_texts));
    if (fim_rep < 0)
        promote_control(t, fim_rep = find_first_of(t, fim_rep_texts));
    if (fim_sep < 0)
        promote_control(t, fim_sep = find_first_of(t, fim_sep_texts));
    for (size_t i = 0; eog_texts[i]; i++) {
        int32_t id = tok_lookup(t, eog_texts[i], strlen(eog_texts[i]));
        if (id >= 0) {
            promote_control(t, id);
            t->attr[id] |= TOK_ATTR_EOG;
        }
    }
    const int32_t eog_ids[] = {fim_pad, fim_rep, fim_sep, t->eos, t->eot, t->eom};
    for (size_t i = 0; i < sizeof eog_ids / sizeof eog_ids[0]; i++)
        if (eog_ids[i] >= 0)
            t->attr[eog_ids[i]] |= TOK_ATTR_EOG;

    for (int b = 0; b < 256; b++) {
        char hex[8];
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        int32_t id = tok_lookup(t, hex, 6);
        if (id < 0) {
            char c = (char)b;
            id = tok_lookup(t, &c, 1);
        }
        t->byte_token[b] = id;
    }
    if (!build_special(t) || !build_pieces(t))
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu tokens", src, n);
    return SL_OK;
}

sl_status tokenizer_create(const tokenizer_vocab *v, tokenizer **out, sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "tokenizer_create: no output pointer");
    *out = NULL;
    if (!v)
        return sl_fail(err, SL_ERR_ARG, "tokenizer_create: no vocabulary");
    tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", v->source ? v->source : "vocabulary");
    sl_status st = create(v, t, err);
    if (st != SL_OK) {
        tokenizer_free(t);
        return st;
    }
    *out = t;
    return SL_OK;
}
