/* What kind of picture or video a file holds, judged from its bytes, and a
 * structural check of PNG and JPEG files before any decoder sees them.
 *
 * GStreamer's decoders accept a truncated JPEG silently (the missing rows come
 * out grey) and stop on a truncated PNG without posting an error, so the file
 * is walked here first: a truncated or corrupt file gets its own message that
 * says where it breaks, and the header's size is checked before anything is
 * allocated from it. A PNG's CRCs and compressed data are checked too: libpng,
 * inside GStreamer's decoder, prints its complaints on stderr. Pure C and
 * zlib, no GStreamer: a fuzz target can use it. */
#ifndef SIGHTLINE_VISION_MEDIA_PROBE_INTERNAL_H
#define SIGHTLINE_VISION_MEDIA_PROBE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"

typedef enum media_kind {
    MEDIA_UNKNOWN = 0, /* binary content we do not recognise: GStreamer may */
    MEDIA_TEXT,        /* printable text, not a picture */
    MEDIA_PNG,
    MEDIA_JPEG,
    MEDIA_GIF,
    MEDIA_BMP,
    MEDIA_TIFF,
    MEDIA_WEBP,
    MEDIA_HEIF,        /* HEIC / AVIF stills in an ISO box container */
    MEDIA_VIDEO,       /* a video container: MP4/MOV, Matroska/WebM, AVI, Ogg, FLV, MPEG */
} media_kind;

typedef struct media_info {
    media_kind kind;
    const char *name;  /* "PNG", "JPEG", "MP4 video", ... */
    int width, height; /* from the header when the kind has one (PNG, JPEG), else 0 */
    int bit_depth;     /* PNG: bits per sample (1..16); JPEG: sample precision */
    int png_color_type;
    int orientation;   /* JPEG EXIF orientation 1..8 (1 = upright), 0 when none */
} media_info;

/* Names the kind of the first bytes of a file (head_len may be short). */
media_kind media_sniff(const uint8_t *head, size_t head_len, const char **name);

/* Sniffs and, for PNG and JPEG, walks the whole file: chunk/segment lengths
 * against the size, a header with a sane size, the end marker present.
 * `label` names the file in the error message. SL_ERR_FORMAT when the file is
 * truncated or corrupt, SL_ERR_LIMIT when its size is beyond what we decode. */
sl_status media_probe(const char *label, const uint8_t *data, size_t size, media_info *info,
                      sl_error *err);

/* A copy of a probed PNG with only the chunks that make its pixels (IHDR,
 * PLTE, tRNS, IDAT, IEND): colour profiles, text and EXIF chunks are where
 * libpng finds things to warn about on stderr, and we use none of them. */
sl_status media_png_essentials(const uint8_t *data, size_t size, uint8_t **out,
                               size_t *out_size);

/* The largest picture we decode, in pixels (a 100-megapixel photo). */
enum { MEDIA_MAX_PIXELS = 100 * 1000 * 1000, MEDIA_MAX_SIDE = 32768 };

#endif
