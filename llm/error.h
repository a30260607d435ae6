/* Status codes and error messages shared by every sightline library.
 *
 * Library functions return an sl_status and, on failure, fill an sl_error
 * with one line that names the thing at fault (a file, a field, a device)
 * and the cause. The caller decides what to do; libraries never exit(). */
#ifndef SIGHTLINE_LLM_ERROR_H
#define SIGHTLINE_LLM_ERROR_H

#include <stdarg.h>

typedef enum sl_status {
    SL_OK = 0,
    SL_ERR_ARG,         /* a caller passed something invalid */
    SL_ERR_IO,          /* a file could not be opened, read or written */
    SL_ERR_FORMAT,      /* a file's content is corrupt, truncated or of the wrong kind */
    SL_ERR_UNSUPPORTED, /* valid input that this build cannot handle */
    SL_ERR_NOMEM,       /* an allocation failed or would exceed a sane limit */
    SL_ERR_DEVICE,      /* no camera, microphone, speaker or display */
    SL_ERR_DB,          /* the database is corrupt, locked or from a newer version */
    SL_ERR_MODEL,       /* a model is missing or does not fit the task */
    SL_ERR_LIMIT,       /* the work does not fit a configured limit (context, size) */
    SL_ERR_CANCELLED,   /* a newer request or the user stopped the work */
    SL_ERR_INTERNAL,    /* a bug: an invariant did not hold */
} sl_status;

#define SL_ERROR_MSG_MAX 512

typedef struct sl_error {
    sl_status code;
    char msg[SL_ERROR_MSG_MAX];
} sl_error;

/* Record a failure in err (which may be NULL) and return code, so that
 * `return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));` reads
 * as one statement. */
sl_status sl_fail(sl_error *err, sl_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
sl_status sl_vfail(sl_error *err, sl_status code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Put context in front of an existing message: "model.gguf: " + msg. */
void sl_error_prefix(sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void sl_error_clear(sl_error *err);

/* A short lower-case name for a status ("format error"). */
const char *sl_status_name(sl_status code);

#endif
