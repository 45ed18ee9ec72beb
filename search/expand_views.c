/* expand_views.c - the view steps: split, merge, shift, stride, unfold,
 * expand (outside contractions) and reverse, with their canonical-
 * generation rules (syno-internals §4; rule names in rules.def).
 *
 * Bottom-up: a split joins two open dims l, r into x = l*|r| + r; a merge
 * separates y into (hi, lo) with lo of size B; an unfold joins a main dim
 * and a window dim; shift/stride/reverse replace one dim; an expand removes
 * one (it indexes no tensor).  Reshapes are kept in one canonical form:
 * splits above merges, split chains and merge chains nested to the right. */
#include "search/generate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const sx_dim *D(sx_gen *g, uint32_t id)
{
    return sx_d(g->sp, id);
}

static int latest_bit(sx_gen *g)
{
    return g->parent->nweights ? 1 << (g->parent->nweights - 1) : 0;
}

/* ---- split ---------------------------------------------------------------- */

/* True when X is the low piece of the merge whose high piece is HI (the
 * dim intern would return for it, compared without creating it). */
static bool low_piece_of(const sx_dim *x, const sx_dim *hi)
{
    return x->kind == SX_MERGE_R && x->a == hi->a && x->b == -1 && x->wid == 0 && syno_size_eq(x->param, hi->param);
}

static bool split_ok(sx_gen *g, uint32_t l, uint32_t r)
{
    syno_space *sp = g->sp;
    const sx_dim *dl = D(g, l), *dr = D(g, r);
    if (dl->kind == SX_SPLIT) { if (sx_drop(sp, SYNO_RULE_SPLIT_CHAIN)) return false; }
    if (dl->kind == SX_REDUCE && dr->kind == SX_REDUCE) { if (sx_drop(sp, SYNO_RULE_SPLIT_REDUCTIONS)) return false; }
    if (dl->kind == SX_MERGE_L) {
        /* the next piece of the same merge (right-nested chains): joining them undoes the merge */
        if (low_piece_of(dr, dl) || (dr->kind == SX_MERGE_L && low_piece_of(D(g, (uint32_t)dr->a), dl)))
            { if (sx_drop(sp, SYNO_RULE_SPLIT_UNDO_MERGE)) return false; }
    }
    if (dl->kind == SX_MERGE_R && dr->kind == SX_MERGE_L && dl->a == dr->a && dl->scope >= 0)
        { if (sx_drop(sp, SYNO_RULE_MERGE_UNORDERED)) return false; } /* a transposition of an unordered axis */
    if (dl->kind == SX_SHARE_L && dr->kind == SX_SHARE_L && dl->wid == dr->wid)
        { if (sx_drop(sp, SYNO_RULE_SPLIT_SHARED)) return false; }
    int bit = latest_bit(g);
    if (bit && !(dl->wmask & bit) && !(dr->wmask & bit)) { if (sx_drop(sp, SYNO_RULE_SPLIT_ORDER)) return false; }
    return true;
}

/* sx_new_dim_ok of a dim of height HEIGHT and size A*B before it is
 * interned (most candidates are dropped, and a lookup in the dim table is
 * a cache miss): the same checks on what intern would compute (its
 * SXF_VALID is this size being sized and legal under the layers).  SIZE
 * receives A*B and *SIZED whether it is one (no exponent overflowed). */
static bool new_size_ok(sx_gen *g, int height, syno_size a, syno_size b, syno_size *size, bool *sized)
{
    syno_space *sp = g->sp;
    if (height > sp->spec->chain) { if (sx_drop(sp, SYNO_RULE_CHAIN)) return false; }
    *sized = syno_size_mul(size, a, b);
    if (!*sized || !sx_size_legal(sp, *size)) { if (sx_drop(sp, SYNO_RULE_LAYER_SIZE)) return false; }
    return true;
}

/* new_size_ok of the split of L and R. */
static bool split_dim_ok(sx_gen *g, uint32_t l, uint32_t r)
{
    const sx_dim *dl = D(g, l), *dr = D(g, r);
    syno_size size;
    bool sized;
    return new_size_ok(g, (dl->height > dr->height ? dl->height : dr->height) + 1, dl->size, dr->size, &size, &sized);
}

/* Builds and finishes the child of step KIND that joins open dims A and B
 * into X (a split or an unfold). */
