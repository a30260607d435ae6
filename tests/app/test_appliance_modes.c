/* The appliance's ask, sign and meeting modes as a state machine, and what
 * it hears: a --mic-file plays the microphone's role; without a microphone
 * the modes say so at once. No display, microphone or models needed. */
#include "app/appliance_mic.h"
#include "app/appliance_modes.h"
#include "speech/speech.h"
#include "tests/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_ask_hold_to_talk(void **state)
{
    (void)state;
    appliance_modes m;
    appliance_modes_init(&m, true, true, true);
    char status[64];
    appliance_modes_status(&m, status, sizeof status);
    assert_string_equal(status, "");
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_NONE);
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_LISTEN);
    assert_true(m.listening);
    appliance_modes_status(&m, status, sizeof status);
    assert_string_equal(status, "listening");
    /* Key repeat while held changes nothing. */
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_NONE);
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_ANSWER);
    assert_false(m.listening);
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_NONE);
}

static void test_no_microphone_or_whisper(void **state)
{
    (void)state;
    appliance_modes m;
    appliance_modes_init(&m, false, true, true);
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_SAY_NO_MIC);
    assert_false(m.listening);
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_NONE);
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_SAY_NO_MIC);
    assert_false(m.meeting);
    /* Sign mode needs no microphone. */
    assert_int_equal(appliance_modes_sign_key(&m), MODE_EFFECT_SIGN_ON);

    appliance_modes_init(&m, true, false, true);
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_SAY_NO_WHISPER);
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_SAY_NO_WHISPER);
    assert_false(m.listening || m.meeting);

    /* The microphone fails to open: back to idle, and said at once later. */
    appliance_modes_init(&m, true, true, true);
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_LISTEN);
    assert_int_equal(appliance_modes_mic_failed(&m), MODE_EFFECT_SAY_NO_MIC);
    assert_false(m.listening);
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_NONE);
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_SAY_NO_MIC);
    appliance_modes_init(&m, true, true, true);
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_MEETING_START);
    assert_int_equal(appliance_modes_mic_failed(&m), MODE_EFFECT_SAY_NO_MIC);
    assert_false(m.meeting);
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_SAY_NO_MIC);
}

/* No Whisper but pocketsphinx's model: the ask key listens for a command
 * instead of a question; a meeting still needs Whisper. Spoken commands
 * map to the keys' actions, given the modes. */
static void test_voice_commands_without_whisper(void **state)
{
    (void)state;
    appliance_modes m;
    appliance_modes_init(&m, true, false, true);
    m.have_commands = true;
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_LISTEN);
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_COMMAND);
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_SAY_NO_WHISPER);
    /* With Whisper the same key asks a question. */
    appliance_modes_init(&m, true, true, true);
    m.have_commands = true;
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_LISTEN);
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_ANSWER);
    /* No microphone: said first, whatever else is there. */
    appliance_modes_init(&m, false, false, true);
    m.have_commands = true;
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_SAY_NO_MIC);

    appliance_modes_init(&m, true, true, true);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_READ), APPLIANCE_READ);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_WHAT_COLOUR), APPLIANCE_DESCRIBE);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_ASK), APPLIANCE_ASK);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_STOP), APPLIANCE_STOP);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_NONE), APPLIANCE_NONE);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_STOP_MEETING), APPLIANCE_NONE);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_START_MEETING), APPLIANCE_MEETING);
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_MEETING_START);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_START_MEETING), APPLIANCE_NONE);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_STOP_MEETING), APPLIANCE_MEETING);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_SIGN_MODE), APPLIANCE_SIGN);
    assert_int_equal(appliance_modes_sign_key(&m), MODE_EFFECT_SIGN_ON);
    assert_int_equal(appliance_modes_voice_action(&m, VOICE_CMD_SIGN_MODE), APPLIANCE_NONE);
}

static void test_meeting_and_sign_toggle(void **state)
{
    (void)state;
    appliance_modes m;
    appliance_modes_init(&m, true, true, true);
    char status[64];
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_MEETING_START);
    appliance_modes_status(&m, status, sizeof status);
    assert_string_equal(status, "meeting");
    m.meeting_id = 12;
    appliance_modes_status(&m, status, sizeof status);
    assert_string_equal(status, "meeting 12");
    /* The meeting has the microphone. */
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_SAY_MIC_BUSY);
    assert_false(m.listening);
    assert_int_equal(appliance_modes_sign_key(&m), MODE_EFFECT_SIGN_ON);
    appliance_modes_status(&m, status, sizeof status);
    assert_string_equal(status, "meeting 12, sign mode");
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_MEETING_END);
    assert_false(m.meeting);
    assert_int_equal(appliance_modes_sign_key(&m), MODE_EFFECT_SIGN_OFF);
    appliance_modes_status(&m, status, sizeof status);
    assert_string_equal(status, "");

    /* A question being asked gives way to a meeting. */
    assert_int_equal(appliance_modes_ask_down(&m), MODE_EFFECT_LISTEN);
    assert_int_equal(appliance_modes_meeting_key(&m), MODE_EFFECT_MEETING_START);
    assert_false(m.listening);
    assert_int_equal(appliance_modes_ask_up(&m), MODE_EFFECT_NONE);

    /* No hand models: said, and sign mode stays off; a failed start too. */
    appliance_modes_init(&m, true, true, false);
    assert_int_equal(appliance_modes_sign_key(&m), MODE_EFFECT_SAY_NO_HANDS);
    assert_false(m.sign);
    appliance_modes_init(&m, true, true, true);
    assert_int_equal(appliance_modes_sign_key(&m), MODE_EFFECT_SIGN_ON);
    assert_int_equal(appliance_modes_sign_failed(&m), MODE_EFFECT_SAY_NO_HANDS);
    assert_false(m.sign);

    /* A small buffer is cut, never overrun. */
    appliance_modes_init(&m, true, true, true);
    appliance_modes_ask_down(&m);
    appliance_modes_sign_key(&m);
    char tiny[6];
    appliance_modes_status(&m, tiny, sizeof tiny);
    assert_true(strlen(tiny) < sizeof tiny);
}

