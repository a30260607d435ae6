#include "llm/cpu_features.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

cpu_features cpu_features_detect(void)
{
    cpu_features f;
    memset(&f, 0, sizeof f);
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return f;
    bool osxsave = (c >> 27) & 1;
    bool avx = (c >> 28) & 1;
    bool fma = (c >> 12) & 1;
    bool f16c = (c >> 29) & 1;
    if (!osxsave || !avx)
        return f;
    uint64_t xcr0 = read_xcr0();
    /* The OS must save the registers: SSE+AVX state for ymm, plus opmask
     * and both halves of the zmm state for AVX-512. */
    bool ymm_ok = (xcr0 & 0x6) == 0x6;
    bool zmm_ok = (xcr0 & 0xe6) == 0xe6;
    if (!ymm_ok)
        return f;
    if (__get_cpuid_max(0, NULL) < 7)
        return f;
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = (b >> 5) & 1;
    f.fma = fma;
    f.f16c = f16c;
    if (zmm_ok) {
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
        f.avx512vnni = (c >> 11) & 1;
        unsigned a1, b1, c1, d1;
        __cpuid_count(7, 1, a1, b1, c1, d1);
        (void)b1;
        (void)c1;
        (void)d1;
        f.avx512bf16 = (a1 >> 5) & 1;
    }
    return f;
}

#elif defined(__aarch64__)

cpu_features cpu_features_detect(void)
{
    cpu_features f;
    memset(&f, 0, sizeof f);
    f.neon = true;
#if defined(__ARM_FEATURE_DOTPROD)
    f.neon_dotprod = true;
#endif
    return f;
}

#else

cpu_features cpu_features_detect(void)
{
    cpu_features f;
    memset(&f, 0, sizeof f);
    return f;
}

#endif

static bool level_supported_by(simd_level level, const cpu_features *f)
{
    switch (level) {
    case SIMD_SCALAR:
        return true;
    case SIMD_NEON:
#if defined(SL_HAVE_NEON)
        return f->neon;
#else
        return false;
#endif
    case SIMD_AVX2:
#if defined(SL_HAVE_X86_SIMD)
        return f->avx2 && f->fma && f->f16c;
#else
        return false;
#endif
    case SIMD_AVX512:
#if defined(SL_HAVE_X86_SIMD)
        return f->avx2 && f->fma && f->f16c && f->avx512f && f->avx512bw && f->avx512vl &&
               f->avx512dq && f->avx512vnni;
#else
        return false;
#endif
    default:
        return false;
    }
}

bool simd_level_supported(simd_level level)
{
    cpu_features f = cpu_features_detect();
    return level_supported_by(level, &f);
}

static const char *const level_names[SIMD_LEVEL_COUNT] = {"scalar", "neon", "avx2", "avx512"};

const char *simd_level_name(simd_level level)
{
    return (unsigned)level < SIMD_LEVEL_COUNT ? level_names[level] : "?";
}

int simd_level_from_name(const char *name)
{
    for (int i = 0; i < SIMD_LEVEL_COUNT; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

static simd_level choose_level(void)
{
    cpu_features f = cpu_features_detect();
    simd_level best = SIMD_SCALAR;
    for (int l = SIMD_LEVEL_COUNT - 1; l > 0; l--)
        if (level_supported_by((simd_level)l, &f)) {
            best = (simd_level)l;
            break;
        }
    const char *env = getenv("SIGHTLINE_SIMD");
    if (env && *env) {
        int want = simd_level_from_name(env);
        /* Only downwards: asking for more than the CPU has must not crash. */
        if (want >= 0 && want <= (int)best && level_supported_by((simd_level)want, &f))
            best = (simd_level)want;
    }
    return best;
}

simd_level simd_level_active(void)
{
    /* -1: not chosen yet. Racing first calls compute the same value. */
    static atomic_int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        v = (int)choose_level();
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return (simd_level)v;
}

bool simd_has_bf16_dot(void)
{
    static atomic_int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        v = simd_level_active() == SIMD_AVX512 && cpu_features_detect().avx512bf16;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v != 0;
}
