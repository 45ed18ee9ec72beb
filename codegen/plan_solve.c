/* plan_solve.c - one stage as a loop nest: which variables to iterate and
 * how every other variable is computed from them.
 *
 * A stage holds some variables (those of its factors and relations); its
 * open variables (its output axes) are iterated.  Each relation can
 * compute a missing variable from the others (forward index maps and their
 * inverses: x = hi*R + lo gives hi and lo from x, x and hi give lo, ...;
 * an unfold gives any one of its three variables from the other two), each
 * with the guard that keeps the result in range.  When nothing more
 * follows, one more variable must be iterated (summed): the search below
 * picks the set of summed variables with the smallest product of extents
 * (ties: the first in order of increasing extent), so that, e.g., the
 * gradient of a convolution with respect to its input sums over the k
 * window taps (with a padding guard) rather than over all output pixels.
 * A relation left over with all of its variables known becomes a guard
 * that checks it.  Every relation is thus enforced exactly once, so each
 * consistent assignment of the variables is visited exactly once. */
#include "codegen/plan_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- mask-level propagation ---------------------------------------------- */

/* What relation R can derive when the variables in K are known: returns the
 * mask of variables it would compute (0 when none). */
static uint64_t rel_derives(const pl_rel *r, uint64_t k)
{
    uint64_t b0 = 1ull << r->v[0], b1 = 1ull << r->v[1], b2 = r->nv > 2 ? 1ull << r->v[2] : 0;
    bool k0 = k & b0, k1 = k & b1, k2 = r->nv > 2 && (k & b2);
    switch (r->kind) {
    case PL_REL_RESHAPE:
        if (k0) return (k1 ? 0 : b1) | (k2 ? 0 : b2);
        return k1 && k2 ? b0 : 0;
    case PL_REL_SHIFT:
    case PL_REL_REVERSE:
    case PL_REL_STRIDE:
    case PL_REL_EQUAL:
        if (k0 && !k1) return b1;
        if (k1 && !k0) return b0;
        return 0;
    case PL_REL_UNFOLD:
        if (k0 + k1 + k2 != 2) return 0;
        return !k0 ? b0 : !k1 ? b1 : b2;
    }
    return 0;
}

/* Fills PB's table of rel_derives (pb->dv, pb->derives) and pb->var_rels. */
void pl_problem_derivations(pl_problem *pb)
{
    memset(pb->var_rels, 0, sizeof pb->var_rels);
    for (int i = 0; i < pb->nrels; i++) {
        for (uint64_t m = pb->rels[i].vars; m; m &= m - 1) pb->var_rels[__builtin_ctzll(m)] |= 1ull << i;
        const pl_rel *r = &pb->rels[i];
        for (int j = 0; j < 3; j++) pb->dv[i][j] = (uint8_t)r->v[j < r->nv ? j : 0];
        for (int idx = 0; idx < 8; idx++) {
            uint64_t k = 0;
            for (int j = 0; j < 3; j++)
                if (idx >> j & 1) k |= 1ull << pb->dv[i][j];
            /* a two-variable relation reads bit 2 as bit 0: a mismatch never occurs */
            pb->derives[i][idx] = rel_derives(r, k);
        }
    }
}

/* The relations of PB over some variable of VARS. */
static uint64_t rels_over(const pl_problem *pb, uint64_t vars)
{
    uint64_t m = 0;
    for (; vars; vars &= vars - 1) m |= pb->var_rels[__builtin_ctzll(vars)];
    return m;
}

/* Everything the relations RELS derive from the known variables K, where
 * K less FRESH was already closed under them (nothing more followed): only
 * the relations over a variable that became known can derive anything new,
 * so each pass looks at those alone.  The known set it returns does not
 * depend on the order of the passes (each rule only needs some variables
 * known, and knowing more never stops a rule), which is all the search of
 * summed variables reads. */
