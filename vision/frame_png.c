/* Frames to PNG through GStreamer's pngenc: appsrc ! pngenc ! appsink. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vision/frame_source.h"
#include "vision/gst_pipe_internal.h"

enum { ENCODE_TIMEOUT_MS = 20000 };

static sl_status append(uint8_t **png, size_t *size, size_t *cap, GstBuffer *buf, sl_error *err)
{
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ))
        return sl_fail(err, SL_ERR_INTERNAL, "PNG encoder: cannot map its output");
    if (*size + map.size > *cap) {
        size_t ncap = (*size + map.size) * 2;
        uint8_t *grown = realloc(*png, ncap);
        if (!grown) {
            gst_buffer_unmap(buf, &map);
            return sl_fail(err, SL_ERR_NOMEM, "PNG encoder: out of memory for %zu bytes", ncap);
        }
        *png = grown;
        *cap = ncap;
    }
    memcpy(*png + *size, map.data, map.size);
    *size += map.size;
    gst_buffer_unmap(buf, &map);
    return SL_OK;
}

static GstBuffer *frame_to_buffer(const frame *f, GstVideoInfo *info)
{
    GstBuffer *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
    if (!buf)
        return NULL;
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_WRITE)) {
        gst_buffer_unref(buf);
        return NULL;
    }
    int stride = GST_VIDEO_INFO_PLANE_STRIDE(info, 0);
    for (int y = 0; y < f->height; y++)
        memcpy(map.data + (size_t)y * (size_t)stride, frame_pixel(f, 0, y),
               (size_t)f->width * 3);
    gst_buffer_unmap(buf, &map);
    return buf;
}

sl_status frame_encode_png(const frame *f, uint8_t **png, size_t *size, sl_error *err)
{
    *png = NULL;
    *size = 0;
    if (!f || !f->pixels || f->width <= 0 || f->height <= 0 || f->stride < 3 * f->width)
        return sl_fail(err, SL_ERR_ARG, "PNG encoder: not a valid frame");
    sl_status st = vision_gst_init(err);
    if (st != SL_OK)
        return st;

    GstElement *pipeline = gst_pipeline_new(NULL);
    GstElement *src = gst_element_factory_make("appsrc", NULL);
    GstElement *enc = gst_element_factory_make("pngenc", NULL);
    GstElement *sink = gst_element_factory_make("appsink", NULL);
    if (!src || !enc || !sink) {
        if (src)
            gst_object_unref(src);
        if (enc)
            gst_object_unref(enc);
        if (sink)
            gst_object_unref(sink);
        gst_object_unref(pipeline);
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "PNG encoder: GStreamer's pngenc is not installed (gstreamer1.0-plugins-good)");
    }
    gst_bin_add_many(GST_BIN(pipeline), src, enc, sink, NULL);
    GstVideoInfo info;
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, (guint)f->width, (guint)f->height);
    GST_VIDEO_INFO_FPS_N(&info) = 0;
    GST_VIDEO_INFO_FPS_D(&info) = 1;
    GstCaps *caps = gst_video_info_to_caps(&info);
    g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
    gst_caps_unref(caps);
    g_object_set(enc, "snapshot", TRUE, NULL);
    g_object_set(sink, "sync", FALSE, NULL);
    GstBus *bus = gst_element_get_bus(pipeline);
    size_t cap = 0;

    if (!gst_element_link_many(src, enc, sink, NULL)) {
        st = sl_fail(err, SL_ERR_INTERNAL, "PNG encoder: cannot link appsrc ! pngenc ! appsink");
        goto done;
    }
    GstBuffer *buf = frame_to_buffer(f, &info);
    if (!buf) {
        st = sl_fail(err, SL_ERR_NOMEM, "PNG encoder: out of memory for a %dx%d frame", f->width,
                     f->height);
        goto done;
    }
    GST_BUFFER_PTS(buf) = 0;
    gst_app_src_push_buffer(GST_APP_SRC(src), buf);
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        st = sl_fail(err, SL_ERR_INTERNAL, "PNG encoder: the pipeline would not start");
        goto done;
    }
    gint64 deadline = g_get_monotonic_time() + (gint64)ENCODE_TIMEOUT_MS * 1000;
    for (;;) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 20 * GST_MSECOND);
        if (s) {
            st = append(png, size, &cap, gst_sample_get_buffer(s), err);
            gst_sample_unref(s);
            if (st != SL_OK)
                goto done;
            continue;
        }
        GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
        if (m) {
            GError *e = NULL;
            gst_message_parse_error(m, &e, NULL);
            st = gst_error_to_sl("PNG encoder", e, NULL, SL_ERR_INTERNAL, err);
            g_clear_error(&e);
            gst_message_unref(m);
            goto done;
        }
        if (gst_app_sink_is_eos(GST_APP_SINK(sink)))
            break;
        if (g_get_monotonic_time() > deadline) {
            st = sl_fail(err, SL_ERR_INTERNAL, "PNG encoder: no output within %d ms",
                         ENCODE_TIMEOUT_MS);
            goto done;
        }
    }
    if (*size == 0)
        st = sl_fail(err, SL_ERR_INTERNAL, "PNG encoder: produced no data");
done:
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
    if (st != SL_OK) {
        free(*png);
        *png = NULL;
        *size = 0;
    }
    return st;
}

sl_status frame_save_png(const frame *f, const char *path, sl_error *err)
{
    if (!path || !*path)
        return sl_fail(err, SL_ERR_ARG, "no file name given for the PNG");
    uint8_t *png;
    size_t size;
    sl_status st = frame_encode_png(f, &png, &size, err);
    if (st != SL_OK) {
        sl_error_prefix(err, "%s: ", path);
        return st;
    }
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        free(png);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        free(png);
        return sl_fail(err, SL_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    size_t put = 0;
    while (put < size) {
        ssize_t w = write(fd, png + put, size - put);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        put += (size_t)w;
    }
    int e = put < size ? errno : 0;
    /* mkstemp makes the file 0600; screenshots are meant to be shared. */
    fchmod(fd, 0644);
    if (close(fd) != 0 && !e)
        e = errno;
    free(png);
    if (e || put < size || rename(tmp, path) != 0) {
        if (!e)
            e = errno;
        unlink(tmp);
        free(tmp);
        return sl_fail(err, SL_ERR_IO, "%s: cannot write: %s", path, strerror(e ? e : EIO));
    }
    free(tmp);
    return SL_OK;
}
