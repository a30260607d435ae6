/* pcm.c and resample.c: sample conversions, buffers, and soxr resampling
 * (output lengths, streaming equal to one-shot, a sine's frequency, level
 * and timing kept, tones above the new Nyquist frequency removed). */
#include "tests/speech/speech_test.h"

#include <stdint.h>

static void test_sample_conversions(void **state)
{
    (void)state;
    /* int16 -> float -> int16 is exact for every value. */
    for (int v = INT16_MIN; v <= INT16_MAX; v++)
        assert_int_equal(pcm_sample_to_s16(pcm_sample_to_f32((int16_t)v)), v);
    assert_int_equal(pcm_sample_to_s16(1.5f), INT16_MAX);
    assert_int_equal(pcm_sample_to_s16(-1.5f), INT16_MIN);
    assert_int_equal(pcm_sample_to_s16(0.5f / 32768), 0); /* half rounds to even */

    float frames[6] = {1, 3, -2, 2, 0.5f, 0.25f};
    pcm_downmix_f32(frames, 3, 2, frames);
    assert_float_equal(frames[0], 2.0, 0);
    assert_float_equal(frames[1], 0.0, 0);
    assert_float_equal(frames[2], 0.375, 0);

    pcm_s16 s;
    sl_error err;
    assert_int_equal(pcm_s16_alloc(&s, 8000, 2, 2, &err), SL_OK);
    s.samples[0] = 1000, s.samples[1] = 3000, s.samples[2] = -32768, s.samples[3] = -32768;
    pcm_f32 f;
    assert_int_equal(pcm_s16_to_f32_mono(&s, &f, &err), SL_OK);
    assert_float_equal(f.samples[0], 2000.0 / 32768, 1e-9);
    assert_float_equal(f.samples[1], -1.0, 0);
    assert_float_equal(pcm_s16_seconds(&s), 2.0 / 8000, 1e-12);
    assert_float_equal(pcm_s16_rms(&s), sqrt((1e6 + 9e6 + 2.0 * 32768.0 * 32768.0) / 4), 1e-6);
    pcm_s16 back;
    assert_int_equal(pcm_f32_to_s16(&f, &back, &err), SL_OK);
    assert_int_equal(back.channels, 1);
    assert_int_equal(back.samples[0], 2000);
    assert_int_equal(back.samples[1], -32768);
    pcm_s16_free(&back);
    pcm_f32_free(&f);
    pcm_s16_free(&s);

    pcm_s16 no_channels = {22050, 0, 10, NULL};
    assert_int_equal(pcm_s16_to_f32_mono(&no_channels, &f, &err), SL_ERR_ARG);
    assert_null(f.samples);
    assert_float_equal(pcm_s16_rms(&no_channels), 0.0, 0);
    assert_int_equal(pcm_s16_alloc(&s, 0, 1, 1, &err), SL_ERR_ARG);
    assert_int_equal(pcm_s16_alloc(&s, 8000, 65, 1, &err), SL_ERR_ARG);
    assert_int_equal(pcm_s16_alloc(&s, 8000, 2, SIZE_MAX / 2, &err), SL_ERR_NOMEM);
    pcm_s16_free(&s); /* a zeroed buffer */
}

static void test_f32_stream_buffer(void **state)
{
    (void)state;
    pcm_f32 p;
    sl_error err;
    assert_int_equal(pcm_f32_alloc(&p, SPEECH_RATE, 0, &err), SL_OK);
    float chunk[1000];
    for (int i = 0; i < 1000; i++)
        chunk[i] = (float)i;
    for (int k = 0; k < 20; k++)
        assert_int_equal(pcm_f32_append(&p, chunk, 1000, &err), SL_OK);
    assert_int_equal(p.count, 20000);
    assert_true(p.capacity >= 20000);
    pcm_f32_consume(&p, 1500);
    assert_int_equal(p.count, 18500);
    assert_float_equal(p.samples[0], 500.0, 0);
    pcm_f32_consume(&p, 1u << 30);
    assert_int_equal(p.count, 0);
    assert_int_equal(pcm_f32_reserve(&p, SIZE_MAX / 2, &err), SL_ERR_NOMEM);
    pcm_f32_free(&p);
}

