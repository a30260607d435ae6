#include "speech/audio_file.h"

#include <errno.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "speech/resample.h"
#include "speech/speech_gst_internal.h"

/* How long decoding may go without producing anything before we give up
 * (a stuck decoder; real files produce output within milliseconds). */
#define STALL_LIMIT_US (10 * G_USEC_PER_SEC)

typedef struct decode_job {
    const char *path;
    GstElement *pipeline;
    GstElement *convert; /* decodebin's audio pad links here */
    GstElement *sink;
    GstBus *bus;
    resampler *rs;       /* from the stream's rate to SPEECH_RATE */
    int rs_rate;
    gint audio_linked;   /* set from the streaming thread */
    gint no_audio;
    char missing[128];   /* what a missing-plugin message asked for */
} decode_job;

static void first_line(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    while (src && src[n] && src[n] != '\n' && n + 1 < cap) {
        dst[n] = src[n];
        n++;
    }
    while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '.'))
        n--;
    dst[n] = 0;
}

static int pad_is_audio(GstPad *pad)
{
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    int audio = 0;
    if (caps && gst_caps_get_size(caps) > 0)
        audio = g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps, 0)),
                                 "audio/");
    if (caps)
        gst_caps_unref(caps);
    return audio;
}

/* The first audio stream goes to the converter; every other stream to a
 * fakesink, since an unlinked pad would stop the pipeline. */
static void on_pad_added(GstElement *decoder, GstPad *pad, gpointer data)
{
    decode_job *j = data;
    if (pad_is_audio(pad) && g_atomic_int_compare_and_exchange(&j->audio_linked, 0, 1)) {
        GstPad *sinkpad = gst_element_get_static_pad(j->convert, "sink");
        if (gst_pad_link(pad, sinkpad) != GST_PAD_LINK_OK)
            g_atomic_int_set(&j->no_audio, 1);
        gst_object_unref(sinkpad);
        return;
    }
    GstElement *bin = GST_ELEMENT(gst_element_get_parent(decoder));
    GstElement *fake = gst_element_factory_make("fakesink", NULL);
    if (bin && fake) {
        g_object_set(fake, "sync", FALSE, "async", FALSE, NULL);
        gst_bin_add(GST_BIN(bin), fake);
        gst_element_sync_state_with_parent(fake);
        GstPad *sinkpad = gst_element_get_static_pad(fake, "sink");
        gst_pad_link(pad, sinkpad);
        gst_object_unref(sinkpad);
    } else if (fake) {
        gst_object_unref(fake);
    }
    if (bin)
        gst_object_unref(bin);
}

static void on_no_more_pads(GstElement *decoder, gpointer data)
{
    (void)decoder;
    decode_job *j = data;
    if (!g_atomic_int_get(&j->audio_linked))
        g_atomic_int_set(&j->no_audio, 1);
}

static sl_status bus_error(decode_job *j, const GError *e, sl_error *err)
{
    char msg[256];
    first_line(msg, sizeof msg, e && e->message ? e->message : "unknown GStreamer error");
    if (j->missing[0] ||
        (e->domain == GST_CORE_ERROR && e->code == GST_CORE_ERROR_MISSING_PLUGIN) ||
        (e->domain == GST_STREAM_ERROR && e->code == GST_STREAM_ERROR_CODEC_NOT_FOUND)) {
        /* decodebin asks for a "decoder" of whatever it found; text and
         * pictures are not audio at all. */
        if (j->missing[0] && !strstr(j->missing, "audio"))
            return sl_fail(err, SL_ERR_FORMAT, "%s: not an audio file (it holds %s)", j->path,
                           j->missing);
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "%s: unsupported audio format: GStreamer has no %s installed", j->path,
                       j->missing[0] ? j->missing : "decoder for it");
    }
    if (e->domain == GST_STREAM_ERROR) {
        if (e->code == GST_STREAM_ERROR_TYPE_NOT_FOUND)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: not an audio file: GStreamer does not recognise the content",
                           j->path);
        return sl_fail(err, SL_ERR_FORMAT, "%s: corrupt or truncated audio: %s", j->path, msg);
    }
    if (e->domain == GST_RESOURCE_ERROR)
        return sl_fail(err, SL_ERR_IO, "%s: %s", j->path, msg);
    return sl_fail(err, SL_ERR_FORMAT, "%s: cannot decode it: %s", j->path, msg);
}

