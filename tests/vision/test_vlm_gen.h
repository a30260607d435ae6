/* Writes random-weight mmproj files of any SigLIP + idefics3 shape with the
 * GGUF writer, for tests (bad files, sizes the fixtures lack) and bench/vlm
 * (SmolVLM-shaped models). Header-only: static functions. */
#ifndef SIGHTLINE_TESTS_VISION_TEST_VLM_GEN_H
#define SIGHTLINE_TESTS_VISION_TEST_VLM_GEN_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/fp16.h"
#include "llm/gguf.h"

typedef struct vlm_gen_shape {
    int image_size, patch_size, n_embd, n_ff, n_layer, n_head, scale, n_out, longest_edge;
    const char *projector_type; /* NULL = "idefics3" */
    const char *architecture;   /* NULL = "clip" */
    const char *omit_tensor;    /* a tensor name to leave out, or NULL */
    unsigned seed;
} vlm_gen_shape;

typedef struct vlm_gen_bufs {
    void **p;
    int n, cap;
} vlm_gen_bufs;

static void *vlm_gen_keep(vlm_gen_bufs *b, size_t bytes)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->p = realloc(b->p, (size_t)b->cap * sizeof *b->p);
        if (!b->p)
            abort();
    }
    void *m = malloc(bytes ? bytes : 1);
    if (!m)
        abort();
    return b->p[b->n++] = m;
}

static float vlm_gen_rand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffffff) / 16777216.0f * 2.0f - 1.0f;
}

/* A tensor of uniform values in [-amp, amp] (plus `offset`), F16 for
 * matrices (n_dims >= 2) and F32 for vectors. */
static sl_status vlm_gen_tensor(gguf_writer *w, vlm_gen_bufs *b, const vlm_gen_shape *sh,
                                unsigned *seed, const char *name, int n_dims, int64_t ne0,
                                int64_t ne1, int64_t ne2, int64_t ne3, float amp, float offset)
{
    if (sh->omit_tensor && strcmp(sh->omit_tensor, name) == 0)
        return SL_OK;
    int64_t ne[4] = {ne0, ne1, ne2, ne3};
    int64_t n = ne0 * ne1 * ne2 * ne3;
    if (n_dims >= 2) {
        uint16_t *d = vlm_gen_keep(b, (size_t)n * 2);
        for (int64_t i = 0; i < n; i++)
            d[i] = f32_to_fp16(offset + amp * vlm_gen_rand(seed));
        return gguf_writer_add_tensor(w, name, TENSOR_F16, n_dims, ne, d, NULL);
    }
    float *d = vlm_gen_keep(b, (size_t)n * 4);
    for (int64_t i = 0; i < n; i++)
        d[i] = offset + amp * vlm_gen_rand(seed);
    return gguf_writer_add_tensor(w, name, TENSOR_F32, n_dims, ne, d, NULL);
}

