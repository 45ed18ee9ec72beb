/* pytorch_views.c - the forward pass of an exported module as views of
 * its tensors and contractions in the stage order of its staged plan (see
 * pytorch.h).
 *
 * Variables are the dims of the graph, the three dims of every share
 * being one.  Walking the nodes from the tensors towards the output, each
 * node that transforms a variable some tensor holds becomes a view of
 * that tensor: split a reshape (unflatten), merge of two variables the
 * same tensors hold a flatten, unfold a zero-padded window (one padded
 * copy, then Tensor.unfold), shift torch.roll, reverse flip, stride a
 * strided slice.  A merge of variables that different tensors hold (or
 * an expand) is not applied: the merged variable stays its two parts,
 * which the output (or a tensor axis shared with it) is reshaped to; a
 * reverse of such a merge flips each part where a tensor holds it (the
 * reverse of a merge is the merge of the reverses), and its result stays
 * in the same parts; a split of such a merge by its inner part's size
 * gives back the parts, by a divisor of that size splits the inner part
 * (split_parts); a shift of it stays in the same parts, a tensor holding
 * its result rolled back and the output rolled at the end (shift_parts).
 * Any other primitive reading a merge left in parts makes the walk start
 * again with that merge made in every operand holding a part, the other
 * part a broadcast axis (forced_merge).  An unfold of a variable no tensor
 * holds (an expand) is a constant 0/1 mask [position, tap], an operand of
 * its own (add_mask).  What is left as each tensor's axes are the
 * contraction's letters.  When a node still cannot be a view, the
 * exporter falls back to index tensors (pytorch_gather.c).
 *
 * The contraction follows the operator's plan (codegen/plan.h) for the
 * binding given, or one chosen here: the plan's stages say which tensors
 * and earlier results each stage combines.  A tensor's views are made
 * lazily, at the stage that needs their variables (to meet another
 * operand, to be summed, or at the last stage), so that a stage that only
 * sums (pooling) runs before an unfold, as in the plan.  A stage of two
 * operands that is a convolution (windows of one operand meeting the
 * other, batch, group, input and output channels, any stride and
 * dilation) becomes torch's convolution on the unwindowed operand; one
 * that is F.linear's product becomes F.linear, or torch.matmul (or a
 * one-tap F.conv1d) when its operands need no reordering, a product with
 * a vector (every letter of one operand the other's) a multiply and a sum
 * in the layout of the operand spanning more storage, each gradient
 * written in its operand's layout (_mulsum);
 * a sum over the inner parts of the last two axes F.avg_pool2d; any other
 * stage is one torch.einsum that sums the letters no later stage needs. */
#include "codegen/plan.h"
#include "codegen/pytorch_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAXV 64                       /* variables (bit masks) */
#define MAXAX 48                      /* axes of one operand */
#define MAXMASK 8                     /* window masks (a window over an expand) */
#define MAXOPS (SYNO_MAX_TENSORS + 64) /* operands: tensors, stage results; masks from the end */
#define MAXIN (SYNO_PLAN_MAX_OPS + SYNO_MAX_TENSORS + MAXMASK) /* operands of one stage */
#define NLETTERS 52

/* A pending entry of an operand: a node to apply; UNMERGE(m): reshape
 * the variable merge node m makes into its two parts; or FLIP(k, v): flip
 * the axis of variable v, a part of the merge left in parts that reverse
 * node k reads (the reverse of a merge is the merge of its parts'
 * reverses). */
#define FLIP_BASE (-(1 << 24))
#define XS_BASE (-(1 << 20))
#define UNSHIFT_BASE (-(1 << 19))
#define UNMERGE(m) (-2 - (m))
#define IS_UNMERGE(e) ((e) <= -2 && (e) > UNSHIFT_BASE)
/* UNSHIFT(k): the axis of variable y = shift(u), u a merge left in parts,
 * rolled back (the tensor then holds u) and reshaped into u's parts */
#define UNSHIFT(k) (UNSHIFT_BASE - (k))
#define IS_UNSHIFT(e) ((e) <= UNSHIFT_BASE && (e) > XS_BASE)
#define UNSHIFT_NODE(e) (UNSHIFT_BASE - (e))
/* XS(i): split variable xs[i].in into xs[i].out[0], xs[i].out[1] (a split
 * of a merge left in parts whose size divides the merge's inner part) */
#define XS(i) (XS_BASE - (i))
#define IS_XS(e) ((e) <= XS_BASE && (e) > FLIP_BASE)
#define XS_INDEX(e) (XS_BASE - (e))
#define MAXXS 16
#define UNMERGE_NODE(e) (-2 - (e))
#define FLIP(k, v) (FLIP_BASE - ((k) * MAXV + (v)))
#define BCAST_BASE (-(1 << 28))
#define IS_FLIP(e) ((e) <= FLIP_BASE && (e) > BCAST_BASE)
/* BCAST(k, v): a new axis of variable v, broadcast, next to the other
 * input of merge node k (a merge made in every operand holding a part:
 * forced_merge) */
#define BCAST(k, v) (BCAST_BASE - ((k) * MAXV + (v)))
#define IS_BCAST(e) ((e) <= BCAST_BASE)
#define BCAST_NODE(e) ((BCAST_BASE - (e)) / MAXV)
#define BCAST_VAR(e) ((BCAST_BASE - (e)) % MAXV)
#define FLIP_NODE(e) ((FLIP_BASE - (e)) / MAXV)
#define FLIP_VAR(e) ((FLIP_BASE - (e)) % MAXV)

typedef struct pvar {
    syno_size size;
    int consumer;     /* node consuming it (not a share), or -1 */
    bool out;         /* an output axis */
    int comp[2];      /* a merge left in parts: the parts; else -1 */
    int made_by;      /* then the merge node that left it in parts */
    int letter;       /* index of its einsum letter, or -1 */
    bool held;        /* some tensor holds it once every view is applied */
} pvar;

typedef struct operand {
    const char *expr; /* Python expression of its value */
    int nax;
    int ax[MAXAX];    /* variable of each axis */
    int npend;
    int *pend;        /* entries still to apply, in graph order */
    uint64_t all;     /* every variable it has or will have */
} operand;

typedef struct vctx {
    const syno_op *op;
    syno_arena *a;
    syno_buf *out;    /* the forward's body */
    py_sizes z;
    int nvars;
    pvar v[MAXV];
    int *var_of;      /* per dim */
    int *pos;         /* per node: its position in op->order */
    int nops;
    operand o[MAXOPS];
    int ntmp;
    bool ok;
    int nxs;
    struct {
        int node, in, out[2];
    } xs[MAXXS];      /* the XS entries */
    int nsrc;         /* the operands the walk views: the tensors, then the masks */
    int src[SYNO_MAX_TENSORS + MAXMASK]; /* each one's index in o */
    int nmasks;       /* masks: operands o[MAXOPS - 1 - m] */
    int nrolls;
    int rolls[MAXV];  /* shifts of merges left in parts whose result reaches the output */
    bool *forced;     /* per node: a merge made in every operand holding a part */
    int fail_merge;   /* the merge whose parts a failed walk could not read, or -1 */
} vctx;

