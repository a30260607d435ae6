/* wav.c: round trips, every supported encoding, and hostile files
 * (truncated at every byte, huge chunk sizes, contradictory fmt chunks,
 * random corruption) that must fail with one line and never read out of
 * bounds (the san build checks the last part). */
#include "tests/speech/speech_test.h"

#include <dirent.h>
#include <stdint.h>

/* ---- building WAV bytes by hand ---------------------------------------- */

typedef struct bytes {
    unsigned char data[1 << 16];
    size_t n;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->data);
    memcpy(b->data + b->n, p, n);
    b->n += n;
}

static void put_u16(bytes *b, unsigned v)
{
    unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    put(b, x, 2);
}

static void put_u32(bytes *b, uint32_t v)
{
    put_u16(b, v & 0xFFFF);
    put_u16(b, v >> 16);
}

static void put_fmt(bytes *b, int tag, int channels, uint32_t rate, int bits)
{
    put(b, "fmt ", 4);
    put_u32(b, 16);
    put_u16(b, (unsigned)tag);
    put_u16(b, (unsigned)channels);
    put_u32(b, rate);
    put_u32(b, rate * (uint32_t)channels * (uint32_t)bits / 8);
    put_u16(b, (unsigned)(channels * bits / 8));
    put_u16(b, (unsigned)bits);
}

static void put_riff(bytes *b)
{
    put(b, "RIFF", 4);
    put_u32(b, 0); /* patched by finish() */
    put(b, "WAVE", 4);
}

static void finish(bytes *b)
{
    uint32_t v = (uint32_t)(b->n - 8);
    for (int i = 0; i < 4; i++)
        b->data[4 + i] = (unsigned char)(v >> (8 * i));
}

static char *dir;

static const char *file_in_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static const char *write_bytes(const char *name, const bytes *b, size_t n)
{
    const char *path = file_in_dir(name);
    assert_int_equal(write_file_bytes(path, b->data, n), 0);
    return path;
}

/* A stereo 16-bit file: fmt, a LIST chunk of odd size (padded), then data
 * last, so that every cut of it is missing something. */
static void hostile_base(bytes *b, size_t frames)
{
    memset(b, 0, sizeof *b);
    put_riff(b);
    put_fmt(b, 1, 2, 8000, 16);
    put(b, "LIST", 4);
    put_u32(b, 5);
    put(b, "INFOx\0", 6);
    put(b, "data", 4);
    put_u32(b, (uint32_t)(frames * 4));
    for (size_t i = 0; i < frames * 2; i++)
        put_u16(b, (unsigned)(uint16_t)(int16_t)(i * 97 - 3000));
    finish(b);
}

static int setup(void **state)
{
    (void)state;
    dir = temp_dir_create();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    temp_dir_remove(dir);
    return 0;
}

