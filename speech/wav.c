#include "speech/wav.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "speech/resample.h"

enum {
    TAG_PCM = 0x0001,
    TAG_FLOAT = 0x0003,
    TAG_EXTENSIBLE = 0xFFFE,
    FMT_MAX_BYTES = 4096, /* a real fmt chunk has 16, 18 or 40 */
};

/* What the header walk found; data_offset/data_bytes lie inside the file. */
typedef struct wav_info {
    int tag;              /* TAG_PCM or TAG_FLOAT after unwrapping EXTENSIBLE */
    int channels;
    int rate;
    int bytes_per_sample; /* container size: 1, 2, 3, 4 or 8 */
    size_t frames;
    uint64_t data_offset;
} wav_info;

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static sl_status read_at(FILE *f, const char *path, uint64_t off, void *buf, size_t n,
                         sl_error *err)
{
    if (off > (uint64_t)INT64_MAX || fseeko(f, (off_t)off, SEEK_SET) != 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot seek to byte %llu: %s", path,
                       (unsigned long long)off, strerror(errno));
    if (fread(buf, 1, n, f) != n)
        return ferror(f) ? sl_fail(err, SL_ERR_IO, "%s: cannot read: %s", path, strerror(errno))
                         : sl_fail(err, SL_ERR_FORMAT, "%s: truncated at byte %llu", path,
                                   (unsigned long long)off);
    return SL_OK;
}

static sl_status parse_fmt(const char *path, const unsigned char *b, uint32_t size,
                           wav_info *w, sl_error *err)
{
    if (size < 16)
        return sl_fail(err, SL_ERR_FORMAT, "%s: fmt chunk of %u bytes is too short", path,
                       (unsigned)size);
    int tag = le16(b);
    int channels = le16(b + 2);
    uint32_t rate = le32(b + 4);
    int block_align = le16(b + 12);
    int bits = le16(b + 14);
    if (tag == TAG_EXTENSIBLE) {
        /* cbSize, valid bits, channel mask, then a GUID whose first two bytes
         * are the real tag and whose other 14 are fixed. */
        static const unsigned char guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                    0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
        if (size < 40)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: extensible fmt chunk of %u bytes is too short (needs 40)", path,
                           (unsigned)size);
        if (memcmp(b + 26, guid_tail, sizeof guid_tail) != 0)
            return sl_fail(err, SL_ERR_UNSUPPORTED,
                           "%s: extensible WAV with a sub-format that is not PCM or float", path);
        tag = le16(b + 24);
    }
    if (tag != TAG_PCM && tag != TAG_FLOAT)
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "%s: WAV encoding 0x%04x is not supported (only PCM and float)", path,
                       (unsigned)tag);
    if (channels < 1 || channels > PCM_MAX_CHANNELS)
        return sl_fail(err, SL_ERR_FORMAT, "%s: %d channels is out of range (1..%d)", path,
                       channels, PCM_MAX_CHANNELS);
    if (rate < 1 || rate > PCM_MAX_RATE)
        return sl_fail(err, SL_ERR_FORMAT, "%s: sample rate %u Hz is out of range (1..%d)", path,
                       (unsigned)rate, PCM_MAX_RATE);
    int bits_ok = tag == TAG_PCM ? (bits == 8 || bits == 16 || bits == 24 || bits == 32)
                                 : (bits == 32 || bits == 64);
    if (!bits_ok)
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: %d-bit %s samples are not supported", path,
                       bits, tag == TAG_PCM ? "integer" : "float");
    if (block_align != channels * (bits / 8))
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: block size %d contradicts %d channels of %d bits", path,
                       block_align, channels, bits);
    w->tag = tag;
    w->channels = channels;
    w->rate = (int)rate;
    w->bytes_per_sample = bits / 8;
    return SL_OK;
}

