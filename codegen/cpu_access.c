/* cpu_access.c - reading a stage operand: offsets, guards and gathers.
 *
 * An operand's element for an iterator assignment is at
 * Σ_axis stride_axis · index_axis(it) in its buffer, and is read only when
 * every guard the operand is responsible for holds (else it is 0).  The
 * executor reads operands in "segments": runs along one iterator v with
 * everything else fixed.  When v is not under a floor division or modulo,
 * the offset and every guard are affine along the run, so a segment is one
 * offset, one step and one valid interval (computed from the guards):
 * zeros, then a strided copy (memcpy for unit steps), then zeros.  Fully
 * affine operands (convolutions, matrix products) get their start offsets
 * from dot products.  The others are affine in every iterator that is not
 * under a division (the divisions read only the "nonlinear" iterators), so
 * their offset is a table over the values of the nonlinear iterators plus
 * an affine part in the rest, and so is every guard: a segment looks its
 * start up, and a segment along a nonlinear iterator reads one table entry
 * per element instead of evaluating the stage's expressions.  Only when the
 * table would be too large (over TABLE_MAX entries) are the expressions
 * evaluated, once per segment or per element. */
/* The inner loops here (copies, zero fills, multiply-accumulate over
 * tiles) have run-time trip counts, which gcc's -O2 cost model leaves
 * scalar; the dynamic model vectorises them. */
/* The zero fills at the borders of a row (one or two elements for a
 * padded window) stay inline stores rather than becoming memset calls. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic", "no-tree-loop-distribute-patterns")
#endif

#include "codegen/cpu_int.h"

#include <stdlib.h>
#include <string.h>

#define FAST_GUARDS 8        /* guards the fast gather handles */
#define TABLE_MAX (1 << 16)  /* entries of an index table */
#define TABLE_NONE INT64_MIN /* an index-table offset where a guard fails */

static uint64_t nonlin_iters(const syno_plan_stage *s, int e, bool under)
{
    const syno_pexpr *x = &s->exprs[e];
    switch (x->op) {
    case SYNO_PX_ITER: return under ? 1ull << x->x : 0;
    case SYNO_PX_CONST: return 0;
    case SYNO_PX_ADD: return nonlin_iters(s, x->x, under) | nonlin_iters(s, x->y, under);
    case SYNO_PX_MUL: return nonlin_iters(s, x->x, under);
    default: return nonlin_iters(s, x->x, true);
    }
}

/* d(e)/d(it[i]) where i is not under a DIV or MOD in E. */
static int64_t deriv(const syno_plan_stage *s, int e, int i)
{
    const syno_pexpr *x = &s->exprs[e];
    switch (x->op) {
    case SYNO_PX_ITER: return x->x == i;
    case SYNO_PX_CONST: return 0;
    case SYNO_PX_ADD: return deriv(s, x->x, i) + deriv(s, x->y, i);
    case SYNO_PX_MUL: return x->c * deriv(s, x->x, i);
    default: return 0;
    }
}

static bool guard_ok(const cpu_guard *g, int64_t v);

/* The index tables of A (see cpu_int.h): every value of the nonlinear
 * iterators, the others at 0.  Exact because an expression is the sum of
 * an affine part in the iterators outside divisions and a function of the
 * ones inside. */
