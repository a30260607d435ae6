/* whisper.cpp's model files ("ggml-tiny.en.bin", "ggml-base-q8_0.bin", ...):
 * the legacy ggml container that whisper.cpp's convert and quantize tools
 * write. Layout (little-endian): u32 magic "ggml" (0x67676d6c); eleven i32
 * hyper-parameters; i32 n_mel, i32 n_fft and n_mel*n_fft f32 mel filters;
 * i32 token count and per token u32 length + bytes; then tensor records to
 * the end of the file: i32 n_dims, i32 name length, i32 ggml type, i32
 * ne[n_dims] (innermost first), the name, the raw data (no alignment).
 *
 * The file is mapped read-only; weight matrices are views into the mapping
 * when their offset meets the kernels' alignment (2 bytes for F16 and the
 * quantized types, 4 for F32) and aligned copies otherwise (whisper.cpp's
 * records are unpadded, so odd name lengths leave many odd offsets). Vectors
 * (biases, norms, positional embeddings, mel filters) are copied to floats.
 *
 * Every count, length, dimension and type is checked against the bytes left
 * and against overflow before use; errors are one line naming the file and
 * the field or byte offset. A file with header and vocabulary but no
 * tensors (whisper.cpp's for-tests-*.bin) loads as a vocabulary-only model:
 * has_weights is false and encoding refuses it. */
#ifndef SIGHTLINE_SPEECH_WHISPER_MODEL_H
#define SIGHTLINE_SPEECH_WHISPER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/matmul.h"

#define WHISPER_SAMPLE_RATE 16000
#define WHISPER_N_FFT 400
#define WHISPER_HOP 160
#define WHISPER_N_FREQ 201 /* 1 + WHISPER_N_FFT / 2 */
#define WHISPER_CHUNK_SECONDS 30

typedef struct whisper_hparams {
    int32_t n_vocab;
    int32_t n_audio_ctx;
    int32_t n_audio_state;
    int32_t n_audio_head;
    int32_t n_audio_layer;
    int32_t n_text_ctx;
    int32_t n_text_state;
    int32_t n_text_head;
    int32_t n_text_layer;
    int32_t n_mels;
    int32_t ftype; /* as stored: quantization version * 1000 + ggml ftype */
} whisper_hparams;

/* Special token ids, placed as whisper.cpp places them for the vocabulary
 * size (English-only 51864, multilingual 51865, large-v3 51866). */
typedef struct whisper_special_tokens {
    int32_t eot, sot, translate, transcribe, solm, prev, nosp, no_timestamps, beg;
    int32_t blank;   /* the token " " (suppressed first), -1 when absent */
    int n_languages; /* language tokens sot+1 .. sot+n_languages */
    bool multilingual;
} whisper_special_tokens;

/* One attention block's weights (self or cross). */
typedef struct whisper_attn_weights {
    qmatrix q, k, v, out;
    const float *q_b, *v_b, *out_b;
    const float *ln_w, *ln_b;
} whisper_attn_weights;

typedef struct whisper_layer_weights {
    whisper_attn_weights attn;
    whisper_attn_weights cross; /* decoder layers only */
    qmatrix mlp0, mlp1;
    const float *mlp0_b, *mlp1_b;
    const float *mlp_ln_w, *mlp_ln_b;
} whisper_layer_weights;

typedef struct whisper_model {
    char *path;
    whisper_hparams hp;
    whisper_special_tokens tok;

    int filt_n_mel, filt_n_fft;
    float *filters; /* [filt_n_mel][filt_n_fft] */

    int32_t n_vocab_file; /* tokens with bytes in the file */
    const uint8_t **token_bytes;
    uint32_t *token_len;

    bool has_weights;
    const float *e_pe;            /* [n_audio_ctx][S] */
    qmatrix e_conv1, e_conv2;     /* rows S, cols 3*C (tap fastest) */
    const float *e_conv1_b, *e_conv2_b;
    const float *e_ln_w, *e_ln_b; /* ln_post */
    whisper_layer_weights *enc;
    const float *d_pe;            /* [n_text_ctx][S] */
    qmatrix d_te;                 /* [n_vocab] rows of S */
    const float *d_ln_w, *d_ln_b;
    whisper_layer_weights *dec;

    float *gelu_table; /* ggml's F16 GELU table, as floats */
    size_t n_copied_tensors;
    size_t weight_bytes;

    /* private */
    void *map;
    size_t map_size;
    void **owned;
    size_t n_owned, cap_owned;
} whisper_model;

sl_status whisper_model_load(const char *path, whisper_model **out, sl_error *err);
void whisper_model_free(whisper_model *model);

/* The bytes of token id (special tokens outside the file's list have none:
 * *len = 0 and NULL). */
const uint8_t *whisper_token_bytes(const whisper_model *model, int32_t id, uint32_t *len);

/* Languages: index 0 "en" .. in whisper.cpp's order; -1 for unknown codes. */
int whisper_lang_id(const char *code);
const char *whisper_lang_code(int id);
int whisper_lang_count(void);

/* Type name of the big matrices ("F16", "Q8_0") for reports. */
const char *whisper_model_weight_type(const whisper_model *model);

#endif
