/* Which SIMD instruction sets the kernels may use on this CPU.
 *
 * Every kernel exists as plain C (the reference) and, where it matters, in
 * AVX2, AVX-512 and NEON versions compiled with per-file flags. The level is
 * chosen once per process from CPUID (x86) or the architecture (NEON is part
 * of AArch64); SIGHTLINE_SIMD=scalar|avx2|avx512|neon in the environment
 * lowers it (for tests and benchmarks; a level the CPU lacks is ignored).
 * The detected level is cached in one static atomic: it depends only on the
 * hardware and the environment at first use, so it is the same for every
 * caller (the one piece of process-wide state, by design).
 *
 * AVX-512 here means F/BW/VL/DQ plus VNNI (Ice Lake, Zen 4 and later); a CPU
 * with AVX-512 but no VNNI (Skylake-X) runs the AVX2 kernels. AVX512_BF16
 * is an extra, checked on its own (simd_has_bf16_dot). */
#ifndef SIGHTLINE_LLM_CPU_FEATURES_H
#define SIGHTLINE_LLM_CPU_FEATURES_H

#include <stdbool.h>

typedef enum simd_level {
    SIMD_SCALAR = 0,
    SIMD_NEON = 1,   /* AArch64 Advanced SIMD (+ dotprod where present) */
    SIMD_AVX2 = 2,   /* AVX2 + FMA + F16C */
    SIMD_AVX512 = 3, /* AVX-512 F/BW/VL/DQ + VNNI (Ice Lake, Zen 4 and later) */
    SIMD_LEVEL_COUNT = 4,
} simd_level;

typedef struct cpu_features {
    bool avx2, fma, f16c;
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512vnni, avx512bf16;
    bool neon, neon_dotprod;
} cpu_features;

/* What the CPU reports (CPUID and the OS's XSAVE support for the registers). */
cpu_features cpu_features_detect(void);

/* True when the kernels of this level can run here. */
bool simd_level_supported(simd_level level);

/* The level the dispatched kernels use: the best supported one, lowered by
 * SIGHTLINE_SIMD. */
simd_level simd_level_active(void);

/* True when the active level is AVX-512 and the CPU also has AVX512_BF16
 * (vdpbf16ps), used for bfloat16 products. Cached like the level. */
bool simd_has_bf16_dot(void);

/* "scalar", "avx2", "avx512", "neon". */
const char *simd_level_name(simd_level level);

/* Parses a name as above; -1 if unknown. */
int simd_level_from_name(const char *name);

#endif
