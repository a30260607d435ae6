/* Reading the text in a picture: Tesseract (its C API) on a prepared copy of
 * the frame (vision/image_prep.h), lines in reading order with their boxes.
 *
 * Errors:
 *   SL_ERR_UNSUPPORTED  a language that is not installed (the message lists
 *                       the installed ones) or not a language name
 *   SL_ERR_MODEL        no Tesseract language data at all (tessdata missing)
 *   SL_ERR_ARG          a NULL or malformed frame
 *   SL_ERR_NOMEM        out of memory
 *   SL_ERR_INTERNAL     Tesseract failed on a picture it accepted
 *
 * Nothing is printed: Tesseract's messages go to /dev/null (its debug_file
 * variable, which is process-wide in Tesseract; set once, before the first
 * engine starts, see ocr_tesseract_quiet in ocr.c). One engine is used by
 * one thread at a time; separate engines may run in parallel. */
#ifndef SIGHTLINE_VISION_OCR_H
#define SIGHTLINE_VISION_OCR_H

#include <stddef.h>

#include "llm/error.h"
#include "vision/frame.h"
#include "vision/image_prep.h"

typedef struct ocr_line {
    char *text;       /* UTF-8, no trailing newline, never empty */
    float confidence; /* 0..100, the mean of Tesseract's word confidences */
    int x, y, w, h;   /* box in the original frame's pixels, inside the frame */
} ocr_line;

/* Lines in reading order: blocks as Tesseract orders them (columns top to
 * bottom, left to right), except that blocks standing side by side on common
 * rows that are not both running text (prices beside items, hours beside
 * days) are read row by row, each row one line. */
typedef struct ocr_result {
    ocr_line *lines;
    size_t count;
} ocr_result;

typedef struct ocr_engine ocr_engine;

/* lang: a Tesseract language string such as "eng" or "eng+deu"; NULL = "eng". */
sl_status ocr_open(const char *lang, ocr_engine **out, sl_error *err);
void ocr_close(ocr_engine *e);

/* How pictures are read; ocr_open uses ocr_options_defaults(). */
typedef struct ocr_options {
    image_prep_options prep;
    float min_line_confidence; /* lines (or pieces cut at a gutter) whose mean word
                                  confidence is below this are dropped: texture
                                  and sign edges read as letters */
    int merge_rows;            /* 1: join narrow side blocks into rows (see ocr_result) */
    int block_fallback;        /* 1: when the automatic layout's result looks wrong
                                  (a line on end, a poorly read line) or is empty,
                                  read the picture as one block and without
                                  background flattening too; keep the best */
} ocr_options;

ocr_options ocr_options_defaults(void);
void ocr_set_options(ocr_engine *e, const ocr_options *opt);

/* Reads the frame. *out is overwritten (free an earlier result first); on
 * failure it is empty. */
sl_status ocr_read_frame(ocr_engine *e, const frame *f, ocr_result *out, sl_error *err);
void ocr_result_free(ocr_result *r);

/* All lines' text joined with '\n' (malloc'ed, "" when none). */
char *ocr_result_text(const ocr_result *r);

/* The installed languages ("eng", "deu", ...; not "osd", which only finds
 * orientation), sorted. The caller frees them with ocr_languages_free. */
sl_status ocr_languages(char ***langs, size_t *count, sl_error *err);
void ocr_languages_free(char **langs, size_t count);

#endif
