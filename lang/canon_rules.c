/* canon_rules.c - the rewrite rules outside reshape regions, and the
 * fixpoint that alternates them with region normalization.
 *
 * Shift and reverse (TRANS nodes, x = sgn*y + off mod n):
 *   push     a weight that reads every digit of y = T(x) reads x instead,
 *            re-indexed by T: share(shift(a), w) = shift(share(a, w')).
 *            Weights go up, transforms go down.
 *   sum      a transform whose digits are all summed (one kind of reduction)
 *            and read by no weight disappears: sum(shift(x)) = sum(x).
 *   expand   a transform of an expand is an expand; the weights reading it
 *            are re-indexed.
 *   compose  two transforms in a row are one; the identity disappears
 *            (shift by 0, reverse of reverse, shift(shift(x, 1), -1)).
 *   level 2  a transform of a digit of an unordered input, or into a
 *            digit of an unordered output, is a permutation: dropped.
 * Expands: stride(expand(s*n), s) = expand(n); mean(expand(S)) = nothing;
 * all sums over expands read by the same weights are one sum.
 * Shares (DIAG): an expand operand is dropped, nested shares are flattened,
 * weights read the result rather than an operand (same index; the text
 * cannot tell them apart), and a share with one operand left is that
 * operand.  A transform feeding a DIAG does not push the weights below it
 * up (they belong to the result), and pushes go to the top of a chain of
 * transforms at once, so that removing a transform pair that cancels never
 * decides where a weight ends up.
 * Opaque reshapes: weights move up through them (split at a merge, fused
 * at a split read on every side), reductions over all their results are
 * reductions over their operands, splits and merges of expands are expands;
 * nested splits of an unordered input (and merges into an unordered output)
 * are one n-ary split (merge). */
#include "lang/canon_int.h"

#include <string.h>

static void detach_one(cn_ir *ir, int dim, int w)
{
    int *p = &ir->dims[dim].att;
    while (*p != w) p = &ir->wax[*p].next;
    *p = ir->wax[w].next;
    ir->wax[w].next = -1;
    ir->wax[w].dim = -1;
}

static void move_atts(cn_ir *ir, int from, int to)
{
    int ws[SYNO_MAX_TENSORS], n;
    cn_detach_all(ir, from, ws, &n);
    for (int i = 0; i < n; i++) cn_attach(ir, ws[i], to);
}

static bool produced_by(const cn_ir *ir, int dim, int kind)
{
    int s = ir->dims[dim].src;
    return s >= 0 && ir->nodes[s].kind == kind;
}

static int reduce_kind(const cn_ir *ir, int dim)
{
    int c = ir->dims[dim].dst;
    return c >= 0 && (ir->nodes[c].kind == CN_SUM || ir->nodes[c].kind == CN_MEAN) ? ir->nodes[c].kind : 0;
}

/* The digits of the top Y: the results of the split that consumes it, or
 * Y itself (stored in ONE). */
static int digits(const cn_ir *ir, int y, int **out, int *one)
{
    int c = ir->dims[y].dst;
    int kind = c >= 0 ? ir->nodes[c].kind : -1;
    if (kind == CN_SPLIT || kind == CN_USPLIT || kind == CN_OSPLIT || kind == CN_OUSPLIT) {
        *out = ir->nodes[c].out;
        return ir->nodes[c].nout;
    }
    *one = y;
    *out = one;
    return 1;
}

/* Removes the transform K (x -> y): y becomes x. */
static void drop_trans(cn_ir *ir, int k)
{
    int x = ir->nodes[k].in[0], y = ir->nodes[k].out[0];
    cn_kill_node(ir, k);
    ir->dims[x].dst = CN_NONE;
    cn_forward(ir, y, x);
}

static bool push_weights(cn_ir *ir, int k);

/* True when D leads, through shifts and reverses only, into a share of
 * data dims (a DIAG operand): weights read there belong to the share's
 * result, and are moved there (pull_weights, then the DIAG rule), never
 * pushed up meanwhile.  One place for them, whichever order rules run in. */
static bool diag_bound(const cn_ir *ir, int d)
{
    for (int guard = 0; guard < 256; guard++) {
        int c = ir->dims[d].dst;
        if (c < 0) return false;
        if (ir->nodes[c].kind == CN_DIAG) return true;
        if (ir->nodes[c].kind != CN_TRANS) return false;
        d = ir->nodes[c].out[0];
    }
    return false;
}

