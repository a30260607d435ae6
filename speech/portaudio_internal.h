/* PortAudio for audio_out.c and audio_in.c (private to speech/).
 *
 * PortAudio is initialised once per process and never terminated: its
 * device probe is slow (ALSA, JACK and OSS are asked in turn) and some hosts
 * hang in it, so it runs on a helper thread that callers wait for with a
 * time limit. Before the probe, alsa-lib's and JACK's message handlers are
 * replaced by ones that drop everything: on a machine without a sound card
 * the probe would otherwise print some 60 lines to stderr. Those handlers are
 * process-wide; nothing else in sightline uses alsa-lib or JACK directly.
 * The devices seen are those present at the first call. */
#ifndef SIGHTLINE_SPEECH_PORTAUDIO_INTERNAL_H
#define SIGHTLINE_SPEECH_PORTAUDIO_INTERNAL_H

#include <portaudio.h>
#include <stddef.h>

#include "llm/error.h"

/* How long the first call waits for the probe, and each open for a stream. */
#define SPEECH_PA_START_TIMEOUT_MS 5000
#define SPEECH_PA_OPEN_TIMEOUT_MS 3000

/* Makes sure PortAudio is initialised; SL_ERR_DEVICE when it failed or did
 * not finish within timeout_ms (a later call waits again). */
sl_status speech_pa_start(int timeout_ms, sl_error *err);

/* Pa_OpenStream (blocking read/write streams: no callback) on a helper
 * thread, waiting at most timeout_ms; a stream that opens after the caller
 * gave up is closed by the helper. what names the device in errors. */
sl_status speech_pa_open(const PaStreamParameters *input, const PaStreamParameters *output,
                         double rate, unsigned long frames_per_buffer, int timeout_ms,
                         const char *what, PaStream **stream, sl_error *err);

/* "device unavailable (ALSA: ...)" for an error code, into buf. */
const char *speech_pa_error_text(PaError e, char *buf, size_t cap);

#endif