static uint64_t propagate_mask(const pl_problem *pb, uint64_t rels, uint64_t k, uint64_t fresh)
{
    while (fresh) {
        uint64_t todo = rels & rels_over(pb, fresh);
        fresh = 0;
        for (; todo; todo &= todo - 1) {
            int i = __builtin_ctzll(todo);
            if (!(pb->rels[i].vars & ~k)) continue;
            const uint8_t *dv = pb->dv[i];
            uint64_t d = pb->derives[i][(k >> dv[0] & 1) | (k >> dv[1] & 1) << 1 | (k >> dv[2] & 1) << 2];
            fresh |= d & ~k;
            k |= d;
        }
    }
    return k;
}

typedef struct choose {
    const pl_problem *pb;
    uint64_t vs, rels;
    uint64_t forced;    /* ranks of the variables no relation of the stage is over: summed in every choice */
    double best;
    int best_seq[PL_MAX_VARS], best_n;
    int seq[PL_MAX_VARS];
    long budget;
} choose;

/* The variables of MASK as a mask of their ranks (PB's order). */
static uint64_t rank_mask(const pl_problem *pb, uint64_t mask)
{
    uint64_t m = 0;
    for (; mask; mask &= mask - 1) m |= 1ull << pb->rank[__builtin_ctzll(mask)];
    return m;
}

static void dfs(choose *c, uint64_t k, int n, int min_rank, double prod)
{
    if (prod >= c->best) return;
    uint64_t unknown = c->vs & ~k;
    if (!unknown) {
        c->best = prod;
        c->best_n = n;
        memcpy(c->best_seq, c->seq, (size_t)n * sizeof *c->seq);
        return;
    }
    /* the unknown variables from rank min_rank on, by rank: a node looks
     * at those alone rather than at every variable */
    uint64_t um = rank_mask(c->pb, unknown);
    uint64_t todo = min_rank < 64 ? um & ~0ull << min_rank : 0;
    /* a forced variable is known only once chosen, and choices go up in
     * rank: none may pass the first forced one still unknown (none left
     * below min_rank, or nothing here completes) */
    uint64_t forced = um & c->forced;
    if (forced) {
        int r0 = __builtin_ctzll(forced);
        if (r0 < min_rank) return;
        todo &= r0 < 63 ? (2ull << r0) - 1 : ~0ull;
    }
    for (; todo; todo &= todo - 1) {
        int r = __builtin_ctzll(todo), v = c->pb->order[r];
        double ext = c->pb->order_ext[r];
        if (c->best_n >= 0 && prod * ext >= c->best) {
            /* this candidate and every later one (none of smaller extent)
             * would return at once: only the budget they take is left */
            long m = __builtin_popcountll(todo);
            c->budget = c->budget >= m ? c->budget - m : (c->budget < 0 ? c->budget : 0) - 1;
            return;
        }
        if (c->budget-- <= 0 && c->best_n >= 0) return;
        uint64_t k2 = propagate_mask(c->pb, c->rels, k | (1ull << v), 1ull << v);
        c->seq[n] = v;
        dfs(c, k2, n + 1, r + 1, prod * ext);
    }
}

/* ---- expressions --------------------------------------------------------- */

typedef struct builder {
    const pl_problem *pb;
    pl_solution *s;
} builder;

static int push(pl_solution *s, syno_pexpr_op op, int x, int y, int64_t c)
{
    if (s->nexprs == s->capexprs) {
        s->capexprs = s->capexprs ? 2 * s->capexprs : 32;
        s->exprs = syno_xrealloc(s->exprs, (size_t)s->capexprs * sizeof *s->exprs);
    }
    syno_pexpr *e = &s->exprs[s->nexprs];
    e->op = op;
    e->x = x;
    e->y = y;
    e->c = c;
    return s->nexprs++;
}

