/* Sample-rate conversion of mono float audio with libsoxr (high quality:
 * pass band to about 91% of the lower Nyquist frequency, stop band
 * attenuation over 100 dB).
 *
 * A resampler is a stream: feed it input in chunks of any size and it
 * appends the output that is ready to a pcm_f32; resampler_flush gives the
 * tail once the input ends. Over a whole stream the output has
 * round(n_in * out_rate / in_rate) samples, aligned with the input (soxr
 * removes its filter delay). One resampler belongs to one thread at a time. */
#ifndef SIGHTLINE_SPEECH_RESAMPLE_H
#define SIGHTLINE_SPEECH_RESAMPLE_H

#include <stddef.h>

#include "llm/error.h"
#include "speech/pcm.h"

typedef struct resampler resampler;

/* Rates in Hz, each in [1, PCM_MAX_RATE]. Equal rates are fine (a copy). */
sl_status resampler_open(int in_rate, int out_rate, resampler **out, sl_error *err);
void resampler_close(resampler *r);

/* Converts n samples and appends what is ready to out (out->rate is set to
 * the output rate). */
sl_status resampler_process(resampler *r, const float *in, size_t n, pcm_f32 *out,
                            sl_error *err);

/* Ends the stream: appends the rest of the output. The resampler is then
 * spent; open a new one for another stream. */
sl_status resampler_flush(resampler *r, pcm_f32 *out, sl_error *err);

/* One-shot: in (any rate) to a new buffer at out_rate. */
sl_status resample_f32(const pcm_f32 *in, int out_rate, pcm_f32 *out, sl_error *err);

#endif
