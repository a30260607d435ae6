/* Whisper's transformer on the engine's kernels: the audio encoder (two
 * 1-D convolutions with GELU, sinusoidal positions, pre-norm attention
 * blocks, ln_post), the cross-attention keys and values it feeds to every
 * decoder layer, and the text decoder with a key/value cache per sequence.
 *
 * Numerics follow whisper.cpp's CPU build: convolution inputs rounded to
 * F16 like its im2col, ggml's F16-table GELU, keys, values and queries of
 * every attention rounded to F16 like its caches and flash attention, and
 * the encoder and cross attention see whisper.cpp's zero key padding to a
 * multiple of 256 (those zero keys take part in the softmax there);
 * whisper_state_set_key_padding(st, false) turns that off.
 *
 * A whisper_state holds the scratch memory, the encoder output, the cross
 * keys/values and n_seq self-attention caches (one per decoder of a beam
 * search). It uses the model read-only: many states may share a model. One
 * state must not be used by two threads at once. */
#ifndef SIGHTLINE_SPEECH_WHISPER_H
#define SIGHTLINE_SPEECH_WHISPER_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/threadpool.h"
#include "speech/mel.h"
#include "speech/whisper_model.h"

typedef struct whisper_state whisper_state;

/* pool may be NULL (the calling thread does everything); it must outlive
 * the state. n_seq >= 1 caches of n_text_ctx positions. */
sl_status whisper_state_create(const whisper_model *model, thread_pool *pool, int n_seq,
                               whisper_state **out, sl_error *err);
void whisper_state_free(whisper_state *st);
void whisper_state_set_key_padding(whisper_state *st, bool on);
/* Encoder products in bfloat16 (AVX512_BF16 dot products, llm/matmul.h's
 * MATMUL_PRECISION_BF16): faster, but on the fixture it moves the encoder
 * output by 1.7e-2 and the first logits by 5.8e-2 from whisper.cpp's (the
 * tolerances are 2e-2 and 5e-2), so it is off by default. */
void whisper_state_set_fast_encoder(whisper_state *st, bool on);

/* whisper.cpp's decoder attention for a single query over 512 or more keys
 * splits the keys into one chunk per thread and combines them in F32, so
 * its logits depend on its thread count. n = 1 (the default) reproduces a
 * 1-thread run, n = 2 a 2-thread run; independent of our own threads. */
void whisper_state_set_kv_chunks(whisper_state *st, int n);
int whisper_state_n_seq(const whisper_state *st);
const whisper_model *whisper_state_model(const whisper_state *st);

/* Encodes the 2 * n_audio_ctx mel frames that start at frame `offset`
 * (frames past the end of mel read as 0, as in whisper.cpp) and computes
 * every decoder layer's cross-attention keys and values. */
sl_status whisper_encode(whisper_state *st, const mel_spectrogram *mel, int offset, sl_error *err);

/* The last encoder output, [n_audio_ctx][n_audio_state] after ln_post. */
const float *whisper_encoder_output(const whisper_state *st);

/* Runs n_tokens tokens of sequence `seq` at positions n_past.. through the
 * decoder, appending their keys/values to that sequence's cache (positions
 * n_past and later are overwritten), and writes the n_vocab logits of the
 * last token to `logits` (may be NULL). n_past + n_tokens <= n_text_ctx. */
sl_status whisper_decode(whisper_state *st, int seq, const int32_t *tokens, int n_tokens,
                         int n_past, float *logits, sl_error *err);

/* Copies the first n_pos cached positions of sequence src to dst. */
sl_status whisper_seq_copy(whisper_state *st, int src, int dst, int n_pos, sl_error *err);

#endif
