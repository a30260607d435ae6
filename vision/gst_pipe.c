#include "vision/gst_pipe_internal.h"
#include "vision/vision_init_internal.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------ */

/* GError messages are meant to be one line, but debug details are not; keep
 * the first line only. */
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

sl_status gst_error_to_sl(const char *label, const GError *e, const char *missing,
                          sl_status fallback, sl_error *err)
{
    char msg[256];
    first_line(msg, sizeof msg, e ? e->message : "unknown GStreamer error");
    if ((e && e->domain == GST_CORE_ERROR && e->code == GST_CORE_ERROR_MISSING_PLUGIN) ||
        (e && e->domain == GST_STREAM_ERROR && e->code == GST_STREAM_ERROR_CODEC_NOT_FOUND) ||
        (missing && missing[0]))
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "%s: unsupported format: GStreamer has no %s installed", label,
                       missing && missing[0] ? missing : "decoder for it");
    if (e && e->domain == GST_STREAM_ERROR) {
        if (e->code == GST_STREAM_ERROR_TYPE_NOT_FOUND)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: not a picture or video: GStreamer does not recognise the "
                           "content (%s)",
                           label, msg);
        if (e->code == GST_STREAM_ERROR_DECODE || e->code == GST_STREAM_ERROR_DEMUX ||
            e->code == GST_STREAM_ERROR_FORMAT || e->code == GST_STREAM_ERROR_WRONG_TYPE)
            return sl_fail(err, SL_ERR_FORMAT, "%s: corrupt or truncated data: %s", label, msg);
        return sl_fail(err, SL_ERR_FORMAT, "%s: cannot decode it: %s", label, msg);
    }
    if (e && e->domain == GST_RESOURCE_ERROR)
        return sl_fail(err, fallback, "%s: %s", label, msg);
    return sl_fail(err, fallback == SL_ERR_DEVICE ? SL_ERR_DEVICE : SL_ERR_FORMAT, "%s: %s",
                   label, msg);
}

/* ---- the pipeline ------------------------------------------------------------ */

struct gst_pipe {
    GstElement *pipeline;
    GstElement *tail;   /* first element after the decoder: decodebin links here */
    GstElement *sink;
    GstBus *bus;
    char label[256];
    char missing[128];  /* description from a missing-plugin message */
    sl_status resource_code;
    int with_alpha;
    int eos;
    gint video_linked;  /* set from the streaming thread */
    gint no_video;
};

static GstElement *make_element(GstBin *bin, const char *factory, const char *label,
                                sl_error *err)
{
    GstElement *e = gst_element_factory_make(factory, NULL);
    if (!e) {
        sl_fail(err, SL_ERR_UNSUPPORTED,
                "%s: GStreamer element '%s' is not installed (gstreamer1.0-plugins-base/-good)",
                label, factory);
        return NULL;
    }
    gst_bin_add(bin, e);
    return e;
}

static int pad_is_video(GstPad *pad)
{
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    int video = 0;
    if (caps && gst_caps_get_size(caps) > 0) {
        const char *name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
        video = g_str_has_prefix(name, "video/") || g_str_has_prefix(name, "image/");
    }
    if (caps)
        gst_caps_unref(caps);
    return video;
}

/* decodebin exposes one pad per stream once it knows the streams: the first
 * video stream goes to the conversion tail, anything else (audio, a second
 * video) to a fakesink, because an unlinked pad would stop the pipeline with
 * a not-linked error. */
