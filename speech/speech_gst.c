#include "speech/speech_gst_internal.h"

#include <gst/gst.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t gst_once = PTHREAD_ONCE_INIT;
static char gst_failure[256]; /* written once under gst_once, then only read */

static void ignore_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                       gpointer data)
{
    (void)domain, (void)level, (void)message, (void)data;
}

static void start_gstreamer(void)
{
    GError *e = NULL;
    if (!gst_init_check(NULL, NULL, &e)) {
        snprintf(gst_failure, sizeof gst_failure, "%s",
                 e && e->message ? e->message : "unknown error");
        g_clear_error(&e);
        return;
    }
    if (getenv("GST_DEBUG"))
        return;
    gst_debug_set_default_threshold(GST_LEVEL_NONE);
    /* Decoders meeting corrupt files log GLib warnings through these. */
    static const char *const domains[] = {
        "GStreamer", "GStreamer-Base", "GStreamer-Audio", "GStreamer-App",
        "GStreamer-Tag", "GStreamer-Riff", "GStreamer-Pbutils",
    };
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
        g_log_set_handler(domains[i], G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL |
                                          G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
                                          G_LOG_LEVEL_DEBUG,
                          ignore_log, NULL);
}

sl_status speech_gst_init(sl_error *err)
{
    pthread_once(&gst_once, start_gstreamer);
    if (gst_failure[0])
        return sl_fail(err, SL_ERR_UNSUPPORTED, "GStreamer could not start: %s", gst_failure);
    return SL_OK;
}
