/* canon_label.c - canonical labeling of the normalized graph.
 *
 * Input and output axes are positional; weights, reductions, the digits of
 * unordered axes and the operands of a share are not.  To print such a
 * graph the same way however it was written, every vertex (dim, node,
 * weight) gets a colour from local facts (kind, size, parameters, input or
 * output position, open-dim tag), and colours are refined by hashing each
 * vertex's colour with its neighbours' (ordered neighbours in order,
 * unordered ones as a multiset) until the number of colour classes stops
 * growing: structural signatures from both ends of the graph at once.
 *
 * When classes remain that hold several vertices, the first such class (in
 * colour order) is split by individualizing each of its vertices in turn
 * and refining again (individualization-refinement); every leaf of that
 * search is a total order, printed as text, and the smallest text wins.
 * Two leaves with the same text differ by an automorphism, which is checked
 * and kept; vertices in the same orbit (under the automorphisms that fix the
 * current path) are not explored twice.  Hash collisions between colours
 * can only merge classes, which costs time, never canonicity: colours are
 * functions of the graph's structure alone. */
#include "lang/canon_int.h"

#include <string.h>

enum { R_SRC = 1u << 8, R_DST = 2u << 8, R_ATT = 3u << 8, R_IN = 4u << 8, R_OUT = 5u << 8, R_WATT = 6u << 8 };

/* The labelling's own mixer, not a copy of base/hash.h's: colours order the
 * vertices of a leaf, so these constants choose the canonical text of
 * operators with unordered axes, whose hash is stored (results stores,
 * file names).  With syno_hash_mix instead, `syno canon --unordered
 * C_in,C_out syno_op1` prints another text and hash.  Never change it. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 31;
    h *= 0x7fb5d329728ea185ull;
    h ^= h >> 27;
    h *= 0x81dadef4bc2dd44dull;
    h ^= h >> 33;
    return h;
}

static uint64_t mix2(uint64_t a, uint64_t b)
{
    return mix(a * 0x9e3779b97f4a7c15ull + b);
}

static bool unordered_outs(int kind)
{
    return kind == CN_USPLIT || kind == CN_OUSPLIT;
}

static bool unordered_ins(int kind)
{
    return kind == CN_UMERGE || kind == CN_OUMERGE || kind == CN_DIAG;
}

static uint64_t dim_color(const cn_ir *ir, int d)
{
    const cn_dim *x = &ir->dims[d];
    uint64_t h = mix2(1, cn_size_hash(ir, x->size));
    h = mix2(h, (uint64_t)(x->input + 1));
    h = mix2(h, (uint64_t)x->open * 1000003u + x->tag);
    h = mix2(h, (uint64_t)x->uin * 2 + x->uout);
    return mix2(h, x->dst == CN_OUT ? (uint64_t)x->dst_slot + 1 : 0);
}

static uint64_t node_color(const cn_ir *ir, int k)
{
    const cn_node *n = &ir->nodes[k];
    uint64_t h = mix2(2, n->kind);
    h = mix2(h, cn_size_hash(ir, n->param));
    h = mix2(h, (uint64_t)(int64_t)n->sgn);
    return mix2(h, (uint64_t)n->off);
}

/* Builds the vertex graph of the normalized IR.  The buffers receive the
 * canonical text and scratch texts; they belong to the caller. */