/* For transform K feeding a DIAG (through transforms): the weights reading
 * every digit of its operand read its result instead, re-indexed. */
static bool pull_weights(cn_ir *ir, int k)
{
    int x = ir->nodes[k].in[0], y = ir->nodes[k].out[0];
    int p = ir->dims[x].src;
    int one = x, *a = &one, na = 1;
    if (p >= 0 && (ir->nodes[p].kind == CN_MERGE || ir->nodes[p].kind == CN_UMERGE ||
                   ir->nodes[p].kind == CN_OMERGE || ir->nodes[p].kind == CN_OUMERGE)) {
        a = ir->nodes[p].in;
        na = ir->nodes[p].nin;
    }
    uint32_t all = ir->dims[x].att >= 0 ? cn_att_mask(ir, x) : ~0u;
    bool self = ir->dims[x].att >= 0;
    if (!self)
        for (int i = 0; i < na; i++) all &= cn_att_mask(ir, a[i]);
    if (self) { /* weights read x itself */
        a = &one;
        na = 1;
    }
    if (!all) return false;
    int s = ir->nodes[k].sgn;
    int64_t off = ir->nodes[k].off;
    for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
        if (!(all & (1u << t))) continue;
        int *ws = SYNO_NEW_ARRAY(ir->a, int, na);
        for (int i = 0; i < na; i++) {
            ws[i] = cn_find_att(ir, a[i], t);
            detach_one(ir, a[i], ws[i]);
        }
        int w = na == 1 ? ws[0] : cn_fuse_waxes(ir, ws, na);
        cn_affine_wax(ir, w, s, off); /* it read x = s*y + off */
        cn_attach(ir, w, y);
    }
    return true;
}

static bool push_weights(cn_ir *ir, int k);

/* After weights arrived at X, the input of a transform: if X is itself the
 * result of a transform, they keep going up. */
static void keep_pushing(cn_ir *ir, int x)
{
    if (produced_by(ir, x, CN_TRANS)) push_weights(ir, ir->dims[x].src);
}

static bool push_weights(cn_ir *ir, int k)
{
    int x = ir->nodes[k].in[0], y = ir->nodes[k].out[0];
    bool moved = false;
    if (diag_bound(ir, y)) return pull_weights(ir, k);
    if (ir->dims[y].att >= 0 && ir->dims[y].dst != CN_OUT) {
        /* Weights read y itself (above an opaque split, say): they go up.
         * (Weights on an output axis are the digit rule's business below.) */
        int ws[SYNO_MAX_TENSORS], n;
        cn_detach_all(ir, y, ws, &n);
        for (int i = 0; i < n; i++) {
            cn_affine_wax(ir, ws[i], ir->nodes[k].sgn, -ir->nodes[k].sgn * ir->nodes[k].off);
            cn_attach(ir, ws[i], x);
        }
        moved = true;
        keep_pushing(ir, x);
    }
    int *A, one;
    int na = digits(ir, y, &A, &one);
    int *a = SYNO_NEW_ARRAY(ir->a, int, na);
    memcpy(a, A, (size_t)na * sizeof *a);
    uint32_t all = ~0u;
    for (int i = 0; i < na; i++) all &= diag_bound(ir, a[i]) ? 0 : cn_att_mask(ir, a[i]);
    if (!all) return moved;
    int s = ir->nodes[k].sgn;
    int64_t off = ir->nodes[k].off;
    for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
        if (!(all & (1u << t))) continue;
        int *ws = SYNO_NEW_ARRAY(ir->a, int, na);
        for (int i = 0; i < na; i++) {
            ws[i] = cn_find_att(ir, a[i], t);
            detach_one(ir, a[i], ws[i]);
        }
        int w = na == 1 ? ws[0] : cn_fuse_waxes(ir, ws, na);
        /* The weight read y; now it reads x = s*y + off, so y = s*x - s*off. */
        cn_affine_wax(ir, w, s, -s * off);
        cn_attach(ir, w, x);
    }
    keep_pushing(ir, x);
    return true;
}

static bool unordered_source(const cn_ir *ir, int x)
{
    if (ir->dims[x].uin) return true;
    return produced_by(ir, x, CN_USPLIT) || produced_by(ir, x, CN_OUSPLIT);
}

