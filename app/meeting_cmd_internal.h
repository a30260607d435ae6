/* What app/cmd_meeting.c shares with the meeting sub-commands in other
 * files. */
#ifndef SIGHTLINE_APP_MEETING_CMD_INTERNAL_H
#define SIGHTLINE_APP_MEETING_CMD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "app/cli.h"
#include "storage/storage.h"

/* "hh:mm:ss" */
void meeting_format_time(int64_t ms, char *buf, size_t n);
/* The segment's speaker name, else its label ("" when none). */
const char *meeting_who(const meeting_segment *g);

int meeting_cmd_summarize(app_context *app, int argc, char **argv);
int meeting_cmd_start(app_context *app, int argc, char **argv);
/* summarize ID --llm [LLM options]: argv[2] is the ID. */
int meeting_cmd_summarize_llm(app_context *app, int argc, char **argv, int64_t id);
/* ask ID "question" [LLM options] */
int meeting_cmd_ask(app_context *app, int argc, char **argv);


#endif
