/* shape_distance.c - a lower bound on the steps that still separate a
 * partial operator from a finalizable one (syno-internals §5.3, in our own
 * cost model).
 *
 * The open data dims must end up as the input axes, one to one with equal
 * sizes.  We partition them into groups: a group either leads to some input
 * axes (a reshape tower: joining its c dims takes c-1 splits, producing its
 * d axes d-1 merges, and a leftover factor q = prod(dims)/prod(axes) != 1
 * one more merge plus one step that absorbs it), or is absorbed.  The
 * distance is the cheapest partition whose leftover factors are legal
 * sizes (integers under every layer) that respects the chain lengths and
 * the primitive limits.  While reductions may still be added, each future
 * reduction is a wildcard dim (one step) that can complete a group or stand
 * for a missing input axis.  How a dim can be absorbed alone:
 *   - an odd coefficient (not a raw reduction): an unfold window, 1 step;
 *   - a raw reduction: shared by a contraction first, then an unfold
 *     window (odd coefficient, 1 step) or expanded by a later contraction;
 *   - an output piece or a shared reduction: expanded by a contraction
 *     (or a merge's low piece by a view expand, 1 step).
 * Contractions are counted as steps once (one contraction can expand many
 * dims), and as many as the dims need (a raw reduction expanded later needs
 * two); a weight is needed when there is none.  A dim that has reached the
 * chain bound must itself be an input axis.
 *
 * This runs for every candidate child, so it is a small branch-and-bound
 * over the dims (most have one or two choices) with the block products
 * kept incrementally, memoized by the multiset of dim signatures and the
 * budgets.  The memo stores "at least CAP" answers with their cap. */
#include "search/engine.h"

#include <stdlib.h>
#include <string.h>

enum {
    A_NO,       /* cannot be absorbed alone */
    A_UNFOLD,   /* 1 step: an unfold window */
    A_RAW1,     /* 1 step after a contraction shares it */
    A_RAW2,     /* two contractions: share, then expand */
    A_RAW12,    /* either of the two above */
    A_CONTRACT, /* a contraction expands it */
    A_EITHER,   /* a contraction, or 1 step of its own */
};

/* The ways to absorb a dim of each class: (steps of its own, contractions
 * needed), at most two. */
static const struct {
    int n;
    int cost[2], need[2];
} ways[] = {
    [A_NO] = {0, {0, 0}, {0, 0}},       [A_UNFOLD] = {1, {1, 0}, {0, 0}},
    [A_RAW1] = {1, {1, 0}, {1, 0}},     [A_RAW2] = {1, {0, 0}, {2, 0}},
    [A_RAW12] = {2, {1, 0}, {1, 2}},    [A_CONTRACT] = {1, {0, 0}, {1, 0}},
    [A_EITHER] = {2, {1, 0}, {0, 1}},
};

typedef struct item {
    syno_size size;
    uint32_t pvars;   /* primary variables with a positive exponent */
    uint32_t negvars; /* variables with a negative exponent */
    uint32_t posvars; /* variables with a positive exponent */
    uint8_t cls;      /* how it can be absorbed alone */
    bool chain0;      /* no step may touch it any more */
} item;

#define MAXB SYNO_SPEC_MAX_AXES

typedef struct solver {
    syno_space *sp;
    item it[SX_MAX_STATE_DIMS];
    int n;
    int ndes;
    int block_of_des[MAXB];
    int nblocks;
    uint32_t block_vars[MAXB];
    /* per item: blocks it may join */
    uint8_t opts[SX_MAX_STATE_DIMS][MAXB];
    int nopts[SX_MAX_STATE_DIMS];
    /* incremental block state */
    syno_size prod[MAXB];
    int ncur[MAXB], ndes_b[MAXB];
    bool chain0[MAXB];
    int need, unfolds;
    int best;
    int fixed_cost;                /* discarding dims */
    bool need_weight;              /* no weight yet */
    int weights_left;
    int wildcards;                 /* reductions that may still be added */
    int split_left, merge_left, unfold_left;
} solver;

