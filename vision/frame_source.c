#include "vision/frame_source.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <leptonica/allheaders.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vision/gst_pipe_internal.h"
#include "vision/media_probe_internal.h"
#include "vision/vision_init_internal.h"

/* Whole picture files are read into memory (validated, then handed to the
 * decoder); anything larger than this is not a picture we want. */
enum { MAX_PICTURE_BYTES = 256 << 20, HEAD_BYTES = 4096 };
enum { DECODE_TIMEOUT_MS = 20000 };

/* ---- reading files -------------------------------------------------------------- */

typedef struct media_file {
    int fd;
    size_t size;
    uint8_t head[HEAD_BYTES];
    size_t head_len;
    media_kind kind;
    const char *kind_name;
} media_file;

static sl_status open_media_file(const char *path, media_file *mf, sl_error *err)
{
    memset(mf, 0, sizeof *mf);
    mf->fd = -1;
    if (!path || !*path)
        return sl_fail(err, SL_ERR_ARG, "no file name given");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return sl_fail(err, SL_ERR_IO, "%s: no such file", path);
        if (e == EACCES || e == EPERM)
            return sl_fail(err, SL_ERR_IO, "%s: not readable: permission denied", path);
        return sl_fail(err, SL_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: is a directory, not a picture", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return sl_fail(err, SL_ERR_FORMAT, "%s: empty file (0 bytes), not a picture", path);
    }
    mf->fd = fd;
    mf->size = (size_t)st.st_size;
    while (mf->head_len < sizeof mf->head) {
        ssize_t got = read(fd, mf->head + mf->head_len, sizeof mf->head - mf->head_len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            mf->fd = -1;
            return sl_fail(err, SL_ERR_IO, "%s: read error: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        mf->head_len += (size_t)got;
    }
    mf->kind = media_sniff(mf->head, mf->head_len, &mf->kind_name);
    return SL_OK;
}

static void close_media_file(media_file *mf)
{
    if (mf->fd >= 0)
        close(mf->fd);
    mf->fd = -1;
}

/* Reads the rest of the file after the head into one malloc'ed block. */
static sl_status read_whole(const char *path, media_file *mf, uint8_t **data, size_t *size,
                            sl_error *err)
{
    *data = NULL;
    if (mf->size > MAX_PICTURE_BYTES)
        return sl_fail(err, SL_ERR_LIMIT, "%s: %zu bytes is larger than the %d MiB picture limit",
                       path, mf->size, MAX_PICTURE_BYTES >> 20);
    uint8_t *buf = malloc(mf->size);
    if (!buf)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu bytes", path, mf->size);
    size_t len = mf->head_len < mf->size ? mf->head_len : mf->size;
    memcpy(buf, mf->head, len);
    while (len < mf->size) {
        ssize_t got = read(mf->fd, buf + len, mf->size - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            return sl_fail(err, SL_ERR_IO, "%s: read error: %s", path, strerror(e));
        }
        if (got == 0)
            break; /* the file shrank while we read it: judge what we have */
        len += (size_t)got;
    }
    *data = buf;
    *size = len;
    return SL_OK;
}

static int kind_is_still(media_kind k)
{
    return k == MEDIA_PNG || k == MEDIA_JPEG || k == MEDIA_GIF || k == MEDIA_BMP ||
           k == MEDIA_TIFF || k == MEDIA_WEBP || k == MEDIA_HEIF;
}

/* ---- 16-bit PNG through Leptonica ------------------------------------------------- */

/* GStreamer 1.22's pngdec labels 16-bit colour PNGs ARGB64 while the samples
 * are laid out differently (shifted by one sample, alpha byte-swapped), so
 * the colours come out wrong. Leptonica reads them correctly, stripping each
 * sample to its high byte. */
static sl_status load_png16(const char *path, const uint8_t *data, size_t size, frame *out,
                            sl_error *err)
{
    vision_leptonica_init();
    PIX *pix = pixReadMem(data, size);
    if (!pix)
        return sl_fail(err, SL_ERR_FORMAT, "%s: corrupt 16-bit PNG: Leptonica cannot decode it",
                       path);
    PIX *rgb = NULL;
    if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4)
        rgb = pixAlphaBlendUniform(pix, 0xffffff00);
    else
        rgb = pixConvertTo32(pix);
    pixDestroy(&pix);
    if (!rgb)
        return sl_fail(err, SL_ERR_NOMEM, "%s: cannot convert the 16-bit PNG to RGB", path);
    int w = (int)pixGetWidth(rgb), h = (int)pixGetHeight(rgb);
    sl_status st = frame_alloc(out, w, h, err);
    if (st != SL_OK) {
        pixDestroy(&rgb);
        sl_error_prefix(err, "%s: ", path);
        return st;
    }
    const l_uint32 *line = pixGetData(rgb);
    int wpl = pixGetWpl(rgb);
    for (int y = 0; y < h; y++, line += wpl) {
        uint8_t *d = frame_pixel(out, 0, y);
        for (int x = 0; x < w; x++) {
            l_int32 r, g, b;
            extractRGBValues(line[x], &r, &g, &b);
            *d++ = (uint8_t)r;
            *d++ = (uint8_t)g;
            *d++ = (uint8_t)b;
        }
    }
    pixDestroy(&rgb);
    return SL_OK;
}

/* ---- pictures and video frames ------------------------------------------------------ */

/* Turns a decoded picture upright as its EXIF orientation says (2..8). */
static sl_status apply_orientation(frame *f, int orientation, sl_error *err)
{
    if (orientation < 2 || orientation > 8)
        return SL_OK;
    int w = f->width, h = f->height;
    int swap = orientation >= 5;
    frame g;
    sl_status st = frame_alloc(&g, swap ? h : w, swap ? w : h, err);
    if (st != SL_OK)
        return st;
    for (int y = 0; y < g.height; y++)
        for (int x = 0; x < g.width; x++) {
            int sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x, sy = y; break;
            case 3: sx = w - 1 - x, sy = h - 1 - y; break;
            case 4: sx = x, sy = h - 1 - y; break;
            case 5: sx = y, sy = x; break;
            case 6: sx = y, sy = h - 1 - x; break;
            case 7: sx = w - 1 - y, sy = h - 1 - x; break;
            default: sx = w - 1 - y, sy = x; break; /* 8 */
            }
            memcpy(frame_pixel(&g, x, y), frame_pixel(f, sx, sy), 3);
        }
    frame_free(f);
    *f = g;
    return SL_OK;
}

