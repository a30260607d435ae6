/* The capture path of a meeting, shared by `meeting start` and the
 * appliance's meeting key: audio through VAD (Silero when a model is given,
 * else the energy detector) into Whisper, one utterance at a time, each
 * recognised segment committed to the database at once so a killed process
 * loses only the utterance being recognised. */
#ifndef SIGHTLINE_APP_MEETING_CAPTURE_H
#define SIGHTLINE_APP_MEETING_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"
#include "speech/speech.h"
#include "storage/storage.h"

/* Told of every stored segment (to print or show it). */
typedef void (*meeting_capture_segment_fn)(void *ctx, int64_t t0_ms, int64_t t1_ms,
                                           const char *text);
/* Told how far through the audio of one meeting_capture_audio call it is. */
typedef void (*meeting_capture_progress_fn)(void *ctx, double fraction);

typedef struct meeting_capture {
    sl_db *db;
    int64_t meeting;
    whisper_model *model;
    vad_model *vad; /* NULL: the energy detector */
    thread_pool *pool;
    whisper_params params;
    meeting_capture_segment_fn on_segment; /* may be NULL */
    meeting_capture_progress_fn on_progress; /* may be NULL */
    void *ctx;
    int64_t segments; /* stored so far */
    int64_t last_t0;  /* segment times never go back */
} meeting_capture;

/* Transcribes and stores the speech in pcm (16 kHz mono), which starts
 * offset_ms into the meeting. */
sl_status meeting_capture_audio(meeting_capture *c, const float *pcm, size_t n, int64_t offset_ms,
                                sl_error *err);

#endif
