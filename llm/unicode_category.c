#include "llm/unicode_category.h"

#include "llm/unicode_tables.h"

unsigned unicode_class_bits(uint32_t cp)
{
    if (cp > 0x10FFFF)
        return UNICODE_UNASSIGNED;
    size_t lo = 0, hi = unicode_class_range_count; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((unicode_class_ranges[mid] >> 4) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return unicode_class_ranges[lo] & 15u;
}
