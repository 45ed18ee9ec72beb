/* flops_bound.c - a lower bound on the FLOPs of every final operator below
 * a partial one, and the pooling check (syno-internals §5.4, §4 rule 14).
 *
 * Think of evaluation as starting from the input (its elements, per layer)
 * and growing the working set with every unfold window and expand, and
 * shrinking it with every reduction.  A reduction can only be summed once
 * the windows and expands it lies below exist, and once every window and
 * expand that feeds a weight it shares an axis with exists (the stage that
 * multiplies by that weight iterates over all of the weight's axes).  So
 * when reduction r is summed, the working set is at least
 *     input * prod(increases r needs) / prod(reductions summed before r),
 * minimised over which other reductions go first (each brings the
 * increases it needs).  A reduction that shares an axis with a weight is
 * paid twice (a multiply and an add per point, in one stage or two, as the
 * staged plans count them).  A reduction that two weights share may be
 * summed in a stage of the two weights alone (a low-rank product formed
 * first): there the bound is also at most the points of the union of their
 * axes.  A reduction that needs only axes a weight produces (expanded by a
 * contraction) may be summed by a stage of the weights alone, before the
 * input joins: there the bound is only its own size.  Steps added below only add increases and dependencies, so the
 * bound never decreases along a path, and the FLOPs of the staged plans
 * (codegen/plan.h) are never below it (tests/unit/t_search checks both on
 * every final operator of its spaces). */
#include "search/engine.h"

#include <math.h>
#include <string.h>

#define MAXR 16
#define MAXI 24

typedef struct fb {
    syno_space *sp;
    uint32_t red[MAXR];
    int nred;
    uint32_t inc[MAXI];      /* the dim whose creation grows the working set */
    syno_size inc_size[MAXI];
    uint32_t inc_below[MAXI];/* reductions below the increase */
    uint32_t inc_w[MAXI];    /* weights whose share lies below it */
    uint32_t weight_made;    /* increases a weight produces (axes a contraction expands) */
    int ninc;
    double stride_div[SYNO_SPEC_MAX_LAYERS];
} fb;

static int red_index(fb *f, uint32_t id)
{
    for (int i = 0; i < f->nred; i++)
        if (f->red[i] == id) return i;
    if (f->nred == MAXR) return -1;
    f->red[f->nred] = id;
    return f->nred++;
}

/* Reductions below ID as a bitmask (registering new ones). */
static uint32_t reds_below(fb *f, uint32_t id)
{
    const sx_dim *d = sx_d(f->sp, id);
    switch ((sx_kind)d->kind) {
    case SX_ITER:
        return 0;
    case SX_REDUCE: {
        int k = red_index(f, id);
        return k < 0 ? 0 : 1u << k;
    }
    case SX_SPLIT:
    case SX_UNFOLD:
        return reds_below(f, (uint32_t)d->a) | reds_below(f, (uint32_t)d->b);
    default:
        return reds_below(f, (uint32_t)d->a);
    }
}

static void add_inc(fb *f, uint32_t id, syno_size size, uint32_t below)
{
    for (int i = 0; i < f->ninc; i++)
        if (f->inc[i] == id) return;
    if (f->ninc == MAXI) return;
    f->inc[f->ninc] = id;
    f->inc_size[f->ninc] = size;
    f->inc_below[f->ninc] = below;
    f->inc_w[f->ninc] = sx_d(f->sp, id)->wmask;
    f->ninc++;
}

/* Registers the increases (unfolds) and strides in the subgraph below ID. */
static void walk(fb *f, uint32_t id)
{
    const sx_dim *d = sx_d(f->sp, id);
    switch ((sx_kind)d->kind) {
    case SX_ITER:
    case SX_REDUCE:
        reds_below(f, id);
        return;
    case SX_UNFOLD:
        add_inc(f, id, sx_d(f->sp, (uint32_t)d->b)->size, reds_below(f, (uint32_t)d->b));
        walk(f, (uint32_t)d->a);
        walk(f, (uint32_t)d->b);
        return;
    case SX_SPLIT:
        walk(f, (uint32_t)d->a);
        walk(f, (uint32_t)d->b);
        return;
    case SX_STRIDE:
        for (int l = 0; l < f->sp->nlayers; l++) f->stride_div[l] *= sx_size_value(f->sp, d->param, l);
        walk(f, (uint32_t)d->a);
        return;
    case SX_MERGE_R: /* the left piece is walked through its own dim */
    default:
        walk(f, (uint32_t)d->a);
        return;
    }
}

/* Points of a stage holding weights W1 and W2 of ST alone under LAYER: the
 * product of the sizes of the indices of their axes (an axis is its share's
 * dim, below any other shares; indices both weights have count once). */
static double weight_union_points(syno_space *sp, const syno_pstate *st, int w1, int w2, int layer)
{
    uint32_t seen[64];
    int nseen = 0;
    double pts = 1;
    for (int i = st->nf + st->ne; i < st->nf + st->ne + st->nw; i++) {
        const sx_dim *w = sx_d(sp, st->d[i]);
        if (w->wid != w1 && w->wid != w2) continue;
        uint32_t base = sx_d(sp, (uint32_t)w->a)->base;
        bool dup = false;
        for (int k = 0; k < nseen && !dup; k++) dup = seen[k] == base;
        if (dup) continue;
        if (nseen < 64) seen[nseen++] = base;
        pts *= sx_size_value(sp, w->size, layer);
    }
    return pts;
}

/* The FLOPs lower bound of ST, summed over the layers (0 when nothing is
 * known yet). */
