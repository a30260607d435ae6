/* Loading an mmproj file: metadata and ViT tensors checked against one
 * another, then the projector type's own part (projector_*.c).
 *
 * Facts (key and tensor names, defaults, the swapped-FFN quirk of some
 * conversions) from llama.cpp's tools/mtmd/clip.cpp and clip-impl.h at
 * d8a24cc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/fp16.h"
#include "llm/quant.h"
#include "vision/clip_internal.h"

static const clip_projector_ops *const projectors[] = {
    &clip_projector_idefics3,
};

bool clip_gguf_is_mmproj(const gguf_file *f)
{
    const char *arch = gguf_get_str(f, "general.architecture", NULL);
    return arch && strcmp(arch, "clip") == 0;
}

sl_status clip_get_matrix(const clip_model *m, const char *name, int64_t cols, int64_t rows,
                          qmatrix *out, sl_error *err)
{
    const gguf_tensor *t = gguf_find_tensor(m->file, name);
    if (!t)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' missing", m->path, name);
    int64_t tcols = t->ne[0], trows = gguf_tensor_elems(t) / (t->ne[0] ? t->ne[0] : 1);
    if (tcols != cols || trows != rows)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: tensor '%s' has %lld x %lld elements, expected %lld x %lld", m->path,
                       name, (long long)trows, (long long)tcols, (long long)rows,
                       (long long)cols);
    if (!quant_weight_type_supported(t->type))
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: tensor '%s' has type %s, which we cannot "
                       "multiply", m->path, name, tensor_type_name(t->type));
    *out = (qmatrix){.type = t->type, .rows = rows, .cols = cols, .row_stride = 0,
                     .data = t->data};
    return qmatrix_check(out, err);
}

sl_status clip_get_vec(const clip_model *m, const char *name, int64_t n, bool required,
                       clip_vec *v, sl_error *err)
{
    v->data = NULL;
    v->n = 0;
    const gguf_tensor *t = gguf_find_tensor(m->file, name);
    if (!t) {
        if (!required)
            return SL_OK;
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' missing", m->path, name);
    }
    if (gguf_tensor_elems(t) != n)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' has %lld elements, expected %lld",
                       m->path, name, (long long)gguf_tensor_elems(t), (long long)n);
    if (t->type != TENSOR_F32 && t->type != TENSOR_F16 && t->type != TENSOR_BF16)
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: tensor '%s' has type %s, expected F32/F16",
                       m->path, name, tensor_type_name(t->type));
    v->data = malloc((size_t)n * sizeof(float));
    if (!v->data)
        return sl_fail(err, SL_ERR_NOMEM, "%s: no memory for tensor '%s'", m->path, name);
    v->n = n;
    return dequantize_row(t->type, t->data, v->data, n, err);
}

static void vec_free(clip_vec *v)
{
    free(v->data);
    v->data = NULL;
}

static sl_status get_u32_in(const clip_model *m, const char *key, uint32_t lo, uint32_t hi,
                            int *out, sl_error *err)
{
    uint32_t v;
    sl_status st = gguf_require_u32(m->file, key, &v, err);
    if (st != SL_OK)
        return st;
    if (v < lo || v > hi)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s = %u is outside %u..%u", m->path,
                       key, v, lo, hi);
    *out = (int)v;
    return SL_OK;
}

static sl_status get_mean_std(clip_model *m, const char *key, float out[3], sl_error *err)
{
    gguf_type et;
    uint64_t n;
    const void *data;
    sl_status st = gguf_get_array(m->file, key, &et, &n, &data, err);
    if (st != SL_OK)
        return st;
    if (et != GGUF_TYPE_FLOAT32 || n < 3)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s must hold 3 float32 values",
                       m->path, key);
    memcpy(out, data, 3 * sizeof(float));
    return SL_OK;
}

/* ggml's CPU backend evaluates GELU on float rows by rounding the input to
 * F16 and reading a 65536-entry table of F16 results (GGML_GELU_FP16);
 * inputs beyond +-10 pass through or give 0. The same table here. */
