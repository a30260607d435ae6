/* speech/: audio in memory, WAV files, resampling, speech synthesis,
 * playback, microphone capture and audio-file decoding. Other folders
 * include this header only. */
#ifndef SIGHTLINE_SPEECH_SPEECH_H
#define SIGHTLINE_SPEECH_SPEECH_H

#include "speech/audio_file.h"
#include "speech/audio_in.h"
#include "speech/audio_out.h"
#include "speech/pcm.h"
#include "speech/resample.h"
#include "speech/tts.h"
#include "speech/wav.h"

#endif