/* ---- round trips ----------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    static const int shapes[][3] = {{44100, 2, 1001}, {22050, 1, 7}, {16000, 1, 0},
                                    {8000, 6, 333}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        pcm_s16 in;
        sl_error err;
        assert_int_equal(pcm_s16_alloc(&in, shapes[s][0], shapes[s][1], (size_t)shapes[s][2],
                                       &err), SL_OK);
        size_t n = in.frames * (size_t)in.channels;
        for (size_t i = 0; i < n; i++)
            in.samples[i] = (int16_t)((i * 7919u) % 65536u - 32768);
        if (n >= 2) {
            in.samples[0] = INT16_MIN;
            in.samples[1] = INT16_MAX;
        }
        const char *path = file_in_dir("round.wav");
        assert_int_equal(wav_write(path, &in, &err), SL_OK);
        size_t size = 0;
        unsigned char *raw = read_file_bytes(path, &size);
        assert_non_null(raw);
        assert_int_equal(size, 44 + 2 * n);
        assert_memory_equal(raw, "RIFF", 4);
        free(raw);
        if (n == 0) {
            /* A file with no samples is not worth reading back: it is refused. */
            pcm_s16 out;
            assert_int_equal(wav_read(path, &out, &err), SL_ERR_FORMAT);
            assert_one_line_naming(&err, path);
        } else {
            pcm_s16 out;
            assert_int_equal(wav_read(path, &out, &err), SL_OK);
            assert_int_equal(out.rate, in.rate);
            assert_int_equal(out.channels, in.channels);
            assert_int_equal(out.frames, in.frames);
            assert_memory_equal(out.samples, in.samples, n * sizeof(int16_t));
            pcm_s16_free(&out);
            /* Mono float: the mean of the channels over 32768, exactly. */
            pcm_f32 mono;
            assert_int_equal(wav_read_f32_mono(path, &mono, &err), SL_OK);
            assert_int_equal(mono.count, in.frames);
            for (size_t i = 0; i < in.frames; i++) {
                double sum = 0;
                for (int c = 0; c < in.channels; c++)
                    sum += in.samples[i * (size_t)in.channels + (size_t)c] / 32768.0;
                assert_float_equal(mono.samples[i], sum / in.channels, 1e-6);
            }
            pcm_f32_free(&mono);
        }
        pcm_s16_free(&in);
    }
}

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_write_atomic_and_errors(void **state)
{
    (void)state;
    char *sub = temp_dir_create();
    assert_non_null(sub);
    char path[512];
    snprintf(path, sizeof path, "%s/speech.wav", sub);
    assert_int_equal(write_file_bytes(path, "old", 3), 0);
    pcm_s16 p;
    sl_error err;
    assert_int_equal(pcm_s16_alloc(&p, 22050, 1, 100, &err), SL_OK);
    assert_int_equal(wav_write(path, &p, &err), SL_OK);
    /* Replaced in place, no temporary left behind. */
    assert_int_equal(count_entries(sub), 1);
    size_t size = 0;
    free(read_file_bytes(path, &size));
    assert_int_equal(size, 44 + 200);

    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-folder/x.wav", sub);
    assert_int_equal(wav_write(missing, &p, &err), SL_ERR_IO);
    assert_one_line_naming(&err, missing);
    assert_non_null(strstr(err.msg, "cannot create"));
    assert_int_equal(count_entries(sub), 1);

    pcm_s16 bad = p;
    bad.channels = 0;
    assert_int_equal(wav_write(path, &bad, &err), SL_ERR_ARG);
    pcm_s16_free(&p);
    temp_dir_remove(sub);
}

/* ---- encodings --------------------------------------------------------- */