cn_final *cn_finalize(cn_ir *ir, syno_buf *best, syno_buf *first, syno_buf *scratch)
{
    cn_final *f = SYNO_NEW(ir->a, cn_final);
    f->ir = ir;
    f->best = best;
    f->first = first;
    f->scratch = scratch;
    f->vdim = SYNO_NEW_ARRAY(ir->a, int, ir->ndims + 1);
    f->vnode = SYNO_NEW_ARRAY(ir->a, int, ir->nnodes + 1);
    f->vwt = SYNO_NEW_ARRAY(ir->a, int, ir->nweights + 1);
    f->vir = SYNO_NEW_ARRAY(ir->a, int, ir->ndims + ir->nnodes + ir->nweights + 1);
    for (int d = 0; d < ir->ndims; d++) {
        f->vdim[d] = -1;
        if (ir->dims[d].dead) continue;
        f->vdim[d] = f->nv;
        f->vir[f->nv++] = d;
    }
    f->nd = f->nv;
    for (int k = 0; k < ir->nnodes; k++) {
        f->vnode[k] = -1;
        if (ir->nodes[k].dead) continue;
        f->vnode[k] = f->nv;
        f->vir[f->nv++] = k;
    }
    f->nn = f->nv - f->nd;
    for (int t = 1; t <= ir->nweights; t++) {
        f->vwt[t] = f->nv;
        f->vir[f->nv++] = t;
    }
    f->nw = ir->nweights;
    /* Edges: count, then fill. */
    f->eoff = SYNO_NEW_ARRAY(ir->a, int, f->nv + 1);
    int ne = 0;
    for (int v = 0; v < f->nv; v++) {
        f->eoff[v] = ne;
        if (v < f->nd) {
            const cn_dim *x = &ir->dims[f->vir[v]];
            ne += (x->src >= 0) + (x->dst >= 0);
            for (int w = x->att; w >= 0; w = ir->wax[w].next) ne++;
        } else if (v < f->nd + f->nn) {
            const cn_node *n = &ir->nodes[f->vir[v]];
            ne += n->nin + n->nout;
        } else {
            ne += ir->weights[f->vir[v]].n;
        }
    }
    f->eoff[f->nv] = ne;
    f->enb = SYNO_NEW_ARRAY(ir->a, int, ne + 1);
    f->erole = SYNO_NEW_ARRAY(ir->a, uint32_t, ne + 1);
    f->eun = SYNO_NEW_ARRAY(ir->a, uint8_t, ne + 1);
    f->color0 = SYNO_NEW_ARRAY(ir->a, uint64_t, f->nv);
    for (int v = 0; v < f->nv; v++) {
        int e = f->eoff[v];
        if (v < f->nd) {
            int d = f->vir[v];
            const cn_dim *x = &ir->dims[d];
            f->color0[v] = dim_color(ir, d);
            if (x->src >= 0) {
                bool un = unordered_outs(ir->nodes[x->src].kind);
                f->enb[e] = f->vnode[x->src];
                f->erole[e] = R_SRC | (un ? 255u : (uint32_t)x->src_slot);
                f->eun[e++] = 0;
            }
            if (x->dst >= 0) {
                bool un = unordered_ins(ir->nodes[x->dst].kind);
                f->enb[e] = f->vnode[x->dst];
                f->erole[e] = R_DST | (un ? 255u : (uint32_t)x->dst_slot);
                f->eun[e++] = 0;
            }
            for (int w = x->att; w >= 0; w = ir->wax[w].next) {
                f->enb[e] = f->vwt[ir->wax[w].weight];
                f->erole[e] = R_ATT;
                f->eun[e++] = 1;
            }
        } else if (v < f->nd + f->nn) {
            int k = f->vir[v];
            const cn_node *n = &ir->nodes[k];
            f->color0[v] = node_color(ir, k);
            for (int i = 0; i < n->nin; i++) {
                bool un = unordered_ins(n->kind);
                f->enb[e] = f->vdim[n->in[i]];
                f->erole[e] = R_IN | (un ? 255u : (uint32_t)i);
                f->eun[e++] = un;
            }
            for (int i = 0; i < n->nout; i++) {
                bool un = unordered_outs(n->kind);
                f->enb[e] = f->vdim[n->out[i]];
                f->erole[e] = R_OUT | (un ? 255u : (uint32_t)i);
                f->eun[e++] = un;
            }
        } else {
            const cn_weight *wt = &ir->weights[f->vir[v]];
            f->color0[v] = mix2(3, (uint64_t)wt->n);
            for (int i = 0; i < wt->n; i++) {
                f->enb[e] = f->vdim[ir->wax[wt->axes[i]].dim];
                f->erole[e] = R_WATT;
                f->eun[e++] = 1;
            }
        }
        SYNO_ASSERT(e == f->eoff[v + 1]);
    }
    return f;
}

/* ---- refinement ----------------------------------------------------------- */

/* Sorts N colours ascending (no callback: this runs on every leaf).
 * Quicksort with a median-of-three pivot value, insertion sort below 16. */