static inline void sz_add(syno_size *a, const syno_size *b)
{
    for (int i = 0; i < SYNO_MAX_VARS; i++) a->e[i] = (int8_t)(a->e[i] + b->e[i]);
}

static inline void sz_sub(syno_size *a, const syno_size *b)
{
    for (int i = 0; i < SYNO_MAX_VARS; i++) a->e[i] = (int8_t)(a->e[i] - b->e[i]);
}

static int limit_left(const syno_space *sp, const syno_pstate *st, syno_step_kind k)
{
    int lim = sp->limit[k];
    if (lim < 0) return 64;
    int left = lim - st->cnt[k];
    return left < 0 ? 0 : left;
}

static void leaf(solver *s, int partial)
{
    syno_space *sp = s->sp;
    int cost = partial, splits = 0, merges = 0, wild = s->wildcards, need = s->need;
    bool either = false;
    for (int b = 0; b < s->nblocks; b++) {
        int nc = s->ncur[b], nd = s->ndes_b[b];
        if (!nc) { /* only a future reduction can be this input axis */
            if (!wild--) return;
            cost += nd; /* the reduction and the merges */
            merges += nd - 1;
            continue;
        }
        bool exact = syno_size_is_one(s->prod[b]);
        if (s->chain0[b] && !(exact && nc == 1 && nd == 1)) return;
        splits += nc - 1; /* joins are already in PARTIAL */
        merges += nd - 1;
        cost += nd - 1;
        if (exact) continue;
        if (sx_size_legal(sp, s->prod[b])) {
            /* one merge separates q; it is absorbed by an unfold, a view expand or (as an output
             * piece) the expand of a contraction that may happen anyway */
            merges++;
            cost++;
            either = true;
            continue;
        }
        /* a future reduction of size 1/q would complete it (one step and one split) */
        syno_size inv = syno_size_one();
        sz_sub(&inv, &s->prod[b]);
        if (!wild || !sx_size_legal(sp, inv)) return;
        wild--;
        splits++;
        cost += 2;
    }
    if (either && !need) cost++; /* a leftover factor: absorbed by a contraction or one step */
    if (need > s->weights_left) return;
    cost += need;
    if (splits > s->split_left || merges > s->merge_left || s->unfolds > s->unfold_left) return;
    if (cost < s->best) s->best = cost;
}

static void sd_dfs(solver *s, int i, int partial)
{
    if (partial + s->need >= s->best) return;
    if (i == s->n) {
        leaf(s, partial);
        return;
    }
    const item *t = &s->it[i];
    for (int k = 0; k < s->nopts[i]; k++) {
        int b = s->opts[i][k];
        int join = s->ncur[b] > 0;
        sz_add(&s->prod[b], &t->size);
        s->ncur[b]++;
        bool c0 = s->chain0[b];
        s->chain0[b] |= t->chain0;
        sd_dfs(s, i + 1, partial + join);
        s->chain0[b] = c0;
        s->ncur[b]--;
        sz_sub(&s->prod[b], &t->size);
    }
    if (t->cls == A_NO || t->chain0) return;
    int need = s->need, unfolds = s->unfolds;
    for (int w = 0; w < ways[t->cls].n; w++) {
        int c = ways[t->cls].cost[w], nd = ways[t->cls].need[w];
        s->need = need > nd ? need : nd;
        s->unfolds = unfolds + (c && t->cls != A_EITHER);
        sd_dfs(s, i + 1, partial + c);
    }
    s->need = need, s->unfolds = unfolds;
}

/* Which blocks each dim may join: one holding one of its primary
 * variables; any block when it cannot be absorbed; and a block one of
 * whose dims has a denominator (a piece of this dim may cancel it:
 * C_out = g * C_out/g completes C_in/g). */
