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
/* stop [ID] */
int meeting_cmd_stop(app_context *app, int argc, char **argv);

/* The pid file of a running `meeting start`: DB.meeting-ID.pid next to the
 * database, holding the process id. meeting_pid_write creates it (*path
 * malloc'ed, for the caller to remove at the end). */
sl_status meeting_pid_write(sl_db *db, int64_t id, char **path, sl_error *err);


#endif
