/* shape_distance.c - a lower bound on the steps that still separate a
 * partial operator from a finalizable one (syno-internals §5.3, in our own
 * cost model).
 *
 * The open data dims must end up as the input axes, one to one with equal
 * sizes.  We partition the input axes into blocks (every partition: a
 * block of several axes is one reshape tower, which coefficients can hold
 * together, as C_in/k and W*k make C_in and W) and put each dim into a
 * block or absorb it.  A block with c dims and d axes takes c-1 splits and
 * d-1 merges, and a leftover factor q = prod(dims)/prod(axes) != 1 one
 * more merge plus one step that absorbs it; a block that must be separated
 * needs a dim a merge may act on, or one more step first (a shift or
 * reverse of a dim, or of the dims joined: only when some piece can be
 * small enough for shift-near-split, or there is a reverse; an unfold
 * makes a dim mergeable only when a window carrying the latest weight can
 * exist).  The distance is the cheapest
 * partition whose leftover factors are legal sizes that respects the chain
 * lengths and the primitive limits.  While reductions may still be added,
 * each future reduction is a wildcard dim (one step) that can complete a
 * group or stand for a missing input axis.  How a dim can be absorbed
 * alone:
 *   - an odd coefficient (not a raw reduction): an unfold window, 1 step;
 *     coefficient dims may also be joined into one window;
 *   - a raw reduction: shared by a contraction first, then an unfold
 *     window (odd coefficient, 1 step) or expanded by a later contraction;
 *   - an output piece or a shared reduction: expanded by a contraction
 *     (or a merge's low piece by a view expand, 1 step);
 *   - strided elements (never an input axis): a window (alone or joined)
 *     or a view expand, 1 step; with a primary variable a merge first and
 *     both pieces dropped, 3 steps.
 * Contractions are counted as steps once (one contraction can expand many
 * dims), and as many as the dims need (a raw reduction expanded later needs
 * two); a weight is needed when there is none.  A dim that has reached the
 * chain bound must itself be an input axis (or be expanded by a view).
 * The bound is checked against enumerations without it
 * (tests/unit/t_search, bench/space_check).
 *
 * This runs for every candidate child, so it is a small branch-and-bound
 * over the dims with the block products kept incrementally, memoized by
 * the multiset of dim signatures and the budgets, and cut short after
 * NODE_BUDGET nodes (then its root's bound answers).  The memo stores "at
 * least CAP" answers with their cap.  Before the memo, a state whose dims
 * cannot bring the input axes' primary variables is answered at once
 * (supplied); in the search, the dims with the fewest choices go first,
 * each dim's choices the most promising first (a good first leaf), and
 * an open block whose product is not exact counts one step in the bound.
 *
 * The same count over the usual shapes only is the random walks' guide
 * (sx_guide_distance; doc/search.md "The walks' guide"): fewer
 * assignments, so never below the bound, and not a bound itself. */
#include "search/engine.h"

#include <string.h>

enum {
    A_NO,       /* cannot be absorbed alone */
    A_UNFOLD,   /* 1 step: an unfold window */
    A_RAW1,     /* 1 step after a contraction shares it */
    A_RAW2,     /* two contractions: share, then expand */
    A_RAW12,    /* either of the two above */
    A_CONTRACT, /* a contraction expands it */
    A_EITHER,   /* a contraction, or 1 step of its own */
    A_VIEW,     /* 1 step: a view expand (the only step a dim at the chain bound may take) */
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
    [A_EITHER] = {2, {1, 0}, {0, 1}},   [A_VIEW] = {1, {1, 0}, {0, 0}},
};

typedef struct item {
    syno_size size;
    uint32_t pvars;   /* primary variables with a positive exponent */
    uint32_t negvars; /* variables with a negative exponent */
    uint32_t posvars; /* variables with a positive exponent */
    uint8_t cls;      /* how it can be absorbed alone */
    uint8_t mstat;    /* 0: a merge may separate it; 1: after one more step; 2: never */
    bool chain0;      /* no step may touch it any more */
    bool discard;     /* strided elements: never an input axis, dropped by a window or an expand */
} item;

#define MAXB SYNO_SPEC_MAX_AXES
/* A choice of an item in sd_dfs: a block (its index), a window group, or
 * a way of being absorbed alone. */
enum { CH_WINDOW = 0x40, CH_WAY = 0x80 };
/* Nodes one distance may visit; past them the search stops and the bound
 * of its root (a lower bound too, only weaker) is the answer.  A weak
 * answer keeps dead ends that unguided walks then wander into, so the
 * budget is generous: enumerations of examples/fmnist-conv.syno (depth 6:
 * the same as with no budget; depth 7: as with 300,000) and
 * bench/kas-sampler.syno (depth 9) are the same with 30,000 nodes as with
 * 100,000, and the goldens of tests/search too.  More made a few fuzzed
 * specs (no allowances, four reductions) spend 0.5 s of an instrumented
 * build per state in the distances of its reductions. */
#define NODE_BUDGET 30000

