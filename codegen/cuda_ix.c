/* cuda_ix.c - affine index expressions with floor division and remainder
 * atoms (see cuda_ix.h). */
#include "codegen/cuda_ix.h"

#include <stdlib.h>
#include <string.h>

/* Creates an empty space. */
void syno_ix_space_init(syno_ix_space *s)
{
    memset(s, 0, sizeof *s);
}

/* Frees the atoms of S. */
void syno_ix_space_fini(syno_ix_space *s)
{
    free(s->atoms);
    memset(s, 0, sizeof *s);
}

static int new_atom(syno_ix_space *s, const syno_ix_atom *a)
{
    if (s->natoms == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->atoms = syno_xrealloc(s->atoms, (size_t)s->cap * sizeof *s->atoms);
    }
    s->atoms[s->natoms] = *a;
    return s->natoms++;
}

/* Adds iterator over [0, EXT). */
int syno_ix_add_iter(syno_ix_space *s, int64_t ext)
{
    SYNO_ASSERT(ext >= 1);
    if (s->niters == SYNO_IX_MAX_ITERS) return -1;
    syno_ix_atom a = {.kind = SYNO_IX_ITER, .iter = s->niters, .lo = 0, .hi = ext - 1};
    a.deps = 1ull << s->niters;
    s->ext[s->niters] = ext;
    s->iter_atom[s->niters] = new_atom(s, &a);
    return s->niters++;
}

/* The constant C. */
syno_ix syno_ix_const(int64_t c)
{
    syno_ix r;
    r.n = 0;
    r.c0 = c;
    return r;
}

/* Iterator ITER. */
syno_ix syno_ix_iter(const syno_ix_space *s, int iter)
{
    SYNO_ASSERT(iter >= 0 && iter < s->niters);
    syno_ix r = syno_ix_const(0);
    r.n = 1;
    r.t[0].atom = s->iter_atom[iter];
    r.t[0].c = 1;
    return r;
}

static int64_t mul(syno_ix_space *s, int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) {
        s->overflow = true;
        return 0;
    }
    return r;
}

static int64_t add(syno_ix_space *s, int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) {
        s->overflow = true;
        return 0;
    }
    return r;
}

/* A·ka + B·kb, merging sorted term lists. */
static syno_ix combine(syno_ix_space *s, const syno_ix *a, int64_t ka, const syno_ix *b, int64_t kb)
{
    syno_ix r = syno_ix_const(add(s, mul(s, a->c0, ka), mul(s, b->c0, kb)));
    int i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int atom;
        int64_t c;
        if (j == b->n || (i < a->n && a->t[i].atom < b->t[j].atom)) {
            atom = a->t[i].atom;
            c = mul(s, a->t[i++].c, ka);
        } else if (i == a->n || b->t[j].atom < a->t[i].atom) {
            atom = b->t[j].atom;
            c = mul(s, b->t[j++].c, kb);
        } else {
            atom = a->t[i].atom;
            c = add(s, mul(s, a->t[i++].c, ka), mul(s, b->t[j++].c, kb));
        }
        if (c == 0) continue;
        if (r.n == SYNO_IX_MAX_TERMS) {
            s->overflow = true;
            return syno_ix_const(0);
        }
        r.t[r.n].atom = atom;
        r.t[r.n++].c = c;
    }
    return r;
}

/* A + B. */
syno_ix syno_ix_add(syno_ix_space *s, const syno_ix *a, const syno_ix *b)
{
    return combine(s, a, 1, b, 1);
}

/* A - B. */
syno_ix syno_ix_sub(syno_ix_space *s, const syno_ix *a, const syno_ix *b)
{
    return combine(s, a, 1, b, -1);
}

/* K·A. */
syno_ix syno_ix_scale(syno_ix_space *s, const syno_ix *a, int64_t k)
{
    syno_ix zero = syno_ix_const(0);
    return combine(s, a, k, &zero, 0);
}

/* A + C. */
syno_ix syno_ix_addc(const syno_ix *a, int64_t c)
{
    syno_ix r = *a;
    r.c0 += c;
    return r;
}

/* Range of A (sound interval arithmetic). */
void syno_ix_range(const syno_ix_space *s, const syno_ix *a, int64_t *lo, int64_t *hi)
{
    int64_t l = a->c0, h = a->c0;
    for (int i = 0; i < a->n; i++) {
        const syno_ix_atom *at = &s->atoms[a->t[i].atom];
        int64_t c = a->t[i].c;
        if (c > 0) {
            l += c * at->lo;
            h += c * at->hi;
        } else {
            l += c * at->hi;
            h += c * at->lo;
        }
    }
    *lo = l;
    *hi = h;
}

/* Dependencies of A. */
uint64_t syno_ix_deps(const syno_ix_space *s, const syno_ix *a)
{
    uint64_t d = 0;
    for (int i = 0; i < a->n; i++) d |= s->atoms[a->t[i].atom].deps;
    return d;
}

/* Whether A and B are the same form (same atoms, coefficients, constant). */
bool syno_ix_equal(const syno_ix *a, const syno_ix *b)
{
    if (a->n != b->n || a->c0 != b->c0) return false;
    for (int i = 0; i < a->n; i++)
        if (a->t[i].atom != b->t[i].atom || a->t[i].c != b->t[i].c) return false;
    return true;
}