static void build_tables(const syno_plan_stage *s, cpu_access *a)
{
    int n = s->niters;
    int64_t size = 1;
    for (int i = n - 1; i >= 0; i--) {
        if (!(a->nonlin & (1ull << i))) continue;
        if (size > TABLE_MAX / s->iters[i].extent) return;
        size *= s->iters[i].extent;
    }
    a->tstride = syno_xcalloc((size_t)n + 1, sizeof *a->tstride);
    int64_t st = 1;
    for (int i = n - 1; i >= 0; i--) {
        if (!(a->nonlin & (1ull << i))) continue;
        a->tstride[i] = st;
        st *= s->iters[i].extent;
    }
    a->toff = syno_xmalloc((size_t)size * sizeof *a->toff);
    a->tguard = syno_xcalloc((size_t)a->nguards + 1, sizeof *a->tguard);
    /* a guard that reads only tabulated iterators is folded into the
     * offsets (TABLE_NONE where it fails); the others get a table */
    for (int g = 0; g < a->nguards; g++) {
        bool folded = true;
        for (int i = 0; i < n; i++) folded &= a->tstride[i] || a->gstep[g][i] == 0;
        if (!folded) a->tguard[g] = syno_xmalloc((size_t)size * sizeof **a->tguard);
    }
    int64_t *it = syno_xcalloc((size_t)n + 1, sizeof *it), *val = syno_xmalloc(((size_t)s->nexprs + 1) * sizeof *val);
    for (int64_t t = 0; t < size; t++) {
        for (int i = 0; i < n; i++)
            if (a->tstride[i]) it[i] = t / a->tstride[i] % s->iters[i].extent;
        syno_plan_stage_eval(s, it, val);
        int64_t off = 0;
        for (int ax = 0; ax < a->rank; ax++) off += a->strides[ax] * val[a->index[ax]];
        a->toff[t] = off;
        for (int g = 0; g < a->nguards; g++) {
            if (a->tguard[g]) a->tguard[g][t] = val[a->guards[g].expr];
            else if (!guard_ok(&a->guards[g], val[a->guards[g].expr])) a->toff[t] = TABLE_NONE;
        }
    }
    free(it);
    free(val);
}

/* Compiles operand OP of stage S of plan P (OP = -1: the 0/1 mask of the
 * guards no operand reads all iterators of) with the guards GUARDS[NG]
 * (indices into S->guards) into A. */
void cpu_access_init(cpu_access *a, const syno_plan *p, const syno_plan_stage *s, int op, const int *guards, int ng)
{
    memset(a, 0, sizeof *a);
    int n = s->niters;
    a->coef = syno_xcalloc((size_t)n + 1, sizeof *a->coef);
    a->dstep = syno_xcalloc((size_t)n + 1, sizeof *a->dstep);
    int64_t *tmp = syno_xcalloc((size_t)n + 1, sizeof *tmp);
    a->affine = true;
    if (op >= 0) {
        const syno_plan_operand *o = &s->ops[op];
        const syno_plan_buf *b = &p->bufs[o->buf];
        a->buf = o->buf;
        a->rank = b->rank;
        a->index = o->index;
        a->iters = o->iters;
        a->strides = syno_xcalloc((size_t)b->rank + 1, sizeof *a->strides);
        int64_t st = 1;
        for (int ax = b->rank - 1; ax >= 0; ax--) {
            a->strides[ax] = st;
            st *= b->shape[ax];
        }
        for (int ax = 0; ax < b->rank; ax++) {
            int64_t c0;
            if (syno_plan_expr_affine(s, o->index[ax], tmp, &c0)) {
                a->c0 += a->strides[ax] * c0;
                for (int i = 0; i < n; i++) a->coef[i] += a->strides[ax] * tmp[i];
            } else {
                a->affine = false;
            }
            a->nonlin |= nonlin_iters(s, o->index[ax], false);
        }
    } else {
        a->buf = -1;
    }
    a->nguards = ng;
    a->guards = syno_xcalloc((size_t)ng + 1, sizeof *a->guards);
    a->gstep = syno_xcalloc((size_t)ng + 1, sizeof *a->gstep);
    for (int g = 0; g < ng; g++) {
        const syno_plan_guard *pg = &s->guards[guards[g]];
        cpu_guard *cg = &a->guards[g];
        cg->kind = pg->kind;
        cg->expr = pg->expr;
        cg->lo = pg->lo;
        cg->hi = pg->hi;
        cg->coef = syno_xcalloc((size_t)n + 1, sizeof *cg->coef);
        cg->affine = syno_plan_expr_affine(s, pg->expr, cg->coef, &cg->g0);
        a->nonlin |= nonlin_iters(s, pg->expr, false);
        if (op < 0) a->iters |= pg->iters;
        if (!pg->iters) { /* constant: decide now */
            int64_t v = syno_plan_expr_eval(s, pg->expr, NULL);
            bool holds = pg->kind == SYNO_PG_RANGE ? v >= pg->lo && v < pg->hi : syno_euclid_mod(v, pg->hi) == 0;
            a->zero_always |= !holds;
        }
    }
    for (int i = 0; i < n; i++) {
        if (a->nonlin & (1ull << i)) continue;
        for (int ax = 0; ax < a->rank; ax++) a->dstep[i] += a->strides[ax] * deriv(s, a->index[ax], i);
    }
    for (int g = 0; g < ng; g++) {
        a->gstep[g] = syno_xcalloc((size_t)n + 1, sizeof **a->gstep);
        for (int i = 0; i < n; i++)
            if (!(a->nonlin & (1ull << i))) a->gstep[g][i] = deriv(s, a->guards[g].expr, i);
    }
    for (int g = 0; g < ng; g++) a->affine &= a->guards[g].affine;
    a->fast = a->affine && !a->zero_always && ng <= FAST_GUARDS;
    for (int g = 0; g < ng; g++) a->fast &= a->guards[g].kind == SYNO_PG_RANGE;
    free(tmp);
    if (a->nonlin && !a->zero_always) build_tables(s, a);
}