static void join_child(sx_gen *g, syno_step_kind kind, uint32_t a, uint32_t b, uint32_t x)
{
    sx_child_begin(g, kind);
    sx_child_take(g, a);
    sx_child_take(g, b);
    sx_child_put(g, x, 0);
    syno_step s = {.n = 2, .op = {a, b}};
    sx_child_end(g, &s);
}

/* How many candidates ahead of the one being built the split and stride
 * loops start loading the dim that a prefetched table slot names. */
#define RECORD_AHEAD 4

/* Adds the split children: every ordered pair of open dims.  The pairs
 * that pass the rules are found first and their dim-table slots
 * prefetched, then, a few candidates ahead, the dims the slots name, so
 * that interning them does not wait on memory. */
void sx_gen_split(sx_gen *g)
{
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, SYNO_STEP_SPLIT) || p->nf < 2 || !sx_limit_ok(g, SYNO_STEP_SPLIT)) return;
    uint32_t pair[SX_MAX_STATE_DIMS * (SX_MAX_STATE_DIMS - 1)][2];
    uint64_t hash[SX_MAX_STATE_DIMS * (SX_MAX_STATE_DIMS - 1)];
    int n = 0;
    for (int i = 0; i < p->nf; i++)
        for (int j = 0; j < p->nf; j++) {
            if (i == j) continue;
            uint32_t l = p->d[i], r = p->d[j];
            if (!sx_wanted(g, SYNO_STEP_SPLIT, l, r, NULL)) continue;
            if (!split_ok(g, l, r) || !split_dim_ok(g, l, r)) continue;
            hash[n] = sx_dim_prefetch(g->sp, SX_SPLIT, (int32_t)l, (int32_t)r, syno_size_one(), 0);
            pair[n][0] = l, pair[n][1] = r;
            n++;
        }
    for (int k = 0; k < n; k++) {
        if (k + RECORD_AHEAD < n) sx_dim_prefetch_record(g->sp, hash[k + RECORD_AHEAD]);
        uint32_t l = pair[k][0], r = pair[k][1];
        join_child(g, SYNO_STEP_SPLIT, l, r,
                   sx_dim_intern_hashed(g->sp, hash[k], SX_SPLIT, (int32_t)l, (int32_t)r, syno_size_one(), 0));
    }
}

/* ---- merge ---------------------------------------------------------------- */

/* Enumerates merge blocks of SIZE: per variable a window of E exponents
 * around half of its exponent (primaries within [0, exponent], coefficients
 * within their allowance), keeping blocks B where B and SIZE/B are both
 * legal sizes.  Cached per size; *OUT points into the space's pool (valid
 * until the next call).  Returns the count. */
static int divisors(syno_space *sp, syno_size size, const syno_size **out)
{
    sx_local *lc = sx_loc(sp);
    const sx_size_info *in = sx_size_get(sp, size);
    if (in->div_off >= 0) {
        *out = in->div_n ? lc->divpool + in->div_off : NULL; /* the pool may not exist yet */
        return in->div_n;
    }
    int E = (int)sp->spec->opt[SYNO_OPT_ENUMERATIONS];
    int lo[SYNO_MAX_VARS], hi[SYNO_MAX_VARS], cur[SYNO_MAX_VARS];
    int32_t off = lc->ndivpool, n = 0;
    bool empty = false;
    for (int v = 0; v < sp->nvars; v++) {
        int e = size.e[v];
        int c = e >= 0 ? e / 2 : -((-e + 1) / 2);
        lo[v] = c - E / 2;
        hi[v] = lo[v] + E - 1;
        if (sp->vars->v[v].kind == SYNO_VAR_PRIMARY) {
            if (lo[v] < 0) lo[v] = 0;
            if (hi[v] > e) hi[v] = e;
        } else {
            int a = sp->spec->allow[v];
            if (lo[v] < -a) lo[v] = -a;
            if (hi[v] > a) hi[v] = a;
        }
        if (lo[v] > hi[v]) empty = true;
        cur[v] = lo[v];
    }
    while (!empty) {
        syno_size b = syno_size_one(), q;
        for (int v = 0; v < sp->nvars; v++) b.e[v] = (int8_t)cur[v];
        if (syno_size_div(&q, size, b) && sx_size_legal(sp, b) && sx_size_legal(sp, q)) {
            if (lc->ndivpool == lc->capdivpool) {
                lc->capdivpool = lc->capdivpool ? 2 * lc->capdivpool : 1024;
                lc->divpool = syno_xrealloc(lc->divpool, (size_t)lc->capdivpool * sizeof *lc->divpool);
            }
            lc->divpool[lc->ndivpool++] = b;
            n++;
        }
        int v = 0;
        while (v < sp->nvars && ++cur[v] > hi[v]) cur[v] = lo[v], v++;
        if (v == sp->nvars) break;
    }
    sx_size_info *w = (sx_size_info *)sx_size_get(sp, size); /* the table may have grown */
    w->div_off = off;
    w->div_n = n;
    *out = n ? lc->divpool + off : NULL;
    return n;
}

