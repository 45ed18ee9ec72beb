/* arena.c - region allocator: a singly linked list of chunks, newest first.
 *
 * Blocks larger than a quarter chunk get a chunk of their own, inserted
 * behind the current one so that the current chunk keeps serving small
 * requests. */
#include "base/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 16

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(ALIGN) unsigned char data[];
} chunk;

struct syno_arena {
    chunk *head;
    size_t bytes;
};

static chunk *chunk_new(size_t size)
{
    chunk *c = syno_xmalloc(sizeof(chunk) + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

/* Creates an empty arena.  Free it with syno_arena_free. */
syno_arena *syno_arena_new(void)
{
    syno_arena *a = syno_xcalloc(1, sizeof *a);
    return a;
}

/* Frees the arena and every block allocated from it.  NULL is a no-op. */
void syno_arena_free(syno_arena *a)
{
    if (!a) return;
    for (chunk *c = a->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(a);
}

/* Returns N zeroed bytes aligned to 16, valid until the arena is freed or
 * reset to a mark taken before this call.  Never returns NULL. */
void *syno_arena_alloc(syno_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need == 0) need = ALIGN;
    chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        if (need > CHUNK_SIZE / 4) {
            chunk *big = chunk_new(need);
            big->used = need;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->head = big;
            }
            a->bytes += need;
            memset(big->data, 0, need);
            return big->data;
        }
        c = chunk_new(CHUNK_SIZE);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->bytes += need;
    memset(p, 0, need);
    return p;
}

/* Copies N bytes from P into the arena. */
void *syno_arena_dup(syno_arena *a, const void *p, size_t n)
{
    void *q = syno_arena_alloc(a, n);
    if (n) memcpy(q, p, n);
    return q;
}

/* Copies the NUL-terminated string S into the arena. */
char *syno_arena_strdup(syno_arena *a, const char *s)
{
    return syno_arena_strndup(a, s, strlen(s));
}

/* Copies the first N bytes of S into the arena and terminates them. */
char *syno_arena_strndup(syno_arena *a, const char *s, size_t n)
{
    char *q = syno_arena_alloc(a, n + 1);
    memcpy(q, s, n);
    q[n] = 0;
    return q;
}

/* printf into a fresh arena string. */
__attribute__((format(printf, 2, 0))) static char *format_v(syno_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    SYNO_ASSERT(n >= 0);
    char *q = syno_arena_alloc(a, (size_t)n + 1);
    vsnprintf(q, (size_t)n + 1, fmt, ap);
    return q;
}

/* printf into a fresh arena string. */
char *syno_arena_printf(syno_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *q = format_v(a, fmt, ap);
    va_end(ap);
    return q;
}

/* Records the current allocation point.  Only blocks of the current head
 * chunk and newer ones are released by a later reset. */
syno_arena_mark syno_arena_get_mark(const syno_arena *a)
{
    syno_arena_mark m = {a->head, a->head ? a->head->used : 0};
    return m;
}

/* Releases every block allocated since mark M was taken.  Chunks created
 * since then are freed; the marked chunk is rewound. */
void syno_arena_reset(syno_arena *a, syno_arena_mark m)
{
    while (a->head && a->head != m.chunk) {
        chunk *c = a->head;
        a->head = c->next;
        a->bytes -= c->used;
        free(c);
    }
    if (a->head) {
        /* Big blocks inserted behind the marked chunk after the mark was
         * taken stay allocated until the arena is freed; that is rare and
         * bounded by the search's own budget. */
        a->bytes -= a->head->used - m.used;
        a->head->used = m.used;
    }
}

/* Bytes handed out so far (excluding chunk slack), for budgets and stats. */
size_t syno_arena_bytes(const syno_arena *a)
{
    return a->bytes;
}