/* Pops the bus: the first error becomes err; *eos set at the end. */
static sl_status drain_bus(decode_job *j, int *eos, sl_error *err)
{
    GstMessage *m;
    while ((m = gst_bus_pop_filtered(j->bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS |
                                                 GST_MESSAGE_ELEMENT))) {
        sl_status st = SL_OK;
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
            GError *e = NULL;
            gst_message_parse_error(m, &e, NULL);
            st = bus_error(j, e, err);
            g_clear_error(&e);
        } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
            *eos = 1;
        } else {
            const GstStructure *s = gst_message_get_structure(m);
            if (s && gst_structure_has_name(s, "missing-plugin")) {
                GstCaps *detail = NULL;
                const char *name = NULL;
                if (gst_structure_get(s, "detail", GST_TYPE_CAPS, &detail, NULL) && detail &&
                    gst_caps_get_size(detail) > 0)
                    name = gst_structure_get_name(gst_caps_get_structure(detail, 0));
                if (!name)
                    name = gst_structure_get_string(s, "name");
                first_line(j->missing, sizeof j->missing, name ? name : "this format");
                if (detail)
                    gst_caps_unref(detail);
            }
        }
        gst_message_unref(m);
        if (st != SL_OK)
            return st;
    }
    return SL_OK;
}

static GstElement *add_element(decode_job *j, const char *factory, sl_error *err)
{
    GstElement *e = gst_element_factory_make(factory, NULL);
    if (!e) {
        sl_fail(err, SL_ERR_UNSUPPORTED,
                "%s: GStreamer element '%s' is not installed (gstreamer1.0-plugins-base)",
                j->path, factory);
        return NULL;
    }
    gst_bin_add(GST_BIN(j->pipeline), e);
    return e;
}

static sl_status build(decode_job *j, sl_error *err)
{
    j->pipeline = gst_pipeline_new(NULL);
    if (!j->pipeline)
        return sl_fail(err, SL_ERR_INTERNAL, "%s: cannot make a GStreamer pipeline", j->path);
    j->bus = gst_element_get_bus(j->pipeline);
    GstElement *src = add_element(j, "filesrc", err);
    GstElement *dec = src ? add_element(j, "decodebin", err) : NULL;
    GstElement *conv = dec ? add_element(j, "audioconvert", err) : NULL;
    GstElement *sink = conv ? add_element(j, "appsink", err) : NULL;
    if (!sink)
        return err ? err->code : SL_ERR_UNSUPPORTED;
    g_object_set(src, "location", j->path, NULL);
    /* Mono float at the file's own rate; resample.h (soxr) takes it to
     * SPEECH_RATE, so a file decoded here gives the samples wav_read_speech
     * gives, at about half the cost of audioresample's default quality. */
    GstCaps *caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE",
                                        "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING,
                                        "interleaved", NULL);
    g_object_set(sink, "caps", caps, "sync", FALSE, "emit-signals", FALSE, "max-buffers", 8,
                 "drop", FALSE, NULL);
    gst_caps_unref(caps);
    if (!gst_element_link(src, dec) || !gst_element_link(conv, sink))
        return sl_fail(err, SL_ERR_INTERNAL, "%s: cannot link the audio decoding elements",
                       j->path);
    j->convert = conv;
    j->sink = sink;
    g_signal_connect(dec, "pad-added", G_CALLBACK(on_pad_added), j);
    g_signal_connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads), j);
    return SL_OK;
}

/* The rate of a decoded sample, which may change mid-stream (chained Ogg
 * streams): then the old resampler's tail is flushed and a new one opened. */
static sl_status follow_rate(decode_job *j, GstSample *sample, pcm_f32 *out, sl_error *err)
{
    GstCaps *caps = gst_sample_get_caps(sample);
    int rate = 0;
    if (!caps || gst_caps_get_size(caps) < 1 ||
        !gst_structure_get_int(gst_caps_get_structure(caps, 0), "rate", &rate) || rate < 1 ||
        rate > PCM_MAX_RATE)
        return sl_fail(err, SL_ERR_FORMAT, "%s: decoded audio has no usable sample rate (%d)",
                       j->path, rate);
    if (j->rs && rate == j->rs_rate)
        return SL_OK;
    sl_status st = SL_OK;
    if (j->rs)
        st = resampler_flush(j->rs, out, err);
    resampler_close(j->rs);
    j->rs = NULL;
    if (st == SL_OK)
        st = resampler_open(rate, SPEECH_RATE, &j->rs, err);
    j->rs_rate = rate;
    return st;
}

