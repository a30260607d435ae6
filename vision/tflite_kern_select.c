/* Picks the convolution kernels for this CPU (compiled without ISA flags). */
#include <stdlib.h>
#include <string.h>

#include "vision/tflite_kern.h"

static bool cpu_has(const char *isa)
{
#if defined(__x86_64__) || defined(__i386__)
    /* libgcc's checks include the OS's support for the wide registers. */
    if (strcmp(isa, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (strcmp(isa, "avx512") == 0)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma");
#endif
    return strcmp(isa, "scalar") == 0;
}

const tl_kern_table *tl_kern_by_name(const char *name)
{
    if (!name || !cpu_has(name))
        return NULL;
#if defined(__x86_64__) || defined(__i386__)
    if (strcmp(name, "avx512") == 0)
        return &tl_kern_avx512;
    if (strcmp(name, "avx2") == 0)
        return &tl_kern_avx2;
#endif
    return &tl_kern_scalar;
}

const tl_kern_table *tl_kern_select(void)
{
    static const char *const order[] = {"avx512", "avx2", "scalar"};
    const char *cap = getenv("SIGHTLINE_SIMD");
    bool allowed = cap == NULL;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!allowed && cap && strcmp(cap, order[i]) == 0)
            allowed = true;
        if (allowed && cpu_has(order[i]))
            return tl_kern_by_name(order[i]);
    }
    return &tl_kern_scalar;
}