/* PNG and JPEG go in from memory (checked, PNG stripped to its essential
 * chunks); other formats from the file, because some of their demuxers
 * (libav's GIF reader) need to seek and hang on a push-only source. */
static sl_status decode_picture(const char *path, uint8_t *data, size_t size, frame *out,
                                sl_error *err)
{
    gst_pipe_config cfg = {
        .input = data ? GST_PIPE_BYTES : GST_PIPE_FILE, .location = path, .label = path,
        .bytes = data, .n_bytes = size, .with_alpha = 1,
    };
    gst_pipe *p;
    sl_status st = gst_pipe_open(&cfg, &p, err); /* owns data from here */
    if (st != SL_OK)
        return st;
    frame f = {0};
    st = gst_pipe_pull(p, DECODE_TIMEOUT_MS, &f, err);
    gst_pipe_close(p);
    if (st == SL_ERR_LIMIT) /* end of stream without a picture */
        st = sl_fail(err, SL_ERR_FORMAT, "%s: corrupt picture: the decoder produced no image",
                     path);
    if (st != SL_OK) {
        frame_free(&f);
        return st;
    }
    *out = f;
    return SL_OK;
}

static sl_status not_a_picture(const char *path, const media_file *mf, sl_error *err)
{
    return sl_fail(err, SL_ERR_FORMAT, "%s: not a picture: the file holds %s", path,
                   mf->kind == MEDIA_TEXT ? "text" : mf->kind_name);
}

static sl_status video_frame(const char *path, long index, frame *out, sl_error *err);

