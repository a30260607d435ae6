/* Frames from picture files, video files, test patterns and (absent) cameras;
 * every bad-input case with its status code and one-line message. */
#include <fcntl.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support.h"
#include "vision/vision.h"

static char *tmp;

static const char *tmp_file(const char *name)
{
    static char path[4][1024];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", tmp, name);
    return p;
}

/* ---- an independent PNG writer: stored (uncompressed) deflate blocks ------------ */

static uint32_t crc32_of(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_chunk(FILE *f, const char *type, const uint8_t *data, size_t n)
{
    uint8_t hdr[8];
    put32(hdr, (uint32_t)n);
    memcpy(hdr + 4, type, 4);
    fwrite(hdr, 1, 8, f);
    if (n)
        fwrite(data, 1, n, f);
    uint32_t crc = crc32_of(hdr + 4, 4, 0);
    crc = crc32_of(data, n, crc);
    uint8_t c[4];
    put32(c, crc);
    fwrite(c, 1, 4, f);
}

/* samples: rows of width*channels samples, each 8 or 16 bits (native uint16). */
static void write_png(const char *path, int w, int h, int depth, int color_type,
                      const void *samples)
{
    int channels = color_type == 2 ? 3 : color_type == 6 ? 4 : color_type == 4 ? 2 : 1;
    size_t row = (size_t)w * channels * (depth / 8);
    size_t raw_len = (row + 1) * (size_t)h;
    uint8_t *raw = malloc(raw_len);
    assert_non_null(raw);
    for (int y = 0; y < h; y++) {
        uint8_t *r = raw + (size_t)y * (row + 1);
        r[0] = 0; /* filter: none */
        for (size_t i = 0; i < (size_t)w * channels; i++) {
            if (depth == 8) {
                r[1 + i] = ((const uint8_t *)samples)[(size_t)y * w * channels + i];
            } else {
                uint16_t v = ((const uint16_t *)samples)[(size_t)y * w * channels + i];
                r[1 + 2 * i] = (uint8_t)(v >> 8);
                r[2 + 2 * i] = (uint8_t)v;
            }
        }
    }
    /* zlib stream of stored blocks (at most 65535 bytes each) */
    size_t nblocks = raw_len / 65535 + 1;
    size_t z_len = 2 + raw_len + nblocks * 5 + 4;
    uint8_t *z = malloc(z_len);
    assert_non_null(z);
    size_t o = 0;
    z[o++] = 0x78, z[o++] = 0x01;
    size_t pos = 0;
    do {
        size_t n = raw_len - pos > 65535 ? 65535 : raw_len - pos;
        z[o++] = pos + n == raw_len ? 1 : 0;
        z[o++] = (uint8_t)n, z[o++] = (uint8_t)(n >> 8);
        z[o++] = (uint8_t)~n, z[o++] = (uint8_t)(~n >> 8);
        memcpy(z + o, raw + pos, n);
        o += n;
        pos += n;
    } while (pos < raw_len);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < raw_len; i++) {
        a = (a + raw[i]) % 65521;
        b = (b + a) % 65521;
    }
    put32(z + o, b << 16 | a);
    o += 4;

    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    uint8_t ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = (uint8_t)depth, ihdr[9] = (uint8_t)color_type;
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    put_chunk(f, "IHDR", ihdr, 13);
    put_chunk(f, "IDAT", z, o);
    put_chunk(f, "IEND", NULL, 0);
    fclose(f);
    free(raw);
    free(z);
}

/* A 7x5 RGB picture (odd width: GStreamer's rows are padded to 4 bytes). */
static uint8_t pattern_sample(int x, int y, int c)
{
    return (uint8_t)(x * 37 + y * 53 + c * 91 + (x * y) % 7);
}