static sl_status build_act_table(clip_model *m, sl_error *err)
{
    /* + 2: the AVX-512 lookup reads 32-bit words */
    m->act_table = calloc(65536 + 2, sizeof(uint16_t));
    if (!m->act_table)
        return sl_fail(err, SL_ERR_NOMEM, "%s: no memory for the activation table", m->path);
    for (uint32_t i = 0; i < 65536; i++) {
        float x = fp16_to_f32((uint16_t)i), y;
        if (m->ffn_op == CLIP_FFN_GELU)
            y = 0.5f * x *
                (1.0f + tanhf(0.79788456080286535587989211986876f * x *
                              (1.0f + 0.044715f * x * x)));
        else
            y = x * (1.0f / (1.0f + expf(-1.702f * x)));
        m->act_table[i] = f32_to_fp16(y);
    }
    return SL_OK;
}

static sl_status load_hparams(clip_model *m, sl_error *err)
{
    sl_status st;
    if ((st = get_u32_in(m, "clip.vision.image_size", 1, CLIP_MAX_IMAGE_SIZE, &m->image_size,
                         err)) != SL_OK ||
        (st = get_u32_in(m, "clip.vision.patch_size", 1, CLIP_MAX_IMAGE_SIZE, &m->patch_size,
                         err)) != SL_OK ||
        (st = get_u32_in(m, "clip.vision.embedding_length", 1, CLIP_MAX_EMBD, &m->n_embd,
                         err)) != SL_OK ||
        (st = get_u32_in(m, "clip.vision.feed_forward_length", 1, CLIP_MAX_FF, &m->n_ff,
                         err)) != SL_OK ||
        (st = get_u32_in(m, "clip.vision.attention.head_count", 1, CLIP_MAX_HEADS, &m->n_head,
                         err)) != SL_OK ||
        (st = get_u32_in(m, "clip.vision.block_count", 1, CLIP_MAX_LAYERS, &m->n_layer,
                         err)) != SL_OK)
        return st;
    if ((st = gguf_require_f32(m->file, "clip.vision.attention.layer_norm_epsilon", &m->eps,
                               err)) != SL_OK)
        return st;
    if (!(m->eps > 0.0f && m->eps < 1.0f))
        return sl_fail(err, SL_ERR_FORMAT, "%s: layer_norm_epsilon %g is not in (0, 1)",
                       m->path, (double)m->eps);
    if (m->image_size % m->patch_size)
        return sl_fail(err, SL_ERR_FORMAT, "%s: image_size %d is not a multiple of patch_size %d",
                       m->path, m->image_size, m->patch_size);
    if (m->n_embd % m->n_head)
        return sl_fail(err, SL_ERR_FORMAT, "%s: embedding_length %d is not a multiple of "
                       "head_count %d", m->path, m->n_embd, m->n_head);
    m->n_patches_side = m->image_size / m->patch_size;
    if ((int64_t)m->n_patches_side * m->n_patches_side > CLIP_MAX_PATCHES)
        return sl_fail(err, SL_ERR_LIMIT, "%s: %d x %d patches per tile is more than %d",
                       m->path, m->n_patches_side, m->n_patches_side, CLIP_MAX_PATCHES);
    m->n_patches = m->n_patches_side * m->n_patches_side;
    if ((st = get_mean_std(m, "clip.vision.image_mean", m->mean, err)) != SL_OK ||
        (st = get_mean_std(m, "clip.vision.image_std", m->std, err)) != SL_OK)
        return st;
    for (int i = 0; i < 3; i++)
        if (!(m->std[i] != 0.0f && isfinite(m->std[i]) && isfinite(m->mean[i])))
            return sl_fail(err, SL_ERR_FORMAT, "%s: image_mean/image_std value %d is unusable",
                           m->path, i);
    bool gelu = gguf_get_bool(m->file, "clip.use_gelu", false);
    if (gguf_get_bool(m->file, "clip.use_silu", false))
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: SiLU vision encoders are not supported",
                       m->path);
    m->ffn_op = gelu ? CLIP_FFN_GELU : CLIP_FFN_GELU_QUICK;
    int64_t le = gguf_get_int(m->file, "clip.vision.preproc_image_size", 0);
    if (le < 0 || le > CLIP_MAX_IMAGE_SIZE * CLIP_MAX_GRID)
        return sl_fail(err, SL_ERR_FORMAT, "%s: preproc_image_size %lld is out of range",
                       m->path, (long long)le);
    m->longest_edge = (int)le;
    return SL_OK;
}