static void on_pad_added(GstElement *decoder, GstPad *pad, gpointer data)
{
    gst_pipe *p = data;
    if (pad_is_video(pad) && g_atomic_int_compare_and_exchange(&p->video_linked, 0, 1)) {
        GstPad *sinkpad = gst_element_get_static_pad(p->tail, "sink");
        if (gst_pad_link(pad, sinkpad) != GST_PAD_LINK_OK)
            g_atomic_int_set(&p->no_video, 1);
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
    gst_pipe *p = data;
    if (!g_atomic_int_get(&p->video_linked))
        g_atomic_int_set(&p->no_video, 1);
}

static GstCaps *output_caps(const gst_pipe_config *cfg)
{
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING,
                                        cfg->with_alpha ? "RGBA" : "RGB", NULL);
    if (cfg->width > 0 && cfg->height > 0)
        gst_caps_set_simple(caps, "width", G_TYPE_INT, cfg->width, "height", G_TYPE_INT,
                            cfg->height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
    return caps;
}

/* cfg->bytes is set to NULL once a GstBuffer owns them. */
static sl_status build(gst_pipe *p, gst_pipe_config *cfg, sl_error *err)
{
    GstBin *bin = GST_BIN(p->pipeline);
    const char *label = p->label;
    GstElement *src = NULL, *dec = NULL;

    switch (cfg->input) {
    case GST_PIPE_BYTES:
        src = make_element(bin, "appsrc", label, err);
        break;
    case GST_PIPE_FILE:
        src = make_element(bin, "filesrc", label, err);
        if (src)
            g_object_set(src, "location", cfg->location, NULL);
        break;
    case GST_PIPE_CAMERA:
        src = make_element(bin, "v4l2src", label, err);
        if (src)
            g_object_set(src, "device", cfg->location, NULL);
        break;
    case GST_PIPE_TEST:
        src = make_element(bin, "videotestsrc", label, err);
        if (src)
            g_object_set(src, "is-live", TRUE, "pattern", cfg->pattern, NULL);
        break;
    }
    if (!src)
        return err ? err->code : SL_ERR_UNSUPPORTED;

    /* A first videoconvert because videoflip takes fewer formats than the
     * decoders give (a palette BMP arrives as RGB8P). */
    GstElement *pre = make_element(bin, "videoconvert", label, err);
    GstElement *flip = pre ? make_element(bin, "videoflip", label, err) : NULL;
    GstElement *convert = flip ? make_element(bin, "videoconvert", label, err) : NULL;
    GstElement *scale = convert ? make_element(bin, "videoscale", label, err) : NULL;
    GstElement *sink = scale ? make_element(bin, "appsink", label, err) : NULL;
    if (!sink)
        return err ? err->code : SL_ERR_UNSUPPORTED;
    /* video-direction=auto follows the image-orientation tag of phone videos.
     * Pictures are turned by the caller from the EXIF it parsed itself. */
    if (cfg->auto_orient)
        gst_util_set_object_arg(G_OBJECT(flip), "video-direction", "auto");
    GstCaps *caps = output_caps(cfg);
    g_object_set(sink, "caps", caps, "sync", FALSE, "emit-signals", FALSE, NULL);
    gst_caps_unref(caps);
    if (cfg->keep_latest)
        g_object_set(sink, "max-buffers", 1, "drop", TRUE, NULL);
    else
        g_object_set(sink, "max-buffers", 4, "drop", FALSE, NULL);
    if (!gst_element_link_many(pre, flip, convert, scale, sink, NULL))
        return sl_fail(err, SL_ERR_INTERNAL, "%s: cannot link the conversion elements", label);
    p->sink = sink;
    p->tail = pre;

    if (cfg->input == GST_PIPE_TEST) {
        GstCaps *rate = gst_caps_new_simple(
            "video/x-raw", "framerate", GST_TYPE_FRACTION, cfg->fps > 0 ? cfg->fps : 30, 1,
            "width", G_TYPE_INT, cfg->width > 0 ? cfg->width : 640, "height", G_TYPE_INT,
            cfg->height > 0 ? cfg->height : 480, NULL);
        int ok = gst_element_link_filtered(src, pre, rate);
        gst_caps_unref(rate);
        if (!ok)
            return sl_fail(err, SL_ERR_INTERNAL, "%s: cannot link videotestsrc", label);
        g_atomic_int_set(&p->video_linked, 1);
        return SL_OK;
    }

    dec = make_element(bin, "decodebin", label, err);
    if (!dec)
        return err ? err->code : SL_ERR_UNSUPPORTED;
    g_signal_connect(dec, "pad-added", G_CALLBACK(on_pad_added), p);
    g_signal_connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads), p);
    if (!gst_element_link(src, dec))
        return sl_fail(err, SL_ERR_INTERNAL, "%s: cannot link the decoder", label);

    if (cfg->input == GST_PIPE_BYTES) {
        GstAppSrc *app = GST_APP_SRC(src);
        g_object_set(src, "format", GST_FORMAT_BYTES, NULL);
        gst_app_src_set_size(app, (gint64)cfg->n_bytes);
        GstBuffer *buf = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, cfg->bytes,
                                                     cfg->n_bytes, 0, cfg->n_bytes, cfg->bytes,
                                                     free);
        cfg->bytes = NULL;
        if (gst_app_src_push_buffer(app, buf) != GST_FLOW_OK)
            return sl_fail(err, SL_ERR_INTERNAL, "%s: appsrc refused the data", label);
        gst_app_src_end_of_stream(app);
    }
    return SL_OK;
}

