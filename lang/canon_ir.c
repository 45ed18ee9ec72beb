/* canon_ir.c - the canonical rewriter's graph: building it from a syno_op,
 * and the editing primitives the rules use.
 *
 * Building folds every share tree into attachments: the tree's leaves are
 * weight axes (attached to the dim that carries the shared index), expands
 * (dropped: an expand in a share indexes nothing), and at most one "data"
 * leaf, which then stands for the tree's result.  With no data leaf the tree
 * is an expand with attachments; with several it is a DIAG node.  Sizes are
 * re-expressed over the used variables sorted by name (primaries first), so
 * nothing downstream depends on the order the source declared them in.
 * Weight axes become "waxes"; every change to a weight's axes (a split, a
 * fusion, a permutation, an affine re-indexing) is recorded as a step. */
#include "base/hash.h"
#include "lang/canon_int.h"

#include <stdlib.h>
#include <string.h>

static void *grow(syno_arena *a, void *old, int n, int *cap, size_t elem)
{
    if (n < *cap) return old;
    int ncap = *cap ? *cap * 2 : 16;
    void *p = syno_arena_alloc(a, (size_t)ncap * elem);
    if (n) memcpy(p, old, (size_t)n * elem);
    *cap = ncap;
    return p;
}

/* ---- editing primitives -------------------------------------------------- */

/* Adds a dim of SIZE with no producer or consumer; returns its index. */
int cn_new_dim(cn_ir *ir, syno_size size)
{
    ir->dims = grow(ir->a, ir->dims, ir->ndims, &ir->capdims, sizeof *ir->dims);
    cn_dim *d = &ir->dims[ir->ndims];
    memset(d, 0, sizeof *d);
    d->size = size;
    d->src = d->dst = CN_NONE;
    d->input = -1;
    d->att = -1;
    return ir->ndims++;
}

