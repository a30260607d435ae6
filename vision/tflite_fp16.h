/* IEEE half precision -> float, portable bit manipulation (subnormals, infinities
 * and NaNs included). Private to the TFLite interpreter until llm/fp16.h is on
 * main; the results are the same. */
#ifndef SIGHTLINE_VISION_TFLITE_FP16_H
#define SIGHTLINE_VISION_TFLITE_FP16_H

#include <stdint.h>
#include <string.h>

static inline float tl_fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else {
        /* Zero or subnormal: man * 2^-24 is exact in float. */
        float v = (float)man * 0x1p-24f;
        memcpy(&bits, &v, 4);
        bits |= sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

#endif
