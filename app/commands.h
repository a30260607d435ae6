/* Every command of the program, one file each (app/cmd_NAME.c). */
#ifndef SIGHTLINE_APP_COMMANDS_H
#define SIGHTLINE_APP_COMMANDS_H

#include "app/cli.h"

extern const command cmd_help;
extern const command cmd_model;
extern const command cmd_transcribe;

#endif
