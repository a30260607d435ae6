/* Why segments are stored one by one: see meeting_capture.h. */
#include <stdlib.h>
#include <string.h>

#include "app/meeting_capture.h"

#define VAD_WINDOW 512

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
    for (size_t i = 0; st == SL_OK && i < n_segs; i++) {
        size_t a = (size_t)segs[i].t0_cs * (SPEECH_RATE / 100);
        size_t b = (size_t)segs[i].t1_cs * (SPEECH_RATE / 100);
        if (b > n)
            b = n;
        if (a >= b)
            continue;
        whisper_result r = {0};
        st = whisper_transcribe(c->model, c->pool, pcm + a, b - a, &c->params, NULL, NULL, &r,
                                err);
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
            st = meeting_add_segment(c->db, c->meeting, t0, t1, NULL, t, NULL, err);
            if (st == SL_OK) {
                c->segments++;
                c->last_t0 = t0;
                if (c->on_segment)
                    c->on_segment(c->ctx, t0, t1, t);
            }
        }
        whisper_result_free(&r);
        if (c->on_progress)
            c->on_progress(c->ctx, (double)b / (double)n);
    }
    free(segs);
    free(probs);
    return st;
}