/* A WAV of `seconds` at 16 kHz with a recognisable ramp. */
static char *write_wav(const char *dir, double seconds)
{
    char *path = malloc(strlen(dir) + 16);
    assert_non_null(path);
    sprintf(path, "%s/q.wav", dir);
    pcm_s16 p = {0};
    size_t n = (size_t)(seconds * SPEECH_RATE);
    assert_int_equal(pcm_s16_alloc(&p, SPEECH_RATE, 1, n, NULL), SL_OK);
    for (size_t i = 0; i < n; i++)
        p.samples[i] = (int16_t)((int)(i % 2000) * 16 - 16000);
    assert_int_equal(wav_write(path, &p, NULL), SL_OK);
    pcm_s16_free(&p);
    return path;
}

static void wait_until_done(appliance_mic *m)
{
    for (int i = 0; i < 500 && appliance_mic_running(m); i++)
        sleep_ms(10);
    assert_false(appliance_mic_running(m));
}

static void test_mic_file_plays_the_microphone(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char *wav = write_wav(dir, 0.55);
    pcm_f32 want = {0};
    assert_int_equal(wav_read_speech(wav, &want, NULL), SL_OK);
    assert_int_equal(want.count, 8800);

    appliance_mic *m = NULL;
    sl_error err = {0};
    assert_int_equal(appliance_mic_open(wav, 20, &m, &err), SL_OK);
    assert_true(appliance_mic_is_file(m));
    /* Nothing is heard before listening starts. */
    pcm_f32 got = {0};
    assert_int_equal(appliance_mic_take(m, &got, &err), SL_OK);
    assert_int_equal(got.count, 0);
    assert_false(appliance_mic_running(m));

    /* Listening hears the whole file, in order, then the file is done. */
    assert_int_equal(appliance_mic_start(m, &err), SL_OK);
    wait_until_done(m);
    assert_int_equal(appliance_mic_take(m, &got, &err), SL_OK);
    assert_int_equal(got.rate, SPEECH_RATE);
    assert_int_equal(got.count, want.count);
    assert_memory_equal(got.samples, want.samples, want.count * sizeof(float));
    /* Taken audio is gone. */
    pcm_f32 again = {0};
    assert_int_equal(appliance_mic_take(m, &again, &err), SL_OK);
    assert_int_equal(again.count, 0);

    /* Each start hears the file from its beginning; a stop keeps what was
     * heard, a prefix in chunks of 100 ms. */
    assert_int_equal(appliance_mic_start(m, &err), SL_OK);
    sleep_ms(12);
    appliance_mic_stop(m);
    assert_false(appliance_mic_running(m));
    assert_int_equal(appliance_mic_take(m, &again, &err), SL_OK);
    assert_true(again.count < want.count);
    assert_int_equal(again.count % 1600, 0);
    if (again.count)
        assert_memory_equal(again.samples, want.samples, again.count * sizeof(float));
    pcm_f32_free(&again);

    /* Real time by default: 0.55 s are not heard in 0.2 s. */
    appliance_mic_close(m);
    assert_int_equal(appliance_mic_open(wav, 1, &m, &err), SL_OK);
    assert_int_equal(appliance_mic_start(m, &err), SL_OK);
    sleep_ms(200);
    assert_true(appliance_mic_running(m));
    appliance_mic_stop(m);
    assert_int_equal(appliance_mic_take(m, &again, &err), SL_OK);
    assert_true(again.count >= 1600 && again.count <= 4800);
    appliance_mic_close(m);

    pcm_f32_free(&again);
    pcm_f32_free(&got);
    pcm_f32_free(&want);
    remove(wav);
    free(wav);
    temp_dir_remove(dir);
}

static void test_mic_file_errors(void **state)
{
    (void)state;
    appliance_mic *m = NULL;
    sl_error err = {0};
    assert_int_equal(appliance_mic_open("/nonexistent/q.wav", 1, &m, &err), SL_ERR_IO);
    assert_null(m);
    assert_non_null(strstr(err.msg, "/nonexistent/q.wav"));
    assert_int_equal(appliance_mic_open("/nonexistent/q.wav", 0, &m, &err), SL_ERR_ARG);
    assert_null(m);
    appliance_mic_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ask_hold_to_talk),
        cmocka_unit_test(test_no_microphone_or_whisper),
        cmocka_unit_test(test_voice_commands_without_whisper),
        cmocka_unit_test(test_meeting_and_sign_toggle),
        cmocka_unit_test(test_mic_file_plays_the_microphone),
        cmocka_unit_test(test_mic_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
