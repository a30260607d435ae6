/* Who speaks: an acoustic description of each utterance (its "voice") and
 * the clustering of a meeting's utterances by voice, all on the device.
 *
 * A voice is a fixed-length vector of statistics over the utterance's
 * speech frames: the mean and spread of 12 MFCCs (c1..c12 of a 40-band
 * log-mel spectrum, 25 ms frames every 10 ms: timbre, the vocal tract) and
 * the median and spread of the pitch (normalised cross-correlation on the
 * signal decimated to 8 kHz, 60..400 Hz: the voice source). Both matter:
 * two voices of one sex are close in pitch but differ in timbre, and
 * speech content moves MFCC means around while pitch stays put.
 *
 * Clustering (speaker_tracker): each dimension is divided by a fixed scale
 * (its typical spread between utterances of one speaker, measured on
 * synthetic and recorded speech), so one distance unit means "as different
 * as one speaker's utterances usually are", the same in every meeting and
 * from the first utterance on. Why fixed scales rather than z-scores over
 * the meeting: the live labels must be decided when the first utterances
 * arrive, where the meeting's own spread is unknown, and a meeting with one
 * speaker would otherwise have its small differences blown up into several.
 *
 * - Online (speaker_tracker_add): an utterance joins the nearest speaker
 *   (distance to the running mean of its voices) when it is within
 *   online_threshold, else it opens a new speaker. Cheap, and the live
 *   transcript shows a label at once.
 * - Final (speaker_tracker_recluster): agglomerative clustering of all the
 *   meeting's utterances, average linkage, merging while the closest pair of
 *   clusters is nearer than final_threshold; this corrects the online pass's
 *   early mistakes (a speaker split because their first utterance was
 *   atypical). The number of speakers is what the threshold leaves; average
 *   linkage because single linkage chains speakers together through
 *   in-between utterances and complete linkage splits a speaker whose
 *   utterances vary. Final labels are numbered so that they agree with the
 *   online ones as far as possible (a name given during the meeting stays on
 *   the same voice). Cost O(n^2) memory and about O(n^2 * merges) time:
 *   fine for the few hundred utterances of a long meeting.
 * Utterances with under a second of speech have statistics too noisy to
 * found a speaker: online they join the nearest speaker (when there is one)
 * without moving its mean, finally the cluster nearest on average. Those
 * with too little speech to describe (frames == 0) take the label of the
 * utterance before them (after them at the start). */
#ifndef SIGHTLINE_SPEECH_SPEAKER_H
#define SIGHTLINE_SPEECH_SPEAKER_H

#include <stddef.h>

#include "llm/error.h"

#define SPEAKER_MFCC 12
#define SPEAKER_DIM (2 * SPEAKER_MFCC + 2)

typedef struct speaker_voice {
    float v[SPEAKER_DIM]; /* MFCC means, MFCC spreads, log2 pitch median, log2 pitch spread */
    float pitch_hz;       /* median pitch, 0 when no voiced frame */
    int frames;           /* speech frames described; 0: too little speech to say */
} speaker_voice;

/* pcm: 16 kHz mono in [-1, 1]; any length (shorter than 0.2 s of speech
 * gives frames == 0). */
sl_status speaker_voice_from_pcm(const float *pcm, size_t n, speaker_voice *out,
                                 sl_error *err);

/* Distance between two voices in the scaled space (see above). */
float speaker_voice_distance(const speaker_voice *a, const speaker_voice *b);

typedef struct speaker_params {
    float online_threshold; /* a new speaker when farther than this from every one */
    float final_threshold;  /* agglomerative merging stops at this distance */
    int max_speakers;       /* merging goes on past the threshold above this count */
} speaker_params;

speaker_params speaker_default_params(void);

typedef struct speaker_tracker speaker_tracker;

sl_status speaker_tracker_create(const speaker_params *p, speaker_tracker **out,
                                 sl_error *err);
void speaker_tracker_free(speaker_tracker *t);

/* Adds the next utterance; *label is its speaker, 1-based (0 when the voice
 * had too little speech and no speaker exists yet to lend a label: callers
 * show it unlabelled). */
sl_status speaker_tracker_add(speaker_tracker *t, const speaker_voice *v, int *label,
                              sl_error *err);
size_t speaker_tracker_count(const speaker_tracker *t);
/* The online label speaker_tracker_add gave utterance i. */
int speaker_tracker_online_label(const speaker_tracker *t, size_t i);

/* Final labels of every utterance added so far (labels: count entries,
 * 1-based; 0 only when no utterance had enough speech). Final speakers, in
 * order of first utterance, keep the online label of their earliest
 * utterance whose label is still free (what the live transcript first
 * called them, so a name given then stays on them); the others take the
 * smallest free numbers. *n_speakers gets how many speakers there are. */
sl_status speaker_tracker_recluster(const speaker_tracker *t, int *labels, int *n_speakers,
                                    sl_error *err);

#endif