static void check_pattern(const frame *f, int w, int h)
{
    assert_int_equal(f->width, w);
    assert_int_equal(f->height, h);
    assert_true(f->stride >= 3 * w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(frame_pixel(f, x, y)[c], pattern_sample(x, y, c));
}

static int has_convert(void)
{
    return run_command("convert -version >/dev/null 2>&1", NULL, NULL) == 0;
}

/* The message is one line, names the file and says the cause. */
static void assert_error(const sl_error *e, sl_status code, const char *name, const char *cause)
{
    if (e->code != code || !strstr(e->msg, name) || !strstr(e->msg, cause))
        fail_msg("expected %s with '%s' and '%s', got %s: %s", sl_status_name(code), name, cause,
                 sl_status_name(e->code), e->msg);
    assert_null(strchr(e->msg, '\n'));
}

/* ---- pictures ------------------------------------------------------------------------- */

static void png_rgb8_exact(void **state)
{
    (void)state;
    enum { W = 7, H = 5 };
    uint8_t s[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                s[(y * W + x) * 3 + c] = pattern_sample(x, y, c);
    const char *path = tmp_file("odd.png");
    write_png(path, W, H, 8, 2, s);
    frame f;
    sl_error e = {0};
    assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
    check_pattern(&f, W, H);
    frame_free(&f);
}

static void png_alpha_over_white(void **state)
{
    (void)state;
    /* opaque red, transparent blue, half-transparent black, grey with alpha 200 */
    uint8_t s[4 * 4] = {255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 128, 100, 100, 100, 200};
    const char *path = tmp_file("alpha.png");
    write_png(path, 4, 1, 8, 6, s);
    frame f;
    sl_error e = {0};
    assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
    const uint8_t want[4][3] = {{255, 0, 0}, {255, 255, 255}, {127, 127, 127}, {134, 134, 134}};
    for (int x = 0; x < 4; x++)
        for (int c = 0; c < 3; c++)
            if (abs(frame_pixel(&f, x, 0)[c] - want[x][c]) > 1)
                fail_msg("pixel %d channel %d: %d, want %d", x, c, frame_pixel(&f, x, 0)[c],
                         want[x][c]);
    frame_free(&f);
}

/* GStreamer 1.22 gives 16-bit colour PNGs wrong colours; we must not. */
static void png_16bit_colour(void **state)
{
    (void)state;
    enum { W = 9, H = 4 };
    uint16_t s[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint16_t *p = s + (y * W + x) * 3;
            if (y == 0) { /* the flat colour that showed the bug */
                p[0] = 200 * 257, p[1] = 40 * 257, p[2] = 10 * 257;
            } else {
                p[0] = (uint16_t)(x * 7000 + y * 300);
                p[1] = (uint16_t)(65535 - x * 5000);
                p[2] = (uint16_t)(y * 16000 + x);
            }
        }
    const char *path = tmp_file("deep.png");
    write_png(path, W, H, 16, 2, s);
    frame f;
    sl_error e = {0};
    assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
    assert_int_equal(f.width, W);
    assert_int_equal(f.height, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                int want = s[(y * W + x) * 3 + c] >> 8;
                if (abs(frame_pixel(&f, x, y)[c] - want) > 1)
                    fail_msg("16-bit PNG pixel (%d,%d) channel %d: %d, want %d", x, y, c,
                             frame_pixel(&f, x, y)[c], want);
            }
    frame_free(&f);

    /* 16-bit grey with alpha and 16-bit RGBA take the same path. */
    uint16_t ga[2 * 2] = {30000, 65535, 50000, 0};
    path = tmp_file("deep-ga.png");
    write_png(path, 2, 1, 16, 4, ga);
    assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
    assert_in_range(frame_pixel(&f, 0, 0)[0], 116, 118); /* 30000 >> 8 = 117 */
    assert_in_range(frame_pixel(&f, 1, 0)[1], 254, 255); /* transparent: white */
    frame_free(&f);
}

static void jpeg_blocks(void **state)
{
    (void)state;
    if (!has_convert()) {
        fprintf(stderr, "skipped: ImageMagick's convert is not installed\n");
        skip();
    }
    const char *path = tmp_file("blocks.jpg");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "convert -size 64x32 xc:'rgb(200,30,40)' -fill 'rgb(20,160,60)' -draw "
             "'rectangle 32,0 63,15' -fill 'rgb(30,40,220)' -draw 'rectangle 0,16 31,31' "
             "-fill white -draw 'rectangle 32,16 63,31' -quality 95 '%s'",
             path);
    assert_int_equal(run_command(cmd, NULL, NULL), 0);
    frame f;
    sl_error e = {0};
    assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
    assert_int_equal(f.width, 64);
    assert_int_equal(f.height, 32);
    const int at[4][2] = {{8, 8}, {48, 8}, {8, 24}, {48, 24}};
    const int want[4][3] = {{200, 30, 40}, {20, 160, 60}, {30, 40, 220}, {255, 255, 255}};
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++) {
            int got = frame_pixel(&f, at[i][0], at[i][1])[c];
            if (abs(got - want[i][c]) > 6)
                fail_msg("JPEG block %d channel %d: %d, want %d +- 6", i, c, got, want[i][c]);
        }
    frame_free(&f);
}

