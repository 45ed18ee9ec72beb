/* randop.c - random valid operators (see randop.h).
 *
 * The generator keeps a pool of live dims: dims that are produced and not
 * yet consumed, each with its symbolic size and the set of tensors above it
 * (the same mask syno_op_finish derives).  Each step applies one primitive
 * to the pool, chosen at random among those whose preconditions hold, so
 * that the graph is valid by construction:
 *   - split only by a divisor that leaves a valid size (not 1, no primary
 *     in a denominator);
 *   - stride only on a fresh k² unfold window (a dilated window);
 *   - share only of two dims with disjoint tensor sets, a weight axis being
 *     created for the purpose (weight axes are never anything but share
 *     operands);
 *   - sum/mean only while another dim stays live for the output.
 * The number of nodes is exactly the drawn depth; when the remaining steps
 * are just enough to create the weights still missing, shares with new
 * weights are forced.  syno_op_finish then confirms validity and the
 * companion binding rejects graphs that do not divide under any small
 * binding or whose evaluation would be too large. */
#include "lang/randop.h"

#include <stdlib.h>
#include <string.h>

#define POOL_MAX 16

typedef struct live {
    int dim;
    syno_size size;
    uint32_t mask;
} live;

typedef struct gen {
    syno_op *op;
    syno_rng *r;
    const syno_randop_opts *o;
    int vN, vC, vH, vW, vk, vs, vg;
    live pool[POOL_MAX];
    int npool;
    int nweights, target_weights;
    int nodes, depth;
} gen;

enum action {
    ACT_SPLIT,
    ACT_MERGE,
    ACT_SHIFT,
    ACT_REVERSE,
    ACT_UNFOLD,
    ACT_DILATE,
    ACT_EXPAND,
    ACT_EXPAND_SHARE, /* share(expand(S), new weight axis): a weight-indexed output axis */
    ACT_SHARE_WEIGHT,
    ACT_CONTRACT,     /* sum(share(d, weight axis)): a contraction with a weight */
    ACT_SHARE_TWO,
    ACT_SUM,
    ACT_MEAN,
    ACT_COUNT
};

/* How often each action is drawn, relative to the others. */
static const int action_weight[ACT_COUNT] = {9, 5, 6, 3, 9, 3, 3, 8, 12, 12, 2, 8, 3};

/* Fills O with the defaults of randop.h. */
void syno_randop_defaults(syno_randop_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_depth = 4;
    o->max_depth = 12;
    o->min_weights = 1;
    o->max_weights = 3;
    o->max_out_rank = 6;
    o->max_terms = 2e5;
    o->max_tries = 2000;
}

/* Fills V with: size N, C, H, W; coef k = 3, s = 2, g = 2. */
void syno_randop_vars(syno_vars *v)
{
    static const struct {
        const char *name;
        syno_var_kind kind;
        int64_t value;
    } table[] = {{"N", SYNO_VAR_PRIMARY, 0}, {"C", SYNO_VAR_PRIMARY, 0}, {"H", SYNO_VAR_PRIMARY, 0},
                 {"W", SYNO_VAR_PRIMARY, 0}, {"k", SYNO_VAR_COEF, 3},    {"s", SYNO_VAR_COEF, 2},
                 {"g", SYNO_VAR_COEF, 2}};
    memset(v, 0, sizeof *v);
    for (size_t i = 0; i < SYNO_ARRAY_LEN(table); i++) {
        v->v[i].name = table[i].name;
        v->v[i].kind = table[i].kind;
        v->v[i].value = table[i].value;
    }
    v->n = (int)SYNO_ARRAY_LEN(table);
}

static int find_var(const syno_vars *vars, const char *name, syno_var_kind kind)
{
    int v = syno_vars_find(vars, name);
    SYNO_ASSERT(v >= 0 && vars->v[v].kind == kind);
    return v;
}

static bool allowed(const gen *g, syno_prim p)
{
    return !g->o->prims || (g->o->prims & (1u << p));
}

static int pick(gen *g, int n)
{
    return (int)syno_rng_below(g->r, (uint64_t)n);
}

static bool good_size(const gen *g, syno_size s)
{
    syno_size_kind k = syno_size_classify(g->op->vars, s);
    return k == SYNO_SIZE_COEF || k == SYNO_SIZE_GENERAL;
}

static void pool_remove(gen *g, int i)
{
    g->pool[i] = g->pool[--g->npool];
}

