/* What the appliance hears: the microphone (PortAudio, speech/audio_in.h,
 * 100 ms chunks on its own thread) or, for tests and machines without one,
 * an audio file that plays the microphone's role: each start "hears" the
 * file from its beginning, chunk by chunk, in real time (or faster).
 * Audio heard accumulates until the caller takes it. Display-free. */
#ifndef SIGHTLINE_APP_APPLIANCE_MIC_H
#define SIGHTLINE_APP_APPLIANCE_MIC_H

#include <stdbool.h>

#include "llm/error.h"
#include "speech/pcm.h"

/* Audio kept between takes: more is dropped (hold-to-talk is short and a
 * meeting takes its audio every few seconds). */
#define APPLIANCE_MIC_MAX_SECONDS 600
#define APPLIANCE_MIC_CHUNK_MS 100

typedef struct appliance_mic appliance_mic;

/* file NULL: the microphone, opened at each start. Otherwise the file is
 * decoded now (speech/audio_file.h: any format GStreamer reads); speed is
 * how many times faster than real time it plays (1 for real time; > 0). */
sl_status appliance_mic_open(const char *file, double speed, appliance_mic **out, sl_error *err);
void appliance_mic_close(appliance_mic *m);

/* Whether this is a file standing in for the microphone. */
bool appliance_mic_is_file(const appliance_mic *m);

/* Starts hearing, dropping anything not taken. Without a microphone:
 * SL_ERR_DEVICE whose message starts "no microphone found". */
sl_status appliance_mic_start(appliance_mic *m, sl_error *err);

/* Stops hearing; what was heard and not taken stays for the next take. */
void appliance_mic_stop(appliance_mic *m);

/* Whether audio is still coming: false once stopped, when the device
 * failed, or when a file has played to its end. */
bool appliance_mic_running(appliance_mic *m);

/* Appends everything heard since the last take to out (SPEECH_RATE mono;
 * out->rate is set) and forgets it here. */
sl_status appliance_mic_take(appliance_mic *m, pcm_f32 *out, sl_error *err);

#endif