/* A JPEG's EXIF orientation turns it upright: insert an APP1 with tag 0x0112. */
static void jpeg_exif_orientation(void **state)
{
    (void)state;
    if (!has_convert()) {
        fprintf(stderr, "skipped: ImageMagick's convert is not installed\n");
        skip();
    }
    const char *plain = tmp_file("upright.jpg");
    char cmd[2048];
    /* 64x32: left half red, right half blue */
    snprintf(cmd, sizeof cmd,
             "convert -size 64x32 xc:'rgb(220,20,20)' -fill 'rgb(20,20,220)' -draw "
             "'rectangle 32,0 63,31' -quality 95 '%s'",
             plain);
    assert_int_equal(run_command(cmd, NULL, NULL), 0);
    size_t size;
    unsigned char *jpg = read_file_bytes(plain, &size);
    assert_non_null(jpg);
    /* big-endian TIFF header, IFD0 with one SHORT entry */
    static const uint8_t app1_head[] = {0xff, 0xe1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
                                        'M', 'M', 0, '*', 0, 0, 0, 8, 0, 1,
                                        0x01, 0x12, 0, 3, 0, 0, 0, 1};
    const struct { int orientation, w, h, red_x, red_y; } cases[] = {
        {1, 64, 32, 8, 16},  /* upright: red on the left */
        {6, 32, 64, 16, 8},  /* turned 90 degrees clockwise: red on top */
        {8, 32, 64, 16, 56}, /* turned counter-clockwise: red at the bottom */
        {3, 64, 32, 56, 16}, /* upside down: red on the right */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *buf = malloc(size + 36);
        assert_non_null(buf);
        memcpy(buf, jpg, 2);
        memcpy(buf + 2, app1_head, sizeof app1_head);
        uint8_t *v = buf + 2 + sizeof app1_head;
        v[0] = 0, v[1] = (uint8_t)cases[i].orientation, v[2] = v[3] = 0; /* value */
        memset(v + 4, 0, 4);                                             /* no next IFD */
        memcpy(v + 8, jpg + 2, size - 2);
        const char *path = tmp_file("turned.jpg");
        assert_int_equal(write_file_bytes(path, buf, size + 34 + 2), 0);
        free(buf);
        frame f;
        sl_error e = {0};
        assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
        assert_int_equal(f.width, cases[i].w);
        assert_int_equal(f.height, cases[i].h);
        const uint8_t *p = frame_pixel(&f, cases[i].red_x, cases[i].red_y);
        if (!(p[0] > 180 && p[2] < 60))
            fail_msg("orientation %d: pixel (%d,%d) is %d,%d,%d, want red",
                     cases[i].orientation, cases[i].red_x, cases[i].red_y, p[0], p[1], p[2]);
        frame_free(&f);
    }
    free(jpg);
}