static void pool_add(gen *g, int dim, syno_size size, uint32_t mask)
{
    SYNO_ASSERT(g->npool < POOL_MAX);
    g->pool[g->npool++] = (live){dim, size, mask};
}

static int node(gen *g, syno_prim p, int a, int b, syno_size param, int64_t shift, int out[2])
{
    int in[2] = {a, b};
    out[0] = out[1] = -1;
    g->nodes++;
    return syno_op_add_node(g->op, p, in, NULL, param, shift, syno_range_make(0, 0), out);
}

/* Divisors R that split SIZE into two valid sizes. */
static int split_divisors(const gen *g, syno_size size, syno_size *cands)
{
    int vars[] = {g->vk, g->vs, g->vg, g->vN, g->vC, g->vH, g->vW};
    int n = 0;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(vars); i++) {
        syno_size r = syno_size_var(vars[i]), q;
        if (!syno_size_div(&q, size, r) || syno_size_is_one(q) || !good_size(g, q)) continue;
        cands[n++] = r;
    }
    return n;
}

static bool can_share(const gen *g, int i)
{
    if (g->nweights < g->target_weights) return true;
    for (int t = 1; t <= g->nweights; t++)
        if (!(g->pool[i].mask & (1u << t))) return true;
    return false;
}

/* A random live dim that some weight (old or new) can share with, data-side
 * dims three times as likely as others; -1 when there is none.  With
 * DRAW 0 it only says whether there is one. */
static int shareable(gen *g, int draw)
{
    int total = 0;
    for (int i = 0; i < g->npool; i++)
        if (can_share(g, i)) total += (g->pool[i].mask & 1u) ? 3 : 1;
    if (!total) return -1;
    if (!draw) return 0;
    int r = (int)syno_rng_below(g->r, (uint64_t)total);
    for (int i = 0; i < g->npool; i++) {
        if (!can_share(g, i)) continue;
        r -= (g->pool[i].mask & 1u) ? 3 : 1;
        if (r < 0) return i;
    }
    SYNO_UNREACHABLE();
}

static bool can_apply(gen *g, int act, int remaining, int need)
{
    bool grow = g->npool < g->o->max_out_rank;
    switch (act) {
    case ACT_SPLIT:
        if (!allowed(g, SYNO_PRIM_SPLIT) || !grow) return false;
        for (int i = 0; i < g->npool; i++) {
            syno_size c[8];
            if (split_divisors(g, g->pool[i].size, c)) return true;
        }
        return false;
    case ACT_MERGE:
        return allowed(g, SYNO_PRIM_MERGE) && g->npool >= 2;
    case ACT_SHIFT:
        return allowed(g, SYNO_PRIM_SHIFT);
    case ACT_REVERSE:
        return allowed(g, SYNO_PRIM_REVERSE);
    case ACT_UNFOLD:
        return allowed(g, SYNO_PRIM_UNFOLD) && grow;
    case ACT_DILATE:
        return allowed(g, SYNO_PRIM_UNFOLD) && allowed(g, SYNO_PRIM_STRIDE) && grow && remaining - 2 >= need;
    case ACT_EXPAND:
        return allowed(g, SYNO_PRIM_EXPAND) && grow;
    case ACT_EXPAND_SHARE:
        return allowed(g, SYNO_PRIM_EXPAND) && allowed(g, SYNO_PRIM_SHARE) && grow && remaining - 2 >= need &&
               (g->nweights > 0 || g->target_weights > 0);
    case ACT_SHARE_WEIGHT:
        return allowed(g, SYNO_PRIM_SHARE) && shareable(g, 0) >= 0;
    case ACT_CONTRACT:
        return allowed(g, SYNO_PRIM_SHARE) && allowed(g, SYNO_PRIM_SUM) && g->npool >= 2 && remaining - 2 >= need &&
               shareable(g, 0) >= 0;
    case ACT_SHARE_TWO:
        if (!allowed(g, SYNO_PRIM_SHARE)) return false;
        for (int i = 0; i < g->npool; i++)
            for (int j = i + 1; j < g->npool; j++)
                if (!(g->pool[i].mask & g->pool[j].mask) && syno_size_eq(g->pool[i].size, g->pool[j].size))
                    return true;
        return false;
    case ACT_SUM:
        return allowed(g, SYNO_PRIM_SUM) && g->npool >= 2;
    case ACT_MEAN:
        return allowed(g, SYNO_PRIM_MEAN) && g->npool >= 2;
    }
    return false;
}

/* Adds a new axis of SIZE to weight T (creating the weight when T is one
 * past the last) and returns its dim. */
