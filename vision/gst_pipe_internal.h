/* GStreamer plumbing shared by the frame sources and the PNG encoder: the
 * once-per-process initialisation, a decoding pipeline that ends in an
 * appsink, and the translation of bus errors into one-line sl_errors. */
#ifndef SIGHTLINE_VISION_GST_PIPE_INTERNAL_H
#define SIGHTLINE_VISION_GST_PIPE_INTERNAL_H

#include <gst/gst.h>

#include "llm/error.h"
#include "vision/frame.h"
#include "vision/vision_init_internal.h"

typedef enum gst_pipe_input {
    GST_PIPE_BYTES,  /* appsrc fed with a file already in memory, then decodebin */
    GST_PIPE_FILE,   /* filesrc + decodebin */
    GST_PIPE_CAMERA, /* v4l2src + decodebin */
    GST_PIPE_TEST,   /* videotestsrc, live at the configured rate */
} gst_pipe_input;

typedef struct gst_pipe_config {
    gst_pipe_input input;
    const char *location;   /* file path or device */
    const char *label;      /* names the source in messages */
    uint8_t *bytes;         /* GST_PIPE_BYTES: malloc'ed data, ownership moves to the pipe */
    size_t n_bytes;
    int pattern;            /* GST_PIPE_TEST: videotestsrc pattern value */
    int width, height, fps; /* 0 = as the source delivers */
    int with_alpha;         /* deliver RGBA and lay it over white (picture files) */
    int keep_latest;        /* drop old frames (live sources) instead of queueing them */
    int auto_orient;        /* follow image-orientation tags (phone videos) */
} gst_pipe_config;

typedef struct gst_pipe gst_pipe;

/* Builds the pipeline and starts it. Failures (missing element, camera that
 * will not start) come back as one-line errors naming cfg->label. */
sl_status gst_pipe_open(const gst_pipe_config *cfg, gst_pipe **out, sl_error *err);

/* Waits up to timeout_ms for the next frame and converts it to RGB8 in *out
 * (reused when the size matches). SL_ERR_LIMIT with "end of stream" at the
 * end; bus errors map to IO/FORMAT/UNSUPPORTED/DEVICE as in frame_source.h. */
sl_status gst_pipe_pull(gst_pipe *p, int timeout_ms, frame *out, sl_error *err);

/* Like gst_pipe_pull but only counts the frame, without converting it. */
sl_status gst_pipe_skip(gst_pipe *p, int timeout_ms, sl_error *err);

int gst_pipe_at_eos(const gst_pipe *p);

void gst_pipe_close(gst_pipe *p);

/* Sets err from a GError posted on a bus; `fallback` is the code for
 * resource errors (SL_ERR_IO for files, SL_ERR_DEVICE for cameras). */
sl_status gst_error_to_sl(const char *label, const GError *e, const char *missing,
                          sl_status fallback, sl_error *err);

#endif
