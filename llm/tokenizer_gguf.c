/* tokenizer_from_gguf: the tokenizer.ggml.* metadata into a tokenizer_vocab,
 * then tokenizer_create. Every array is checked against the token count
 * before it is read. */
#include "llm/tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

#include "llm/gguf.h"

static bool is_integer_type(gguf_type t)
{
    switch (t) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_UINT64:
    case GGUF_TYPE_INT64:
        return true;
    default:
        return false;
    }
}

/* Element i of a numeric array as int64 (unaligned data: memcpy). */
static int64_t array_int(gguf_type t, const void *data, size_t i)
{
    const unsigned char *p = data;
    switch (t) {
    case GGUF_TYPE_UINT8: return p[i];
    case GGUF_TYPE_INT8: return (int8_t)p[i];
    case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case GGUF_TYPE_UINT64: { uint64_t v; memcpy(&v, p + 8 * i, 8); return v > INT64_MAX ? -1 : (int64_t)v; }
    case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, p + 8 * i, 8); return v; }
    default: return 0;
    }
}

/* An optional id key: absent -> TOKENIZER_ID_DEFAULT; present but not an
 * integer -> error. */
static sl_status read_id(const gguf_file *f, const char *key, int64_t *out, sl_error *err)
{
    *out = TOKENIZER_ID_DEFAULT;
    int64_t k = gguf_find_key(f, key);
    if (k < 0)
        return SL_OK;
    gguf_type t = gguf_kv_type(f, k);
    if (!is_integer_type(t))
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s has type %s, expected an integer",
                       gguf_path(f), key, gguf_type_name(t));
    *out = gguf_get_int(f, key, TOKENIZER_ID_DEFAULT);
    if (*out == TOKENIZER_ID_DEFAULT)
        *out = -1; /* an unsigned value beyond int64: no such token */
    return SL_OK;
}

static sl_status read_flag(const gguf_file *f, const char *key, int *out, sl_error *err)
{
    *out = -1;
    int64_t k = gguf_find_key(f, key);
    if (k < 0)
        return SL_OK;
    gguf_type t = gguf_kv_type(f, k);
    if (t != GGUF_TYPE_BOOL)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s has type %s, expected bool",
                       gguf_path(f), key, gguf_type_name(t));
    *out = gguf_get_bool(f, key, false) ? 1 : 0;
    return SL_OK;
}

/* A string array's elements as views into the file. */
static sl_status read_strings(const gguf_file *f, const char *key, bool required,
                              tokenizer_text **out, size_t *n, sl_error *err)
{
    *out = NULL;
    *n = 0;
    gguf_type et;
    uint64_t count;
    if (!gguf_get_array_info(f, key, &et, &count)) {
        if (gguf_find_key(f, key) >= 0)
            return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s is not an array", gguf_path(f), key);
        if (required)
            return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s missing", gguf_path(f), key);
        return SL_OK;
    }
    if (et != GGUF_TYPE_STRING)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s is an array of %s, expected strings",
                       gguf_path(f), key, gguf_type_name(et));
    if (count > TOKENIZER_MAX_TOKENS)
        return sl_fail(err, SL_ERR_LIMIT, "%s: metadata %s has %llu entries, more than %u",
                       gguf_path(f), key, (unsigned long long)count, TOKENIZER_MAX_TOKENS);
    tokenizer_text *v = malloc((count ? count : 1) * sizeof *v);
    if (!v)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %s", gguf_path(f), key);
    for (uint64_t i = 0; i < count; i++) {
        gguf_str s = gguf_get_array_str(f, key, i);
        if (!s.data)
            s.data = ""; /* an empty string may come back as {NULL, 0} */
        v[i] = (tokenizer_text){s.data, (size_t)s.len};
    }
    *out = v;
    *n = (size_t)count;
    return SL_OK;
}