/* Interval [lo, hi] of expression E given the iterator extents. */
static void interval(const builder *b, int e, int64_t *lo, int64_t *hi)
{
    const syno_pexpr *x = &b->s->exprs[e];
    int64_t a0, a1, b0, b1;
    switch (x->op) {
    case SYNO_PX_ITER:
        *lo = 0;
        *hi = b->pb->vars[b->s->iter_var[x->x]].ext - 1;
        return;
    case SYNO_PX_CONST:
        *lo = *hi = x->c;
        return;
    case SYNO_PX_ADD:
        interval(b, x->x, &a0, &a1);
        interval(b, x->y, &b0, &b1);
        *lo = a0 + b0;
        *hi = a1 + b1;
        return;
    case SYNO_PX_MUL:
        interval(b, x->x, &a0, &a1);
        *lo = x->c >= 0 ? a0 * x->c : a1 * x->c;
        *hi = x->c >= 0 ? a1 * x->c : a0 * x->c;
        return;
    case SYNO_PX_DIV:
        interval(b, x->x, &a0, &a1);
        *lo = a0 >= 0 ? a0 / x->c : -((-a0 + x->c - 1) / x->c);
        *hi = a1 >= 0 ? a1 / x->c : -((-a1 + x->c - 1) / x->c);
        return;
    case SYNO_PX_MOD:
        interval(b, x->x, &a0, &a1);
        if (a0 >= 0 && a1 < x->c) *lo = a0, *hi = a1;
        else *lo = 0, *hi = x->c - 1;
        return;
    }
}

static int e_const(builder *b, int64_t c)
{
    return push(b->s, SYNO_PX_CONST, -1, -1, c);
}

static bool is_const(const builder *b, int e, int64_t *c)
{
    if (b->s->exprs[e].op != SYNO_PX_CONST) return false;
    *c = b->s->exprs[e].c;
    return true;
}

static int e_add(builder *b, int x, int y)
{
    int64_t cx, cy;
    bool kx = is_const(b, x, &cx), ky = is_const(b, y, &cy);
    if (kx && ky) return e_const(b, cx + cy);
    if (kx && cx == 0) return y;
    if (ky && cy == 0) return x;
    if (kx) return e_add(b, y, x); /* constants go right */
    const syno_pexpr *ex = &b->s->exprs[x];
    int64_t c2;
    if (ky && ex->op == SYNO_PX_ADD && is_const(b, ex->y, &c2)) return e_add(b, ex->x, e_const(b, cy + c2));
    return push(b->s, SYNO_PX_ADD, x, y, 0);
}

static int e_mul(builder *b, int x, int64_t c)
{
    int64_t cx;
    if (is_const(b, x, &cx)) return e_const(b, cx * c);
    if (c == 0) return e_const(b, 0);
    if (c == 1) return x;
    return push(b->s, SYNO_PX_MUL, x, -1, c);
}

static int e_div(builder *b, int x, int64_t c)
{
    int64_t lo, hi;
    if (c == 1) return x;
    interval(b, x, &lo, &hi);
    if (lo >= 0 && hi < c) return e_const(b, 0);
    int64_t cx;
    if (is_const(b, x, &cx)) return e_const(b, cx >= 0 ? cx / c : -((-cx + c - 1) / c));
    return push(b->s, SYNO_PX_DIV, x, -1, c);
}

static int e_mod(builder *b, int x, int64_t c)
{
    int64_t lo, hi;
    if (c == 1) return e_const(b, 0);
    interval(b, x, &lo, &hi);
    if (lo >= 0 && hi < c) return x;
    return push(b->s, SYNO_PX_MOD, x, -1, c);
}

static int e_sub(builder *b, int x, int y)
{
    return e_add(b, x, e_mul(b, y, -1));
}

static void guard(builder *b, syno_pguard_kind kind, int e, int64_t lo, int64_t hi)
{
    int64_t a0, a1;
    interval(b, e, &a0, &a1);
    if (kind == SYNO_PG_RANGE && a0 >= lo && a1 < hi) return; /* always holds */
    if (kind == SYNO_PG_MULTIPLE && a0 == a1 && a0 % hi == 0) return;
    pl_solution *s = b->s;
    if (s->nguards == s->capguards) {
        s->capguards = s->capguards ? 2 * s->capguards : 8;
        s->guards = syno_xrealloc(s->guards, (size_t)s->capguards * sizeof *s->guards);
    }
    syno_plan_guard *g = &s->guards[s->nguards++];
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->expr = e;
    g->lo = lo;
    g->hi = hi;
    g->operand = -1;
}

