/* Tokenizers of llama.cpp's GGUF vocabularies: text to token ids and back.
 *
 * Two models, chosen by tokenizer.ggml.model:
 * - "gpt2": byte-level BPE. Text is split into words by the pre-tokenizer
 *   that tokenizer.ggml.pre names ("gpt-2", "llama-bpe"/"llama3", "qwen2",
 *   "smollm" and the aliases llama.cpp gives the same pattern), each word's
 *   bytes are mapped to GPT-2's printable byte characters, and the merges
 *   (tokenizer.ggml.merges, lowest rank first) are applied inside the word.
 * - "llama": SentencePiece. Spaces become U+2581, a space is put in front of
 *   the text (and after each special token) when add_space_prefix says so,
 *   adjacent pieces are merged best score first (tokenizer.ggml.scores), and
 *   a piece that is not in the vocabulary falls back to byte tokens <0xXX>.
 * The ids are llama.cpp's (llama_tokenize) for the same text and flags.
 *
 * Special tokens: tokens of type CONTROL, UNKNOWN and USER_DEFINED
 * (tokenizer.ggml.token_type) are cut out of the text before tokenizing it,
 * longest first; CONTROL and UNKNOWN only when the caller asks (parse_special),
 * USER_DEFINED always. End-of-generation tokens are eos, eot, eom and the
 * tokens llama.cpp recognises by their text (<|im_end|>, <|eot_id|>,
 * <end_of_utterance>, <|endoftext|>, ...).
 *
 * A tokenizer is immutable after creation: it may be used from several
 * threads at once. It keeps its own copy of the vocabulary.
 *
 * Where llama.cpp's behaviour is not reproduced: other models and
 * pre-tokenizers are refused (SL_ERR_UNSUPPORTED) rather than approximated;
 * the per-model LSTRIP/RSTRIP attributes it sets by model name (phi-3, jina,
 * modern-bert) are not applied; decoding never "cleans up" spaces before
 * punctuation (clean_up_tokenization_spaces), so that decode(encode(x)) == x;
 * a 4-byte sequence above U+10FFFF reads as U+FFFD (llama.cpp throws); when
 * several texts could name the eot/fim tokens, the lowest id is taken (its
 * choice follows a hash map's order). */
#ifndef SIGHTLINE_LLM_TOKENIZER_H
#define SIGHTLINE_LLM_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"

typedef struct tokenizer tokenizer;
typedef struct gguf_file gguf_file;

/* Token types as tokenizer.ggml.token_type stores them. */
typedef enum token_type {
    TOKEN_TYPE_UNDEFINED = 0,
    TOKEN_TYPE_NORMAL = 1,
    TOKEN_TYPE_UNKNOWN = 2,
    TOKEN_TYPE_CONTROL = 3,
    TOKEN_TYPE_USER_DEFINED = 4,
    TOKEN_TYPE_UNUSED = 5,
    TOKEN_TYPE_BYTE = 6,
} token_type;

/* ---- building from plain arrays (what tokenizer_from_gguf does) ---- */

/* A byte string, not NUL-terminated. */
typedef struct tokenizer_text {
    const char *data;
    size_t len;
} tokenizer_text;

/* A special-token id field left at this value takes the model's default
 * (llama.cpp's: SPM bos 1, eos 2, unk 0; BPE bos and eos 11, i.e. whatever
 * token 11 is, as llama.cpp does), or none. Ids outside the vocabulary are
 * ignored the same way. */
#define TOKENIZER_ID_DEFAULT INT64_MIN

typedef struct tokenizer_vocab {
    const char *source;     /* names the vocabulary in messages (the file path) */
    const char *model;      /* tokenizer.ggml.model: "gpt2" or "llama" */
    const char *pre;        /* tokenizer.ggml.pre, or NULL */
    size_t n_tokens;
    const tokenizer_text *tokens;   /* n_tokens texts */
    const float *scores;            /* n_tokens, or NULL (all 0) */
    const int32_t *types;           /* n_tokens token_type values, or NULL (all NORMAL) */
    size_t n_merges;
    const tokenizer_text *merges;   /* "left right", rank = index; BPE only */
    /* Special ids (tokenizer.ggml.*_token_id); TOKENIZER_ID_DEFAULT if absent. */
    int64_t bos_id, eos_id, eot_id, eom_id, unk_id, sep_id, pad_id;
    int64_t fim_pad_id, fim_rep_id, fim_sep_id;
    /* tokenizer.ggml.add_bos_token / add_eos_token / add_space_prefix:
     * 0 or 1, or -1 for the model's default. */
    int add_bos, add_eos, add_space_prefix;
} tokenizer_vocab;

/* Sets every id to TOKENIZER_ID_DEFAULT, every flag to -1, the rest to 0. */
void tokenizer_vocab_init(tokenizer_vocab *v);

