/* Loader for whisper.cpp's model files; see whisper_model.h. */
#include "speech/whisper_model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llm/fp16.h"
#include "llm/quant.h"
#include "llm/tensor_type.h"

#define WHISPER_MAGIC 0x67676d6cu
#define WHISPER_QNT_FACTOR 1000
#define MAX_TOKEN_BYTES 4096
#define MAX_NAME_BYTES 256

typedef struct reader {
    const char *path;
    const uint8_t *p;
    size_t size;
    size_t off;
} reader;

static sl_status read_i32(reader *r, const char *field, int32_t *v, sl_error *err)
{
    if (r->size - r->off < 4)
        return sl_fail(err, SL_ERR_FORMAT, "%s: truncated at byte %zu reading %s", r->path,
                       r->off, field);
    uint32_t u = (uint32_t)r->p[r->off] | (uint32_t)r->p[r->off + 1] << 8 |
                 (uint32_t)r->p[r->off + 2] << 16 | (uint32_t)r->p[r->off + 3] << 24;
    memcpy(v, &u, 4);
    r->off += 4;
    return SL_OK;
}

static sl_status need(reader *r, size_t n, const char *what, sl_error *err)
{
    if (r->size - r->off < n)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: %s (%zu bytes at byte %zu) runs past the end of the file (%zu bytes)",
                       r->path, what, n, r->off, r->size);
    return SL_OK;
}

static void *own(whisper_model *m, size_t bytes)
{
    if (m->n_owned == m->cap_owned) {
        size_t cap = m->cap_owned ? m->cap_owned * 2 : 64;
        void **o = realloc(m->owned, cap * sizeof *o);
        if (!o)
            return NULL;
        m->owned = o;
        m->cap_owned = cap;
    }
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p)
        m->owned[m->n_owned++] = p;
    return p;
}

static const char *const lang_codes[] = {
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar",
    "sv", "it", "id", "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu",
    "ta", "no", "th", "ur", "hr", "bg", "lt", "la", "mi", "ml", "cy", "sk", "te", "fa",
    "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy", "ne", "mn",
    "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc",
    "ka", "be", "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn",
    "mt", "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw",
    "su", "yue",
};

int whisper_lang_count(void)
{
    return (int)(sizeof lang_codes / sizeof lang_codes[0]);
}

int whisper_lang_id(const char *code)
{
    if (!code)
        return -1;
    for (int i = 0; i < whisper_lang_count(); i++)
        if (strcmp(code, lang_codes[i]) == 0)
            return i;
    return -1;
}

const char *whisper_lang_code(int id)
{
    return id >= 0 && id < whisper_lang_count() ? lang_codes[id] : NULL;
}

const uint8_t *whisper_token_bytes(const whisper_model *model, int32_t id, uint32_t *len)
{
    if (id < 0 || id >= model->n_vocab_file) {
        *len = 0;
        return NULL;
    }
    *len = model->token_len[id];
    return model->token_bytes[id];
}

const char *whisper_model_weight_type(const whisper_model *model)
{
    return model->has_weights ? tensor_type_name(model->d_te.type) : "none";
}

/* ---------------------------------------------------------------- header */