double sx_flops_bound(syno_space *sp, const syno_pstate *st)
{
    if (!isfinite(sp->flops_hi) || !st->normal) return 0;
    fb f;
    memset(&f, 0, sizeof f);
    f.sp = sp;
    for (int l = 0; l < sp->nlayers; l++) f.stride_div[l] = 1;
    int n = st->nf + st->ne + st->nw;
    for (int i = 0; i < n; i++) walk(&f, st->d[i]);
    for (int i = st->nf; i < st->nf + st->ne; i++) {
        add_inc(&f, st->d[i], sx_d(sp, st->d[i])->size, reds_below(&f, st->d[i]));
        for (int k = 0; k < f.ninc; k++)
            if (f.inc[k] == st->d[i] && sx_d(sp, st->d[i])->kind == SX_SHARE_L) f.weight_made |= 1u << k;
    }
    if (!f.nred) return 0;
    /* weights: the reductions sharing an axis with w need every increase above w's shares */
    uint32_t wred[SYNO_MAX_TENSORS] = {0};
    for (int i = st->nf + st->ne; i < n; i++) {
        const sx_dim *w = sx_d(sp, st->d[i]);
        wred[w->wid] |= reds_below(&f, (uint32_t)w->a);
    }
    int nw = st->nweights < SYNO_MAX_TENSORS - 1 ? st->nweights : SYNO_MAX_TENSORS - 1;
    uint32_t deps[MAXR] = {0};
    for (int r = 0; r < f.nred; r++)
        for (int i = 0; i < f.ninc; i++) {
            if (f.inc_below[i] & (1u << r)) deps[r] |= 1u << i;
            for (int w = 1; w <= st->nweights; w++)
                if ((wred[w] & (1u << r)) && (f.inc_w[i] & (1u << (w - 1)))) deps[r] |= 1u << i;
        }
    /* future strides could still shrink the input: by at most what the
     * allowances left can pay for (a factor charges |exponent| per variable) */
    int stride_lim = sp->limit[SYNO_STEP_STRIDE];
    bool more_strides = stride_lim < 0 || st->cnt[SYNO_STEP_STRIDE] < stride_lim;
    double total = 0;
    for (int l = 0; l < sp->nlayers; l++) {
        if (more_strides)
            for (int v = 0; v < sp->nvars; v++) {
                int left = sp->spec->allow[v] - st->use[v];
                double x = (double)sp->val[l][v];
                if (left > 0 && x > 0) f.stride_div[l] *= pow(x > 1 ? x : 1 / x, left);
            }
        double incv[MAXI], redv[MAXR];
        for (int i = 0; i < f.ninc; i++) incv[i] = sx_size_value(sp, f.inc_size[i], l);
        for (int r = 0; r < f.nred; r++) redv[r] = sx_size_value(sp, sx_d(sp, f.red[r])->size, l);
        double s0 = sp->in_numel_all[l] / f.stride_div[l], worst = 0;
        for (int r = 0; r < f.nred; r++) {
            /* reductions whose needs r brings anyway go first; others only if they pay off */
            uint32_t have = deps[r], before = 0;
            int others[MAXR], no = 0;
            for (int q = 0; q < f.nred; q++) {
                if (q == r) continue;
                if ((deps[q] & ~have) == 0) before |= 1u << q;
                else if (no < 6) others[no++] = q;
            }
            double best = INFINITY;
            for (int mask = 0; mask < (1 << no); mask++) {
                uint32_t h = have, b = before;
                for (int k = 0; k < no; k++)
                    if (mask & (1 << k)) h |= deps[others[k]], b |= 1u << others[k];
                double c = s0;
                for (int i = 0; i < f.ninc; i++)
                    if (h & (1u << i)) c *= incv[i];
                for (int q = 0; q < f.nred; q++)
                    if (b & (1u << q)) c /= redv[q];
                if (c < best) best = c;
            }
            int touching = 0;
            for (int w = 1; w <= nw; w++) touching += (wred[w] >> r) & 1;
            if (touching == 1) best *= 2;
            if (touching >= 2) { /* the two weights' own product may sum it */
                for (int w1 = 1; w1 <= nw; w1++)
                    for (int w2 = w1 + 1; w2 <= nw; w2++) {
                        if (!((wred[w1] >> r) & 1) || !((wred[w2] >> r) & 1)) continue;
                        double pts = weight_union_points(sp, st, w1, w2, l);
                        if (pts < best) best = pts;
                    }
            }
            if (deps[r] && !(deps[r] & ~f.weight_made) && redv[r] < best) {
                /* every increase it needs is an axis a weight produces: a stage of
                 * the weights alone may sum it before the input joins (a merge,
                 * reverse or shift can tie the sum to the input by a small factor
                 * only), iterating at least over the reduction */
                best = redv[r];
            }
            if (best > worst) worst = best;
        }
        total += worst;
    }
    return total;
}

/* Pooling: the product of the reductions that reach the input without
 * meeting a weight must stay within max_pooling (checked once no weight
 * can be added any more, and on final operators). */
bool sx_pooling_ok(syno_space *sp, const syno_pstate *st, bool final)
{
    (void)final;
    fb f;
    memset(&f, 0, sizeof f);
    f.sp = sp;
    int n = st->nf + st->ne + st->nw;
    uint32_t all = 0, shared = 0;
    for (int i = 0; i < n; i++) all |= reds_below(&f, st->d[i]);
    for (int i = st->nf + st->ne; i < n; i++) shared |= reds_below(&f, (uint32_t)sx_d(sp, st->d[i])->a);
    double prod = 1;
    for (int r = 0; r < f.nred; r++)
        if ((all & ~shared) & (1u << r)) prod *= sx_d(sp, f.red[r])->hi;
    return prod <= sp->spec->opt[SYNO_OPT_POOLING] * (1 + 1e-9);
}