/* Lossless formats other than our PNG writer's: exact pixels. */
static void other_formats(void **state)
{
    (void)state;
    if (!has_convert()) {
        fprintf(stderr, "skipped: ImageMagick's convert is not installed\n");
        skip();
    }
    const char *names[] = {"p.gif", "p.bmp", "p.tif", "palette.png", "interlaced.png",
                           "grey.png"};
    const char *opts[] = {"", "", "", "-type Palette", "-interlace PNG", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *path = tmp_file(names[i]);
        char cmd[2048];
        int grey = strcmp(names[i], "grey.png") == 0;
        snprintf(cmd, sizeof cmd,
                 "convert -size 30x20 xc:'%s' -fill '%s' -draw 'rectangle 10,5 19,14' %s "
                 "-depth 8 '%s'",
                 grey ? "rgb(200,200,200)" : "rgb(250,200,0)", grey ? "rgb(40,40,40)" : "rgb(0,0,160)",
                 opts[i], path);
        assert_int_equal(run_command(cmd, NULL, NULL), 0);
        frame f;
        sl_error e = {0};
        if (frame_load_image(path, &f, &e) != SL_OK)
            fail_msg("%s: %s", names[i], e.msg);
        assert_int_equal(f.width, 30);
        assert_int_equal(f.height, 20);
        const uint8_t *out = frame_pixel(&f, 2, 2), *in = frame_pixel(&f, 15, 10);
        const uint8_t bg[3] = {250, 200, 0}, fg[3] = {0, 0, 160};
        const uint8_t gbg[3] = {200, 200, 200}, gfg[3] = {40, 40, 40};
        assert_memory_equal(out, grey ? gbg : bg, 3);
        assert_memory_equal(in, grey ? gfg : fg, 3);
        frame_free(&f);
    }
}

static void sample_assets_load(void **state)
{
    (void)state;
    const char *path = asset_path("samples/street-sign-photo.jpg");
    if (!path)
        skip();
    frame f;
    sl_error e = {0};
    assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
    assert_int_equal(f.width, 640);
    assert_int_equal(f.height, 360);
    frame_free(&f);
}

/* ---- PNG output ---------------------------------------------------------------------- */

static void png_save_roundtrip(void **state)
{
    (void)state;
    frame f;
    sl_error e = {0};
    assert_int_equal(frame_alloc(&f, 13, 6, &e), SL_OK);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 13; x++)
            for (int c = 0; c < 3; c++)
                frame_pixel(&f, x, y)[c] = pattern_sample(x, y, c);
    uint8_t *png;
    size_t size;
    assert_int_equal(frame_encode_png(&f, &png, &size, &e), SL_OK);
    assert_true(size > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(png);
    const char *path = tmp_file("saved.png");
    assert_int_equal(frame_save_png(&f, path, &e), SL_OK);
    frame g;
    assert_int_equal(frame_load_image(path, &g, &e), SL_OK);
    check_pattern(&g, 13, 6);
    frame_free(&g);

    assert_int_equal(frame_save_png(&f, tmp_file("no/such/dir/x.png"), &e), SL_ERR_IO);
    assert_error(&e, SL_ERR_IO, "no/such/dir/x.png", "cannot create");
    frame_free(&f);
}

/* ---- video --------------------------------------------------------------------------- */

static void frame_colour(int i, uint8_t rgb[3])
{
    rgb[0] = (uint8_t)(20 + i * 22);
    rgb[1] = (uint8_t)(230 - i * 20);
    rgb[2] = (uint8_t)(i % 2 ? 200 : 60);
}

