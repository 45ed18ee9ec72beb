/* simd.h - eight-float vectors for the CPU executor's kernels and the
 * proxy network's layers, and the attribute that compiles a hot function
 * twice: for the baseline x86-64 and for x86-64-v3 (AVX2 and FMA), chosen
 * once at load time by the CPU it runs on.
 *
 * The vectors are GCC's generic vector extension (no intrinsics), so the
 * same source is correct on every target; in the baseline clone an
 * eight-float operation becomes two SSE ones, in the v3 clone one AVX one
 * and a multiply-add a fused one.  The clone is fixed for the process, so
 * results are reproducible run to run on one machine (a v3 machine and an
 * older one may round differently: FMA rounds once). */
#ifndef SYNO_SIMD_H
#define SYNO_SIMD_H

#include <stdint.h>

/* The helpers below are static inline and always inlined, so the ABI of
 * passing vectors between functions built for different targets (what
 * -Wpsabi warns about, and configure turns off) never matters. */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SYNO_NO_CLONES)
#define SYNO_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SYNO_SIMD_CLONES
#endif

/* For the helpers such a function calls: inlined into each clone, so they
 * are compiled for its target too. */
#define SYNO_SIMD_INLINE static inline __attribute__((always_inline))

typedef float syno_v8 __attribute__((vector_size(32)));
typedef int32_t syno_v8i __attribute__((vector_size(32)));
/* the same, for loads and stores at any float-aligned address */
typedef float syno_v8u __attribute__((vector_size(32), aligned(4), may_alias));

SYNO_SIMD_INLINE syno_v8 syno_v8_load(const float *p)
{
    return *(const syno_v8u *)p;
}

SYNO_SIMD_INLINE void syno_v8_store(float *p, syno_v8 v)
{
    *(syno_v8u *)p = v;
}

/* All eight lanes S. */
SYNO_SIMD_INLINE syno_v8 syno_v8_set1(float s)
{
    return (syno_v8){s, s, s, s, s, s, s, s};
}

/* max(v, 0) lane by lane (NaN gives 0, as `v > 0 ? v : 0` does). */
SYNO_SIMD_INLINE syno_v8 syno_v8_relu(syno_v8 v)
{
    syno_v8i m = v > syno_v8_set1(0.0f);
    return (syno_v8)((syno_v8i)v & m);
}

/* V where M is set (all ones), else 0. */
SYNO_SIMD_INLINE syno_v8 syno_v8_select(syno_v8i m, syno_v8 v)
{
    return (syno_v8)((syno_v8i)v & m);
}

/* The sum of the lanes, in lane order (a fixed order: deterministic). */
SYNO_SIMD_INLINE float syno_v8_sum(syno_v8 v)
{
    float s = v[0];
    for (int l = 1; l < 8; l++) s += v[l];
    return s;
}

/* The sums of the lanes of A, B, C and D as the first four lanes of one
 * vector (the other four are their copies), in a fixed order: pairs of
 * lanes first, then pairs of pairs, then the two halves. */
SYNO_SIMD_INLINE syno_v8 syno_v8_sum4(syno_v8 a, syno_v8 b, syno_v8 c, syno_v8 d)
{
    /* __builtin_shufflevector: GCC (since 12) and clang both have it */
    syno_v8 ab = __builtin_shufflevector(a, b, 0, 8, 1, 9, 4, 12, 5, 13) + __builtin_shufflevector(a, b, 2, 10, 3, 11, 6, 14, 7, 15);
    syno_v8 cd = __builtin_shufflevector(c, d, 0, 8, 1, 9, 4, 12, 5, 13) + __builtin_shufflevector(c, d, 2, 10, 3, 11, 6, 14, 7, 15);
    syno_v8 s = __builtin_shufflevector(ab, cd, 0, 1, 8, 9, 4, 5, 12, 13) +
                __builtin_shufflevector(ab, cd, 2, 3, 10, 11, 6, 7, 14, 15);
    return s + __builtin_shufflevector(s, s, 4, 5, 6, 7, 0, 1, 2, 3);
}

#endif
