/* Log-mel spectrogram exactly as whisper.cpp computes it (and OpenAI's
 * whisper/audio.py): 400-sample periodic Hann frames every 160 samples,
 * 200 samples of reflection before the audio and 30 s of zeros after it,
 * power spectrum times the model's mel filters, log10 of max(., 1e-10),
 * clamped to (global max - 8) and mapped by (x + 4) / 4.
 *
 * The FFT follows whisper.cpp's radix-2 split down to a 25-point DFT in
 * float with a 400-entry sine/cosine table, so results agree to rounding. */
#ifndef SIGHTLINE_SPEECH_MEL_H
#define SIGHTLINE_SPEECH_MEL_H

#include <stddef.h>

#include "llm/error.h"
#include "llm/threadpool.h"

typedef struct mel_spectrogram {
    int n_mel;
    int n_len;     /* frames, including the 30 s of padding */
    int n_len_org; /* frames that hold audio */
    float *data;   /* [n_mel][n_len] */
} mel_spectrogram;

/* filters: n_mels rows of 201 (WHISPER_N_FREQ) weights, from the model
 * file. pool may be NULL. out is overwritten; free with mel_free. */
sl_status mel_from_pcm(const float *pcm, size_t n, int n_mels, const float *filters,
                       mel_spectrogram *out, thread_pool *pool, sl_error *err);
void mel_free(mel_spectrogram *mel);

#endif
