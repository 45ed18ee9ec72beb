/* canon_region.c - the normal form of reshapes: one split per source dim,
 * one merge per consumer, weights on the digits.
 *
 * A region is a connected set of split/merge nodes.  Within it, every index
 * is a mixed-radix number of "atoms" (digits): each top dim (produced
 * outside the region) is a list of atoms, each bottom dim (consumed outside)
 * another list of the same atoms, and a weight attached anywhere in the
 * region reads the atoms of the dim it is attached to.  The atoms are found
 * by propagating lists through the region, refining an atom in two where a
 * split cuts through it; a refinement is only made when both pieces are
 * known integers wherever the op is valid, and a region whose sizes do not
 * line up at all keeps its reshapes as written (opaque; canon_rules.c
 * then moves weights up through them).
 *
 * Then the atoms are coarsened: two atoms become one when they are adjacent
 * (in order) in every ordered list they are in, sit in the same lists, carry
 * the same weights, or are both summed (the sum over two digits is one sum)
 * or both free (from expands: merge(expand(A), expand(B)) = expand(A*B)).
 * Unordered lists (level 2) need no adjacency.  Finally the region is rebuilt:
 * each top with several atoms is one n-ary split, each bottom one n-ary
 * merge, each weight axis is split into one axis per atom (or fused), and a
 * summed bottom becomes one sum per atom.  A mean over a free atom that no
 * weight reads is dropped (it multiplies and divides by the same size).
 * Equal regions written differently come out the same. */
#include "lang/canon_int.h"

#include <string.h>

typedef struct atom {
    syno_size size;
    int kid[2];     /* refined into (high, low), or -1 */
} atom;

typedef struct alist {
    int n, cap;
    int *a;
} alist;

typedef struct region {
    cn_ir *ir;
    int *dims, ndims;    /* region dims; dims[].mark is the index here */
    int *nodes, nnodes;  /* in topological order */
    alist *lists;        /* per region dim */
    atom *atoms;
    int natoms, capatoms;
    bool failed;
} region;

static int find(int *uf, int x)
{
    while (uf[x] != x) x = uf[x] = uf[uf[x]];
    return x;
}

static bool is_reshape(int kind)
{
    return kind == CN_SPLIT || kind == CN_MERGE || kind == CN_USPLIT || kind == CN_UMERGE || kind == CN_OSPLIT ||
           kind == CN_OMERGE || kind == CN_OUSPLIT || kind == CN_OUMERGE;
}

static bool is_merge(int kind)
{
    return kind == CN_MERGE || kind == CN_UMERGE || kind == CN_OMERGE || kind == CN_OUMERGE;
}

static int new_atom(region *r, syno_size s)
{
    if (r->natoms == r->capatoms) {
        int cap = r->capatoms ? 2 * r->capatoms : 32;
        atom *na = SYNO_NEW_ARRAY(r->ir->a, atom, cap);
        if (r->natoms) memcpy(na, r->atoms, (size_t)r->natoms * sizeof *na);
        r->atoms = na;
        r->capatoms = cap;
    }
    r->atoms[r->natoms].size = s;
    r->atoms[r->natoms].kid[0] = r->atoms[r->natoms].kid[1] = -1;
    return r->natoms++;
}

static void push(cn_ir *ir, alist *l, int x)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        int *na = SYNO_NEW_ARRAY(ir->a, int, cap);
        if (l->n) memcpy(na, l->a, (size_t)l->n * sizeof *na);
        l->a = na;
        l->cap = cap;
    }
    l->a[l->n++] = x;
}

static void expand_atom(region *r, int x, alist *out)
{
    if (r->atoms[x].kid[0] < 0) {
        push(r->ir, out, x);
        return;
    }
    expand_atom(r, r->atoms[x].kid[0], out);
    expand_atom(r, r->atoms[x].kid[1], out);
}

/* The current leaves of list L. */
static alist leaves_of(region *r, const alist *l)
{
    alist out = {0, 0, NULL};
    for (int i = 0; i < l->n; i++) expand_atom(r, l->a[i], &out);
    return out;
}

