#include "llm/error.h"

#include <stdio.h>
#include <string.h>

sl_status sl_vfail(sl_error *err, sl_status code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

sl_status sl_fail(sl_error *err, sl_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_prefix(sl_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[SL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[SL_ERROR_MSG_MAX];
    snprintf(joined, sizeof joined, "%s%s", prefix, err->msg);
    memcpy(err->msg, joined, sizeof joined);
}

void sl_error_clear(sl_error *err)
{
    if (err) {
        err->code = SL_OK;
        err->msg[0] = '\0';
    }
}

const char *sl_status_name(sl_status code)
{
    switch (code) {
    case SL_OK: return "ok";
    case SL_ERR_ARG: return "invalid argument";
    case SL_ERR_IO: return "i/o error";
    case SL_ERR_FORMAT: return "format error";
    case SL_ERR_UNSUPPORTED: return "unsupported";
    case SL_ERR_NOMEM: return "out of memory";
    case SL_ERR_DEVICE: return "device unavailable";
    case SL_ERR_DB: return "database error";
    case SL_ERR_MODEL: return "model error";
    case SL_ERR_LIMIT: return "limit exceeded";
    case SL_ERR_CANCELLED: return "cancelled";
    case SL_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}