static void test_encodings(void **state)
{
    (void)state;
    sl_error err;
    pcm_s16 out;
    pcm_f32 mono;
    bytes b;

    /* 8-bit unsigned, stereo: 0, 128, 255, 64 */
    memset(&b, 0, sizeof b);
    put_riff(&b);
    put_fmt(&b, 1, 2, 11025, 8);
    put(&b, "data", 4);
    put_u32(&b, 4);
    put(&b, "\x00\x80\xff\x40", 4);
    finish(&b);
    const char *path = write_bytes("u8.wav", &b, b.n);
    assert_int_equal(wav_read(path, &out, &err), SL_OK);
    assert_int_equal(out.frames, 2);
    assert_int_equal(out.samples[0], -32768);
    assert_int_equal(out.samples[1], 0);
    assert_int_equal(out.samples[2], 127 * 256);
    assert_int_equal(out.samples[3], -64 * 256);
    pcm_s16_free(&out);
    assert_int_equal(wav_read_f32_mono(path, &mono, &err), SL_OK);
    assert_float_equal(mono.samples[0], -0.5, 1e-7);
    assert_float_equal(mono.samples[1], (127.0 / 128 - 0.5) / 2, 1e-7);
    pcm_f32_free(&mono);

    /* 24-bit mono: full scale, -1 LSB, a value that rounds. */
    memset(&b, 0, sizeof b);
    put_riff(&b);
    put_fmt(&b, 1, 1, 48000, 24);
    put(&b, "data", 4);
    put_u32(&b, 9);
    put(&b, "\xff\xff\x7f" "\xff\xff\xff" "\x80\x01\x00", 9);
    put(&b, "\0", 1); /* pad byte */
    finish(&b);
    path = write_bytes("s24.wav", &b, b.n);
    assert_int_equal(wav_read(path, &out, &err), SL_OK);
    assert_int_equal(out.frames, 3);
    assert_int_equal(out.samples[0], 32767);
    assert_int_equal(out.samples[1], 0);
    assert_int_equal(out.samples[2], 2); /* 0x180 / 256 = 1.5 -> 2 */
    pcm_s16_free(&out);
    assert_int_equal(wav_read_f32_mono(path, &mono, &err), SL_OK);
    assert_float_equal(mono.samples[1], -1.0 / 8388608.0, 1e-12);
    pcm_f32_free(&mono);

    /* 32-bit int and 32/64-bit float (clipped, NaN made silent). */
    memset(&b, 0, sizeof b);
    put_riff(&b);
    put_fmt(&b, 1, 1, 16000, 32);
    put(&b, "data", 4);
    put_u32(&b, 8);
    put_u32(&b, 0x40000000u);
    put_u32(&b, 0x80000000u);
    finish(&b);
    path = write_bytes("s32.wav", &b, b.n);
    assert_int_equal(wav_read(path, &out, &err), SL_OK);
    assert_int_equal(out.samples[0], 16384);
    assert_int_equal(out.samples[1], -32768);
    pcm_s16_free(&out);

    float fv[4] = {0.25f, 2.0f, -3.0f, NAN};
    memset(&b, 0, sizeof b);
    put_riff(&b);
    put_fmt(&b, 3, 1, 16000, 32);
    put(&b, "data", 4);
    put_u32(&b, sizeof fv);
    for (int i = 0; i < 4; i++) {
        uint32_t u;
        memcpy(&u, &fv[i], 4);
        put_u32(&b, u);
    }
    finish(&b);
    path = write_bytes("f32.wav", &b, b.n);
    assert_int_equal(wav_read(path, &out, &err), SL_OK);
    assert_int_equal(out.samples[0], 8192);
    assert_int_equal(out.samples[1], 32767);
    assert_int_equal(out.samples[2], -32768);
    assert_int_equal(out.samples[3], 0);
    pcm_s16_free(&out);
    assert_int_equal(wav_read_f32_mono(path, &mono, &err), SL_OK);
    assert_float_equal(mono.samples[1], 2.0, 0); /* full precision, not clipped */
    assert_float_equal(mono.samples[3], 0.0, 0);
    pcm_f32_free(&mono);

    double dv = -0.125;
    uint64_t du;
    memcpy(&du, &dv, 8);
    memset(&b, 0, sizeof b);
    put_riff(&b);
    put_fmt(&b, 3, 1, 16000, 64);
    put(&b, "data", 4);
    put_u32(&b, 8);
    put_u32(&b, (uint32_t)du);
    put_u32(&b, (uint32_t)(du >> 32));
    finish(&b);
    path = write_bytes("f64.wav", &b, b.n);
    assert_int_equal(wav_read(path, &out, &err), SL_OK);
    assert_int_equal(out.samples[0], -4096);
    pcm_s16_free(&out);

    /* WAVE_FORMAT_EXTENSIBLE wrapping 16-bit PCM, data before a trailing chunk. */
    static const unsigned char pcm_guid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                               0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    memset(&b, 0, sizeof b);
    put_riff(&b);
    put(&b, "fmt ", 4);
    put_u32(&b, 40);
    put_u16(&b, 0xFFFE);
    put_u16(&b, 1);
    put_u32(&b, 16000);
    put_u32(&b, 32000);
    put_u16(&b, 2);
    put_u16(&b, 16);
    put_u16(&b, 22);
    put_u16(&b, 16);
    put_u32(&b, 4);
    put(&b, pcm_guid, 16);
    put(&b, "data", 4);
    put_u32(&b, 4);
    put_u16(&b, 1234);
    put_u16(&b, (unsigned)(uint16_t)-1234);
    put(&b, "junk", 4);
    put_u32(&b, 2);
    put(&b, "xy", 2);
    finish(&b);
    path = write_bytes("ext.wav", &b, b.n);
    assert_int_equal(wav_read(path, &out, &err), SL_OK);
    assert_int_equal(out.frames, 2);
    assert_int_equal(out.samples[0], 1234);
    assert_int_equal(out.samples[1], -1234);
    pcm_s16_free(&out);
    /* The same with an A-law sub-format is valid but unsupported. */
    b.data[12 + 8 + 24] = 0x06;
    path = write_bytes("ext-alaw.wav", &b, b.n);
    assert_int_equal(wav_read(path, &out, &err), SL_ERR_UNSUPPORTED);
    assert_one_line_naming(&err, path);
}

static void test_read_speech_resamples(void **state)
{
    (void)state;
    pcm_s16 in;
    sl_error err;
    assert_int_equal(pcm_s16_alloc(&in, 22050, 2, 22050, &err), SL_OK);
    for (size_t i = 0; i < in.frames; i++) {
        int16_t v = (int16_t)(10000.0 * sin(2 * M_PI * 440.0 * (double)i / 22050));
        in.samples[2 * i] = v;
        in.samples[2 * i + 1] = v;
    }
    const char *path = file_in_dir("speech.wav");
    assert_int_equal(wav_write(path, &in, &err), SL_OK);
    pcm_f32 sp;
    assert_int_equal(wav_read_speech(path, &sp, &err), SL_OK);
    assert_int_equal(sp.rate, SPEECH_RATE);
    assert_int_equal(sp.count, 16000);
    /* The tone keeps its pitch (tolerance 0.05 Hz over 0.9 s) and level. */
    assert_float_equal(sine_frequency(sp.samples, 800, 15200, SPEECH_RATE), 440.0, 0.05);
    assert_float_equal(pcm_f32_rms(&sp), 10000.0 / 32768 / sqrt(2.0), 0.003);
    pcm_f32_free(&sp);
    pcm_s16_free(&in);
}