static int weight_axis(gen *g, int t, syno_size size)
{
    syno_op *op = g->op;
    if (t > g->nweights) {
        SYNO_ASSERT(t == g->nweights + 1 && t < SYNO_MAX_TENSORS);
        char *name = syno_arena_printf(op->arena, "w%c", 'a' + (t - 1));
        int ti = syno_op_add_tensor(op, name, syno_range_make(0, 0));
        SYNO_ASSERT(ti == t);
        g->nweights++;
    }
    const syno_tensor *w = &op->tensors[t];
    char *an = syno_arena_printf(op->arena, "%s%d", w->name, w->rank);
    return syno_op_add_axis(op, t, size, an, syno_range_make(0, 0));
}

static void share_with_weight(gen *g, int i, bool force_new)
{
    int cands[SYNO_MAX_TENSORS], n = 0;
    if (!force_new)
        for (int t = 1; t <= g->nweights; t++)
            if (!(g->pool[i].mask & (1u << t))) cands[n++] = t;
    if (g->nweights < g->target_weights && (force_new || n == 0 || pick(g, 3) == 0)) cands[n++] = g->nweights + 1;
    SYNO_ASSERT(n > 0);
    int t = cands[pick(g, n)];
    live l = g->pool[i];
    int wd = weight_axis(g, t, l.size);
    int out[2];
    /* Either operand order is valid; vary it. */
    if (pick(g, 2)) node(g, SYNO_PRIM_SHARE, l.dim, wd, syno_size_one(), 1, out);
    else node(g, SYNO_PRIM_SHARE, wd, l.dim, syno_size_one(), 1, out);
    pool_remove(g, i);
    pool_add(g, out[0], l.size, l.mask | (1u << t));
}

static void apply(gen *g, int act)
{
    int out[2];
    int i = pick(g, g->npool);
    live l = g->pool[i];
    switch (act) {
    case ACT_SPLIT: {
        syno_size c[8];
        int n;
        while (!(n = split_divisors(g, g->pool[i].size, c))) i = pick(g, g->npool);
        l = g->pool[i];
        syno_size r = c[pick(g, n)], q;
        syno_size_div(&q, l.size, r);
        node(g, SYNO_PRIM_SPLIT, l.dim, -1, r, 1, out);
        pool_remove(g, i);
        pool_add(g, out[0], q, l.mask);
        pool_add(g, out[1], r, l.mask);
        break;
    }
    case ACT_MERGE: {
        int j;
        do j = pick(g, g->npool);
        while (j == i);
        live m = g->pool[j];
        syno_size y;
        SYNO_ASSERT(syno_size_mul(&y, l.size, m.size));
        node(g, SYNO_PRIM_MERGE, l.dim, m.dim, syno_size_one(), 1, out);
        pool_remove(g, i > j ? i : j);
        pool_remove(g, i > j ? j : i);
        pool_add(g, out[0], y, l.mask | m.mask);
        break;
    }
    case ACT_SHIFT: {
        static const int64_t d[] = {-2, -1, 1, 2};
        node(g, SYNO_PRIM_SHIFT, l.dim, -1, syno_size_one(), d[pick(g, 4)], out);
        g->pool[i].dim = out[0];
        break;
    }
    case ACT_REVERSE:
        node(g, SYNO_PRIM_REVERSE, l.dim, -1, syno_size_one(), 1, out);
        g->pool[i].dim = out[0];
        break;
    case ACT_UNFOLD: {
        syno_size k = syno_size_var(g->vk);
        node(g, SYNO_PRIM_UNFOLD, l.dim, -1, k, 1, out);
        g->pool[i].dim = out[0];
        pool_add(g, out[1], k, l.mask);
        break;
    }
    case ACT_DILATE: {
        syno_size k = syno_size_var(g->vk), k2;
        syno_size_mul(&k2, k, k);
        node(g, SYNO_PRIM_UNFOLD, l.dim, -1, k2, 1, out);
        g->pool[i].dim = out[0];
        int win = out[1];
        node(g, SYNO_PRIM_STRIDE, win, -1, k, 1, out);
        pool_add(g, out[0], k, l.mask);
        break;
    }
    case ACT_EXPAND: {
        syno_size opts[6] = {syno_size_var(g->vC), syno_size_var(g->vk), syno_size_var(g->vs), syno_size_var(g->vg),
                             syno_size_var(g->vH), syno_size_one()};
        syno_size_div(&opts[5], syno_size_var(g->vC), syno_size_var(g->vg));
        syno_size s = opts[pick(g, 6)];
        node(g, SYNO_PRIM_EXPAND, -1, -1, s, 1, out);
        pool_add(g, out[0], s, 0);
        break;
    }
    case ACT_EXPAND_SHARE: {
        syno_size opts[3] = {syno_size_var(g->vC), syno_size_var(g->vk), syno_size_one()};
        syno_size_div(&opts[2], syno_size_var(g->vC), syno_size_var(g->vg));
        syno_size s = opts[pick(g, 3)];
        node(g, SYNO_PRIM_EXPAND, -1, -1, s, 1, out);
        pool_add(g, out[0], s, 0);
        share_with_weight(g, g->npool - 1, false);
        break;
    }
    case ACT_SHARE_WEIGHT:
        share_with_weight(g, shareable(g, 1), false);
        break;
    case ACT_CONTRACT:
        share_with_weight(g, shareable(g, 1), false);
        node(g, SYNO_PRIM_SUM, g->pool[g->npool - 1].dim, -1, syno_size_one(), 1, out);
        pool_remove(g, g->npool - 1);
        break;
    case ACT_SHARE_TWO: {
        int pi[POOL_MAX * POOL_MAX], pj[POOL_MAX * POOL_MAX], n = 0;
        for (int a = 0; a < g->npool; a++)
            for (int b = a + 1; b < g->npool; b++)
                if (!(g->pool[a].mask & g->pool[b].mask) && syno_size_eq(g->pool[a].size, g->pool[b].size))
                    pi[n] = a, pj[n++] = b;
        int c = pick(g, n);
        live a = g->pool[pi[c]], b = g->pool[pj[c]];
        node(g, SYNO_PRIM_SHARE, a.dim, b.dim, syno_size_one(), 1, out);
        pool_remove(g, pj[c]); /* pj > pi: remove the later one first */
        pool_remove(g, pi[c]);
        pool_add(g, out[0], a.size, a.mask | b.mask);
        break;
    }
    case ACT_SUM:
    case ACT_MEAN:
        node(g, act == ACT_SUM ? SYNO_PRIM_SUM : SYNO_PRIM_MEAN, l.dim, -1, syno_size_one(), 1, out);
        pool_remove(g, i);
        break;
    }
}