static bool unordered_sink(const cn_ir *ir, int y)
{
    int c = ir->dims[y].dst;
    if (c == CN_OUT) return ir->dims[y].uout;
    return c >= 0 && (ir->nodes[c].kind == CN_UMERGE || ir->nodes[c].kind == CN_OUMERGE);
}

static bool trans_rules(cn_ir *ir, int k)
{
    bool changed = push_weights(ir, k);
    cn_node *n = &ir->nodes[k];
    int x = n->in[0], y = n->out[0];
    int s = n->sgn;
    int64_t c = n->off;
    if (ir->level2 && unordered_source(ir, x)) {
        /* x = f(y) is a permutation of the input digit x: read it directly;
         * the weights reading x read f(y), i.e. new[i] = old[s*i + c]. */
        for (int w = ir->dims[x].att; w >= 0; w = ir->wax[w].next) cn_affine_wax(ir, w, s, c);
        drop_trans(ir, k);
        return true;
    }
    if (ir->level2 && ir->dims[y].att < 0 && unordered_sink(ir, y)) {
        drop_trans(ir, k);
        return true;
    }
    int *A, one;
    int na = digits(ir, y, &A, &one);
    int kind = ir->dims[y].att < 0 ? reduce_kind(ir, A[0]) : 0;
    for (int i = 0; i < na && kind; i++)
        if (reduce_kind(ir, A[i]) != kind || ir->dims[A[i]].att >= 0) kind = 0;
    if (kind) {
        /* sum(T(x)) = sum(x): the reduction runs over all of x's values. */
        int split = ir->dims[y].dst;
        for (int i = 0; i < na; i++) {
            cn_kill_node(ir, ir->dims[A[i]].dst);
            ir->dims[A[i]].dead = true;
        }
        if (na > 1) cn_kill_node(ir, split);
        cn_kill_node(ir, k);
        ir->dims[y].dead = true;
        int r = cn_new_node(ir, kind, 1, 0);
        cn_set_in(ir, r, 0, x);
        return true;
    }
    if (produced_by(ir, x, CN_EXPAND)) {
        /* T(expand) = expand; weights that read x = f(y) now read y. */
        for (int w = ir->dims[x].att; w >= 0; w = ir->wax[w].next) cn_affine_wax(ir, w, s, c);
        int e = ir->dims[x].src;
        move_atts(ir, x, y);
        cn_kill_node(ir, k);
        ir->dims[x].dead = true;
        cn_set_out(ir, e, 0, y);
        return true;
    }
    if (produced_by(ir, x, CN_TRANS) && ir->dims[x].att < 0) {
        int k0 = ir->dims[x].src;
        cn_node *n0 = &ir->nodes[k0];
        /* u = s0*x + c0 and x = s*y + c: u = s0*s*y + s0*c + c0. */
        int ns = n0->sgn * s;
        int64_t nc = n0->sgn * c + n0->off;
        if (nc > ((int64_t)1 << 40) || nc < -((int64_t)1 << 40)) return changed;
        cn_kill_node(ir, k);
        ir->dims[x].dead = true;
        n0->sgn = ns;
        n0->off = nc;
        cn_set_out(ir, k0, 0, y);
        if (ns == 1 && nc == 0) drop_trans(ir, k0);
        return true;
    }
    if (s == 1 && c == 0) {
        drop_trans(ir, k);
        return true;
    }
    return changed;
}

static bool diag_rules(cn_ir *ir, int k)
{
    cn_node *n = &ir->nodes[k];
    int out = n->out[0];
    int cap = n->nin;
    for (int i = 0; i < n->nin; i++)
        if (produced_by(ir, n->in[i], CN_DIAG)) cap += ir->nodes[ir->dims[n->in[i]].src].nin;
    int *ins = SYNO_NEW_ARRAY(ir->a, int, cap);
    int m = 0;
    bool changed = false;
    for (int i = 0; i < n->nin; i++) {
        int d = n->in[i];
        if (ir->dims[d].att >= 0) {
            move_atts(ir, d, out); /* every operand has the result's index */
            changed = true;
        }
        if (produced_by(ir, d, CN_EXPAND)) {
            cn_kill_node(ir, ir->dims[d].src);
            ir->dims[d].dead = true;
            changed = true;
        } else if (produced_by(ir, d, CN_DIAG)) {
            const cn_node *inner = &ir->nodes[ir->dims[d].src];
            for (int j = 0; j < inner->nin; j++) ins[m++] = inner->in[j];
            cn_kill_node(ir, ir->dims[d].src);
            ir->dims[d].dead = true;
            changed = true;
        } else {
            ins[m++] = d;
        }
    }
    if (!changed) return false;
    cn_kill_node(ir, k);
    if (m == 0) {
        int e = cn_new_node(ir, CN_EXPAND, 0, 1);
        cn_set_out(ir, e, 0, out);
    } else if (m == 1) {
        ir->dims[ins[0]].dst = CN_NONE;
        cn_forward(ir, out, ins[0]);
    } else {
        int g = cn_new_node(ir, CN_DIAG, m, 1);
        for (int i = 0; i < m; i++) cn_set_in(ir, g, i, ins[i]);
        cn_set_out(ir, g, 0, out);
    }
    return true;
}