/* Frees what cpu_access_init allocated. */
void cpu_access_fini(cpu_access *a)
{
    for (int g = 0; g < a->nguards; g++) {
        free(a->guards[g].coef);
        free(a->gstep[g]);
        if (a->tguard) free(a->tguard[g]);
    }
    free(a->toff);
    free(a->tguard);
    free(a->tstride);
    free(a->guards);
    free(a->gstep);
    free(a->strides);
    free(a->coef);
    free(a->dstep);
    memset(a, 0, sizeof *a);
}

/* Sets the iterators of group G in IT from the flat index FLAT. */
void cpu_group_set(const cpu_stage *st, const cpu_group *g, int64_t flat, int64_t *it)
{
    for (int j = g->n - 1; j >= 0; j--) {
        int64_t e = st->ext[g->it[j]];
        it[g->it[j]] = flat % e;
        flat /= e;
    }
}

/* Advances the iterators of group G in IT to the next flat index (no
 * division: the gathers step through rows this way). */
static inline void group_next(const cpu_stage *st, const cpu_group *g, int64_t *it)
{
    for (int j = g->n - 1; j >= 0; j--) {
        if (++it[g->it[j]] < st->ext[g->it[j]] || j == 0) return;
        it[g->it[j]] = 0;
    }
}

/* Copies the values of group G's iterators from SRC to DST. */
static inline void group_copy(const cpu_group *g, const int64_t *src, int64_t *dst)
{
    for (int j = 0; j < g->n; j++) dst[g->it[j]] = src[g->it[j]];
}

static bool guard_ok(const cpu_guard *g, int64_t v)
{
    return g->kind == SYNO_PG_RANGE ? v >= g->lo && v < g->hi : syno_euclid_mod(v, g->hi) == 0;
}

/* One element, the slow way. */
static float element(const cpu_stage *st, const cpu_access *a, const float *base, const int64_t *it, int64_t *val)
{
    syno_plan_stage_eval(st->ps, it, val);
    for (int g = 0; g < a->nguards; g++)
        if (!guard_ok(&a->guards[g], val[a->guards[g].expr])) return 0.0f;
    if (a->buf < 0) return 1.0f;
    int64_t off = 0;
    for (int ax = 0; ax < a->rank; ax++) off += a->strides[ax] * val[a->index[ax]];
    return base[off];
}

/* The table index and the affine parts of the offset (*OFF) and of every
 * guard (GL) of tabulated operand A at IT. */
static int64_t table_start(const cpu_stage *st, const cpu_access *a, const int64_t *it, int64_t *off, int64_t *gl)
{
    int64_t t = 0, o = 0;
    for (int g = 0; g < a->nguards; g++) gl[g] = 0;
    for (int i = 0; i < st->niters; i++) {
        if (a->tstride[i]) {
            t += a->tstride[i] * it[i];
            continue;
        }
        o += a->dstep[i] * it[i];
        for (int g = 0; g < a->nguards; g++) gl[g] += a->gstep[g][i] * it[i];
    }
    *off = o;
    return t;
}

/* Fills D[0, len) with tabulated operand A along iterator V from IT, one
 * table entry (and a check of the guards that are not folded into it) per
 * element. */
