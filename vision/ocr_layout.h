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
    int split;      /* 1: a piece of a Tesseract line cut at a wide gap */
} ocr_layout_line;

/* Orders n lines (given in Tesseract's order) into *out. A block holding
 * cut lines is first divided into its columns (the x ranges of the pieces),
 * in bands between lines that span several columns. With merge_rows,
 * blocks standing side by side with their lines on common rows are read row
 * by row unless both hold running text (lines of four words or more, as in
 * a page set in columns); otherwise Tesseract's order is kept. The
 * texts move into *out (the input lines' text pointers become NULL). */
sl_status ocr_layout_order(ocr_layout_line *lines, size_t n, int merge_rows, ocr_result *out,
                           sl_error *err);

#endif