static bool proper(const cn_ir *ir, syno_size s)
{
    return syno_size_is_valid(&ir->vars, s);
}

/* Cuts the leaves L into a prefix whose product is R and the rest,
 * refining one atom when the cut falls inside it.  Returns false when the
 * sizes do not line up.  Whether the resulting digits are integers is
 * checked once they are all known (atomize). */
static bool cut(region *r, alist *l, syno_size R, alist *prefix, alist *suffix)
{
    cn_ir *ir = r->ir;
    syno_size P = syno_size_one();
    *prefix = (alist){0, 0, NULL};
    *suffix = (alist){0, 0, NULL};
    for (int i = 0; i < l->n; i++) {
        syno_size d = r->atoms[l->a[i]].size, PD, Q, lo, rest;
        if (!syno_size_mul(&PD, P, d) || !syno_size_div(&Q, R, P)) return false;
        if (syno_size_eq(PD, R)) {
            for (int j = 0; j <= i; j++) push(ir, prefix, l->a[j]);
            for (int j = i + 1; j < l->n; j++) push(ir, suffix, l->a[j]);
            return suffix->n > 0;
        }
        if (syno_size_div(&lo, d, Q) && proper(ir, lo)) {
            /* The cut falls inside atom i: its high part Q ends the prefix. */
            int x = l->a[i];
            int hi_atom = new_atom(r, Q), lo_atom = new_atom(r, lo); /* may move r->atoms */
            r->atoms[x].kid[0] = hi_atom;
            r->atoms[x].kid[1] = lo_atom;
            for (int j = 0; j < i; j++) push(ir, prefix, l->a[j]);
            push(ir, prefix, r->atoms[x].kid[0]);
            push(ir, suffix, r->atoms[x].kid[1]);
            for (int j = i + 1; j < l->n; j++) push(ir, suffix, l->a[j]);
            return true;
        }
        if (!syno_size_div(&rest, R, PD) || !proper(ir, rest)) return false;
        P = PD;
    }
    return false;
}

static alist *list_of(region *r, int dim)
{
    return &r->lists[r->ir->dims[dim].mark];
}

static bool in_region(const region *r, int node)
{
    return node >= 0 && is_reshape(r->ir->nodes[node].kind) && !r->ir->nodes[node].dead;
}

static bool atomize(region *r)
{
    cn_ir *ir = r->ir;
    for (int i = 0; i < r->ndims; i++) {
        int d = r->dims[i];
        r->lists[i] = (alist){0, 0, NULL};
        if (!in_region(r, ir->dims[d].src)) push(ir, &r->lists[i], new_atom(r, ir->dims[d].size));
    }
    for (int i = 0; i < r->nnodes; i++) {
        const cn_node *n = &ir->nodes[r->nodes[i]];
        if (is_merge(n->kind)) {
            alist *o = list_of(r, n->out[0]);
            for (int j = 0; j < n->nin; j++) {
                alist l = leaves_of(r, list_of(r, n->in[j]));
                for (int k = 0; k < l.n; k++) push(ir, o, l.a[k]);
            }
        } else {
            /* Digits from the most significant: output j takes a prefix. */
            alist l = leaves_of(r, list_of(r, n->in[0]));
            for (int j = 0; j + 1 < n->nout; j++) {
                alist pre, suf;
                if (!cut(r, &l, ir->dims[n->out[j]].size, &pre, &suf)) return false;
                *list_of(r, n->out[j]) = pre;
                l = suf;
            }
            *list_of(r, n->out[n->nout - 1]) = l;
        }
    }
    for (int i = 0; i < r->ndims; i++) r->lists[i] = leaves_of(r, &r->lists[i]);
    /* Every digit must be an integer wherever the op is valid. */
    for (int x = 0; x < r->natoms; x++)
        if (r->atoms[x].kid[0] < 0 && !cn_is_safe(ir, r->atoms[x].size)) return false;
    return true;
}

/* ---- opaque fallback ---------------------------------------------------- */

/* Keeps the reshape node K of a region whose sizes do not line up as
 * written: an n-ary split or merge becomes a right-nested chain of binary
 * opaque ones (the same index map), one on an unordered axis stays n-ary
 * with its order free.  Opaque nodes stay as they are.  Regions are
 * re-examined whole at every round, opaque nodes included, so what stays
 * opaque does not depend on the order in which regions met. */
