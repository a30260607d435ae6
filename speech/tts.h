/* Speech synthesis with espeak-ng: text in, 16-bit mono PCM in memory at
 * espeak's own rate (22050 Hz with the standard voices).
 *
 * espeak-ng keeps one synthesizer per process with global settings (voice,
 * rate, pitch, volume). This module is therefore the documented exception to
 * "no global state": the library is initialised once per process
 * (pthread_once) and every tts_synthesize call holds one process-wide mutex
 * while it sets the voice and parameters and synthesizes, so calls from any
 * number of threads are safe and never see each other's settings. The
 * synthesizer is never torn down (espeak-ng cannot be started again after
 * espeak_ng_Terminate). Nothing is printed. */
#ifndef SIGHTLINE_SPEECH_TTS_H
#define SIGHTLINE_SPEECH_TTS_H

#include "llm/error.h"
#include "speech/pcm.h"

#define TTS_RATE_MIN 80
#define TTS_RATE_MAX 450
#define TTS_RATE_DEFAULT 175
#define TTS_PITCH_DEFAULT 50
#define TTS_VOLUME_DEFAULT 100

/* Longest text one call takes (bytes of UTF-8): some 10,000 words, about an
 * hour of speech at the default rate (160 MB of samples). Longer texts are
 * spoken in parts by the caller. */
#define TTS_MAX_TEXT_BYTES (64u * 1024u)

typedef struct tts_options {
    const char *voice; /* espeak-ng voice name e.g. "en", "en-us", "de", "en+f3"; NULL = "en" */
    int rate_wpm;      /* words per minute: 0 = default 175; valid 80..450 */
    int pitch;         /* 0..100, -1 = default 50 */
    int volume;        /* 0..200, -1 = default 100 */
} tts_options;

/* voice NULL ("en"), rate 0, pitch -1, volume -1: espeak's defaults. */
void tts_options_default(tts_options *o);

/* Speaks utf8_text into out (mono, espeak's rate; text with nothing to say,
 * such as "", gives a few milliseconds of silence or nothing). The same text
 * may differ by a few samples from one call to the next (espeak-ng keeps a
 * little state between utterances). o may be NULL for the
 * defaults. Errors: SL_ERR_ARG for an unknown voice (naming it), a value out
 * of range (naming the field) or text that is not valid UTF-8; SL_ERR_LIMIT
 * for text over TTS_MAX_TEXT_BYTES; SL_ERR_UNSUPPORTED when espeak-ng or its
 * data cannot be loaded. On failure out is zeroed. */
sl_status tts_synthesize(const char *utf8_text, const tts_options *o, pcm_s16 *out,
                         sl_error *err);

#endif