/* Splits A = Q·K + R where Q collects the terms whose coefficient K divides
 * and the floor quotient of the constant; R keeps the rest, with its
 * constant in [0, K). */
static void split_by(syno_ix_space *s, const syno_ix *a, int64_t k, syno_ix *q, syno_ix *r)
{
    *q = syno_ix_const(syno_floor_div(a->c0, k));
    *r = syno_ix_const(a->c0 - q->c0 * k);
    for (int i = 0; i < a->n; i++) {
        syno_ix *dst = a->t[i].c % k == 0 ? q : r;
        dst->t[dst->n].atom = a->t[i].atom;
        dst->t[dst->n++].c = a->t[i].c % k == 0 ? a->t[i].c / k : a->t[i].c;
    }
    (void)s;
}

/* The atom KIND(R, K), reusing an equal one. */
static int find_or_add(syno_ix_space *s, syno_ix_kind kind, const syno_ix *r, int64_t k)
{
    for (int i = 0; i < s->natoms; i++) {
        const syno_ix_atom *at = &s->atoms[i];
        if (at->kind == SYNO_IX_ITER) continue;
        if (at->kind == kind && at->k == k && syno_ix_equal(&at->arg, r)) return i;
    }
    syno_ix_atom a = {.kind = kind, .arg = *r, .k = k};
    int64_t lo, hi;
    syno_ix_range(s, r, &lo, &hi);
    if (kind == SYNO_IX_DIV) {
        a.lo = syno_floor_div(lo, k);
        a.hi = syno_floor_div(hi, k);
    } else {
        a.lo = 0;
        a.hi = k - 1;
    }
    a.deps = syno_ix_deps(s, r);
    return new_atom(s, &a);
}

static syno_ix atom_expr(int atom)
{
    syno_ix r = syno_ix_const(0);
    r.n = 1;
    r.t[0].atom = atom;
    r.t[0].c = 1;
    return r;
}

/* Common part of div and mod: A = Q·K + R, R's range in periods J0..J1. */
static syno_ix divmod(syno_ix_space *s, const syno_ix *a, int64_t k, bool want_div)
{
    SYNO_ASSERT(k > 0);
    if (k == 1) return want_div ? *a : syno_ix_const(0);
    syno_ix q, r;
    split_by(s, a, k, &q, &r);
    int64_t lo, hi;
    syno_ix_range(s, &r, &lo, &hi);
    int64_t j0 = syno_floor_div(lo, k), j1 = syno_floor_div(hi, k);
    if (j0 == j1) {
        /* R stays within one period: no division at run time. */
        if (want_div) return syno_ix_addc(&q, j0);
        return syno_ix_addc(&r, -j0 * k);
    }
    /* ⌊⌊e/k1⌋/k⌋ = ⌊e/(k1·k)⌋ (floor division, positive divisors). */
    if (want_div && r.n == 1 && r.c0 == 0 && r.t[0].c == 1 && s->atoms[r.t[0].atom].kind == SYNO_IX_DIV) {
        const syno_ix_atom inner = s->atoms[r.t[0].atom];
        syno_ix d = syno_ix_div(s, &inner.arg, mul(s, inner.k, k));
        return syno_ix_add(s, &q, &d);
    }
    if (want_div) {
        syno_ix d = atom_expr(find_or_add(s, SYNO_IX_DIV, &r, k));
        return syno_ix_add(s, &q, &d);
    }
    return atom_expr(find_or_add(s, SYNO_IX_MOD, &r, k));
}

/* ⌊A/K⌋. */
syno_ix syno_ix_div(syno_ix_space *s, const syno_ix *a, int64_t k)
{
    return divmod(s, a, k, true);
}

/* A mod K (Euclidean). */
syno_ix syno_ix_mod(syno_ix_space *s, const syno_ix *a, int64_t k)
{
    return divmod(s, a, k, false);
}

/* Prints A as C. */
void syno_ix_print(const syno_ix *a, const char *(*name)(int atom, void *ctx), void *ctx, syno_buf *out)
{
    if (a->n == 0) {
        syno_buf_printf(out, "%lld", (long long)a->c0);
        return;
    }
    bool paren = a->n > 1 || a->c0 != 0 || a->t[0].c != 1;
    if (paren) syno_buf_putc(out, '(');
    for (int i = 0; i < a->n; i++) {
        int64_t c = a->t[i].c;
        const char *nm = name(a->t[i].atom, ctx);
        if (i == 0) {
            if (c == 1) syno_buf_puts(out, nm);
            else if (c == -1) syno_buf_printf(out, "-%s", nm);
            else syno_buf_printf(out, "%s * %lld", nm, (long long)c);
        } else {
            if (c == 1) syno_buf_printf(out, " + %s", nm);
            else if (c == -1) syno_buf_printf(out, " - %s", nm);
            else if (c > 0) syno_buf_printf(out, " + %s * %lld", nm, (long long)c);
            else syno_buf_printf(out, " - %s * %lld", nm, -(long long)c);
        }
    }
    if (a->c0 > 0) syno_buf_printf(out, " + %lld", (long long)a->c0);
    else if (a->c0 < 0) syno_buf_printf(out, " - %lld", -(long long)a->c0);
    if (paren) syno_buf_putc(out, ')');
}