static sl_status load_layer(clip_model *m, int il, clip_layer *l, sl_error *err)
{
    char name[GGUF_MAX_NAME + 16];
    sl_status st;
    int64_t e = m->n_embd, f = m->n_ff;
#define MAT(field, tn, cols, rows)                                                            \
    snprintf(name, sizeof name, "v.blk.%d.%s.weight", il, tn);                                \
    if ((st = clip_get_matrix(m, name, cols, rows, &l->field, err)) != SL_OK)                 \
        return st;
#define VEC(field, tn, suffix, n, req)                                                        \
    snprintf(name, sizeof name, "v.blk.%d.%s.%s", il, tn, suffix);                            \
    if ((st = clip_get_vec(m, name, n, req, &l->field, err)) != SL_OK)                        \
        return st;

    snprintf(name, sizeof name, "v.blk.%d.attn_qkv.weight", il);
    if (gguf_find_tensor(m->file, name))
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: fused '%s' is not supported", m->path,
                       name);
    MAT(q, "attn_q", e, e)
    MAT(k, "attn_k", e, e)
    MAT(v, "attn_v", e, e)
    MAT(o, "attn_out", e, e)
    VEC(q_b, "attn_q", "bias", e, false)
    VEC(k_b, "attn_k", "bias", e, false)
    VEC(v_b, "attn_v", "bias", e, false)
    VEC(o_b, "attn_out", "bias", e, false)
    VEC(ln1_w, "ln1", "weight", e, false)
    VEC(ln1_b, "ln1", "bias", e, false)
    VEC(ln2_w, "ln2", "weight", e, false)
    VEC(ln2_b, "ln2", "bias", e, false)

    /* Some conversions stored ffn_up and ffn_down under each other's names;
     * llama.cpp recognises them by ffn_down's row length being n_embd. */
    const char *up = "ffn_up", *down = "ffn_down";
    snprintf(name, sizeof name, "v.blk.%d.ffn_down.weight", il);
    const gguf_tensor *td = gguf_find_tensor(m->file, name);
    if (td && td->ne[0] == e && e != f) {
        up = "ffn_down";
        down = "ffn_up";
    }
    MAT(up, up, e, f)
    MAT(down, down, f, e)
    VEC(up_b, up, "bias", f, false)
    VEC(down_b, down, "bias", e, false)
#undef MAT
#undef VEC
    return SL_OK;
}

static void free_layer(clip_layer *l)
{
    clip_vec *v[] = {&l->q_b, &l->k_b, &l->v_b, &l->o_b, &l->up_b, &l->down_b,
                     &l->ln1_w, &l->ln1_b, &l->ln2_w, &l->ln2_b};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        vec_free(v[i]);
}