static void emitf(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emitf(vctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf_vprintf(c->out, fmt, ap);
    va_end(ap);
}

static const char *size_of(vctx *c, int var)
{
    return py_size(&c->z, c->v[var].size);
}

/* A new local variable "t<k>". */
static const char *tmp(vctx *c)
{
    return syno_arena_printf(c->a, "t%d", c->ntmp++);
}

static int find_ax(const operand *o, int var, int *count)
{
    int at = -1;
    *count = 0;
    for (int i = 0; i < o->nax; i++)
        if (o->ax[i] == var) {
            if (at < 0) at = i;
            ++*count;
        }
    return at;
}

static void ax_replace(operand *o, int at, const int *with, int n)
{
    SYNO_ASSERT(o->nax - 1 + n <= MAXAX);
    memmove(o->ax + at + n, o->ax + at + 1, (size_t)(o->nax - at - 1) * sizeof *o->ax);
    memcpy(o->ax + at, with, (size_t)n * sizeof *with);
    o->nax += n - 1;
}

static void ax_remove(operand *o, int at)
{
    memmove(o->ax + at, o->ax + at + 1, (size_t)(o->nax - at - 1) * sizeof *o->ax);
    o->nax--;
}

/* The node entry E comes from (its place in the graph's order). */
static int entry_node(const vctx *c, int e)
{
    return IS_UNMERGE(e) ? UNMERGE_NODE(e) : IS_UNSHIFT(e) ? UNSHIFT_NODE(e) : IS_BCAST(e) ? BCAST_NODE(e) : IS_FLIP(e) ? FLIP_NODE(e) : IS_XS(e) ? c->xs[XS_INDEX(e)].node : e;
}

/* The primitive of entry E, or -1 for an unmerge or a flip. */
static int entry_prim(const vctx *c, int e)
{
    return e >= 0 ? (int)c->op->nodes[e].prim : -1;
}

/* The variables entry E consumes (up to 2) and produces (up to 2). */
static void entry_vars(const vctx *c, int e, int *in, int *nin, int *outv, int *nout)
{
    *nin = *nout = 0;
    if (IS_BCAST(e)) {
        const syno_node *n = &c->op->nodes[BCAST_NODE(e)];
        int v = BCAST_VAR(e), a = c->var_of[n->in[0]], b = c->var_of[n->in[1]];
        in[(*nin)++] = v == a ? b : a;
        outv[(*nout)++] = a;
        outv[(*nout)++] = b;
        return;
    }
    if (IS_FLIP(e)) {
        in[(*nin)++] = FLIP_VAR(e);
        outv[(*nout)++] = FLIP_VAR(e);
        return;
    }
    if (IS_XS(e)) {
        in[(*nin)++] = c->xs[XS_INDEX(e)].in;
        outv[(*nout)++] = c->xs[XS_INDEX(e)].out[0];
        outv[(*nout)++] = c->xs[XS_INDEX(e)].out[1];
        return;
    }
    if (IS_UNSHIFT(e)) {
        const syno_node *n = &c->op->nodes[UNSHIFT_NODE(e)];
        const pvar *u = &c->v[c->var_of[n->in[0]]];
        in[(*nin)++] = c->var_of[n->out[0]];
        outv[(*nout)++] = u->comp[0];
        outv[(*nout)++] = u->comp[1];
        return;
    }
    if (IS_UNMERGE(e)) {
        const syno_node *n = &c->op->nodes[UNMERGE_NODE(e)];
        in[(*nin)++] = c->var_of[n->out[0]];
        outv[(*nout)++] = c->var_of[n->in[0]];
        outv[(*nout)++] = c->var_of[n->in[1]];
        return;
    }
    const syno_node *n = &c->op->nodes[e];
    for (int i = 0; i < 2; i++)
        if (n->in[i] >= 0) in[(*nin)++] = c->var_of[n->in[i]];
    for (int i = 0; i < 2; i++)
        if (n->out[i] >= 0) outv[(*nout)++] = c->var_of[n->out[i]];
}

/* Applies entry E to the axes of O; with EMIT, writes the Python code
 * too.  Consecutive unfolds of one operand are applied by the caller as
 * one _windows call (apply_windows). */
static void apply(vctx *c, operand *o, int e, bool emit)
{
    int cnt, in[2], outv[2], nin, nout;
    entry_vars(c, e, in, &nin, outv, &nout);
    int at = find_ax(o, in[0], &cnt);
    SYNO_ASSERT(at >= 0 && cnt == 1);
    const char *t = emit ? tmp(c) : NULL;
    if (IS_BCAST(e)) {
        int v = BCAST_VAR(e), vat = v == outv[0] ? at : at + 1;
        if (emit) {
            syno_buf shp = SYNO_BUF_INIT;
            for (int i = 0; i <= o->nax; i++) syno_buf_printf(&shp, "%s, ", i == vat ? size_of(c, v) : "-1");
            emitf(c, "        %s = %s.unsqueeze(%d).expand(%s)\n", t, o->expr, vat, syno_buf_str(&shp));
            o->expr = t;
            syno_buf_fini(&shp);
        }
        ax_replace(o, at, outv, 2);
        return;
    }
    if (IS_FLIP(e)) {
        if (emit) {
            emitf(c, "        %s = %s.flip(%d)\n", t, o->expr, at);
            o->expr = t;
        }
        return;
    }
    if (IS_UNSHIFT(e)) {
        if (emit) {
            const char *t0 = tmp(c);
            emitf(c, "        %s = torch.roll(%s, %lld, %d)\n", t0, o->expr, (long long)c->op->nodes[UNSHIFT_NODE(e)].shift, at);
            t = tmp(c);
            emitf(c, "        %s = %s.unflatten(%d, (%s, %s))\n", t, t0, at, size_of(c, outv[0]), size_of(c, outv[1]));
            o->expr = t;
        }
        ax_replace(o, at, outv, 2);
        return;
    }
    if (IS_UNMERGE(e) || IS_XS(e)) {
        if (emit) emitf(c, "        %s = %s.unflatten(%d, (%s, %s))\n", t, o->expr, at, size_of(c, outv[0]), size_of(c, outv[1]));
        ax_replace(o, at, outv, 2);
        if (emit) o->expr = t;
        return;
    }
    const syno_node *n = &c->op->nodes[e];
    switch (n->prim) {
    case SYNO_PRIM_SPLIT:
        if (emit) emitf(c, "        %s = %s.unflatten(%d, (%s, %s))\n", t, o->expr, at, size_of(c, outv[0]), size_of(c, outv[1]));
        ax_replace(o, at, outv, 2);
        break;
    case SYNO_PRIM_MERGE: {
        int bt = find_ax(o, in[1], &cnt);
        SYNO_ASSERT(bt >= 0 && cnt == 1);
        if (bt != at + 1) {
            /* bring b right after a */
            int perm[MAXAX], np = 0;
            for (int i = 0; i < o->nax; i++) {
                if (i == bt) continue;
                perm[np++] = i;
                if (i == at) perm[np++] = bt;
            }
            int ax[MAXAX];
            for (int i = 0; i < np; i++) ax[i] = o->ax[perm[i]];
            memcpy(o->ax, ax, (size_t)np * sizeof *ax);
            if (emit) {
                syno_buf p = SYNO_BUF_INIT;
                for (int i = 0; i < np; i++) syno_buf_printf(&p, "%s%d", i ? ", " : "", perm[i]);
                const char *t0 = tmp(c);
                emitf(c, "        %s = %s.permute(%s)\n", t0, o->expr, syno_buf_str(&p));
                o->expr = t0;
                t = tmp(c);
                syno_buf_fini(&p);
            }
            at = find_ax(o, in[0], &cnt);
        }
        if (emit) emitf(c, "        %s = %s.flatten(%d, %d)\n", t, o->expr, at, at + 1);
        ax_remove(o, at + 1);
        o->ax[at] = outv[0];
        break;
    }
    case SYNO_PRIM_UNFOLD:
        if (emit) emitf(c, "        %s = _windows(%s, (%d,), (%s,))\n", t, o->expr, at, size_of(c, outv[1]));
        o->ax[at] = outv[0];
        SYNO_ASSERT(o->nax < MAXAX);
        o->ax[o->nax++] = outv[1];
        break;
    case SYNO_PRIM_SHIFT:
        if (emit) emitf(c, "        %s = torch.roll(%s, %lld, %d)\n", t, o->expr, -(long long)n->shift, at);
        o->ax[at] = outv[0];
        break;
    case SYNO_PRIM_REVERSE:
        if (emit) emitf(c, "        %s = %s.flip(%d)\n", t, o->expr, at);
        o->ax[at] = outv[0];
        break;
    case SYNO_PRIM_STRIDE: {
        if (emit) {
            syno_size st;
            syno_size_div(&st, c->v[in[0]].size, c->v[outv[0]].size);
            syno_buf cols = SYNO_BUF_INIT;
            for (int i = 0; i < at; i++) syno_buf_puts(&cols, ":, ");
            emitf(c, "        %s = %s[%s::%s]\n", t, o->expr, syno_buf_str(&cols), py_size(&c->z, st));
            syno_buf_fini(&cols);
        }
        o->ax[at] = outv[0];
        break;
    }
    default: SYNO_UNREACHABLE();
    }
    if (emit) o->expr = t;
}

/* Applies the unfold entries E[0..n) (consecutive in O's order) as one
 * padded copy and n windows. */
static void apply_windows(vctx *c, operand *o, const int *e, int n)
{
    syno_buf dims = SYNO_BUF_INIT, ks = SYNO_BUF_INIT;
    int wins[MAXAX];
    for (int i = 0; i < n; i++) {
        int cnt, in[2], outv[2], nin, nout;
        entry_vars(c, e[i], in, &nin, outv, &nout);
        int at = find_ax(o, in[0], &cnt);
        SYNO_ASSERT(at >= 0 && cnt == 1);
        syno_buf_printf(&dims, "%d, ", at);
        syno_buf_printf(&ks, "%s, ", size_of(c, outv[1]));
        o->ax[at] = outv[0];
        wins[i] = outv[1];
    }
    SYNO_ASSERT(o->nax + n <= MAXAX);
    for (int i = 0; i < n; i++) o->ax[o->nax++] = wins[i];
    const char *t = tmp(c);
    emitf(c, "        %s = _windows(%s, (%s), (%s))\n", t, o->expr, syno_buf_str(&dims), syno_buf_str(&ks));
    o->expr = t;
    syno_buf_fini(&dims);
    syno_buf_fini(&ks);
}

static bool is_unfold(const vctx *c, int e)
{
    return entry_prim(c, e) == SYNO_PRIM_UNFOLD;
}

/* Applies (and emits) the entries E[0..n) to O, runs of unfolds at once. */
static void apply_list(vctx *c, operand *o, const int *e, int n)
{
    for (int i = 0; i < n;) {
        /* a run of unfolds of axes the operand has now (not of each other's results) */
        int j = i;
        while (j < n && is_unfold(c, e[j])) {
            int cnt, in[2], outv[2], nin, nout;
            entry_vars(c, e[j], in, &nin, outv, &nout);
            if (find_ax(o, in[0], &cnt) < 0 || cnt != 1) break;
            j++;
        }
        /* a run of shifts: one torch.roll */
        int k = i;
        while (k < n && entry_prim(c, e[k]) == SYNO_PRIM_SHIFT) {
            int cnt, in[2], outv[2], nin, nout;
            entry_vars(c, e[k], in, &nin, outv, &nout);
            if (find_ax(o, in[0], &cnt) < 0 || cnt != 1) break;
            k++;
        }
        if (j - i >= 2) {
            apply_windows(c, o, e + i, j - i);
            i = j;
        } else if (k - i >= 2) {
            syno_buf sh = SYNO_BUF_INIT, dims = SYNO_BUF_INIT;
            for (int q = i; q < k; q++) {
                int cnt, in[2], outv[2], nin, nout;
                entry_vars(c, e[q], in, &nin, outv, &nout);
                int at = find_ax(o, in[0], &cnt);
                syno_buf_printf(&sh, "%lld, ", -(long long)c->op->nodes[e[q]].shift);
                syno_buf_printf(&dims, "%d, ", at);
                o->ax[at] = outv[0];
            }
            const char *t = tmp(c);
            emitf(c, "        %s = torch.roll(%s, (%s), (%s))\n", t, o->expr, syno_buf_str(&sh), syno_buf_str(&dims));
            o->expr = t;
            syno_buf_fini(&sh);
            syno_buf_fini(&dims);
            i = k;
        } else {
            apply(c, o, e[i], true);
            i++;
        }
    }
}

/* ---- the walk: which nodes become views of which tensor ---------------------- */

static void atoms(const vctx *c, int v, int *list, int *n);

static void push_pend(operand *o, int e);
static bool to_parts(vctx *c, operand *sim, int var, int e, uint64_t parts);

static size_t pend_cap(const syno_op *op);

/* Makes variable FROM the same as TO: every dim of FROM is TO's, TO
 * takes FROM's consumer and output flag. */
static void alias_var(vctx *c, int from, int to)
{
    for (int d = 0; d < c->op->ndims; d++)
        if (c->var_of[d] == from) c->var_of[d] = to;
    c->v[to].consumer = c->v[from].consumer;
    c->v[to].out |= c->v[from].out;
    c->v[from].consumer = -1;
    c->v[from].out = false;
}

/* Split node K of a variable y left in parts (a, b), y = a|b| + b, into
 * (l, r), r of size R: when |b| = R, l is a and r is b; when R divides
 * |b| = m R and b is a plain variable, the tensors holding b split it into
 * (b1, r) (b1 a new variable of size m) and l stays in parts (a, b1).
 * False (the exporter falls back) otherwise, or when a tensor holds l or r
 * itself. */
static bool split_parts(vctx *c, operand *sim, int k)
{
    const syno_op *op = c->op;
    const syno_node *n = &op->nodes[k];
    int y = c->var_of[n->in[0]], l = c->var_of[n->out[0]], r = c->var_of[n->out[1]];
    int a = c->v[y].comp[0], b = c->v[y].comp[1];
    if (l == r || l == y || r == y) return false;
    for (int t = 0; t < c->nsrc; t++) {
        int cnt;
        if (find_ax(&sim[t], l, &cnt) >= 0 || find_ax(&sim[t], r, &cnt) >= 0) return false;
    }
    if (syno_size_eq(c->v[b].size, c->v[r].size)) {
        alias_var(c, l, a);
        alias_var(c, r, b);
        return true;
    }
    syno_size m;
    if (c->v[b].comp[0] >= 0 || c->nxs == MAXXS || c->nvars == MAXV || !syno_size_div(&m, c->v[b].size, c->v[r].size))
        return false;
    syno_size_kind kind = syno_size_classify(op->vars, m);
    if (kind != SYNO_SIZE_COEF && kind != SYNO_SIZE_GENERAL) return false;
    int b1 = c->nvars++;
    pvar *v = &c->v[b1];
    memset(v, 0, sizeof *v);
    v->size = m;
    v->consumer = -1;
    v->comp[0] = v->comp[1] = -1;
    v->made_by = -1;
    v->letter = -1;
    int x = c->nxs++;
    c->xs[x].node = k;
    c->xs[x].in = b;
    c->xs[x].out[0] = b1;
    c->xs[x].out[1] = r;
    if (!to_parts(c, sim, b, XS(x), 1ull << b1 | 1ull << r)) return false;
    c->v[l].comp[0] = a;
    c->v[l].comp[1] = b1;
    c->v[l].made_by = c->v[y].made_by;
    return true;
}

/* Shift node K of a merge left in parts u = (a, b) into y: y stays in the
 * parts (a, b), standing for u; a tensor holding y rolls it back (then
 * holds u: UNSHIFT) and an output holding y rolls its parts at the end
 * (c->rolls); a sum over y is one over u.  False (the exporter falls back)
 * unless y only goes through merges to the output or to a sum. */
static bool shift_parts(vctx *c, operand *sim, int k)
{
    const syno_op *op = c->op;
    const syno_node *n = &op->nodes[k];
    int u = c->var_of[n->in[0]], y = c->var_of[n->out[0]];
    if (u == y || c->nrolls == MAXV) return false;
    bool to_out = false;
    for (int v = y;;) {
        int k2 = c->v[v].consumer;
        if (k2 < 0) {
            if (!c->v[v].out) return false;
            to_out = true;
            break;
        }
        syno_prim p = op->nodes[k2].prim;
        if (p == SYNO_PRIM_SUM || p == SYNO_PRIM_MEAN) break;
        if (p != SYNO_PRIM_MERGE) return false;
        v = c->var_of[op->nodes[k2].out[0]];
        if (v == y) return false;
    }
    for (int t = 0; t < c->nsrc; t++) {
        int cnt;
        if (find_ax(&sim[t], y, &cnt) < 0) continue;
        if (cnt > 1 || sim[t].nax + 1 >= MAXAX) return false;
    }
    c->v[y].comp[0] = c->v[u].comp[0];
    c->v[y].comp[1] = c->v[u].comp[1];
    c->v[y].made_by = c->v[u].made_by;
    for (int t = 0; t < c->nsrc; t++) {
        int cnt;
        if (find_ax(&sim[t], y, &cnt) < 0) continue;
        apply(c, &sim[t], UNSHIFT(k), false);
        push_pend(&c->o[c->src[t]], UNSHIFT(k));
        c->o[c->src[t]].all |= 1ull << c->v[u].comp[0] | 1ull << c->v[u].comp[1];
    }
    if (to_out) c->rolls[c->nrolls++] = k;
    return true;
}

/* Merge node K of variables a and b that not every operand holding one
 * holds both of: each such operand gets the other as a broadcast axis
 * (BCAST, a view; the merge then copies it), so that the merge is made
 * in each, a flatten, and what reads it views it (the fallback of a
 * primitive that reads a merge left in parts).  False when some operand
 * holds a part twice, or none holds either; when a part is itself a merge
 * left in parts, false with that merge in c->fail_merge (to be made in
 * every operand first, the next walk). */
static bool forced_merge(vctx *c, operand *sim, int k)
{
    const syno_node *n = &c->op->nodes[k];
    int a = c->var_of[n->in[0]], b = c->var_of[n->in[1]], holders = 0;
    for (int i = 0; i < 2; i++) {
        int p = i ? b : a;
        if (c->v[p].comp[0] >= 0) {
            c->fail_merge = c->v[p].made_by;
            return false;
        }
    }
    for (int t = 0; t < c->nsrc; t++) {
        int ca, cb;
        bool ha = find_ax(&sim[t], a, &ca) >= 0, hb = find_ax(&sim[t], b, &cb) >= 0;
        if (ca > 1 || cb > 1 || sim[t].nax + 2 >= MAXAX) return false;
        holders += ha || hb;
    }
    if (!holders) return false;
    for (int t = 0; t < c->nsrc; t++) {
        int ca, cb;
        bool ha = find_ax(&sim[t], a, &ca) >= 0, hb = find_ax(&sim[t], b, &cb) >= 0;
        if (ha == hb) continue;
        int e = BCAST(k, ha ? b : a);
        apply(c, &sim[t], e, false);
        push_pend(&c->o[c->src[t]], e);
        c->o[c->src[t]].all |= 1ull << a | 1ull << b;
    }
    return true;
}

/* Unfold node K of a variable no operand holds (an expand, maybe through
 * views: ones along it): its result is a constant 0/1 mask [position,
 * tap], 1 where the tap reads inside the variable, made once per sizes,
 * device and dtype (_window_mask); a new operand that the walk views
 * further like a tensor and that joins the first stage sharing a variable
 * with it (or a stage of its own at the end).  False when there is no room
 * for it. */
static bool add_mask(vctx *c, operand *sim, int k)
{
    const syno_node *n = &c->op->nodes[k];
    if (c->nmasks == MAXMASK) return false;
    int u = c->var_of[n->in[0]], y = c->var_of[n->out[0]], w = c->var_of[n->out[1]];
    if (y == w || y == u || w == u) return false;
    int m = c->nmasks++, t = c->nsrc++;
    operand *o = &c->o[MAXOPS - 1 - m];
    memset(o, 0, sizeof *o);
    o->expr = syno_arena_printf(c->a, "_window_mask(self._cache, %s, %s, x)", size_of(c, u), size_of(c, w));
    o->pend = syno_arena_alloc(c->a, pend_cap(c->op) * sizeof *o->pend);
    o->nax = 2;
    o->ax[0] = y;
    o->ax[1] = w;
    o->all = 1ull << y | 1ull << w;
    c->src[t] = MAXOPS - 1 - m;
    sim[t] = *o;
    return true;
}

static int uf_find(int *parent, int a)
{
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
}

/* Room for an operand's pending entries: a node, an unmerge and, per
 * reverse of a merge left in parts, a flip per part. */
static size_t pend_cap(const syno_op *op)
{
    return (size_t)(op->nnodes + 2) * (size_t)(op->nnodes + 2);
}

static void push_pend(operand *o, int e)
{
    o->pend[o->npend++] = e;
}

/* Every source tensor holding VAR (once) takes view E, which replaces VAR
 * by its two parts, whose variables are PARTS; false when one holds VAR
 * twice or has no room for another axis. */
static bool to_parts(vctx *c, operand *sim, int var, int e, uint64_t parts)
{
    for (int t = 0; t < c->nsrc; t++) {
        int cnt;
        if (find_ax(&sim[t], var, &cnt) < 0) continue;
        if (cnt > 1 || sim[t].nax + 1 >= MAXAX) return false;
        apply(c, &sim[t], e, false);
        push_pend(&c->o[c->src[t]], e);
        c->o[c->src[t]].all |= parts;
    }
    return true;
}

/* Builds the variables and, for each tensor, the entries that view it;
 * false when some node cannot be a view. */
static bool walk(vctx *c)
{
    const syno_op *op = c->op;
    int *parent = syno_arena_alloc(c->a, (size_t)(op->ndims + 1) * sizeof *parent);
    c->var_of = syno_arena_alloc(c->a, (size_t)(op->ndims + 1) * sizeof *c->var_of);
    c->pos = syno_arena_alloc(c->a, (size_t)(op->nnodes + 1) * sizeof *c->pos);
    for (int d = 0; d < op->ndims; d++) parent[d] = d;
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim != SYNO_PRIM_SHARE) continue;
        parent[uf_find(parent, n->in[0])] = uf_find(parent, n->out[0]);
        parent[uf_find(parent, n->in[1])] = uf_find(parent, n->out[0]);
    }
    for (int d = 0; d < op->ndims; d++) c->var_of[d] = -1;
    for (int d = 0; d < op->ndims; d++) {
        int r = uf_find(parent, d);
        if (c->var_of[r] < 0) {
            if (c->nvars == MAXV) return false;
            pvar *v = &c->v[c->nvars];
            v->size = op->dims[r].size;
            v->consumer = -1;
            v->comp[0] = v->comp[1] = -1;
            v->made_by = -1;
            v->letter = -1;
            c->var_of[r] = c->nvars++;
        }
        c->var_of[d] = c->var_of[r];
    }
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim == SYNO_PRIM_SHARE) continue;
        for (int i = 0; i < 2; i++)
            if (n->in[i] >= 0) c->v[c->var_of[n->in[i]]].consumer = k;
    }
    for (int i = 0; i < op->nout; i++) c->v[c->var_of[op->out[i]]].out = true;
    for (int i = 0; i < op->norder; i++) c->pos[op->order[i]] = i;
    /* the tensors' operands, their axes evolving as the walk applies nodes */
    c->nops = op->ntensors;
    operand sim[SYNO_MAX_TENSORS + MAXMASK];
    c->nsrc = op->ntensors;
    for (int t = 0; t < op->ntensors; t++) {
        c->src[t] = t;
        operand *o = &c->o[t];
        o->expr = py_tensor(op, c->a, t);
        o->pend = syno_arena_alloc(c->a, pend_cap(op) * sizeof *o->pend);
        if (op->tensors[t].rank > MAXAX) return false;
        o->nax = op->tensors[t].rank;
        for (int i = 0; i < o->nax; i++) {
            o->ax[i] = c->var_of[op->tensors[t].axes[i]];
            o->all |= 1ull << o->ax[i];
        }
        sim[t] = *o;
    }
    for (int oi = 0; oi < op->norder; oi++) {
        int k = op->order[oi];
        const syno_node *n = &op->nodes[k];
        c->fail_merge = -1;
        switch (n->prim) {
        case SYNO_PRIM_SHARE:
        case SYNO_PRIM_SUM:
        case SYNO_PRIM_MEAN:
        case SYNO_PRIM_EXPAND: break;
        case SYNO_PRIM_SPLIT:
        case SYNO_PRIM_UNFOLD:
        case SYNO_PRIM_SHIFT:
        case SYNO_PRIM_REVERSE:
        case SYNO_PRIM_STRIDE: {
            int u = c->var_of[n->in[0]], held = 0;
            c->fail_merge = c->v[u].made_by;
            if (c->v[u].comp[0] >= 0) {
                /* reads a merge left in parts: a reverse flips the parts
                 * (and its result is in the same parts); anything else
                 * falls back */
                int y = c->var_of[n->out[0]], parts[MAXV], np = 0;
                if (n->prim == SYNO_PRIM_SPLIT) {
                    if (!split_parts(c, sim, k)) return false;
                    break;
                }
                if (n->prim == SYNO_PRIM_SHIFT) {
                    if (!shift_parts(c, sim, k)) return false;
                    break;
                }
                if (n->prim != SYNO_PRIM_REVERSE) return false;
                for (int t = 0; t < c->nsrc; t++) {
                    int cnt;
                    if (find_ax(&sim[t], y, &cnt) >= 0) return false;
                }
                atoms(c, u, parts, &np);
                for (int i = 0; i < np; i++)
                    for (int t = 0; t < c->nsrc; t++) {
                        int cnt;
                        if (find_ax(&sim[t], parts[i], &cnt) < 0) continue;
                        if (cnt > 1) return false;
                        push_pend(&c->o[c->src[t]], FLIP(k, parts[i]));
                    }
                c->v[y].comp[0] = c->v[u].comp[0];
                c->v[y].comp[1] = c->v[u].comp[1];
                c->v[y].made_by = c->v[u].made_by;
                c->fail_merge = -1;
                break;
            }
            for (int t = 0; t < c->nsrc; t++) {
                int cnt;
                if (find_ax(&sim[t], u, &cnt) < 0) continue;
                if (cnt > 1 || sim[t].nax + 1 >= MAXAX) return false;
                apply(c, &sim[t], k, false);
                push_pend(&c->o[c->src[t]], k);
                for (int i = 0; i < sim[t].nax; i++) c->o[c->src[t]].all |= 1ull << sim[t].ax[i];
                held++;
            }
            if (!held && n->prim == SYNO_PRIM_UNFOLD && !add_mask(c, sim, k)) return false;
            c->fail_merge = -1;
            break;
        }
        case SYNO_PRIM_MERGE: {
            int a = c->var_of[n->in[0]], b = c->var_of[n->in[1]], y = c->var_of[n->out[0]];
            if (a == b || a == y || b == y) return false;
            bool together = true;
            int holders = 0;
            for (int t = 0; t < c->nsrc; t++) {
                int ca, cb;
                bool ha = find_ax(&sim[t], a, &ca) >= 0, hb = find_ax(&sim[t], b, &cb) >= 0;
                if (ha != hb || ca > 1 || cb > 1) together = false;
                holders += ha && hb;
            }
            if (c->forced[k] && !together && !forced_merge(c, sim, k)) return false;
            if (c->forced[k]) together = true, holders = 1;
            if (together && holders) {
                for (int t = 0; t < c->nsrc; t++) {
                    int cnt;
                    if (find_ax(&sim[t], a, &cnt) < 0) continue;
                    apply(c, &sim[t], k, false);
                    push_pend(&c->o[c->src[t]], k);
                    c->o[c->src[t]].all |= 1ull << y;
                }
            } else {
                /* left in parts: tensors holding y (shared with it) see its parts */
                c->v[y].comp[0] = a;
                c->v[y].comp[1] = b;
                c->v[y].made_by = k;
                if (!to_parts(c, sim, y, UNMERGE(k), 1ull << a | 1ull << b)) return false;
            }
            break;
        }
        case SYNO_PRIM_COUNT: SYNO_UNREACHABLE();
        }
    }
    for (int t = 0; t < c->nsrc; t++)
        for (int i = 0; i < sim[t].nax; i++) c->v[sim[t].ax[i]].held = true;
    return true;
}

