#include "vision/vision_init_internal.h"

#include <gst/gst.h>
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t gst_once = PTHREAD_ONCE_INIT;
static char gst_init_error[256]; /* written once under gst_once, read after it */

static void drop_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                     gpointer data)
{
    (void)domain, (void)level, (void)message, (void)data;
}

static void gst_init_once(void)
{
    GError *e = NULL;
    if (!gst_init_check(NULL, NULL, &e)) {
        snprintf(gst_init_error, sizeof gst_init_error, "%s",
                 e && e->message ? e->message : "unknown error");
        g_clear_error(&e);
        return;
    }
    if (getenv("GST_DEBUG"))
        return;
    gst_debug_set_default_threshold(GST_LEVEL_NONE);
    static const char *const domains[] = {
        "GStreamer", "GStreamer-Base", "GStreamer-Video", "GStreamer-Audio", "GStreamer-App",
        "GStreamer-Tag", "GStreamer-Riff", "GStreamer-Pbutils", "GStreamer-Codecparsers",
    };
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
        g_log_set_handler(domains[i], G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL |
                                          G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
                                          G_LOG_LEVEL_DEBUG,
                          drop_log, NULL);
}

sl_status vision_gst_init(sl_error *err)
{
    pthread_once(&gst_once, gst_init_once);
    if (gst_init_error[0])
        return sl_fail(err, SL_ERR_UNSUPPORTED, "GStreamer could not start: %s", gst_init_error);
    return SL_OK;
}

static pthread_once_t lept_once = PTHREAD_ONCE_INIT;

static void lept_init_once(void)
{
    if (!getenv("LEPT_MSG_SEVERITY"))
        setMsgSeverity(L_SEVERITY_NONE);
}

void vision_leptonica_init(void)
{
    pthread_once(&lept_once, lept_init_once);
}
