/* GStreamer for speech/ (private): process-wide initialisation, the
 * documented exception to "no global state". Runs gst_init_check once per
 * process on first use and makes GStreamer quiet (debug log off, GLib
 * warnings from its log domains dropped) unless the user set GST_DEBUG.
 * vision/ has its own copy of this set-up (vision_init.c); gst_init_check
 * is safe to call from both. */
#ifndef SIGHTLINE_SPEECH_GST_INTERNAL_H
#define SIGHTLINE_SPEECH_GST_INTERNAL_H

#include "llm/error.h"

sl_status speech_gst_init(sl_error *err);

#endif