static void make_opaque(cn_ir *ir, int k)
{
    cn_node *n = &ir->nodes[k];
    switch (n->kind) {
    case CN_SPLIT:
    case CN_USPLIT:
        if (n->kind == CN_USPLIT || ir->dims[n->in[0]].uin) {
            n->kind = CN_OUSPLIT;
            n->param = syno_size_one();
            return;
        }
        if (n->nout == 2) {
            n->kind = CN_OSPLIT;
            n->param = ir->dims[n->out[1]].size;
            return;
        }
        break;
    case CN_MERGE:
    case CN_UMERGE:
        if (n->kind == CN_UMERGE || ir->dims[n->out[0]].uout) {
            n->kind = CN_OUMERGE;
            return;
        }
        if (n->nin == 2) {
            n->kind = CN_OMERGE;
            return;
        }
        break;
    case CN_OSPLIT:
        if (ir->dims[n->in[0]].uin) { /* its top became unordered */
            n->kind = CN_OUSPLIT;
            n->param = syno_size_one();
        }
        return;
    case CN_OMERGE:
        if (ir->dims[n->out[0]].uout) n->kind = CN_OUMERGE;
        return;
    default:
        return; /* already opaque */
    }
    cn_node c = *n;
    cn_kill_node(ir, k);
    if (c.kind == CN_SPLIT) {
        int cur = c.in[0];
        for (int j = 0; j + 1 < c.nout; j++) {
            int o = cn_new_node(ir, CN_OSPLIT, 1, 2);
            syno_size rest = syno_size_one();
            for (int q = j + 1; q < c.nout; q++) syno_size_mul(&rest, rest, ir->dims[c.out[q]].size);
            ir->nodes[o].param = rest;
            cn_set_in(ir, o, 0, cur);
            cn_set_out(ir, o, 0, c.out[j]);
            if (j + 2 == c.nout) {
                cn_set_out(ir, o, 1, c.out[j + 1]);
            } else {
                cur = cn_new_dim(ir, rest);
                cn_set_out(ir, o, 1, cur);
            }
        }
    } else {
        int cur = c.in[c.nin - 1];
        for (int j = c.nin - 2; j >= 0; j--) {
            int o = cn_new_node(ir, CN_OMERGE, 2, 1);
            cn_set_in(ir, o, 0, c.in[j]);
            cn_set_in(ir, o, 1, cur);
            if (j == 0) {
                cn_set_out(ir, o, 0, c.out[0]);
            } else {
                syno_size sz;
                syno_size_mul(&sz, ir->dims[c.in[j]].size, ir->dims[cur].size);
                cur = cn_new_dim(ir, sz);
                cn_set_out(ir, o, 0, cur);
            }
        }
    }
}

/* ---- coarsening and rebuilding ---------------------------------------- */

enum { MAXW = SYNO_MAX_TENSORS };

typedef struct leaf {
    syno_size size;
    int top, bot;         /* region dim index of the top / bottom, top -1 when free */
    int sum;              /* CN_SUM / CN_MEAN when the bottom is reduced, else 0 */
    int wax[MAXW];        /* piece of each weight read here, or -1 */
    uint32_t mask;
    bool dead;
    int dim;              /* rebuilt atom dim */
} leaf;

typedef struct coarse {
    region *r;
    leaf *lv;
    int nlv;
    alist *tl, *bl;       /* per region dim: its leaves (tops / bottoms) */
} coarse;

static int index_in(const alist *l, int x)
{
    for (int i = 0; i < l->n; i++)
        if (l->a[i] == x) return i;
    return -1;
}

static void remove_from(alist *l, int x)
{
    int i = index_in(l, x);
    SYNO_ASSERT(i >= 0);
    memmove(l->a + i, l->a + i + 1, (size_t)(l->n - i - 1) * sizeof *l->a);
    l->n--;
}

