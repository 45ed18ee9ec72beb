/* cuda_ix.h - index algebra for generated kernels: affine expressions over
 * loop iterators and over floor-divisions and remainders by constants.
 *
 * Every index a kernel computes (a tensor offset, an unfold position, a
 * guard) is an affine form  c0 + Σ c_i·atom_i  where an atom is an
 * iterator, ⌊e/k⌋ or e mod k for an affine e and a constant k > 0 (floor
 * division and Euclidean remainder, as in LANGUAGE.md).  Atoms are
 * hash-consed in a space (one per kernel), so a subexpression the kernel
 * needs twice is computed once, and each atom knows its value range and
 * which iterators it depends on (so the emitter computes it in the
 * outermost loop where all of them are bound).
 *
 * Construction simplifies with ranges: ⌊(Q·k + R)/k⌋ = Q + ⌊R/k⌋ for an
 * integer affine Q, and both vanish when R is known to lie in one period
 * [j·k, (j+1)·k); so reshapes that undo each other (split then merge,
 * merge then split) produce no division at all.  Ranges are intervals
 * computed from iterator extents: sound, not always tight. */
#ifndef SYNO_CUDA_IX_H
#define SYNO_CUDA_IX_H

#include "base/buf.h"

#include <stdint.h>

#define SYNO_IX_MAX_TERMS 24
#define SYNO_IX_MAX_ITERS 64

typedef struct syno_ix_term {
    int atom;
    int64_t c;
} syno_ix_term;

/* c0 + Σ t[i].c · atom(t[i].atom), terms sorted by atom, no zero coefficient. */
typedef struct syno_ix {
    int n;
    int64_t c0;
    syno_ix_term t[SYNO_IX_MAX_TERMS];
} syno_ix;

typedef enum syno_ix_kind { SYNO_IX_ITER, SYNO_IX_DIV, SYNO_IX_MOD } syno_ix_kind;

typedef struct syno_ix_atom {
    syno_ix_kind kind;
    int iter;         /* SYNO_IX_ITER: the iterator */
    syno_ix arg;      /* DIV/MOD: the dividend */
    int64_t k;        /* DIV/MOD: the divisor (> 0) */
    int64_t lo, hi;   /* value range, inclusive */
    uint64_t deps;    /* bit i: depends on iterator i */
} syno_ix_atom;

/* The iterators and atoms of one kernel. */
typedef struct syno_ix_space {
    int niters;
    int64_t ext[SYNO_IX_MAX_ITERS];
    int iter_atom[SYNO_IX_MAX_ITERS]; /* the atom of each iterator */
    int natoms, cap;
    syno_ix_atom *atoms;
    bool overflow;    /* an expression needed more than SYNO_IX_MAX_TERMS terms */
} syno_ix_space;

/* An empty space (no iterators); free its atoms with syno_ix_space_fini. */
void syno_ix_space_init(syno_ix_space *s);
void syno_ix_space_fini(syno_ix_space *s);

/* Adds an iterator over [0, EXT) (EXT >= 1) and returns its number, or -1
 * when the space already has SYNO_IX_MAX_ITERS iterators.  Iterators may
 * be added at any time (a gather derivation frees dims as it goes). */
int syno_ix_add_iter(syno_ix_space *s, int64_t ext);

/* Constructors.  All return values; none allocates except div/mod, which
 * may add an atom to S.  On term overflow they set S->overflow and return
 * a harmless value: callers check the flag once at the end. */
syno_ix syno_ix_const(int64_t c);
syno_ix syno_ix_iter(const syno_ix_space *s, int iter);
syno_ix syno_ix_add(syno_ix_space *s, const syno_ix *a, const syno_ix *b);
syno_ix syno_ix_scale(syno_ix_space *s, const syno_ix *a, int64_t k);
syno_ix syno_ix_addc(const syno_ix *a, int64_t c);
syno_ix syno_ix_sub(syno_ix_space *s, const syno_ix *a, const syno_ix *b);
syno_ix syno_ix_div(syno_ix_space *s, const syno_ix *a, int64_t k);
syno_ix syno_ix_mod(syno_ix_space *s, const syno_ix *a, int64_t k);

/* The range [*LO, *HI] of A over all iterator values. */
void syno_ix_range(const syno_ix_space *s, const syno_ix *a, int64_t *lo, int64_t *hi);

/* Bit i set when A depends on iterator i. */
uint64_t syno_ix_deps(const syno_ix_space *s, const syno_ix *a);

bool syno_ix_equal(const syno_ix *a, const syno_ix *b);

/* Prints A as a C expression, atoms named by NAME(ATOM, CTX) (the
 * emitter's local variables); parenthesised when it has several terms. */
void syno_ix_print(const syno_ix *a, const char *(*name)(int atom, void *ctx), void *ctx, syno_buf *out);

#endif
