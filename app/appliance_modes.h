/* The appliance's listening modes as a display-free state machine: ask
 * (hold to talk), sign mode, and a meeting. The screen thread feeds it key
 * presses and what it found out (no microphone, no model), and does what
 * the returned effect says; the machine decides what is allowed when, so
 * every transition is unit-tested without SDL, a microphone or models. */
#ifndef SIGHTLINE_APP_APPLIANCE_MODES_H
#define SIGHTLINE_APP_APPLIANCE_MODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/appliance_core.h"

typedef enum appliance_effect {
    MODE_EFFECT_NONE = 0,      /* nothing to do (a repeated press, a release while idle) */
    MODE_EFFECT_LISTEN,        /* start the microphone for a question */
    MODE_EFFECT_ANSWER,        /* stop it; recognise the question and answer it */
    MODE_EFFECT_COMMAND,       /* stop it; no Whisper: recognise a spoken command and do it */
    MODE_EFFECT_SIGN_ON,       /* start watching for signs */
    MODE_EFFECT_SIGN_OFF,
    MODE_EFFECT_MEETING_START, /* start the microphone and the meeting thread */
    MODE_EFFECT_MEETING_END,   /* stop them; end the stored meeting */
    MODE_EFFECT_SAY_NO_MIC,    /* one line: no microphone found */
    MODE_EFFECT_SAY_NO_WHISPER,   /* one line: a Whisper model is needed, and how to get it */
    MODE_EFFECT_SAY_NO_HANDS,     /* one line: the hand models are missing */
    MODE_EFFECT_SAY_MIC_BUSY,     /* ask during a meeting: the meeting has the microphone */
} appliance_effect;

typedef struct appliance_modes {
    /* What the appliance knows it has (set before the keys; a microphone
     * that fails to open is reported with appliance_modes_mic_failed). */
    bool have_mic, have_whisper, have_hand_models;
    /* pocketsphinx's en-us model is installed: without Whisper, the ask key
     * still hears the fixed command phrases (speech/voice_command.h). Set
     * after appliance_modes_init; false by default. */
    bool have_commands;
    /* The state. */
    bool listening, sign, meeting;
    int64_t meeting_id; /* the stored meeting while meeting is on */
} appliance_modes;

void appliance_modes_init(appliance_modes *m, bool have_mic, bool have_whisper,
                          bool have_hand_models);

/* The ask key going down (start listening) and up (answer). */
appliance_effect appliance_modes_ask_down(appliance_modes *m);
appliance_effect appliance_modes_ask_up(appliance_modes *m);
appliance_effect appliance_modes_sign_key(appliance_modes *m);
appliance_effect appliance_modes_meeting_key(appliance_modes *m);

/* The microphone could not be opened after LISTEN or MEETING_START: back
 * to not listening / no meeting, and from now on the machine says so at
 * once. Returns MODE_EFFECT_SAY_NO_MIC. */
appliance_effect appliance_modes_mic_failed(appliance_modes *m);
/* Sign mode could not start (models missing or failing): back to off. */
appliance_effect appliance_modes_sign_failed(appliance_modes *m);

/* The action a spoken command stands for, given the modes: "start meeting"
 * during a meeting (or "end meeting" without one) and "sign mode" asked
 * twice do nothing (APPLIANCE_NONE); "describe", "what is this" and "what
 * colour is it" describe; "ask a question" is APPLIANCE_ASK, which needs
 * Whisper. voice_id is a voice_command_id. */
appliance_action appliance_modes_voice_action(const appliance_modes *m, int voice_id);

/* The status line's part for the modes: "listening", "meeting 12",
 * "sign mode", joined by ", " when several; "" when none. */
void appliance_modes_status(const appliance_modes *m, char *buf, size_t n);

#endif