/* Adds a node of KIND with NIN operand and NOUT result slots (all -1). */
int cn_new_node(cn_ir *ir, int kind, int nin, int nout)
{
    ir->nodes = grow(ir->a, ir->nodes, ir->nnodes, &ir->capnodes, sizeof *ir->nodes);
    cn_node *n = &ir->nodes[ir->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->nin = nin;
    n->nout = nout;
    n->in = nin ? SYNO_NEW_ARRAY(ir->a, int, nin) : NULL;
    n->out = nout ? SYNO_NEW_ARRAY(ir->a, int, nout) : NULL;
    for (int i = 0; i < nin; i++) n->in[i] = -1;
    for (int i = 0; i < nout; i++) n->out[i] = -1;
    n->param = syno_size_one();
    n->sgn = 1;
    return ir->nnodes++;
}

/* Makes DIM operand SLOT of NODE. */
void cn_set_in(cn_ir *ir, int node, int slot, int dim)
{
    ir->nodes[node].in[slot] = dim;
    ir->dims[dim].dst = node;
    ir->dims[dim].dst_slot = slot;
}

/* Makes DIM result SLOT of NODE. */
void cn_set_out(cn_ir *ir, int node, int slot, int dim)
{
    ir->nodes[node].out[slot] = dim;
    ir->dims[dim].src = node;
    ir->dims[dim].src_slot = slot;
}

/* Marks NODE dead; its dims are the caller's business. */
void cn_kill_node(cn_ir *ir, int node)
{
    ir->nodes[node].dead = true;
}

/* Attaches wax W to DIM. */
void cn_attach(cn_ir *ir, int w, int dim)
{
    ir->wax[w].dim = dim;
    ir->wax[w].next = ir->dims[dim].att;
    ir->dims[dim].att = w;
}

/* Detaches every wax of DIM, storing them into WAXES (when not NULL) and
 * their number into N. */
void cn_detach_all(cn_ir *ir, int dim, int *waxes, int *n)
{
    int k = 0;
    for (int w = ir->dims[dim].att; w >= 0;) {
        int next = ir->wax[w].next;
        if (waxes) waxes[k] = w;
        k++;
        ir->wax[w].dim = -1;
        ir->wax[w].next = -1;
        w = next;
    }
    ir->dims[dim].att = -1;
    if (n) *n = k;
}

/* "FROM is the same index as TO": TO takes over FROM's consumer (or output
 * position) and attachments, and FROM dies.  TO's own consumer must already
 * be gone. */
void cn_forward(cn_ir *ir, int from, int to)
{
    cn_dim *f = &ir->dims[from], *t = &ir->dims[to];
    SYNO_ASSERT(from != to);
    t->dst = f->dst;
    t->dst_slot = f->dst_slot;
    if (f->dst >= 0) ir->nodes[f->dst].in[f->dst_slot] = to;
    else if (f->dst == CN_OUT) ir->outs[f->dst_slot] = to;
    t->uout = f->uout;
    while (f->att >= 0) {
        int w = f->att;
        f->att = ir->wax[w].next;
        cn_attach(ir, w, to);
    }
    f->dead = true;
    f->dst = CN_NONE;
}

/* The wax of WEIGHT attached to DIM, or -1. */
int cn_find_att(const cn_ir *ir, int dim, int weight)
{
    for (int w = ir->dims[dim].att; w >= 0; w = ir->wax[w].next)
        if (ir->wax[w].weight == weight) return w;
    return -1;
}

/* Bit t set for each weight t attached to DIM. */
uint32_t cn_att_mask(const cn_ir *ir, int dim)
{
    uint32_t m = 0;
    for (int w = ir->dims[dim].att; w >= 0; w = ir->wax[w].next) m |= 1u << ir->wax[w].weight;
    return m;
}

/* Position of wax W in its weight's current axis list. */
static int wax_pos(const cn_ir *ir, int w)
{
    const cn_weight *wt = &ir->weights[ir->wax[w].weight];
    for (int i = 0; i < wt->n; i++)
        if (wt->axes[i] == w) return i;
    SYNO_UNREACHABLE();
}

static int new_wax(cn_ir *ir, syno_size size, int weight, uint32_t orig)
{
    ir->wax = grow(ir->a, ir->wax, ir->nwax, &ir->capwax, sizeof *ir->wax);
    cn_wax *w = &ir->wax[ir->nwax];
    memset(w, 0, sizeof *w);
    w->size = size;
    w->weight = weight;
    w->dim = -1;
    w->next = -1;
    w->orig = orig;
    return ir->nwax++;
}

static cn_step *add_step(cn_ir *ir, int weight, int kind)
{
    cn_weight *wt = &ir->weights[weight];
    wt->steps = grow(ir->a, wt->steps, wt->nsteps, &wt->capsteps, sizeof *wt->steps);
    cn_step *s = &wt->steps[wt->nsteps++];
    memset(s, 0, sizeof *s);
    s->kind = (uint8_t)kind;
    return s;
}

/* Replaces wax W (detached) by K pieces of SIZES, most significant first,
 * stored into PIECES (detached).  Returns K. */
int cn_split_wax(cn_ir *ir, int w, int k, const syno_size *sizes, int *pieces)
{
    SYNO_ASSERT(k >= 2 && ir->wax[w].dim < 0);
    int weight = ir->wax[w].weight;
    cn_weight *wt = &ir->weights[weight];
    int pos = wax_pos(ir, w);
    for (int i = 0; i < k; i++) pieces[i] = new_wax(ir, sizes[i], weight, ir->wax[w].orig);
    int *axes = wt->axes;
    if (wt->n + k - 1 > wt->cap) {
        wt->cap = 2 * (wt->n + k);
        axes = SYNO_NEW_ARRAY(ir->a, int, wt->cap);
        memcpy(axes, wt->axes, (size_t)wt->n * sizeof *axes);
    }
    memmove(axes + pos + k, axes + pos + 1, (size_t)(wt->n - pos - 1) * sizeof *axes);
    memcpy(axes + pos, pieces, (size_t)k * sizeof *axes);
    wt->axes = axes;
    wt->n += k - 1;
    ir->wax[w].dead = true;
    if (ir->steps) {
        cn_step *s = add_step(ir, weight, SYNO_WSTEP_SPLIT);
        s->pos = pos;
        s->count = k;
        s->sizes = syno_arena_dup(ir->a, sizes, (size_t)k * sizeof *sizes);
    }
    return k;
}

/* Fuses the K detached waxes WAXES (one weight; most significant first)
 * into one new detached wax, which it returns: their axes are brought
 * together (a permutation step, when they are not already adjacent and in
 * order) and merged (a reshape step). */
int cn_fuse_waxes(cn_ir *ir, const int *waxes, int k)
{
    SYNO_ASSERT(k >= 2);
    int weight = ir->wax[waxes[0]].weight;
    cn_weight *wt = &ir->weights[weight];
    int p = wt->n;
    for (int i = 0; i < k; i++) {
        int q = wax_pos(ir, waxes[i]);
        if (q < p) p = q;
        ir->wax[waxes[i]].scratch = 1;
    }
    int *na = SYNO_NEW_ARRAY(ir->a, int, wt->cap > wt->n ? wt->cap : wt->n);
    int m = 0;
    for (int i = 0; i < p; i++) na[m++] = wt->axes[i];
    for (int i = 0; i < k; i++) na[m++] = waxes[i];
    for (int i = p; i < wt->n; i++)
        if (!ir->wax[wt->axes[i]].scratch) na[m++] = wt->axes[i];
    SYNO_ASSERT(m == wt->n);
    bool moved = memcmp(na, wt->axes, (size_t)m * sizeof *na) != 0;
    if (moved && ir->steps) {
        cn_step *s = add_step(ir, weight, SYNO_WSTEP_PERMUTE);
        s->count = m;
        s->perm = SYNO_NEW_ARRAY(ir->a, int, m);
        for (int j = 0; j < m; j++) {
            int old = 0;
            while (wt->axes[old] != na[j]) old++;
            s->perm[j] = old;
        }
    }
    syno_size size = syno_size_one();
    uint32_t orig = 0;
    for (int i = 0; i < k; i++) {
        SYNO_ASSERT(syno_size_mul(&size, size, ir->wax[waxes[i]].size));
        orig |= ir->wax[waxes[i]].orig;
        ir->wax[waxes[i]].scratch = 0;
        ir->wax[waxes[i]].dead = true;
    }
    int nw = new_wax(ir, size, weight, orig);
    na[p] = nw;
    memmove(na + p + 1, na + p + k, (size_t)(m - p - k) * sizeof *na);
    wt->axes = na;
    wt->n = m - k + 1;
    if (ir->steps) {
        cn_step *s = add_step(ir, weight, SYNO_WSTEP_MERGE);
        s->pos = p;
        s->count = k;
    }
    return nw;
}

/* Records that wax W is re-indexed: new[i] = old[(sgn*i + off) mod n]. */
void cn_affine_wax(cn_ir *ir, int w, int sgn, int64_t off)
{
    if (sgn == 1 && off == 0) return;
    if (!ir->steps) return;
    cn_step *s = add_step(ir, ir->wax[w].weight, SYNO_WSTEP_AFFINE);
    s->pos = wax_pos(ir, w);
    s->sgn = sgn;
    s->off = off;
}

static bool has_negative(const cn_ir *ir, syno_size s)
{
    for (int i = 0; i < ir->vars.n; i++)
        if (s.e[i] < 0) return true;
    return false;
}

/* Can R (exponents) be brought to all >= 0 by dividing it by at most DEPTH
 * of the known integers K?  (R = k1 * k2 * ... * m with m a product of
 * variables is then an integer.) */
static bool reach(const cn_ir *ir, syno_size r, const syno_size *k, int nk, int depth)
{
    int v = -1;
    for (int i = 0; i < ir->vars.n && v < 0; i++)
        if (r.e[i] < 0) v = i;
    if (v < 0) return true;
    if (depth == 0) return false;
    for (int i = 0; i < nk; i++) {
        if (k[i].e[v] >= 0) continue;
        syno_size q;
        if (syno_size_div(&q, r, k[i]) && reach(ir, q, k, nk, depth - 1)) return true;
    }
    return false;
}

/* True when S is an integer wherever the op is valid: a product of sizes
 * known to be integers (those of the original op's dims and of the IR's
 * live dims, which are built from them by products and checked
 * refinements) and of variables with non-negative exponents.  Products
 * matter: the text of a normal form names products of its digits (the
 * links of a split chain), so judging from products keeps what is proven
 * the same when the canonical text is read back. */
bool cn_is_safe(const cn_ir *ir, syno_size s)
{
    if (!has_negative(ir, s)) return true;
    syno_size k[128];
    int nk = 0;
    for (int i = 0; i < ir->nsafe + ir->ndims && nk < 128; i++) {
        syno_size x;
        if (i < ir->nsafe) x = ir->safe[i];
        else if (!ir->dims[i - ir->nsafe].dead) x = ir->dims[i - ir->nsafe].size;
        else continue;
        if (syno_size_eq(x, s)) return true;
        if (!has_negative(ir, x)) continue;
        bool dup = false;
        for (int j = 0; j < nk && !dup; j++) dup = syno_size_eq(k[j], x);
        if (!dup) k[nk++] = x;
    }
    return reach(ir, s, k, nk, 6);
}

/* MurmurHash3's finaliser, not a copy of base/hash.h's mixer: size hashes
 * are part of the colours of canon_label.c, which choose stored canonical
 * texts (see there).  Never change it. */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* A hash of size S that depends on variable names, kinds and default
 * values only (not on declaration order). */
uint64_t cn_size_hash(const cn_ir *ir, syno_size s)
{
    uint64_t h = 0x5eed5eed5eedull;
    for (int i = 0; i < ir->vars.n; i++)
        if (s.e[i]) h = mix64(h ^ (ir->varhash[i] + (uint64_t)(int64_t)s.e[i] * 0x9e3779b97f4a7c15ull));
    return h;
}

/* ---- building ------------------------------------------------------------ */

static int cmp_var(const syno_var *a, const syno_var *b)
{
    if (a->kind != b->kind) return a->kind == SYNO_VAR_PRIMARY ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void setup_vars(cn_ir *ir, const syno_op *op, int *to_ir)
{
    bool used[SYNO_MAX_VARS] = {false};
    for (int d = 0; d < op->ndims; d++)
        for (int v = 0; v < op->vars->n; v++) used[v] |= op->dims[d].size.e[v] != 0;
    int order[SYNO_MAX_VARS], n = 0;
    for (int v = 0; v < op->vars->n; v++)
        if (used[v]) {
            int j = n++;
            while (j > 0 && cmp_var(&op->vars->v[v], &op->vars->v[order[j - 1]]) < 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = v;
        }
    memset(&ir->vars, 0, sizeof ir->vars);
    for (int v = 0; v < SYNO_MAX_VARS; v++) to_ir[v] = -1;
    for (int i = 0; i < n; i++) {
        const syno_var *v = &op->vars->v[order[i]];
        ir->vars.v[i] = *v;
        ir->vars.v[i].range = syno_range_make(0, 0);
        ir->var_from[i] = order[i];
        to_ir[order[i]] = i;
        uint64_t h = syno_hash_fnv1a(SYNO_HASH_FNV_INIT, v->name, strlen(v->name));
        ir->varhash[i] = mix64(h ^ ((uint64_t)v->kind << 60) ^ (uint64_t)v->value);
    }
    ir->vars.n = n;
}

static syno_size to_ir_size(const int *to_ir, syno_size s)
{
    syno_size r = syno_size_one();
    for (int v = 0; v < SYNO_MAX_VARS; v++)
        if (s.e[v]) r.e[to_ir[v]] = s.e[v];
    return r;
}

typedef struct builder {
    cn_ir *ir;
    const syno_op *op;
    int *map;           /* syno dim -> IR dim */
    int *attach_to;     /* weight axis syno dim -> IR dim it is attached to */
    bool *skip;         /* syno nodes folded into share groups */
    int *data, *wts;    /* scratch: the leaves of one share tree */
    int to_ir[SYNO_MAX_VARS];
    int nvars;
} builder;

/* to_ir_size for the sizes of OP's dims, which only use OP's variables. */
static syno_size dim_size(const builder *b, int d)
{
    syno_size r = syno_size_one();
    const syno_size *s = &b->op->dims[d].size;
    for (int v = 0; v < b->nvars; v++)
        if (s->e[v]) r.e[b->to_ir[v]] = s->e[v];
    return r;
}

static int irdim(builder *b, int d)
{
    if (b->map[d] < 0) b->map[d] = cn_new_dim(b->ir, dim_size(b, d));
    return b->map[d];
}

static bool is_share_out(const syno_op *op, int d)
{
    return d >= 0 && op->dims[d].src >= 0 && op->nodes[op->dims[d].src].prim == SYNO_PRIM_SHARE;
}

/* Collects the leaves of the share tree rooted at node K. */
static void leaves(builder *b, int k, int *data, int *ndata, int *wts, int *nw)
{
    const syno_op *op = b->op;
    b->skip[k] = true;
    for (int i = 0; i < 2; i++) {
        int d = op->nodes[k].in[i];
        if (is_share_out(op, d)) {
            leaves(b, op->dims[d].src, data, ndata, wts, nw);
        } else if (op->dims[d].tensor > 0) {
            wts[(*nw)++] = d;
        } else if (op->dims[d].src >= 0 && op->nodes[op->dims[d].src].prim == SYNO_PRIM_EXPAND) {
            b->skip[op->dims[d].src] = true; /* an expand in a share indexes nothing */
        } else {
            data[(*ndata)++] = d;
        }
    }
}

static bool fail(cn_ir *ir, const char *why)
{
    ir->err = why;
    return false;
}

static void share_group(builder *b, int k)
{
    const syno_op *op = b->op;
    cn_ir *ir = b->ir;
    int *data = b->data, *wts = b->wts;
    int ndata = 0, nw = 0;
    leaves(b, k, data, &ndata, wts, &nw);
    int root = op->nodes[k].out[0];
    int at;
    if (ndata == 1) {
        at = irdim(b, data[0]);
        b->map[root] = at;
    } else if (ndata == 0) {
        int e = cn_new_node(ir, CN_EXPAND, 0, 1);
        at = irdim(b, root);
        cn_set_out(ir, e, 0, at);
    } else {
        int g = cn_new_node(ir, CN_DIAG, ndata, 1);
        for (int i = 0; i < ndata; i++) cn_set_in(ir, g, i, irdim(b, data[i]));
        at = irdim(b, root);
        cn_set_out(ir, g, 0, at);
    }
    for (int i = 0; i < nw; i++) b->attach_to[wts[i]] = at;
}

static bool check_op(cn_ir *ir, const syno_op *op)
{
    if (op->errors) return fail(ir, "the operator has errors");
    if (op->ntensors < 1) return fail(ir, "the operator has no input tensor");
    for (int d = 0; d < op->ndims; d++) {
        const syno_dim *dim = &op->dims[d];
        if (dim->dst == SYNO_DST_NONE) return fail(ir, "a dimension is never used");
        if (!dim->sized) return fail(ir, "a dimension has no size");
        if (dim->tensor > 0 && (dim->dst < 0 || op->nodes[dim->dst].prim != SYNO_PRIM_SHARE))
            return fail(ir, "a weight axis is not an operand of share");
    }
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->broken) return fail(ir, "the operator has errors");
        const char *args = syno_prims[n->prim].args;
        if ((args[0] == 'd' && n->in[0] < 0) || (args[0] == 'd' && args[1] == 'd' && n->in[1] < 0))
            return fail(ir, "a primitive lacks an operand");
    }
    for (int i = 0; i < op->nout; i++)
        if (op->out[i] < 0) return fail(ir, "an output axis is missing");
    /* Partial ops are not finished (nothing derives their sizes): check
     * that the sizes the caller set agree with every primitive. */
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        const syno_size *x = n->in[0] >= 0 ? &op->dims[n->in[0]].size : NULL;
        const syno_size *y = n->in[1] >= 0 ? &op->dims[n->in[1]].size : NULL;
        const syno_size *r0 = n->out[0] >= 0 ? &op->dims[n->out[0]].size : NULL;
        const syno_size *r1 = n->out[1] >= 0 ? &op->dims[n->out[1]].size : NULL;
        syno_size t;
        bool good = true;
        switch (n->prim) {
        case SYNO_PRIM_SPLIT:
            good = syno_size_mul(&t, *r0, *r1) && syno_size_eq(t, *x) && syno_size_eq(*r1, n->param);
            break;
        case SYNO_PRIM_MERGE:
            good = syno_size_mul(&t, *x, *y) && syno_size_eq(t, *r0);
            break;
        case SYNO_PRIM_SHARE:
            good = syno_size_eq(*x, *y) && syno_size_eq(*x, *r0);
            break;
        case SYNO_PRIM_SHIFT:
        case SYNO_PRIM_REVERSE:
            good = syno_size_eq(*x, *r0);
            break;
        case SYNO_PRIM_STRIDE:
            good = syno_size_mul(&t, *r0, n->param) && syno_size_eq(t, *x);
            break;
        case SYNO_PRIM_UNFOLD:
            good = syno_size_eq(*x, *r0) && syno_size_eq(*r1, n->param);
            break;
        case SYNO_PRIM_EXPAND:
            good = syno_size_eq(*r0, n->param);
            break;
        default:
            break;
        }
        if (!good) return fail(ir, "the sizes of a primitive's dimensions do not agree");
    }
    return true;
}