static void sort_u64(uint64_t *a, int n)
{
    while (n > 16) {
        uint64_t x = a[0], y = a[n / 2], z = a[n - 1], p;
        if (x < y) p = y < z ? y : (x < z ? z : x);
        else p = x < z ? x : (y < z ? z : y);
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i >= j) break;
            uint64_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++, j--;
        }
        int left = j + 1; /* a[0..left) <= p <= a[left..n) */
        if (left < n - left) {
            sort_u64(a, left);
            a += left, n -= left;
        } else {
            sort_u64(a + left, n - left);
            n = left;
        }
    }
    for (int i = 1; i < n; i++) {
        uint64_t v = a[i];
        int j = i;
        for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
        a[j] = v;
    }
}

/* A small hash set of colours, to count classes without sorting. */
typedef struct cset {
    uint64_t *key;
    int *cnt;
    int mask;
} cset;

/* Returns the number of distinct colours among C[0..N) and, through DUP,
 * the smallest colour held by several vertices (HAS_DUP false when none). */
static int classes(const cset *cs, const uint64_t *c, int n, uint64_t *dup, bool *has_dup)
{
    memset(cs->cnt, 0, (size_t)(cs->mask + 1) * sizeof *cs->cnt);
    int k = 0;
    bool any = false;
    uint64_t best = 0;
    for (int v = 0; v < n; v++) {
        int i = (int)(c[v] ^ (c[v] >> 29)) & cs->mask;
        while (cs->cnt[i] && cs->key[i] != c[v]) i = (i + 1) & cs->mask;
        if (!cs->cnt[i]) {
            cs->key[i] = c[v];
            k++;
        } else if (!any || c[v] < best) {
            best = c[v];
            any = true;
        }
        cs->cnt[i]++;
    }
    if (dup) *dup = best;
    if (has_dup) *has_dup = any;
    return k;
}

/* Refines colours C in place until the number of classes is stable;
 * returns that number. */
static int refine(const cn_final *f, const cset *cs, uint64_t *c, uint64_t *next)
{
    int cells = classes(cs, c, f->nv, NULL, NULL);
    while (cells < f->nv) {
        for (int v = 0; v < f->nv; v++) {
            uint64_t h = c[v], un = 0;
            for (int e = f->eoff[v]; e < f->eoff[v + 1]; e++) {
                uint64_t t = mix2(c[f->enb[e]], f->erole[e]);
                if (f->eun[e]) un += t;
                else h = mix2(h, t);
            }
            next[v] = mix2(h, mix(un));
        }
        memcpy(c, next, (size_t)f->nv * sizeof *c);
        int n2 = classes(cs, c, f->nv, NULL, NULL);
        if (n2 == cells) break;
        cells = n2;
    }
    return cells;
}

/* ---- automorphisms ------------------------------------------------------- */

static bool same_dim(const cn_final *f, const int *g, int v, int u)
{
    const cn_ir *ir = f->ir;
    const cn_dim *a = &ir->dims[f->vir[v]], *b = &ir->dims[f->vir[u]];
    if (!syno_size_eq(a->size, b->size) || a->input != b->input || a->open != b->open || a->tag != b->tag ||
        a->uin != b->uin || a->uout != b->uout)
        return false;
    if ((a->dst == CN_OUT) != (b->dst == CN_OUT) || (a->dst == CN_OUT && a->dst_slot != b->dst_slot)) return false;
    if ((a->src >= 0) != (b->src >= 0) || (a->dst >= 0) != (b->dst >= 0)) return false;
    if (a->src >= 0) {
        if (g[f->vnode[a->src]] != f->vnode[b->src]) return false;
        if (!unordered_outs(ir->nodes[a->src].kind) && a->src_slot != b->src_slot) return false;
    }
    if (a->dst >= 0) {
        if (g[f->vnode[a->dst]] != f->vnode[b->dst]) return false;
        if (!unordered_ins(ir->nodes[a->dst].kind) && a->dst_slot != b->dst_slot) return false;
    }
    int na = 0, nb = 0;
    for (int w = a->att; w >= 0; w = ir->wax[w].next) {
        na++;
        int t = f->vir[g[f->vwt[ir->wax[w].weight]]];
        if (cn_find_att(ir, f->vir[u], t) < 0) return false;
    }
    for (int w = b->att; w >= 0; w = ir->wax[w].next) nb++;
    return na == nb;
}

