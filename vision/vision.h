/* vision/: frames, image preprocessing, OCR, the VLM's vision encoder and
 * hand landmarks. The one header other folders include. */
#ifndef SIGHTLINE_VISION_H
#define SIGHTLINE_VISION_H

#include "vision/frame.h"
#include "vision/frame_source.h"
#include "vision/scene_stats.h"

#endif
