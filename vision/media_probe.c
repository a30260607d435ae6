#include "vision/media_probe_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Printable ASCII, common whitespace or well-formed UTF-8 and no NUL: a text
 * file, which people sometimes save with a picture's name. A multi-byte
 * sequence cut off by the end of the sample is accepted. */
static int looks_like_text(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
                return 0;
            if (c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
        if (extra == 0 || c == 0xc0 || c == 0xc1 || c > 0xf4)
            return 0;
        for (size_t k = 1; k <= extra; k++) {
            if (i + k >= n)
                return 1;
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
        }
        i += extra + 1;
    }
    return 1;
}

media_kind media_sniff(const uint8_t *h, size_t n, const char **name)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const char *nm = "unrecognised data";
    media_kind kind = MEDIA_UNKNOWN;

    if (n >= 8 && memcmp(h, png_sig, 8) == 0) {
        kind = MEDIA_PNG, nm = "PNG";
    } else if (n >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff) {
        kind = MEDIA_JPEG, nm = "JPEG";
    } else if (n >= 6 && (memcmp(h, "GIF87a", 6) == 0 || memcmp(h, "GIF89a", 6) == 0)) {
        kind = MEDIA_GIF, nm = "GIF";
    } else if (n >= 4 && (memcmp(h, "II*\0", 4) == 0 || memcmp(h, "MM\0*", 4) == 0)) {
        kind = MEDIA_TIFF, nm = "TIFF";
    } else if (n >= 12 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBP", 4) == 0) {
        kind = MEDIA_WEBP, nm = "WebP";
    } else if (n >= 12 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "AVI ", 4) == 0) {
        kind = MEDIA_VIDEO, nm = "AVI video";
    } else if (n >= 12 && memcmp(h + 4, "ftyp", 4) == 0) {
        static const char *const heif_brands[] = {"heic", "heix", "hevc", "heim", "heis",
                                                  "mif1", "msf1", "avif", "avis"};
        kind = MEDIA_VIDEO, nm = "MP4/QuickTime video";
        for (size_t i = 0; i < sizeof heif_brands / sizeof heif_brands[0]; i++)
            if (memcmp(h + 8, heif_brands[i], 4) == 0)
                kind = MEDIA_HEIF, nm = "HEIF/AVIF";
    } else if (n >= 8 && (memcmp(h + 4, "moov", 4) == 0 || memcmp(h + 4, "mdat", 4) == 0 ||
                          memcmp(h + 4, "wide", 4) == 0)) {
        kind = MEDIA_VIDEO, nm = "QuickTime video";
    } else if (n >= 4 && h[0] == 0x1a && h[1] == 0x45 && h[2] == 0xdf && h[3] == 0xa3) {
        kind = MEDIA_VIDEO, nm = "Matroska/WebM video";
    } else if (n >= 4 && memcmp(h, "OggS", 4) == 0) {
        kind = MEDIA_VIDEO, nm = "Ogg video";
    } else if (n >= 4 && memcmp(h, "FLV\x01", 4) == 0) {
        kind = MEDIA_VIDEO, nm = "FLV video";
    } else if (n >= 4 && h[0] == 0 && h[1] == 0 && h[2] == 1 && (h[3] == 0xba || h[3] == 0xb3)) {
        kind = MEDIA_VIDEO, nm = "MPEG video";
    } else if (n >= 189 && h[0] == 0x47 && h[188] == 0x47) {
        kind = MEDIA_VIDEO, nm = "MPEG-TS video";
    } else if (n >= 18 && h[0] == 'B' && h[1] == 'M') {
        /* "BM" alone is too weak (text starts with it): require a known DIB header size. */
        uint32_t dib = (uint32_t)h[14] | (uint32_t)h[15] << 8 | (uint32_t)h[16] << 16 |
                       (uint32_t)h[17] << 24;
        if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 ||
            dib == 124)
            kind = MEDIA_BMP, nm = "BMP";
    }
    if (kind == MEDIA_UNKNOWN && looks_like_text(h, n))
        kind = MEDIA_TEXT, nm = "text";
    if (name)
        *name = nm;
    return kind;
}