/* Pops what the bus holds: an error becomes err, a missing-plugin note is
 * kept for the message, EOS is remembered. Returns SL_OK when nothing failed. */
static sl_status drain_bus(gst_pipe *p, sl_error *err)
{
    GstMessage *m;
    while ((m = gst_bus_pop_filtered(p->bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS |
                                                 GST_MESSAGE_ELEMENT))) {
        sl_status st = SL_OK;
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
            GError *e = NULL;
            gst_message_parse_error(m, &e, NULL);
            st = gst_error_to_sl(p->label, e, p->missing, p->resource_code, err);
            g_clear_error(&e);
        } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
            p->eos = 1;
        } else {
            const GstStructure *s = gst_message_get_structure(m);
            if (s && gst_structure_has_name(s, "missing-plugin")) {
                const char *name = gst_structure_get_string(s, "name");
                GstCaps *detail = NULL;
                if (!name && gst_structure_get(s, "detail", GST_TYPE_CAPS, &detail, NULL) &&
                    detail && gst_caps_get_size(detail) > 0)
                    name = gst_structure_get_name(gst_caps_get_structure(detail, 0));
                first_line(p->missing, sizeof p->missing, name ? name : "this format");
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

sl_status gst_pipe_open(const gst_pipe_config *cfg, gst_pipe **out, sl_error *err)
{
    *out = NULL;
    sl_status st = vision_gst_init(err);
    if (st != SL_OK) {
        if (cfg->input == GST_PIPE_BYTES)
            free(cfg->bytes);
        return st;
    }
    gst_pipe *p = calloc(1, sizeof *p);
    if (!p) {
        if (cfg->input == GST_PIPE_BYTES)
            free(cfg->bytes);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", cfg->label);
    }
    snprintf(p->label, sizeof p->label, "%s", cfg->label);
    p->with_alpha = cfg->with_alpha;
    p->resource_code = cfg->input == GST_PIPE_CAMERA ? SL_ERR_DEVICE : SL_ERR_IO;
    p->pipeline = gst_pipeline_new(NULL);
    p->bus = gst_element_get_bus(p->pipeline);
    gst_pipe_config local = *cfg;
    st = build(p, &local, err);
    if (local.input == GST_PIPE_BYTES)
        free(local.bytes); /* NULL unless build stopped before wrapping them */
    if (st == SL_OK && gst_element_set_state(p->pipeline, GST_STATE_PLAYING) ==
                           GST_STATE_CHANGE_FAILURE) {
        st = drain_bus(p, err);
        if (st == SL_OK)
            st = sl_fail(err, p->resource_code, "%s: GStreamer could not start reading it",
                         p->label);
    }
    if (st != SL_OK) {
        gst_pipe_close(p);
        return st;
    }
    *out = p;
    return SL_OK;
}

static gint64 now_us(void)
{
    return g_get_monotonic_time();
}

/* Copies a decoded sample into *out, laying RGBA over white when asked. */
static sl_status sample_to_frame(gst_pipe *p, GstSample *sample, frame *out, sl_error *err)
{
    GstVideoInfo info;
    GstCaps *caps = gst_sample_get_caps(sample);
    GstBuffer *buf = gst_sample_get_buffer(sample);
    if (!caps || !buf || !gst_video_info_from_caps(&info, caps))
        return sl_fail(err, SL_ERR_INTERNAL, "%s: a decoded frame came without caps", p->label);
    int w = GST_VIDEO_INFO_WIDTH(&info), h = GST_VIDEO_INFO_HEIGHT(&info);
    if (out->pixels && (out->width != w || out->height != h))
        frame_free(out);
    if (!out->pixels) {
        sl_status st = frame_alloc(out, w, h, err);
        if (st != SL_OK) {
            sl_error_prefix(err, "%s: ", p->label);
            return st;
        }
    }
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, &info, buf, GST_MAP_READ))
        return sl_fail(err, SL_ERR_INTERNAL, "%s: cannot map a decoded frame", p->label);
    const uint8_t *src = GST_VIDEO_FRAME_PLANE_DATA(&vf, 0);
    int sstride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0);
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * (size_t)sstride;
        uint8_t *d = out->pixels + (size_t)y * (size_t)out->stride;
        if (!p->with_alpha) {
            memcpy(d, s, (size_t)w * 3);
            continue;
        }
        for (int x = 0; x < w; x++, s += 4, d += 3) {
            unsigned a = s[3], bg = 255u * (255u - a);
            d[0] = (uint8_t)((s[0] * a + bg + 127) / 255);
            d[1] = (uint8_t)((s[1] * a + bg + 127) / 255);
            d[2] = (uint8_t)((s[2] * a + bg + 127) / 255);
        }
    }
    gst_video_frame_unmap(&vf);
    return SL_OK;
}