static sl_status load_vit(clip_model *m, sl_error *err)
{
    sl_status st;
    int64_t e = m->n_embd, p = m->patch_size;
    if (gguf_find_tensor(m->file, "v.class_embd"))
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: encoders with a class embedding are not "
                       "supported", m->path);
    const gguf_tensor *pe = gguf_find_tensor(m->file, "v.patch_embd.weight");
    if (!pe)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor 'v.patch_embd.weight' missing", m->path);
    if (pe->ne[0] != p || pe->ne[1] != p || pe->ne[2] != 3 || pe->ne[3] != e)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor 'v.patch_embd.weight' has shape "
                       "%lld x %lld x %lld x %lld, expected %lld x %lld x 3 x %lld", m->path,
                       (long long)pe->ne[0], (long long)pe->ne[1], (long long)pe->ne[2],
                       (long long)pe->ne[3], (long long)p, (long long)p, (long long)e);
    if (!quant_weight_type_supported(pe->type))
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: tensor 'v.patch_embd.weight' has type %s, "
                       "which we cannot multiply", m->path, tensor_type_name(pe->type));
    /* The convolution as a product: row o is kernel o flattened (c, y, x). */
    m->patch_w = (qmatrix){.type = pe->type, .rows = e, .cols = 3 * p * p, .data = pe->data};
    if ((st = qmatrix_check(&m->patch_w, err)) != SL_OK)
        return st;
    if ((st = clip_get_vec(m, "v.patch_embd.bias", e, false, &m->patch_b, err)) != SL_OK)
        return st;
    const gguf_tensor *pos = gguf_find_tensor(m->file, "v.position_embd.weight");
    if (!pos)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor 'v.position_embd.weight' missing "
                       "(encoders without a learned position embedding are not supported)",
                       m->path);
    if (pos->ne[0] != e || pos->ne[1] < m->n_patches || pos->n_dims > 2)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor 'v.position_embd.weight' has %lld x %lld "
                       "elements, expected %lld x %d", m->path, (long long)pos->ne[1],
                       (long long)pos->ne[0], (long long)e, m->n_patches);
    if ((st = clip_get_vec(m, "v.position_embd.weight", gguf_tensor_elems(pos), true, &m->pos,
                           err)) != SL_OK)
        return st;
    if ((st = clip_get_vec(m, "v.pre_ln.weight", e, false, &m->pre_ln_w, err)) != SL_OK ||
        (st = clip_get_vec(m, "v.pre_ln.bias", e, false, &m->pre_ln_b, err)) != SL_OK ||
        (st = clip_get_vec(m, "v.post_ln.weight", e, false, &m->post_ln_w, err)) != SL_OK ||
        (st = clip_get_vec(m, "v.post_ln.bias", e, false, &m->post_ln_b, err)) != SL_OK)
        return st;
    m->layers = calloc((size_t)m->n_layer, sizeof *m->layers);
    if (!m->layers)
        return sl_fail(err, SL_ERR_NOMEM, "%s: no memory for %d layers", m->path, m->n_layer);
    for (int il = 0; il < m->n_layer; il++)
        if ((st = load_layer(m, il, &m->layers[il], err)) != SL_OK)
            return st;
    return SL_OK;
}