static bool merge_ok(sx_gen *g, uint32_t y)
{
    syno_space *sp = g->sp;
    const sx_dim *d = D(g, y);
    if (d->kind == SX_SPLIT) { if (sx_drop(sp, SYNO_RULE_MERGE_OF_SPLIT)) return false; }
    if (d->kind == SX_MERGE_L) { if (sx_drop(sp, SYNO_RULE_MERGE_CHAIN)) return false; }
    if (d->kind == SX_REDUCE || d->kind == SX_SHARE_L) { if (sx_drop(sp, SYNO_RULE_MERGE_TARGET)) return false; }
    return sx_above_latest(g, y);
}

static bool block_ok(sx_gen *g, uint32_t y, syno_size b, syno_size q)
{
    syno_space *sp = g->sp;
    const sx_dim *d = D(g, y);
    if (d->kind == SX_SHIFT && sx_size_get(sp, b)->hi > sp->spec->opt[SYNO_OPT_SHIFT_PATTERN])
        { if (sx_drop(sp, SYNO_RULE_MERGE_NEAR_SHIFT)) return false; }
    syno_size t;
    if (d->kind == SX_STRIDE && syno_size_div(&t, b, d->param) &&
        (syno_size_is_one(t) || syno_size_is_valid(sp->vars, t)))
        { if (sx_drop(sp, SYNO_RULE_MERGE_NEAR_STRIDE)) return false; }
    if (d->kind == SX_UNFOLD && sp->spec->opt[SYNO_OPT_HEURISTIC_RULES] != 0) {
        syno_size w = D(g, (uint32_t)d->b)->size;
        if (syno_size_div(&t, b, w) && (syno_size_is_one(t) || syno_size_is_valid(sp->vars, t)))
            { if (sx_drop(sp, SYNO_RULE_MERGE_NEAR_UNFOLD)) return false; }
        if (syno_size_div(&t, w, b) && syno_size_classify(sp->vars, t) == SYNO_SIZE_COEF)
            { if (sx_drop(sp, SYNO_RULE_MERGE_NEAR_UNFOLD)) return false; }
    }
    if (d->scope >= 0) {
        /* permutation-equivalent blocks: keep the one whose low piece is not smaller */
        if (syno_size_cmp(b, q) < 0) { if (sx_drop(sp, SYNO_RULE_MERGE_UNORDERED)) return false; }
        if (d->kind == SX_MERGE_R) {
            syno_size prev;
            syno_size_div(&prev, D(g, (uint32_t)d->a)->size, d->param);
            if (syno_size_cmp(q, prev) < 0) { if (sx_drop(sp, SYNO_RULE_MERGE_UNORDERED)) return false; }
        }
    }
    return true;
}

