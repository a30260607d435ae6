/* Reading order of recognised lines (used by vision/ocr.c; exposed for its
 * test). Tesseract reads side-by-side blocks one after the other, which is
 * right for columns of running text and wrong for a menu or receipt, where a
 * narrow block of prices stands beside the items they belong to. */
#ifndef SIGHTLINE_VISION_OCR_LAYOUT_H
#define SIGHTLINE_VISION_OCR_LAYOUT_H

#include <stddef.h>

#include "llm/error.h"
#include "vision/ocr.h"

/* A recognised line before ordering: its block (Tesseract's order) and the
 * confidences of its words, so that joined rows average over words. */
typedef struct ocr_layout_line {
    ocr_line line;  /* text owned by the caller until ocr_layout_order takes it */
    int block;      /* Tesseract's block number, non-decreasing in input order */
    int words;      /* words in the line (>= 1) */
} ocr_layout_line;

/* Orders n lines (given in Tesseract's order) into *out. With merge_rows,
 * blocks standing side by side row by row, where one is narrow or far from
 * the other, are read row by row; otherwise Tesseract's order is kept. The
 * texts move into *out (the input lines' text pointers become NULL). */
sl_status ocr_layout_order(ocr_layout_line *lines, size_t n, int merge_rows, ocr_result *out,
                           sl_error *err);

#endif