static sl_status check_size(const char *label, const char *what, uint32_t w, uint32_t h,
                            sl_error *err)
{
    if (w == 0 || h == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: corrupt %s: the header gives a size of %ux%u",
                       label, what, (unsigned)w, (unsigned)h);
    if (w > MEDIA_MAX_SIDE || h > MEDIA_MAX_SIDE ||
        (uint64_t)w * h > (uint64_t)MEDIA_MAX_PIXELS)
        return sl_fail(err, SL_ERR_LIMIT,
                       "%s: %s of %ux%u pixels is larger than the %d-megapixel limit", label,
                       what, (unsigned)w, (unsigned)h, MEDIA_MAX_PIXELS / 1000000);
    return SL_OK;
}

static int png_depth_valid(int color_type, int depth)
{
    switch (color_type) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2:
    case 4:
    case 6: return depth == 8 || depth == 16;
    default: return 0;
    }
}

/* The pixel rows a PNG's header promises: one pass, or Adam7's seven. */
typedef struct png_rows {
    int n_passes;
    uint32_t rows[7];
    uint64_t row_bytes[7]; /* filter byte included */
    uint64_t total;
} png_rows;

static void png_expected_rows(const media_info *info, int interlaced, png_rows *pr)
{
    static const uint8_t adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                        {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
    int ct = info->png_color_type;
    int channels = ct == 2 ? 3 : ct == 4 ? 2 : ct == 6 ? 4 : 1;
    uint64_t bpp = (uint64_t)channels * (uint64_t)info->bit_depth;
    uint64_t w = (uint64_t)info->width, h = (uint64_t)info->height;
    memset(pr, 0, sizeof *pr);
    for (int i = 0; i < (interlaced ? 7 : 1); i++) {
        uint64_t x0 = interlaced ? adam7[i][0] : 0, y0 = interlaced ? adam7[i][1] : 0;
        uint64_t dx = interlaced ? adam7[i][2] : 1, dy = interlaced ? adam7[i][3] : 1;
        uint64_t pw = w > x0 ? (w - x0 + dx - 1) / dx : 0;
        uint64_t ph = h > y0 ? (h - y0 + dy - 1) / dy : 0;
        if (pw == 0 || ph == 0)
            continue;
        pr->rows[pr->n_passes] = (uint32_t)ph;
        pr->row_bytes[pr->n_passes] = 1 + (pw * bpp + 7) / 8;
        pr->total += ph * pr->row_bytes[pr->n_passes];
        pr->n_passes++;
    }
}

/* Inflates the IDAT data as the chunks are walked, checking the zlib stream,
 * the amount of pixel data and every row's filter type, so that libpng (which
 * GStreamer's pngdec lets print to stderr) never meets a broken stream. */
typedef struct png_inflate {
    z_stream z;
    int started, ended;
    png_rows rows;
    int pass;
    uint32_t row;
    uint64_t in_row; /* bytes of the current row seen */
    uint64_t total;
    int bad_filter;
} png_inflate;

static void scan_rows(png_inflate *pi, const uint8_t *p, size_t n)
{
    while (n > 0 && pi->pass < pi->rows.n_passes) {
        if (pi->in_row == 0 && p[0] > 4)
            pi->bad_filter = 1;
        uint64_t left = pi->rows.row_bytes[pi->pass] - pi->in_row;
        size_t take = left < n ? (size_t)left : n;
        pi->in_row += take;
        p += take;
        n -= take;
        if (pi->in_row == pi->rows.row_bytes[pi->pass]) {
            pi->in_row = 0;
            if (++pi->row == pi->rows.rows[pi->pass]) {
                pi->row = 0;
                pi->pass++;
            }
        }
    }
}

static sl_status png_feed(const char *label, png_inflate *pi, const uint8_t *data, size_t n,
                          size_t at, sl_error *err)
{
    uint8_t out[16384];
    if (pi->ended) {
        if (n == 0)
            return SL_OK;
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: corrupt PNG: image data goes on after the compressed stream ends "
                       "(IDAT at byte %zu)",
                       label, at);
    }
    pi->z.next_in = (Bytef *)(uintptr_t)data;
    pi->z.avail_in = (uInt)n;
    while (pi->z.avail_in > 0) {
        pi->z.next_out = out;
        pi->z.avail_out = sizeof out;
        int rc = inflate(&pi->z, Z_NO_FLUSH);
        size_t got = sizeof out - pi->z.avail_out;
        pi->total += got;
        if (pi->total > pi->rows.total)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: corrupt PNG: more image data than its header allows", label);
        scan_rows(pi, out, got);
        if (rc == Z_STREAM_END) {
            pi->ended = 1;
            if (pi->z.avail_in > 0)
                return sl_fail(err, SL_ERR_FORMAT,
                               "%s: corrupt PNG: bytes after the end of the compressed image "
                               "data (IDAT at byte %zu)",
                               label, at);
            break;
        }
        if (rc != Z_OK && !(rc == Z_BUF_ERROR && got > 0))
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: corrupt PNG: the compressed image data is damaged (IDAT at "
                           "byte %zu: %s)",
                           label, at, pi->z.msg ? pi->z.msg : "zlib error");
    }
    return SL_OK;
}