static sl_status check_hparams(const char *path, whisper_hparams *hp, sl_error *err)
{
    struct {
        const char *name;
        int32_t v, lo, hi;
    } f[] = {
        {"n_vocab", hp->n_vocab, 51864, 51866},
        {"n_audio_ctx", hp->n_audio_ctx, 1, 4096},
        {"n_audio_state", hp->n_audio_state, 1, 8192},
        {"n_audio_head", hp->n_audio_head, 1, 256},
        {"n_audio_layer", hp->n_audio_layer, 1, 128},
        {"n_text_ctx", hp->n_text_ctx, 4, 4096},
        {"n_text_state", hp->n_text_state, 1, 8192},
        {"n_text_head", hp->n_text_head, 1, 256},
        {"n_text_layer", hp->n_text_layer, 1, 128},
        {"n_mels", hp->n_mels, 1, 256},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v < f[i].lo || f[i].v > f[i].hi)
            return sl_fail(err, SL_ERR_FORMAT, "%s: header field %s = %d is outside %d..%d",
                           path, f[i].name, f[i].v, f[i].lo, f[i].hi);
    if (hp->n_text_state != hp->n_audio_state)
        return sl_fail(err, SL_ERR_FORMAT, "%s: n_text_state %d differs from n_audio_state %d",
                       path, hp->n_text_state, hp->n_audio_state);
    if (hp->n_audio_state % hp->n_audio_head || hp->n_text_state % hp->n_text_head)
        return sl_fail(err, SL_ERR_FORMAT, "%s: state width %d is not a multiple of the heads",
                       path, hp->n_audio_state);
    if (hp->n_text_state / hp->n_text_head > 512 || hp->n_audio_state / hp->n_audio_head > 512)
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: attention heads wider than 512", path);
    if (hp->ftype < 0 || hp->ftype % WHISPER_QNT_FACTOR > 30)
        return sl_fail(err, SL_ERR_FORMAT, "%s: header field ftype = %d is not a ggml ftype",
                       path, hp->ftype);
    return SL_OK;
}

static void place_specials(whisper_model *m)
{
    whisper_special_tokens *t = &m->tok;
    int32_t n_vocab = m->hp.n_vocab;
    t->eot = 50256;
    t->sot = 50257;
    t->translate = 50357;
    t->transcribe = 50358;
    t->solm = 50359;
    t->prev = 50360;
    t->nosp = 50361;
    t->no_timestamps = 50362;
    t->beg = 50363;
    t->multilingual = n_vocab >= 51865;
    t->n_languages = n_vocab - 51765 - (t->multilingual ? 1 : 0);
    if (t->multilingual) {
        int dt = t->n_languages - 98;
        t->eot++;
        t->sot++;
        t->translate += dt;
        t->transcribe += dt;
        t->solm += dt;
        t->prev += dt;
        t->nosp += dt;
        t->no_timestamps += dt;
        t->beg += dt;
    }
    if (t->n_languages > whisper_lang_count())
        t->n_languages = whisper_lang_count();
    t->blank = -1;
    for (int32_t i = m->n_vocab_file - 1; i >= 0; i--)
        if (m->token_len[i] == 1 && m->token_bytes[i][0] == ' ') {
            t->blank = i;
            break;
        }
}

/* ---------------------------------------------------------------- tensors */

typedef enum slot_kind { SLOT_VEC, SLOT_MAT, SLOT_CONV } slot_kind;

typedef struct slot {
    char name[80];
    slot_kind kind;
    int64_t ne[4];
    const float **vec;
    qmatrix *mat;
    bool loaded;
} slot;

typedef struct slot_list {
    slot *s;
    size_t n, cap;
} slot_list;

static sl_status add_slot(slot_list *l, slot_kind kind, int64_t ne0, int64_t ne1, int64_t ne2,
                          const float **vec, qmatrix *mat, sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static sl_status add_slot(slot_list *l, slot_kind kind, int64_t ne0, int64_t ne1, int64_t ne2,
                          const float **vec, qmatrix *mat, sl_error *err, const char *fmt, ...)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        slot *s = realloc(l->s, cap * sizeof *s);
        if (!s)
            return sl_fail(err, SL_ERR_NOMEM, "whisper: out of memory for the tensor list");
        l->s = s;
        l->cap = cap;
    }
    slot *s = &l->s[l->n++];
    memset(s, 0, sizeof *s);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->name, sizeof s->name, fmt, ap);
    va_end(ap);
    s->kind = kind;
    s->ne[0] = ne0;
    s->ne[1] = ne1;
    s->ne[2] = ne2;
    s->ne[3] = 1;
    s->vec = vec;
    s->mat = mat;
    return SL_OK;
}

#define TRY(x)                                                                           \
    do {                                                                                 \
        sl_status st_ = (x);                                                             \
        if (st_ != SL_OK)                                                                \
            return st_;                                                                  \
    } while (0)