sl_status clip_model_load(const char *path, clip_model **out, sl_error *err)
{
    *out = NULL;
    clip_model *m = calloc(1, sizeof *m);
    if (!m)
        return sl_fail(err, SL_ERR_NOMEM, "%s: no memory", path);
    sl_status st = gguf_open(path, &m->file, err);
    if (st != SL_OK) {
        free(m);
        return st;
    }
    m->path = gguf_path(m->file);
    if (!clip_gguf_is_mmproj(m->file)) {
        const char *arch = gguf_get_str(m->file, "general.architecture", "");
        if (*arch)
            st = sl_fail(err, SL_ERR_MODEL, "%s: this is a '%s' model, not a vision projector "
                         "(mmproj, general.architecture 'clip'): give it as the text model and "
                         "the mmproj file as the projector", m->path, arch);
        else
            st = sl_fail(err, SL_ERR_MODEL, "%s: not a vision projector (mmproj): "
                         "general.architecture is missing", m->path);
        goto fail;
    }
    if (!gguf_get_bool(m->file, "clip.has_vision_encoder", false)) {
        st = sl_fail(err, SL_ERR_MODEL, "%s: this mmproj has no vision encoder "
                     "(clip.has_vision_encoder is not true)", m->path);
        goto fail;
    }
    const char *ptype = gguf_get_str(m->file, "clip.projector_type", NULL);
    if (!ptype)
        ptype = gguf_get_str(m->file, "clip.vision.projector_type", NULL);
    if (!ptype) {
        st = sl_fail(err, SL_ERR_FORMAT, "%s: metadata clip.projector_type missing", m->path);
        goto fail;
    }
    for (size_t i = 0; i < sizeof projectors / sizeof projectors[0]; i++)
        if (strcmp(projectors[i]->name, ptype) == 0)
            m->proj = projectors[i];
    if (!m->proj) {
        st = sl_fail(err, SL_ERR_UNSUPPORTED, "%s: projector type '%s' is not supported "
                     "(supported: idefics3)", m->path, ptype);
        goto fail;
    }
    if ((st = load_hparams(m, err)) != SL_OK || (st = load_vit(m, err)) != SL_OK ||
        (st = build_act_table(m, err)) != SL_OK || (st = m->proj->load(m, err)) != SL_OK)
        goto fail;
    if (m->n_embd_out <= 0 || m->tokens_per_tile <= 0) {
        st = sl_fail(err, SL_ERR_INTERNAL, "%s: projector '%s' set no output shape", m->path,
                     ptype);
        goto fail;
    }
    *out = m;
    return SL_OK;
fail:
    clip_model_free(m);
    return st;
}

void clip_model_free(clip_model *m)
{
    if (!m)
        return;
    if (m->proj && m->proj->free)
        m->proj->free(m);
    if (m->layers)
        for (int i = 0; i < m->n_layer; i++)
            free_layer(&m->layers[i]);
    free(m->layers);
    vec_free(&m->patch_b);
    vec_free(&m->pos);
    vec_free(&m->pre_ln_w);
    vec_free(&m->pre_ln_b);
    vec_free(&m->post_ln_w);
    vec_free(&m->post_ln_b);
    free(m->act_table);
    gguf_close(m->file);
    free(m);
}

const char *clip_projector_name(const clip_model *m)
{
    return m->proj->name;
}

int clip_n_embd_out(const clip_model *m)
{
    return m->n_embd_out;
}

int clip_tokens_per_tile(const clip_model *m)
{
    return m->tokens_per_tile;
}

int clip_image_size(const clip_model *m)
{
    return m->image_size;
}

int clip_longest_edge(const clip_model *m)
{
    return m->longest_edge;
}

sl_status clip_preprocess(const clip_model *m, const frame *img, int longest_edge,
                          clip_tiles *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!img || !img->pixels || img->width < 1 || img->height < 1 ||
        img->width > CLIP_MAX_PICTURE_SIDE || img->height > CLIP_MAX_PICTURE_SIDE ||
        img->stride < 3 * img->width)
        return sl_fail(err, SL_ERR_ARG, "clip_preprocess: bad picture %d x %d",
                       img ? img->width : 0, img ? img->height : 0);
    if (longest_edge < 0 || longest_edge > CLIP_MAX_IMAGE_SIZE * CLIP_MAX_GRID)
        return sl_fail(err, SL_ERR_ARG, "clip_preprocess: longest edge %d out of range",
                       longest_edge);
    return m->proj->preprocess(m, img, longest_edge ? longest_edge : m->longest_edge, out, err);
}

void clip_tiles_free(clip_tiles *t)
{
    if (!t)
        return;
    free(t->pixels);
    memset(t, 0, sizeof *t);
}

sl_status vlm_prompt_chunks(const clip_model *m, const clip_tiles *tiles, vlm_chunks *out,
                            sl_error *err)
{
    out->count = 0;
    out->items = NULL;
    if (!tiles || tiles->n_tiles < 1 || tiles->n_tiles != tiles->grid_rows * tiles->grid_cols + 1)
        return sl_fail(err, SL_ERR_ARG, "vlm_prompt_chunks: bad tile set");
    return m->proj->prompt(m, tiles, out, err);
}