sl_status frame_load_image(const char *path, frame *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    media_file mf;
    sl_status st = open_media_file(path, &mf, err);
    if (st != SL_OK)
        return st;
    if (mf.kind == MEDIA_TEXT) {
        close_media_file(&mf);
        return not_a_picture(path, &mf, err);
    }
    if (mf.kind == MEDIA_VIDEO) {
        close_media_file(&mf);
        return video_frame(path, 0, out, err);
    }
    if (mf.kind != MEDIA_PNG && mf.kind != MEDIA_JPEG) {
        close_media_file(&mf);
        st = decode_picture(path, NULL, 0, out, err);
        if (st == SL_ERR_UNSUPPORTED && mf.kind == MEDIA_WEBP && err)
            snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                     " (WebP needs gstreamer1.0-plugins-bad)");
        return st;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    st = read_whole(path, &mf, &data, &size, err);
    close_media_file(&mf);
    if (st != SL_OK)
        return st;
    media_info info;
    st = media_probe(path, data, size, &info, err);
    if (st != SL_OK) {
        free(data);
        return st;
    }
    if (info.kind == MEDIA_PNG) {
        uint8_t *clean;
        size_t clean_size;
        st = media_png_essentials(data, size, &clean, &clean_size);
        free(data);
        if (st != SL_OK)
            return sl_fail(err, st, "%s: out of memory for %zu bytes", path, size);
        data = clean;
        size = clean_size;
        if (info.bit_depth == 16) {
            st = load_png16(path, data, size, out, err);
            free(data);
            return st;
        }
    }
    st = decode_picture(path, data, size, out, err);
    if (st == SL_OK && info.kind == MEDIA_JPEG) {
        st = apply_orientation(out, info.orientation, err);
        if (st != SL_OK) {
            sl_error_prefix(err, "%s: ", path);
            frame_free(out);
        }
    }
    return st;
}