static void add_input(gen *g)
{
    static const char *names[4] = {"n", "c", "h", "w"};
    int vars[4] = {g->vN, g->vC, g->vH, g->vW};
    unsigned axes = 15;
    if (pick(g, 5) < 2) /* 40%: a non-empty subset of N, C, H, W */
        do axes = (unsigned)pick(g, 16);
        while (!axes);
    int x = syno_op_add_tensor(g->op, "x", syno_range_make(0, 0));
    for (int a = 0; a < 4; a++) {
        if (!(axes & (1u << a))) continue;
        syno_size s = syno_size_var(vars[a]);
        pool_add(g, syno_op_add_axis(g->op, x, s, names[a], syno_range_make(0, 0)), s, 1u);
    }
}

static void build(gen *g)
{
    const syno_randop_opts *o = g->o;
    g->depth = o->min_depth + pick(g, o->max_depth - o->min_depth + 1);
    g->target_weights = o->min_weights + pick(g, o->max_weights - o->min_weights + 1);
    if (g->target_weights > g->depth) g->target_weights = g->depth;
    add_input(g);
    while (g->nodes < g->depth) {
        int remaining = g->depth - g->nodes;
        int need = g->target_weights - g->nweights;
        if (need > 0 && remaining <= need) {
            share_with_weight(g, pick(g, g->npool), true);
            continue;
        }
        int total = 0, w[ACT_COUNT];
        for (int a = 0; a < ACT_COUNT; a++) {
            w[a] = can_apply(g, a, remaining, need) ? action_weight[a] : 0;
            total += w[a];
        }
        if (!total) break; /* nothing applies (a tight prims mask): stop short */
        int r = pick(g, total), a = 0;
        while (r >= w[a]) r -= w[a++];
        apply(g, a);
    }
    /* Whatever is live is the output, in a random order. */
    for (int i = g->npool - 1; i > 0; i--) {
        int j = pick(g, i + 1);
        live t = g->pool[i];
        g->pool[i] = g->pool[j];
        g->pool[j] = t;
    }
    for (int i = 0; i < g->npool; i++)
        syno_op_add_output(g->op, g->pool[i].dim, syno_range_make(0, 0), NULL, syno_range_make(0, 0));
}

