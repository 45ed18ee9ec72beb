/* arena.h - region allocator.
 *
 * An arena hands out zeroed, 16-byte aligned blocks from large chunks and
 * frees them all at once.  Programs, modules and search candidates each own
 * one arena, so a rejected candidate or a failed parse is dropped in one call
 * and leaks nothing.  A mark/reset pair rewinds an arena to an earlier point,
 * which the search uses for per-candidate scratch memory. */
#ifndef SYNO_ARENA_H
#define SYNO_ARENA_H

#include "base/base.h"

#include <stdarg.h>

typedef struct syno_arena syno_arena;

typedef struct syno_arena_mark {
    void *chunk;
    size_t used;
} syno_arena_mark;

syno_arena *syno_arena_new(void);
void syno_arena_free(syno_arena *a);
void *syno_arena_alloc(syno_arena *a, size_t n);
void *syno_arena_dup(syno_arena *a, const void *p, size_t n);
char *syno_arena_strdup(syno_arena *a, const char *s);
char *syno_arena_strndup(syno_arena *a, const char *s, size_t n);
char *syno_arena_printf(syno_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
syno_arena_mark syno_arena_get_mark(const syno_arena *a);
void syno_arena_reset(syno_arena *a, syno_arena_mark m);
size_t syno_arena_bytes(const syno_arena *a);

#define SYNO_NEW(a, T) ((T *)syno_arena_alloc((a), sizeof(T)))
#define SYNO_NEW_ARRAY(a, T, n) ((T *)syno_arena_alloc((a), sizeof(T) * (size_t)(n)))

#endif
