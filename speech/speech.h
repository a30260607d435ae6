/* speech/: audio in memory, WAV files, resampling, speech synthesis,
 * playback, microphone capture and audio-file decoding, voice activity
 * detection and speech recognition (Whisper). Other folders
 * include this header only. */
#ifndef SIGHTLINE_SPEECH_SPEECH_H
#define SIGHTLINE_SPEECH_SPEECH_H

#include "speech/audio_file.h"
#include "speech/audio_in.h"
#include "speech/audio_out.h"
#include "speech/pcm.h"
#include "speech/resample.h"
#include "speech/speaker.h"
#include "speech/tts.h"
#include "speech/wav.h"
#include "speech/mel.h"
#include "speech/vad.h"
#include "speech/voice_command.h"
#include "speech/whisper.h"
#include "speech/whisper_model.h"
#include "speech/whisper_transcribe.h"

#endif