static sl_status add_attn(slot_list *l, whisper_attn_weights *a, const char *prefix, int64_t S,
                          sl_error *err)
{
    TRY(add_slot(l, SLOT_MAT, S, S, 1, NULL, &a->q, err, "%s.query.weight", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &a->q_b, NULL, err, "%s.query.bias", prefix));
    TRY(add_slot(l, SLOT_MAT, S, S, 1, NULL, &a->k, err, "%s.key.weight", prefix));
    TRY(add_slot(l, SLOT_MAT, S, S, 1, NULL, &a->v, err, "%s.value.weight", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &a->v_b, NULL, err, "%s.value.bias", prefix));
    TRY(add_slot(l, SLOT_MAT, S, S, 1, NULL, &a->out, err, "%s.out.weight", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &a->out_b, NULL, err, "%s.out.bias", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &a->ln_w, NULL, err, "%s_ln.weight", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &a->ln_b, NULL, err, "%s_ln.bias", prefix));
    return SL_OK;
}

static sl_status add_block(slot_list *l, whisper_layer_weights *w, const char *prefix,
                           bool cross, int64_t S, sl_error *err)
{
    char p[64];
    snprintf(p, sizeof p, "%s.attn", prefix);
    TRY(add_attn(l, &w->attn, p, S, err));
    if (cross) {
        snprintf(p, sizeof p, "%s.cross_attn", prefix);
        TRY(add_attn(l, &w->cross, p, S, err));
    }
    TRY(add_slot(l, SLOT_MAT, S, 4 * S, 1, NULL, &w->mlp0, err, "%s.mlp.0.weight", prefix));
    TRY(add_slot(l, SLOT_VEC, 4 * S, 1, 1, &w->mlp0_b, NULL, err, "%s.mlp.0.bias", prefix));
    TRY(add_slot(l, SLOT_MAT, 4 * S, S, 1, NULL, &w->mlp1, err, "%s.mlp.2.weight", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &w->mlp1_b, NULL, err, "%s.mlp.2.bias", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &w->mlp_ln_w, NULL, err, "%s.mlp_ln.weight", prefix));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &w->mlp_ln_b, NULL, err, "%s.mlp_ln.bias", prefix));
    return SL_OK;
}

static sl_status plan_tensors(whisper_model *m, slot_list *l, sl_error *err)
{
    const whisper_hparams *hp = &m->hp;
    int64_t S = hp->n_audio_state;
    m->enc = calloc((size_t)hp->n_audio_layer, sizeof *m->enc);
    m->dec = calloc((size_t)hp->n_text_layer, sizeof *m->dec);
    if (!m->enc || !m->dec)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for the layer table", m->path);
    TRY(add_slot(l, SLOT_VEC, S, hp->n_audio_ctx, 1, &m->e_pe, NULL, err,
                 "encoder.positional_embedding"));
    TRY(add_slot(l, SLOT_CONV, 3, hp->n_mels, S, NULL, &m->e_conv1, err, "encoder.conv1.weight"));
    TRY(add_slot(l, SLOT_VEC, 1, S, 1, &m->e_conv1_b, NULL, err, "encoder.conv1.bias"));
    TRY(add_slot(l, SLOT_CONV, 3, S, S, NULL, &m->e_conv2, err, "encoder.conv2.weight"));
    TRY(add_slot(l, SLOT_VEC, 1, S, 1, &m->e_conv2_b, NULL, err, "encoder.conv2.bias"));
    char p[64];
    for (int i = 0; i < hp->n_audio_layer; i++) {
        snprintf(p, sizeof p, "encoder.blocks.%d", i);
        TRY(add_block(l, &m->enc[i], p, false, S, err));
    }
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &m->e_ln_w, NULL, err, "encoder.ln_post.weight"));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &m->e_ln_b, NULL, err, "encoder.ln_post.bias"));
    TRY(add_slot(l, SLOT_MAT, S, hp->n_vocab, 1, NULL, &m->d_te, err,
                 "decoder.token_embedding.weight"));
    TRY(add_slot(l, SLOT_VEC, S, hp->n_text_ctx, 1, &m->d_pe, NULL, err,
                 "decoder.positional_embedding"));
    for (int i = 0; i < hp->n_text_layer; i++) {
        snprintf(p, sizeof p, "decoder.blocks.%d", i);
        TRY(add_block(l, &m->dec[i], p, true, S, err));
    }
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &m->d_ln_w, NULL, err, "decoder.ln.weight"));
    TRY(add_slot(l, SLOT_VEC, S, 1, 1, &m->d_ln_b, NULL, err, "decoder.ln.bias"));
    return SL_OK;
}