/* Fuses the reductions over expands that carry the same weights: the
 * sum over two free indices is one sum over their product. */
static bool fuse_free_sums(cn_ir *ir)
{
    bool changed = false;
    int nk = ir->nnodes;
    for (int k = 0; k < nk; k++) {
        cn_node *n = &ir->nodes[k];
        if (n->dead || (n->kind != CN_SUM && n->kind != CN_MEAN) || !produced_by(ir, n->in[0], CN_EXPAND)) continue;
        int d = n->in[0];
        uint32_t mask = cn_att_mask(ir, d);
        for (int j = k + 1; j < nk; j++) {
            cn_node *o = &ir->nodes[j];
            if (o->dead || o->kind != n->kind || !produced_by(ir, o->in[0], CN_EXPAND)) continue;
            int e = o->in[0];
            if (cn_att_mask(ir, e) != mask) continue;
            for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
                if (!(mask & (1u << t))) continue;
                int pair[2] = {cn_find_att(ir, d, t), cn_find_att(ir, e, t)};
                detach_one(ir, d, pair[0]);
                detach_one(ir, e, pair[1]);
                cn_attach(ir, cn_fuse_waxes(ir, pair, 2), d);
            }
            syno_size_mul(&ir->dims[d].size, ir->dims[d].size, ir->dims[e].size);
            cn_kill_node(ir, j);
            cn_kill_node(ir, ir->dims[e].src);
            ir->dims[e].dead = true;
            changed = true;
        }
    }
    return changed;
}

/* Weights in opaque reshapes (regions whose sizes do not line up) sit as
 * high as possible too, so that where they end up does not depend on when
 * the region stopped lining up: a weight read at the result of a merge
 * reads the operands (its axis split), and a weight read at every result
 * of a split reads the operand (its axes fused). */
/* Two results of an opaque split of an unordered axis that are reduced by
 * the same kind of reduction and read by the same weights are one digit (the
 * order of the axis's digits is free): one result of their product size,
 * the weights' axes fused. */
static bool fuse_reduced_digits(cn_ir *ir, int k)
{
    cn_node *n = &ir->nodes[k];
    for (int a = 0; a < n->nout; a++) {
        int da = n->out[a], ra = ir->dims[da].dst;
        if (ra < 0 || (ir->nodes[ra].kind != CN_SUM && ir->nodes[ra].kind != CN_MEAN)) continue;
        for (int b = a + 1; b < n->nout; b++) {
            int db = n->out[b], rb = ir->dims[db].dst;
            if (rb < 0 || ir->nodes[rb].kind != ir->nodes[ra].kind) continue;
            uint32_t mask = cn_att_mask(ir, da);
            if (cn_att_mask(ir, db) != mask) continue;
            for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
                if (!(mask & (1u << t))) continue;
                int pair[2] = {cn_find_att(ir, da, t), cn_find_att(ir, db, t)};
                detach_one(ir, da, pair[0]);
                detach_one(ir, db, pair[1]);
                cn_attach(ir, cn_fuse_waxes(ir, pair, 2), da);
            }
            syno_size_mul(&ir->dims[da].size, ir->dims[da].size, ir->dims[db].size);
            cn_kill_node(ir, rb);
            ir->dims[db].dead = true;
            int nk = cn_new_node(ir, CN_OUSPLIT, 1, n->nout - 1);
            n = &ir->nodes[k];
            cn_set_in(ir, nk, 0, n->in[0]);
            for (int j = 0, at = 0; j < n->nout; j++)
                if (j != b) cn_set_out(ir, nk, at++, n->out[j]);
            cn_kill_node(ir, k);
            if (ir->nodes[nk].nout == 1) { /* one digit left: the split is gone */
                int x = ir->nodes[nk].in[0];
                cn_kill_node(ir, nk);
                ir->dims[x].dst = CN_NONE;
                cn_forward(ir, da, x);
            }
            return true;
        }
    }
    return false;
}

