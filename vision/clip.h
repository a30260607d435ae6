/* The vision half of a vision-language model: llama.cpp's "mmproj" GGUF files
 * (a ViT image encoder and a projector into the text model's embeddings).
 *
 * Flow:
 *   clip_model_load       reads and checks the file (`clip.*` metadata, `v.*`
 *                         and `mm.*` tensors); the projector type
 *                         (clip.projector_type) picks the preprocessing, the
 *                         connector and the prompt layout.
 *   clip_preprocess       cuts a picture into the encoder's square tiles plus
 *                         the overview, resampled and normalised exactly as
 *                         llama.cpp's mtmd does for that projector.
 *   clip_encoder_run      encodes one tile: clip_tokens_per_tile() rows of
 *                         clip_n_embd_out() floats, to be placed in the text
 *                         model's input.
 *   vlm_prompt_chunks     the text that frames the tiles' embeddings in the
 *                         prompt, as a list of text and image chunks.
 *
 * Projector types: idefics3 (SmolVLM). Each type lives in its own file
 * (vision/projector_TYPE.c) behind clip_projector_ops (clip_internal.h).
 *
 * Numerics: the encoder follows llama.cpp's ggml graph (F16 weights multiply
 * activations rounded to F16 with float sums, LayerNorm, tanh-GELU through
 * an F16 table, attention with K and V rounded to F16 as its CPU flash
 * attention does). Its projected embeddings match llama.cpp's within 0.0025
 * (values of RMS about 1) on the shared fixtures.
 * MATMUL_PRECISION_BF16 (clip_encoder_set_precision) multiplies in bfloat16
 * with AVX-512 BF16 dot products: about twice as fast, embeddings within
 * 0.025 of llama.cpp's, which moves the tiny fixture model's logits by up
 * to ~0.03 more (0.154 against llama.cpp's on test.png, limit 0.15). For
 * describe, where latency matters, BF16 is the better choice; for
 * conformance runs against llama.cpp, the default. */
#ifndef SIGHTLINE_VISION_CLIP_H
#define SIGHTLINE_VISION_CLIP_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/gguf.h"
#include "llm/matmul.h"
#include "llm/threadpool.h"
#include "vision/frame.h"

typedef struct clip_model clip_model;

/* Loads an mmproj file. Errors (one line naming the file):
 *   SL_ERR_MODEL        a text model (general.architecture other than
 *                       "clip") or a file without a vision encoder
 *   SL_ERR_UNSUPPORTED  a projector type this build does not know (named)
 *   SL_ERR_FORMAT       missing or inconsistent metadata or tensors
 *   SL_ERR_IO           the file cannot be read */
sl_status clip_model_load(const char *path, clip_model **out, sl_error *err);
void clip_model_free(clip_model *m);

/* True when an open GGUF file is an mmproj (general.architecture "clip"):
 * lets a text-model loader refuse one with a clear message. */
bool clip_gguf_is_mmproj(const gguf_file *f);

/* "idefics3" */
const char *clip_projector_name(const clip_model *m);
/* Width of the projected embeddings: must equal the text model's n_embd. */
int clip_n_embd_out(const clip_model *m);
/* Embedding rows one tile produces. */
int clip_tokens_per_tile(const clip_model *m);
/* Side of the encoder's square input in pixels. */
int clip_image_size(const clip_model *m);
/* Longest edge the picture is resized to before slicing (from the file's
 * clip.vision.preproc_image_size; 0 = no slicing, overview only). */
int clip_longest_edge(const clip_model *m);

/* A picture cut for the encoder. Tiles are numbered in prompt order: the
 * grid row-major (grid_rows x grid_cols, possibly 0 x 0), then the overview
 * (the whole picture at tile size) last, at overview_index. Pixels are
 * planar float: tile i holds 3 planes (R, G, B) of tile_size x tile_size,
 * normalised with the file's mean and std. */
typedef struct clip_tiles {
    int grid_rows;
    int grid_cols;
    int n_tiles;        /* grid_rows * grid_cols + 1 */
    int overview_index; /* n_tiles - 1 */
    int tile_size;
    float *pixels;      /* n_tiles * 3 * tile_size * tile_size */
} clip_tiles;

/* longest_edge: 0 = the file's; otherwise a cap the caller chooses (a
 * smaller one means fewer tiles and a shorter wait; it is rounded up to the
 * tile size by the slicing rule). The picture must be at least 1 x 1 and at
 * most 16384 pixels a side. */
sl_status clip_preprocess(const clip_model *m, const frame *img, int longest_edge,
                          clip_tiles *out, sl_error *err);
void clip_tiles_free(clip_tiles *t);
static inline const float *clip_tiles_tile(const clip_tiles *t, int i)
{
    return t->pixels + (int64_t)i * 3 * t->tile_size * t->tile_size;
}

/* Encoder state: scratch for one tile at a time, reused between tiles. The
 * model and the pool must outlive it; pool may be NULL (calling thread). One
 * encoder is used by one thread at a time. */
typedef struct clip_encoder clip_encoder;

sl_status clip_encoder_create(const clip_model *m, thread_pool *pool, clip_encoder **out,
                              sl_error *err);
void clip_encoder_free(clip_encoder *e);
/* MATMUL_PRECISION_GGML (default) or MATMUL_PRECISION_BF16 (llm/matmul.h). */
void clip_encoder_set_precision(clip_encoder *e, matmul_precision p);
/* tile_pixels: one tile as clip_tiles_tile gives it; embd_out:
 * clip_tokens_per_tile() x clip_n_embd_out() floats, row-major. */
sl_status clip_encoder_run(clip_encoder *e, const float *tile_pixels, float *embd_out,
                           sl_error *err);

/* One-shot form of the three calls above. */
sl_status clip_encode_tile(const clip_model *m, thread_pool *pool, const float *tile_pixels,
                           float *embd_out, sl_error *err);

/* ---- the prompt around the tiles ---- */

typedef enum vlm_chunk_type {
    VLM_CHUNK_TEXT = 0,  /* text, special tokens written out: tokenize with
                            special-token parsing, no BOS */
    VLM_CHUNK_IMAGE = 1, /* the embeddings of one tile */
} vlm_chunk_type;

typedef struct vlm_chunk {
    vlm_chunk_type type;
    const char *text; /* TEXT: NUL-terminated (owned by the vlm_chunks) */
    int tile;         /* IMAGE: index into clip_tiles */
    int n_tokens;     /* IMAGE: embedding rows (clip_tokens_per_tile) */
} vlm_chunk;

typedef struct vlm_chunks {
    int count;
    vlm_chunk *items;
} vlm_chunks;

/* What replaces the picture marker (`<__media__>`) in the prompt, in order.
 * For idefics3, with R, C counted from 1:
 *   "<fake_token_around_image><row_R_col_C>" IMAGE  for each tile, row-major,
 *   "\n" before the first tile of every row after the first,
 *   "\n\n<fake_token_around_image><global-img>" IMAGE(overview)
 *   "<fake_token_around_image>"
 * (llama.cpp's layout; image chunks carry no `<image>` placeholder tokens:
 * their embeddings take the positions directly). Adjacent text is merged
 * into one chunk. */
sl_status vlm_prompt_chunks(const clip_model *m, const clip_tiles *tiles, vlm_chunks *out,
                            sl_error *err);
void vlm_chunks_free(vlm_chunks *c);

#endif
