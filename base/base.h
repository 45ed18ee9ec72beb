/* base.h - basics shared by every module: checked allocation, internal
 * assertions, integer division the language's way.
 *
 * Conventions used across syno (stated once, here):
 *  - public names are syno_<module>_<verb>; types are typedef'd structs;
 *  - lifetime is in the verb: _new/_free own heap memory, _init/_fini work on
 *    embedded structs, arena objects have no free;
 *  - allocation failure is not recoverable: syno_xmalloc prints a message and
 *    aborts, so callers never check for NULL;
 *  - SYNO_ASSERT guards internal invariants; when one fails it reports an
 *    "internal error" with the source location of the check and aborts.
 *    User mistakes are never asserts: they are diagnostics (diag.h). */
#ifndef SYNO_BASE_H
#define SYNO_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNO_ASSERT(cond) \
    ((cond) ? (void)0 : syno_internal_error(__FILE__, __LINE__, #cond))
#define SYNO_UNREACHABLE() syno_internal_error(__FILE__, __LINE__, "unreachable")
#define SYNO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Reports a broken internal invariant (a bug in syno, not a user error) and
 * aborts.  FILE/LINE name the failed check; WHAT is its text. */
_Noreturn void syno_internal_error(const char *file, int line, const char *what);

/* malloc/calloc/realloc/strdup that never return NULL: on exhaustion they
 * print "syno: out of memory" and abort. */
void *syno_xmalloc(size_t n);
void *syno_xcalloc(size_t n, size_t size);
void *syno_xrealloc(void *p, size_t n);
char *syno_xstrdup(const char *s);

/* A / B rounded toward minus infinity (B != 0). */
static inline int64_t syno_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* A / B rounded toward plus infinity (B > 0). */
static inline int64_t syno_ceil_div(int64_t a, int64_t b)
{
    return -syno_floor_div(-a, b);
}

/* A mod B in [0, |B|) (B != 0): the language's modulo. */
static inline int64_t syno_euclid_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + (b < 0 ? -b : b) : r;
}

#endif
