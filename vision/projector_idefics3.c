/* Projector type "idefics3" (SmolVLM): pixel-shuffle connector and one
 * linear layer; llava-uhd style slicing with the overview last.
 *
 * Facts from llama.cpp d8a24cc: tools/mtmd/models/siglip.cpp and
 * clip.cpp (build_patch_merge_permute, tensor mm.model.fc.weight, key
 * clip.vision.projector.scale_factor), mtmd-image.cpp (the idefics3
 * preprocessor and slice_image: the refined picture is resized with the
 * bicubic filter, keeping the aspect ratio and centred on black (PAD_CEIL,
 * the default for every projector that does not override it); the overview
 * is stretched to the tile size with the corner-aligned bilinear filter),
 * mtmd.cpp (the tokens that frame each tile). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/clip_internal.h"

typedef struct idefics3 {
    int scale;         /* patches merged per side */
    int merged_side;   /* tokens per side after merging (padded up) */
    qmatrix fc;        /* n_embd_out rows of n_embd * scale * scale */
} idefics3;

static sl_status idefics3_load(clip_model *m, sl_error *err)
{
    int64_t s = gguf_get_int(m->file, "clip.vision.projector.scale_factor", 0);
    if (s < 2 || s > 16)
        return sl_fail(err, SL_ERR_FORMAT, "%s: idefics3 needs clip.vision.projector.scale_factor"
                       " in 2..16, found %lld", m->path, (long long)s);
    const gguf_tensor *t = gguf_find_tensor(m->file, "mm.model.fc.weight");
    if (!t)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor 'mm.model.fc.weight' missing", m->path);
    if (t->n_dims != 2 || t->ne[1] < 1 || t->ne[1] > CLIP_MAX_EMBD)
        return sl_fail(err, SL_ERR_FORMAT, "%s: tensor 'mm.model.fc.weight' has a bad shape",
                       m->path);
    idefics3 *p = calloc(1, sizeof *p);
    if (!p)
        return sl_fail(err, SL_ERR_NOMEM, "%s: no memory", m->path);
    m->proj_data = p;
    p->scale = (int)s;
    p->merged_side = (m->n_patches_side + p->scale - 1) / p->scale;
    int64_t in = (int64_t)m->n_embd * s * s;
    sl_status st = clip_get_matrix(m, "mm.model.fc.weight", in, t->ne[1], &p->fc, err);
    if (st != SL_OK)
        return st;
    m->n_embd_out = (int)t->ne[1];
    m->tokens_per_tile = p->merged_side * p->merged_side;
    return SL_OK;
}

static void idefics3_free(clip_model *m)
{
    free(m->proj_data);
    m->proj_data = NULL;
}

/* mtmd's calc_size_preserved_ratio: scale (up or down) so the longer side is
 * `longest`, then round each side up to a multiple of `align`; in float as
 * mtmd does, so that borderline sizes round the same way. */
static void refined_size(int w, int h, int align, int longest, int *rw, int *rh)
{
    float sw = (float)longest / (float)w, sh = (float)longest / (float)h;
    float scale = sw < sh ? sw : sh;
    float tw = (float)w * scale, th = (float)h * scale;
    *rw = (int)ceilf(tw / (float)align) * align;
    *rh = (int)ceilf(th / (float)align) * align;
}