static void segment_table(const cpu_stage *st, const cpu_access *a, const float *base, const int64_t *it, int v,
                          int64_t len, float *restrict d)
{
    int ng = a->nguards, nl = 0;
    int64_t gv[8], *gl = ng <= 8 ? gv : syno_xmalloc((size_t)ng * sizeof *gl), off;
    int64_t t0 = table_start(st, a, it, &off, gl), ts = a->tstride[v], os = a->dstep[v];
    for (int g = 0; g < ng; g++) nl += a->tguard[g] != NULL;
    const int64_t *restrict toff = a->toff;
    if (nl == 0 && a->buf >= 0) {
        for (int64_t k = 0; k < len; k++) {
            int64_t o = toff[t0 + k * ts];
            d[k] = o == TABLE_NONE ? 0.0f : base[o + off + k * os];
        }
    } else {
        for (int64_t k = 0; k < len; k++) {
            int64_t t = t0 + k * ts;
            bool ok = toff[t] != TABLE_NONE;
            for (int g = 0; g < ng && ok; g++)
                if (a->tguard[g]) ok = guard_ok(&a->guards[g], a->tguard[g][t] + gl[g] + k * a->gstep[g][v]);
            d[k] = !ok ? 0.0f : a->buf < 0 ? 1.0f : base[toff[t] + off + k * os];
        }
    }
    if (gl != gv) free(gl);
}

/* Fills D[0, len) with the operand along iterator V from its current value
 * in IT (restored on return). */
static void segment(const cpu_stage *st, const cpu_access *a, const float *base, int64_t *it, int v, int64_t len,
                    float *restrict d, int64_t *val)
{
    if (a->zero_always) {
        memset(d, 0, (size_t)len * sizeof *d);
        return;
    }
    int64_t tv = it[v];
    if (a->toff && (a->nonlin & (1ull << v))) {
        segment_table(st, a, base, it, v, len, d);
        return;
    }
    if (a->nonlin & (1ull << v)) {
        for (int64_t t = 0; t < len; t++) {
            it[v] = tv + t;
            d[t] = element(st, a, base, it, val);
        }
        it[v] = tv;
        return;
    }
    int n = st->niters;
    int64_t off = 0;
    int64_t gv[8], *gvals = a->nguards <= 8 ? gv : syno_xmalloc((size_t)a->nguards * sizeof *gvals);
    if (a->affine) {
        off = a->c0;
        for (int i = 0; i < n; i++) off += a->coef[i] * it[i];
        for (int g = 0; g < a->nguards; g++) {
            int64_t x = a->guards[g].g0;
            for (int i = 0; i < n; i++) x += a->guards[g].coef[i] * it[i];
            gvals[g] = x;
        }
    } else if (a->toff) {
        int64_t t = table_start(st, a, it, &off, gvals);
        if (a->toff[t] == TABLE_NONE) {
            if (gvals != gv) free(gvals);
            memset(d, 0, (size_t)len * sizeof *d);
            return;
        }
        off += a->toff[t];
        for (int g = 0; g < a->nguards; g++) {
            const cpu_guard *cg = &a->guards[g];
            if (a->tguard[g]) gvals[g] += a->tguard[g][t];
            else gvals[g] = cg->kind == SYNO_PG_RANGE ? cg->lo : 0; /* folded: holds here */
        }
    } else {
        syno_plan_stage_eval(st->ps, it, val);
        for (int ax = 0; ax < a->rank; ax++) off += a->strides[ax] * val[a->index[ax]];
        for (int g = 0; g < a->nguards; g++) gvals[g] = val[a->guards[g].expr];
    }
    /* valid interval [lo, hi) of t */
    int64_t lo = 0, hi = len;
    bool slow = false;
    for (int g = 0; g < a->nguards && lo < hi; g++) {
        const cpu_guard *cg = &a->guards[g];
        int64_t x = gvals[g], dx = a->gstep[g][v];
        if (cg->kind == SYNO_PG_MULTIPLE) {
            if (dx == 0) {
                if (syno_euclid_mod(x, cg->hi) != 0) hi = lo;
            } else {
                slow = true;
            }
            continue;
        }
        if (dx == 0) {
            if (x < cg->lo || x >= cg->hi) hi = lo;
        } else if (dx > 0) {
            int64_t a0 = syno_ceil_div(cg->lo - x, dx), a1 = syno_ceil_div(cg->hi - x, dx);
            if (a0 > lo) lo = a0;
            if (a1 < hi) hi = a1;
        } else {
            int64_t m = -dx;
            int64_t a1 = syno_floor_div(x - cg->lo, m) + 1; /* x - m t >= lo  <=>  t <= (x - lo) / m */
            int64_t a0 = syno_floor_div(x - cg->hi, m) + 1; /* x - m t < hi   <=>  t > (x - hi) / m */
            if (a0 > lo) lo = a0;
            if (a1 < hi) hi = a1;
        }
    }
    if (gvals != gv) free(gvals);
    if (slow && a->toff) {
        segment_table(st, a, base, it, v, len, d);
        return;
    }
    if (slow) {
        for (int64_t t = 0; t < len; t++) {
            it[v] = tv + t;
            d[t] = element(st, a, base, it, val);
        }
        it[v] = tv;
        return;
    }
    if (hi <= lo) {
        memset(d, 0, (size_t)len * sizeof *d);
        return;
    }
    if (lo > 0) memset(d, 0, (size_t)lo * sizeof *d);
    if (hi < len) memset(d + hi, 0, (size_t)(len - hi) * sizeof *d);
    if (a->buf < 0) {
        for (int64_t t = lo; t < hi; t++) d[t] = 1.0f;
        return;
    }
    int64_t step = a->dstep[v];
    const float *src = base + off;
    if (step == 1) {
        memcpy(d + lo, src + lo, (size_t)(hi - lo) * sizeof *d);
    } else if (step == 0) {
        float x = src[0];
        for (int64_t t = lo; t < hi; t++) d[t] = x;
    } else {
        for (int64_t t = lo; t < hi; t++) d[t] = src[t * step];
    }
}

