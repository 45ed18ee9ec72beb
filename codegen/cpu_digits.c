/* cpu_digits.c - iterators split into digits, so that a stage's index
 * expressions lose their floor divisions and remainders.
 *
 * A plan stage iterates over the operator's dims, and some of them are
 * read only through ⌊i/c⌋ and i mod c.  The output channel o of a grouped
 * convolution is one: both operands read its group ⌊o/(C_out/g)⌋ and the
 * weight also o mod (C_out/g).  As written, such a stage is no matrix
 * product (o is read by both operands, so it could only be a batch index
 * over products with a single row) and its gathers evaluate divisions.
 * Writing i = Σ_j d_j·p_j in mixed radix (places p_j that divide each other
 * and the extent) and simplifying every expression with value ranges
 * (the index algebra of codegen/cuda_ix.h) turns those reads into digits:
 * the group γ becomes an iterator both operands read (a batch index of
 * sgemm), j one only the weight reads (a side of the product), and every
 * index is affine again.  The digits of an iterator are consecutive, most
 * significant first, so the digits of an output iterator address the
 * output buffer exactly as the iterator did (row-major).
 *
 * Places come from the divisions: an iterator (or digit) of place P and
 * extent E read with coefficient a under ⌊·/c⌋ or mod c gets the place
 * P·q, q = c/gcd(a, c), when 1 < q < E and q divides E.  An iterator is
 * split only when, after as many such rounds as it needs, no division
 * reads any of its digits: partial splits would shorten the runs the
 * gathers copy without removing their per-element arithmetic (the index
 * tables of cpu_access.c handle the iterators that stay non-affine). */
#include "codegen/cpu_int.h"

#include "codegen/cuda_ix.h"
#include "base/arena.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PLACES 8 /* places per iterator, besides 1 */
#define MAX_ROUNDS 6 /* rounds of place discovery per iterator */

typedef struct splits {
    int n[CPU_MAXIT];                   /* places of iterator i, ascending, each > 1 and < extent */
    int64_t place[CPU_MAXIT][MAX_PLACES];
} splits;

/* The stage rewritten over digits, as an index-algebra space. */
typedef struct conv {
    syno_ix_space sp;
    syno_ix *val;                       /* [nexprs] every expression of the stage */
    int first[CPU_MAXIT + 1];           /* digits of old iterator i: [first[i], first[i + 1]) */
    int64_t dplace[SYNO_IX_MAX_ITERS];  /* place of each digit in its iterator */
    int owner[SYNO_IX_MAX_ITERS];       /* old iterator of each digit */
    bool *reached;                      /* [natoms] division atoms some operand or guard reads */
} conv;

