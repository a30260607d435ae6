/* Audio files of any kind GStreamer can decode (WAV, FLAC, Ogg Vorbis/Opus,
 * MP3 and others where the plugins are installed), decoded to what a
 * recognizer takes: mono float at SPEECH_RATE. GStreamer decodes and mixes
 * to mono (decodebin, audioconvert: channels averaged); resample.h takes it
 * to SPEECH_RATE, so a WAV file gives what wav_read_speech gives. The first
 * audio stream of a container is used; video and other streams are ignored. */
#ifndef SIGHTLINE_SPEECH_AUDIO_FILE_H
#define SIGHTLINE_SPEECH_AUDIO_FILE_H

#include "llm/error.h"
#include "speech/pcm.h"

/* The longest file decoded (4 hours: 920 MB of samples). */
#define AUDIO_FILE_MAX_SECONDS (4 * 3600)

/* Decodes path into out (rate SPEECH_RATE, mono). Errors are one line
 * naming the file: SL_ERR_IO (missing, unreadable, a folder), SL_ERR_FORMAT
 * (empty, not audio, corrupt, no audio stream, no samples), SL_ERR_UNSUPPORTED
 * (no decoder installed for it), SL_ERR_LIMIT (longer than
 * AUDIO_FILE_MAX_SECONDS). */
sl_status audio_load_file(const char *path, pcm_f32 *out, sl_error *err);

#endif