/* An opaque split of an expand is expands (a broadcast index needs no
 * alignment): the weights reading it read the pieces.  An opaque merge of
 * expands read by the same weights is one expand. */
static bool free_opaque(cn_ir *ir, int k)
{
    cn_node c = ir->nodes[k];
    if (c.kind == CN_OSPLIT || c.kind == CN_OUSPLIT) {
        int x = c.in[0];
        if (!produced_by(ir, x, CN_EXPAND)) return false;
        int ws[SYNO_MAX_TENSORS], nw;
        cn_detach_all(ir, x, ws, &nw);
        for (int i = 0; i < nw; i++) {
            syno_size *sizes = SYNO_NEW_ARRAY(ir->a, syno_size, c.nout);
            int *pieces = SYNO_NEW_ARRAY(ir->a, int, c.nout);
            for (int j = 0; j < c.nout; j++) sizes[j] = ir->dims[c.out[j]].size;
            cn_split_wax(ir, ws[i], c.nout, sizes, pieces);
            for (int j = 0; j < c.nout; j++) cn_attach(ir, pieces[j], c.out[j]);
        }
        cn_kill_node(ir, ir->dims[x].src);
        cn_kill_node(ir, k);
        ir->dims[x].dead = true;
        for (int j = 0; j < c.nout; j++) cn_set_out(ir, cn_new_node(ir, CN_EXPAND, 0, 1), 0, c.out[j]);
        return true;
    }
    uint32_t mask = cn_att_mask(ir, c.in[0]);
    bool all = true;
    for (int j = 0; j < c.nin; j++)
        if (!produced_by(ir, c.in[j], CN_EXPAND) || cn_att_mask(ir, c.in[j]) != mask) all = false;
    if (!all) {
        /* Two expands read by the same weights, adjacent (or anywhere in a
         * merge into an unordered output): one expand of their product. */
        for (int a = 0; a < c.nin; a++) {
            int da = c.in[a];
            if (!produced_by(ir, da, CN_EXPAND)) continue;
            for (int b = a + 1; b < c.nin && (b == a + 1 || c.kind == CN_OUMERGE); b++) {
                int db = c.in[b];
                if (!produced_by(ir, db, CN_EXPAND) || cn_att_mask(ir, db) != cn_att_mask(ir, da)) continue;
                uint32_t m = cn_att_mask(ir, da);
                for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
                    if (!(m & (1u << t))) continue;
                    int pair[2] = {cn_find_att(ir, da, t), cn_find_att(ir, db, t)};
                    detach_one(ir, da, pair[0]);
                    detach_one(ir, db, pair[1]);
                    cn_attach(ir, cn_fuse_waxes(ir, pair, 2), da);
                }
                syno_size_mul(&ir->dims[da].size, ir->dims[da].size, ir->dims[db].size);
                cn_kill_node(ir, ir->dims[db].src);
                ir->dims[db].dead = true;
                cn_kill_node(ir, k);
                if (c.nin == 2) { /* the merge is gone: its result is the expand */
                    int e = ir->dims[da].src;
                    ir->dims[da].dead = true;
                    cn_kill_node(ir, e);
                    cn_set_out(ir, cn_new_node(ir, CN_EXPAND, 0, 1), 0, c.out[0]);
                    int ws[SYNO_MAX_TENSORS], nw;
                    cn_detach_all(ir, da, ws, &nw);
                    for (int i = 0; i < nw; i++) cn_attach(ir, ws[i], c.out[0]);
                    return true;
                }
                int nk = cn_new_node(ir, c.kind, c.nin - 1, 1);
                for (int j = 0, at = 0; j < c.nin; j++)
                    if (j != b) cn_set_in(ir, nk, at++, c.in[j]);
                cn_set_out(ir, nk, 0, c.out[0]);
                return true;
            }
        }
        return false;
    }
    for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
        if (!(mask & (1u << t))) continue;
        int *ws = SYNO_NEW_ARRAY(ir->a, int, c.nin);
        for (int j = 0; j < c.nin; j++) {
            ws[j] = cn_find_att(ir, c.in[j], t);
            detach_one(ir, c.in[j], ws[j]);
        }
        cn_attach(ir, cn_fuse_waxes(ir, ws, c.nin), c.out[0]);
    }
    for (int j = 0; j < c.nin; j++) {
        cn_kill_node(ir, ir->dims[c.in[j]].src);
        ir->dims[c.in[j]].dead = true;
    }
    cn_kill_node(ir, k);
    cn_set_out(ir, cn_new_node(ir, CN_EXPAND, 0, 1), 0, c.out[0]);
    return true;
}

