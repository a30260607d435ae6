/* Playing audio on the default output device (PortAudio).
 *
 * The first call starts PortAudio (see portaudio_internal.h: once per
 * process, time-limited, with ALSA's and JACK's console messages silenced).
 * Audio at a rate or channel count the device does not take is mixed to
 * mono and resampled to the device's own rate. */
#ifndef SIGHTLINE_SPEECH_AUDIO_OUT_H
#define SIGHTLINE_SPEECH_AUDIO_OUT_H

#include "llm/error.h"
#include "speech/pcm.h"

/* Plays pcm and returns once the device has played all of it. An empty
 * buffer returns at once. SL_ERR_DEVICE with one line when there is no
 * output device ("no audio output device found (use --wav FILE to write the
 * speech to a file)"), when it cannot be opened, or when PortAudio does not
 * answer within a few seconds; SL_ERR_ARG for a malformed buffer. */
sl_status audio_play(const pcm_s16 *pcm, sl_error *err);

#endif
