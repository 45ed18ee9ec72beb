/* hash.c - FNV-1a and the hex form of hashes (hash.h). */
#include "base/hash.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a 64 of N bytes at P from H (see hash.h). */
uint64_t syno_hash_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Writes H as 16 hex digits into OUT (see hash.h). */
void syno_hash_hex(uint64_t h, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, h >>= 4) out[i] = hex[h & 15];
    out[16] = 0;
}

/* Parses 16 hex digits (see hash.h). */
bool syno_hash_parse(const char *s, uint64_t *h)
{
    if (!s || strlen(s) != 16) return false;
    char *end;
    unsigned long long v = strtoull(s, &end, 16);
    if (*end) return false;
    *h = (uint64_t)v;
    return true;
}