/* True when G (a vertex permutation) preserves every fact and edge. */
static bool is_automorphism(const cn_final *f, const int *g, bool *seen)
{
    const cn_ir *ir = f->ir;
    memset(seen, 0, (size_t)f->nv * sizeof *seen);
    for (int v = 0; v < f->nv; v++) {
        int u = g[v];
        if (u < 0 || u >= f->nv || seen[u]) return false;
        seen[u] = true;
        if ((v < f->nd) != (u < f->nd) || (v >= f->nd + f->nn) != (u >= f->nd + f->nn)) return false;
        if (v < f->nd) {
            if (!same_dim(f, g, v, u)) return false;
        } else if (v < f->nd + f->nn) {
            const cn_node *a = &ir->nodes[f->vir[v]], *b = &ir->nodes[f->vir[u]];
            if (a->kind != b->kind || a->nin != b->nin || a->nout != b->nout || !syno_size_eq(a->param, b->param) ||
                a->sgn != b->sgn || a->off != b->off)
                return false;
        } else if (ir->weights[f->vir[v]].n != ir->weights[f->vir[u]].n) {
            return false;
        }
    }
    return true;
}

/* ---- search --------------------------------------------------------------- */

typedef struct search {
    cn_final *f;
    cset cs;
    uint64_t *tmp, *next;
    int *path;
    bool *seen;
    int *uf;
    int *order;
    cn_printed pr;
} search;

static int uf_find(int *uf, int x)
{
    while (uf[x] != x) x = uf[x] = uf[uf[x]];
    return x;
}

static void try_generator(search *s, const int *touch, const int *other)
{
    cn_final *f = s->f;
    int *g = SYNO_NEW_ARRAY(f->ir->a, int, f->nv);
    for (int v = 0; v < f->nv; v++) g[v] = -1;
    bool ident = true;
    for (int i = 0; i < f->nv; i++) {
        g[touch[i]] = other[i];
        ident &= touch[i] == other[i];
    }
    if (ident || !is_automorphism(f, g, s->seen)) return;
    if (f->ngens == f->capgens) {
        int cap = f->capgens ? 2 * f->capgens : 8;
        int **ng = SYNO_NEW_ARRAY(f->ir->a, int *, cap);
        if (f->ngens) memcpy(ng, f->gens, (size_t)f->ngens * sizeof *ng);
        f->gens = ng;
        f->capgens = cap;
    }
    f->gens[f->ngens++] = g;
}

static int *dup_ints(syno_arena *a, const int *p, int n)
{
    return syno_arena_dup(a, p, (size_t)(n ? n : 1) * sizeof *p);
}

static void leaf(search *s, const uint64_t *c)
{
    cn_final *f = s->f;
    syno_arena *a = f->ir->a;
    /* rank = position in colour order (all colours differ here). */
    int *rank = SYNO_NEW_ARRAY(a, int, f->nv);
    uint64_t *sorted = s->tmp;
    memcpy(sorted, c, (size_t)f->nv * sizeof *sorted);
    sort_u64(sorted, f->nv);
    for (int v = 0; v < f->nv; v++) {
        int lo = 0, hi = f->nv - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (sorted[mid] < c[v]) lo = mid + 1;
            else hi = mid;
        }
        rank[v] = lo;
    }
    syno_buf *text = f->have_best ? f->scratch : f->best;
    syno_buf_clear(text);
    cn_print(f, rank, text, &s->pr);
    f->leaves++;
    bool full = s->pr.ntouch == f->nv;
    if (!f->have_best) {
        f->have_best = true;
        syno_buf_clear(f->first);
        syno_buf_add(f->first, text->data, text->len);
        f->best_touch = dup_ints(a, s->pr.touch, s->pr.ntouch);
        f->first_touch = f->best_touch;
        f->best_wseq = dup_ints(a, s->pr.wseq, s->pr.nwseq);
        f->nbest_wseq = s->pr.nwseq;
        f->best_waxseq = dup_ints(a, s->pr.waxseq, s->pr.nwaxseq);
        f->nbest_waxseq = s->pr.nwaxseq;
        return;
    }
    int cmp = text->len == f->best->len ? memcmp(text->data, f->best->data, text->len)
                                         : strcmp(syno_buf_str(text), syno_buf_str(f->best));
    if (full && cmp == 0) {
        try_generator(s, s->pr.touch, f->best_touch);
    } else if (full && text->len == f->first->len && memcmp(text->data, f->first->data, text->len) == 0) {
        try_generator(s, s->pr.touch, f->first_touch);
    }
    if (cmp < 0) {
        syno_buf_clear(f->best);
        syno_buf_add(f->best, text->data, text->len);
        f->best_touch = dup_ints(a, s->pr.touch, s->pr.ntouch);
        f->best_wseq = dup_ints(a, s->pr.wseq, s->pr.nwseq);
        f->nbest_wseq = s->pr.nwseq;
        f->best_waxseq = dup_ints(a, s->pr.waxseq, s->pr.nwaxseq);
        f->nbest_waxseq = s->pr.nwaxseq;
    }
}

