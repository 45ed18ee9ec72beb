/* rng.h - the one pseudo-random generator of syno (xoshiro256**, seeded by
 * splitmix64).  Everything random in syno — test data, random operators,
 * search sampling, weight initialisation — draws from it with an explicit
 * seed, so runs are reproducible on every machine. */
#ifndef SYNO_RNG_H
#define SYNO_RNG_H

#include "base/hash.h"

#include <stdint.h>

typedef struct syno_rng {
    uint64_t s[4];
} syno_rng;

/* splitmix64: advances the state *X and returns its next output. */
static inline uint64_t syno_splitmix64(uint64_t *x)
{
    uint64_t z = syno_hash_mix(*x);
    *x += SYNO_HASH_GAMMA;
    return z;
}

/* Seeds R from SEED (any value, 0 included). */
static inline void syno_rng_seed(syno_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = syno_splitmix64(&seed);
}

static inline uint64_t syno_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits. */
static inline uint64_t syno_rng_next(syno_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = syno_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = syno_rng_rotl(s[3], 45);
    return result;
}

/* Uniform integer in [0, n) (n > 0), without modulo bias worth noticing. */
static inline uint64_t syno_rng_below(syno_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)syno_rng_next(r) * n) >> 64);
}

/* Uniform double in [0, 1). */
static inline double syno_rng_unit(syno_rng *r)
{
    return (double)(syno_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Standard normal (Box-Muller; one value per call). */
double syno_rng_normal(syno_rng *r);

#endif