static bool fusable(const coarse *c, int a, int b)
{
    const leaf *x = &c->lv[a], *y = &c->lv[b];
    const cn_ir *ir = c->r->ir;
    if (x->mask != y->mask) return false;
    if (x->top != y->top) return false;
    if (x->top >= 0) {
        const alist *l = &c->tl[x->top];
        if (!ir->dims[c->r->dims[x->top]].uin && index_in(l, b) != index_in(l, a) + 1) return false;
    }
    if (x->sum || y->sum) return x->sum == y->sum;
    if (x->bot != y->bot) return false;
    const alist *l = &c->bl[x->bot];
    return ir->dims[c->r->dims[x->bot]].uout || index_in(l, b) == index_in(l, a) + 1;
}

static void fuse(coarse *c, int a, int b)
{
    leaf *x = &c->lv[a], *y = &c->lv[b];
    syno_size_mul(&x->size, x->size, y->size);
    for (int t = 0; t < MAXW; t++) {
        if (x->wax[t] < 0) continue;
        int pair[2] = {x->wax[t], y->wax[t]};
        x->wax[t] = cn_fuse_waxes(c->r->ir, pair, 2);
    }
    if (y->top >= 0) remove_from(&c->tl[y->top], b);
    remove_from(&c->bl[y->bot], b);
    y->dead = true;
}

static void coarsen(coarse *c)
{
    for (bool again = true; again;) {
        again = false;
        for (int a = 0; a < c->nlv && !again; a++) {
            if (c->lv[a].dead) continue;
            for (int b = 0; b < c->nlv && !again; b++) {
                if (b == a || c->lv[b].dead || !fusable(c, a, b)) continue;
                fuse(c, a, b);
                again = true;
            }
        }
    }
}

static bool reduced(const cn_ir *ir, int dim)
{
    int k = ir->dims[dim].dst;
    return k >= 0 && (ir->nodes[k].kind == CN_SUM || ir->nodes[k].kind == CN_MEAN);
}

static void rebuild(region *r, coarse *c)
{
    cn_ir *ir = r->ir;
    for (int i = 0; i < r->nnodes; i++) cn_kill_node(ir, r->nodes[i]);
    bool *is_top = SYNO_NEW_ARRAY(ir->a, bool, r->ndims);
    bool *is_bot = SYNO_NEW_ARRAY(ir->a, bool, r->ndims);
    for (int i = 0; i < r->ndims; i++) is_top[i] = is_bot[i] = true;
    for (int i = 0; i < r->nnodes; i++) {
        const cn_node *n = &ir->nodes[r->nodes[i]];
        for (int j = 0; j < n->nin; j++) is_bot[ir->dims[n->in[j]].mark] = false;
        for (int j = 0; j < n->nout; j++) is_top[ir->dims[n->out[j]].mark] = false;
    }
    /* Internal dims die; free tops (expands) are recreated per atom. */
    for (int i = 0; i < r->ndims; i++) {
        int d = r->dims[i];
        if (!is_top[i] && !is_bot[i]) ir->dims[d].dead = true;
        if (is_top[i] && ir->dims[d].src >= 0 && ir->nodes[ir->dims[d].src].kind == CN_EXPAND) {
            cn_kill_node(ir, ir->dims[d].src);
            ir->dims[d].dead = true;
        }
        if (is_bot[i] && reduced(ir, d) && c->bl[i].n != 1) {
            cn_kill_node(ir, ir->dims[d].dst);
            ir->dims[d].dead = true;
        }
    }
    for (int a = 0; a < c->nlv; a++) {
        leaf *x = &c->lv[a];
        if (x->dead) continue;
        int top = x->top >= 0 && c->tl[x->top].n == 1 ? r->dims[x->top] : -1;
        int bot = c->bl[x->bot].n == 1 ? r->dims[x->bot] : -1;
        if (x->top < 0 && x->sum == CN_MEAN && !x->mask) { /* mean(expand(S)) is the identity */
            x->dim = -1;
            if (bot >= 0) {
                cn_kill_node(ir, ir->dims[bot].dst);
                ir->dims[bot].dead = true;
            }
            continue;
        }
        int d;
        if (top >= 0 && bot >= 0) {
            d = top;
            cn_forward(ir, bot, top);
        } else if (top >= 0) {
            d = top;
            ir->dims[d].dst = CN_NONE;
        } else if (bot >= 0) {
            d = bot;
            ir->dims[d].src = CN_NONE;
            ir->dims[d].size = x->size; /* a reduced digit may have absorbed another bottom's */
        } else {
            d = cn_new_dim(ir, x->size);
        }
        x->dim = d;
        if (x->top < 0) {
            int e = cn_new_node(ir, CN_EXPAND, 0, 1);
            cn_set_out(ir, e, 0, d);
        }
        if (x->sum && c->bl[x->bot].n != 1) {
            int s = cn_new_node(ir, x->sum, 1, 0);
            cn_set_in(ir, s, 0, d);
        }
        for (int t = 0; t < MAXW; t++)
            if (x->wax[t] >= 0) cn_attach(ir, x->wax[t], d);
    }
    for (int i = 0; i < r->ndims; i++) {
        int d = r->dims[i];
        if (is_top[i] && !ir->dims[d].dead && c->tl[i].n >= 2) {
            int k = cn_new_node(ir, ir->dims[d].uin ? CN_USPLIT : CN_SPLIT, 1, c->tl[i].n);
            cn_set_in(ir, k, 0, d);
            for (int j = 0; j < c->tl[i].n; j++) cn_set_out(ir, k, j, c->lv[c->tl[i].a[j]].dim);
        }
        if (is_bot[i] && !ir->dims[d].dead && c->bl[i].n >= 2) {
            int k = cn_new_node(ir, ir->dims[d].uout ? CN_UMERGE : CN_MERGE, c->bl[i].n, 1);
            cn_set_out(ir, k, 0, d);
            for (int j = 0; j < c->bl[i].n; j++) cn_set_in(ir, k, j, c->lv[c->bl[i].a[j]].dim);
        }
    }
}