static sl_status probe_png(const char *label, const uint8_t *d, size_t size, media_info *info,
                           sl_error *err)
{
    size_t pos = 8;
    png_inflate pi;
    memset(&pi, 0, sizeof pi);
    sl_status st = SL_OK;
    int interlaced = 0, seen_plte = 0;
    for (int first = 1; st == SL_OK; first = 0) {
        if (size - pos < 8) {
            st = sl_fail(err, SL_ERR_FORMAT,
                         "%s: truncated PNG: the file ends at byte %zu before the IEND chunk",
                         label, size);
            break;
        }
        uint32_t len = be32(d + pos);
        const uint8_t *type = d + pos + 4;
        int type_ok = 1;
        for (int i = 0; i < 4; i++) {
            int c = type[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                type_ok = 0;
        }
        if (!type_ok) {
            st = sl_fail(err, SL_ERR_FORMAT, "%s: corrupt PNG: bad chunk type at byte %zu",
                         label, pos + 4);
            break;
        }
        if (len > 0x7fffffffu) {
            st = sl_fail(err, SL_ERR_FORMAT,
                         "%s: corrupt PNG: chunk '%.4s' at byte %zu has length %u", label,
                         (const char *)type, pos, (unsigned)len);
            break;
        }
        if ((uint64_t)len + 12 > (uint64_t)(size - pos)) {
            st = sl_fail(err, SL_ERR_FORMAT,
                         "%s: truncated PNG: chunk '%.4s' at byte %zu needs %llu bytes but the "
                         "file ends at byte %zu",
                         label, (const char *)type, pos, (unsigned long long)len + 12, size);
            break;
        }
        const uint8_t *body = d + pos + 8;
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), type, (uInt)len + 4);
        if (crc != be32(body + len)) {
            st = sl_fail(err, SL_ERR_FORMAT,
                         "%s: corrupt PNG: chunk '%.4s' at byte %zu fails its CRC check", label,
                         (const char *)type, pos);
            break;
        }
        if (first) {
            if (memcmp(type, "IHDR", 4) != 0 || len != 13) {
                st = sl_fail(err, SL_ERR_FORMAT,
                             "%s: corrupt PNG: the first chunk is not a 13-byte IHDR", label);
                break;
            }
            uint32_t w = be32(body), h = be32(body + 4);
            int depth = body[8], ctype = body[9];
            if (!png_depth_valid(ctype, depth) || body[10] != 0 || body[11] != 0 ||
                body[12] > 1) {
                st = sl_fail(err, SL_ERR_FORMAT,
                             "%s: corrupt PNG: IHDR has colour type %d with bit depth %d, "
                             "compression %d, filter %d, interlace %d",
                             label, ctype, depth, body[10], body[11], body[12]);
                break;
            }
            st = check_size(label, "PNG", w, h, err);
            if (st != SL_OK)
                break;
            info->width = (int)w;
            info->height = (int)h;
            info->bit_depth = depth;
            info->png_color_type = ctype;
            interlaced = body[12];
        } else if (memcmp(type, "PLTE", 4) == 0) {
            if (len == 0 || len % 3 != 0 || len > 768 || pi.started)
                st = sl_fail(err, SL_ERR_FORMAT, "%s: corrupt PNG: bad palette at byte %zu",
                             label, pos);
            seen_plte = (int)(len / 3);
        } else if (memcmp(type, "tRNS", 4) == 0) {
            int ct = info->png_color_type;
            if ((ct == 0 && len != 2) || (ct == 2 && len != 6) ||
                (ct == 3 && (len == 0 || (int)len > seen_plte)) || ct == 4 || ct == 6)
                st = sl_fail(err, SL_ERR_FORMAT,
                             "%s: corrupt PNG: bad transparency chunk at byte %zu", label, pos);
        } else if (memcmp(type, "IDAT", 4) == 0) {
            if (info->png_color_type == 3 && !seen_plte) {
                st = sl_fail(err, SL_ERR_FORMAT,
                             "%s: corrupt PNG: palette picture without a palette", label);
                break;
            }
            if (!pi.started) {
                if (inflateInit(&pi.z) != Z_OK) {
                    st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for zlib", label);
                    break;
                }
                pi.started = 1;
                png_expected_rows(info, interlaced, &pi.rows);
            }
            st = png_feed(label, &pi, body, len, pos, err);
        } else if (memcmp(type, "IEND", 4) == 0) {
            if (!pi.started)
                st = sl_fail(err, SL_ERR_FORMAT, "%s: corrupt PNG: no IDAT image data", label);
            else if (!pi.ended || pi.total != pi.rows.total)
                st = sl_fail(err, SL_ERR_FORMAT,
                             "%s: corrupt PNG: %llu bytes of pixel rows where its %dx%d header "
                             "needs %llu",
                             label, (unsigned long long)pi.total, info->width, info->height,
                             (unsigned long long)pi.rows.total);
            else if (pi.bad_filter)
                st = sl_fail(err, SL_ERR_FORMAT, "%s: corrupt PNG: a row has an unknown filter",
                             label);
            break;
        }
        pos += (size_t)len + 12;
    }
    if (pi.started)
        inflateEnd(&pi.z);
    return st;
}

