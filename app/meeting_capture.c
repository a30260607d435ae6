/* Why segments are stored one by one, and how speakers are labelled: see
 * meeting_capture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/meeting_capture.h"

#define VAD_WINDOW 512

static void speaker_label(const meeting_capture *c, int label, char *buf, size_t n)
{
    if (label > 0)
        snprintf(buf, n, "S%d", c->label_offset + label);
    else
        buf[0] = '\0';
}

static sl_status remember_segment(meeting_capture *c, int64_t id, size_t utt, sl_error *err)
{
    if (c->n_segment_ids == c->cap_segment_ids) {
        size_t cap = c->cap_segment_ids ? c->cap_segment_ids * 2 : 64;
        int64_t *ids = realloc(c->segment_ids, cap * sizeof *ids);
        if (ids)
            c->segment_ids = ids;
        size_t *utts = realloc(c->segment_utts, cap * sizeof *utts);
        if (utts)
            c->segment_utts = utts;
        if (!ids || !utts)
            return sl_fail(err, SL_ERR_NOMEM, "out of memory keeping the meeting's segments");
        c->cap_segment_ids = cap;
    }
    c->segment_ids[c->n_segment_ids] = id;
    c->segment_utts[c->n_segment_ids++] = utt;
    return SL_OK;
}

/* The voice of pcm[0..n) joins the tracker; *label its live speaker. */
static sl_status label_utterance(meeting_capture *c, const float *pcm, size_t n, int *label,
                                 sl_error *err)
{
    *label = 0;
    if (!c->label_speakers)
        return SL_OK;
    sl_status st = SL_OK;
    if (!c->speakers) {
        speaker_params p = c->speaker_params;
        if (p.online_threshold <= 0 && p.final_threshold <= 0 && p.max_speakers <= 0)
            p = speaker_default_params();
        st = speaker_tracker_create(&p, &c->speakers, err);
    }
    speaker_voice v;
    if (st == SL_OK)
        st = speaker_voice_from_pcm(pcm, n, &v, err);
    if (st == SL_OK)
        st = speaker_tracker_add(c->speakers, &v, label, err);
    return st;
}

sl_status meeting_capture_audio(meeting_capture *c, const float *pcm, size_t n, int64_t offset_ms,
                                sl_error *err)
{
    float *probs = NULL;
    size_t n_probs = 0, n_segs = 0;
    vad_segment *segs = NULL;
    int window = c->vad ? vad_model_window(c->vad) : VAD_WINDOW;
    sl_status st = c->vad ? vad_speech_probs(c->vad, pcm, n, &probs, &n_probs, err)
                          : vad_energy_probs(pcm, n, window, &probs, &n_probs, err);
    if (st == SL_OK)
        st = vad_segments(probs, n_probs, window, NULL, &segs, &n_segs, err);
    for (size_t i = 0; st == SL_OK && i < n_segs && !(c->stop && *c->stop); i++) {
        size_t a = (size_t)segs[i].t0_cs * (SPEECH_RATE / 100);
        size_t b = (size_t)segs[i].t1_cs * (SPEECH_RATE / 100);
        if (b > n)
            b = n;
        if (a >= b)
            continue;
        int label = 0;
        char who[32];
        st = label_utterance(c, pcm + a, b - a, &label, err);
        speaker_label(c, label, who, sizeof who);
        size_t utt = c->speakers ? speaker_tracker_count(c->speakers) - 1 : 0;
        whisper_result r = {0};
        if (st == SL_OK)
            st = whisper_transcribe(c->model, c->pool, pcm + a, b - a, &c->params, NULL, NULL,
                                    &r, err);
        int64_t base = offset_ms + segs[i].t0_cs * 10, end = offset_ms + segs[i].t1_cs * 10;
        for (int k = 0; st == SL_OK && k < r.n_segments; k++) {
            const whisper_segment *w = &r.segments[k];
            const char *t = w->text ? w->text : "";
            while (*t == ' ')
                t++;
            if (!*t)
                continue;
            int64_t t0 = base + (w->t0_ms > 0 ? w->t0_ms : 0);
            int64_t t1 = base + w->t1_ms;
            if (t0 > end)
                t0 = end;
            if (t1 > end || t1 < t0)
                t1 = end;
            if (t0 < c->last_t0)
                t0 = c->last_t0;
            if (t1 < t0)
                t1 = t0;
            int64_t id = 0;
            st = meeting_add_segment(c->db, c->meeting, t0, t1, who[0] ? who : NULL, t, &id,
                                     err);
            if (st == SL_OK && c->speakers)
                st = remember_segment(c, id, utt, err);
            if (st == SL_OK) {
                c->segments++;
                c->last_t0 = t0;
                if (c->on_segment)
                    c->on_segment(c->ctx, t0, t1, t);
                if (c->on_speaker_segment)
                    c->on_speaker_segment(c->ctx, t0, t1, who, t);
            }
        }
        whisper_result_free(&r);
        if (c->on_progress)
            c->on_progress(c->ctx, (double)b / (double)n);
    }
    /* The silence after the last utterance is done too. */
    if (st == SL_OK && c->on_progress && !(c->stop && *c->stop))
        c->on_progress(c->ctx, 1.0);
    free(segs);
    free(probs);
    return st;
}

sl_status meeting_capture_finish(meeting_capture *c, int *n_speakers, sl_error *err)
{
    if (n_speakers)
        *n_speakers = 0;
    if (!c->speakers) {
        meeting_capture_free(c);
        return SL_OK;
    }
    size_t n = speaker_tracker_count(c->speakers);
    int *labels = malloc((n ? n : 1) * sizeof *labels);
    int64_t *ids = malloc((c->n_segment_ids ? c->n_segment_ids : 1) * sizeof *ids);
    char (*names)[32] = malloc((c->n_segment_ids ? c->n_segment_ids : 1) * sizeof *names);
    const char **name_ptrs = malloc((c->n_segment_ids ? c->n_segment_ids : 1) *
                                    sizeof *name_ptrs);
    int k = 0;
    sl_status st = labels && ids && names && name_ptrs
                       ? speaker_tracker_recluster(c->speakers, labels, &k, err)
                       : sl_fail(err, SL_ERR_NOMEM, "out of memory relabelling speakers");
    size_t changed = 0;
    for (size_t i = 0; st == SL_OK && i < c->n_segment_ids; i++) {
        size_t u = c->segment_utts[i];
        if (labels[u] == speaker_tracker_online_label(c->speakers, u))
            continue;
        ids[changed] = c->segment_ids[i];
        speaker_label(c, labels[u], names[changed], sizeof names[changed]);
        name_ptrs[changed] = names[changed];
        changed++;
    }
    if (st == SL_OK && changed)
        st = meeting_relabel_segments(c->db, c->meeting, ids, name_ptrs, changed, err);
    if (st == SL_OK && n_speakers)
        *n_speakers = k;
    free(labels);
    free(ids);
    free(names);
    free(name_ptrs);
    meeting_capture_free(c);
    return st;
}

void meeting_capture_free(meeting_capture *c)
{
    speaker_tracker_free(c->speakers);
    c->speakers = NULL;
    free(c->segment_ids);
    free(c->segment_utts);
    c->segment_ids = NULL;
    c->segment_utts = NULL;
    c->n_segment_ids = c->cap_segment_ids = 0;
}
