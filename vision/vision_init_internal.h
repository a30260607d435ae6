/* Process-wide set-up of the third-party libraries vision/ uses: the one
 * documented exception to "no global state". Each runs once per process, on
 * first use, and only makes the libraries quiet; a user who asks for their
 * logs (GST_DEBUG, LEPT_MSG_SEVERITY) gets them. */
#ifndef SIGHTLINE_VISION_INIT_INTERNAL_H
#define SIGHTLINE_VISION_INIT_INTERNAL_H

#include "llm/error.h"

/* gst_init_check; GStreamer's debug log off; GLib warnings and criticals
 * from GStreamer's own log domains (plugin bugs met on corrupt files, such
 * as avidemux's on a truncated AVI) dropped instead of printed. */
sl_status vision_gst_init(sl_error *err);

/* Leptonica's messages ("Info in pixReadMemPng: ...", "Error in ...") off. */
void vision_leptonica_init(void);

#endif