/* Appends to LIST the plain variables V stands for (its parts, recursively,
 * for a merge left in parts). */
static void atoms(const vctx *c, int v, int *list, int *n)
{
    if (c->v[v].comp[0] < 0) {
        list[(*n)++] = v;
        return;
    }
    atoms(c, c->v[v].comp[0], list, n);
    atoms(c, c->v[v].comp[1], list, n);
}

/* ---- stages ---------------------------------------------------------------------- */

static char letter(const vctx *c, int v)
{
    int l = c->v[v].letter;
    SYNO_ASSERT(l >= 0 && l < NLETTERS);
    return (char)(l < 26 ? 'a' + l : 'A' + l - 26);
}

static void subscripts(const vctx *c, const int *ax, int n, syno_buf *out)
{
    for (int i = 0; i < n; i++) syno_buf_putc(out, letter(c, ax[i]));
}

static uint64_t mask_of(const int *ax, int n)
{
    uint64_t m = 0;
    for (int i = 0; i < n; i++) m |= 1ull << ax[i];
    return m;
}

/* The variables entry E and the entries after it in O that read its
 * results (transitively) produce. */
static uint64_t closure_out(const vctx *c, const operand *o, int idx)
{
    int in[2], outv[2], nin, nout;
    entry_vars(c, o->pend[idx], in, &nin, outv, &nout);
    uint64_t m = mask_of(outv, nout);
    for (int j = idx + 1; j < o->npend; j++) {
        entry_vars(c, o->pend[j], in, &nin, outv, &nout);
        if (m & mask_of(in, nin)) m |= mask_of(outv, nout);
    }
    return m;
}