static sl_status append_sample(decode_job *j, GstSample *sample, pcm_f32 *out, sl_error *err)
{
    sl_status st = follow_rate(j, sample, out, err);
    if (st != SL_OK)
        return st;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstMapInfo map;
    if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ))
        return sl_fail(err, SL_ERR_INTERNAL, "%s: cannot map decoded audio", j->path);
    size_t n = map.size / sizeof(float);
    double seconds = (double)out->count / SPEECH_RATE + (double)n / j->rs_rate;
    if (seconds > AUDIO_FILE_MAX_SECONDS)
        st = sl_fail(err, SL_ERR_LIMIT, "%s: longer than %d hours, the most that is decoded",
                     j->path, AUDIO_FILE_MAX_SECONDS / 3600);
    if (st == SL_OK)
        st = resampler_process(j->rs, (const float *)map.data, n, out, err);
    gst_buffer_unmap(buf, &map);
    return st;
}

static sl_status run(decode_job *j, pcm_f32 *out, sl_error *err)
{
    if (gst_element_set_state(j->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        int eos = 0;
        sl_status st = drain_bus(j, &eos, err);
        return st != SL_OK ? st
                           : sl_fail(err, SL_ERR_IO, "%s: GStreamer could not start reading it",
                                     j->path);
    }
    gint64 last_progress = g_get_monotonic_time();
    for (;;) {
        /* Short waits: an upstream error does not wake the appsink, so the
         * bus is looked at between them. */
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(j->sink), 20 * GST_MSECOND);
        if (s) {
            sl_status st = append_sample(j, s, out, err);
            gst_sample_unref(s);
            if (st != SL_OK)
                return st;
            last_progress = g_get_monotonic_time();
            continue;
        }
        int eos = 0;
        sl_status st = drain_bus(j, &eos, err);
        if (st != SL_OK)
            return st;
        if (eos || gst_app_sink_is_eos(GST_APP_SINK(j->sink)))
            break;
        if (g_atomic_int_get(&j->no_audio)) {
            if (j->missing[0] && strstr(j->missing, "audio"))
                return sl_fail(err, SL_ERR_UNSUPPORTED,
                               "%s: unsupported audio format: GStreamer has no %s installed",
                               j->path, j->missing);
            return sl_fail(err, SL_ERR_FORMAT, "%s: no audio stream in it", j->path);
        }
        if (g_get_monotonic_time() - last_progress > STALL_LIMIT_US)
            return sl_fail(err, SL_ERR_FORMAT, "%s: decoding made no progress for %d s",
                           j->path, (int)(STALL_LIMIT_US / G_USEC_PER_SEC));
    }
    if (j->rs) {
        sl_status st = resampler_flush(j->rs, out, err);
        if (st != SL_OK)
            return st;
    }
    if (out->count == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: no audio samples in it", j->path);
    return SL_OK;
}

sl_status audio_load_file(const char *path, pcm_f32 *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path || !*path)
        return sl_fail(err, SL_ERR_ARG, "audio file: no path given");
    /* GStreamer's own messages for these are long and vague. */
    struct stat st_buf;
    if (stat(path, &st_buf) != 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st_buf.st_mode))
        return sl_fail(err, SL_ERR_IO, "%s: is a folder, not an audio file", path);
    if (!S_ISREG(st_buf.st_mode))
        return sl_fail(err, SL_ERR_IO, "%s: not a regular file", path);
    if (access(path, R_OK) != 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (st_buf.st_size == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: empty file", path);
    sl_status st = speech_gst_init(err);
    if (st != SL_OK)
        return st;

    decode_job j = {0};
    j.path = path;
    pcm_f32 pcm;
    st = pcm_f32_alloc(&pcm, SPEECH_RATE, 0, err);
    if (st == SL_OK)
        st = build(&j, err);
    if (st == SL_OK)
        st = run(&j, &pcm, err);
    if (j.pipeline) {
        gst_element_set_state(j.pipeline, GST_STATE_NULL);
        gst_object_unref(j.pipeline);
    }
    if (j.bus)
        gst_object_unref(j.bus);
    resampler_close(j.rs);
    if (st != SL_OK) {
        pcm_f32_free(&pcm);
        return st;
    }
    *out = pcm;
    return SL_OK;
}
