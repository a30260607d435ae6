/* vision/: frames, image preprocessing, OCR, the VLM's vision encoder and
 * hand landmarks. The one header other folders include. */
#ifndef SIGHTLINE_VISION_H
#define SIGHTLINE_VISION_H

#include "vision/frame.h"
#include "vision/frame_source.h"
#include "vision/clip.h"
#include "vision/scene_stats.h"
#include "vision/object_descriptor.h"
#include "vision/object_match.h"
#include "vision/image_prep.h"
#include "vision/ocr.h"
#include "vision/hands.h"
#include "vision/signs.h"
#include "vision/tflite.h"
#include "vision/tflite_interp.h"

#endif
