/* The description `describe` gives with no vision-language model: how
 * light the scene is, its main colours and any text in it. */
#ifndef SIGHTLINE_APP_DESCRIBE_BASIC_H
#define SIGHTLINE_APP_DESCRIBE_BASIC_H

#include "vision/vision.h"

typedef struct basic_description {
    char *brief;     /* one sentence a blind user can act on */
    char *text;      /* the text read in the picture, lines joined by '\n'; "" if none */
    scene_stats stats;
} basic_description;

/* ocr may be NULL (no text reading). */
sl_status describe_basic(const frame *pic, ocr_engine *ocr, basic_description *out,
                         sl_error *err);
void basic_description_free(basic_description *d);


#endif