static int64_t gcd64(int64_t a, int64_t b)
{
    if (a < 0) a = -a;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void conv_fini(conv *c)
{
    syno_ix_space_fini(&c->sp);
    free(c->val);
    free(c->reached);
    memset(c, 0, sizeof *c);
}

static void reach(conv *c, const syno_ix *x)
{
    for (int t = 0; t < x->n; t++) {
        int a = x->t[t].atom;
        const syno_ix_atom *at = &c->sp.atoms[a];
        if (at->kind == SYNO_IX_ITER || c->reached[a]) continue;
        c->reached[a] = true;
        reach(c, &c->sp.atoms[a].arg);
    }
}

/* Converts stage S into C with the iterators split at SP.  False when the
 * digits would be too many or an expression overflows the algebra. */
static bool convert(const syno_plan_stage *s, const splits *sp, conv *c)
{
    memset(c, 0, sizeof *c);
    syno_ix_space_init(&c->sp);
    c->val = syno_xcalloc((size_t)s->nexprs + 1, sizeof *c->val);
    syno_ix *iv = syno_xcalloc((size_t)s->niters + 1, sizeof *iv);
    bool ok = true;
    for (int i = 0; i < s->niters && ok; i++) {
        int64_t ext = s->iters[i].extent;
        c->first[i] = c->sp.niters;
        iv[i] = syno_ix_const(0);
        /* digits from the most significant: places p_n > ... > p_1 > 1 */
        for (int j = sp->n[i]; j >= 0 && ok; j--) {
            int64_t place = j ? sp->place[i][j - 1] : 1;
            int64_t above = j == sp->n[i] ? ext : sp->place[i][j];
            int d = syno_ix_add_iter(&c->sp, above / place);
            if (d < 0) {
                ok = false;
                break;
            }
            c->dplace[d] = place;
            c->owner[d] = i;
            syno_ix dx = syno_ix_iter(&c->sp, d), term = syno_ix_scale(&c->sp, &dx, place);
            iv[i] = syno_ix_add(&c->sp, &iv[i], &term);
        }
    }
    c->first[s->niters] = c->sp.niters;
    for (int e = 0; e < s->nexprs && ok; e++) {
        const syno_pexpr *x = &s->exprs[e];
        switch (x->op) {
        case SYNO_PX_ITER: c->val[e] = iv[x->x]; break;
        case SYNO_PX_CONST: c->val[e] = syno_ix_const(x->c); break;
        case SYNO_PX_ADD: c->val[e] = syno_ix_add(&c->sp, &c->val[x->x], &c->val[x->y]); break;
        case SYNO_PX_MUL: c->val[e] = syno_ix_scale(&c->sp, &c->val[x->x], x->c); break;
        case SYNO_PX_DIV: c->val[e] = syno_ix_div(&c->sp, &c->val[x->x], x->c); break;
        case SYNO_PX_MOD: c->val[e] = syno_ix_mod(&c->sp, &c->val[x->x], x->c); break;
        }
    }
    free(iv);
    if (!ok || c->sp.overflow) return false;
    c->reached = syno_xcalloc((size_t)c->sp.natoms + 1, sizeof *c->reached);
    return true;
}

/* Marks the division atoms that the operands (of ranks RANK) and the
 * guards of S read. */
static void mark_reached(const syno_plan_stage *s, const int *rank, conv *c)
{
    for (int k = 0; k < s->nops; k++)
        for (int ax = 0; ax < rank[k]; ax++) reach(c, &c->val[s->ops[k].index[ax]]);
    for (int g = 0; g < s->nguards; g++) reach(c, &c->val[s->guards[g].expr]);
}

/* New places for old iterator I: from every reached division that reads
 * one of its digits (see the file comment).  Returns how many were added
 * to SP. */
static int discover(const conv *c, int i, splits *sp)
{
    int added = 0;
    for (int a = 0; a < c->sp.natoms; a++) {
        if (!c->reached[a]) continue;
        const syno_ix_atom *at = &c->sp.atoms[a];
        for (int t = 0; t < at->arg.n; t++) {
            const syno_ix_atom *term = &c->sp.atoms[at->arg.t[t].atom];
            if (term->kind != SYNO_IX_ITER || c->owner[term->iter] != i) continue;
            int64_t q = at->k / gcd64(at->arg.t[t].c, at->k), e = c->sp.ext[term->iter];
            if (q <= 1 || q >= e || e % q != 0) continue;
            int64_t place = c->dplace[term->iter] * q;
            bool have = false;
            for (int j = 0; j < sp->n[i]; j++) have |= sp->place[i][j] == place;
            if (have || sp->n[i] == MAX_PLACES) continue;
            int j = sp->n[i]++;
            while (j > 0 && sp->place[i][j - 1] > place) {
                sp->place[i][j] = sp->place[i][j - 1];
                j--;
            }
            sp->place[i][j] = place;
            added++;
        }
    }
    return added;
}

/* Whether a reached division reads a digit of old iterator I. */
static bool divided(const conv *c, int i)
{
    for (int a = 0; a < c->sp.natoms; a++) {
        if (!c->reached[a]) continue;
        if (c->sp.atoms[a].deps >> c->first[i] & ((1ull << (c->first[i + 1] - c->first[i])) - 1)) return true;
    }
    return false;
}

/* Growable expression array of the new stage. */
typedef struct emitter {
    syno_pexpr *x;
    int n, cap;
    int *memo;          /* [natoms] emitted node of each atom, or -1 */
    const conv *c;
} emitter;

static int node(emitter *em, syno_pexpr_op op, int x, int y, int64_t k)
{
    if (em->n == em->cap) {
        em->cap = em->cap ? 2 * em->cap : 64;
        em->x = syno_xrealloc(em->x, (size_t)em->cap * sizeof *em->x);
    }
    em->x[em->n] = (syno_pexpr){op, x, y, k};
    return em->n++;
}

static int emit(emitter *em, const syno_ix *v);

static int emit_atom(emitter *em, int a)
{
    if (em->memo[a] >= 0) return em->memo[a];
    const syno_ix_atom *at = &em->c->sp.atoms[a];
    int r;
    if (at->kind == SYNO_IX_ITER) {
        r = node(em, SYNO_PX_ITER, at->iter, 0, 0);
    } else {
        syno_ix arg = at->arg;
        int x = emit(em, &arg);
        r = node(em, at->kind == SYNO_IX_DIV ? SYNO_PX_DIV : SYNO_PX_MOD, x, 0, at->k);
    }
    em->memo[a] = r;
    return r;
}

static int emit(emitter *em, const syno_ix *v)
{
    int r = -1;
    for (int t = 0; t < v->n; t++) {
        int a = emit_atom(em, v->t[t].atom);
        if (v->t[t].c != 1) a = node(em, SYNO_PX_MUL, a, 0, v->t[t].c);
        r = r < 0 ? a : node(em, SYNO_PX_ADD, r, a, 0);
    }
    if (r < 0 || v->c0 != 0) {
        int k = node(em, SYNO_PX_CONST, 0, 0, v->c0);
        r = r < 0 ? k : node(em, SYNO_PX_ADD, r, k, 0);
    }
    return r;
}

/* The name of digit D of C: "o/8", "o%8", "(o/4)%2". */
static const char *digit_name(syno_arena *ar, const syno_plan_stage *s, const conv *c, int d)
{
    int i = c->owner[d];
    const char *nm = s->iters[i].name;
    int64_t p = c->dplace[d], e = c->sp.ext[d];
    bool top = d == c->first[i];
    if (top) return syno_arena_printf(ar, "%s/%lld", nm, (long long)p);
    if (p == 1) return syno_arena_printf(ar, "%s%%%lld", nm, (long long)e);
    return syno_arena_printf(ar, "(%s/%lld)%%%lld", nm, (long long)p, (long long)e);
}

/* Builds the stage of C into arena AR (see cpu_digits). */
static syno_plan_stage *build(syno_arena *ar, const syno_plan_stage *s, const int *rank, const conv *c)
{
    syno_plan_stage *n = SYNO_NEW(ar, syno_plan_stage);
    *n = *s;
    n->niters = c->sp.niters;
    n->nout = c->first[s->nout];
    n->iters = SYNO_NEW_ARRAY(ar, syno_plan_iter, n->niters);
    for (int d = 0; d < n->niters; d++) {
        const syno_plan_iter *old = &s->iters[c->owner[d]];
        bool whole = c->first[c->owner[d] + 1] - c->first[c->owner[d]] == 1;
        n->iters[d].name = whole ? old->name : digit_name(ar, s, c, d);
        n->iters[d].size = whole ? old->size : (syno_size){{0}};
        n->iters[d].extent = c->sp.ext[d];
    }
    emitter em = {0};
    em.c = c;
    em.memo = syno_xmalloc(((size_t)c->sp.natoms + 1) * sizeof *em.memo);
    for (int a = 0; a < c->sp.natoms; a++) em.memo[a] = -1;
    for (int k = 0; k < s->nops; k++) {
        syno_plan_operand *o = &n->ops[k];
        o->index = SYNO_NEW_ARRAY(ar, int, rank[k] + 1);
        o->iters = 0;
        for (int ax = 0; ax < rank[k]; ax++) {
            const syno_ix *v = &c->val[s->ops[k].index[ax]];
            o->index[ax] = emit(&em, v);
            o->iters |= syno_ix_deps(&c->sp, v);
        }
    }
    n->guards = SYNO_NEW_ARRAY(ar, syno_plan_guard, s->nguards + 1);
    for (int g = 0; g < s->nguards; g++) {
        const syno_ix *v = &c->val[s->guards[g].expr];
        n->guards[g] = s->guards[g];
        n->guards[g].expr = emit(&em, v);
        n->guards[g].iters = syno_ix_deps(&c->sp, v);
        n->guards[g].operand = -1;
        for (int k = s->nops - 1; k >= 0; k--)
            if (!(n->guards[g].iters & ~n->ops[k].iters)) n->guards[g].operand = k;
    }
    n->nexprs = em.n;
    n->exprs = SYNO_NEW_ARRAY(ar, syno_pexpr, em.n + 1);
    memcpy(n->exprs, em.x, (size_t)em.n * sizeof *em.x);
    free(em.x);
    free(em.memo);
    return n;
}

/* When some iterators of stage S (of plan P) are read only in ways that
 * splitting them into digits makes affine (see the file comment), returns
 * S rewritten over the digits, allocated in AR (the plan's buffers and
 * every result are unchanged: same operands, buffers, guards, scale,
 * points and FLOPs; the digits of an output iterator stand where it
 * stood), and appends to NOTE what was split ("o into o/8 o%8");
 * returns NULL, appending nothing, when no iterator gains from a split. */
syno_plan_stage *cpu_digits(syno_arena *ar, const syno_plan *p, const syno_plan_stage *s, syno_buf *note)
{
    int rank[SYNO_PLAN_MAX_OPS];
    bool any_div = false;
    for (int k = 0; k < s->nops; k++) rank[k] = p->bufs[s->ops[k].buf].rank;
    for (int e = 0; e < s->nexprs; e++) any_div |= s->exprs[e].op == SYNO_PX_DIV || s->exprs[e].op == SYNO_PX_MOD;
    if (!any_div) return NULL;
    splits sp;
    memset(&sp, 0, sizeof sp);
    for (int i = 0; i < s->niters; i++) {
        splits trial = sp;
        bool done = false;
        for (int round = 0; round < MAX_ROUNDS && !done; round++) {
            conv c;
            if (!convert(s, &trial, &c)) {
                conv_fini(&c);
                break;
            }
            mark_reached(s, rank, &c);
            if (!divided(&c, i)) done = true;
            else if (discover(&c, i, &trial) == 0) round = MAX_ROUNDS;
            conv_fini(&c);
        }
        if (done && trial.n[i] > sp.n[i]) sp = trial;
    }
    bool split = false;
    for (int i = 0; i < s->niters; i++) split |= sp.n[i] > 0;
    if (!split) return NULL;
    conv c;
    syno_plan_stage *n = NULL;
    if (convert(s, &sp, &c)) {
        mark_reached(s, rank, &c);
        n = build(ar, s, rank, &c);
        bool first = true;
        for (int i = 0; i < s->niters; i++) {
            if (!sp.n[i]) continue;
            syno_buf_printf(note, "%s%s into", first ? "" : ", ", s->iters[i].name);
            first = false;
            for (int d = c.first[i]; d < c.first[i + 1]; d++) syno_buf_printf(note, " %s", n->iters[d].name);
        }
    }
    conv_fini(&c);
    return n;
}
