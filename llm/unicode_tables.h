/* The generated Unicode class table (llm/unicode_tables.c, written by
 * scripts/gen-unicode-tables.sh). Read it through llm/unicode_category.h. */
#ifndef SIGHTLINE_LLM_UNICODE_TABLES_H
#define SIGHTLINE_LLM_UNICODE_TABLES_H

#include <stddef.h>
#include <stdint.h>

extern const uint32_t unicode_class_ranges[];
extern const size_t unicode_class_range_count;

#endif