/* Ten 64x48 frames, frame i a flat colour, MJPEG in AVI with an audio track. */
static void make_video(const char *path, int n)
{
    GError *ge = NULL;
    char desc[1024];
    snprintf(desc, sizeof desc,
             "appsrc name=src format=time caps=video/x-raw,format=RGB,width=64,height=48,"
             "framerate=10/1 ! videoconvert ! jpegenc quality=95 ! avimux name=mux ! "
             "filesink location=\"%s\"  audiotestsrc num-buffers=%d samplesperbuffer=4410 ! "
             "audio/x-raw,format=S16LE,rate=44100,channels=1 ! mux.",
             path, n);
    GstElement *pipe = gst_parse_launch(desc, &ge);
    assert_non_null(pipe);
    assert_null(ge);
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    for (int i = 0; i < n; i++) {
        GstBuffer *b = gst_buffer_new_allocate(NULL, 64 * 48 * 3, NULL);
        GstMapInfo m;
        gst_buffer_map(b, &m, GST_MAP_WRITE);
        uint8_t rgb[3];
        frame_colour(i, rgb);
        for (int p = 0; p < 64 * 48; p++)
            memcpy(m.data + p * 3, rgb, 3);
        gst_buffer_unmap(b, &m);
        GST_BUFFER_PTS(b) = (GstClockTime)i * GST_SECOND / 10;
        GST_BUFFER_DURATION(b) = GST_SECOND / 10;
        assert_int_equal(gst_app_src_push_buffer(GST_APP_SRC(src), b), GST_FLOW_OK);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND,
                                               GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    assert_non_null(m);
    assert_int_equal(GST_MESSAGE_TYPE(m), GST_MESSAGE_EOS);
    gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(pipe);
}

static void assert_colour_near(const frame *f, const uint8_t want[3], int tol)
{
    const uint8_t *p = frame_pixel(f, f->width / 2, f->height / 2);
    for (int c = 0; c < 3; c++)
        if (abs(p[c] - want[c]) > tol)
            fail_msg("channel %d: %d, want %d +- %d", c, p[c], want[c], tol);
}

static void video_nth_frame(void **state)
{
    (void)state;
    const char *path = tmp_file("clip.avi");
    make_video(path, 10);
    frame f;
    sl_error e = {0};
    const int picks[] = {0, 1, 7, 9};
    for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
        assert_int_equal(frame_load_video_frame(path, picks[i], &f, &e), SL_OK);
        assert_int_equal(f.width, 64);
        assert_int_equal(f.height, 48);
        uint8_t want[3];
        frame_colour(picks[i], want);
        assert_colour_near(&f, want, 8);
        frame_free(&f);
    }
    assert_int_equal(frame_load_video_frame(path, 10, &f, &e), SL_ERR_ARG);
    assert_error(&e, SL_ERR_ARG, "clip.avi", "frame 10 is past the end of the video, which has 10");
    assert_null(f.pixels);
    assert_int_equal(frame_load_video_frame(path, 250, &f, &e), SL_ERR_ARG);
    assert_error(&e, SL_ERR_ARG, "clip.avi", "which has 10 frames");

    /* frame_load_image on a video gives its first frame */
    assert_int_equal(frame_load_image(path, &f, &e), SL_OK);
    uint8_t first[3];
    frame_colour(0, first);
    assert_colour_near(&f, first, 8);
    frame_free(&f);

    /* a still picture has only frame 0 */
    const char *png = asset_path("samples/menu.png");
    if (png) {
        assert_int_equal(frame_load_video_frame(png, 1, &f, &e), SL_ERR_ARG);
        assert_error(&e, SL_ERR_ARG, "menu.png", "has only frame 0");
    }

    /* the same video as a source: every frame in order, then the end */
    frame_source *src;
    char spec[1100];
    snprintf(spec, sizeof spec, "video:%s", path);
    assert_int_equal(frame_source_open(spec, NULL, &src, &e), SL_OK);
    frame g = {0};
    for (int i = 0; i < 10; i++) {
        assert_int_equal(frame_source_next(src, &g, &e), SL_OK);
        uint8_t want[3];
        frame_colour(i, want);
        assert_colour_near(&g, want, 8);
    }
    assert_int_equal(frame_source_next(src, &g, &e), SL_ERR_LIMIT);
    assert_error(&e, SL_ERR_LIMIT, "clip.avi", "end of video after 10 frames");
    assert_int_equal(frame_source_count(src), 10);
    frame_free(&g);
    frame_source_close(src);

    /* a truncated video: the frames before the cut, or a clear error */
    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    const char *cut = tmp_file("cut.avi");
    assert_int_equal(write_file_bytes(cut, bytes, size / 3), 0);
    free(bytes);
    sl_status st = frame_load_video_frame(cut, 9, &f, &e);
    assert_int_not_equal(st, SL_OK);
    assert_true(strstr(e.msg, "cut.avi") != NULL);
    assert_null(strchr(e.msg, '\n'));
}

/* ---- live sources -------------------------------------------------------------------- */