/* Walks the chunks and leaves f ready for reading the samples. */
static sl_status wav_parse(FILE *f, const char *path, wav_info *w, sl_error *err)
{
    memset(w, 0, sizeof *w);
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sl_fail(err, SL_ERR_IO, "%s: not a regular file", path);
    const uint64_t file_size = (uint64_t)st.st_size;
    if (file_size == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: empty file", path);
    unsigned char head[12];
    if (file_size < sizeof head)
        return sl_fail(err, SL_ERR_FORMAT, "%s: not a WAV file (%llu bytes)", path,
                       (unsigned long long)file_size);
    sl_status s = read_at(f, path, 0, head, sizeof head, err);
    if (s != SL_OK)
        return s;
    if (memcmp(head, "RF64", 4) == 0 && memcmp(head + 8, "WAVE", 4) == 0)
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: RF64 (64-bit WAV) is not supported", path);
    if (memcmp(head, "RIFF", 4) != 0 || memcmp(head + 8, "WAVE", 4) != 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: not a WAV file (no RIFF/WAVE header)", path);

    int have_fmt = 0, have_data = 0;
    uint64_t data_bytes = 0;
    uint64_t pos = sizeof head;
    /* The RIFF size field is often wrong in files from streams; the file
     * size is what bounds every chunk. */
    while (pos + 8 <= file_size) {
        unsigned char ch[8];
        s = read_at(f, path, pos, ch, sizeof ch, err);
        if (s != SL_OK)
            return s;
        uint32_t size = le32(ch + 4);
        uint64_t body = pos + 8;
        uint64_t left = file_size - body;
        if (memcmp(ch, "data", 4) == 0) {
            if (have_data)
                return sl_fail(err, SL_ERR_FORMAT, "%s: more than one data chunk", path);
            have_data = 1;
            w->data_offset = body;
            if (size == 0xFFFFFFFFu) {
                data_bytes = left;
                break; /* runs to the end: nothing can follow */
            }
            if (size > left)
                return sl_fail(err, SL_ERR_FORMAT,
                               "%s: truncated: data chunk of %u bytes at byte %llu runs past "
                               "the end of the file (%llu bytes)",
                               path, (unsigned)size, (unsigned long long)body,
                               (unsigned long long)file_size);
            data_bytes = size;
        } else {
            if (size > left)
                return sl_fail(err, SL_ERR_FORMAT,
                               "%s: truncated: '%c%c%c%c' chunk of %u bytes at byte %llu runs "
                               "past the end of the file (%llu bytes)",
                               path, ch[0] >= 32 && ch[0] < 127 ? ch[0] : '?',
                               ch[1] >= 32 && ch[1] < 127 ? ch[1] : '?',
                               ch[2] >= 32 && ch[2] < 127 ? ch[2] : '?',
                               ch[3] >= 32 && ch[3] < 127 ? ch[3] : '?', (unsigned)size,
                               (unsigned long long)body, (unsigned long long)file_size);
            if (memcmp(ch, "fmt ", 4) == 0) {
                if (have_fmt)
                    return sl_fail(err, SL_ERR_FORMAT, "%s: more than one fmt chunk", path);
                if (size > FMT_MAX_BYTES)
                    return sl_fail(err, SL_ERR_FORMAT, "%s: fmt chunk of %u bytes is too large",
                                   path, (unsigned)size);
                unsigned char fmt[FMT_MAX_BYTES];
                s = read_at(f, path, body, fmt, size, err);
                if (s == SL_OK)
                    s = parse_fmt(path, fmt, size, w, err);
                if (s != SL_OK)
                    return s;
                have_fmt = 1;
            }
        }
        pos = body + size + (size & 1); /* chunks are padded to even sizes */
    }
    /* A few stray bytes after the last chunk (a missing pad, a cut tail
     * shorter than a chunk header) are harmless once both chunks are in. */
    if (!have_fmt)
        return sl_fail(err, SL_ERR_FORMAT, "%s: no fmt chunk (truncated or not a WAV file)",
                       path);
    if (!have_data)
        return sl_fail(err, SL_ERR_FORMAT, "%s: no data chunk (truncated or not a WAV file)",
                       path);
    size_t block = (size_t)w->channels * (size_t)w->bytes_per_sample;
    uint64_t frames = data_bytes / block; /* a partial last frame is dropped */
    if (frames == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: no audio samples in it", path);
    if (frames > SIZE_MAX / block)
        return sl_fail(err, SL_ERR_NOMEM, "%s: %llu frames do not fit in memory", path,
                       (unsigned long long)frames);
    w->frames = (size_t)frames;
    if (fseeko(f, (off_t)w->data_offset, SEEK_SET) != 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot seek: %s", path, strerror(errno));
    return SL_OK;
}

/* One sample of the file as a double in [-1, 1) (integers) or as stored
 * (float; non-finite values become 0 so they cannot poison what follows). */
static double sample_value(const wav_info *w, const unsigned char *p)
{
    if (w->tag == TAG_FLOAT) {
        double v;
        if (w->bytes_per_sample == 4) {
            uint32_t u = le32(p);
            float x;
            memcpy(&x, &u, sizeof x);
            v = x;
        } else {
            uint64_t u = (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
            memcpy(&v, &u, sizeof v);
        }
        return isfinite(v) ? v : 0.0;
    }
    switch (w->bytes_per_sample) {
    case 1:
        return ((int)p[0] - 128) / 128.0;
    case 2:
        return (int16_t)le16(p) / 32768.0;
    case 3: {
        int32_t v = (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16));
        if (v & 0x800000)
            v -= 0x1000000;
        return v / 8388608.0;
    }
    default:
        return (int32_t)le32(p) / 2147483648.0;
    }
}

static int16_t to_s16(double v)
{
    double s = v * 32768.0;
    if (s <= -32768.0)
        return INT16_MIN;
    if (s >= 32767.0)
        return INT16_MAX;
    return (int16_t)lrint(s);
}

typedef enum { OUT_S16, OUT_F32_MONO } out_kind;

/* Reads w->frames frames from f in blocks, converting into s16 (interleaved)
 * or f32 (mono). */
static sl_status read_samples(FILE *f, const char *path, const wav_info *w, out_kind kind,
                              int16_t *s16, float *f32, sl_error *err)
{
    const size_t block = (size_t)w->channels * (size_t)w->bytes_per_sample;
    const size_t per_read = 65536 / block + 1;
    unsigned char *buf = malloc(per_read * block);
    if (!buf)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    size_t done = 0;
    sl_status st = SL_OK;
    while (done < w->frames) {
        size_t n = w->frames - done < per_read ? w->frames - done : per_read;
        if (fread(buf, block, n, f) != n) {
            st = ferror(f) ? sl_fail(err, SL_ERR_IO, "%s: cannot read: %s", path, strerror(errno))
                           : sl_fail(err, SL_ERR_FORMAT, "%s: truncated: file shrank while read",
                                     path);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            const unsigned char *fr = buf + i * block;
            if (kind == OUT_S16) {
                int16_t *d = s16 + (done + i) * (size_t)w->channels;
                if (w->tag == TAG_PCM && w->bytes_per_sample == 2) {
                    for (int c = 0; c < w->channels; c++)
                        d[c] = (int16_t)le16(fr + 2 * c);
                } else {
                    for (int c = 0; c < w->channels; c++)
                        d[c] = to_s16(sample_value(w, fr + (size_t)c * w->bytes_per_sample));
                }
            } else {
                double sum = 0.0;
                for (int c = 0; c < w->channels; c++)
                    sum += sample_value(w, fr + (size_t)c * w->bytes_per_sample);
                f32[done + i] = (float)(sum / w->channels);
            }
        }
        done += n;
    }
    free(buf);
    return st;
}

static sl_status open_wav(const char *path, FILE **f, wav_info *w, sl_error *err)
{
    *f = NULL;
    if (!path || !*path)
        return sl_fail(err, SL_ERR_ARG, "WAV file: no path given");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sl_fail(err, SL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    sl_status st = wav_parse(fp, path, w, err);
    if (st != SL_OK) {
        fclose(fp);
        return st;
    }
    *f = fp;
    return SL_OK;
}

sl_status wav_read(const char *path, pcm_s16 *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f;
    wav_info w;
    sl_status st = open_wav(path, &f, &w, err);
    if (st != SL_OK)
        return st;
    pcm_s16 p;
    st = pcm_s16_alloc(&p, w.rate, w.channels, w.frames, err);
    if (st == SL_OK)
        st = read_samples(f, path, &w, OUT_S16, p.samples, NULL, err);
    fclose(f);
    if (st != SL_OK) {
        pcm_s16_free(&p);
        return st;
    }
    *out = p;
    return SL_OK;
}

sl_status wav_read_f32_mono(const char *path, pcm_f32 *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f;
    wav_info w;
    sl_status st = open_wav(path, &f, &w, err);
    if (st != SL_OK)
        return st;
    pcm_f32 p;
    st = pcm_f32_alloc(&p, w.rate, w.frames, err);
    if (st == SL_OK)
        st = read_samples(f, path, &w, OUT_F32_MONO, NULL, p.samples, err);
    fclose(f);
    if (st != SL_OK) {
        pcm_f32_free(&p);
        return st;
    }
    *out = p;
    return SL_OK;
}

sl_status wav_read_speech(const char *path, pcm_f32 *out, sl_error *err)
{
    pcm_f32 file;
    sl_status st = wav_read_f32_mono(path, &file, err);
    if (st != SL_OK || file.rate == SPEECH_RATE) {
        *out = file;
        return st;
    }
    st = resample_f32(&file, SPEECH_RATE, out, err);
    pcm_f32_free(&file);
    if (st != SL_OK)
        sl_error_prefix(err, "%s: ", path);
    return st;
}

/* ---- writing ------------------------------------------------------------------ */

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xFF);
    p[1] = (unsigned char)((v >> 8) & 0xFF);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

static sl_status write_body(FILE *f, const char *path, const pcm_s16 *pcm, sl_error *err)
{
    const size_t total = pcm->frames * (size_t)pcm->channels;
    const uint32_t data_bytes = (uint32_t)(total * 2);
    unsigned char h[44];
    memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + data_bytes + (data_bytes & 1));
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, TAG_PCM);
    put16(h + 22, (unsigned)pcm->channels);
    put32(h + 24, (uint32_t)pcm->rate);
    put32(h + 28, (uint32_t)pcm->rate * (uint32_t)pcm->channels * 2);
    put16(h + 32, (unsigned)pcm->channels * 2);
    put16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put32(h + 40, data_bytes);
    if (fwrite(h, 1, sizeof h, f) != sizeof h)
        return sl_fail(err, SL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    unsigned char buf[8192];
    for (size_t i = 0; i < total;) {
        size_t n = total - i < sizeof buf / 2 ? total - i : sizeof buf / 2;
        for (size_t k = 0; k < n; k++)
            put16(buf + 2 * k, (uint16_t)pcm->samples[i + k]);
        if (fwrite(buf, 2, n, f) != n)
            return sl_fail(err, SL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        i += n;
    }
    return SL_OK;
}

sl_status wav_write(const char *path, const pcm_s16 *pcm, sl_error *err)
{
    if (!path || !*path)
        return sl_fail(err, SL_ERR_ARG, "WAV file: no path given");
    if (pcm->rate < 1 || pcm->rate > PCM_MAX_RATE || pcm->channels < 1 ||
        pcm->channels > PCM_MAX_CHANNELS || (pcm->frames > 0 && !pcm->samples))
        return sl_fail(err, SL_ERR_ARG, "%s: cannot write audio of %d Hz, %d channels", path,
                       pcm->rate, pcm->channels);
    if (pcm->frames > (0xFFFFFFFFu - 44) / 2 / (size_t)pcm->channels)
        return sl_fail(err, SL_ERR_LIMIT, "%s: %zu frames is too long for a WAV file", path,
                       pcm->frames);
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sl_status st = sl_fail(err, SL_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    /* mkstemp makes 0600; a sound file is for anyone to play. */
    (void)fchmod(fd, 0644);
    FILE *f = fdopen(fd, "wb");
    sl_status st = SL_OK;
    if (!f) {
        st = sl_fail(err, SL_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        close(fd);
    } else {
        st = write_body(f, path, pcm, err);
        if (st == SL_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
            st = sl_fail(err, SL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        if (fclose(f) != 0 && st == SL_OK)
            st = sl_fail(err, SL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    if (st == SL_OK && rename(tmp, path) != 0)
        st = sl_fail(err, SL_ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
    if (st != SL_OK)
        unlink(tmp);
    free(tmp);
    return st;
}