/* Which pending entries of O a stage applies (WANT[i]): in the last stage
 * all of them; else those whose results meet MEET (the variables of the
 * other operands of the stage), those that let a variable of SUMV be
 * summed now without growing the operand (no window on the way: a window
 * summed right away would copy the operand K times for nothing), and what
 * they depend on. */
static void choose(const vctx *c, const operand *o, uint64_t meet, uint64_t sumv, bool last, bool *want)
{
    bool grows[4 * MAXAX + 64];
    uint64_t grown = 0; /* variables made by a window, or from one */
    SYNO_ASSERT(o->npend <= (int)SYNO_ARRAY_LEN(grows));
    for (int i = 0; i < o->npend; i++) {
        int in[2], outv[2], nin, nout;
        entry_vars(c, o->pend[i], in, &nin, outv, &nout);
        grows[i] = is_unfold(c, o->pend[i]) || (mask_of(in, nin) & grown);
        if (grows[i]) grown |= mask_of(outv, nout);
    }
    for (int i = 0; i < o->npend; i++) {
        uint64_t cl = closure_out(c, o, i);
        want[i] = last || IS_UNMERGE(o->pend[i]) || IS_UNSHIFT(o->pend[i]) || (cl & meet) != 0 || (!grows[i] && (cl & sumv & ~grown) != 0);
    }
    for (int j = o->npend - 1; j >= 0; j--) {
        if (!want[j]) continue;
        int in[2], outv[2], nin, nout;
        entry_vars(c, o->pend[j], in, &nin, outv, &nout);
        uint64_t need = mask_of(in, nin);
        for (int i = j - 1; i >= 0; i--) {
            int in2[2], out2[2], n2, m2;
            entry_vars(c, o->pend[i], in2, &n2, out2, &m2);
            if (need & mask_of(out2, m2)) {
                want[i] = true;
                need |= mask_of(in2, n2);
            }
        }
    }
}

/* Emits PERM applied to expression E when it is not the identity. */
static const char *permuted(vctx *c, const char *e, const int *perm, int n)
{
    bool id = true;
    for (int i = 0; i < n; i++) id &= perm[i] == i;
    if (id) return e;
    syno_buf p = SYNO_BUF_INIT;
    for (int i = 0; i < n; i++) syno_buf_printf(&p, "%s%d", i ? ", " : "", perm[i]);
    const char *t = tmp(c);
    emitf(c, "        %s = %s.permute(%s)\n", t, e, syno_buf_str(&p));
    syno_buf_fini(&p);
    return t;
}