static sl_status read_tensor(whisper_model *m, reader *r, slot_list *l, sl_error *err)
{
    size_t rec = r->off;
    int32_t n_dims = 0, name_len = 0, ttype = 0;
    TRY(read_i32(r, "tensor n_dims", &n_dims, err));
    TRY(read_i32(r, "tensor name length", &name_len, err));
    TRY(read_i32(r, "tensor type", &ttype, err));
    if (n_dims < 1 || n_dims > 4)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor record at byte %zu has n_dims %d (1..4)",
                       r->path, rec, n_dims);
    if (name_len < 1 || name_len > MAX_NAME_BYTES)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: tensor record at byte %zu has name length %d (1..%d)", r->path, rec,
                       name_len, MAX_NAME_BYTES);
    int64_t ne[4] = {1, 1, 1, 1};
    for (int i = 0; i < n_dims; i++) {
        int32_t d = 0;
        TRY(read_i32(r, "tensor dimension", &d, err));
        if (d < 1)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: tensor record at byte %zu has dimension %d = %d", r->path, rec, i,
                           d);
        ne[i] = d;
    }
    TRY(need(r, (size_t)name_len, "tensor name", err));
    char name[MAX_NAME_BYTES + 1];
    memcpy(name, r->p + r->off, (size_t)name_len);
    name[name_len] = 0;
    r->off += (size_t)name_len;
    for (int i = 0; i < name_len; i++)
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
            name[i] = '?';

    slot *s = NULL;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->s[i].name, name) == 0) {
            s = &l->s[i];
            break;
        }
    if (!s)
        return sl_fail(err, SL_ERR_FORMAT, "%s: unknown tensor '%s' at byte %zu", r->path, name,
                       rec);
    if (s->loaded)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' appears twice (byte %zu)", r->path,
                       name, rec);
    for (int i = 0; i < 4; i++)
        if (ne[i] != s->ne[i])
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: tensor '%s' has shape [%lld, %lld, %lld], expected [%lld, %lld, "
                           "%lld]",
                           r->path, name, (long long)ne[0], (long long)ne[1], (long long)ne[2],
                           (long long)s->ne[0], (long long)s->ne[1], (long long)s->ne[2]);
    if (ttype < 0 || !tensor_type_known((uint32_t)ttype))
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' has unknown type %d", r->path, name,
                       ttype);
    tensor_type type = (tensor_type)ttype;

    /* Rows: ne[0] elements each; a conv kernel is S rows of 3*C. */
    int64_t cols = s->kind == SLOT_CONV ? ne[0] * ne[1] : ne[0];
    int64_t rows = s->kind == SLOT_CONV ? ne[2] : ne[1] * ne[2] * ne[3];
    size_t row_bytes;
    if (!tensor_type_row_bytes(type, cols, &row_bytes))
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: tensor '%s': %lld elements per row are not whole %s blocks", r->path,
                       name, (long long)cols, tensor_type_name(type));
    if (rows > 0 && row_bytes > SIZE_MAX / (size_t)rows)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' size overflows", r->path, name);
    size_t bytes = row_bytes * (size_t)rows;
    char what[160];
    snprintf(what, sizeof what, "tensor '%s' data", name);
    TRY(need(r, bytes, what, err));
    const uint8_t *data = r->p + r->off;
    r->off += bytes;

    if (s->kind == SLOT_VEC) {
        if (type != TENSOR_F32 && type != TENSOR_F16)
            return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' is %s; F32 or F16 expected",
                           r->path, name, tensor_type_name(type));
        size_t n = (size_t)(cols * rows);
        float *v = own(m, n * sizeof(float));
        if (!v)
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for tensor '%s'", r->path, name);
        if (type == TENSOR_F32) {
            memcpy(v, data, n * sizeof(float));
        } else {
            for (size_t i = 0; i < n; i++) {
                uint16_t h;
                memcpy(&h, data + 2 * i, 2);
                v[i] = fp16_to_f32(h);
            }
        }
        for (size_t i = 0; i < n; i++)
            if (!isfinite(v[i]))
                return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value",
                               r->path, name);
        *s->vec = v;
    } else {
        if (!quant_weight_type_supported(type))
            return sl_fail(err, SL_ERR_UNSUPPORTED,
                           "%s: tensor '%s' has type %s, which the kernels cannot multiply",
                           r->path, name, tensor_type_name(type));
        size_t align = type == TENSOR_F32 ? 4 : 2;
        const void *ptr = data;
        if ((uintptr_t)data % align != 0) {
            void *copy = own(m, bytes);
            if (!copy)
                return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for tensor '%s'", r->path,
                               name);
            memcpy(copy, data, bytes);
            ptr = copy;
            m->n_copied_tensors++;
        }
        qmatrix *q = s->mat;
        q->type = type;
        q->rows = rows;
        q->cols = cols;
        q->row_stride = row_bytes;
        q->data = ptr;
        TRY(qmatrix_check(q, err));
    }
    m->weight_bytes += bytes;
    s->loaded = true;
    return SL_OK;
}

