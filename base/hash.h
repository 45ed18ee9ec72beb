/* hash.h - the hashes of syno: FNV-1a, one 64-bit mixer, hex.
 *
 * FNV-1a 64 is the stable hash of bytes: canonical texts (their hash names
 * operators in results stores, golden files and file names), size
 * exponent vectors, keys and checksums of the CUDA kernel cache.  Those
 * values are stored, so the function never changes.  The mixer is
 * splitmix64's finaliser, for hash tables in memory and for seeding the
 * random generator; hashes built with it are never stored.  (The canonical
 * labelling in lang/canon_label.c and lang/canon_ir.c keeps mixers of its
 * own: their values choose the canonical form, which is stored.) */
#ifndef SYNO_HASH_H
#define SYNO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The FNV-1a 64 offset basis: the hash of no bytes. */
#define SYNO_HASH_FNV_INIT 0xcbf29ce484222325ull

/* The golden-ratio increment of splitmix64. */
#define SYNO_HASH_GAMMA 0x9e3779b97f4a7c15ull

/* FNV-1a 64 of the N bytes at P, continuing from H (SYNO_HASH_FNV_INIT to
 * start): hashing A then B equals hashing their concatenation. */
uint64_t syno_hash_fnv1a(uint64_t h, const void *p, size_t n);

/* The mixer: splitmix64's output function of Z + SYNO_HASH_GAMMA, a
 * bijection of 64-bit words whose every output bit depends on every input
 * bit.  Combine values as syno_hash_mix(h ^ v) or syno_hash_mix(a ^
 * syno_hash_mix(b)). */
static inline uint64_t syno_hash_mix(uint64_t z)
{
    z += SYNO_HASH_GAMMA;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Writes H as 16 lower-case hex digits and a NUL into OUT. */
void syno_hash_hex(uint64_t h, char out[17]);

/* Parses S, exactly 16 hex digits, into *H; false (and *H untouched) for
 * anything else. */
bool syno_hash_parse(const char *s, uint64_t *h);

#endif