static pcm_f32 sine(int rate, size_t n, double f, double amplitude)
{
    pcm_f32 p;
    assert_int_equal(pcm_f32_alloc(&p, rate, n, NULL), SL_OK);
    make_sine(p.samples, n, f, rate, amplitude, 0.3);
    return p;
}

/* Output length over a whole stream: exactly round(n * out / in) (within
 * 0.5 of the ideal), for rates the project meets (file and device rates to
 * and from SPEECH_RATE) and some it may. */
static void test_lengths(void **state)
{
    (void)state;
    static const int pairs[][2] = {{22050, 16000}, {44100, 16000}, {48000, 16000},
                                   {8000, 16000},  {16000, 22050}, {16000, 16000},
                                   {11025, 48000}, {96000, 8000}};
    static const size_t lengths[] = {0, 1, 2, 99, 12345, 48001};
    for (size_t a = 0; a < sizeof pairs / sizeof pairs[0]; a++) {
        for (size_t b = 0; b < sizeof lengths / sizeof lengths[0]; b++) {
            pcm_f32 in = sine(pairs[a][0], lengths[b], 300.0, 0.5), out;
            sl_error err;
            assert_int_equal(resample_f32(&in, pairs[a][1], &out, &err), SL_OK);
            double want = (double)lengths[b] * pairs[a][1] / pairs[a][0];
            if (fabs((double)out.count - want) > 0.5) {
                print_error("%d -> %d Hz, %zu samples: %zu out, expected %.2f\n", pairs[a][0],
                            pairs[a][1], lengths[b], out.count, want);
                fail();
            }
            assert_int_equal(out.rate, pairs[a][1]);
            pcm_f32_free(&in);
            pcm_f32_free(&out);
        }
    }
}

/* Feeding the stream in uneven chunks gives what one call gives. */
static void test_streaming_equals_one_shot(void **state)
{
    (void)state;
    pcm_f32 in = sine(44100, 44100, 523.25, 0.7), whole, parts;
    sl_error err;
    assert_int_equal(resample_f32(&in, SPEECH_RATE, &whole, &err), SL_OK);
    resampler *r;
    assert_int_equal(resampler_open(44100, SPEECH_RATE, &r, &err), SL_OK);
    assert_int_equal(pcm_f32_alloc(&parts, SPEECH_RATE, 0, &err), SL_OK);
    size_t at = 0, step = 1;
    while (at < in.count) {
        size_t n = in.count - at < step ? in.count - at : step;
        assert_int_equal(resampler_process(r, in.samples + at, n, &parts, &err), SL_OK);
        at += n;
        step = step * 3 + 7; /* 1, 10, 37, ... then big */
        if (step > 5000)
            step = 333;
    }
    assert_int_equal(resampler_flush(r, &parts, &err), SL_OK);
    assert_int_equal(resampler_process(r, in.samples, 10, &parts, &err), SL_ERR_ARG);
    resampler_close(r);
    assert_int_equal(parts.count, whole.count);
    for (size_t i = 0; i < whole.count; i++)
        assert_float_equal(parts.samples[i], whole.samples[i], 1e-5);
    pcm_f32_free(&in);
    pcm_f32_free(&whole);
    pcm_f32_free(&parts);
}

/* A 1 kHz sine from 44.1 kHz to 16 kHz: frequency within 0.01 Hz, RMS within
 * 0.1 %, and sample for sample within 1e-5 of the same sine computed at
 * 16 kHz away from the edges (so the filter delay is removed). */