static sl_status load_tensors(whisper_model *m, reader *r, sl_error *err)
{
    slot_list l = {0};
    sl_status st = plan_tensors(m, &l, err);
    size_t n_loaded = 0;
    while (st == SL_OK && r->off < r->size) {
        st = read_tensor(m, r, &l, err);
        n_loaded++;
    }
    if (st == SL_OK && n_loaded > 0) {
        for (size_t i = 0; i < l.n; i++)
            if (!l.s[i].loaded) {
                st = sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' is missing (%zu of %zu present)",
                             r->path, l.s[i].name, n_loaded, l.n);
                break;
            }
    }
    m->has_weights = st == SL_OK && n_loaded > 0;
    free(l.s);
    return st;
}

static void fill_gelu_table(float *t)
{
    /* ggml's CPU GELU: input rounded to F16, tanh-approximation GELU of
     * that value, result rounded to F16. */
    const float c = 0.79788456080286535587989211986876f;
    for (uint32_t i = 0; i < 65536; i++) {
        float x = fp16_to_f32((uint16_t)i);
        float y = 0.5f * x * (1.0f + tanhf(c * x * (1.0f + 0.044715f * x * x)));
        t[i] = fp16_to_f32(f32_to_fp16(y));
    }
}

/* ---------------------------------------------------------------- main */