/* Narrows [*lo, *hi) to the t with glo <= x + d*t < ghi. */
static inline __attribute__((always_inline)) void narrow(int64_t x, int64_t d, int64_t glo, int64_t ghi, int64_t *lo, int64_t *hi)
{
    if (d == 0) {
        if (x < glo || x >= ghi) *hi = *lo;
    } else if (d == 1) {
        if (glo - x > *lo) *lo = glo - x;
        if (ghi - x < *hi) *hi = ghi - x;
    } else if (d == -1) {
        if (x - ghi + 1 > *lo) *lo = x - ghi + 1;
        if (x - glo + 1 < *hi) *hi = x - glo + 1;
    } else if (d > 0) {
        int64_t a0 = syno_ceil_div(glo - x, d), a1 = syno_ceil_div(ghi - x, d);
        if (a0 > *lo) *lo = a0;
        if (a1 < *hi) *hi = a1;
    } else {
        int64_t a1 = syno_floor_div(x - glo, -d) + 1, a0 = syno_floor_div(x - ghi, -d) + 1;
        if (a0 > *lo) *lo = a0;
        if (a1 < *hi) *hi = a1;
    }
}

/* Carries the column iterators of COLS from position J down (an iterator
 * at its extent goes back to 0, the next one out steps), keeping the
 * offset *OFF and the guard values G of affine operand A in step. */
static inline void carry(const cpu_stage *st, const cpu_access *a, const cpu_group *cols, int j, int64_t *it,
                         int64_t *off, int64_t *g)
{
    for (; j > 0 && it[cols->it[j]] == st->ext[cols->it[j]]; j--) {
        int i = cols->it[j], o = cols->it[j - 1];
        int64_t e = st->ext[i];
        it[i] = 0;
        it[o]++;
        *off += a->coef[o] - a->coef[i] * e;
        for (int k = 0; k < a->nguards; k++) g[k] += a->guards[k].coef[o] - a->guards[k].coef[i] * e;
    }
}

/* The gather of a fully affine operand with RANGE guards only: offsets and
 * guard values are sums of per-iterator terms, computed once for the fixed
 * iterators, once per row and once per segment, and the valid interval of
 * a segment needs no division for the usual unit steps. */