/* Two digits of an unordered input (results of one OUSPLIT) merged next
 * to each other, read by the same weights: the digit order of the input is
 * free, so they are one digit, and the merge of them is that digit. */
static bool fuse_merged_digits(cn_ir *ir, int k)
{
    cn_node m = ir->nodes[k];
    if (m.kind != CN_OMERGE && m.kind != CN_OUMERGE) return false;
    for (int i = 0; i < m.nin; i++) {
        int a = m.in[i], sa = ir->dims[a].src;
        if (sa < 0 || ir->nodes[sa].kind != CN_OUSPLIT) continue;
        for (int j = 0; j < m.nin; j++) {
            int b = m.in[j];
            if (j == i || ir->dims[b].src != sa || (m.kind == CN_OMERGE && j != i + 1)) continue;
            if (cn_att_mask(ir, a) != cn_att_mask(ir, b)) continue;
            uint32_t mask = cn_att_mask(ir, a);
            for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
                if (!(mask & (1u << t))) continue;
                int pair[2] = {cn_find_att(ir, a, t), cn_find_att(ir, b, t)};
                detach_one(ir, a, pair[0]);
                detach_one(ir, b, pair[1]);
                cn_attach(ir, cn_fuse_waxes(ir, pair, 2), a);
            }
            /* The split loses b; a becomes the digit a*|b| + b. */
            cn_node sp = ir->nodes[sa];
            int ns = cn_new_node(ir, CN_OUSPLIT, 1, sp.nout - 1);
            cn_set_in(ir, ns, 0, sp.in[0]);
            for (int q = 0, at = 0; q < sp.nout; q++)
                if (sp.out[q] != b) cn_set_out(ir, ns, at++, sp.out[q]);
            cn_kill_node(ir, sa);
            syno_size_mul(&ir->dims[a].size, ir->dims[a].size, ir->dims[b].size);
            ir->dims[b].dead = true;
            cn_kill_node(ir, k);
            if (m.nin == 2) {
                ir->dims[a].dst = CN_NONE;
                cn_forward(ir, m.out[0], a);
            } else {
                int nm = cn_new_node(ir, m.kind, m.nin - 1, 1);
                for (int q = 0, at = 0; q < m.nin; q++)
                    if (q != j) cn_set_in(ir, nm, at++, m.in[q]);
                cn_set_out(ir, nm, 0, m.out[0]);
            }
            if (ir->nodes[ns].nout == 1) { /* one digit left: no split */
                int x = ir->nodes[ns].in[0], d = ir->nodes[ns].out[0];
                cn_kill_node(ir, ns);
                ir->dims[x].dst = CN_NONE;
                cn_forward(ir, d, x);
            }
            return true;
        }
    }
    return false;
}