static bool pruned(search *s, int depth, int v, const int *explored, int nexp)
{
    cn_final *f = s->f;
    if (!nexp || !f->ngens) return false;
    for (int u = 0; u < f->nv; u++) s->uf[u] = u;
    bool any = false;
    for (int i = 0; i < f->ngens; i++) {
        const int *g = f->gens[i];
        bool fixes = true;
        for (int p = 0; p < depth && fixes; p++) fixes = g[s->path[p]] == s->path[p];
        if (!fixes) continue;
        any = true;
        for (int u = 0; u < f->nv; u++) s->uf[uf_find(s->uf, u)] = uf_find(s->uf, g[u]);
    }
    if (!any) return false;
    for (int i = 0; i < nexp; i++)
        if (uf_find(s->uf, explored[i]) == uf_find(s->uf, v)) return true;
    return false;
}

static void explore(search *s, uint64_t *c, int depth)
{
    cn_final *f = s->f;
    refine(f, &s->cs, c, s->next);
    /* Target: the smallest colour held by several vertices. */
    uint64_t target = 0;
    bool found = false;
    classes(&s->cs, c, f->nv, &target, &found);
    if (!found) {
        leaf(s, c);
        return;
    }
    syno_arena *a = f->ir->a;
    int *cell = SYNO_NEW_ARRAY(a, int, f->nv);
    int ncell = 0;
    for (int v = 0; v < f->nv; v++)
        if (c[v] == target) cell[ncell++] = v;
    int *explored = SYNO_NEW_ARRAY(a, int, ncell);
    int nexp = 0;
    uint64_t *c2 = SYNO_NEW_ARRAY(a, uint64_t, f->nv);
    for (int i = 0; i < ncell; i++) {
        int v = cell[i];
        if (pruned(s, depth, v, explored, nexp)) continue;
        memcpy(c2, c, (size_t)f->nv * sizeof *c);
        c2[v] = mix2(c2[v], 0x1d1d1d1dull + (uint64_t)depth);
        s->path[depth] = v;
        explore(s, c2, depth + 1);
        explored[nexp++] = v;
    }
}

/* Finds the canonical text of F: the smallest text over the leaves of the
 * individualization-refinement search, in F->best, with the touch order
 * and the weight orders of that leaf. */
void cn_label(cn_final *f)
{
    syno_arena *a = f->ir->a;
    search s;
    memset(&s, 0, sizeof s);
    s.f = f;
    int n = f->nv ? f->nv : 1;
    s.tmp = SYNO_NEW_ARRAY(a, uint64_t, n);
    s.next = SYNO_NEW_ARRAY(a, uint64_t, n);
    s.path = SYNO_NEW_ARRAY(a, int, n);
    s.seen = SYNO_NEW_ARRAY(a, bool, n);
    s.uf = SYNO_NEW_ARRAY(a, int, n);
    int cap = 16;
    while (cap < 2 * n) cap *= 2;
    s.cs.key = SYNO_NEW_ARRAY(a, uint64_t, cap);
    s.cs.cnt = SYNO_NEW_ARRAY(a, int, cap);
    s.cs.mask = cap - 1;
    uint64_t *c = SYNO_NEW_ARRAY(a, uint64_t, n);
    memcpy(c, f->color0, (size_t)f->nv * sizeof *c);
    explore(&s, c, 0);
}
