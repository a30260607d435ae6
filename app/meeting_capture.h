/* The capture path of a meeting, shared by `meeting start` and the
 * appliance's meeting key: audio through VAD (Silero when a model is given,
 * else the energy detector) into Whisper, one utterance at a time, each
 * recognised segment committed to the database at once so a killed process
 * loses only the utterance being recognised.
 *
 * Speaker labels (label_speakers): each utterance's voice (speech/speaker.h)
 * is matched against the speakers heard so far and its segments are stored
 * as "S1", "S2", ... at once; meeting_capture_finish then reclusters the
 * whole capture and relabels the stored segments where the final pass
 * disagrees. Voices are not stored, so the audio of an earlier capture of the
 * same meeting (before a resume) is not matched: labels continue from
 * label_offset. */
#ifndef SIGHTLINE_APP_MEETING_CAPTURE_H
#define SIGHTLINE_APP_MEETING_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"
#include "speech/speech.h"
#include "storage/storage.h"

/* Told of every stored segment (to print or show it). */
typedef void (*meeting_capture_segment_fn)(void *ctx, int64_t t0_ms, int64_t t1_ms,
                                           const char *text);
/* Told of every stored segment with its speaker label ("" when none). */
typedef void (*meeting_capture_speaker_segment_fn)(void *ctx, int64_t t0_ms, int64_t t1_ms,
                                                   const char *speaker, const char *text);
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
    /* Added for speaker labels and stopping; zero keeps the old behaviour. */
    bool label_speakers; /* then call meeting_capture_finish or _free */
    int label_offset;    /* labels start at S(label_offset + 1) */
    speaker_params speaker_params; /* all zero: speaker_default_params() */
    meeting_capture_speaker_segment_fn on_speaker_segment; /* may be NULL */
    /* When it becomes non-zero (a signal handler sets it), capture stops
     * after the utterance being recognised: that one is still stored. */
    const volatile sig_atomic_t *stop;
    /* Filled by the capture: */
    speaker_tracker *speakers;
    int64_t *segment_ids;  /* stored segments ... */
    size_t *segment_utts;  /* ... and the utterance (tracker index) of each */
    size_t n_segment_ids, cap_segment_ids;
} meeting_capture;

/* Transcribes and stores the speech in pcm (16 kHz mono), which starts
 * offset_ms into the meeting. */
sl_status meeting_capture_audio(meeting_capture *c, const float *pcm, size_t n, int64_t offset_ms,
                                sl_error *err);

/* The final speaker pass: reclusters every utterance of this capture and
 * relabels its stored segments whose label changes; *n_speakers (may be
 * NULL) gets how many speakers it found. Then frees what
 * meeting_capture_free frees. Nothing to do without label_speakers. */
sl_status meeting_capture_finish(meeting_capture *c, int *n_speakers, sl_error *err);
/* Frees the speaker state (not db, model, vad or pool: the caller's). */
void meeting_capture_free(meeting_capture *c);

#endif
