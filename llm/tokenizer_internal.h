/* Private parts of the tokenizers (llm/tokenizer_*.c). */
#ifndef SIGHTLINE_LLM_TOKENIZER_INTERNAL_H
#define SIGHTLINE_LLM_TOKENIZER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/tokenizer.h"

/* Token attributes as llama.cpp keeps them: a bit set, because a token of
 * one type can be promoted (a NORMAL <|endoftext|> also becomes CONTROL). */
enum {
    TOK_ATTR_UNKNOWN = 1 << 0,
    TOK_ATTR_UNUSED = 1 << 1,
    TOK_ATTR_NORMAL = 1 << 2,
    TOK_ATTR_CONTROL = 1 << 3,
    TOK_ATTR_USER_DEFINED = 1 << 4,
    TOK_ATTR_BYTE = 1 << 5,
    TOK_ATTR_EOG = 1 << 6, /* ours: ends generation */
};

/* Not text: skipped by detokenizing unless asked, and cut out of the input
 * only when parse_special. */
#define TOK_ATTR_SPECIAL (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL)

typedef enum tokenizer_kind { TOKENIZER_SPM, TOKENIZER_BPE } tokenizer_kind;

/* The pre-tokenizer patterns (llama.cpp's regexes, by tokenizer.ggml.pre):
 * GPT2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * LLAMA3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *         ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * QWEN2:  as LLAMA3 with \p{N} (one digit) for \p{N}{1,3}
 * SMOLLM: every \p{N} split off alone first, then GPT2 on the rest */
typedef enum pretok_kind { PRETOK_GPT2, PRETOK_LLAMA3, PRETOK_QWEN2, PRETOK_SMOLLM } pretok_kind;

/* Largest vocabulary / merge list / text arena accepted from a file: far
 * above any real one (~256k tokens), far below what would exhaust memory. */
#define TOKENIZER_MAX_TOKENS (1u << 24)
#define TOKENIZER_MAX_TEXT_BYTES ((size_t)1 << 30)

struct tokenizer {
    tokenizer_kind kind;
    pretok_kind pre;
    int32_t n_tokens;

    /* Token i's text is text + text_off[i], text_off[i+1] - text_off[i] - 1
     * bytes, NUL-terminated. piece/piece_off the same for what it renders
     * to (special tokens included). */
    char *text;
    size_t *text_off;
    char *piece;
    size_t *piece_off;
    size_t max_piece;
    float *scores;
    uint8_t *attr;
    uint8_t *type; /* token_type as given (after promotion to CONTROL) */

    /* text -> id: open addressing, map_id -1 = empty slot. */
    uint32_t *map_hash;
    int32_t *map_id;
    size_t map_mask;

    /* (left, right) -> rank of BPE merges; merge i is "left right" at
     * merge_text + merge_off[i], left merge_left[i] bytes long. */
    int32_t n_merges;
    char *merge_text;
    size_t *merge_off;
    uint32_t *merge_left;
    uint32_t *merge_right;
    uint32_t *mmap_hash;
    int32_t *mmap_rank;
    size_t mmap_mask;

    int32_t bos, eos, eot, eom, unk;
    bool add_bos, add_eos, add_space_prefix;
    bool ignore_merges; /* BPE: a word that is a token as a whole is not merged */

    int32_t *special; /* ids cut out of the text, longest text first */
    int32_t n_special;

    int32_t byte_token[256];       /* SPM byte fallback: <0xXX> (or the byte itself), -1 */
    char byte_char[256][2];        /* BPE: GPT-2's printable character for a byte (UTF-8) */
    uint8_t byte_char_len[256];
    int16_t char_byte[512];        /* BPE: code point (< 512) -> byte, -1 */
};

static inline const char *tok_text(const tokenizer *t, int32_t id, size_t *len)
{
    *len = t->text_off[id + 1] - t->text_off[id] - 1;
    return t->text + t->text_off[id];
}

uint32_t tok_hash(const char *s, size_t n);
int32_t tok_lookup(const tokenizer *t, const char *s, size_t n);
int32_t tok_merge_rank(const tokenizer *t, const char *l, size_t ln, const char *r, size_t rn);

/* A growing list of ids. */
typedef struct tok_ids {
    int32_t *v;
    size_t n, cap;
} tok_ids;

bool tok_ids_push(tok_ids *ids, int32_t id);

/* Scratch memory reused across the words of one encode call. */
typedef struct tok_scratch {
    void *sym;
    size_t sym_cap;
    void *heap;
    size_t heap_cap;
    char *buf;
    size_t buf_cap;
    uint32_t *cps;
    uint8_t *cls;
    uint32_t *ends;
    size_t cps_cap;
} tok_scratch;

void tok_scratch_free(tok_scratch *s);
bool tok_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Pre-tokenizer: splits cps[0..n) (classes in cls, from unicode_class_bits)
 * into words; writes each word's end index to ends (at most n of them) and
 * returns how many. */
size_t pretok_split(pretok_kind kind, const uint32_t *cps, const uint8_t *cls, size_t n,
                    uint32_t *ends);

/* One raw-text fragment (no special tokens in it) through each model. */
bool bpe_encode_fragment(const tokenizer *t, const char *text, size_t len, tok_scratch *s,
                         tok_ids *out);
bool spm_encode_fragment(const tokenizer *t, const char *text, size_t len, tok_scratch *s,
                         tok_ids *out);

/* Merge candidates for both models: a binary heap. BPE takes the lowest
 * rank first, SPM the highest score; ties go to the leftmost pair. */
typedef struct merge_pair {
    int32_t left, right;
    float score;
    int32_t rank;
    uint32_t size;
} merge_pair;

typedef struct merge_heap {
    merge_pair *v;
    size_t n;
    size_t cap;
    bool by_score;
} merge_heap;

bool merge_heap_push(merge_heap *h, merge_pair p);
merge_pair merge_heap_pop(merge_heap *h);

/* Symbols being merged: byte ranges of the text in a linked list. */
typedef struct merge_sym {
    uint32_t start, n; /* n == 0: merged into its left neighbour */
    int32_t prev, next;
} merge_sym;

#endif
