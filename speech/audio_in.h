/* Microphone capture (PortAudio) as a stream of mono float chunks at
 * SPEECH_RATE.
 *
 * The default input device is read on a capture thread of our own (not in
 * PortAudio's real-time callback), resampled to SPEECH_RATE with resample.h
 * when the device runs at another rate, and handed to the caller's function
 * chunk by chunk on that thread. */
#ifndef SIGHTLINE_SPEECH_AUDIO_IN_H
#define SIGHTLINE_SPEECH_AUDIO_IN_H

#include "llm/error.h"
#include "speech/pcm.h"

/* Receives each chunk: chunk->rate == SPEECH_RATE and chunk->count is
 * exactly SPEECH_RATE * chunk_ms / 1000 (1600 for the default 100 ms); the
 * samples belong to the capture and are only valid during the call. Return 0 to go on,
 * anything else to stop capturing. Runs on the capture thread. */
typedef int (*audio_in_chunk_fn)(const pcm_f32 *chunk, void *user);

typedef struct audio_in_options {
    int chunk_ms;    /* length of each chunk in milliseconds: 0 = 100; valid 10..1000 */
    int native_rate; /* 1: capture at the device's default rate and resample here (for
                        devices whose own 16 kHz conversion is poor); 0: ask the device
                        for SPEECH_RATE first */
} audio_in_options;

typedef struct audio_in audio_in;

void audio_in_options_default(audio_in_options *o);

/* Opens the default input device and starts capturing (o may be NULL).
 * SL_ERR_DEVICE "no microphone found" when the machine has none, or one
 * line naming the device when it cannot be opened. */
sl_status audio_in_open(const audio_in_options *o, audio_in_chunk_fn fn, void *user,
                        audio_in **out, sl_error *err);

/* Whether the capture thread is still running (it stops when fn asks to or
 * when the device fails). */
int audio_in_running(audio_in *a);

/* Stops capturing (waits for the capture thread: at most one chunk), frees
 * everything, and returns the error that stopped the capture, if any. */
sl_status audio_in_close(audio_in *a, sl_error *err);

/* Convenience: records `seconds` of audio (0 < seconds <= 3600) into out
 * (mono, SPEECH_RATE). */
sl_status audio_in_record(double seconds, pcm_f32 *out, sl_error *err);

#endif