/* Sorts the IR nodes topologically to find cycles (a partial op built by
 * hand could have one). */
static bool acyclic(cn_ir *ir)
{
    int *pending = SYNO_NEW_ARRAY(ir->a, int, ir->nnodes + 1);
    int *queue = SYNO_NEW_ARRAY(ir->a, int, ir->nnodes + 1);
    int head = 0, tail = 0;
    for (int k = 0; k < ir->nnodes; k++) {
        for (int i = 0; i < ir->nodes[k].nin; i++)
            if (ir->dims[ir->nodes[k].in[i]].src >= 0) pending[k]++;
        if (!pending[k]) queue[tail++] = k;
    }
    while (head < tail) {
        const cn_node *n = &ir->nodes[queue[head++]];
        for (int i = 0; i < n->nout; i++) {
            int c = ir->dims[n->out[i]].dst;
            if (c >= 0 && --pending[c] == 0) queue[tail++] = c;
        }
    }
    return tail == ir->nnodes;
}

/* Builds IR (whose arena must be set, everything else zero) from OP under
 * options O (NULL for the defaults).  Returns false with IR->err set when
 * OP is malformed: errors, unused dims, unsized dims, cycles. */
bool cn_build(cn_ir *ir, const syno_op *op, const syno_canon_opts *o)
{
    if (!check_op(ir, op)) return false;
    builder b;
    memset(&b, 0, sizeof b);
    b.ir = ir;
    b.op = op;
    setup_vars(ir, op, b.to_ir);
    b.nvars = op->vars->n;
    ir->level2 = o && (o->flags & SYNO_CANON_UNORDERED);
    b.map = SYNO_NEW_ARRAY(ir->a, int, op->ndims + 1);
    b.attach_to = SYNO_NEW_ARRAY(ir->a, int, op->ndims + 1);
    b.skip = SYNO_NEW_ARRAY(ir->a, bool, op->nnodes + 1);
    for (int d = 0; d < op->ndims; d++) b.map[d] = b.attach_to[d] = -1;
    b.data = SYNO_NEW_ARRAY(ir->a, int, op->ndims + 1);
    b.wts = SYNO_NEW_ARRAY(ir->a, int, op->ndims + 1);
    ir->safe = SYNO_NEW_ARRAY(ir->a, syno_size, op->ndims + 1);
    for (int d = 0; d < op->ndims; d++) ir->safe[ir->nsafe++] = dim_size(&b, d);
    /* Share trees first, so that their results map to their data leaf. */
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim != SYNO_PRIM_SHARE) continue;
        int c = op->dims[n->out[0]].dst;
        if (c >= 0 && op->nodes[c].prim == SYNO_PRIM_SHARE) continue; /* not a root */
        share_group(&b, k);
    }
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (b.skip[k] || n->prim == SYNO_PRIM_SHARE) continue;
        int node;
        switch (n->prim) {
        case SYNO_PRIM_SPLIT:
            node = cn_new_node(ir, CN_SPLIT, 1, 2);
            break;
        case SYNO_PRIM_MERGE:
            node = cn_new_node(ir, CN_MERGE, 2, 1);
            break;
        case SYNO_PRIM_SHIFT:
            node = cn_new_node(ir, CN_TRANS, 1, 1);
            ir->nodes[node].off = n->shift;
            break;
        case SYNO_PRIM_REVERSE:
            node = cn_new_node(ir, CN_TRANS, 1, 1);
            ir->nodes[node].sgn = -1;
            ir->nodes[node].off = -1;
            break;
        case SYNO_PRIM_STRIDE:
            node = cn_new_node(ir, CN_STRIDE, 1, 1);
            ir->nodes[node].param = to_ir_size(b.to_ir, n->param);
            break;
        case SYNO_PRIM_UNFOLD:
            node = cn_new_node(ir, CN_UNFOLD, 1, 2);
            ir->nodes[node].param = to_ir_size(b.to_ir, n->param);
            break;
        case SYNO_PRIM_EXPAND:
            node = cn_new_node(ir, CN_EXPAND, 0, 1);
            break;
        case SYNO_PRIM_SUM:
            node = cn_new_node(ir, CN_SUM, 1, 0);
            break;
        case SYNO_PRIM_MEAN:
            node = cn_new_node(ir, CN_MEAN, 1, 0);
            break;
        default:
            SYNO_UNREACHABLE();
        }
        for (int i = 0; i < ir->nodes[node].nin; i++) cn_set_in(ir, node, i, irdim(&b, n->in[i]));
        for (int i = 0; i < ir->nodes[node].nout; i++) cn_set_out(ir, node, i, irdim(&b, n->out[i]));
    }
    /* Share-group roots and DIAG operands are consumed by what consumes
     * the syno dims they stand for: the loop above set those consumers. */
    const syno_tensor *x = &op->tensors[0];
    ir->nin = x->rank;
    ir->inputs = SYNO_NEW_ARRAY(ir->a, int, x->rank + 1);
    for (int i = 0; i < x->rank; i++) {
        int d = irdim(&b, x->axes[i]);
        ir->inputs[i] = d;
        ir->dims[d].input = i;
        ir->dims[d].uin = ir->level2 && o->in_unordered && o->in_unordered[i];
    }
    for (int d = 0; d < op->ndims; d++) {
        if (op->dims[d].src >= 0 || op->dims[d].tensor >= 0) continue;
        int e = irdim(&b, d);
        ir->dims[e].open = 1;
        ir->dims[e].tag = o && o->open_tags ? o->open_tags[d] : 0;
        ir->dims[e].uin = ir->level2 && o->open_unordered && o->open_unordered[d];
        ir->partial = true;
    }
    ir->nout = op->nout;
    ir->outs = SYNO_NEW_ARRAY(ir->a, int, op->nout + 1);
    for (int i = 0; i < op->nout; i++) {
        int d = irdim(&b, op->out[i]);
        ir->outs[i] = d;
        ir->dims[d].dst = CN_OUT;
        ir->dims[d].dst_slot = i;
        ir->dims[d].uout = ir->level2 && o->out_unordered && o->out_unordered[i];
    }
    ir->nweights = op->ntensors - 1;
    ir->weights = SYNO_NEW_ARRAY(ir->a, cn_weight, op->ntensors);
    for (int t = 1; t < op->ntensors; t++) {
        const syno_tensor *w = &op->tensors[t];
        cn_weight *wt = &ir->weights[t];
        wt->name = w->name;
        wt->orig_rank = w->rank;
        wt->n = w->rank;
        wt->cap = w->rank + 4;
        wt->axes = SYNO_NEW_ARRAY(ir->a, int, wt->cap);
        if (w->rank > 32) return fail(ir, "a weight has more than 32 axes");
        for (int a = 0; a < w->rank; a++) {
            int wx = new_wax(ir, dim_size(&b, w->axes[a]), t, 1u << a);
            wt->axes[a] = wx;
            cn_attach(ir, wx, b.attach_to[w->axes[a]]);
        }
    }
    for (int d = 0; d < ir->ndims; d++)
        if (ir->dims[d].dst == CN_NONE) return fail(ir, "a dimension is never used");
    if (!acyclic(ir)) return fail(ir, "the definitions form a cycle");
    return true;
}
