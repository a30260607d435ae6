/* WAV files.
 *
 * Reading accepts RIFF/WAVE with PCM integer samples of 8, 16, 24 or 32
 * bits, IEEE float of 32 or 64 bits, plain or WAVE_FORMAT_EXTENSIBLE, any
 * channel count up to PCM_MAX_CHANNELS, chunks in any order. Every chunk is
 * checked against the file size; a data chunk whose size is 0xFFFFFFFF (a
 * stream that never came back to fill it in) runs to the end of the file.
 * Anything truncated, contradictory or unsupported is one error line naming
 * the file: SL_ERR_IO (cannot open or read), SL_ERR_FORMAT (not a WAV file,
 * corrupt, truncated, empty), SL_ERR_UNSUPPORTED (a valid WAV of another
 * encoding, such as A-law or ADPCM).
 *
 * Writing makes 16-bit PCM. The file appears whole or not at all: the data
 * goes to a temporary file beside the target, which is renamed over it
 * once everything is written and flushed. */
#ifndef SIGHTLINE_SPEECH_WAV_H
#define SIGHTLINE_SPEECH_WAV_H

#include "llm/error.h"
#include "speech/pcm.h"

/* Samples as the file holds them (rate, channels), converted to int16:
 * 16-bit files exactly, wider ones rounded, float clipped to [-1, 1]. */
sl_status wav_read(const char *path, pcm_s16 *out, sl_error *err);

/* Mono float at the file's rate, at the file's full precision. */
sl_status wav_read_f32_mono(const char *path, pcm_f32 *out, sl_error *err);

/* What a recognizer takes: mono float at SPEECH_RATE. */
sl_status wav_read_speech(const char *path, pcm_f32 *out, sl_error *err);

/* Writes pcm as a 16-bit PCM WAV file, replacing any file at path.
 * Errors name the path and the cause ("out/x.wav: cannot create: No such
 * file or directory"). */
sl_status wav_write(const char *path, const pcm_s16 *pcm, sl_error *err);

#endif