/* Adds the merge children: each open dim, each block. */
void sx_gen_merge(sx_gen *g)
{
    syno_space *sp = g->sp;
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, SYNO_STEP_MERGE) || !p->nf || !sx_limit_ok(g, SYNO_STEP_MERGE)) return;
    for (int i = 0; i < p->nf; i++) {
        uint32_t y = p->d[i];
        if (!sx_wanted(g, SYNO_STEP_MERGE, y, 0, NULL)) continue;
        if (!merge_ok(g, y)) continue;
        syno_size ysize = D(g, y)->size;
        const syno_size *pool;
        int nb = divisors(sp, ysize, &pool);
        syno_size blocks[512];
        if (nb > (int)SYNO_ARRAY_LEN(blocks)) nb = (int)SYNO_ARRAY_LEN(blocks);
        if (nb) memcpy(blocks, pool, (size_t)nb * sizeof *blocks);
        for (int k = 0; k < nb; k++) {
            syno_size q;
            syno_size_div(&q, ysize, blocks[k]);
            if (g->only && !syno_size_eq(g->only->param, blocks[k])) continue;
            if (!block_ok(g, y, blocks[k], q)) continue;
            /* allowance: what the pieces use beyond what y used, halved */
            int8_t use[SYNO_MAX_VARS];
            bool ok = true;
            for (int v = 0; v < sp->nvars; v++) {
                int a = abs(q.e[v]), b = abs(blocks[k].e[v]), c = abs(ysize.e[v]);
                int u = p->use[v] + (a + b - c) / 2;
                ok &= u <= sp->spec->allow[v];
                use[v] = (int8_t)u;
            }
            if (!ok) {
                if (sx_drop(sp, SYNO_RULE_ALLOWANCE)) continue;
            }
            uint32_t hi = sx_dim_intern(sp, SX_MERGE_L, (int32_t)y, -1, blocks[k], 0);
            uint32_t lo = sx_dim_intern(sp, SX_MERGE_R, (int32_t)y, -1, blocks[k], 0);
            if (!sx_new_dim_ok(g, hi) || !sx_new_dim_ok(g, lo)) continue;
            sx_child_begin(g, SYNO_STEP_MERGE);
            for (int v = 0; v < sp->nvars; v++) g->use[v] = use[v];
            sx_child_take(g, y);
            sx_child_put(g, hi, 0);
            sx_child_put(g, lo, 0);
            syno_step s = {.n = 1, .op = {y}, .param = blocks[k]};
            sx_child_end(g, &s);
        }
    }
}

/* ---- shift, reverse --------------------------------------------------------- */

static void one_to_one(sx_gen *g, syno_step_kind kind, sx_kind dk)
{
    syno_space *sp = g->sp;
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, kind) || !p->nf || !sx_limit_ok(g, kind)) return;
    syno_rule target = kind == SYNO_STEP_SHIFT ? SYNO_RULE_SHIFT_TARGET : SYNO_RULE_REVERSE_TARGET;
    for (int i = 0; i < p->nf; i++) {
        uint32_t y = p->d[i];
        if (!sx_wanted(g, kind, y, 0, NULL)) continue;
        const sx_dim *d = D(g, y);
        /* at the critical depth a shift or reverse only helps by making a split's top or a
         * merge's left piece mergeable again */
        if (g->critical && d->kind != SX_SPLIT && d->kind != SX_MERGE_L && sx_drop(sp, SYNO_RULE_CRITICAL)) continue;
        if (d->kind == SX_REDUCE || d->kind == SX_SHARE_L || d->kind == SX_SHIFT || d->kind == SX_REVERSE ||
            d->scope >= 0) {
            if (sx_drop(sp, target)) continue;
        }
        if (kind == SYNO_STEP_SHIFT && d->kind == SX_SPLIT && D(g, (uint32_t)d->b)->hi > sp->spec->opt[SYNO_OPT_SHIFT_PATTERN]) {
            if (sx_drop(sp, SYNO_RULE_SHIFT_NEAR_SPLIT)) continue;
        }
        if (!sx_above_latest(g, y)) continue;
        uint32_t x = sx_dim_intern(sp, dk, (int32_t)y, -1, syno_size_one(), 0);
        if (!sx_new_dim_ok(g, x)) continue;
        sx_child_begin(g, kind);
        sx_child_take(g, y);
        sx_child_put(g, x, 0);
        syno_step s = {.n = 1, .op = {y}};
        sx_child_end(g, &s);
    }
}

/* Adds the shift children (by 1, cyclic). */
void sx_gen_shift(sx_gen *g)
{
    one_to_one(g, SYNO_STEP_SHIFT, SX_SHIFT);
}

/* Adds the reverse children (an extension of Syno's primitives). */
void sx_gen_reverse(sx_gen *g)
{
    one_to_one(g, SYNO_STEP_REVERSE, SX_REVERSE);
}

/* ---- stride --------------------------------------------------------------- */