/* ---- hostile files ------------------------------------------------------- */

static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    bytes *b = malloc(sizeof *b);
    assert_non_null(b);
    hostile_base(b, 50);
    sl_error err;
    pcm_s16 out;
    pcm_f32 mono;
    const char *path = write_bytes("whole.wav", b, b->n);
    assert_int_equal(wav_read(path, &out, &err), SL_OK);
    assert_int_equal(out.frames, 50);
    pcm_s16_free(&out);
    for (size_t cut = 0; cut < b->n; cut++) {
        path = write_bytes("cut.wav", b, cut);
        sl_status st = wav_read(path, &out, &err);
        if (st != SL_ERR_FORMAT)
            print_error("cut at %zu: status %d (%s)\n", cut, (int)st, err.msg);
        assert_int_equal(st, SL_ERR_FORMAT);
        assert_one_line_naming(&err, path);
        assert_null(out.samples);
        assert_int_equal(wav_read_f32_mono(path, &mono, &err), SL_ERR_FORMAT);
    }

    /* A data chunk of size 0xFFFFFFFF runs to the end: every cut past the
     * header reads the whole frames that are there, never more. */
    /* RIFF header 12, fmt 8 + 16, LIST 8 + 5 + pad, "data" */
    const size_t data_size_at = 12 + 24 + 14 + 4, data_at = data_size_at + 4;
    assert_int_equal(b->n, data_at + 50 * 4);
    memset(b->data + data_size_at, 0xFF, 4);
    for (size_t cut = data_at; cut <= b->n; cut++) {
        path = write_bytes("stream.wav", b, cut);
        size_t frames = (cut - data_at) / 4;
        sl_status st = wav_read(path, &out, &err);
        if (frames == 0) {
            assert_int_equal(st, SL_ERR_FORMAT);
            continue;
        }
        assert_int_equal(st, SL_OK);
        assert_int_equal(out.frames, frames);
        assert_int_equal(out.samples[2 * frames - 1], (int16_t)((2 * frames - 1) * 97 - 3000));
        pcm_s16_free(&out);
    }
    free(b);
}

static void expect_failure(const char *name, const bytes *b, sl_status want)
{
    const char *path = write_bytes(name, b, b->n);
    sl_error err;
    pcm_s16 out;
    sl_status st = wav_read(path, &out, &err);
    if (st != want)
        print_error("%s: status %d, wanted %d (%s)\n", name, (int)st, (int)want, err.msg);
    assert_int_equal(st, want);
    assert_one_line_naming(&err, path);
    pcm_f32 sp;
    assert_int_equal(wav_read_speech(path, &sp, &err), want);
    assert_null(sp.samples);
}

static void test_huge_chunk_sizes(void **state)
{
    (void)state;
    bytes *b = malloc(sizeof *b);
    assert_non_null(b);
    static const uint32_t sizes[] = {0xFFFFFFF0u, 0x80000000u, 0x7FFFFFFFu, 1000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        /* in the LIST chunk */
        hostile_base(b, 10);
        for (int i = 0; i < 4; i++)
            b->data[12 + 24 + 4 + (size_t)i] = (unsigned char)(sizes[k] >> (8 * i));
        expect_failure("huge-list.wav", b, SL_ERR_FORMAT);
        /* in the data chunk */
        hostile_base(b, 10);
        const size_t at = 12 + 24 + 14 + 4;
        for (int i = 0; i < 4; i++)
            b->data[at + (size_t)i] = (unsigned char)(sizes[k] >> (8 * i));
        expect_failure("huge-data.wav", b, SL_ERR_FORMAT);
        /* in the fmt chunk */
        hostile_base(b, 10);
        for (int i = 0; i < 4; i++)
            b->data[16 + (size_t)i] = (unsigned char)(sizes[k] >> (8 * i));
        expect_failure("huge-fmt.wav", b, SL_ERR_FORMAT);
    }
    free(b);
}