static void gather_affine(const cpu_stage *st, const cpu_access *a, const float *base, int64_t *it,
                          const cpu_group *rows, int64_t r0, int64_t r1, const cpu_group *cols, int64_t c0, int64_t c1,
                          float *dst, int64_t ld)
{
    int n = st->niters, ng = a->nguards, v = cols->it[cols->n - 1];
    uint64_t in_rows = 0, in_cols = 0;
    for (int j = 0; j < rows->n; j++) in_rows |= 1ull << rows->it[j];
    for (int j = 0; j < cols->n; j++) in_cols |= 1ull << cols->it[j];
    int64_t off_fixed = a->c0, g_fixed[FAST_GUARDS], gstep[FAST_GUARDS], glo[FAST_GUARDS], ghi[FAST_GUARDS];
    for (int g = 0; g < ng; g++) {
        g_fixed[g] = a->guards[g].g0;
        gstep[g] = a->guards[g].coef[v];
        glo[g] = a->guards[g].lo;
        ghi[g] = a->guards[g].hi;
    }
    for (int i = 0; i < n; i++) {
        if ((in_rows | in_cols) & (1ull << i)) continue;
        off_fixed += a->coef[i] * it[i];
        for (int g = 0; g < ng; g++) g_fixed[g] += a->guards[g].coef[i] * it[i];
    }
    int64_t step = a->coef[v], ev = st->ext[v];
    const bool mask = a->buf < 0;
    /* rows of u = the next-to-inner column iterator copied in one block
     * (contiguous source), or filled with one element (u and v not read)? */
    int u = cols->n >= 2 ? cols->it[cols->n - 2] : -1;
    bool block = u >= 0 && !mask && ((step == 1 && a->coef[u] == ev) || (step == 0 && a->coef[u] == 0));
    /* a guard on both u and v must be one along the flattened run (its
     * u coefficient ev times its v coefficient, as for h*2 + g) */
    bool flat[FAST_GUARDS] = {false};
    for (int g = 0; g < ng && block; g++) {
        int64_t cu = a->guards[g].coef[u], cv = a->guards[g].coef[v];
        flat[g] = cu && cv && cu == ev * cv;
        block &= !(cu && cv) || flat[g];
    }
    int64_t cstart[CPU_MAXIT];
    cpu_group_set(st, cols, c0, cstart);
    cpu_group_set(st, rows, r0, it);
    /* the columns' part at c0, the same for every row */
    for (int j = 0; j < cols->n; j++) {
        int i = cols->it[j];
        off_fixed += a->coef[i] * cstart[i];
        for (int g = 0; g < ng; g++) g_fixed[g] += a->guards[g].coef[i] * cstart[i];
    }
    for (int64_t r = r0; r < r1; r++, group_next(st, rows, it)) {
        /* the offset and guard values at the current column, kept up to
         * date as the columns advance */
        int64_t off_c = off_fixed, g_c[FAST_GUARDS];
        for (int j = 0; j < rows->n; j++) off_c += a->coef[rows->it[j]] * it[rows->it[j]];
        for (int g = 0; g < ng; g++) {
            int64_t x = g_fixed[g];
            for (int j = 0; j < rows->n; j++) x += a->guards[g].coef[rows->it[j]] * it[rows->it[j]];
            g_c[g] = x;
        }
        float *restrict drow = dst + (r - r0) * ld;
        group_copy(cols, cstart, it);
        for (int64_t c = c0; c < c1;) {
            if (block && it[v] == 0 && c1 - c >= 2 * ev) {
                /* whole rows of the next-to-inner iterator u at once: the
                 * source is contiguous across them (or one element), so
                 * one copy (or fill), then zeros where a guard on u or v
                 * fails */
                int64_t nr = (c1 - c) / ev, left = st->ext[u] - it[u];
                if (nr > left) nr = left;
                int64_t total = nr * ev, off = off_c, ulo = 0, uhi = nr, vlo = 0, vhi = ev, flo = 0, fhi = total;
                for (int g = 0; g < ng; g++) {
                    int64_t x = g_c[g];
                    if (flat[g]) narrow(x, gstep[g], glo[g], ghi[g], &flo, &fhi);
                    else if (a->guards[g].coef[u]) narrow(x, a->guards[g].coef[u], glo[g], ghi[g], &ulo, &uhi);
                    else narrow(x, gstep[g], glo[g], ghi[g], &vlo, &vhi);
                }
                float *restrict d = drow + (c - c0);
                /* the valid elements: rows [ulo, uhi) x columns [vlo, vhi)
                 * of the block, within [flo, fhi) of the flattened run */
                int64_t first = ulo * ev + vlo, last = (uhi - 1) * ev + vhi;
                if (first < flo) first = flo;
                if (last > fhi) last = fhi;
                if (uhi <= ulo || vhi <= vlo || last <= first) {
                    memset(d, 0, (size_t)total * sizeof *d);
                } else {
                    memset(d, 0, (size_t)first * sizeof *d);
                    memset(d + last, 0, (size_t)(total - last) * sizeof *d);
                    if (step == 1) {
                        memcpy(d + first, base + off + first, (size_t)(last - first) * sizeof *d);
                    } else {
                        const float x = base[off];
                        for (int64_t t = first; t < last; t++) d[t] = x;
                    }
                    if (vlo > 0 || vhi < ev)
                        for (int64_t t = ulo; t < uhi; t++) {
                            for (int64_t z = 0; z < vlo; z++) d[t * ev + z] = 0.0f;
                            for (int64_t z = vhi; z < ev; z++) d[t * ev + z] = 0.0f;
                        }
                }
                c += nr * ev;
                it[u] += nr;
                off_c += a->coef[u] * nr;
                for (int g = 0; g < ng; g++) g_c[g] += a->guards[g].coef[u] * nr;
                carry(st, a, cols, cols->n - 2, it, &off_c, g_c);
                continue;
            }
            int64_t len = ev - it[v];
            if (len > c1 - c) len = c1 - c;
            int64_t off = off_c, lo = 0, hi = len;
            for (int g = 0; g < ng && lo < hi; g++) narrow(g_c[g], gstep[g], glo[g], ghi[g], &lo, &hi);
            float *restrict d = drow + (c - c0);
            if (hi < lo) hi = lo;
            for (int64_t t = 0; t < lo; t++) d[t] = 0.0f;
            if (mask) {
                for (int64_t t = lo; t < hi; t++) d[t] = 1.0f;
            } else if (step == 1) {
                if (hi > lo) memcpy(d + lo, base + off + lo, (size_t)(hi - lo) * sizeof *d);
            } else if (step == 0) {
                if (hi > lo) {
                    const float x = base[off];
                    for (int64_t t = lo; t < hi; t++) d[t] = x;
                }
            } else {
                const float *restrict src = base + off;
                for (int64_t t = lo; t < hi; t++) d[t] = src[t * step];
            }
            for (int64_t t = hi; t < len; t++) d[t] = 0.0f;
            c += len;
            it[v] += len;
            off_c += step * len;
            for (int g = 0; g < ng; g++) g_c[g] += gstep[g] * len;
            carry(st, a, cols, cols->n - 1, it, &off_c, g_c);
        }
    }
}