/* Builds a random operator; see randop.h. */
syno_op *syno_randop(syno_arena *a, const syno_vars *vars, syno_diags *d, syno_rng *r, const syno_randop_opts *o,
                     syno_binding *b, syno_randop_stats *stats)
{
    syno_randop_opts defaults;
    if (!o) {
        syno_randop_defaults(&defaults);
        o = &defaults;
    }
    SYNO_ASSERT(o->min_depth >= 1 && o->max_depth >= o->min_depth);
    SYNO_ASSERT(o->min_weights >= 0 && o->max_weights >= o->min_weights && o->max_weights < SYNO_MAX_TENSORS);
    SYNO_ASSERT(o->max_out_rank >= 1 && o->max_out_rank <= POOL_MAX - 2);
    for (int attempt = 0; attempt < o->max_tries; attempt++) {
        syno_arena_mark mark = syno_arena_get_mark(a);
        gen g;
        memset(&g, 0, sizeof g);
        g.r = r;
        g.o = o;
        g.vN = find_var(vars, "N", SYNO_VAR_PRIMARY);
        g.vC = find_var(vars, "C", SYNO_VAR_PRIMARY);
        g.vH = find_var(vars, "H", SYNO_VAR_PRIMARY);
        g.vW = find_var(vars, "W", SYNO_VAR_PRIMARY);
        g.vk = find_var(vars, "k", SYNO_VAR_COEF);
        g.vs = find_var(vars, "s", SYNO_VAR_COEF);
        g.vg = find_var(vars, "g", SYNO_VAR_COEF);
        g.op = syno_op_new(a, vars, d, "randop", syno_range_make(0, 0));
        build(&g);
        if (stats) stats->tries++;
        if (g.npool > o->max_out_rank) { /* only when the input alone has more axes */
            syno_arena_reset(a, mark);
            continue;
        }
        if (!syno_op_finish(g.op)) return NULL; /* a generator bug: the errors are in D */
        if (g.nweights >= o->min_weights && syno_randop_bind(g.op, o, b)) return g.op;
        if (stats) stats->rejected_binding++;
        syno_arena_reset(a, mark);
    }
    return NULL;
}

/* The small bindings tried, in order: (N, C, H, W).  Every value is at
 * least 2 so that the binding can be written as a bind block. */
static const int64_t bindings[][4] = {
    {2, 4, 4, 4}, {2, 6, 6, 6}, {2, 4, 6, 4},  {2, 8, 4, 8},   {2, 6, 9, 6},   {2, 12, 6, 6},
    {2, 8, 8, 8}, {2, 9, 9, 9}, {2, 12, 12, 6}, {2, 4, 18, 9}, {2, 18, 6, 12}, {2, 12, 12, 12},
};

/* Fills B with the first small binding under which OP evaluates within
 * the work bound; see randop.h. */
bool syno_randop_bind(const syno_op *op, const syno_randop_opts *o, syno_binding *b)
{
    syno_randop_opts defaults;
    if (!o) {
        syno_randop_defaults(&defaults);
        o = &defaults;
    }
    const char *names[4] = {"N", "C", "H", "W"};
    int64_t *sizes = syno_xmalloc((size_t)(op->ndims + 1) * sizeof *sizes);
    bool found = false;
    for (size_t c = 0; c < SYNO_ARRAY_LEN(bindings) && !found; c++) {
        syno_binding_defaults(op->vars, b);
        b->name = NULL;
        for (int i = 0; i < 4; i++) {
            int v = syno_vars_find(op->vars, names[i]);
            if (v >= 0) b->val[v] = bindings[c][i];
        }
        if (!syno_op_eval_sizes(op, b, sizes)) continue;
        bool ok = true;
        double terms = 1;
        for (int i = 0; i < op->nout; i++) terms *= (double)sizes[op->out[i]];
        for (int k = 0; k < op->nnodes && ok; k++) {
            const syno_node *n = &op->nodes[k];
            if (n->prim == SYNO_PRIM_SUM || n->prim == SYNO_PRIM_MEAN) terms *= (double)sizes[n->in[0]];
            if (n->prim == SYNO_PRIM_UNFOLD) ok = sizes[n->out[1]] % 2 == 1;
        }
        for (int t = 0; t < op->ntensors && ok; t++) {
            double numel = 1;
            for (int a = 0; a < op->tensors[t].rank; a++) numel *= (double)sizes[op->tensors[t].axes[a]];
            ok = numel <= o->max_terms;
        }
        found = ok && terms <= o->max_terms;
    }
    free(sizes);
    return found;
}