static bool opaque_rules(cn_ir *ir, int k)
{
    if (free_opaque(ir, k) || fuse_merged_digits(ir, k)) return true;
    cn_node *n = &ir->nodes[k];
    bool changed = false;
    if (n->kind == CN_OMERGE || n->kind == CN_OUMERGE) {
        int y = n->out[0], ws[SYNO_MAX_TENSORS], nw;
        cn_detach_all(ir, y, ws, &nw);
        for (int i = 0; i < nw; i++) {
            syno_size *sizes = SYNO_NEW_ARRAY(ir->a, syno_size, n->nin);
            int *pieces = SYNO_NEW_ARRAY(ir->a, int, n->nin);
            for (int j = 0; j < n->nin; j++) sizes[j] = ir->dims[n->in[j]].size;
            cn_split_wax(ir, ws[i], n->nin, sizes, pieces);
            for (int j = 0; j < n->nin; j++) cn_attach(ir, pieces[j], n->in[j]);
            changed = true;
        }
        int r = ir->dims[y].dst;
        if (r >= 0 && (ir->nodes[r].kind == CN_SUM || ir->nodes[r].kind == CN_MEAN)) {
            /* A reduction over a merge is a reduction over each operand. */
            int kind = ir->nodes[r].kind;
            cn_kill_node(ir, r);
            cn_kill_node(ir, k);
            ir->dims[y].dead = true;
            cn_node c = ir->nodes[k];
            for (int j = 0; j < c.nin; j++) cn_set_in(ir, cn_new_node(ir, kind, 1, 0), 0, c.in[j]);
            return true;
        }
    } else if (n->kind == CN_OSPLIT || n->kind == CN_OUSPLIT) {
        uint32_t all = ~0u;
        for (int j = 0; j < n->nout; j++) all &= diag_bound(ir, n->out[j]) ? 0 : cn_att_mask(ir, n->out[j]);
        for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
            if (!(all & (1u << t))) continue;
            int *ws = SYNO_NEW_ARRAY(ir->a, int, n->nout);
            for (int j = 0; j < n->nout; j++) {
                ws[j] = cn_find_att(ir, n->out[j], t);
                detach_one(ir, n->out[j], ws[j]);
            }
            cn_attach(ir, cn_fuse_waxes(ir, ws, n->nout), n->in[0]);
            changed = true;
        }
        /* Reductions of one kind over every result, read by no weight: a
         * reduction over the operand (all of its values are visited). */
        int kind = -1;
        for (int j = 0; j < n->nout; j++) {
            int r = ir->dims[n->out[j]].dst;
            int rk = r >= 0 ? ir->nodes[r].kind : -1;
            if ((rk != CN_SUM && rk != CN_MEAN) || ir->dims[n->out[j]].att >= 0 || (kind >= 0 && rk != kind)) {
                kind = -2;
                break;
            }
            kind = rk;
        }
        if (kind >= 0) {
            for (int j = 0; j < n->nout; j++) {
                cn_kill_node(ir, ir->dims[n->out[j]].dst);
                ir->dims[n->out[j]].dead = true;
            }
            cn_kill_node(ir, k);
            int x = n->in[0];
            cn_set_in(ir, cn_new_node(ir, kind, 1, 0), 0, x);
            return true;
        }
        if (n->kind == CN_OUSPLIT && fuse_reduced_digits(ir, k)) return true;
    }
    return changed;
}

/* The digits of an unordered axis may come in any order, so an opaque
 * split of one of them is more digits of the axis: OUSPLIT(x -> a, b) with
 * b = OSPLIT(b -> c, d) is OUSPLIT(x -> a, c, d).  Likewise for merges into
 * an unordered output.  (How the chain was nested then does not matter.)
 * Weights read at the inner dim read its digits. */
static bool flatten_unordered(cn_ir *ir, int k)
{
    cn_node *n = &ir->nodes[k];
    bool split = n->kind == CN_OUSPLIT;
    int m = split ? n->nout : n->nin, inner = -1;
    const int *side = split ? n->out : n->in;
    for (int j = 0; j < m; j++) {
        int d = side[j];
        int q = split ? ir->dims[d].dst : ir->dims[d].src;
        bool nested = q >= 0 && (split ? (ir->nodes[q].kind == CN_OSPLIT || ir->nodes[q].kind == CN_OUSPLIT)
                                       : (ir->nodes[q].kind == CN_OMERGE || ir->nodes[q].kind == CN_OUMERGE));
        if (nested && inner < 0) inner = j;
    }
    if (inner < 0) return false;
    int d = side[inner];
    int q = split ? ir->dims[d].dst : ir->dims[d].src;
    cn_node inn = ir->nodes[q];
    const int *parts = split ? inn.out : inn.in;
    int np = split ? inn.nout : inn.nin;
    int ws[SYNO_MAX_TENSORS], nw;
    cn_detach_all(ir, d, ws, &nw);
    for (int i = 0; i < nw; i++) {
        syno_size *sizes = SYNO_NEW_ARRAY(ir->a, syno_size, np);
        int *pieces = SYNO_NEW_ARRAY(ir->a, int, np);
        for (int j = 0; j < np; j++) sizes[j] = ir->dims[parts[j]].size;
        cn_split_wax(ir, ws[i], np, sizes, pieces);
        for (int j = 0; j < np; j++) cn_attach(ir, pieces[j], parts[j]);
    }
    int count = m - 1 + np;
    int nk = cn_new_node(ir, split ? CN_OUSPLIT : CN_OUMERGE, split ? 1 : count, split ? count : 1);
    n = &ir->nodes[k];
    int at = 0;
    for (int j = 0; j < m; j++) {
        int dj = split ? n->out[j] : n->in[j];
        if (j != inner) {
            if (split) cn_set_out(ir, nk, at++, dj);
            else cn_set_in(ir, nk, at++, dj);
            continue;
        }
        for (int p = 0; p < np; p++) {
            if (split) cn_set_out(ir, nk, at++, parts[p]);
            else cn_set_in(ir, nk, at++, parts[p]);
        }
    }
    if (split) cn_set_in(ir, nk, 0, n->in[0]);
    else cn_set_out(ir, nk, 0, n->out[0]);
    cn_kill_node(ir, k);
    cn_kill_node(ir, q);
    ir->dims[d].dead = true;

    return true;
}