/* Gathers the operand A (buffer BASE) into DST: DST[(r - R0) * LD + (c - C0)]
 * is its element when the iterators of ROWS take flat index r, those of
 * COLS flat index c, and the others their values in IT.  IT is used as
 * scratch and left with unspecified values in the two groups. */
void cpu_gather(const cpu_stage *st, const cpu_access *a, const float *base, int64_t *it, const cpu_group *rows,
                     int64_t r0, int64_t r1, const cpu_group *cols, int64_t c0, int64_t c1, float *dst, int64_t ld)
{
    int v = cols->n ? cols->it[cols->n - 1] : -1;
    if (v >= 0 && a->fast) {
        gather_affine(st, a, base, it, rows, r0, r1, cols, c0, c1, dst, ld);
        return;
    }
    int64_t vbuf[64];
    int64_t *val = st->ps->nexprs <= 64 ? vbuf : syno_xmalloc((size_t)st->ps->nexprs * sizeof *val);
    int64_t cstart[CPU_MAXIT];
    cpu_group_set(st, cols, c0, cstart);
    cpu_group_set(st, rows, r0, it);
    for (int64_t r = r0; r < r1; r++, group_next(st, rows, it)) {
        float *drow = dst + (r - r0) * ld;
        if (v < 0) { /* no column iterators: one element */
            int64_t len = c1 - c0;
            for (int64_t c = 0; c < len; c++) drow[c] = element(st, a, base, it, val);
            continue;
        }
        group_copy(cols, cstart, it);
        int64_t ev = st->ext[v];
        for (int64_t c = c0; c < c1;) {
            int64_t len = ev - it[v];
            if (len > c1 - c) len = c1 - c;
            segment(st, a, base, it, v, len, drow + (c - c0), val);
            c += len;
            it[v] += len;
            for (int j = cols->n - 1; j > 0 && it[cols->it[j]] == st->ext[cols->it[j]]; j--) {
                it[cols->it[j]] = 0;
                it[cols->it[j - 1]]++;
            }
        }
    }
    if (val != vbuf) free(val);
}