/* Guard "e == 0". */
static void guard_zero(builder *b, int e)
{
    guard(b, SYNO_PG_RANGE, e, 0, 1);
}

/* Applies relation R with the expressions known in s->var_expr; derives
 * what rel_derives says, or, when everything is known, adds the check. */
static void apply(builder *b, const pl_rel *r)
{
    int *ve = b->s->var_expr;
    int x = ve[r->v[0]], y = ve[r->v[1]], z = r->nv > 2 ? ve[r->v[2]] : -1;
    int64_t n0 = b->pb->vars[r->v[0]].ext, n1 = b->pb->vars[r->v[1]].ext;
    int64_t n2 = r->nv > 2 ? b->pb->vars[r->v[2]].ext : 0;
    switch (r->kind) {
    case PL_REL_RESHAPE: /* x = y * n2 + z */
        if (x >= 0 && y >= 0 && z >= 0) {
            guard_zero(b, e_sub(b, x, e_add(b, e_mul(b, y, n2), z)));
        } else if (x >= 0) {
            if (y < 0 && z < 0) {
                ve[r->v[1]] = e_div(b, x, n2);
                ve[r->v[2]] = e_mod(b, x, n2);
            } else if (y >= 0) {
                int e = e_sub(b, x, e_mul(b, y, n2));
                guard(b, SYNO_PG_RANGE, e, 0, n2);
                ve[r->v[2]] = e;
            } else {
                ve[r->v[1]] = e_div(b, x, n2);
                guard_zero(b, e_sub(b, e_mod(b, x, n2), z));
            }
        } else {
            SYNO_ASSERT(y >= 0 && z >= 0);
            ve[r->v[0]] = e_add(b, e_mul(b, y, n2), z);
        }
        break;
    case PL_REL_SHIFT: /* x = (y + p) mod n0 */
        if (x >= 0 && y >= 0) guard_zero(b, e_sub(b, e_mod(b, e_add(b, y, e_const(b, r->p)), n0), x));
        else if (y >= 0) ve[r->v[0]] = e_mod(b, e_add(b, y, e_const(b, r->p)), n0);
        else ve[r->v[1]] = e_mod(b, e_add(b, x, e_const(b, n0 - r->p)), n0);
        break;
    case PL_REL_REVERSE: /* x = n0 - 1 - y */
        if (x >= 0 && y >= 0) guard_zero(b, e_add(b, e_add(b, x, y), e_const(b, -(n0 - 1))));
        else if (y >= 0) ve[r->v[0]] = e_add(b, e_mul(b, y, -1), e_const(b, n0 - 1));
        else ve[r->v[1]] = e_add(b, e_mul(b, x, -1), e_const(b, n0 - 1));
        break;
    case PL_REL_STRIDE: /* x = y * p */
        if (x >= 0 && y >= 0) guard_zero(b, e_sub(b, x, e_mul(b, y, r->p)));
        else if (y >= 0) ve[r->v[0]] = e_mul(b, y, r->p);
        else {
            guard(b, SYNO_PG_MULTIPLE, x, 0, r->p);
            ve[r->v[1]] = e_div(b, x, r->p);
        }
        break;
    case PL_REL_EQUAL: /* x = y */
        if (x >= 0 && y >= 0) guard_zero(b, e_sub(b, x, y));
        else if (y >= 0) ve[r->v[0]] = y;
        else ve[r->v[1]] = x;
        break;
    case PL_REL_UNFOLD: /* x = y + z - p, 0 <= x < n0 */
        if (x >= 0 && y >= 0 && z >= 0) {
            guard_zero(b, e_sub(b, x, e_add(b, e_add(b, y, z), e_const(b, -r->p))));
        } else if (x < 0) {
            int e = e_add(b, e_add(b, y, z), e_const(b, -r->p));
            guard(b, SYNO_PG_RANGE, e, 0, n0);
            ve[r->v[0]] = e;
        } else if (y < 0) {
            int e = e_add(b, e_sub(b, x, z), e_const(b, r->p));
            guard(b, SYNO_PG_RANGE, e, 0, n1);
            ve[r->v[1]] = e;
        } else {
            int e = e_add(b, e_sub(b, x, y), e_const(b, r->p));
            guard(b, SYNO_PG_RANGE, e, 0, n2);
            ve[r->v[2]] = e;
        }
        break;
    }
}

