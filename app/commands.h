/* Every command of the program, one file each (app/cmd_NAME.c). */
#ifndef SIGHTLINE_APP_COMMANDS_H
#define SIGHTLINE_APP_COMMANDS_H

#include "app/cli.h"

extern const command cmd_help;
extern const command cmd_model;
extern const command cmd_tokenize;
extern const command cmd_generate;
extern const command cmd_chat;
extern const command cmd_history;
extern const command cmd_read;
extern const command cmd_describe;
extern const command cmd_ask;
extern const command cmd_remember;
extern const command cmd_memory;
extern const command cmd_profile;
extern const command cmd_feedback;
extern const command cmd_export;
extern const command cmd_import;
extern const command cmd_forget;
extern const command cmd_encrypt;
extern const command cmd_decrypt;
extern const command cmd_hands;
extern const command cmd_teach;
extern const command cmd_sign;
extern const command cmd_transcribe;
extern const command cmd_command;
extern const command cmd_meeting;
extern const command cmd_search;
extern const command cmd_appliance;

#endif