static sl_status parse(whisper_model *m, reader *r, sl_error *err)
{
    if (r->size >= 4 && memcmp(r->p, "GGUF", 4) == 0)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: is a GGUF file, not a whisper.cpp model (ggml magic expected)",
                       r->path);
    int32_t magic = 0;
    TRY(read_i32(r, "magic", &magic, err));
    if ((uint32_t)magic != WHISPER_MAGIC)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: bad magic 0x%08x at byte 0 (whisper.cpp model files start with "
                       "0x67676d6c)",
                       r->path, (unsigned)magic);
    whisper_hparams *hp = &m->hp;
    TRY(read_i32(r, "n_vocab", &hp->n_vocab, err));
    TRY(read_i32(r, "n_audio_ctx", &hp->n_audio_ctx, err));
    TRY(read_i32(r, "n_audio_state", &hp->n_audio_state, err));
    TRY(read_i32(r, "n_audio_head", &hp->n_audio_head, err));
    TRY(read_i32(r, "n_audio_layer", &hp->n_audio_layer, err));
    TRY(read_i32(r, "n_text_ctx", &hp->n_text_ctx, err));
    TRY(read_i32(r, "n_text_state", &hp->n_text_state, err));
    TRY(read_i32(r, "n_text_head", &hp->n_text_head, err));
    TRY(read_i32(r, "n_text_layer", &hp->n_text_layer, err));
    TRY(read_i32(r, "n_mels", &hp->n_mels, err));
    TRY(read_i32(r, "ftype", &hp->ftype, err));
    TRY(check_hparams(r->path, hp, err));

    int32_t fm = 0, ff = 0;
    TRY(read_i32(r, "mel filter n_mel", &fm, err));
    TRY(read_i32(r, "mel filter n_fft", &ff, err));
    if (fm != hp->n_mels || ff != WHISPER_N_FREQ)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: mel filters are %d x %d at byte %zu, expected %d x %d", r->path, fm,
                       ff, r->off - 8, hp->n_mels, WHISPER_N_FREQ);
    size_t fbytes = (size_t)fm * (size_t)ff * sizeof(float);
    TRY(need(r, fbytes, "mel filters", err));
    m->filt_n_mel = fm;
    m->filt_n_fft = ff;
    m->filters = own(m, fbytes);
    if (!m->filters)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for the mel filters", r->path);
    memcpy(m->filters, r->p + r->off, fbytes);
    for (size_t i = 0; i < (size_t)fm * (size_t)ff; i++)
        if (!isfinite(m->filters[i]))
            return sl_fail(err, SL_ERR_FORMAT, "%s: mel filter %zu is not finite", r->path, i);
    r->off += fbytes;

    int32_t n_tok = 0;
    size_t tok_at = r->off;
    TRY(read_i32(r, "token count", &n_tok, err));
    if (n_tok < 0 || n_tok > hp->n_vocab)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: token count %d at byte %zu is outside 0..n_vocab (%d)", r->path,
                       n_tok, tok_at, hp->n_vocab);
    m->n_vocab_file = n_tok;
    m->token_bytes = calloc((size_t)n_tok + 1, sizeof *m->token_bytes);
    m->token_len = calloc((size_t)n_tok + 1, sizeof *m->token_len);
    if (!m->token_bytes || !m->token_len)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for the vocabulary", r->path);
    for (int32_t i = 0; i < n_tok; i++) {
        int32_t len = 0;
        size_t at = r->off;
        TRY(read_i32(r, "token length", &len, err));
        if (len < 0 || len > MAX_TOKEN_BYTES)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: token %d at byte %zu has length %u (at most %d)", r->path, i, at,
                           (unsigned)len, MAX_TOKEN_BYTES);
        TRY(need(r, (size_t)len, "token bytes", err));
        m->token_bytes[i] = r->p + r->off;
        m->token_len[i] = (uint32_t)len;
        r->off += (size_t)len;
    }
    place_specials(m);
    if (m->tok.beg >= hp->n_vocab)
        return sl_fail(err, SL_ERR_FORMAT, "%s: n_vocab %d leaves no timestamp tokens", r->path,
                       hp->n_vocab);

    TRY(load_tensors(m, r, err));
    m->gelu_table = own(m, 65536 * sizeof(float));
    if (!m->gelu_table)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", r->path);
    fill_gelu_table(m->gelu_table);
    return SL_OK;
}

sl_status whisper_model_load(const char *path, whisper_model **out, sl_error *err)
{
    *out = NULL;
    if (!path)
        return sl_fail(err, SL_ERR_ARG, "whisper: no model path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat stt;
    if (fstat(fd, &stt) != 0) {
        int e = errno;
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(stt.st_mode)) {
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)stt.st_size;
    if (size < 4) {
        close(fd);
        return sl_fail(err, SL_ERR_FORMAT, "%s: file of %zu bytes is too short for a model", path,
                       size);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return sl_fail(err, SL_ERR_IO, "%s: mmap: %s", path, strerror(e));
    whisper_model *m = calloc(1, sizeof *m);
    char *p = m ? strdup(path) : NULL;
    if (!m || !p) {
        free(m);
        munmap(map, size);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    }
    m->path = p;
    m->map = map;
    m->map_size = size;
    reader r = {p, map, size, 0};
    sl_status st = parse(m, &r, err);
    if (st != SL_OK) {
        whisper_model_free(m);
        return st;
    }
    *out = m;
    return SL_OK;
}

void whisper_model_free(whisper_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->enc);
    free(m->dec);
    free(m->token_bytes);
    free(m->token_len);
    if (m->map)
        munmap(m->map, m->map_size);
    free(m->path);
    free(m);
}