static int int_cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The factors (indices into the space's sizes, ascending) worth trying on
 * Y, into KS; returns their count.  A factor whose largest value times
 * Y's smallest exceeds max_strided_dim makes a strided axis that the
 * stride-size rule drops (the axis is at least that large in the layer
 * where the factor is largest): those are counted as dropped without
 * building their dims (sizes->by_hi orders them, so they are a suffix),
 * unless the rule is off or one step alone is being generated (reach
 * counts exactly which rules its steps break). */
static int stride_factors(sx_gen *g, const sx_dim *y, int *ks)
{
    syno_space *sp = g->sp;
    int n = sp->nsizes;
    if (!g->only && !(sp->disabled >> SYNO_RULE_STRIDE_SIZE & 1)) {
        double max = sp->spec->opt[SYNO_OPT_MAX_STRIDED];
        int lo = 0, hi = sp->nsizes; /* the first factor too large */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if ((double)y->lo * sp->sizes[sp->by_hi[mid]].hi > max) hi = mid;
            else lo = mid + 1;
        }
        sx_loc(sp)->stats.rejected[SYNO_RULE_STRIDE_SIZE] += (uint64_t)(sp->nsizes - lo);
        n = lo;
        memcpy(ks, sp->by_hi, (size_t)n * sizeof *ks);
        qsort(ks, (size_t)n, sizeof *ks, int_cmp);
        return n;
    }
    for (int k = 0; k < n; k++) ks[k] = k;
    return n;
}

/* Adds the stride children: each open dim, each enumerable factor. */
void sx_gen_stride(sx_gen *g)
{
    syno_space *sp = g->sp;
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, SYNO_STEP_STRIDE) || !p->nf || !sx_limit_ok(g, SYNO_STEP_STRIDE)) return;
    int *ks = syno_xmalloc((size_t)(sp->nsizes ? sp->nsizes : 1) * sizeof *ks);
    uint64_t *hs = syno_xmalloc((size_t)(sp->nsizes ? sp->nsizes : 1) * sizeof *hs); /* their dims' key hashes */
    /* no critical-state rule here: a stride can shorten the distance (a strided
     * reduction is an unfold window without being shared first) */
    for (int i = 0; i < p->nf; i++) {
        uint32_t y = p->d[i];
        if (!sx_wanted(g, SYNO_STEP_STRIDE, y, 0, NULL)) continue;
        const sx_dim *d = D(g, y);
        if (d->kind == SX_UNFOLD || d->kind == SX_STRIDE || d->kind == SX_SPLIT) {
            if (sx_drop(sp, SYNO_RULE_STRIDE_TARGET)) continue;
        }
        if (!sx_above_latest(g, y)) continue;
        int n = stride_factors(g, d, ks);
        for (int j = 0; j < n; j++) /* the dim-table slots of the factors, loaded while the first are built */
            hs[j] = sx_dim_prefetch(sp, SX_STRIDE, (int32_t)y, -1, sp->sizes[ks[j]].size, 0);
        for (int j = 0; j < n; j++) {
            if (j + RECORD_AHEAD < n) sx_dim_prefetch_record(sp, hs[j + RECORD_AHEAD]);
            int k = ks[j];
            const sx_size_choice *c = &sp->sizes[k];
            if (g->only && !syno_size_eq(g->only->param, c->size)) continue;
            int8_t use[SYNO_MAX_VARS];
            bool ok = true;
            for (int v = 0; v < sp->nvars; v++) {
                use[v] = (int8_t)(p->use[v] + c->use[v]);
                ok &= use[v] <= sp->spec->allow[v];
            }
            if (!ok) {
                if (sx_drop(sp, SYNO_RULE_ALLOWANCE)) continue;
            }
            syno_size size;
            bool sized;
            if (!new_size_ok(g, d->height + 1, d->size, c->size, &size, &sized)) continue;
            /* the dim's largest value, as intern sets it (0 unless a valid size) */
            if (sized && syno_size_is_valid(sp->vars, size) && sx_size_get(sp, size)->hi > sp->spec->opt[SYNO_OPT_MAX_STRIDED]) {
                if (sx_drop(sp, SYNO_RULE_STRIDE_SIZE)) continue;
            }
            uint32_t x = sx_dim_intern_hashed(sp, hs[j], SX_STRIDE, (int32_t)y, -1, c->size, 0);
            sx_child_begin(g, SYNO_STEP_STRIDE);
            for (int v = 0; v < sp->nvars; v++) g->use[v] = use[v];
            sx_child_take(g, y);
            sx_child_put(g, x, 0);
            syno_step s = {.n = 1, .op = {y}, .param = c->size};
            sx_child_end(g, &s);
        }
    }
    free(ks);
    free(hs);
}

/* ---- unfold --------------------------------------------------------------- */