static void test_wrong_fmt(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int tag, channels;
        uint32_t rate;
        int bits;
        sl_status want;
        const char *says;
    } cases[] = {
        {"zero-channels.wav", 1, 0, 16000, 16, SL_ERR_FORMAT, "channels"},
        {"many-channels.wav", 1, 65, 16000, 16, SL_ERR_FORMAT, "channels"},
        {"zero-rate.wav", 1, 1, 0, 16, SL_ERR_FORMAT, "rate"},
        {"huge-rate.wav", 1, 1, 4000000000u, 16, SL_ERR_FORMAT, "rate"},
        {"12-bit.wav", 1, 1, 16000, 12, SL_ERR_UNSUPPORTED, "12-bit"},
        {"float16.wav", 3, 1, 16000, 16, SL_ERR_UNSUPPORTED, "float"},
        {"alaw.wav", 6, 1, 8000, 8, SL_ERR_UNSUPPORTED, "0x0006"},
        {"adpcm.wav", 2, 1, 8000, 4, SL_ERR_UNSUPPORTED, "0x0002"},
    };
    bytes *b = malloc(sizeof *b);
    assert_non_null(b);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memset(b, 0, sizeof *b);
        put_riff(b);
        put_fmt(b, cases[k].tag, cases[k].channels, cases[k].rate, cases[k].bits);
        put(b, "data", 4);
        put_u32(b, 8);
        put(b, "\1\2\3\4\5\6\7\10", 8);
        finish(b);
        expect_failure(cases[k].name, b, cases[k].want);
        sl_error err;
        pcm_s16 out;
        wav_read(file_in_dir(cases[k].name), &out, &err);
        assert_non_null(strstr(err.msg, cases[k].says));
    }

    /* block size contradicting the channels and bits */
    hostile_base(b, 4);
    b->data[12 + 8 + 12] = 3;
    expect_failure("block.wav", b, SL_ERR_FORMAT);
    /* fmt chunk too short */
    hostile_base(b, 4);
    b->data[16] = 14;
    expect_failure("short-fmt.wav", b, SL_ERR_FORMAT);
    /* no fmt at all: rename it */
    hostile_base(b, 4);
    memcpy(b->data + 12, "fmx ", 4);
    expect_failure("no-fmt.wav", b, SL_ERR_FORMAT);
    /* two data chunks */
    hostile_base(b, 4);
    put(b, "data", 4);
    put_u32(b, 0);
    finish(b);
    expect_failure("two-data.wav", b, SL_ERR_FORMAT);
    /* not RIFF, RF64 */
    hostile_base(b, 4);
    memcpy(b->data, "RIFX", 4);
    expect_failure("rifx.wav", b, SL_ERR_FORMAT);
    memcpy(b->data, "RF64", 4);
    expect_failure("rf64.wav", b, SL_ERR_UNSUPPORTED);
    /* text, empty */
    memset(b, 0, sizeof *b);
    put(b, "this is not a sound file at all\n", 32);
    expect_failure("text.wav", b, SL_ERR_FORMAT);
    b->n = 0;
    expect_failure("empty.wav", b, SL_ERR_FORMAT);

    sl_error err;
    pcm_s16 out;
    assert_int_equal(wav_read(file_in_dir("does-not-exist.wav"), &out, &err), SL_ERR_IO);
    assert_one_line_naming(&err, "does-not-exist.wav");
    assert_int_equal(wav_read(dir, &out, &err), SL_ERR_IO);
    free(b);
}

/* Random bytes flipped in a valid file: any outcome but a crash or an
 * out-of-bounds read (which the san build reports) is fine; a failure is
 * one line. */
static void test_random_corruption(void **state)
{
    (void)state;
    bytes *base = malloc(sizeof *base), *b = malloc(sizeof *b);
    assert_non_null(base);
    assert_non_null(b);
    hostile_base(base, 30);
    uint32_t seed = 12345;
    int failures = 0;
    for (int iter = 0; iter < 500; iter++) {
        *b = *base;
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1664525u + 1013904223u;
            size_t at = (seed >> 8) % 60; /* the headers */
            seed = seed * 1664525u + 1013904223u;
            b->data[at] = (unsigned char)(seed >> 24);
        }
        const char *path = write_bytes("fuzz.wav", b, b->n);
        sl_error err;
        pcm_s16 out;
        sl_status st = wav_read(path, &out, &err);
        if (st == SL_OK) {
            assert_true(out.frames > 0);
            assert_true(out.frames * (size_t)out.channels * 2 <= b->n);
            pcm_s16_free(&out);
        } else {
            assert_one_line_naming(&err, path);
            failures++;
        }
    }
    assert_true(failures > 0);
    free(base);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_write_atomic_and_errors),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_read_speech_resamples),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_huge_chunk_sizes),
        cmocka_unit_test(test_wrong_fmt),
        cmocka_unit_test(test_random_corruption),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