static sl_status video_frame(const char *path, long index, frame *out, sl_error *err)
{
    gst_pipe_config cfg = {
        .input = GST_PIPE_FILE, .location = path, .label = path, .auto_orient = 1,
    };
    gst_pipe *p;
    sl_status st = gst_pipe_open(&cfg, &p, err);
    if (st != SL_OK)
        return st;
    long n = 0;
    for (; n < index && st == SL_OK; n++)
        st = gst_pipe_skip(p, DECODE_TIMEOUT_MS, err);
    if (st == SL_OK)
        st = gst_pipe_pull(p, DECODE_TIMEOUT_MS, out, err);
    else
        n--;
    int ended = st == SL_ERR_LIMIT && gst_pipe_at_eos(p);
    gst_pipe_close(p);
    if (ended && n == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: the video has no frames", path);
    if (ended)
        return sl_fail(err, SL_ERR_ARG,
                       "%s: frame %ld is past the end of the video, which has %ld frames", path,
                       index, n);
    if (st != SL_OK)
        frame_free(out);
    return st;
}

sl_status frame_load_video_frame(const char *path, long index, frame *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (index < 0)
        return sl_fail(err, SL_ERR_ARG, "%s: frame index %ld is negative", path, index);
    media_file mf;
    sl_status st = open_media_file(path, &mf, err);
    if (st != SL_OK)
        return st;
    close_media_file(&mf);
    if (mf.kind == MEDIA_TEXT)
        return sl_fail(err, SL_ERR_FORMAT, "%s: not a video: the file holds text", path);
    if (kind_is_still(mf.kind)) {
        if (index != 0)
            return sl_fail(err, SL_ERR_ARG,
                           "%s: frame %ld is past the end: a %s picture has only frame 0", path,
                           index, mf.kind_name);
        return frame_load_image(path, out, err);
    }
    return video_frame(path, index, out, err);
}

/* ---- live sources ----------------------------------------------------------------- */

typedef enum source_type { SOURCE_GST, SOURCE_STILL } source_type;

struct frame_source {
    source_type type;
    char name[512];
    gst_pipe *pipe;
    int finite;       /* a video file: ends */
    int timeout_ms;
    frame still;
    int64_t period_ns;
    int64_t next_due_ns;
    long count;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static sl_status no_camera(const char *dev, sl_error *err)
{
    glob_t g;
    char found[256] = "";
    if (glob("/dev/video*", 0, NULL, &g) == 0) {
        size_t len = 0;
        for (size_t i = 0; i < g.gl_pathc && len + 2 < sizeof found; i++)
            len += (size_t)snprintf(found + len, sizeof found - len, "%s%s", i ? " " : "",
                                    g.gl_pathv[i]);
        globfree(&g);
        return sl_fail(err, SL_ERR_DEVICE, "%s: no such camera (cameras here: %s)", dev, found);
    }
    return sl_fail(err, SL_ERR_DEVICE, "%s: no camera: this machine has no /dev/video* device",
                   dev);
}

static sl_status open_camera(frame_source *s, const char *dev, const frame_source_config *cfg,
                             sl_error *err)
{
    struct stat st;
    if (stat(dev, &st) != 0)
        return no_camera(dev, err);
    if (access(dev, R_OK | W_OK) != 0)
        return sl_fail(err, SL_ERR_DEVICE,
                       "%s: camera not accessible: permission denied (is the user in the "
                       "'video' group?)",
                       dev);
    if (!S_ISCHR(st.st_mode))
        return sl_fail(err, SL_ERR_DEVICE, "%s: not a camera device", dev);
    snprintf(s->name, sizeof s->name, "%s", dev);
    gst_pipe_config pc = {
        .input = GST_PIPE_CAMERA, .location = dev, .label = dev,
        .width = cfg->width, .height = cfg->height, .keep_latest = 1, .auto_orient = 1,
    };
    return gst_pipe_open(&pc, &s->pipe, err);
}

/* videotestsrc's patterns by nick, from the element's own enum. */
static sl_status test_pattern(const char *nick, int *value, sl_error *err)
{
    sl_status st = vision_gst_init(err);
    if (st != SL_OK)
        return st;
    GstElement *e = gst_element_factory_make("videotestsrc", NULL);
    if (!e)
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "test: GStreamer element 'videotestsrc' is not installed");
    GParamSpec *ps = g_object_class_find_property(G_OBJECT_GET_CLASS(e), "pattern");
    st = SL_OK;
    if (!ps || !G_IS_PARAM_SPEC_ENUM(ps)) {
        st = sl_fail(err, SL_ERR_UNSUPPORTED, "test: videotestsrc has no pattern property");
    } else {
        GEnumClass *ec = G_PARAM_SPEC_ENUM(ps)->enum_class;
        const GEnumValue *v = g_enum_get_value_by_nick(ec, nick);
        if (v) {
            *value = v->value;
        } else {
            char list[300] = "";
            size_t len = 0;
            for (guint i = 0; i < ec->n_values && len + 2 < sizeof list; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                        ec->values[i].value_nick);
            st = sl_fail(err, SL_ERR_ARG, "test:%s: unknown pattern (known: %s)", nick, list);
        }
    }
    gst_object_unref(e);
    return st;
}

static sl_status open_test(frame_source *s, const char *pattern, const frame_source_config *cfg,
                           sl_error *err)
{
    int value = 0;
    sl_status st = test_pattern(pattern, &value, err);
    if (st != SL_OK)
        return st;
    snprintf(s->name, sizeof s->name, "test:%s", pattern);
    gst_pipe_config pc = {
        .input = GST_PIPE_TEST, .label = s->name, .pattern = value,
        .width = cfg->width, .height = cfg->height, .fps = cfg->fps, .keep_latest = 1,
    };
    return gst_pipe_open(&pc, &s->pipe, err);
}

static sl_status open_still(frame_source *s, const char *path, const frame_source_config *cfg,
                            sl_error *err)
{
    frame f;
    sl_status st = frame_load_image(path, &f, err);
    if (st != SL_OK)
        return st;
    if (cfg->width > 0 && cfg->height > 0 && (cfg->width != f.width || cfg->height != f.height)) {
        frame_free(&f);
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "still:%s: scaling a still source is not supported; give width 0", path);
    }
    s->type = SOURCE_STILL;
    s->still = f;
    s->period_ns = 1000000000 / (cfg->fps > 0 ? cfg->fps : 30);
    s->next_due_ns = mono_ns();
    snprintf(s->name, sizeof s->name, "still:%s", path);
    return SL_OK;
}

static sl_status open_video(frame_source *s, const char *path, const frame_source_config *cfg,
                            sl_error *err)
{
    media_file mf;
    sl_status st = open_media_file(path, &mf, err);
    if (st != SL_OK)
        return st;
    close_media_file(&mf);
    if (mf.kind == MEDIA_TEXT)
        return sl_fail(err, SL_ERR_FORMAT, "%s: not a video: the file holds text", path);
    snprintf(s->name, sizeof s->name, "%s", path);
    s->finite = 1;
    gst_pipe_config pc = {
        .input = GST_PIPE_FILE, .location = path, .label = path,
        .width = cfg->width, .height = cfg->height, .auto_orient = 1,
    };
    return gst_pipe_open(&pc, &s->pipe, err);
}