static void test_sine_preserved(void **state)
{
    (void)state;
    static const int rates[][2] = {{44100, 16000}, {22050, 16000}, {8000, 16000}};
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        const int in_rate = rates[k][0], out_rate = rates[k][1];
        const double f = 1000.0, amp = 0.6;
        pcm_f32 in = sine(in_rate, (size_t)in_rate, f, amp), out;
        sl_error err;
        assert_int_equal(resample_f32(&in, out_rate, &out, &err), SL_OK);
        size_t lo = (size_t)out_rate / 10, hi = out.count - (size_t)out_rate / 10;
        double measured = sine_frequency(out.samples, lo, hi, out_rate);
        assert_float_equal(measured, f, 0.01);
        double max_diff = 0, sum2 = 0;
        for (size_t i = lo; i < hi; i++) {
            double want = amp * sin(2.0 * M_PI * f * (double)i / out_rate + 0.3);
            double d = fabs(out.samples[i] - want);
            max_diff = d > max_diff ? d : max_diff;
            sum2 += (double)out.samples[i] * out.samples[i];
        }
        double rms = sqrt(sum2 / (double)(hi - lo));
        assert_float_equal(rms, amp / sqrt(2.0), 0.001 * amp / sqrt(2.0));
        print_message("%d -> %d Hz: 1 kHz measured %.4f Hz, rms %.6f, max diff %.2g\n",
                      in_rate, out_rate, measured, rms, max_diff);
        if (max_diff > 1e-5) {
            print_error("%d -> %d Hz: max difference %g from the ideal sine\n", in_rate,
                        out_rate, max_diff);
            fail();
        }
        pcm_f32_free(&in);
        pcm_f32_free(&out);
    }
}

/* 44.1 kHz -> 16 kHz: a 7 kHz tone (in the pass band) keeps its level, a
 * 10 kHz tone (above 8 kHz) is removed, not folded down to 6 kHz. */
static void test_anti_aliasing(void **state)
{
    (void)state;
    pcm_f32 pass = sine(44100, 44100, 7000.0, 0.5), stop = sine(44100, 44100, 10000.0, 0.5);
    pcm_f32 a, b;
    sl_error err;
    assert_int_equal(resample_f32(&pass, SPEECH_RATE, &a, &err), SL_OK);
    assert_int_equal(resample_f32(&stop, SPEECH_RATE, &b, &err), SL_OK);
    pcm_f32_consume(&a, 1600);
    pcm_f32_consume(&b, 1600);
    a.count -= 1600;
    b.count -= 1600;
    assert_float_equal(pcm_f32_rms(&a), 0.5 / sqrt(2.0), 0.01 * 0.5 / sqrt(2.0));
    double attenuation_db = 20.0 * log10(pcm_f32_rms(&b) / (0.5 / sqrt(2.0)));
    print_message("7 kHz level %.5f (ideal %.5f), 10 kHz tone %.1f dB\n", pcm_f32_rms(&a),
                  0.5 / sqrt(2.0), attenuation_db);
    if (attenuation_db > -90.0) {
        print_error("10 kHz tone only %.1f dB down\n", attenuation_db);
        fail();
    }
    pcm_f32_free(&pass);
    pcm_f32_free(&stop);
    pcm_f32_free(&a);
    pcm_f32_free(&b);
}

static void test_to_speech_and_errors(void **state)
{
    (void)state;
    pcm_s16 s;
    sl_error err;
    assert_int_equal(pcm_s16_alloc(&s, 48000, 2, 4800, &err), SL_OK);
    for (size_t i = 0; i < s.frames; i++) {
        int16_t v = (int16_t)(8000 * sin(2 * M_PI * 200.0 * (double)i / 48000));
        s.samples[2 * i] = v;
        s.samples[2 * i + 1] = (int16_t)-v; /* opposite channels cancel */
    }
    pcm_f32 sp;
    assert_int_equal(pcm_s16_to_speech(&s, &sp, &err), SL_OK);
    assert_int_equal(sp.rate, SPEECH_RATE);
    assert_int_equal(sp.count, 1600);
    assert_true(pcm_f32_rms(&sp) < 1e-6);
    pcm_f32_free(&sp);
    pcm_s16_free(&s);

    resampler *r;
    assert_int_equal(resampler_open(0, 16000, &r, &err), SL_ERR_ARG);
    assert_null(r);
    assert_int_equal(resampler_open(16000, PCM_MAX_RATE + 1, &r, &err), SL_ERR_ARG);
    assert_one_line_naming(&err, "Hz");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_conversions),
        cmocka_unit_test(test_f32_stream_buffer),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_streaming_equals_one_shot),
        cmocka_unit_test(test_sine_preserved),
        cmocka_unit_test(test_anti_aliasing),
        cmocka_unit_test(test_to_speech_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