static uint64_t known_mask(const pl_solution *s, const pl_problem *pb)
{
    uint64_t k = 0;
    for (int v = 0; v < pb->nvars; v++)
        if (s->var_expr[v] >= 0) k |= 1ull << v;
    return k;
}

static void propagate_exprs(builder *b, uint64_t rels, uint64_t *used)
{
    bool changed = true;
    while (changed) {
        changed = false;
        uint64_t k = known_mask(b->s, b->pb);
        for (int i = 0; i < b->pb->nrels; i++) {
            if (!(rels & (1ull << i)) || (*used & (1ull << i))) continue;
            uint64_t d = rel_derives(&b->pb->rels[i], k);
            if (!d) continue;
            apply(b, &b->pb->rels[i]);
            *used |= 1ull << i;
            k |= d;
            changed = true;
        }
    }
}

static void add_iter(builder *b, int v)
{
    pl_solution *s = b->s;
    SYNO_ASSERT(s->niters < PL_MAX_VARS);
    s->iter_var[s->niters] = v;
    s->var_expr[v] = push(s, SYNO_PX_ITER, s->niters, -1, 0);
    s->niters++;
}

/* ---- entry points -------------------------------------------------------- */

/* Prepares an empty solution. */
void pl_solution_init(pl_solution *s)
{
    memset(s, 0, sizeof *s);
}

/* Frees the arrays of S. */
void pl_solution_fini(pl_solution *s)
{
    free(s->exprs);
    free(s->guards);
    memset(s, 0, sizeof *s);
}

/* Solves the stage holding the variables VS (a mask over PB's variables)
 * and the relations RELS (a mask over PB's relations), whose output axes
 * are the NOPEN variables OPEN (in that order; all in VS).  Fills S with
 * the iterators (OPEN, then the summed variables), their product in
 * S->points and, when WANT_EXPRS, the expression of every variable of VS
 * (S->var_expr) and the guards (else S->var_expr is left as it was).  S is
 * reset first.  Cannot fail: any
 * variable can be iterated. */
void pl_solve(const pl_problem *pb, uint64_t vs, const int *open, int nopen, uint64_t rels, pl_solution *s,
                     bool want_exprs)
{
    s->niters = s->nout = 0;
    s->nexprs = s->nguards = 0;
    uint64_t k = 0;
    double prod = 1;
    for (int i = 0; i < nopen; i++) {
        k |= 1ull << open[i];
        prod *= (double)pb->vars[open[i]].ext;
    }
    k = propagate_mask(pb, rels, k, k);
    choose c; /* not cleared: dfs writes seq and best_seq before reading them */
    c.pb = pb;
    c.vs = vs;
    c.rels = rels;
    c.best = 1e300;
    c.best_n = -1;
    c.budget = 20000;
    c.forced = rank_mask(pb, vs & ~k & ~pl_rels_vars(pb, rels));
    dfs(&c, k, 0, 0, 1.0);
    SYNO_ASSERT(c.best_n >= 0);
    s->points = prod * c.best;
    s->nout = nopen;
    if (!want_exprs) {
        s->niters = nopen + c.best_n;
        return;
    }
    for (int v = 0; v < PL_MAX_VARS; v++) s->var_expr[v] = -1;
    builder b = {pb, s};
    uint64_t used = 0;
    for (int i = 0; i < nopen; i++) add_iter(&b, open[i]);
    propagate_exprs(&b, rels, &used);
    for (int i = 0; i < c.best_n; i++) {
        add_iter(&b, c.best_seq[i]);
        propagate_exprs(&b, rels, &used);
    }
    SYNO_ASSERT((known_mask(s, pb) & vs) == vs);
    for (int i = 0; i < pb->nrels; i++)
        if ((rels & (1ull << i)) && !(used & (1ull << i))) apply(&b, &pb->rels[i]);
}