static sl_status idefics3_preprocess(const clip_model *m, const frame *img, int longest_edge,
                                     clip_tiles *out, sl_error *err)
{
    int s = m->image_size;
    int rw = 0, rh = 0;
    if (longest_edge > 0)
        refined_size(img->width, img->height, s, longest_edge, &rw, &rh);
    int cols = rw / s, rows = rh / s;
    if (cols > CLIP_MAX_GRID || rows > CLIP_MAX_GRID || cols * rows > CLIP_MAX_TILES)
        return sl_fail(err, SL_ERR_LIMIT, "clip_preprocess: %d x %d tiles is more than %d (a "
                       "smaller longest edge gives fewer)", cols, rows, CLIP_MAX_TILES);
    rgb_image src = {0}, ov = {0}, ref = {0};
    sl_status st = rgb_image_alloc(&src, img->width, img->height, err);
    if (st != SL_OK)
        return st;
    for (int y = 0; y < img->height; y++)
        memcpy(src.px + (size_t)y * (size_t)img->width * 3, frame_pixel(img, 0, y),
               (size_t)img->width * 3);
    size_t tile_floats = 3 * (size_t)s * (size_t)s;
    out->grid_rows = rows;
    out->grid_cols = cols;
    out->n_tiles = rows * cols + 1;
    out->overview_index = out->n_tiles - 1;
    out->tile_size = s;
    out->pixels = malloc((size_t)out->n_tiles * tile_floats * sizeof(float));
    if (!out->pixels) {
        st = sl_fail(err, SL_ERR_NOMEM, "clip_preprocess: no memory for %d tiles", out->n_tiles);
        goto done;
    }
    if ((st = rgb_image_alloc(&ov, s, s, err)) != SL_OK)
        goto done;
    image_resize_bilinear(&src, &ov);
    image_to_planar(&ov, 0, 0, s, s, m->mean, m->std,
                    out->pixels + (size_t)out->overview_index * tile_floats);
    if (rows * cols > 0) {
        if ((st = rgb_image_alloc(&ref, rw, rh, err)) != SL_OK ||
            (st = image_resize_bicubic_pad(&src, &ref, err)) != SL_OK)
            goto done;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                image_to_planar(&ref, c * s, r * s, s, s, m->mean, m->std,
                                out->pixels + (size_t)(r * cols + c) * tile_floats);
    }
done:
    rgb_image_free(&src);
    rgb_image_free(&ov);
    rgb_image_free(&ref);
    if (st != SL_OK)
        clip_tiles_free(out);
    return st;
}

static size_t idefics3_scratch_floats(const clip_model *m)
{
    const idefics3 *p = m->proj_data;
    return (size_t)m->tokens_per_tile * (size_t)p->fc.cols;
}

/* Pixel shuffle (space to depth): merged token (Y, X), row-major, is the
 * concatenation over dy, then dx, of patch (Y*s + dy, X*s + dx); patches
 * past the edge (when the patch grid is not a multiple of s) are zeros. */
static sl_status idefics3_project(const clip_model *m, matmul_ctx *mm, const float *vit_out,
                                  float *out, float *scratch, sl_error *err)
{
    const idefics3 *p = m->proj_data;
    int s = p->scale, side = m->n_patches_side, ms = p->merged_side;
    size_t e = (size_t)m->n_embd, in = (size_t)p->fc.cols;
    for (int Y = 0; Y < ms; Y++)
        for (int X = 0; X < ms; X++) {
            float *o = scratch + ((size_t)Y * ms + X) * in;
            for (int dy = 0; dy < s; dy++)
                for (int dx = 0; dx < s; dx++) {
                    float *dst = o + ((size_t)dy * s + dx) * e;
                    int py = Y * s + dy, px = X * s + dx;
                    if (py < side && px < side)
                        memcpy(dst, vit_out + ((size_t)py * side + px) * e, e * sizeof(float));
                    else
                        memset(dst, 0, e * sizeof(float));
                }
        }
    return matmul(mm, &p->fc, scratch, (int64_t)in, m->tokens_per_tile, out, m->n_embd_out, err);
}

static sl_status idefics3_prompt(const clip_model *m, const clip_tiles *t, vlm_chunks *out,
                                 sl_error *err)
{
    vlm_chunks_builder b;
    vlm_builder_init(&b, out);
    char buf[96];
    for (int r = 0; r < t->grid_rows; r++) {
        if (r > 0)
            vlm_builder_text(&b, "\n");
        for (int c = 0; c < t->grid_cols; c++) {
            snprintf(buf, sizeof buf, "<fake_token_around_image><row_%d_col_%d>", r + 1, c + 1);
            vlm_builder_text(&b, buf);
            vlm_builder_image(&b, r * t->grid_cols + c, m->tokens_per_tile);
        }
    }
    vlm_builder_text(&b, "\n\n<fake_token_around_image><global-img>");
    vlm_builder_image(&b, t->overview_index, m->tokens_per_tile);
    vlm_builder_text(&b, "<fake_token_around_image>");
    return vlm_builder_finish(&b, err);
}

const clip_projector_ops clip_projector_idefics3 = {
    .name = "idefics3",
    .load = idefics3_load,
    .free = idefics3_free,
    .preprocess = idefics3_preprocess,
    .scratch_floats = idefics3_scratch_floats,
    .project = idefics3_project,
    .prompt = idefics3_prompt,
};
