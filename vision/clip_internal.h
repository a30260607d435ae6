/* Internals of the mmproj encoder shared by clip_*.c and projector_*.c. */
#ifndef SIGHTLINE_VISION_CLIP_INTERNAL_H
#define SIGHTLINE_VISION_CLIP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vision/clip.h"

/* Limits on header fields, so a hostile file cannot make us allocate or
 * loop without bound (real models are far below). */
enum {
    CLIP_MAX_IMAGE_SIZE = 4096,
    CLIP_MAX_PATCHES = 4096, /* attention scores are patches^2 floats per thread */
    CLIP_MAX_EMBD = 16384,
    CLIP_MAX_FF = 65536,
    CLIP_MAX_LAYERS = 256,
    CLIP_MAX_HEADS = 256,
    CLIP_MAX_PICTURE_SIDE = 16384,
    CLIP_MAX_GRID = 64,   /* tiles per side */
    CLIP_MAX_TILES = 256, /* tiles per picture (SmolVLM at its 2048 edge: 16) */
};

/* A vector from the file (bias, norm weight, position embedding), converted
 * to float at load. NULL data = absent. */
typedef struct clip_vec {
    float *data;
    int64_t n;
} clip_vec;

typedef struct clip_layer {
    qmatrix q, k, v, o, up, down;
    clip_vec q_b, k_b, v_b, o_b, up_b, down_b;
    clip_vec ln1_w, ln1_b, ln2_w, ln2_b;
} clip_layer;

typedef enum clip_ffn_op {
    CLIP_FFN_GELU,       /* tanh approximation through an F16 table (ggml_gelu) */
    CLIP_FFN_GELU_QUICK, /* x * sigmoid(1.702 x) through an F16 table */
} clip_ffn_op;

typedef struct clip_projector_ops clip_projector_ops;

struct clip_model {
    gguf_file *file;
    const char *path;
    const clip_projector_ops *proj;
    void *proj_data; /* owned by the projector (its free) */

    /* hyperparameters */
    int image_size, patch_size, n_embd, n_ff, n_head, n_layer;
    int n_patches_side, n_patches;
    float eps;
    float mean[3], std[3];
    int longest_edge; /* clip.vision.preproc_image_size, 0 if absent */
    clip_ffn_op ffn_op;
    int n_embd_out, tokens_per_tile; /* set by the projector's load */

    /* weights */
    qmatrix patch_w; /* n_embd rows of 3 * patch * patch (c, y, x) */
    clip_vec patch_b, pos, pre_ln_w, pre_ln_b, post_ln_w, post_ln_b;
    clip_layer *layers;

    uint16_t *act_table; /* 65536 entries: the activation of each F16 value */
};

/* What one projector type supplies. Adding a type: a projector_TYPE.c that
 * defines a clip_projector_ops, and a line in clip_model.c's table. */
struct clip_projector_ops {
    const char *name; /* the clip.projector_type value */
    /* Reads the mm.* tensors and projector metadata; sets n_embd_out and
     * tokens_per_tile; may set proj_data. */
    sl_status (*load)(clip_model *m, sl_error *err);
    void (*free)(clip_model *m);
    /* Cuts a picture into tiles (clip_preprocess). */
    sl_status (*preprocess)(const clip_model *m, const frame *img, int longest_edge,
                            clip_tiles *out, sl_error *err);
    /* Floats of scratch project() needs. */
    size_t (*scratch_floats)(const clip_model *m);
    /* ViT output (n_patches x n_embd) -> tokens_per_tile x n_embd_out. */
    sl_status (*project)(const clip_model *m, matmul_ctx *mm, const float *vit_out, float *out,
                         float *scratch, sl_error *err);
    /* The prompt text around the tiles (vlm_prompt_chunks). */
    sl_status (*prompt)(const clip_model *m, const clip_tiles *tiles, vlm_chunks *out,
                        sl_error *err);
};

extern const clip_projector_ops clip_projector_idefics3;

/* ---- helpers for projectors (clip_model.c) ---- */

/* A weight matrix by name with the given shape (ne0 = cols, ne1 = rows) and
 * a type matmul accepts. */
sl_status clip_get_matrix(const clip_model *m, const char *name, int64_t cols, int64_t rows,
                          qmatrix *out, sl_error *err);
/* A vector of n elements (F32, F16 or BF16) converted to float; absent and
 * !required leaves v empty. */
sl_status clip_get_vec(const clip_model *m, const char *name, int64_t n, bool required,
                       clip_vec *v, sl_error *err);

/* ---- prompt chunks (vlm_prompt.c) ---- */

typedef struct vlm_chunks_builder {
    vlm_chunks *out;
    int cap;
    char *text; /* pending text, merged until the next image */
    size_t text_len, text_cap;
    sl_status status;
} vlm_chunks_builder;

void vlm_builder_init(vlm_chunks_builder *b, vlm_chunks *out);
void vlm_builder_text(vlm_chunks_builder *b, const char *text);
void vlm_builder_image(vlm_chunks_builder *b, int tile, int n_tokens);
/* Flushes pending text; on failure frees everything and returns the error. */
sl_status vlm_builder_finish(vlm_chunks_builder *b, sl_error *err);

/* ---- resampling as llama.cpp's mtmd does it (image_resize.c) ---- */

typedef struct rgb_image {
    int w, h;
    uint8_t *px; /* w * h * 3, packed */
} rgb_image;

sl_status rgb_image_alloc(rgb_image *img, int w, int h, sl_error *err);
void rgb_image_free(rgb_image *img);
/* mtmd's bilinear: corners aligned (x * (sw-1)/(tw-1)), results truncated. */
void image_resize_bilinear(const rgb_image *src, rgb_image *dst);
/* mtmd's bicubic (Catmull-Rom-like cubic through 4 samples, rounded). */
sl_status image_resize_bicubic(const rgb_image *src, rgb_image *dst, sl_error *err);
/* Aspect-preserving bicubic resize into dst's size, centred on black, as
 * mtmd's resize with PAD_CEIL. */
sl_status image_resize_bicubic_pad(const rgb_image *src, rgb_image *dst, sl_error *err);
/* Writes the w x h block at (x, y) of src as planar normalised floats. */
void image_to_planar(const rgb_image *src, int x, int y, int w, int h, const float mean[3],
                     const float std[3], float *dst);

#endif
