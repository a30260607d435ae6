/* Where frames come from: picture files, video files, a camera, test patterns.
 *
 * Everything is decoded by GStreamer (plus Leptonica for 16-bit colour PNGs,
 * which GStreamer 1.22's pngdec hands on with shifted, wrongly ordered
 * samples) into the caller's 8-bit RGB `frame`. Errors name the file or device
 * and the cause in one line; the status code sorts them:
 *
 *   SL_ERR_IO           no such file, permission denied, a directory, a read error
 *   SL_ERR_FORMAT       empty file, not a picture (text, unknown bytes), truncated
 *                       or corrupt picture or video
 *   SL_ERR_UNSUPPORTED  a real picture/video format with no decoder installed
 *                       (WebP without gstreamer1.0-plugins-bad, HEIC, ...)
 *   SL_ERR_LIMIT        larger than MEDIA_MAX_PIXELS (100 MP); the end of a video
 *   SL_ERR_ARG          a frame index past the end of the video; a bad source spec
 *   SL_ERR_DEVICE       no camera, or the camera stopped delivering frames
 *
 * Nothing is printed: GStreamer's debug log is switched off on first use
 * unless GST_DEBUG is set, and bus errors become the messages above.
 * Functions may be called from any thread; one frame_source is used by one
 * thread at a time. */
#ifndef SIGHTLINE_VISION_FRAME_SOURCE_H
#define SIGHTLINE_VISION_FRAME_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "vision/frame.h"

/* Decodes a picture file (PNG, JPEG, GIF, BMP, TIFF; WebP where the plugin is
 * installed) into *out, which the caller frees with frame_free. Transparent
 * pixels are laid over white; a JPEG's EXIF orientation is applied. */
sl_status frame_load_image(const char *path, frame *out, sl_error *err);

/* Frame number `index` (0 = the first) of a video file, or of a picture file
 * when index is 0. */
sl_status frame_load_video_frame(const char *path, long index, frame *out, sl_error *err);

/* Encodes a frame as an 8-bit RGB PNG: into a malloc'ed buffer (*png, *size;
 * the caller frees it), or into a file (written to a temporary name beside it
 * and renamed, so a reader never sees half a file). */
sl_status frame_encode_png(const frame *f, uint8_t **png, size_t *size, sl_error *err);
sl_status frame_save_png(const frame *f, const char *path, sl_error *err);

/* A live source pulled frame after frame. Specs:
 *   "camera" or "camera:/dev/videoN" or "/dev/videoN"  a V4L2 camera (default /dev/video0)
 *   "test" or "test:PATTERN"        GStreamer's videotestsrc (smpte, ball, snow, ...)
 *   "still:PATH"                    one picture repeated, a stand-in camera
 *   "video:PATH"                    a video file's frames in order, then SL_ERR_LIMIT
 *   PATH                            an existing picture (as still:) or video (as video:)
 */
typedef struct frame_source frame_source;

typedef struct frame_source_config {
    int width, height; /* scale to this size; 0 = the source's own (test: 640x480) */
    int fps;           /* frames a second for test and still sources; 0 = 30 */
    int timeout_ms;    /* longest wait for one frame; 0 = 5000 */
} frame_source_config;

/* cfg may be NULL for the defaults. */
sl_status frame_source_open(const char *spec, const frame_source_config *cfg,
                            frame_source **out, sl_error *err);

/* The next frame. A camera or test source gives its newest frame (older ones
 * are dropped, so a slow consumer sees fresh pictures); a video source gives
 * every frame in order. *out must be zeroed or hold a frame from an earlier
 * call: its pixels are reused when the size is unchanged. */
sl_status frame_source_next(frame_source *src, frame *out, sl_error *err);

/* What the source reads from, for messages ("/dev/video0", "test:ball"). */
const char *frame_source_name(const frame_source *src);

/* Frames delivered so far. */
long frame_source_count(const frame_source *src);

void frame_source_close(frame_source *src);

#endif
