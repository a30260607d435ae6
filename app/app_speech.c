#include "app/app_speech.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void speak_request_init(speak_request *r)
{
    memset(r, 0, sizeof *r);
    tts_options_default(&r->voice);
}

static int want_value(const command *cmd, int argc, char **argv, int i)
{
    if (i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", argv[i]);
        return 0;
    }
    return 1;
}

int speak_parse_option(const command *cmd, int argc, char **argv, int *i, speak_request *r)
{
    const char *a = argv[*i];
    long v;
    if (strcmp(a, "--speak") == 0) {
        r->speak = true;
        return 1;
    }
    bool wav = strcmp(a, "--wav") == 0, voice = strcmp(a, "--voice") == 0;
    bool rate = strcmp(a, "--rate") == 0, pitch = strcmp(a, "--pitch") == 0;
    bool volume = strcmp(a, "--volume") == 0;
    if (!wav && !voice && !rate && !pitch && !volume)
        return 0;
    if (!want_value(cmd, argc, argv, *i))
        return -EXIT_USAGE;
    const char *val = argv[++*i];
    if (wav) {
        r->wav = val;
    } else if (voice) {
        r->voice.voice = val;
    } else if (rate) {
        if (!cli_parse_int(val, 80, 450, &v))
            return cli_usage_error(cmd, "--rate wants 80 to 450 words a minute, not '%s'", val),
                   -EXIT_USAGE;
        r->voice.rate_wpm = (int)v;
    } else if (pitch) {
        if (!cli_parse_int(val, 0, 100, &v))
            return cli_usage_error(cmd, "--pitch wants 0 to 100, not '%s'", val), -EXIT_USAGE;
        r->voice.pitch = (int)v;
    } else {
        if (!cli_parse_int(val, 0, 200, &v))
            return cli_usage_error(cmd, "--volume wants 0 to 200, not '%s'", val), -EXIT_USAGE;
        r->voice.volume = (int)v;
    }
    return 1;
}

int speak_check_output(const speak_request *r)
{
    if (!r->wav)
        return EXIT_OK;
    struct stat st;
    if (stat(r->wav, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "sightline: %s: is a folder, not a file to write the speech to\n", r->wav);
        return EXIT_INPUT;
    }
    char *copy = strdup(r->wav);
    if (!copy) {
        fputs("sightline: out of memory\n", stderr);
        return EXIT_FAILURE_OTHER;
    }
    /* The WAV writer makes a temporary file beside the target, so the
     * folder must be writable, not just the file. */
    const char *dir = dirname(copy);
    int rc = EXIT_OK;
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "sightline: %s: cannot write the speech there: %s\n", r->wav,
                strerror(errno));
        rc = EXIT_INPUT;
    }
    free(copy);
    return rc;
}

int speak_text(const app_context *app, const speak_request *r, const char *text)
{
    if (!r->speak && !r->wav)
        return EXIT_OK;
    sl_error err = {0};
    pcm_s16 pcm = {0};
    if (tts_synthesize(text, &r->voice, &pcm, &err) != SL_OK)
        return cli_fail(&err);
    int rc = EXIT_OK;
    if (r->wav) {
        if (wav_write(r->wav, &pcm, &err) != SL_OK)
            rc = cli_fail(&err);
        else
            cli_note(app, "wrote %.1f s of speech to %s",
                     pcm.rate ? (double)pcm.frames / pcm.rate : 0.0, r->wav);
    }
    if (r->speak && rc == EXIT_OK && audio_play(&pcm, &err) != SL_OK)
        rc = cli_fail(&err);
    pcm_s16_free(&pcm);
    return rc;
}