static void test_pattern_source(void **state)
{
    (void)state;
    frame_source *src;
    sl_error e = {0};
    frame_source_config cfg = {.width = 160, .height = 120, .fps = 100};
    assert_int_equal(frame_source_open("test:red", &cfg, &src, &e), SL_OK);
    assert_string_equal(frame_source_name(src), "test:red");
    frame f = {0};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(frame_source_next(src, &f, &e), SL_OK);
        assert_int_equal(f.width, 160);
        assert_int_equal(f.height, 120);
        const uint8_t red[3] = {255, 0, 0};
        assert_colour_near(&f, red, 4);
    }
    assert_int_equal(frame_source_count(src), 5);
    frame_free(&f);
    frame_source_close(src);

    /* the default pattern and size */
    assert_int_equal(frame_source_open("test", NULL, &src, &e), SL_OK);
    assert_int_equal(frame_source_next(src, &f, &e), SL_OK);
    assert_int_equal(f.width, 640);
    assert_int_equal(f.height, 480);
    frame_free(&f);
    frame_source_close(src);

    assert_int_equal(frame_source_open("test:nosuch", NULL, &src, &e), SL_ERR_ARG);
    assert_error(&e, SL_ERR_ARG, "nosuch", "unknown pattern (known: smpte");
    assert_null(src);
}

static void still_source(void **state)
{
    (void)state;
    const char *path = asset_path("samples/menu.png");
    if (!path)
        skip();
    char spec[1100];
    snprintf(spec, sizeof spec, "still:%s", path);
    frame want;
    sl_error e = {0};
    assert_int_equal(frame_load_image(path, &want, &e), SL_OK);
    frame_source *src;
    frame_source_config cfg = {.fps = 200};
    assert_int_equal(frame_source_open(spec, &cfg, &src, &e), SL_OK);
    frame f = {0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(frame_source_next(src, &f, &e), SL_OK);
        assert_int_equal(f.width, want.width);
        for (int y = 0; y < f.height; y++)
            assert_memory_equal(frame_pixel(&f, 0, y), frame_pixel(&want, 0, y),
                                (size_t)f.width * 3);
    }
    frame_free(&f);
    frame_source_close(src);

    /* a plain picture path opens as a still */
    assert_int_equal(frame_source_open(path, NULL, &src, &e), SL_OK);
    assert_true(strncmp(frame_source_name(src), "still:", 6) == 0);
    frame_source_close(src);
    frame_free(&want);
}

static void no_camera(void **state)
{
    (void)state;
    frame_source *src;
    sl_error e = {0};
    assert_int_equal(frame_source_open("camera:/dev/video97", NULL, &src, &e), SL_ERR_DEVICE);
    assert_null(src);
    assert_true(strstr(e.msg, "/dev/video97") != NULL);
    assert_true(strstr(e.msg, "no camera") || strstr(e.msg, "no such camera"));
    assert_null(strchr(e.msg, '\n'));
    if (access("/dev/video0", F_OK) != 0) {
        assert_int_equal(frame_source_open("camera", NULL, &src, &e), SL_ERR_DEVICE);
        assert_error(&e, SL_ERR_DEVICE, "/dev/video0", "no camera");
    }
    assert_int_equal(frame_source_open("nosuchthing", NULL, &src, &e), SL_ERR_ARG);
    assert_error(&e, SL_ERR_ARG, "nosuchthing", "no such file or source");
}

/* ---- bad input ----------------------------------------------------------------------- */