static void normalize(region *r)
{
    cn_ir *ir = r->ir;
    coarse c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.tl = SYNO_NEW_ARRAY(ir->a, alist, r->ndims);
    c.bl = SYNO_NEW_ARRAY(ir->a, alist, r->ndims);
    int *leaf_of = SYNO_NEW_ARRAY(ir->a, int, r->natoms);
    for (int i = 0; i < r->natoms; i++) leaf_of[i] = -1;
    c.lv = SYNO_NEW_ARRAY(ir->a, leaf, r->natoms);
    /* Tops and bottoms give every leaf atom its place. */
    for (int i = 0; i < r->ndims; i++) {
        int d = r->dims[i];
        bool top = !in_region(r, ir->dims[d].src), bot = !in_region(r, ir->dims[d].dst);
        bool free_top = top && ir->dims[d].src >= 0 && ir->nodes[ir->dims[d].src].kind == CN_EXPAND;
        for (int j = 0; j < r->lists[i].n; j++) {
            int at = r->lists[i].a[j];
            if (leaf_of[at] < 0) {
                leaf *x = &c.lv[c.nlv];
                memset(x, 0, sizeof *x);
                x->size = r->atoms[at].size;
                x->top = x->bot = -1;
                for (int t = 0; t < MAXW; t++) x->wax[t] = -1;
                leaf_of[at] = c.nlv++;
            }
            int lf = leaf_of[at];
            if (top && !free_top) {
                c.lv[lf].top = i;
                push(ir, &c.tl[i], lf);
            }
            if (bot) {
                c.lv[lf].bot = i;
                c.lv[lf].sum = reduced(ir, d) ? ir->nodes[ir->dims[d].dst].kind : 0;
                push(ir, &c.bl[i], lf);
            }
        }
    }
    /* Weights read the atoms of the dim they are attached to: one piece per atom. */
    for (int i = 0; i < r->ndims; i++) {
        int d = r->dims[i];
        int n = 0;
        int ws[MAXW];
        cn_detach_all(ir, d, ws, &n);
        for (int q = 0; q < n; q++) {
            int k = r->lists[i].n;
            int *pieces = SYNO_NEW_ARRAY(ir->a, int, k);
            syno_size *sizes = SYNO_NEW_ARRAY(ir->a, syno_size, k);
            for (int j = 0; j < k; j++) sizes[j] = r->atoms[r->lists[i].a[j]].size;
            if (k == 1) pieces[0] = ws[q];
            else cn_split_wax(ir, ws[q], k, sizes, pieces);
            int t = ir->wax[ws[q]].weight;
            for (int j = 0; j < k; j++) {
                leaf *x = &c.lv[leaf_of[r->lists[i].a[j]]];
                SYNO_ASSERT(x->wax[t] < 0);
                x->wax[t] = pieces[j];
                x->mask |= 1u << t;
            }
        }
    }
    coarsen(&c);
    rebuild(r, &c);
}