/* Copies what it needs from v. SL_ERR_FORMAT for inconsistent arrays,
 * SL_ERR_UNSUPPORTED for another model or pre-tokenizer; the message names
 * v->source and the field. */
sl_status tokenizer_create(const tokenizer_vocab *v, tokenizer **out, sl_error *err);

/* Reads tokenizer.ggml.* from a GGUF file (which may be closed afterwards).
 * Errors name the file and the key. */
sl_status tokenizer_from_gguf(const gguf_file *f, tokenizer **out, sl_error *err);

void tokenizer_free(tokenizer *t);

/* ---- the vocabulary ---- */

int32_t tokenizer_vocab_size(const tokenizer *t);
int32_t tokenizer_bos(const tokenizer *t); /* -1 if none */
int32_t tokenizer_eos(const tokenizer *t); /* -1 if none */
int32_t tokenizer_eot(const tokenizer *t); /* -1 if none */
int32_t tokenizer_unk(const tokenizer *t); /* -1 if none */
/* End of generation: eos, eot, eom, <|im_end|>, <end_of_utterance>, ... */
bool tokenizer_is_eog(const tokenizer *t, int32_t id);
/* Whether encoding with add_special puts BOS first / EOS last. */
bool tokenizer_add_bos(const tokenizer *t);
bool tokenizer_add_eos(const tokenizer *t);
/* The type as stored (CONTROL for tokens llama.cpp promotes, e.g. a NORMAL
 * <|endoftext|> that ends generation); TOKEN_TYPE_UNDEFINED out of range. */
token_type tokenizer_token_type(const tokenizer *t, int32_t id);
/* Control and unknown tokens: not text, rendered only when asked. */
bool tokenizer_is_control(const tokenizer *t, int32_t id);

/* The raw vocabulary text (GPT-2 byte characters, U+2581, "<0x0A>"),
 * NUL-terminated; *len (if len is not NULL) gets its length. NULL out of
 * range. */
const char *tokenizer_token_text(const tokenizer *t, int32_t id, size_t *len);
/* Exact token text (NUL-terminated) -> id, or -1. */
int32_t tokenizer_find(const tokenizer *t, const char *text);
int32_t tokenizer_find_n(const tokenizer *t, const char *text, size_t len);

/* ---- encoding ---- */

/* Encodes len bytes of text (any bytes; invalid UTF-8 is tokenized as
 * llama.cpp does). add_special: BOS first and EOS last as the vocabulary
 * says (tokenizer_add_bos/eos). parse_special: control/unknown token texts
 * inside the text become those tokens. *out is malloc'ed (NULL when
 * *n_out is 0); the caller frees it. */
sl_status tokenizer_encode(const tokenizer *t, const char *text, size_t len, bool add_special,
                           bool parse_special, int32_t **out, size_t *n_out, sl_error *err);

/* ---- decoding ---- */

/* Bytes one token renders to (the U+2581 and GPT-2 byte characters undone,
 * <0xXX> as its byte), before any UTF-8 repair; control and unknown tokens
 * render their text only when render_special. NULL for ids out of range. */
const char *tokenizer_piece(const tokenizer *t, int32_t id, bool render_special, size_t *len);
/* The longest piece, so that a buffer of 3 * (tokenizer_max_piece(t) + 4)
 * bytes always suffices for detokenizer_push and detokenizer_flush. */
size_t tokenizer_max_piece(const tokenizer *t);

/* Streaming detokenizer: append token pieces, get out only complete UTF-8.
 * Bytes of a multi-byte character cut at a token edge (byte-fallback tokens,
 * GPT-2 byte tokens) are held back until the character is complete; bytes
 * that can never form a character come out as U+FFFD, so the output is
 * always valid UTF-8. When the vocabulary adds a space prefix (SPM), the
 * first piece's leading space is dropped (a BOS before it does not count). */
typedef struct detokenizer {
    const tokenizer *t;
    char pending[8];
    int n_pending;
    bool first;
} detokenizer;

void detokenizer_init(detokenizer *d, const tokenizer *t);
/* Writes the bytes that became complete into buf (cap bytes) and returns
 * their count, or -1 (nothing consumed, state unchanged) if cap is too
 * small; special tokens are rendered only if render_special. Ids out of
 * range render nothing. */
int detokenizer_push(detokenizer *d, int32_t id, bool render_special, char *buf, size_t cap);
/* Ends the stream: invalid leftovers become U+FFFD. Returns the count, or -1
 * if cap is too small (4 bytes always suffice). */
int detokenizer_flush(detokenizer *d, char *buf, size_t cap);

/* Whole sequence at once through the streaming detokenizer; *out is
 * malloc'ed and NUL-terminated (*len excludes the NUL). */
sl_status tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, bool render_special,
                           char **out, size_t *len, sl_error *err);

#endif