/* Python product of the sizes of variables LIST[0..n) ("1" when empty). */
static const char *prod(vctx *c, const int *list, int n)
{
    if (n == 0) return "1";
    syno_buf b = SYNO_BUF_INIT;
    for (int i = 0; i < n; i++) syno_buf_printf(&b, "%s%s", i ? " * " : "", size_of(c, list[i]));
    const char *r = syno_arena_printf(c->a, "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
    return r;
}

/* Position of variable V among AX[0..n), or -1. */
static int index_of(const int *ax, int n, int v)
{
    for (int i = 0; i < n; i++)
        if (ax[i] == v) return i;
    return -1;
}

/* R's expression: T reshaped to the sizes of R's axes. */
static void reshape_to_axes(vctx *c, operand *r, const char *t)
{
    syno_buf shp = SYNO_BUF_INIT;
    for (int i = 0; i < r->nax; i++) syno_buf_printf(&shp, "%s, ", size_of(c, r->ax[i]));
    r->expr = tmp(c);
    emitf(c, "        %s = %s.reshape((%s))\n", r->expr, t, syno_buf_str(&shp));
    syno_buf_fini(&shp);
}

/* A stage that is a convolution: operand D, whose entries WD[] the stage
 * applies, meets W (its entries applied) and keeps KEEP.  The windows are
 * the unfolds of D whose taps (maybe through a stride: dilation) W holds;
 * a stride of a window's position is the convolution's stride. */
typedef struct conv_plan {
    int nsp;
    int hvar[3], yvar[3], tvar[3], kvar[3]; /* unfolded axis, position, tap (after dilation), unfold window */
    int st_e[3], dil_e[3];                  /* entries of the position's and the tap's strides, or -1 */
    bool skip[4 * MAXAX + 64];              /* entries of D the convolution does itself */
    int B[MAXAX], G[MAXAX], C[MAXAX], OC[MAXAX], nb, ng, nc, noc;
} conv_plan;

static bool is_stride(const vctx *c, int e)
{
    return entry_prim(c, e) == SYNO_PRIM_STRIDE;
}

static bool conv_check(vctx *c, const operand *d, const bool *wd, const operand *w, uint64_t keep, conv_plan *p)
{
    memset(p, 0, sizeof *p);
    if (d->npend > (int)SYNO_ARRAY_LEN(p->skip)) return false;
    uint64_t wm = mask_of(w->ax, w->nax);
    for (int i = 0; i < d->npend; i++) {
        if (!wd[i] || !is_unfold(c, d->pend[i])) continue;
        int in[2], outv[2], nin, nout;
        entry_vars(c, d->pend[i], in, &nin, outv, &nout);
        int y = outv[0], t = outv[1], ti = -1, yi = -1;
        for (int j = i + 1; j < d->npend; j++) {
            int in2[2], o2[2], n2, m2;
            entry_vars(c, d->pend[j], in2, &n2, o2, &m2);
            uint64_t reads = mask_of(in2, n2);
            if (!(reads & (1ull << y | 1ull << t))) continue;
            if (!wd[j]) return false;
            if (in2[0] == t && is_stride(c, d->pend[j]) && ti < 0) ti = j, t = o2[0];
            else if (in2[0] == y && is_stride(c, d->pend[j]) && yi < 0) yi = j, y = o2[0];
            else return false;
        }
        if (!(wm & (1ull << t))) continue; /* not a window over W */
        if (p->nsp == 3) return false;
        int s = p->nsp++;
        p->hvar[s] = in[0];
        p->kvar[s] = outv[1];
        p->tvar[s] = t;
        p->yvar[s] = y;
        p->dil_e[s] = ti;
        p->st_e[s] = yi;
        p->skip[i] = true;
        if (ti >= 0) p->skip[ti] = true;
        if (yi >= 0) p->skip[yi] = true;
    }
    if (!p->nsp) return false;
    /* D's axes once its other entries are applied */
    operand base = *d;
    for (int i = 0; i < d->npend; i++)
        if (wd[i] && !p->skip[i]) apply(c, &base, d->pend[i], false);
    uint64_t seen = 0;
    for (int i = 0; i < base.nax; i++) {
        int v = base.ax[i];
        if (seen & (1ull << v)) return false;
        seen |= 1ull << v;
        bool sp = false;
        for (int s = 0; s < p->nsp; s++) sp |= v == p->hvar[s];
        if (sp) continue;
        bool inw = wm & (1ull << v), ink = keep & (1ull << v);
        if (!inw && ink) p->B[p->nb++] = v;
        else if (inw && !ink) p->C[p->nc++] = v;
        else if (inw && ink) p->G[p->ng++] = v;
        else return false; /* summed in D alone */
    }
    for (int s = 0; s < p->nsp; s++)
        if (index_of(base.ax, base.nax, p->hvar[s]) < 0 || (keep & (1ull << p->tvar[s])) ||
            !(keep & (1ull << p->yvar[s])) || (wm & (1ull << p->yvar[s])))
            return false;
    uint64_t wseen = 0;
    for (int i = 0; i < w->nax; i++) {
        int v = w->ax[i];
        if (wseen & (1ull << v)) return false;
        wseen |= 1ull << v;
        bool tap = false;
        for (int s = 0; s < p->nsp; s++) tap |= v == p->tvar[s];
        if (tap || (seen & (1ull << v))) continue;
        if (!(keep & (1ull << v))) return false; /* summed in W alone */
        p->OC[p->noc++] = v;
    }
    return true;
}

/* The size ratio of the stride entry E ("1" for none). */
static const char *stride_of(vctx *c, const operand *d, int e)
{
    if (e < 0) return "1";
    int in[2], outv[2], nin, nout;
    entry_vars(c, d->pend[e], in, &nin, outv, &nout);
    syno_size q;
    syno_size_div(&q, c->v[in[0]].size, c->v[outv[0]].size);
    return py_size(&c->z, q);
}

/* Emits the convolution P: D's entries (but the windows) are applied here;
 * W's already are.  R gets axes [B, G, OC, positions]. */
static void conv_emit(vctx *c, operand *d, const bool *wd, operand *w, const conv_plan *p, operand *r)
{
    int rest[4 * MAXAX + 64], nrest = 0;
    const char *st[3], *dl[3];
    for (int s = 0; s < p->nsp; s++) {
        st[s] = stride_of(c, d, p->st_e[s]);
        dl[s] = stride_of(c, d, p->dil_e[s]);
    }
    for (int i = 0; i < d->npend; i++)
        if (wd[i] && !p->skip[i]) rest[nrest++] = d->pend[i];
    apply_list(c, d, rest, nrest);
    int perm[MAXAX], np = 0;
    for (int i = 0; i < p->nb; i++) perm[np++] = index_of(d->ax, d->nax, p->B[i]);
    for (int i = 0; i < p->ng; i++) perm[np++] = index_of(d->ax, d->nax, p->G[i]);
    for (int i = 0; i < p->nc; i++) perm[np++] = index_of(d->ax, d->nax, p->C[i]);
    for (int s = 0; s < p->nsp; s++) perm[np++] = index_of(d->ax, d->nax, p->hvar[s]);
    const char *xe = permuted(c, d->expr, perm, np);
    syno_buf shp = SYNO_BUF_INIT;
    syno_buf_printf(&shp, "%s, %s * %s", prod(c, p->B, p->nb), prod(c, p->G, p->ng), prod(c, p->C, p->nc));
    for (int s = 0; s < p->nsp; s++) syno_buf_printf(&shp, ", %s", size_of(c, p->hvar[s]));
    const char *xt = tmp(c);
    emitf(c, "        %s = %s.reshape(%s)\n", xt, xe, syno_buf_str(&shp));
    syno_buf_clear(&shp);
    np = 0;
    for (int i = 0; i < p->ng; i++) perm[np++] = index_of(w->ax, w->nax, p->G[i]);
    for (int i = 0; i < p->noc; i++) perm[np++] = index_of(w->ax, w->nax, p->OC[i]);
    for (int i = 0; i < p->nc; i++) perm[np++] = index_of(w->ax, w->nax, p->C[i]);
    for (int s = 0; s < p->nsp; s++) perm[np++] = index_of(w->ax, w->nax, p->tvar[s]);
    const char *we = permuted(c, w->expr, perm, np);
    syno_buf_printf(&shp, "%s * %s, %s", prod(c, p->G, p->ng), prod(c, p->OC, p->noc), prod(c, p->C, p->nc));
    for (int s = 0; s < p->nsp; s++) syno_buf_printf(&shp, ", %s", size_of(c, p->tvar[s]));
    const char *wt = tmp(c);
    emitf(c, "        %s = %s.reshape(%s)\n", wt, we, syno_buf_str(&shp));
    syno_buf_clear(&shp);
    /* position q of window s reads q*st + t*dil - K//2 for tap t (K the
     * unfold's window): left pad K//2, right pad what the last position's
     * last tap needs */
    syno_buf pads = SYNO_BUF_INIT, sts = SYNO_BUF_INIT, dils = SYNO_BUF_INIT;
    for (int s = 0; s < p->nsp; s++) {
        const char *K = size_of(c, p->kvar[s]), *k = size_of(c, p->tvar[s]), *H = size_of(c, p->hvar[s]);
        const char *Y = size_of(c, p->yvar[s]);
        syno_buf_printf(&pads, "(%s // 2, (%s - 1) * %s + %s * (%s - 1) + 1 - %s - %s // 2), ", K, Y, st[s], dl[s], k,
                        H, K);
        syno_buf_printf(&sts, "%s, ", st[s]);
        syno_buf_printf(&dils, "%s, ", dl[s]);
    }
    const char *rt = tmp(c);
    emitf(c, "        %s = _conv(%s, %s, (%s), (%s), (%s), %s)\n", rt, xt, wt, syno_buf_str(&pads), syno_buf_str(&sts),
          syno_buf_str(&dils), prod(c, p->G, p->ng));
    r->nax = 0;
    for (int i = 0; i < p->nb; i++) r->ax[r->nax++] = p->B[i];
    for (int i = 0; i < p->ng; i++) r->ax[r->nax++] = p->G[i];
    for (int i = 0; i < p->noc; i++) r->ax[r->nax++] = p->OC[i];
    for (int s = 0; s < p->nsp; s++) r->ax[r->nax++] = p->yvar[s];
    reshape_to_axes(c, r, rt);
    syno_buf_fini(&shp);
    syno_buf_fini(&pads);
    syno_buf_fini(&sts);
    syno_buf_fini(&dils);
}

/* F.linear: P [..., K] times Q [N, K] (one summed letter, last in P, last
 * in Q, nothing else shared), keeping P's other letters then N. */
static bool try_linear(vctx *c, const operand *p, const operand *q, uint64_t keep, operand *r)
{
    if (q->nax != 2 || p->nax < 1) return false;
    int k = p->ax[p->nax - 1], n = q->ax[0];
    if (q->ax[1] != k || n == k || (keep & (1ull << k)) || !(keep & (1ull << n))) return false;
    for (int i = 0; i + 1 < p->nax; i++)
        if (p->ax[i] == k || p->ax[i] == n || !(keep & (1ull << p->ax[i]))) return false;
    const char *t = tmp(c);
    emitf(c, "        %s = F.linear(%s, %s)\n", t, p->expr, q->expr);
    r->nax = 0;
    for (int i = 0; i + 1 < p->nax; i++) r->ax[r->nax++] = p->ax[i];
    r->ax[r->nax++] = n;
    r->expr = t;
    return true;
}

/* ---- matrix products ------------------------------------------------------------- */

enum { CL_NONE, CL_B, CL_M, CL_N, CL_K };

/* Splits O's axes into consecutive runs whose letters have the classes
 * PAT[0..np) (CLS by variable); run r is axes [at[r], at[r + 1]).  False
 * when the axes are not in that order. */
static bool runs(const operand *o, const int *cls, const int *pat, int np, int *at)
{
    int i = 0;
    for (int r = 0; r < np; r++) {
        at[r] = i;
        while (i < o->nax && cls[o->ax[i]] == pat[r]) i++;
    }
    at[np] = i;
    return i == o->nax;
}

static bool same_run(const operand *p, int p0, int p1, const operand *q, int q0, int q1)
{
    return p1 - p0 == q1 - q0 && memcmp(p->ax + p0, q->ax + q0, (size_t)(p1 - p0) * sizeof *p->ax) == 0;
}

/* Python product of the sizes of O's axes [a0, a1). */
static const char *run_size(vctx *c, const operand *o, int a0, int a1)
{
    return prod(c, o->ax + a0, a1 - a0);
}

/* O as a matrix of runs [r0, r1) x [r1, r2) (with batch run [b0, r0) in
 * front when B), transposed when T: the expression. */
static const char *as_matrix(vctx *c, const operand *o, bool b, int b0, int r0, int r1, int r2, bool t)
{
    const char *e = tmp(c);
    if (b) emitf(c, "        %s = %s.reshape(%s, %s, %s)%s\n", e, o->expr, run_size(c, o, b0, r0), run_size(c, o, r0, r1),
                 run_size(c, o, r1, r2), t ? ".mT" : "");
    else emitf(c, "        %s = %s.reshape(%s, %s)%s\n", e, o->expr, run_size(c, o, r0, r1), run_size(c, o, r1, r2),
               t ? ".mT" : "");
    return e;
}

/* A stage of two operands that is a (batched) matrix product without any
 * reordering of data: P [B][M][K] or [B][K][M] and Q [B][K][N] or
 * [B][N][K] (the same B and K letters in the same order): torch.matmul on
 * reshaped views; or P [M1][K][M2] and Q [K][N] or [N][K] (a 1x1
 * convolution: Q applied at every M1, M2): F.conv1d.  Sets R's axes. */
static bool try_matmul(vctx *c, const operand *p, const operand *q, uint64_t keep, operand *r)
{
    int cls[MAXV] = {0};
    uint64_t pm = mask_of(p->ax, p->nax), qm = mask_of(q->ax, q->nax);
    if (__builtin_popcountll(pm) != p->nax || __builtin_popcountll(qm) != q->nax) return false;
    for (int v = 0; v < c->nvars; v++) {
        bool ip = pm & (1ull << v), iq = qm & (1ull << v), ik = keep & (1ull << v);
        if (!ip && !iq) continue;
        if (ip && iq) cls[v] = ik ? CL_B : CL_K;
        else if (!ik) return false; /* summed in one operand alone */
        else cls[v] = ip ? CL_M : CL_N;
    }
    int pa[4], qa[4];
    static const int BMK[] = {CL_B, CL_M, CL_K}, BKM[] = {CL_B, CL_K, CL_M}, BKN[] = {CL_B, CL_K, CL_N},
                     BNK[] = {CL_B, CL_N, CL_K}, MKM[] = {CL_M, CL_K, CL_M}, KN[] = {CL_K, CL_N}, NK[] = {CL_N, CL_K};
    for (int pv = 0; pv < 2; pv++)
        for (int qv = 0; qv < 2; qv++) {
            if (!runs(p, cls, pv ? BKM : BMK, 3, pa) || !runs(q, cls, qv ? BNK : BKN, 3, qa)) continue;
            int pk0 = pv ? pa[1] : pa[2], pk1 = pv ? pa[2] : pa[3], qk0 = qv ? qa[2] : qa[1], qk1 = qv ? qa[3] : qa[2];
            if (!same_run(p, pa[0], pa[1], q, qa[0], qa[1]) || !same_run(p, pk0, pk1, q, qk0, qk1) || pk1 == pk0) continue;
            bool b = pa[1] > pa[0];
            const char *pe = as_matrix(c, p, b, pa[0], pa[1], pa[2], pa[3], pv);
            const char *qe = as_matrix(c, q, b, qa[0], qa[1], qa[2], qa[3], qv);
            const char *t = tmp(c);
            emitf(c, "        %s = torch.matmul(%s, %s)\n", t, pe, qe);
            r->nax = 0;
            for (int i = pa[0]; i < pa[1]; i++) r->ax[r->nax++] = p->ax[i];
            for (int i = pv ? pa[2] : pa[1]; i < (pv ? pa[3] : pa[2]); i++) r->ax[r->nax++] = p->ax[i];
            for (int i = qv ? qa[1] : qa[2]; i < (qv ? qa[2] : qa[3]); i++) r->ax[r->nax++] = q->ax[i];
            reshape_to_axes(c, r, t);
            return true;
        }
    /* Q broadcast over P's leading letters */
    for (int qv = 0; qv < 2; qv++) {
        if (!runs(p, cls, MKM, 3, pa) || !runs(q, cls, qv ? NK : KN, 2, qa)) continue;
        int qk0 = qv ? qa[1] : qa[0], qk1 = qv ? qa[2] : qa[1];
        if (pa[1] == pa[0] || pa[3] == pa[2] || !same_run(p, pa[1], pa[2], q, qk0, qk1) || qk1 == qk0) continue;
        const char *pe = as_matrix(c, p, true, pa[0], pa[1], pa[2], pa[3], false);
        const char *qe = as_matrix(c, q, false, 0, qa[0], qa[1], qa[2], !qv);
        /* as a convolution with one tap: torch's convolutions beat a
         * broadcast matmul here, forward and backward */
        const char *t = tmp(c);
        emitf(c, "        %s = F.conv1d(%s, %s.reshape(%s, %s, 1))\n", t, pe, qe, run_size(c, q, qv ? qa[0] : qa[1], qv ? qa[1] : qa[2]),
              run_size(c, q, qk0, qk1));
        r->nax = 0;
        for (int i = pa[0]; i < pa[1]; i++) r->ax[r->nax++] = p->ax[i];
        for (int i = qv ? qa[0] : qa[1]; i < (qv ? qa[1] : qa[2]); i++) r->ax[r->nax++] = q->ax[i];
        for (int i = pa[2]; i < pa[3]; i++) r->ax[r->nax++] = p->ax[i];
        reshape_to_axes(c, r, t);
        return true;
    }
    return false;
}

/* A stage of two operands where every letter of Q is one of P's (a
 * product whose other side is a vector): P times Q broadcast to P's axes,
 * then a sum of the summed letters.  PyTorch's einsum makes that a bmm of
 * one-column matrices, batched over every shared kept letter, which is
 * slow backward (a copy per batch); the product and the sum read P once.
 * The layout rule is the module's _mulsum's, decided on the strides at run
 * time: the product is made in the memory order of the operand spanning
 * more storage (a weight, not the windows of an input that read theirs
 * several times; if that one's windows overlap, or it is in the stage's
 * order already, the plain product), the other permuted to it, and the
 * backward (_MulSum)
 * writes each operand's gradient in that operand's own layout, so that the
 * views before the product hand it on without a copy (autograd's multiply
 * lays it out like the incoming gradient and the other operand, and a
 * permuted weight's reshape then copies it: random 12/30 spent a third of
 * its time in such copies).  R gets P's kept axes in P's order. */
static bool try_mulsum(vctx *c, const operand *p, const operand *q, uint64_t keep, operand *r)
{
    uint64_t pm = mask_of(p->ax, p->nax), qm = mask_of(q->ax, q->nax);
    if (__builtin_popcountll(pm) != p->nax || __builtin_popcountll(qm) != q->nax || (qm & ~pm) || q->nax == 0)
        return false;
    /* Q's axes in P's order, with a new axis where P has one Q lacks */
    int perm[MAXAX], np = 0;
    syno_buf idx = SYNO_BUF_INIT, dims = SYNO_BUF_INIT;
    r->nax = 0;
    for (int i = 0; i < p->nax; i++) {
        int j = index_of(q->ax, q->nax, p->ax[i]);
        if (j >= 0) perm[np++] = j;
        syno_buf_puts(&idx, j >= 0 ? ":, " : "None, ");
        if (keep & (1ull << p->ax[i])) r->ax[r->nax++] = p->ax[i];
        else syno_buf_printf(&dims, "%d, ", i);
    }
    const char *qe = permuted(c, q->expr, perm, np);
    if (np < p->nax) qe = syno_arena_printf(c->a, "%s[%s]", qe, syno_buf_str(&idx));
    const char *t = tmp(c);
    if (r->nax < p->nax) emitf(c, "        %s = _mulsum(%s, %s, (%s))\n", t, p->expr, qe, syno_buf_str(&dims));
    else emitf(c, "        %s = %s * %s\n", t, p->expr, qe);
    r->expr = t;
    syno_buf_fini(&idx);
    syno_buf_fini(&dims);
    return true;
}

/* A sum over the inner parts of the last two axes, each split in two, that
 * keeps everything else in order: O's last axes are [l1, r1, l2, r2] with
 * r1 and r2 summed.  That is torch's average pooling (times its window),
 * much faster than einsum's sum forward and backward. */
static bool try_pool2d(vctx *c, const operand *o, uint64_t keep, operand *r)
{
    int n = o->nax;
    if (n < 4) return false;
    const int *ax = o->ax + n - 4;
    if ((keep & (1ull << ax[1])) || (keep & (1ull << ax[3])) || !(keep & (1ull << ax[0])) || !(keep & (1ull << ax[2])))
        return false;
    uint64_t seen = 0;
    for (int i = 0; i < n; i++) {
        if (seen & (1ull << o->ax[i])) return false;
        seen |= 1ull << o->ax[i];
        if (i < n - 4 && !(keep & (1ull << o->ax[i]))) return false;
    }
    const char *l1 = size_of(c, ax[0]), *r1 = size_of(c, ax[1]), *l2 = size_of(c, ax[2]), *r2 = size_of(c, ax[3]);
    const char *t = tmp(c);
    emitf(c, "        %s = F.avg_pool2d(%s.reshape(-1, %s * %s, %s * %s), (%s, %s)) * (%s * %s)\n", t, o->expr, l1, r1,
          l2, r2, r1, r2, r1, r2);
    r->nax = 0;
    for (int i = 0; i < n - 4; i++) r->ax[r->nax++] = o->ax[i];
    r->ax[r->nax++] = ax[0];
    r->ax[r->nax++] = ax[2];
    reshape_to_axes(c, r, t);
    return true;
}

/* One torch.einsum over IN[0..n) keeping KEEP (in the order of ORDER when
 * given, else of first appearance). */
static void einsum(vctx *c, const int *in, int n, uint64_t keep, const int *order, int norder, operand *r)
{
    r->nax = 0;
    if (order) {
        for (int i = 0; i < norder; i++) r->ax[r->nax++] = order[i];
    } else {
        for (int i = 0; i < n; i++) {
            const operand *o = &c->o[in[i]];
            for (int j = 0; j < o->nax; j++)
                if ((keep & (1ull << o->ax[j])) && index_of(r->ax, r->nax, o->ax[j]) < 0) r->ax[r->nax++] = o->ax[j];
        }
    }
    /* one operand, nothing summed, same order: no work */
    if (n == 1 && c->o[in[0]].nax == r->nax && memcmp(c->o[in[0]].ax, r->ax, (size_t)r->nax * sizeof *r->ax) == 0) {
        r->expr = c->o[in[0]].expr;
        return;
    }
    /* one operand with distinct axes: a sum over some of them and a
     * permute cost PyTorch less per call (forward and backward) than
     * einsum's parsing and dispatch */
    if (n == 1 && __builtin_popcountll(mask_of(c->o[in[0]].ax, c->o[in[0]].nax)) == c->o[in[0]].nax) {
        const operand *o = &c->o[in[0]];
        const char *e = o->expr;
        int left[MAXAX], nleft = 0;
        syno_buf dims = SYNO_BUF_INIT;
        for (int j = 0; j < o->nax; j++) {
            if (index_of(r->ax, r->nax, o->ax[j]) < 0) syno_buf_printf(&dims, "%d, ", j);
            else left[nleft++] = o->ax[j];
        }
        if (nleft < o->nax) {
            const char *t = tmp(c);
            emitf(c, "        %s = %s.sum((%s))\n", t, e, syno_buf_str(&dims));
            e = t;
        }
        syno_buf_fini(&dims);
        SYNO_ASSERT(nleft == r->nax);
        if (memcmp(left, r->ax, (size_t)nleft * sizeof *left) != 0) {
            syno_buf p = SYNO_BUF_INIT;
            for (int j = 0; j < r->nax; j++) syno_buf_printf(&p, "%d, ", index_of(left, nleft, r->ax[j]));
            const char *t = tmp(c);
            emitf(c, "        %s = %s.permute(%s)\n", t, e, syno_buf_str(&p));
            e = t;
            syno_buf_fini(&p);
        }
        r->expr = e;
        return;
    }
    syno_buf spec = SYNO_BUF_INIT, args = SYNO_BUF_INIT;
    for (int i = 0; i < n; i++) {
        const operand *o = &c->o[in[i]];
        if (i) syno_buf_putc(&spec, ',');
        subscripts(c, o->ax, o->nax, &spec);
        syno_buf_printf(&args, ", %s", o->expr);
    }
    syno_buf_puts(&spec, "->");
    subscripts(c, r->ax, r->nax, &spec);
    const char *t = tmp(c);
    emitf(c, "        %s = torch.einsum(\"%s\"%s)\n", t, syno_buf_str(&spec), syno_buf_str(&args));
    r->expr = t;
    syno_buf_fini(&spec);
    syno_buf_fini(&args);
}

/* Runs a stage over operands IN[0..n) into a new operand; LATER are the
 * variables later stages and the output need; in the LAST stage the
 * result's axes are OUTV[0..noutv). */
static int stage(vctx *c, const int *in, int n, uint64_t later, bool last, const int *outv, int noutv)
{
    SYNO_ASSERT(c->nops < MAXOPS - c->nmasks && n <= MAXIN);
    operand *r = &c->o[c->nops];
    memset(r, 0, sizeof *r);
    r->pend = syno_arena_alloc(c->a, pend_cap(c->op) * sizeof *r->pend);
    /* summable now: summed variables nothing later needs */
    uint64_t sumv = 0;
    for (int v = 0; v < c->nvars; v++) {
        int k = c->v[v].consumer;
        if (k >= 0 && (c->op->nodes[k].prim == SYNO_PRIM_SUM || c->op->nodes[k].prim == SYNO_PRIM_MEAN) &&
            !(later & (1ull << v)))
            sumv |= 1ull << v;
    }
    bool *want[MAXIN];
    for (int i = 0; i < n; i++) {
        operand *o = &c->o[in[i]];
        uint64_t meet = 0;
        for (int j = 0; j < n; j++)
            if (j != i) meet |= c->o[in[j]].all;
        want[i] = syno_arena_alloc(c->a, (size_t)(o->npend + 1) * sizeof *want[i]);
        choose(c, o, meet, sumv, last, want[i]);
    }
    /* the letters once the chosen entries are applied; what stays pending
     * keeps the variables it reads */
    uint64_t keep_extra = 0, inv = 0;
    operand after[MAXIN];
    for (int i = 0; i < n; i++) {
        operand *o = &c->o[in[i]];
        after[i] = *o;
        for (int j = 0; j < o->npend; j++) {
            if (want[i][j]) {
                apply(c, &after[i], o->pend[j], false);
            } else {
                int iv[2], ov[2], ni, no;
                entry_vars(c, o->pend[j], iv, &ni, ov, &no);
                keep_extra |= mask_of(iv, ni);
            }
        }
        inv |= mask_of(after[i].ax, after[i].nax);
    }
    uint64_t keep = inv & (later | keep_extra);
    conv_plan cp;
    int conv_d = -1;
    for (int s = 0; n == 2 && s < 2 && conv_d < 0; s++)
        if (conv_check(c, &c->o[in[s]], want[s], &after[1 - s], keep, &cp)) conv_d = s;
    for (int i = 0; i < n; i++) {
        if (i == conv_d) continue;
        operand *o = &c->o[in[i]];
        int list[4 * MAXAX + 64], nl = 0;
        for (int j = 0; j < o->npend; j++)
            if (want[i][j]) list[nl++] = o->pend[j];
        apply_list(c, o, list, nl);
    }
    if (conv_d >= 0) conv_emit(c, &c->o[in[conv_d]], want[conv_d], &c->o[in[1 - conv_d]], &cp, r);
    else if (!(n == 1 && try_pool2d(c, &c->o[in[0]], keep, r)) &&
             !(n == 2 && (try_linear(c, &c->o[in[0]], &c->o[in[1]], keep, r) ||
                          try_linear(c, &c->o[in[1]], &c->o[in[0]], keep, r) ||
                          try_matmul(c, &c->o[in[0]], &c->o[in[1]], keep, r) ||
                          try_matmul(c, &c->o[in[1]], &c->o[in[0]], keep, r) ||
                          try_mulsum(c, &c->o[in[0]], &c->o[in[1]], keep, r) ||
                          try_mulsum(c, &c->o[in[1]], &c->o[in[0]], keep, r))))
        einsum(c, in, n, keep, last ? outv : NULL, noutv, r);
    /* the last stage's result in the output's order */
    if (last && (r->nax != noutv || memcmp(r->ax, outv, (size_t)noutv * sizeof *outv) != 0)) {
        int perm[MAXAX];
        SYNO_ASSERT(r->nax == noutv);
        for (int i = 0; i < noutv; i++) perm[i] = index_of(r->ax, r->nax, outv[i]);
        r->expr = permuted(c, r->expr, perm, noutv);
        memcpy(r->ax, outv, (size_t)noutv * sizeof *outv);
    }
    /* pending entries move on to the result, in graph order */
    for (int i = 0; i < n; i++) {
        operand *o = &c->o[in[i]];
        for (int j = 0; j < o->npend; j++)
            if (!want[i][j]) r->pend[r->npend++] = o->pend[j];
        r->all |= o->all;
    }
    for (int i = 1; i < r->npend; i++)
        for (int j = i; j > 0; j--) {
            int ea = r->pend[j - 1], eb = r->pend[j];
            int pa = c->pos[entry_node(c, ea)], pb = c->pos[entry_node(c, eb)];
            if (pa <= pb) break;
            r->pend[j - 1] = eb;
            r->pend[j] = ea;
        }
    r->all &= ~(inv & ~keep);
    return c->nops++;
}

/* ---- the plan, and the whole forward --------------------------------------------- */

/* A binding for planning: PLAN_B's values, and where it leaves a primary
 * variable unbound, one value for all of them under which every size is a
 * whole number.  False when none of the candidates works. */
static bool plan_binding(const syno_op *op, const syno_binding *plan_b, syno_binding *out, int64_t *sizes)
{
    static const int64_t cand[] = {64, 96, 192, 384, 960, 2880, 20160};
    for (size_t k = 0; k < SYNO_ARRAY_LEN(cand); k++) {
        syno_binding_defaults(op->vars, out);
        for (int v = 0; v < op->vars->n; v++) {
            if (plan_b && plan_b->val[v]) out->val[v] = plan_b->val[v];
            else if (op->vars->v[v].kind == SYNO_VAR_PRIMARY && !out->val[v]) out->val[v] = cand[k];
        }
        if (syno_op_eval_sizes(op, out, sizes)) return true;
    }
    return false;
}

/* Appends _sizes and forward for OP (see pytorch_int.h). */
bool py_views_forward(const syno_op *op, const syno_binding *plan_b, syno_arena *a, syno_buf *out)
{
    if (op->ntensors > SYNO_MAX_TENSORS) return false;
    /* walk again, a merge made in every operand holding a part each time
     * one that was left in parts is read by what cannot read it so */
    bool *forced = syno_arena_alloc(a, (size_t)(op->nnodes + 1) * sizeof *forced);
    memset(forced, 0, (size_t)(op->nnodes + 1) * sizeof *forced);
    vctx *c = syno_arena_alloc(a, sizeof *c);
    for (;;) {
        memset(c, 0, sizeof *c);
        c->op = op;
        c->a = a;
        c->z = (py_sizes){.op = op, .a = a};
        c->forced = forced;
        c->fail_merge = -1;
        if (walk(c)) break;
        if (c->fail_merge < 0 || forced[c->fail_merge]) return false;
        forced[c->fail_merge] = true;
    }
    /* the output's letters, its parts, the scale */
    int outv[MAXAX], noutv = 0, nl = 0;
    for (int i = 0; i < op->nout; i++) {
        int list[MAXV], n = 0;
        atoms(c, c->var_of[op->out[i]], list, &n);
        if (noutv + n > MAXAX) return false;
        for (int j = 0; j < n; j++) outv[noutv++] = list[j];
    }
    /* each roll of the output: the parts of its variable, together in
     * the output's order */
    int roll_at[MAXV], roll_n[MAXV];
    for (int i = 0; i < c->nrolls; i++) {
        int list[MAXV], n = 0;
        atoms(c, c->var_of[op->nodes[c->rolls[i]].out[0]], list, &n);
        roll_at[i] = index_of(outv, noutv, list[0]);
        roll_n[i] = n;
        if (roll_at[i] < 0 || roll_at[i] + n > noutv || memcmp(outv + roll_at[i], list, (size_t)n * sizeof *list) != 0)
            return false;
    }
    uint64_t any = mask_of(outv, noutv);
    for (int t = 0; t < c->nsrc; t++) any |= c->o[c->src[t]].all;
    for (int v = 0; v < c->nvars; v++) {
        if (any & (1ull << v)) {
            if (nl == NLETTERS) return false;
            c->v[v].letter = nl++;
        }
    }
    syno_size scale = syno_size_one();
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim != SYNO_PRIM_SUM && n->prim != SYNO_PRIM_MEAN) continue;
        int s = c->var_of[n->in[0]], list[MAXV], m = 0;
        atoms(c, s, list, &m);
        for (int j = 0; j < m; j++)
            if (!c->v[list[j]].held) syno_size_mul(&scale, scale, c->v[list[j]].size); /* sum(expand(D)) */
        if (n->prim == SYNO_PRIM_MEAN) syno_size_div(&scale, scale, c->v[s].size);
    }
    /* the stages: the plan's, or one over every tensor */
    int nst = 0, *stin = NULL, *stn = NULL;
    syno_binding pb;
    int64_t *sizes = syno_arena_alloc(a, (size_t)(op->ndims + 1) * sizeof *sizes);
    syno_plan *plan = NULL;
    if (plan_binding(op, plan_b, &pb, sizes)) {
        syno_buf err = SYNO_BUF_INIT;
        plan = syno_plan_build(op, &pb, SYNO_PLAN_FORWARD, &err);
        syno_buf_fini(&err);
    }
    if (plan) {
        nst = plan->nstages;
        stin = syno_arena_alloc(a, (size_t)nst * SYNO_PLAN_MAX_OPS * sizeof *stin);
        stn = syno_arena_alloc(a, (size_t)nst * sizeof *stn);
        int *stage_of = syno_arena_alloc(a, (size_t)plan->nbufs * sizeof *stage_of);
        for (int b = 0; b < plan->nbufs; b++) stage_of[b] = -1;
        for (int s = 0; s < nst; s++) {
            const syno_plan_stage *ps = &plan->stages[s];
            stn[s] = ps->nops;
            for (int k = 0; k < ps->nops; k++) {
                const syno_plan_buf *pbuf = &plan->bufs[ps->ops[k].buf];
                /* operands: tensors 0.., then stage s's result is operand ntensors + s */
                stin[s * SYNO_PLAN_MAX_OPS + k] =
                    pbuf->kind == SYNO_PBUF_TENSOR ? pbuf->tensor : op->ntensors + stage_of[ps->ops[k].buf];
                SYNO_ASSERT(pbuf->kind == SYNO_PBUF_TENSOR || stage_of[ps->ops[k].buf] >= 0);
            }
            stage_of[ps->out] = s;
        }
        syno_plan_free(plan);
    }
    syno_buf body = SYNO_BUF_INIT;
    c->out = &body;
    int res;
    uint64_t outmask = mask_of(outv, noutv);
    int keepo[MAXAX], nk = 0;
    for (int i = 0; i < noutv; i++)
        if (c->v[outv[i]].held) keepo[nk++] = outv[i];
    if (nst == 0 || op->ntensors > SYNO_PLAN_MAX_OPS * nst) {
        int all[MAXIN];
        for (int t = 0; t < c->nsrc; t++) all[t] = c->src[t];
        res = stage(c, all, c->nsrc, outmask, true, keepo, nk);
    } else {
        /* a mask joins the first stage that shares a variable with it;
         * those that share none, a stage of their own after the plan's */
        bool joined[MAXMASK] = {false};
        int left = c->nmasks;
        res = -1;
        for (int s = 0; s < nst; s++) {
            int in[MAXIN], n = stn[s];
            memcpy(in, stin + s * SYNO_PLAN_MAX_OPS, (size_t)n * sizeof *in);
            uint64_t have = 0;
            for (int i = 0; i < n; i++) have |= c->o[in[i]].all;
            for (bool more = true; more;) {
                more = false;
                for (int m = 0; m < c->nmasks; m++)
                    if (!joined[m] && (c->o[MAXOPS - 1 - m].all & have)) {
                        joined[m] = more = true;
                        left--;
                        in[n++] = MAXOPS - 1 - m;
                        have |= c->o[MAXOPS - 1 - m].all;
                    }
            }
            /* what later stages need: the operands they read that exist now
             * (tensors, earlier results; the results still to come are made
             * of these), the masks still to join, and the output */
            uint64_t later = outmask;
            for (int s2 = s + 1; s2 < nst; s2++)
                for (int k = 0; k < stn[s2]; k++) {
                    int o = stin[s2 * SYNO_PLAN_MAX_OPS + k];
                    if (o < c->nops) later |= c->o[o].all;
                }
            for (int m = 0; m < c->nmasks; m++)
                if (!joined[m]) later |= c->o[MAXOPS - 1 - m].all;
            bool last = s == nst - 1 && !left;
            /* later stages read this stage's result too: its variables are
             * those of the operands, which LATER covers through the rest */
            int r = stage(c, in, n, later, last, keepo, nk);
            SYNO_ASSERT(r == op->ntensors + s);
            res = r;
        }
        if (left) {
            int in[MAXIN], n = 0;
            in[n++] = res;
            for (int m = 0; m < c->nmasks; m++)
                if (!joined[m]) in[n++] = MAXOPS - 1 - m;
            res = stage(c, in, n, outmask, true, keepo, nk);
        }
    }
    /* broadcast parts, merges left in parts, scale */
    operand *ro = &c->o[res];
    const char *e = ro->expr;
    bool bcast = false, parts = noutv != op->nout;
    for (int i = 0; i < noutv; i++) bcast |= !c->v[outv[i]].held;
    if (bcast) {
        syno_buf idx = SYNO_BUF_INIT, shp = SYNO_BUF_INIT;
        for (int i = 0; i < noutv; i++) {
            syno_buf_printf(&idx, "%s", c->v[outv[i]].held ? ":, " : "None, ");
            syno_buf_printf(&shp, "%s, ", size_of(c, outv[i]));
        }
        const char *t = tmp(c);
        emitf(c, "        %s = %s[%s].expand(%s)\n", t, e, syno_buf_str(&idx), syno_buf_str(&shp));
        e = t;
        syno_buf_fini(&idx);
        syno_buf_fini(&shp);
    }
    /* the output rolls of shifts of merges left in parts, in graph order */
    for (int i = 0; i < c->nrolls; i++) {
        syno_buf shp = SYNO_BUF_INIT;
        for (int j = 0; j < roll_n[i]; j++) syno_buf_printf(&shp, "%s, ", size_of(c, outv[roll_at[i] + j]));
        const char *t = tmp(c);
        emitf(c, "        %s = torch.roll(%s.flatten(%d, %d), %lld, %d).unflatten(%d, (%s))\n", t, e, roll_at[i],
              roll_at[i] + roll_n[i] - 1, -(long long)op->nodes[c->rolls[i]].shift, roll_at[i], roll_at[i],
              syno_buf_str(&shp));
        e = t;
        parts = true;
        syno_buf_fini(&shp);
    }
    if (parts || bcast) {
        syno_buf shp = SYNO_BUF_INIT;
        for (int i = 0; i < op->nout; i++) syno_buf_printf(&shp, "%s, ", py_size(&c->z, op->dims[op->out[i]].size));
        const char *t = tmp(c);
        emitf(c, "        %s = %s.reshape((%s))\n", t, e, syno_buf_str(&shp));
        e = t;
        syno_buf_fini(&shp);
    }
    if (!syno_size_eq(scale, syno_size_one())) {
        syno_size num = syno_size_one(), den = syno_size_one();
        for (int v = 0; v < op->vars->n; v++) {
            if (scale.e[v] > 0) num.e[v] = scale.e[v];
            if (scale.e[v] < 0) den.e[v] = (int8_t)-scale.e[v];
        }
        const char *t = tmp(c);
        emitf(c, "        %s = %s * (%s / %s)\n", t, e, py_size(&c->z, num), py_size(&c->z, den));
        e = t;
    }
    emitf(c, "        return %s\n", e);
    /* _sizes, then forward */
    syno_buf_puts(out, "    def _sizes(self, x):\n"
                       "        \"\"\"The sizes the forward pass uses, for the shape of input X.\"\"\"\n"
                       "        z = self._cache.get(x.shape)\n"
                       "        if z is None:\n"
                       "            v = self.bind(x)\n"
                       "            z = self._cache[x.shape] = (");
    for (int k = 0; k < c->z.n; k++) {
        py_mono(op, c->z.s[k], out);
        syno_buf_puts(out, ", ");
    }
    syno_buf_puts(out, ")\n        return z\n\n    def forward(self, x):\n");
    if (c->z.n) {
        syno_buf_puts(out, "        ");
        for (int k = 0; k < c->z.n; k++) syno_buf_printf(out, "z%d, ", k);
        syno_buf_puts(out, "= self._sizes(x)\n");
    } else {
        syno_buf_puts(out, "        self._sizes(x)\n");
    }
    syno_buf_add(out, body.data ? body.data : "", body.len);
    syno_buf_fini(&body);
    return true;
}