sl_status tokenizer_from_gguf(const gguf_file *f, tokenizer **out, sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "tokenizer_from_gguf: no output pointer");
    *out = NULL;
    if (!f)
        return sl_fail(err, SL_ERR_ARG, "tokenizer_from_gguf: no file");
    const char *path = gguf_path(f);
    tokenizer_vocab v;
    tokenizer_vocab_init(&v);
    v.source = path;
    tokenizer_text *tokens = NULL, *merges = NULL;
    float *scores = NULL;
    int32_t *types = NULL;
    sl_status st = gguf_require_str(f, "tokenizer.ggml.model", &v.model, err);
    if (st != SL_OK)
        goto done;
    v.pre = gguf_get_str(f, "tokenizer.ggml.pre", NULL);
    if (gguf_find_key(f, "tokenizer.ggml.pre") >= 0 && !v.pre) {
        st = sl_fail(err, SL_ERR_FORMAT, "%s: metadata tokenizer.ggml.pre is not a string", path);
        goto done;
    }
    st = read_strings(f, "tokenizer.ggml.tokens", true, &tokens, &v.n_tokens, err);
    if (st != SL_OK)
        goto done;
    v.tokens = tokens;
    if (v.n_tokens == 0) {
        st = sl_fail(err, SL_ERR_FORMAT, "%s: metadata tokenizer.ggml.tokens is empty", path);
        goto done;
    }

    gguf_type et;
    uint64_t count;
    const void *data;
    if (gguf_find_key(f, "tokenizer.ggml.scores") >= 0) {
        st = gguf_get_array(f, "tokenizer.ggml.scores", &et, &count, &data, err);
        if (st != SL_OK)
            goto done;
        if (et != GGUF_TYPE_FLOAT32 || count < v.n_tokens) {
            st = sl_fail(err, SL_ERR_FORMAT,
                         "%s: metadata tokenizer.ggml.scores is %llu %s, expected %zu float32",
                         path, (unsigned long long)count, gguf_type_name(et), v.n_tokens);
            goto done;
        }
        scores = malloc(v.n_tokens * sizeof *scores);
        if (!scores) {
            st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for scores", path);
            goto done;
        }
        memcpy(scores, data, v.n_tokens * sizeof *scores);
        v.scores = scores;
    }
    if (gguf_find_key(f, "tokenizer.ggml.token_type") >= 0) {
        st = gguf_get_array(f, "tokenizer.ggml.token_type", &et, &count, &data, err);
        if (st != SL_OK)
            goto done;
        if (!is_integer_type(et) || count < v.n_tokens) {
            st = sl_fail(err, SL_ERR_FORMAT,
                         "%s: metadata tokenizer.ggml.token_type is %llu %s, expected %zu integers",
                         path, (unsigned long long)count, gguf_type_name(et), v.n_tokens);
            goto done;
        }
        types = malloc(v.n_tokens * sizeof *types);
        if (!types) {
            st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for token types", path);
            goto done;
        }
        for (size_t i = 0; i < v.n_tokens; i++) {
            int64_t x = array_int(et, data, i);
            types[i] = x >= 0 && x <= TOKEN_TYPE_BYTE ? (int32_t)x : TOKEN_TYPE_UNDEFINED;
        }
        v.types = types;
    }
    st = read_strings(f, "tokenizer.ggml.merges", strcmp(v.model, "gpt2") == 0, &merges,
                      &v.n_merges, err);
    if (st != SL_OK)
        goto done;
    v.merges = merges;

    static const struct {
        const char *key;
        size_t field;
    } ids[] = {
        {"tokenizer.ggml.bos_token_id", offsetof(tokenizer_vocab, bos_id)},
        {"tokenizer.ggml.eos_token_id", offsetof(tokenizer_vocab, eos_id)},
        {"tokenizer.ggml.eot_token_id", offsetof(tokenizer_vocab, eot_id)},
        {"tokenizer.ggml.eom_token_id", offsetof(tokenizer_vocab, eom_id)},
        {"tokenizer.ggml.unknown_token_id", offsetof(tokenizer_vocab, unk_id)},
        {"tokenizer.ggml.seperator_token_id", offsetof(tokenizer_vocab, sep_id)}, /* sic */
        {"tokenizer.ggml.padding_token_id", offsetof(tokenizer_vocab, pad_id)},
        {"tokenizer.ggml.fim_pad_token_id", offsetof(tokenizer_vocab, fim_pad_id)},
        {"tokenizer.ggml.fim_rep_token_id", offsetof(tokenizer_vocab, fim_rep_id)},
        {"tokenizer.ggml.fim_sep_token_id", offsetof(tokenizer_vocab, fim_sep_id)},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        int64_t id;
        st = read_id(f, ids[i].key, &id, err);
        if (st != SL_OK)
            goto done;
        memcpy((char *)&v + ids[i].field, &id, sizeof id);
    }
    st = read_flag(f, "tokenizer.ggml.add_bos_token", &v.add_bos, err);
    if (st == SL_OK)
        st = read_flag(f, "tokenizer.ggml.add_eos_token", &v.add_eos, err);
    if (st == SL_OK)
        st = read_flag(f, "tokenizer.ggml.add_space_prefix", &v.add_space_prefix, err);
    if (st == SL_OK)
        st = tokenizer_create(&v, out, err);
done:
    free(tokens);
    free(merges);
    free(scores);
    free(types);
    return st;
}