sl_status frame_source_open(const char *spec, const frame_source_config *cfg_in,
                            frame_source **out, sl_error *err)
{
    *out = NULL;
    frame_source_config cfg = {0};
    if (cfg_in)
        cfg = *cfg_in;
    if (!spec || !*spec)
        return sl_fail(err, SL_ERR_ARG, "no frame source given");
    if (cfg.width < 0 || cfg.height < 0 || (cfg.width > 0) != (cfg.height > 0) ||
        cfg.width > MEDIA_MAX_SIDE || cfg.height > MEDIA_MAX_SIDE || cfg.fps < 0 ||
        cfg.fps > 1000 || cfg.timeout_ms < 0)
        return sl_fail(err, SL_ERR_ARG, "%s: bad source settings %dx%d at %d fps", spec,
                       cfg.width, cfg.height, cfg.fps);
    frame_source *s = calloc(1, sizeof *s);
    if (!s)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", spec);
    s->timeout_ms = cfg.timeout_ms > 0 ? cfg.timeout_ms : 5000;

    sl_status st;
    if (strcmp(spec, "camera") == 0)
        st = open_camera(s, "/dev/video0", &cfg, err);
    else if (strncmp(spec, "camera:", 7) == 0)
        st = open_camera(s, spec + 7, &cfg, err);
    else if (strncmp(spec, "/dev/video", 10) == 0)
        st = open_camera(s, spec, &cfg, err);
    else if (strcmp(spec, "test") == 0)
        st = open_test(s, "smpte", &cfg, err);
    else if (strncmp(spec, "test:", 5) == 0)
        st = open_test(s, spec + 5, &cfg, err);
    else if (strncmp(spec, "still:", 6) == 0)
        st = open_still(s, spec + 6, &cfg, err);
    else if (strncmp(spec, "video:", 6) == 0)
        st = open_video(s, spec + 6, &cfg, err);
    else {
        media_file mf;
        st = open_media_file(spec, &mf, err);
        if (st == SL_OK) {
            close_media_file(&mf);
            st = kind_is_still(mf.kind) ? open_still(s, spec, &cfg, err)
                                        : open_video(s, spec, &cfg, err);
        } else if (err && err->code == SL_ERR_IO && access(spec, F_OK) != 0) {
            st = sl_fail(err, SL_ERR_ARG,
                         "%s: no such file or source (sources: camera, camera:/dev/videoN, "
                         "test[:PATTERN], still:PATH, video:PATH, or a file)",
                         spec);
        }
    }
    if (st != SL_OK) {
        frame_source_close(s);
        return st;
    }
    *out = s;
    return SL_OK;
}

sl_status frame_source_next(frame_source *s, frame *out, sl_error *err)
{
    if (s->type == SOURCE_STILL) {
        int64_t now = mono_ns();
        if (s->next_due_ns > now) {
            int64_t wait = s->next_due_ns - now;
            struct timespec ts = {(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        } else {
            s->next_due_ns = now;
        }
        s->next_due_ns += s->period_ns;
        if (out->pixels && (out->width != s->still.width || out->height != s->still.height))
            frame_free(out);
        if (!out->pixels) {
            sl_status st = frame_alloc(out, s->still.width, s->still.height, err);
            if (st != SL_OK)
                return st;
        }
        for (int y = 0; y < out->height; y++)
            memcpy(frame_pixel(out, 0, y), frame_pixel(&s->still, 0, y),
                   (size_t)out->width * 3);
        s->count++;
        return SL_OK;
    }
    sl_status st = gst_pipe_pull(s->pipe, s->timeout_ms, out, err);
    if (st == SL_ERR_LIMIT && gst_pipe_at_eos(s->pipe))
        return sl_fail(err, SL_ERR_LIMIT, "%s: end of %s after %ld frames", s->name,
                       s->finite ? "video" : "stream", s->count);
    if (st == SL_OK)
        s->count++;
    return st;
}

const char *frame_source_name(const frame_source *s)
{
    return s->name;
}

long frame_source_count(const frame_source *s)
{
    return s->count;
}

void frame_source_close(frame_source *s)
{
    if (!s)
        return;
    gst_pipe_close(s->pipe);
    frame_free(&s->still);
    free(s);
}