static void options(solver *s)
{
    bool cancel[MAXB] = {false};
    for (int b = 0; b < s->nblocks; b++)
        for (int i = 0; i < s->n; i++) cancel[b] |= (s->it[i].pvars & s->block_vars[b]) && s->it[i].negvars;
    for (int i = 0; i < s->n; i++) {
        const item *t = &s->it[i];
        s->nopts[i] = 0;
        for (int b = 0; b < s->nblocks; b++) {
            bool own = (t->pvars & s->block_vars[b]) != 0;
            bool fits = own || t->cls == A_NO || (cancel[b] && !(t->negvars & ~0u && own));
            if (fits) s->opts[i][s->nopts[i]++] = (uint8_t)b;
        }
    }
}

static void solve_partition(solver *s)
{
    for (int b = 0; b < s->nblocks; b++) {
        s->block_vars[b] = 0;
        s->prod[b] = syno_size_one();
        s->ncur[b] = s->ndes_b[b] = 0;
        s->chain0[b] = false;
    }
    for (int j = 0; j < s->ndes; j++) {
        int b = s->block_of_des[j];
        sz_sub(&s->prod[b], &s->sp->des[j]);
        s->ndes_b[b]++;
        for (int v = 0; v < s->sp->nvars; v++)
            if (s->sp->des[j].e[v] > 0) s->block_vars[b] |= 1u << v;
    }
    options(s);
    s->need = s->need_weight;
    s->unfolds = 0;
    sd_dfs(s, 0, s->fixed_cost);
}

/* Tries every grouping of the desired axes into blocks where a multi-axis
 * block is held together by a dim that has variables of two of its axes. */
static void partitions(solver *s, int j)
{
    if (j == s->ndes) {
        solve_partition(s);
        return;
    }
    uint32_t vj = 0;
    for (int v = 0; v < s->sp->nvars; v++)
        if (s->sp->des[j].e[v] > 0) vj |= 1u << v;
    for (int b = 0; b < s->nblocks; b++) {
        uint32_t bv = 0;
        for (int k = 0; k < j; k++)
            if (s->block_of_des[k] == b)
                for (int v = 0; v < s->sp->nvars; v++)
                    if (s->sp->des[k].e[v] > 0) bv |= 1u << v;
        bool linked = false;
        for (int i = 0; i < s->n; i++) linked |= (s->it[i].pvars & bv) && (s->it[i].pvars & vj);
        if (!linked) continue;
        s->block_of_des[j] = b;
        partitions(s, j + 1);
    }
    s->block_of_des[j] = s->nblocks++;
    partitions(s, j + 1);
    s->nblocks--;
}

static int item_cmp(const void *a, const void *b)
{
    const item *x = a, *y = b;
    int c = syno_size_cmp(x->size, y->size);
    if (c) return c;
    if (x->cls != y->cls) return x->cls - y->cls;
    return (int)x->chain0 - (int)y->chain0;
}

/* The shape distance of ST (see the file comment), or SX_DIST_UNKNOWN when
 * it exceeds what the remaining depth allows. */