static bool misc_rules(cn_ir *ir)
{
    bool changed = false;
    int nk = ir->nnodes;
    for (int k = 0; k < nk; k++) {
        cn_node *n = &ir->nodes[k];
        if (n->dead) continue;
        if (n->kind == CN_OMERGE || n->kind == CN_OSPLIT || n->kind == CN_OUMERGE || n->kind == CN_OUSPLIT) {
            bool c = opaque_rules(ir, k);
            if (!ir->nodes[k].dead && (ir->nodes[k].kind == CN_OUSPLIT || ir->nodes[k].kind == CN_OUMERGE) &&
                flatten_unordered(ir, k))
                c = true;
            changed |= c;
            continue;
        }
        if (n->kind == CN_DIAG) {
            changed |= diag_rules(ir, k);
            continue;
        }
        if ((n->kind == CN_STRIDE || n->kind == CN_MEAN) && produced_by(ir, n->in[0], CN_EXPAND) &&
            ir->dims[n->in[0]].att < 0) {
            int x = n->in[0];
            cn_kill_node(ir, ir->dims[x].src);
            ir->dims[x].dead = true;
            cn_kill_node(ir, k);
            if (n->kind == CN_STRIDE) {
                int e = cn_new_node(ir, CN_EXPAND, 0, 1);
                cn_set_out(ir, e, 0, ir->nodes[k].out[0]);
            }
            changed = true;
        }
    }
    return fuse_free_sums(ir) || changed;
}

static bool trans_pass(cn_ir *ir)
{
    bool changed = false;
    int nk = ir->nnodes;
    for (int k = 0; k < nk; k++)
        if (!ir->nodes[k].dead && ir->nodes[k].kind == CN_TRANS) changed |= trans_rules(ir, k);
    return changed;
}

/* The graph invariants every rule keeps: live nodes and live dims point at
 * each other consistently. */
static void check_links(const cn_ir *ir)
{
    for (int k = 0; k < ir->nnodes; k++) {
        const cn_node *n = &ir->nodes[k];
        if (n->dead) continue;
        for (int i = 0; i < n->nin; i++) {
            const cn_dim *d = &ir->dims[n->in[i]];
            SYNO_ASSERT(!d->dead && d->dst == k && d->dst_slot == i);
        }
        for (int i = 0; i < n->nout; i++) {
            const cn_dim *d = &ir->dims[n->out[i]];
            SYNO_ASSERT(!d->dead && d->src == k && d->src_slot == i);
        }
    }
    for (int d = 0; d < ir->ndims; d++) {
        const cn_dim *x = &ir->dims[d];
        if (x->dead) continue;
        SYNO_ASSERT(x->dst != CN_NONE && (x->dst < 0 || !ir->nodes[x->dst].dead));
        SYNO_ASSERT(x->src < 0 || !ir->nodes[x->src].dead);
    }
}

/* Rewrites IR to its normal form: region normalization and the rules
 * above, alternated until nothing changes. */
void cn_normalize(cn_ir *ir)
{
    for (int it = 1;; it++) {
        SYNO_ASSERT(it < 1000);
        cn_regions(ir);
        bool changed = trans_pass(ir);
        changed |= misc_rules(ir);
        if (!changed) {
            ir->iterations = it;
            check_links(ir);
            return;
        }
    }
}