sl_status media_png_essentials(const uint8_t *data, size_t size, uint8_t **out,
                               size_t *out_size)
{
    static const char keep[][5] = {"IHDR", "PLTE", "tRNS", "IDAT", "IEND"};
    *out = malloc(size);
    *out_size = 0;
    if (!*out)
        return SL_ERR_NOMEM;
    memcpy(*out, data, 8);
    size_t pos = 8, o = 8;
    while (size - pos >= 12) {
        uint32_t len = be32(data + pos);
        if ((uint64_t)len + 12 > (uint64_t)(size - pos))
            break;
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            if (memcmp(data + pos + 4, keep[i], 4) == 0) {
                memcpy(*out + o, data + pos, (size_t)len + 12);
                o += (size_t)len + 12;
            }
        if (memcmp(data + pos + 4, "IEND", 4) == 0)
            break;
        pos += (size_t)len + 12;
    }
    *out_size = o;
    return SL_OK;
}

/* EXIF orientation (tag 0x0112 in IFD0) from an APP1 segment; 0 when absent. */
static int exif_orientation(const uint8_t *seg, size_t len)
{
    if (len < 6 + 8 || memcmp(seg, "Exif\0\0", 6) != 0)
        return 0;
    const uint8_t *t = seg + 6;
    size_t n = len - 6;
    int le;
    if (memcmp(t, "II*\0", 4) == 0)
        le = 1;
    else if (memcmp(t, "MM\0*", 4) == 0)
        le = 0;
    else
        return 0;
#define U16(p) (le ? (unsigned)(p)[0] | (unsigned)(p)[1] << 8 : (unsigned)(p)[0] << 8 | (p)[1])
#define U32(p) (le ? (uint32_t)U16(p) | (uint32_t)U16((p) + 2) << 16 \
                   : (uint32_t)U16(p) << 16 | (uint32_t)U16((p) + 2))
    uint32_t ifd = U32(t + 4);
    if (ifd > n || n - ifd < 2)
        return 0;
    unsigned count = U16(t + ifd);
    if ((n - ifd - 2) / 12 < count)
        return 0;
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *e = t + ifd + 2 + 12 * (size_t)i;
        if (U16(e) == 0x0112 && U16(e + 2) == 3 && U32(e + 4) == 1) {
            unsigned v = U16(e + 8);
            return v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
#undef U16
#undef U32
    return 0;
}