int sx_distance(syno_space *sp, const syno_pstate *st)
{
    solver s;
    s.sp = sp;
    s.n = 0;
    s.nblocks = 0;
    s.fixed_cost = 0;
    s.ndes = sp->ndes;
    s.need_weight = st->nweights == 0;
    s.weights_left = sp->max_weights - st->nweights;
    s.wildcards = st->normal ? 0 : sp->max_red - st->nred;
    s.split_left = limit_left(sp, st, SYNO_STEP_SPLIT);
    s.merge_left = limit_left(sp, st, SYNO_STEP_MERGE);
    s.unfold_left = limit_left(sp, st, SYNO_STEP_UNFOLD);
    bool tile = sp->spec->opt[SYNO_OPT_TILE] != 0;
    bool view_expand = limit_left(sp, st, SYNO_STEP_EXPAND) > 0 && sp->spec->opt[SYNO_OPT_EXPAND_REPEAT] > 1;
    for (int i = 0; i < st->nf; i++) {
        const sdim *d = sx_d(sp, st->d[i]);
        const sdim *b = sx_d(sp, d->base);
        bool odd_coef = (d->flags & SXF_ODD) != 0;
        if (d->flags & SXF_DISCARD) {
            if (!(d->flags & SXF_COEF)) return SX_DIST_UNKNOWN;
            s.fixed_cost++;
            continue;
        }
        item *t = &s.it[s.n++];
        t->size = d->size;
        t->chain0 = d->height >= sp->spec->chain;
        t->pvars = t->negvars = t->posvars = 0;
        for (int v = 0; v < sp->nvars; v++) {
            if (d->size.e[v] > 0 && sp->vars->v[v].kind == SYNO_VAR_PRIMARY) t->pvars |= 1u << v;
            if (d->size.e[v] < 0) t->negvars |= 1u << v;
            if (d->size.e[v] > 0) t->posvars |= 1u << v;
        }
        bool merge_piece = b->kind == SX_ITER || b->kind == SX_MERGE_L || b->kind == SX_MERGE_R;
        bool ws = b->kind == SX_REDUCE && d->nshares >= 1;
        bool ws_ok = d->lo >= sp->spec->opt[SYNO_OPT_WS_MIN] * (1 - 1e-9) && d->hi <= sp->spec->opt[SYNO_OPT_WS_MAX] * (1 + 1e-9);
        bool unfold = odd_coef && s.unfold_left;
        if (d->kind == SX_REDUCE) {
            bool r1 = unfold && s.weights_left, r2 = s.weights_left >= 2 && ws_ok;
            t->cls = r1 && r2 ? A_RAW12 : r1 ? A_RAW1 : r2 ? A_RAW2 : A_NO;
        }
        else if (merge_piece) {
            bool view = view_expand && (d->kind == SX_MERGE_R || (tile && d->kind == SX_MERGE_L));
            bool outer_ok = d->hi <= sp->spec->opt[SYNO_OPT_OUTER_MAX] * (1 + 1e-9);
            t->cls = view ? A_EITHER : s.weights_left && outer_ok ? A_CONTRACT : A_NO;
        } else if (ws) t->cls = unfold ? (ws_ok ? A_EITHER : A_UNFOLD) : s.weights_left && ws_ok ? A_CONTRACT : A_NO;
        else t->cls = unfold ? A_UNFOLD : A_NO;
    }
    if (s.fixed_cost > s.unfold_left) return SX_DIST_UNKNOWN;
    int cap = sp->depth - st->depth + 1; /* anything at least this is "too far" */
    if (cap < 1) cap = 1;
    qsort(s.it, (size_t)s.n, sizeof *s.it, item_cmp);
    uint64_t key = sx_mix(0x9d2c5680ull + (uint64_t)s.fixed_cost + ((uint64_t)s.need_weight << 8) +
                          ((uint64_t)s.split_left << 10) + ((uint64_t)s.merge_left << 17) +
                          ((uint64_t)s.unfold_left << 24) + ((uint64_t)view_expand << 31) +
                          ((uint64_t)s.weights_left << 32) + ((uint64_t)s.wildcards << 40));
    for (int i = 0; i < s.n; i++)
        key = sx_mix(key ^ sx_size_key(s.it[i].size) ^ ((uint64_t)s.it[i].cls << 56) ^
                     ((uint64_t)s.it[i].chain0 << 61));
    int32_t memo;
    if (sx_memo_get(&sp->dist_memo, key, &memo)) {
        int val = memo & 0xffff, mcap = memo >> 16;
        if (val < mcap) return val < cap ? val : SX_DIST_UNKNOWN; /* exact */
        if (cap <= mcap) return SX_DIST_UNKNOWN;                /* at least mcap >= cap */
    }
    s.best = cap;
    partitions(&s, 0);
    sx_memo_put(&sp->dist_memo, key, (int32_t)(s.best | (cap << 16)));
    return s.best < cap ? s.best : SX_DIST_UNKNOWN;
}