typedef struct solver {
    syno_space *sp;
    item it[SX_MAX_STATE_DIMS];
    int n;
    int ndes;
    int block_of_des[MAXB];
    int nblocks;
    uint32_t block_vars[MAXB];
    /* per item: its choices (CH_*), the most promising first */
    uint8_t opts[SX_MAX_STATE_DIMS][MAXB + 4];
    int nopts[SX_MAX_STATE_DIMS];
    /* equal dims take their choices in non-decreasing order (the others are permutations) */
    bool same[SX_MAX_STATE_DIMS];
    int choice[SX_MAX_STATE_DIMS];
    int free_after[SX_MAX_STATE_DIMS + 1]; /* dims from i on that a contraction may absorb at no step */
    int empty;                              /* blocks without a dim yet */
    long nodes;                             /* of the branch-and-bound, against NODE_BUDGET */
    /* incremental block state */
    syno_size prod[MAXB];
    int ncur[MAXB], ndes_b[MAXB];
    int nmerge0[MAXB], nmerge1[MAXB]; /* items of each merge status in the block */
    /* coefficient dims joined by splits into one unfold window (two windows at most) */
    syno_size wprod[2];
    int wn[2], wraw[2];
    bool chain0[MAXB];
    int need, unfolds;
    int inexact;  /* open blocks whose product is not exact */
    int joins;  /* dims that joined a non-empty block or window: a split each */
    int mopen;  /* merges of the blocks opened so far: d-1 for d axes */
    int best;
    int fixed_cost;                /* strided dims with a primary variable */
    bool need_weight;              /* no weight yet */
    int weights_left;
    int wildcards;                 /* reductions that may still be added */
    int split_left, merge_left, unfold_left;
    bool join_sep;                 /* dims joined by a split can be separated again after a shift or reverse */
    bool guide;                    /* the walks' estimate, not a bound (see sx_guide_distance) */
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

/* True when a reduction of size Q may be created (one of the space's
 * enumerable sizes; cached in the size's information). */
static bool is_red_size(syno_space *sp, syno_size q)
{
    sx_size_info *in = (sx_size_info *)sx_size_get(sp, q);
    if (in->red < 0) {
        in->red = sx_size_index(sp, q) >= 0;
    }
    return in->red;
}

static inline bool sz_one(const syno_size *a)
{
    uint64_t x, y;
    memcpy(&x, a->e, 8);
    memcpy(&y, a->e + 8, 8);
    return !(x | y);
}

static void leaf(solver *s, int partial)
{
    syno_space *sp = s->sp;
    /* first what costs nothing to know: every block that is not exact adds a
     * step at least (whichever way its factor goes), so most leaves end here
     * before any size is looked up */
    bool exacts[MAXB];
    int lb = partial + s->need;
    for (int b = 0; b < s->nblocks; b++) {
        int nc = s->ncur[b], nd = s->ndes_b[b];
        if (!nc) {
            lb += nd;
            continue;
        }
        exacts[b] = sz_one(&s->prod[b]);
        if (s->chain0[b] && !(exacts[b] && nc == 1 && nd == 1)) return;
        lb += !exacts[b];
    }
    if (lb >= s->best) return;
    int cost = partial, splits = 0, merges = 0, wild = s->wildcards, need = s->need, unfolds_extra = 0;
    bool either = false;
    for (int b = 0; b < s->nblocks; b++) {
        int nc = s->ncur[b], nd = s->ndes_b[b];
        if (!nc) { /* only future reductions (one per axis: a sum is never merged) */
            if (wild < nd) return;
            wild -= nd;
            cost += nd;
            continue;
        }
        bool exact = exacts[b];
        if (!exact && !sx_size_legal(sp, s->prod[b])) {
            /* short of a factor: future reductions complete it, each a step and a
             * split; one when 1/q is a size the space reduces over, else two at
             * least (sizes never divide by a primary variable) */
            syno_size inv = syno_size_one();
            sz_sub(&inv, &s->prod[b]);
            bool neg = false;
            for (int v = 0; v < sp->nvars; v++) neg |= inv.e[v] < 0 && sp->vars->v[v].kind == SYNO_VAR_PRIMARY;
            int k = is_red_size(sp, inv) ? 1 : 2;
            if (neg || wild < k || (s->guide && k > 1)) return;
            wild -= k;
            nc += k;
            cost += 2 * k;
            exact = true;
        }
        if (nd >= 2 || !exact) { /* some dim of the group must be separated by a merge */
            if (!s->nmerge0[b]) {
                /* one more step first: a shift or reverse of a dim, or of the dims joined */
                if (!s->nmerge1[b] && !(nc >= 2 && s->join_sep)) return;
                cost++;
            }
        }
        splits += nc - 1; /* joins of the dims are already in PARTIAL */
        merges += nd - 1; /* their cost is in PARTIAL from the start */
        if (exact) continue;
        /* one merge separates q; it is absorbed by an unfold, a view expand or (as an output
         * piece) the expand of a contraction that may happen anyway */
        merges++;
        cost++;
        either = true;
    }
    for (int k = 0; k < 2; k++) { /* window groups: each one unfold (already in PARTIAL) */
        if (s->wn[k] < 2) {
            if (s->wn[k] == 1 && s->wraw[k]) need = need > 1 ? need : 1; /* a lone sum: shared first */
            if (s->wn[k] == 1) unfolds_extra++;
            continue;
        }
        const sx_size_info *in = sx_size_get(sp, s->wprod[k]);
        if (!in->legal || !in->odd || syno_size_classify(sp->vars, s->wprod[k]) != SYNO_SIZE_COEF) return;
        if (s->wraw[k] == s->wn[k]) need = need > 1 ? need : 1; /* sums only: one of them shared first */
        unfolds_extra++;
    }
    if (either && !need) cost++; /* a leftover factor: absorbed by a contraction or one step */
    if (need > s->weights_left) return;
    cost += need;
    splits += (s->wn[0] > 1 ? s->wn[0] - 1 : 0) + (s->wn[1] > 1 ? s->wn[1] - 1 : 0);
    if (splits > s->split_left || merges > s->merge_left || s->unfolds + unfolds_extra > s->unfold_left) return;
    if (cost < s->best) s->best = cost;
}

static void sd_dfs(solver *s, int i, int partial)
{
    if (++s->nodes > NODE_BUDGET) return;
    /* each dim still to place costs a step, unless it is the first of an empty
     * block or a contraction absorbs it */
    int rest = s->n - i - s->empty - s->free_after[i];
    /* empty blocks that no dim left can open: a future reduction (a step) each */
    int unfilled = s->empty - (s->n - i);
    /* an open block whose product is not exact costs a step more: a dim
     * joins it (a step that fixes no other block) or the leaf counts it */
    int inexact = s->inexact;
    int lb = s->need + (unfilled > 0 ? unfilled + inexact : rest > inexact ? rest : inexact);
    if (partial + lb >= s->best) return;
    /* what only grows towards the leaf and must stay within the limits there */
    if (s->joins > s->split_left || s->mopen > s->merge_left || s->need > s->weights_left ||
        s->unfolds + (s->wn[0] > 0) + (s->wn[1] > 0) > s->unfold_left || unfilled > s->wildcards)
        return;
    if (i == s->n) {
        leaf(s, partial);
        return;
    }
    const item *t = &s->it[i];
    for (int k = s->same[i] ? s->choice[i - 1] : 0; k < s->nopts[i]; k++) {
        s->choice[i] = k;
        int o = s->opts[i][k];
        if (o & CH_WAY) {
            int w = o & ~CH_WAY, need = s->need, unfolds = s->unfolds;
            int c = ways[t->cls].cost[w], nd = ways[t->cls].need[w];
            s->need = need > nd ? need : nd;
            s->unfolds = unfolds + (c && t->cls != A_EITHER && t->cls != A_VIEW);
            sd_dfs(s, i + 1, partial + c);
            s->need = need, s->unfolds = unfolds;
        } else if (o & CH_WINDOW) { /* join a window group (the second only when the first is used) */
            int w = o & ~CH_WINDOW;
            if (w && !s->wn[0]) continue;
            int join = s->wn[w] > 0;
            bool raw = t->cls == A_RAW1 || t->cls == A_RAW12 || t->cls == A_RAW2;
            sz_add(&s->wprod[w], &t->size);
            s->wn[w]++;
            s->wraw[w] += raw;
            s->joins += join;
            sd_dfs(s, i + 1, partial + join + !join);
            s->joins -= join;
            s->wraw[w] -= raw;
            s->wn[w]--;
            sz_sub(&s->wprod[w], &t->size);
        } else { /* open or join block O */
            int b = o, join = s->ncur[b] > 0;
            /* a block at the chain bound must be one dim that is one axis */
            if ((s->chain0[b] || t->chain0) && (join || s->ndes_b[b] > 1)) continue;
            bool was = join && !sz_one(&s->prod[b]);
            sz_add(&s->prod[b], &t->size);
            bool now = !sz_one(&s->prod[b]);
            s->inexact += now - was;
            s->empty -= !join;
            s->joins += join;
            s->mopen += join ? 0 : s->ndes_b[b] - 1;
            s->ncur[b]++;
            s->nmerge0[b] += t->mstat == 0;
            s->nmerge1[b] += t->mstat == 1;
            bool c0 = s->chain0[b];
            s->chain0[b] |= t->chain0;
            sd_dfs(s, i + 1, partial + join);
            s->chain0[b] = c0;
            s->nmerge0[b] -= t->mstat == 0;
            s->nmerge1[b] -= t->mstat == 1;
            s->ncur[b]--;
            s->empty += !join;
            s->joins -= join;
            s->mopen -= join ? 0 : s->ndes_b[b] - 1;
            sz_sub(&s->prod[b], &t->size);
            s->inexact -= now - was;
        }
    }
}

/* How promising choice O of item I is, the most first: opening alone the
 * block it fills exactly, a way that costs no step, a block with one of
 * its primary variables, a way of one step, any other block, a window.
 * Any order explores the same assignments; a good first leaf makes the
 * bound prune the rest. */
static int promise(const solver *s, int i, int o)
{
    const item *t = &s->it[i];
    if (o & CH_WAY) return ways[t->cls].cost[o & ~CH_WAY] ? 3 : 1;
    if (o & CH_WINDOW) return 5;
    syno_size p = s->prod[o];
    sz_add(&p, &t->size);
    if (sz_one(&p)) return 0;
    return t->pvars & s->block_vars[o] ? 2 : 4;
}

/* Sorts item I's choices by promise (stable: equal items keep equal lists,
 * which sd_dfs's symmetry breaking needs). */
static void promising_first(solver *s, int i)
{
    uint8_t *o = s->opts[i];
    int key[MAXB + 4];
    for (int k = 0; k < s->nopts[i]; k++) key[k] = promise(s, i, o[k]);
    for (int k = 1; k < s->nopts[i]; k++)
        for (int j = k; j > 0 && key[j - 1] > key[j]; j--) {
            int tk = key[j];
            key[j] = key[j - 1], key[j - 1] = tk;
            uint8_t to = o[j];
            o[j] = o[j - 1], o[j - 1] = to;
        }
}

/* The choices of each dim (the most promising first): the window groups
 * when it may join one, its ways of being absorbed alone, and the blocks
 * it may join: any, except that a dim no merge can
 * ever separate (and that cannot be joined with others, shifted and
 * separated) must be one piece of one input axis of the block.  The
 * guide (sx_guide_distance) also keeps a dim out of a block none of whose
 * primary variables it has, unless it cannot be absorbed or a piece of it
 * may cancel a denominator there (C_out = g * C_out/g completing C_in/g):
 * the usual shapes, not every shape. */
static void options(solver *s)
{
    bool cancel[MAXB] = {false};
    if (s->guide)
        for (int b = 0; b < s->nblocks; b++)
            for (int i = 0; i < s->n; i++) cancel[b] |= (s->it[i].pvars & s->block_vars[b]) && s->it[i].negvars;
    for (int i = 0; i < s->n; i++) {
        const item *t = &s->it[i];
        s->nopts[i] = 0;
        for (int b = 0; b < s->nblocks && !t->discard; b++) {
            bool own = (t->pvars & s->block_vars[b]) != 0;
            bool fits = !s->guide || own || t->cls == A_NO || (cancel[b] && !own);
            if (fits && t->mstat == 2 && !s->join_sep) {
                bool one = t->pvars == 0;
                for (int v = 0; v < s->sp->nvars && !one; v++)
                    one = t->pvars == (1u << v) && (s->block_vars[b] & (1u << v)) && t->size.e[v] == 1;
                fits = one;
            }
            if (fits) s->opts[i][s->nopts[i]++] = (uint8_t)b;
        }
        if (!t->pvars && !t->chain0 && s->unfold_left) {
            s->opts[i][s->nopts[i]++] = CH_WINDOW | 0;
            s->opts[i][s->nopts[i]++] = CH_WINDOW | 1;
        }
        for (int w = 0; w < ways[t->cls].n; w++) s->opts[i][s->nopts[i]++] = (uint8_t)(CH_WAY | w);
        promising_first(s, i);
    }
}

static int item_cmp(const item *x, const item *y);

/* Fills same[] and the free counts for the items' order. */
static void order_facts(solver *s)
{
    for (int i = 0; i < s->n; i++) s->same[i] = i && item_cmp(&s->it[i - 1], &s->it[i]) == 0;
    s->free_after[s->n] = 0;
    for (int i = s->n - 1; i >= 0; i--) {
        int c = s->it[i].cls;
        bool zero = false;
        for (int w = 0; w < ways[c].n; w++) zero |= ways[c].cost[w] == 0;
        s->free_after[i] = s->free_after[i + 1] + zero;
    }
}

/* Puts the items with the fewest choices first (stable, so equal items
 * stay adjacent and the symmetry breaking of sd_dfs still holds), and
 * recomputes what depends on the order.  A dim that cannot be placed at
 * all fails the partition at once instead of at every leaf.  False when
 * some item has no choice. */
static bool constrained_first(solver *s)
{
    int key[SX_MAX_STATE_DIMS];
    bool sorted = true;
    for (int i = 0; i < s->n; i++) {
        key[i] = s->nopts[i];
        if (!key[i]) return false;
        sorted &= !i || key[i - 1] <= key[i];
    }
    if (!sorted) {
        for (int i = 1; i < s->n; i++) { /* insertion sort: a few items */
            item t = s->it[i];
            uint8_t o[MAXB + 4];
            memcpy(o, s->opts[i], sizeof o);
            int k = key[i], no = s->nopts[i], j = i;
            for (; j > 0 && key[j - 1] > k; j--) {
                s->it[j] = s->it[j - 1];
                memcpy(s->opts[j], s->opts[j - 1], sizeof o);
                s->nopts[j] = s->nopts[j - 1];
                key[j] = key[j - 1];
            }
            s->it[j] = t;
            memcpy(s->opts[j], o, sizeof o);
            s->nopts[j] = no;
            key[j] = k;
        }
        order_facts(s);
    }
    return true;
}

static void solve_partition(solver *s)
{
    for (int b = 0; b < s->nblocks; b++) {
        s->block_vars[b] = 0;
        s->prod[b] = syno_size_one();
        s->ncur[b] = s->ndes_b[b] = 0;
        s->nmerge0[b] = s->nmerge1[b] = 0;
        s->chain0[b] = false;
    }
    for (int j = 0; j < s->ndes; j++) {
        int b = s->block_of_des[j];
        sz_sub(&s->prod[b], &s->sp->des[j]);
        s->ndes_b[b]++;
        for (int v = 0; v < s->sp->nvars; v++)
            if (s->sp->des[j].e[v] > 0) s->block_vars[b] |= 1u << v;
    }
    int base = s->fixed_cost;
    for (int b = 0; b < s->nblocks; b++) base += s->ndes_b[b] - 1; /* d axes of a block: d-1 merges */
    /* sd_dfs's first test, before the choices are listed: most partitions
     * of several axes per block end here once a cheap one was found */
    int rest = s->n - s->nblocks - s->free_after[0], unfilled = s->nblocks - s->n;
    if (base + s->need_weight + (unfilled > 0 ? unfilled : rest > 0 ? rest : 0) >= s->best || unfilled > s->wildcards)
        return;
    options(s);
    if (!constrained_first(s)) return;
    s->need = s->need_weight;
    s->unfolds = 0;
    s->wprod[0] = s->wprod[1] = syno_size_one();
    s->wn[0] = s->wn[1] = s->wraw[0] = s->wraw[1] = 0;
    s->empty = s->nblocks;
    s->joins = s->mopen = s->inexact = 0;
    sd_dfs(s, 0, base);
}

/* A block the guide lets axis J join: one with an axis whose primary
 * variables some dim shares with J's (a dim that holds the two together). */
static bool linked(const solver *s, int j, int b)
{
    uint32_t vj = 0, bv = 0;
    for (int v = 0; v < s->sp->nvars; v++)
        if (s->sp->des[j].e[v] > 0) vj |= 1u << v;
    for (int k = 0; k < j; k++)
        if (s->block_of_des[k] == b)
            for (int v = 0; v < s->sp->nvars; v++)
                if (s->sp->des[k].e[v] > 0) bv |= 1u << v;
    for (int i = 0; i < s->n; i++)
        if ((s->it[i].pvars & bv) && (s->it[i].pvars & vj)) return true;
    return false;
}

/* Tries every grouping of the desired axes into blocks (the guide: only
 * blocks a dim holds together). */
static void partitions(solver *s, int j)
{
    if (s->nodes > NODE_BUDGET) return;
    if (j == s->ndes) {
        solve_partition(s);
        return;
    }
    /* a block of its own first: fine partitions are usually the cheapest, and a
     * good bound early prunes the rest */
    s->block_of_des[j] = s->nblocks++;
    partitions(s, j + 1);
    s->nblocks--;
    for (int b = 0; b < s->nblocks; b++) {
        if (s->guide && !linked(s, j, b)) continue;
        s->block_of_des[j] = b;
        partitions(s, j + 1);
    }
}

/* Whether a merge can ever separate D (reshapes are split-then-merge, so
 * bottom-up a merge never acts on a split's top, a merge's left piece, a
 * sum or a share; after a contraction views act only above the latest
 * weight): 0 now, 1 after one more step (a shift or a reverse), 2 never
 * (before merge_status_windows adds the unfolds). */
static int merge_status(const syno_space *sp, const syno_pstate *st, const sx_dim *d, const solver *s, int shift_left,
                        int reverse_left)
{
    if (!s->merge_left) return 2;
    bool above = !st->nweights || (d->wmask & (1u << (st->nweights - 1)));
    bool fixed = d->kind == SX_SPLIT || d->kind == SX_MERGE_L || d->kind == SX_REDUCE || d->kind == SX_SHARE_L;
    if (above && !fixed) return 0;
    bool repeat_ok = d->kind != SX_REDUCE && d->kind != SX_SHARE_L && d->kind != SX_SHIFT && d->kind != SX_REVERSE &&
                     d->scope < 0;
    if (above && repeat_ok && shift_left &&
        !(d->kind == SX_SPLIT && sx_d(sp, (uint32_t)d->b)->hi > sp->spec->opt[SYNO_OPT_SHIFT_PATTERN]))
        return 1;
    if (above && repeat_ok && reverse_left) return 1;
    return 2;
}

/* merge_status of D once the windows are known, where merge_status said
 * 2: a dim no merge separates may still become the main dim of an unfold
 * whose window carries the weight unless D does (when such a window can
 * exist: WINDOW[1], WINDOW[0] for any window); the unfold is a join the
 * bound counts anyway. */
static int merge_status_windows(const syno_pstate *st, const sx_dim *d, const solver *s, const bool window[2])
{
    bool above = !st->nweights || (d->wmask & (1u << (st->nweights - 1)));
    if (s->unfold_left && window[!above] && d->kind != SX_SPLIT && d->kind != SX_SHIFT && !(d->flags & SXF_ENDS_RED)) return 0;
    return 2;
}

/* False when the dims of ST cannot supply the input axes' primary
 * variables: a block's product never has one in its denominator (sizes
 * never divide by a primary variable), only the dims placed in blocks
 * (never strided elements) bring positive exponents, and a future
 * reduction completes a block only with the variables of the sizes the
 * space reduces over.  So, for each primary variable no such size has
 * (every one when no reduction may be added), the dims' positive
 * exponents must reach the input axes' in sum.  Cheap, and it answers
 * most of the distances that exceed any cap before anything else. */
static bool supplied(const syno_space *sp, const syno_pstate *st)
{
    bool wildcards = (st->normal ? 0 : sp->max_red - st->nred) != 0; /* as prepare counts them */
    uint32_t vars = sp->des_vars & ~(wildcards ? sp->size_vars : 0);
    if (!vars) return true;
    int16_t supply[SYNO_MAX_VARS] = {0}; /* every variable at once: a few vector adds a dim */
    for (int i = 0; i < st->nf; i++) {
        const sx_dim *d = sx_d(sp, st->d[i]);
        if (d->flags & SXF_DISCARD) continue;
        for (int v = 0; v < SYNO_MAX_VARS; v++) supply[v] = (int16_t)(supply[v] + (d->size.e[v] > 0 ? d->size.e[v] : 0));
    }
    for (uint32_t m = vars; m; m &= m - 1) {
        int v = __builtin_ctz(m);
        if (supply[v] < sp->des_demand[v]) return false;
    }
    return true;
}

static int item_cmp(const item *x, const item *y)
{
    int c = syno_size_cmp(x->size, y->size);
    if (c) return c;
    if (x->discard != y->discard) return (int)x->discard - (int)y->discard;
    if (x->cls != y->cls) return x->cls - y->cls;
    if (x->mstat != y->mstat) return x->mstat - y->mstat;
    return (int)x->chain0 - (int)y->chain0;
}

/* True when memo entry MEMO (the answer | its cap << 16) holds the exact
 * distance (below its cap), not "at least the cap". */
static bool memo_exact(int32_t memo)
{
    return (memo & 0xffff) < (memo >> 16);
}

/* What memo entry MEMO (the answer | its cap << 16) says of a distance
 * capped at CAP: the distance, SX_DIST_UNKNOWN, or -1 when it does not
 * know (at least a smaller cap). */
static int memo_answer(int32_t memo, int cap)
{
    int val = memo & 0xffff, mcap = memo >> 16;
    if (memo_exact(memo)) return val < cap ? val : SX_DIST_UNKNOWN;
    if (cap <= mcap) return SX_DIST_UNKNOWN; /* at least mcap >= cap */
    return -1;
}

/* True when this thread is one of enumerate's workers (sx_tl set): they
 * share what they computed through the caller's memo, which no worker
 * uses as its own, behind memo_lock. */
static bool worker(const syno_space *sp)
{
    return sx_tl && sx_tl != &sp->local;
}

/* The answer to KEY at CAP that this thread's memo, or the workers'
 * shared one, knows (memo_answer); -1 when none does. */
static int memo_lookup(syno_space *sp, uint64_t key, int cap)
{
    int32_t memo;
    int a = sx_memo_get(&sx_loc(sp)->dist_memo, key, &memo) ? memo_answer(memo, cap) : -1;
    if (a >= 0 || !worker(sp)) return a;
    pthread_mutex_lock(&sp->memo_lock);
    bool found = sx_memo_get(&sp->local.dist_memo, key, &memo);
    pthread_mutex_unlock(&sp->memo_lock);
    if (!found || (a = memo_answer(memo, cap)) < 0) return -1;
    sx_memo_put(&sx_loc(sp)->dist_memo, key, memo);
    return a;
}

/* True when memo entry A says more than B: A is exact and B is not, or
 * both are "at least" answers and A's cap is larger. */
static bool memo_stronger(int32_t a, int32_t b)
{
    return memo_exact(a) ? !memo_exact(b) : !memo_exact(b) && (a >> 16) > (b >> 16);
}

/* Records MEMO for KEY in this thread's memo and the workers' shared one
 * (where it replaces only a weaker answer). */
static void memo_store(syno_space *sp, uint64_t key, int32_t memo)
{
    sx_memo_put(&sx_loc(sp)->dist_memo, key, memo);
    if (!worker(sp)) return;
    int32_t old;
    pthread_mutex_lock(&sp->memo_lock);
    if (!sx_memo_get(&sp->local.dist_memo, key, &old) || memo_stronger(memo, old))
        sx_memo_put(&sp->local.dist_memo, key, memo);
    pthread_mutex_unlock(&sp->memo_lock);
}

/* The part of the memo key of item T, of size key SIZE_KEY (the key sums
 * them: a multiset). */
static inline uint64_t item_key(uint64_t size_key, const item *t)
{
    return syno_hash_mix(size_key ^ ((uint64_t)t->cls << 56) ^ ((uint64_t)t->chain0 << 60) ^ ((uint64_t)t->discard << 61) ^
                         ((uint64_t)t->mstat << 62));
}

/* Fills S for ST's distance, its memo key in *KEY and its cap (anything at
 * least this is "too far") in *CAP; returns the answer when it needs
 * neither the memo nor a search (SX_DIST_UNKNOWN), else -1. */
static int prepare(solver *s, syno_space *sp, const syno_pstate *st, bool guide, uint64_t *key_out, int *cap_out)
{
    if (!supplied(sp, st)) return SX_DIST_UNKNOWN;
    s->sp = sp;
    s->guide = guide;
    s->n = 0;
    s->nblocks = 0;
    s->fixed_cost = 0;
    s->ndes = sp->ndes;
    s->need_weight = st->nweights == 0;
    s->weights_left = sp->max_weights - st->nweights;
    s->wildcards = st->normal ? 0 : sp->max_red - st->nred;
    s->split_left = limit_left(sp, st, SYNO_STEP_SPLIT);
    s->merge_left = limit_left(sp, st, SYNO_STEP_MERGE);
    s->unfold_left = limit_left(sp, st, SYNO_STEP_UNFOLD);
    bool tile = sp->spec->opt[SYNO_OPT_TILE] != 0;
    bool view_expand = limit_left(sp, st, SYNO_STEP_EXPAND) > 0 && sp->spec->opt[SYNO_OPT_EXPAND_REPEAT] > 1;
    int shift_left = limit_left(sp, st, SYNO_STEP_SHIFT), reverse_left = limit_left(sp, st, SYNO_STEP_REVERSE);
    s->join_sep = (shift_left || reverse_left) && s->split_left && s->merge_left;
    /* Without a reverse, the dims joined are separated after a shift of the
     * split that joins them, and shift-near-split allows that only when its
     * right piece is at most shift_pattern in every layer.  Sizes only grow
     * bottom-up, so that piece is a small dim already open, a future
     * reduction of a small size, or a piece that a merge of an open dim
     * separates (a dim a merge may act on, now, after one step or after a
     * stride; an unfold's result too). */
    double pattern = sp->spec->opt[SYNO_OPT_SHIFT_PATTERN];
    bool small = reverse_left || (s->wildcards && sp->nsizes && !(sp->sizes[sp->by_hi[0]].hi > pattern));
    int cap = sp->depth - st->depth + 1; /* anything at least this is "too far" */
    if (cap < 1) cap = 1;
    /* Whether an unfold window can ever exist (window[0]), and one that
     * carries the latest weight (window[1]): a dim that is not mergeable
     * becomes so as the main dim of an unfold whose result is above the
     * latest weight.  Sizes never divide by a primary variable, so a window
     * is made of coefficient dims: open now within max_unfold (carrying
     * the latest weight, or shared by a new weight), a future reduction, or
     * a piece cut by a merge of an open dim (now, after a shift or reverse,
     * or after a stride within max_strided_dim; no other step makes a dim
     * smaller). */
    bool window[2] = {s->wildcards > 0, s->wildcards && s->weights_left};
    double umax = sp->spec->opt[SYNO_OPT_MAX_UNFOLD];
    double smax = sp->spec->opt[SYNO_OPT_MAX_STRIDED]; /* a strided dim is never smaller */
    uint32_t latest = st->nweights ? 1u << (st->nweights - 1) : 0;
    bool stride_left = limit_left(sp, st, SYNO_STEP_STRIDE) > 0;
    uint64_t key = 0;
    /* the items no merge separates yet (item, dim): their merge status waits for the windows */
    int late[SX_MAX_STATE_DIMS][2], nlate = 0;
    for (int i = 0; i < st->nf; i++) {
        const sx_dim *d = sx_d(sp, st->d[i]);
        bool above = !latest || (d->wmask & latest);
        /* a merge may cut a piece from it (now, after a shift or reverse, or after a stride) */
        int ms = merge_status(sp, st, d, s, shift_left, reverse_left);
        bool cut = ms < 2 ||
                   (stride_left && s->merge_left && above && d->kind != SX_UNFOLD && d->kind != SX_STRIDE &&
                    d->kind != SX_SPLIT && !(d->hi > smax));
        bool coef = !d->pvars && !(d->hi > umax);
        small |= cut || !(d->hi > pattern);
        window[0] |= s->unfold_left && (cut || coef);
        window[1] |= s->unfold_left && (cut || (coef && (s->weights_left || (d->wmask & latest))));
        bool viewable = view_expand && (d->kind == SX_MERGE_R || (tile && d->kind == SX_MERGE_L));
        if ((d->flags & SXF_DISCARD) && !(d->flags & SXF_COEF) && !viewable) {
            /* strided elements with a primary variable: separated by a merge
             * and both pieces dropped (3 steps at least) */
            if (!s->merge_left || guide) return SX_DIST_UNKNOWN;
            s->fixed_cost += 3;
            continue;
        }
        item *t = &s->it[s->n++];
        t->size = d->size;
        t->chain0 = d->height >= sp->spec->chain;
        t->discard = (d->flags & SXF_DISCARD) != 0;
        t->pvars = d->pvars;
        t->negvars = d->negvars;
        t->posvars = d->posvars;
        bool unfold = (d->flags & SXF_ODD) && s->unfold_left;
        bool ws_ok = d->dist_flags & SXD_WS_OK;
        if (d->kind == SX_REDUCE) {
            bool r1 = unfold && s->weights_left, r2 = s->weights_left >= 2 && ws_ok;
            t->cls = r1 && r2 ? A_RAW12 : r1 ? A_RAW1 : r2 ? A_RAW2 : A_NO;
        } else if (d->dist_flags & SXD_MERGE_PIECE) {
            t->cls = viewable ? A_EITHER : s->weights_left && (d->dist_flags & SXD_OUTER_OK) ? A_CONTRACT : A_NO;
        } else if (d->dist_flags & SXD_WS) {
            t->cls = unfold ? (ws_ok ? A_EITHER : A_UNFOLD) : s->weights_left && ws_ok ? A_CONTRACT : A_NO;
        } else {
            t->cls = unfold ? A_UNFOLD : A_NO;
        }
        if (t->discard) /* dropped alone: a view expand or an unfold window (or joined into a window) */
            t->cls = viewable ? A_VIEW : unfold ? A_UNFOLD : A_NO;
        if (t->chain0) /* no new dim on top of it: only a view expand takes it away */
            t->cls = viewable ? A_VIEW : A_NO;
        t->mstat = (uint8_t)ms;
        if (ms < 2) {
            key += item_key(d->size_key, t);
        } else {
            late[nlate][0] = s->n - 1;
            late[nlate++][1] = i;
        }
    }
    for (int j = 0; j < nlate; j++) {
        item *t = &s->it[late[j][0]];
        const sx_dim *d = sx_d(sp, st->d[late[j][1]]);
        t->mstat = (uint8_t)merge_status_windows(st, d, s, window);
        small |= t->mstat < 2;
        key += item_key(d->size_key, t);
    }
    s->join_sep &= small && !guide;
    key = syno_hash_mix(key ^ syno_hash_mix(0x9d2c5680ull + (uint64_t)s->fixed_cost + ((uint64_t)s->need_weight << 8) +
                              ((uint64_t)s->split_left << 10) + ((uint64_t)s->merge_left << 17) +
                              ((uint64_t)s->unfold_left << 24) + ((uint64_t)view_expand << 31) +
                              ((uint64_t)s->weights_left << 32) + ((uint64_t)s->wildcards << 40) +
                              ((uint64_t)s->join_sep << 48) + ((uint64_t)guide << 49)));
    *key_out = key;
    *cap_out = cap;
    return -1;
}

/* The distance of S (filled by prepare) with memo key KEY and cap CAP,
 * which the memo does not know: searched and memoised. */
static int search(solver *s, uint64_t key, int cap)
{
    syno_space *sp = s->sp;
    bool guide = s->guide;
    s->best = cap;
    for (int i = 1; i < s->n; i++) { /* a few items: insertion sort */
        item t = s->it[i];
        int j = i;
        for (; j > 0 && item_cmp(&s->it[j - 1], &t) > 0; j--) s->it[j] = s->it[j - 1];
        s->it[j] = t;
    }
    order_facts(s);
    /* at best every input axis opens a block of its own and every other dim
     * costs a step unless a contraction takes it (sd_dfs's bound at its root) */
    int spare = s->n - s->ndes - s->free_after[0];
    int root = s->fixed_cost + s->need_weight + (spare > 0 ? spare : 0);
    if (root >= cap) {
        memo_store(sp, key, (int32_t)(cap | (cap << 16)));
        return SX_DIST_UNKNOWN;
    }
    s->nodes = 0;
    partitions(s, 0);
    /* cut short: the root's bound (the guide's answer must be an assignment's cost: none) */
    int lo = s->nodes > NODE_BUDGET ? (guide ? cap : root) : s->best;
    memo_store(sp, key, (int32_t)(lo | (cap << 16)));
    return lo < cap ? lo : SX_DIST_UNKNOWN;
}

static int distance(syno_space *sp, const syno_pstate *st, bool guide)
{
    solver s;
    uint64_t key;
    int cap, a = prepare(&s, sp, st, guide, &key, &cap);
    if (a < 0) a = memo_lookup(sp, key, cap);
    return a >= 0 ? a : search(&s, key, cap);
}

/* The first half of sx_distance (GUIDE: of sx_guide_distance): the answer
 * when it needs no memo, else -1 with the memo key in *KEY and the cap in
 * *CAP, whose memo entry it starts loading. */
int sx_distance_begin(syno_space *sp, const syno_pstate *st, bool guide, uint64_t *key, int *cap)
{
    solver s;
    int a = prepare(&s, sp, st, guide, key, cap);
    if (a < 0) sx_memo_prefetch(&sx_loc(sp)->dist_memo, *key);
    return a;
}

/* The second half: the answer for ST, KEY and CAP from sx_distance_begin.
 * On a memo miss (about one call in twelve) the set-up is made again:
 * keeping each pending child's solver would cost more than that. */
int sx_distance_end(syno_space *sp, const syno_pstate *st, bool guide, uint64_t key, int cap)
{
    int a = memo_lookup(sp, key, cap);
    if (a >= 0) return a;
    solver s;
    prepare(&s, sp, st, guide, &key, &cap);
    return search(&s, key, cap);
}

/* The shape distance of ST (see the file comment), or SX_DIST_UNKNOWN when
 * it exceeds what the remaining depth allows. */
int sx_distance(syno_space *sp, const syno_pstate *st)
{
    return distance(sp, st, false);
}

/* The walks' guide: the same count over the usual shapes only (a dim joins
 * a block that has one of its primary variables, blocks of several axes
 * only where a dim holds them together), so never below sx_distance, and
 * not a bound: some operators are built in fewer steps.  Random walks
 * prefer children it admits (rollout.c); SX_DIST_UNKNOWN as above. */
int sx_guide_distance(syno_space *sp, const syno_pstate *st)
{
    return distance(sp, st, true);
}
