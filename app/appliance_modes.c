#include "app/appliance_modes.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "speech/voice_command.h"

void appliance_modes_init(appliance_modes *m, bool have_mic, bool have_whisper,
                          bool have_hand_models)
{
    memset(m, 0, sizeof *m);
    m->have_mic = have_mic;
    m->have_whisper = have_whisper;
    m->have_hand_models = have_hand_models;
}

/* What hearing needs, in the order a user would fix it. */
static appliance_effect hearing_missing(const appliance_modes *m)
{
    if (!m->have_mic)
        return MODE_EFFECT_SAY_NO_MIC;
    if (!m->have_whisper)
        return MODE_EFFECT_SAY_NO_WHISPER;
    return MODE_EFFECT_NONE;
}

appliance_effect appliance_modes_ask_down(appliance_modes *m)
{
    if (m->listening)
        return MODE_EFFECT_NONE;
    /* The meeting is recording the room: a question would be cut out of it. */
    if (m->meeting)
        return MODE_EFFECT_SAY_MIC_BUSY;
    /* Without Whisper a question cannot be heard, but a command can. */
    appliance_effect missing = hearing_missing(m);
    if (missing == MODE_EFFECT_SAY_NO_WHISPER && m->have_commands)
        missing = MODE_EFFECT_NONE;
    if (missing != MODE_EFFECT_NONE)
        return missing;
    m->listening = true;
    return MODE_EFFECT_LISTEN;
}

appliance_effect appliance_modes_ask_up(appliance_modes *m)
{
    if (!m->listening)
        return MODE_EFFECT_NONE;
    m->listening = false;
    return m->have_whisper ? MODE_EFFECT_ANSWER : MODE_EFFECT_COMMAND;
}

appliance_action appliance_modes_voice_action(const appliance_modes *m, int voice_id)
{
    switch ((voice_command_id)voice_id) {
    case VOICE_CMD_DESCRIBE:
    case VOICE_CMD_WHAT_IS_THIS:
    case VOICE_CMD_WHAT_COLOUR:
        return APPLIANCE_DESCRIBE;
    case VOICE_CMD_READ:
        return APPLIANCE_READ;
    case VOICE_CMD_ASK:
        return APPLIANCE_ASK;
    case VOICE_CMD_START_MEETING:
        return m->meeting ? APPLIANCE_NONE : APPLIANCE_MEETING;
    case VOICE_CMD_STOP_MEETING:
        return m->meeting ? APPLIANCE_MEETING : APPLIANCE_NONE;
    case VOICE_CMD_REPEAT:
        return APPLIANCE_REPEAT;
    case VOICE_CMD_STOP:
        return APPLIANCE_STOP;
    case VOICE_CMD_FASTER:
        return APPLIANCE_FASTER;
    case VOICE_CMD_SLOWER:
        return APPLIANCE_SLOWER;
    case VOICE_CMD_HELP:
        return APPLIANCE_HELP;
    case VOICE_CMD_SIGN_MODE:
        return m->sign ? APPLIANCE_NONE : APPLIANCE_SIGN;
    default:
        return APPLIANCE_NONE;
    }
}

appliance_effect appliance_modes_sign_key(appliance_modes *m)
{
    if (m->sign) {
        m->sign = false;
        return MODE_EFFECT_SIGN_OFF;
    }
    if (!m->have_hand_models)
        return MODE_EFFECT_SAY_NO_HANDS;
    m->sign = true;
    return MODE_EFFECT_SIGN_ON;
}

appliance_effect appliance_modes_meeting_key(appliance_modes *m)
{
    if (m->meeting) {
        m->meeting = false;
        return MODE_EFFECT_MEETING_END;
    }
    appliance_effect missing = hearing_missing(m);
    if (missing != MODE_EFFECT_NONE)
        return missing;
    /* A question being asked gives way: the meeting takes the microphone. */
    m->listening = false;
    m->meeting = true;
    m->meeting_id = 0;
    return MODE_EFFECT_MEETING_START;
}

appliance_effect appliance_modes_mic_failed(appliance_modes *m)
{
    m->have_mic = false;
    m->listening = false;
    m->meeting = false;
    m->meeting_id = 0;
    return MODE_EFFECT_SAY_NO_MIC;
}

appliance_effect appliance_modes_sign_failed(appliance_modes *m)
{
    m->sign = false;
    return MODE_EFFECT_SAY_NO_HANDS;
}

void appliance_modes_status(const appliance_modes *m, char *buf, size_t n)
{
    if (!n)
        return;
    buf[0] = '\0';
    size_t len = 0;
    char part[48];
    for (int i = 0; i < 3; i++) {
        bool on = i == 0 ? m->listening : i == 1 ? m->meeting : m->sign;
        if (!on)
            continue;
        if (i == 0)
            snprintf(part, sizeof part, "listening");
        else if (i == 1 && m->meeting_id > 0)
            snprintf(part, sizeof part, "meeting %" PRId64, m->meeting_id);
        else if (i == 1)
            snprintf(part, sizeof part, "meeting");
        else
            snprintf(part, sizeof part, "sign mode");
        int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", part);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
}