static sl_status pull_sample(gst_pipe *p, int timeout_ms, GstSample **sample, sl_error *err)
{
    *sample = NULL;
    gint64 deadline = now_us() + (gint64)(timeout_ms > 0 ? timeout_ms : 5000) * 1000;
    for (;;) {
        /* Short slices: an upstream error does not wake the appsink, so the
         * bus is looked at between them. */
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(p->sink), 20 * GST_MSECOND);
        if (s) {
            *sample = s;
            return SL_OK;
        }
        sl_status st = drain_bus(p, err);
        if (st != SL_OK)
            return st;
        if (p->eos || gst_app_sink_is_eos(GST_APP_SINK(p->sink))) {
            p->eos = 1;
            return sl_fail(err, SL_ERR_LIMIT, "%s: end of stream", p->label);
        }
        if (g_atomic_int_get(&p->no_video))
            return sl_fail(err, SL_ERR_FORMAT, "%s: no picture or video stream in it%s%s",
                           p->label, p->missing[0] ? " that can be decoded: " : "", p->missing);
        if (now_us() > deadline)
            return sl_fail(err, p->resource_code == SL_ERR_DEVICE ? SL_ERR_DEVICE : SL_ERR_FORMAT,
                           "%s: no frame arrived within %d ms", p->label,
                           timeout_ms > 0 ? timeout_ms : 5000);
    }
}

sl_status gst_pipe_pull(gst_pipe *p, int timeout_ms, frame *out, sl_error *err)
{
    GstSample *s;
    sl_status st = pull_sample(p, timeout_ms, &s, err);
    if (st != SL_OK)
        return st;
    st = sample_to_frame(p, s, out, err);
    gst_sample_unref(s);
    return st;
}

sl_status gst_pipe_skip(gst_pipe *p, int timeout_ms, sl_error *err)
{
    GstSample *s;
    sl_status st = pull_sample(p, timeout_ms, &s, err);
    if (st == SL_OK)
        gst_sample_unref(s);
    return st;
}

int gst_pipe_at_eos(const gst_pipe *p)
{
    return p->eos;
}

void gst_pipe_close(gst_pipe *p)
{
    if (!p)
        return;
    if (p->pipeline) {
        gst_element_set_state(p->pipeline, GST_STATE_NULL);
        gst_object_unref(p->pipeline);
    }
    if (p->bus)
        gst_object_unref(p->bus);
    free(p);
}
