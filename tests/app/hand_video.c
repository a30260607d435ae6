#include "tests/app/hand_video.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/support.h"
#include "tests/vision/hand_sketch.h"

enum { WIDTH = 320, HEIGHT = 240, FPS = 10 };

/* xorshift: the same videos on every machine. */
static float uniform(uint64_t *s, float lo, float hi)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return lo + (hi - lo) * (float)(*s >> 40) / (float)(1u << 24);
}

static void push(GstElement *src, const frame *f, int index)
{
    GstBuffer *b = gst_buffer_new_allocate(NULL, (gsize)WIDTH * HEIGHT * 3, NULL);
    GstMapInfo m;
    gst_buffer_map(b, &m, GST_MAP_WRITE);
    for (int y = 0; y < HEIGHT; y++)
        memcpy(m.data + (size_t)y * WIDTH * 3, frame_pixel(f, 0, y), WIDTH * 3);
    gst_buffer_unmap(b, &m);
    GST_BUFFER_PTS(b) = (GstClockTime)index * GST_SECOND / FPS;
    GST_BUFFER_DURATION(b) = GST_SECOND / FPS;
    assert_int_equal(gst_app_src_push_buffer(GST_APP_SRC(src), b), GST_FLOW_OK);
}

void hand_video_write(const char *path, hand_motion motion, int frames, int blank,
                      uint64_t seed)
{
    gst_init(NULL, NULL);
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    float scale = uniform(&s, 0.22f, 0.32f), roll = uniform(&s, -20, 20);
    float cx = uniform(&s, 120, 200), cy = uniform(&s, 110, 140);
    float ra = roll * 3.14159265f / 180;
    float palm = 130 * scale; /* the drawing's palm is about 130 design pixels */

    char desc[1024];
    snprintf(desc, sizeof desc,
             "appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,"
             "framerate=%d/1 ! videoconvert ! jpegenc quality=95 ! avimux ! "
             "filesink location=\"%s\"",
             WIDTH, HEIGHT, FPS, path);
    GError *ge = NULL;
    GstElement *pipe = gst_parse_launch(desc, &ge);
    assert_non_null(pipe);
    assert_null(ge);
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    gst_element_set_state(pipe, GST_STATE_PLAYING);

    frame f;
    assert_int_equal(frame_alloc(&f, WIDTH, HEIGHT, NULL), SL_OK);
    int index = 0;
    for (int i = 0; i < blank; i++) {
        hand_sketch_draw(&f, NULL, 0);
        push(src, &f, index++);
    }
    for (int i = 0; i < frames; i++) {
        float u = frames > 1 ? (float)i / (float)(frames - 1) : 0, dx = 0, dy = 0;
        if (motion == HAND_ACROSS)
            dx = 1.2f * u;
        else if (motion == HAND_RISE)
            dy = 1.0f * u;
        hand_pose p = {cx + palm * (dx * cosf(ra) + dy * sinf(ra)),
                       cy + palm * (dx * sinf(ra) - dy * cosf(ra)), scale, roll, false};
        hand_sketch_draw(&f, &p, 1);
        push(src, &f, index++);
    }
    for (int i = 0; i < blank; i++) {
        hand_sketch_draw(&f, NULL, 0);
        push(src, &f, index++);
    }
    frame_free(&f);
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *m =
        gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    assert_non_null(m);
    assert_int_equal(GST_MESSAGE_TYPE(m), GST_MESSAGE_EOS);
    gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(pipe);
}
