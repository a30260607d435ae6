#include "speech/audio_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speech/portaudio_internal.h"
#include "speech/resample.h"

#define WRITE_FRAMES 2048

static int format_supported(const PaStreamParameters *p, double rate)
{
    return Pa_IsFormatSupported(NULL, p, rate) == paFormatIsSupported;
}

/* pcm as mono at the device's rate, for a device that does not take it as
 * it is. */
static sl_status convert_for_device(const pcm_s16 *pcm, int rate, pcm_s16 *out, sl_error *err)
{
    pcm_f32 mono, at_rate;
    sl_status st = pcm_s16_to_f32_mono(pcm, &mono, err);
    if (st != SL_OK)
        return st;
    st = resample_f32(&mono, rate, &at_rate, err);
    pcm_f32_free(&mono);
    if (st != SL_OK)
        return st;
    st = pcm_f32_to_s16(&at_rate, out, err);
    pcm_f32_free(&at_rate);
    return st;
}

static sl_status write_all(PaStream *s, const pcm_s16 *pcm, sl_error *err)
{
    size_t done = 0;
    while (done < pcm->frames) {
        size_t n = pcm->frames - done < WRITE_FRAMES ? pcm->frames - done : WRITE_FRAMES;
        PaError e = Pa_WriteStream(s, pcm->samples + done * (size_t)pcm->channels,
                                   (unsigned long)n);
        /* An underflow only means a gap was heard; keep going. */
        if (e != paNoError && e != paOutputUnderflowed) {
            char text[200];
            return sl_fail(err, SL_ERR_DEVICE, "audio output failed while playing: %s",
                           speech_pa_error_text(e, text, sizeof text));
        }
        done += n;
    }
    return SL_OK;
}

sl_status audio_play(const pcm_s16 *pcm, sl_error *err)
{
    if (pcm->rate < 1 || pcm->rate > PCM_MAX_RATE || pcm->channels < 1 ||
        pcm->channels > PCM_MAX_CHANNELS || (pcm->frames > 0 && !pcm->samples))
        return sl_fail(err, SL_ERR_ARG, "audio output: cannot play audio of %d Hz, %d channels",
                       pcm->rate, pcm->channels);
    sl_status st = speech_pa_start(SPEECH_PA_START_TIMEOUT_MS, err);
    if (st != SL_OK)
        return st;
    PaDeviceIndex dev = Pa_GetDefaultOutputDevice();
    const PaDeviceInfo *info = dev == paNoDevice ? NULL : Pa_GetDeviceInfo(dev);
    if (!info || info->maxOutputChannels < 1)
        return sl_fail(err, SL_ERR_DEVICE,
                       "no audio output device found (use --wav FILE to write the speech to a "
                       "file)");
    if (pcm->frames == 0)
        return SL_OK;

    PaStreamParameters p = {0};
    p.device = dev;
    p.channelCount = pcm->channels;
    p.sampleFormat = paInt16;
    p.suggestedLatency = info->defaultHighOutputLatency;
    const pcm_s16 *play = pcm;
    pcm_s16 converted = {0};
    if (pcm->channels > info->maxOutputChannels || !format_supported(&p, pcm->rate)) {
        int rate = (int)(info->defaultSampleRate + 0.5);
        p.channelCount = 1;
        if (rate < 1 || rate > PCM_MAX_RATE || !format_supported(&p, rate))
            return sl_fail(err, SL_ERR_DEVICE,
                           "audio output '%s' takes neither %d Hz %d-channel nor mono %d Hz "
                           "16-bit audio",
                           info->name, pcm->rate, pcm->channels, rate);
        st = convert_for_device(pcm, rate, &converted, err);
        if (st != SL_OK)
            return st;
        play = &converted;
    }

    char what[200];
    snprintf(what, sizeof what, "audio output '%s'", info->name);
    PaStream *s = NULL;
    st = speech_pa_open(NULL, &p, play->rate, paFramesPerBufferUnspecified,
                        SPEECH_PA_OPEN_TIMEOUT_MS, what, &s, err);
    if (st == SL_OK) {
        PaError e = Pa_StartStream(s);
        if (e != paNoError) {
            char text[200];
            st = sl_fail(err, SL_ERR_DEVICE, "%s cannot start: %s", what,
                         speech_pa_error_text(e, text, sizeof text));
        } else {
            st = write_all(s, play, err);
            /* Pa_StopStream returns once the queued audio has been played. */
            Pa_StopStream(s);
        }
        Pa_CloseStream(s);
    }
    pcm_s16_free(&converted);
    return st;
}