static int jpeg_is_sof(unsigned m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static sl_status probe_jpeg(const char *label, const uint8_t *d, size_t size, media_info *info,
                            sl_error *err)
{
    size_t pos = 2;
    int seen_sof = 0;
    for (;;) {
        if (pos >= size)
            break;
        if (d[pos] != 0xff)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: corrupt JPEG: expected a marker at byte %zu, found 0x%02x",
                           label, pos, d[pos]);
        while (pos < size && d[pos] == 0xff)
            pos++;
        if (pos >= size)
            break;
        size_t at = pos - 1;
        unsigned m = d[pos++];
        if (m == 0xd9) {
            if (!seen_sof)
                return sl_fail(err, SL_ERR_FORMAT, "%s: corrupt JPEG: no frame header", label);
            return SL_OK;
        }
        if ((m >= 0xd0 && m <= 0xd7) || m == 0x01)
            continue;
        if (m == 0x00 || m == 0xd8)
            return sl_fail(err, SL_ERR_FORMAT, "%s: corrupt JPEG: marker 0x%02X at byte %zu",
                           label, m, at);
        if (size - pos < 2)
            break;
        unsigned len = be16(d + pos);
        if (len < 2)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: corrupt JPEG: segment 0x%02X at byte %zu has length %u", label,
                           m, at, len);
        if (len > size - pos)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: truncated JPEG: segment 0x%02X at byte %zu needs %u bytes but "
                           "the file ends at byte %zu",
                           label, m, at, len, size);
        const uint8_t *seg = d + pos + 2;
        size_t seglen = len - 2;
        if (jpeg_is_sof(m)) {
            if (seglen < 6 || seglen < 6 + 3 * (size_t)seg[5] || seg[5] == 0)
                return sl_fail(err, SL_ERR_FORMAT,
                               "%s: corrupt JPEG: frame header at byte %zu is too short", label,
                               at);
            unsigned h = be16(seg + 1), w = be16(seg + 3);
            if (h == 0)
                return sl_fail(err, SL_ERR_UNSUPPORTED,
                               "%s: JPEG with the height given later (DNL marker) is not "
                               "supported",
                               label);
            sl_status st = check_size(label, "JPEG", w, h, err);
            if (st != SL_OK)
                return st;
            info->width = (int)w;
            info->height = (int)h;
            info->bit_depth = seg[0];
            seen_sof = 1;
        }
        if (m == 0xe1 && !info->orientation)
            info->orientation = exif_orientation(seg, seglen);
        pos += len;
        if (m == 0xda) {
            if (!seen_sof)
                return sl_fail(err, SL_ERR_FORMAT,
                               "%s: corrupt JPEG: image data before the frame header", label);
            /* Entropy-coded data: 0xFF is stuffed as FF 00; restart markers
             * and fill bytes sit inside it; any other marker ends the scan. */
            for (;;) {
                const uint8_t *ff = pos < size ? memchr(d + pos, 0xff, size - pos) : NULL;
                if (!ff || (size_t)(ff - d) + 1 >= size) {
                    pos = size;
                    break;
                }
                pos = (size_t)(ff - d);
                unsigned nx = d[pos + 1];
                if (nx == 0x00 || (nx >= 0xd0 && nx <= 0xd7)) {
                    pos += 2;
                    continue;
                }
                if (nx == 0xff) {
                    pos++;
                    continue;
                }
                break;
            }
        }
    }
    return sl_fail(err, SL_ERR_FORMAT,
                   "%s: truncated JPEG: the file ends at byte %zu without an end-of-image "
                   "marker",
                   label, size);
}

sl_status media_probe(const char *label, const uint8_t *data, size_t size, media_info *info,
                      sl_error *err)
{
    memset(info, 0, sizeof *info);
    info->kind = media_sniff(data, size < 4096 ? size : 4096, &info->name);
    switch (info->kind) {
    case MEDIA_PNG: return probe_png(label, data, size, info, err);
    case MEDIA_JPEG: return probe_jpeg(label, data, size, info, err);
    default: return SL_OK;
    }
}