static sl_status vlm_gen_write(const char *path, const vlm_gen_shape *sh, sl_error *err)
{
    gguf_writer *w;
    sl_status st = gguf_writer_create(&w, err);
    if (st != SL_OK)
        return st;
    vlm_gen_bufs b = {0};
    unsigned seed = sh->seed ? sh->seed : 1234u;
    int e = sh->n_embd, f = sh->n_ff, p = sh->patch_size;
    int np = (sh->image_size / p) * (sh->image_size / p);
    float mean[3] = {0.5f, 0.5f, 0.5f}, sd[3] = {0.5f, 0.5f, 0.5f};
    char name[96];
#define CHECK(x)                                                                              \
    if ((st = (x)) != SL_OK)                                                                  \
        goto done;
    CHECK(gguf_writer_set_str(w, "general.architecture",
                              sh->architecture ? sh->architecture : "clip", err));
    CHECK(gguf_writer_set_bool(w, "clip.has_vision_encoder", true, err));
    CHECK(gguf_writer_set_str(w, "clip.projector_type",
                              sh->projector_type ? sh->projector_type : "idefics3", err));
    CHECK(gguf_writer_set_bool(w, "clip.use_gelu", true, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.image_size", (uint32_t)sh->image_size, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.patch_size", (uint32_t)p, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.embedding_length", (uint32_t)e, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.feed_forward_length", (uint32_t)f, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.block_count", (uint32_t)sh->n_layer, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.attention.head_count", (uint32_t)sh->n_head, err));
    CHECK(gguf_writer_set_f32(w, "clip.vision.attention.layer_norm_epsilon", 1e-6f, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.projection_dim", (uint32_t)sh->n_out, err));
    CHECK(gguf_writer_set_u32(w, "clip.vision.projector.scale_factor", (uint32_t)sh->scale, err));
    if (sh->longest_edge)
        CHECK(gguf_writer_set_u32(w, "clip.vision.preproc_image_size",
                                  (uint32_t)sh->longest_edge, err));
    CHECK(gguf_writer_set_arr_num(w, "clip.vision.image_mean", GGUF_TYPE_FLOAT32, mean, 3, err));
    CHECK(gguf_writer_set_arr_num(w, "clip.vision.image_std", GGUF_TYPE_FLOAT32, sd, 3, err));

    float ae = 1.0f / sqrtf((float)e), af = 1.0f / sqrtf((float)f);
    CHECK(vlm_gen_tensor(w, &b, sh, &seed, "v.patch_embd.weight", 4, p, p, 3, e,
                         1.0f / sqrtf(3.0f * p * p), 0));
    CHECK(vlm_gen_tensor(w, &b, sh, &seed, "v.patch_embd.bias", 1, e, 1, 1, 1, 0.1f, 0));
    CHECK(vlm_gen_tensor(w, &b, sh, &seed, "v.position_embd.weight", 2, e, np, 1, 1, 0.5f, 0));
    for (int il = 0; il < sh->n_layer; il++) {
        static const char *const att[] = {"attn_q", "attn_k", "attn_v", "attn_out"};
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "v.blk.%d.%s.weight", il, att[i]);
            CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 2, e, e, 1, 1, ae, 0));
            snprintf(name, sizeof name, "v.blk.%d.%s.bias", il, att[i]);
            CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 1, e, 1, 1, 1, 0.05f, 0));
        }
        for (int i = 1; i <= 2; i++) {
            snprintf(name, sizeof name, "v.blk.%d.ln%d.weight", il, i);
            CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 1, e, 1, 1, 1, 0.1f, 1.0f));
            snprintf(name, sizeof name, "v.blk.%d.ln%d.bias", il, i);
            CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 1, e, 1, 1, 1, 0.05f, 0));
        }
        snprintf(name, sizeof name, "v.blk.%d.ffn_up.weight", il);
        CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 2, e, f, 1, 1, ae, 0));
        snprintf(name, sizeof name, "v.blk.%d.ffn_up.bias", il);
        CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 1, f, 1, 1, 1, 0.05f, 0));
        snprintf(name, sizeof name, "v.blk.%d.ffn_down.weight", il);
        CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 2, f, e, 1, 1, af, 0));
        snprintf(name, sizeof name, "v.blk.%d.ffn_down.bias", il);
        CHECK(vlm_gen_tensor(w, &b, sh, &seed, name, 1, e, 1, 1, 1, 0.05f, 0));
    }
    CHECK(vlm_gen_tensor(w, &b, sh, &seed, "v.post_ln.weight", 1, e, 1, 1, 1, 0.1f, 1.0f));
    CHECK(vlm_gen_tensor(w, &b, sh, &seed, "v.post_ln.bias", 1, e, 1, 1, 1, 0.05f, 0));
    int in = e * sh->scale * sh->scale;
    CHECK(vlm_gen_tensor(w, &b, sh, &seed, "mm.model.fc.weight", 2, in, sh->n_out, 1, 1,
                         1.0f / sqrtf((float)in), 0));
    st = gguf_writer_write(w, path, err);
#undef CHECK
done:
    gguf_writer_free(w);
    for (int i = 0; i < b.n; i++)
        free(b.p[i]);
    free(b.p);
    return st;
}

#endif