static void bad_inputs(void **state)
{
    (void)state;
    frame f;
    sl_error e = {0};

    const char *missing = tmp_file("missing.png");
    assert_int_equal(frame_load_image(missing, &f, &e), SL_ERR_IO);
    assert_error(&e, SL_ERR_IO, "missing.png", "no such file");
    assert_null(f.pixels);

    assert_int_equal(frame_load_image(tmp, &f, &e), SL_ERR_IO);
    assert_error(&e, SL_ERR_IO, tmp, "is a directory");

    const char *zero = tmp_file("zero.png");
    assert_int_equal(write_file_bytes(zero, "", 0), 0);
    assert_int_equal(frame_load_image(zero, &f, &e), SL_ERR_FORMAT);
    assert_error(&e, SL_ERR_FORMAT, "zero.png", "empty file (0 bytes)");

    const char *text = tmp_file("notes.png");
    const char *words = "Shopping list:\n- milk\n- bread\n- caf\xc3\xa9 cr\xc3\xa8me\n";
    assert_int_equal(write_file_bytes(text, words, strlen(words)), 0);
    assert_int_equal(frame_load_image(text, &f, &e), SL_ERR_FORMAT);
    assert_error(&e, SL_ERR_FORMAT, "notes.png", "not a picture: the file holds text");
    assert_int_equal(frame_load_video_frame(text, 3, &f, &e), SL_ERR_FORMAT);
    assert_error(&e, SL_ERR_FORMAT, "notes.png", "not a video: the file holds text");

    /* unreadable: root reads anything, so only as another user */
    if (geteuid() != 0) {
        const char *locked = tmp_file("locked.png");
        assert_int_equal(write_file_bytes(locked, "x", 1), 0);
        chmod(locked, 0);
        assert_int_equal(frame_load_image(locked, &f, &e), SL_ERR_IO);
        assert_error(&e, SL_ERR_IO, "locked.png", "not readable");
    }

    /* binary noise named .jpg */
    uint8_t noise[3000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (uint8_t)(x >> 24);
    }
    noise[0] = 0x00; /* no accidental magic number */
    const char *junk = tmp_file("junk.jpg");
    assert_int_equal(write_file_bytes(junk, noise, sizeof noise), 0);
    assert_int_equal(frame_load_image(junk, &f, &e), SL_ERR_FORMAT);
    assert_error(&e, SL_ERR_FORMAT, "junk.jpg", "not a picture");

    /* truncated JPEG and PNG from the samples */
    char *jpg = asset_path("samples/letter-photo.jpg") ? strdup(asset_path("samples/letter-photo.jpg")) : NULL;
    char *png = asset_path("samples/letter.png") ? strdup(asset_path("samples/letter.png")) : NULL;
    if (jpg && png) {
        size_t size;
        unsigned char *bytes = read_file_bytes(jpg, &size);
        assert_non_null(bytes);
        const char *cut = tmp_file("cut.jpg");
        assert_int_equal(write_file_bytes(cut, bytes, size / 2), 0);
        assert_int_equal(frame_load_image(cut, &f, &e), SL_ERR_FORMAT);
        assert_error(&e, SL_ERR_FORMAT, "cut.jpg", "truncated JPEG");
        assert_int_equal(write_file_bytes(cut, bytes, 100), 0); /* inside the headers */
        assert_int_equal(frame_load_image(cut, &f, &e), SL_ERR_FORMAT);
        assert_error(&e, SL_ERR_FORMAT, "cut.jpg", "truncated JPEG");
        free(bytes);

        bytes = read_file_bytes(png, &size);
        assert_non_null(bytes);
        cut = tmp_file("cut.png");
        assert_int_equal(write_file_bytes(cut, bytes, size / 2), 0);
        assert_int_equal(frame_load_image(cut, &f, &e), SL_ERR_FORMAT);
        assert_error(&e, SL_ERR_FORMAT, "cut.png", "truncated PNG");
        assert_int_equal(write_file_bytes(cut, bytes, size - 12), 0); /* no IEND */
        assert_int_equal(frame_load_image(cut, &f, &e), SL_ERR_FORMAT);
        assert_error(&e, SL_ERR_FORMAT, "cut.png", "before the IEND chunk");

        /* flipped bits: the CRC catches them */
        for (size_t i = 200; i < 264; i++)
            bytes[i] ^= 0x5a;
        const char *bad = tmp_file("garbled.png");
        assert_int_equal(write_file_bytes(bad, bytes, size), 0);
        assert_int_equal(frame_load_image(bad, &f, &e), SL_ERR_FORMAT);
        assert_error(&e, SL_ERR_FORMAT, "garbled.png", "fails its CRC check");
        /* the same with a recomputed CRC: the zlib stream is checked */
        size_t pos = 8;
        while (pos + 12 <= size && memcmp(bytes + pos + 4, "IDAT", 4) != 0)
            pos += 12 + ((size_t)bytes[pos] << 24 | (size_t)bytes[pos + 1] << 16 |
                         (size_t)bytes[pos + 2] << 8 | bytes[pos + 3]);
        assert_true(pos + 12 <= size && pos < 200);
        size_t len = (size_t)bytes[pos] << 24 | (size_t)bytes[pos + 1] << 16 |
                     (size_t)bytes[pos + 2] << 8 | bytes[pos + 3];
        put32(bytes + pos + 8 + len, crc32_of(bytes + pos + 4, len + 4, 0));
        assert_int_equal(write_file_bytes(bad, bytes, size), 0);
        assert_int_equal(frame_load_image(bad, &f, &e), SL_ERR_FORMAT);
        assert_error(&e, SL_ERR_FORMAT, "garbled.png", "corrupt PNG");
        free(bytes);
    }
    free(jpg);
    free(png);

    /* a header that claims a picture too large to decode */
    uint8_t s[3] = {1, 2, 3};
    const char *huge = tmp_file("huge.png");
    write_png(huge, 1, 1, 8, 2, s);
    size_t size;
    unsigned char *bytes = read_file_bytes(huge, &size);
    put32(bytes + 16, 30000); /* IHDR width and height */
    put32(bytes + 20, 30000);
    put32(bytes + 29, crc32_of(bytes + 12, 17, 0));
    assert_int_equal(write_file_bytes(huge, bytes, size), 0);
    free(bytes);
    assert_int_equal(frame_load_image(huge, &f, &e), SL_ERR_LIMIT);
    assert_error(&e, SL_ERR_LIMIT, "huge.png", "30000x30000");

    /* WebP: decoded where the plugin exists, else "unsupported" */
    if (has_convert()) {
        const char *webp = tmp_file("pic.webp");
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "convert -size 16x8 xc:'rgb(10,120,240)' '%s'", webp);
        assert_int_equal(run_command(cmd, NULL, NULL), 0);
        sl_status st = frame_load_image(webp, &f, &e);
        if (st == SL_OK) {
            assert_int_equal(f.width, 16);
            frame_free(&f);
        } else {
            assert_error(&e, SL_ERR_UNSUPPORTED, "pic.webp", "unsupported format");
            assert_true(strstr(e.msg, "webp") != NULL);
        }
    }
}