static bool unfold_ok(sx_gen *g, uint32_t m, uint32_t w)
{
    syno_space *sp = g->sp;
    const sx_dim *dm = D(g, m), *dw = D(g, w);
    if (dm->kind == SX_SPLIT || dm->kind == SX_SHIFT || (dm->flags & SXF_ENDS_RED))
        { if (sx_drop(sp, SYNO_RULE_UNFOLD_MAIN)) return false; }
    if (dw->kind == SX_REDUCE || !(dw->flags & SXF_ODD)) { if (sx_drop(sp, SYNO_RULE_UNFOLD_WINDOW)) return false; }
    if (dw->hi > sp->spec->opt[SYNO_OPT_MAX_UNFOLD]) { if (sx_drop(sp, SYNO_RULE_UNFOLD_SIZE)) return false; }
    for (int l = 0; l < sp->nlayers; l++)
        if (sx_size_value(sp, dm->size, l) < sp->spec->opt[SYNO_OPT_UNFOLD_RATIO] * sx_size_value(sp, dw->size, l) * (1 - 1e-9))
            { if (sx_drop(sp, SYNO_RULE_UNFOLD_SIZE)) return false; }
    if (dm->kind == SX_UNFOLD && sp->spec->opt[SYNO_OPT_HEURISTIC_RULES] != 0) {
        /* stacked windows in ascending order */
        syno_size t;
        if (syno_size_div(&t, D(g, (uint32_t)dm->b)->size, dw->size) && syno_size_is_valid(sp->vars, t))
            { if (sx_drop(sp, SYNO_RULE_UNFOLD_ORDER)) return false; }
    }
    return true;
}

/* Adds the unfold children: every (main, window) pair of open dims. */
void sx_gen_unfold(sx_gen *g)
{
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, SYNO_STEP_UNFOLD) || p->nf < 2 || !sx_limit_ok(g, SYNO_STEP_UNFOLD)) return;
    for (int i = 0; i < p->nf; i++)
        for (int j = 0; j < p->nf; j++) {
            if (i == j) continue;
            uint32_t m = p->d[i], w = p->d[j];
            if (!sx_wanted(g, SYNO_STEP_UNFOLD, m, w, NULL)) continue;
            if (!unfold_ok(g, m, w)) continue;
            uint32_t x = sx_dim_intern(g->sp, SX_UNFOLD, (int32_t)m, (int32_t)w, syno_size_one(), 0);
            if (!sx_new_dim_ok(g, x)) continue;
            join_child(g, SYNO_STEP_UNFOLD, m, w, x);
        }
}

/* ---- expand (repeat / tile) ---------------------------------------------- */

/* Adds the expand children: the low piece of a merge (each element
 * repeated), or with `tile` the high piece. */
void sx_gen_expand(sx_gen *g)
{
    syno_space *sp = g->sp;
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, SYNO_STEP_EXPAND) || !p->nf || !sx_limit_ok(g, SYNO_STEP_EXPAND)) return;
    double repeat = 1;
    for (int i = p->nf; i < p->nf + p->ne; i++) {
        const sx_dim *d = D(g, p->d[i]);
        if (d->kind == SX_MERGE_L || d->kind == SX_MERGE_R) repeat *= d->hi;
    }
    for (int i = 0; i < p->nf; i++) {
        uint32_t y = p->d[i];
        if (!sx_wanted(g, SYNO_STEP_EXPAND, y, 0, NULL)) continue;
        const sx_dim *d = D(g, y);
        bool tile = sp->spec->opt[SYNO_OPT_TILE] != 0;
        if (!(d->kind == SX_MERGE_R || (tile && d->kind == SX_MERGE_L))) {
            if (sx_drop(sp, SYNO_RULE_EXPAND_TARGET)) continue;
        }
        /* expanding both pieces of one merge would expand the whole dim */
        uint32_t sib = sx_dim_intern(sp, d->kind == SX_MERGE_R ? SX_MERGE_L : SX_MERGE_R, d->a, -1, d->param, 0);
        bool sib_expanded = false;
        for (int k = p->nf; k < p->nf + p->ne; k++) sib_expanded |= p->d[k] == sib;
        if (sib_expanded) {
            if (sx_drop(sp, SYNO_RULE_EXPAND_TARGET)) continue;
        }
        if (!sx_above_latest(g, y)) continue;
        if (repeat * d->hi > sp->spec->opt[SYNO_OPT_EXPAND_REPEAT] * (1 + 1e-9)) {
            if (sx_drop(sp, SYNO_RULE_EXPAND_REPEAT)) continue;
        }
        sx_child_begin(g, SYNO_STEP_EXPAND);
        sx_child_take(g, y);
        sx_child_put(g, y, 1);
        syno_step s = {.n = 1, .op = {y}};
        sx_child_end(g, &s);
    }
}
