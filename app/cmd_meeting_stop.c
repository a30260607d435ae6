/* meeting stop [ID]: ends a running `meeting start` from another process.
 * The running one wrote its pid next to the database (meeting_pid_write);
 * stop sends it SIGTERM, which it takes as "finish the utterance in hand,
 * store it, mark the meeting ended, exit 0", and waits for the meeting to be
 * marked ended. A pid file whose process is gone (killed, crashed), or a
 * running meeting with no pid file at all, is stale: the meeting is just
 * marked ended. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app_db.h"
#include "app/commands.h"
#include "app/meeting_cmd_internal.h"

/* How long stop waits for the utterance in hand to be recognised. */
#define STOP_WAIT_S 120

static char *pid_path(sl_db *db, int64_t id)
{
    char *p = NULL;
    if (asprintf(&p, "%s.meeting-%" PRId64 ".pid", db_path(db), id) < 0)
        return NULL;
    return p;
}

sl_status meeting_pid_write(sl_db *db, int64_t id, char **path, sl_error *err)
{
    *path = pid_path(db, id);
    if (!*path)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    FILE *f = fopen(*path, "w");
    if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
        int e = errno;
        if (f)
            remove(*path);
        sl_status st = sl_fail(err, SL_ERR_IO, "%s: cannot write: %s", *path, strerror(e));
        free(*path);
        *path = NULL;
        return st;
    }
    return SL_OK;
}

/* The pid in the file, 0 when there is no usable file. */
static long read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
        pid = 0;
    fclose(f);
    return pid;
}

/* Whether pid is a live sightline process (not a reused pid of something
 * else: its command line must mention "meeting" where /proc can say). */
static bool pid_is_meeting(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return false;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "rb");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = ' ';
    buf[n] = '\0';
    /* A zombie (exited, not yet reaped) has an empty command line. */
    return strstr(buf, "meeting") != NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The newest running meeting, preferring one with a pid file; 0 if none. */
static int64_t running_meeting(sl_db *db, sl_error *err, sl_status *st)
{
    meeting_infos list;
    *st = meeting_list(db, &list, err);
    if (*st != SL_OK)
        return 0;
    int64_t any = 0, with_pid = 0;
    for (size_t i = 0; i < list.count && !with_pid; i++) {
        if (list.items[i].ended_ms)
            continue;
        if (!any)
            any = list.items[i].id;
        char *p = pid_path(db, list.items[i].id);
        if (p && read_pid(p))
            with_pid = list.items[i].id;
        free(p);
    }
    meeting_infos_free(&list);
    return with_pid ? with_pid : any;
}

int meeting_cmd_stop(app_context *app, int argc, char **argv)
{
    long idv = 0;
    if (argc > 3 || (argc == 3 && !cli_parse_int(argv[2], 1, 0x7fffffffffffffffL, &idv)))
        return cli_usage_error(&cmd_meeting, "usage: meeting stop [ID]");
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    sl_status st = SL_OK;
    int64_t id = idv;
    if (!id) {
        id = running_meeting(db, &err, &st);
        if (st == SL_OK && !id) {
            printf("No meeting is running.\n");
            db_close(db);
            return EXIT_OK;
        }
    }
    meeting_info info = {0};
    if (st == SL_OK)
        st = meeting_get(db, id, &info, &err);
    if (st != SL_OK) {
        db_close(db);
        return cli_fail(&err);
    }
    bool ended = info.ended_ms != 0;
    meeting_info_free(&info);
    char *path = pid_path(db, id);
    long pid = path ? read_pid(path) : 0;
    if (pid && pid_is_meeting(pid)) {
        if (kill((pid_t)pid, SIGTERM) != 0) {
            st = sl_fail(&err, SL_ERR_IO, "meeting %" PRId64 ": cannot signal process %ld: %s",
                         id, pid, strerror(errno));
        } else {
            cli_note(app, "meeting %" PRId64 ": asked process %ld to stop", id, pid);
            /* It finishes the utterance in hand, marks the meeting ended and
             * removes its pid file. */
            int waited = 0;
            bool done = false;
            while (!done && waited < STOP_WAIT_S * 10) {
                sleep_ms(100);
                waited++;
                done = !pid_is_meeting(pid) || access(path, F_OK) != 0;
            }
            if (done)
                printf("Meeting %" PRId64 " stopped.\n", id);
            else
                printf("Meeting %" PRId64 " is finishing its last utterance (process %ld).\n",
                       id, pid);
        }
    } else if (ended) {
        printf("Meeting %" PRId64 " has already ended.\n", id);
        if (path)
            remove(path);
    } else {
        /* Stale: whatever recorded it is gone. */
        st = meeting_end(db, id, 0, &err);
        if (st == SL_OK) {
            if (path)
                remove(path);
            printf("Meeting %" PRId64 " ended (no process was recording it).\n", id);
        }
    }
    free(path);
    if (st != SL_OK)
        rc = cli_fail(&err);
    db_close(db);
    return rc;
}