/* Normalizes every reshape region of IR (see the file comment).  Regions
 * whose sizes do not line up are rewritten as opaque binary reshapes. */
void cn_regions(cn_ir *ir)
{
    int nd = ir->ndims;
    int *uf = SYNO_NEW_ARRAY(ir->a, int, nd);
    for (int d = 0; d < nd; d++) uf[d] = d;
    bool any = false;
    for (int k = 0; k < ir->nnodes; k++) {
        const cn_node *n = &ir->nodes[k];
        if (n->dead || !is_reshape(n->kind)) continue;
        any = true;
        int root = is_merge(n->kind) ? n->out[0] : n->in[0];
        for (int i = 0; i < n->nin; i++) uf[find(uf, n->in[i])] = find(uf, root);
        for (int i = 0; i < n->nout; i++) uf[find(uf, n->out[i])] = find(uf, root);
    }
    if (!any) return;
    /* Group the region dims and nodes by root. */
    int *count = SYNO_NEW_ARRAY(ir->a, int, nd);
    int *ncount = SYNO_NEW_ARRAY(ir->a, int, nd);
    for (int k = 0; k < ir->nnodes; k++) {
        const cn_node *n = &ir->nodes[k];
        if (n->dead || !is_reshape(n->kind)) continue;
        ncount[find(uf, n->in[0])]++;
    }
    for (int d = 0; d < nd; d++)
        if (!ir->dims[d].dead && ncount[find(uf, d)]) count[find(uf, d)]++;
    int nk0 = ir->nnodes;
    for (int root = 0; root < nd; root++) {
        if (!ncount[root] || find(uf, root) != root) continue;
        region r;
        memset(&r, 0, sizeof r);
        r.ir = ir;
        r.dims = SYNO_NEW_ARRAY(ir->a, int, count[root]);
        r.nodes = SYNO_NEW_ARRAY(ir->a, int, ncount[root]);
        for (int d = 0; d < nd; d++)
            if (!ir->dims[d].dead && find(uf, d) == root) {
                ir->dims[d].mark = r.ndims;
                r.dims[r.ndims++] = d;
            }
        /* Topological order of the region's nodes. */
        int *pending = SYNO_NEW_ARRAY(ir->a, int, nk0);
        int *cand = SYNO_NEW_ARRAY(ir->a, int, ncount[root]);
        int nc = 0;
        for (int k = 0; k < nk0; k++) {
            const cn_node *n = &ir->nodes[k];
            if (n->dead || !is_reshape(n->kind) || find(uf, n->in[0]) != root) continue;
            cand[nc++] = k;
            for (int i = 0; i < n->nin; i++)
                if (in_region(&r, ir->dims[n->in[i]].src)) pending[k]++;
            if (!pending[k]) r.nodes[r.nnodes++] = k;
        }
        for (int h = 0; h < r.nnodes; h++) {
            const cn_node *n = &ir->nodes[r.nodes[h]];
            for (int i = 0; i < n->nout; i++) {
                int c = ir->dims[n->out[i]].dst;
                if (in_region(&r, c) && --pending[c] == 0) r.nodes[r.nnodes++] = c;
            }
        }
        SYNO_ASSERT(r.nnodes == nc);
        r.lists = SYNO_NEW_ARRAY(ir->a, alist, r.ndims);
        if (atomize(&r)) {
            normalize(&r);
        } else {
            for (int i = 0; i < nc; i++) make_opaque(ir, cand[i]);
        }
    }
}