/* Nothing of the above may reach stderr: GStreamer is silenced by the library
 * itself, not by GST_DEBUG in the test environment (main unsets it). */
static void silent_stderr(void **state)
{
    (void)state;
    const char *log = tmp_file("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);

    frame f;
    sl_error e = {0};
    const char *cut = tmp_file("quiet.jpg");
    const char *jpg = asset_path("samples/menu-rotated.jpg");
    if (jpg) {
        size_t size;
        unsigned char *bytes = read_file_bytes(jpg, &size);
        write_file_bytes(cut, bytes, size);
        if (frame_load_image(cut, &f, &e) == SL_OK)
            frame_free(&f);
        write_file_bytes(cut, bytes, size / 2);
        frame_load_image(cut, &f, &e);
        free(bytes);
    }
    const char *junk = tmp_file("quiet.bin");
    write_file_bytes(junk, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
    frame_load_image(junk, &f, &e);
    frame_source *src;
    if (frame_source_open("camera:/dev/video98", NULL, &src, &e) == SL_OK)
        frame_source_close(src);
    if (frame_source_open("test:snow", NULL, &src, &e) == SL_OK) {
        frame g = {0};
        frame_source_next(src, &g, &e);
        frame_free(&g);
        frame_source_close(src);
    }

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    unsigned char *out = read_file_bytes(log, &n);
    assert_non_null(out);
    if (n)
        fail_msg("stderr got %zu bytes: %.300s", n, (const char *)out);
    free(out);
}

static int setup(void **state)
{
    (void)state;
    tmp = temp_dir_create();
    return tmp ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    temp_dir_remove(tmp);
    return 0;
}

int main(void)
{
    unsetenv("GST_DEBUG");
    gst_init(NULL, NULL); /* the test's own video writer uses GStreamer directly */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(png_rgb8_exact),
        cmocka_unit_test(png_alpha_over_white),
        cmocka_unit_test(png_16bit_colour),
        cmocka_unit_test(jpeg_blocks),
        cmocka_unit_test(jpeg_exif_orientation),
        cmocka_unit_test(other_formats),
        cmocka_unit_test(sample_assets_load),
        cmocka_unit_test(png_save_roundtrip),
        cmocka_unit_test(video_nth_frame),
        cmocka_unit_test(test_pattern_source),
        cmocka_unit_test(still_source),
        cmocka_unit_test(no_camera),
        cmocka_unit_test(bad_inputs),
        cmocka_unit_test(silent_stderr),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
