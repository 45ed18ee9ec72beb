/* eval.c - the reference evaluator (see eval.h for the contract).
 *
 * One "walk" serves the forward and the backward pass.  The free iterators
 * (output axes, then reduction operands) are decoded from flat counters in
 * C order; walk_indices then visits the nodes from the bottom of the graph
 * to the top (reverse topological order), so that when a node is visited
 * the indices of all the dims it produces are known, and it sets the
 * indices of the dims it consumes by its index map.  Every dim is produced
 * once and consumed once, so each index is set exactly once per term. */
#include "interp/eval.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(SYNO_MAX_RANK <= SYNO_ARRAY_MAX_RANK, "every tensor of an operator fits a host array");

typedef struct walk {
    const syno_op *op;
    const int64_t *sizes;
    int *red;            /* reduction dims (operands of sum/mean), in node order */
    int nred;
    int64_t nout_elems;  /* output elements */
    int64_t nred_points; /* points of the reduction domain */
    double scale;        /* 1 / Π D over the means */
    int64_t *idx;        /* index of every dim in the current term */
} walk;

static void walk_init(walk *wk, const syno_op *op, const int64_t *sizes)
{
    SYNO_ASSERT(op->finished && op->errors == 0 && op->norder == op->nnodes);
    memset(wk, 0, sizeof *wk);
    wk->op = op;
    wk->sizes = sizes;
    wk->red = syno_xmalloc((size_t)(op->nnodes + 1) * sizeof *wk->red);
    wk->idx = syno_xcalloc((size_t)op->ndims + 1, sizeof *wk->idx);
    wk->scale = 1.0;
    wk->nout_elems = 1;
    wk->nred_points = 1;
    for (int i = 0; i < op->nout; i++) wk->nout_elems *= sizes[op->out[i]];
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *n = &op->nodes[op->order[oi]];
        if (n->prim != SYNO_PRIM_SUM && n->prim != SYNO_PRIM_MEAN) continue;
        int d = n->in[0];
        wk->red[wk->nred++] = d;
        wk->nred_points *= sizes[d];
        if (n->prim == SYNO_PRIM_MEAN) wk->scale /= (double)sizes[d];
    }
}

static void walk_fini(walk *wk)
{
    free(wk->red);
    free(wk->idx);
}

/* Sets the indices of the output axes from the flat output offset O. */
static void walk_set_output(walk *wk, int64_t o)
{
    const syno_op *op = wk->op;
    for (int i = op->nout - 1; i >= 0; i--) {
        int d = op->out[i];
        wk->idx[d] = o % wk->sizes[d];
        o /= wk->sizes[d];
    }
}

/* Sets the indices of the reduction dims from the flat reduction offset R. */
static void walk_set_reduction(walk *wk, int64_t r)
{
    for (int i = wk->nred - 1; i >= 0; i--) {
        int d = wk->red[i];
        wk->idx[d] = r % wk->sizes[d];
        r /= wk->sizes[d];
    }
}

/* Propagates indices from the free dims up to every tensor axis.  Returns
 * false when an unfold guard fails (the term is 0). */
static bool walk_indices(walk *wk)
{
    const syno_op *op = wk->op;
    const int64_t *sz = wk->sizes;
    int64_t *idx = wk->idx;
    for (int oi = op->norder - 1; oi >= 0; oi--) {
        const syno_node *n = &op->nodes[op->order[oi]];
        int a = n->in[0], b = n->in[1], y = n->out[0], z = n->out[1];
        switch (n->prim) {
        case SYNO_PRIM_SPLIT: /* x = l*R + r */
            idx[a] = idx[y] * sz[z] + idx[z];
            break;
        case SYNO_PRIM_MERGE: /* a = floor(y/|b|), b = y mod |b| */
            idx[a] = syno_floor_div(idx[y], sz[b]);
            idx[b] = syno_euclid_mod(idx[y], sz[b]);
            break;
        case SYNO_PRIM_SHIFT: /* x = (y + d) mod |x| */
            idx[a] = syno_euclid_mod(idx[y] + syno_euclid_mod(n->shift, sz[a]), sz[a]);
            break;
        case SYNO_PRIM_STRIDE: /* x = y*s, s = |x| / |y| */
            SYNO_ASSERT(sz[a] % sz[y] == 0);
            idx[a] = idx[y] * (sz[a] / sz[y]);
            break;
        case SYNO_PRIM_UNFOLD: { /* x = m + w - floor(K/2); 0 outside [0, |x|) */
            int64_t x = idx[y] + idx[z] - syno_floor_div(sz[z], 2);
            if (x < 0 || x >= sz[a]) return false;
            idx[a] = x;
            break;
        }
        case SYNO_PRIM_EXPAND: /* indexes no tensor */
            break;
        case SYNO_PRIM_SHARE: /* a = b = y */
            idx[a] = idx[y];
            idx[b] = idx[y];
            break;
        case SYNO_PRIM_SUM:
        case SYNO_PRIM_MEAN: /* a free iterator, set by walk_set_reduction */
            break;
        case SYNO_PRIM_REVERSE: /* x = |x| - 1 - y */
            idx[a] = sz[a] - 1 - idx[y];
            break;
        case SYNO_PRIM_COUNT:
            SYNO_UNREACHABLE();
        }
    }
    return true;
}

/* C-order offset of tensor T's element at the current indices. */
static int64_t walk_offset(const walk *wk, int t)
{
    const syno_tensor *tn = &wk->op->tensors[t];
    int64_t off = 0;
    for (int a = 0; a < tn->rank; a++) {
        int d = tn->axes[a];
        SYNO_ASSERT(wk->idx[d] >= 0 && wk->idx[d] < wk->sizes[d]);
        off = off * wk->sizes[d] + wk->idx[d];
    }
    return off;
}

/* Output elements times reduction points, as a double. */
double syno_ref_terms(const syno_op *op, const int64_t *sizes)
{
    double n = 1;
    for (int i = 0; i < op->nout; i++) n *= (double)sizes[op->out[i]];
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *nd = &op->nodes[k];
        if (nd->prim == SYNO_PRIM_SUM || nd->prim == SYNO_PRIM_MEAN) n *= (double)sizes[nd->in[0]];
    }
    return n;
}

/* out[I] = scale · Σ_R [guards] · x[idx_x] · Π_t W_t[idx_t]. */
void syno_ref_forward(const syno_op *op, const int64_t *sizes, const double *x, const double *const *w, double *out)
{
    walk wk;
    walk_init(&wk, op, sizes);
    for (int64_t o = 0; o < wk.nout_elems; o++) {
        double acc = 0;
        walk_set_output(&wk, o); /* free dims are never written by walk_indices */
        for (int64_t r = 0; r < wk.nred_points; r++) {
            walk_set_reduction(&wk, r);
            if (!walk_indices(&wk)) continue;
            double p = x[walk_offset(&wk, 0)];
            for (int t = 1; t < op->ntensors; t++) p *= w[t - 1][walk_offset(&wk, t)];
            acc += p;
        }
        out[o] = acc * wk.scale;
    }
    walk_fini(&wk);
}

/* The transpose of the forward sum, for every tensor at once: each term
 * adds dy[I] · scale · (product of the other factors) to each tensor's
 * gradient at that tensor's index. */
void syno_ref_backward(const syno_op *op, const int64_t *sizes, const double *x, const double *const *w,
                       const double *dy, double *dx, double *const *dw)
{
    double *grad[SYNO_MAX_TENSORS];
    const double *val[SYNO_MAX_TENSORS];
    grad[0] = dx;
    val[0] = x;
    for (int t = 1; t < op->ntensors; t++) {
        grad[t] = dw ? dw[t - 1] : NULL;
        val[t] = w[t - 1];
    }
    for (int t = 0; t < op->ntensors; t++)
        if (grad[t]) memset(grad[t], 0, (size_t)syno_op_tensor_numel(op, sizes, t) * sizeof(double));
    walk wk;
    walk_init(&wk, op, sizes);
    for (int64_t o = 0; o < wk.nout_elems; o++) {
        double g = dy[o] * wk.scale;
        walk_set_output(&wk, o);
        for (int64_t r = 0; r < wk.nred_points; r++) {
            walk_set_reduction(&wk, r);
            if (!walk_indices(&wk)) continue;
            int64_t off[SYNO_MAX_TENSORS];
            double v[SYNO_MAX_TENSORS];
            for (int t = 0; t < op->ntensors; t++) {
                off[t] = walk_offset(&wk, t);
                v[t] = val[t][off[t]];
            }
            for (int t = 0; t < op->ntensors; t++) {
                if (!grad[t]) continue;
                double p = g;
                for (int u = 0; u < op->ntensors; u++)
                    if (u != t) p *= v[u];
                grad[t][off[t]] += p;
            }
        }
    }
    walk_fini(&wk);
}

/* A zeroed float32 array shaped like tensor T under SIZES. */
syno_array *syno_ref_array_new(const syno_op *op, const int64_t *sizes, int t)
{
    int64_t shape[SYNO_ARRAY_MAX_RANK];
    SYNO_ASSERT(syno_op_tensor_rank(op, t) <= SYNO_ARRAY_MAX_RANK);
    int rank = syno_op_tensor_shape(op, sizes, t, shape);
    return syno_array_new(rank, shape);
}

static void check_shape(const syno_op *op, const int64_t *sizes, int t, const syno_array *a)
{
    int64_t shape[SYNO_ARRAY_MAX_RANK];
    SYNO_ASSERT(a != NULL && syno_op_tensor_rank(op, t) == a->rank);
    syno_op_tensor_shape(op, sizes, t, shape);
    for (int i = 0; i < a->rank; i++) SYNO_ASSERT(a->shape[i] == shape[i]);
}

static double *to_double(const syno_array *a)
{
    double *d = syno_xmalloc((size_t)(a->numel ? a->numel : 1) * sizeof *d);
    for (int64_t i = 0; i < a->numel; i++) d[i] = a->data[i];
    return d;
}

static void to_float(const double *d, syno_array *a)
{
    for (int64_t i = 0; i < a->numel; i++) a->data[i] = (float)d[i];
}

static double **weights_to_double(const syno_op *op, const int64_t *sizes, const syno_array *const *w)
{
    double **wd = syno_xcalloc((size_t)op->ntensors, sizeof *wd);
    for (int t = 1; t < op->ntensors; t++) {
        check_shape(op, sizes, t, w[t - 1]);
        wd[t - 1] = to_double(w[t - 1]);
    }
    return wd;
}

static void free_weights(const syno_op *op, double **wd)
{
    for (int t = 1; t < op->ntensors; t++) free(wd[t - 1]);
    free(wd);
}

/* Float32 forward: see syno_ref_forward. */
void syno_ref_forward_f32(const syno_op *op, const int64_t *sizes, const syno_array *x,
                          const syno_array *const *w, syno_array *out)
{
    check_shape(op, sizes, 0, x);
    check_shape(op, sizes, SYNO_OP_OUT, out);
    double *xd = to_double(x);
    double **wd = weights_to_double(op, sizes, w);
    double *od = syno_xmalloc((size_t)(out->numel ? out->numel : 1) * sizeof *od);
    syno_ref_forward(op, sizes, xd, (const double *const *)wd, od);
    to_float(od, out);
    free(od);
    free(xd);
    free_weights(op, wd);
}

/* Float32 backward: see syno_ref_backward.  DX, DW or DW[i] may be NULL. */
void syno_ref_backward_f32(const syno_op *op, const int64_t *sizes, const syno_array *x,
                           const syno_array *const *w, const syno_array *dy, syno_array *dx,
                           syno_array *const *dw)
{
    check_shape(op, sizes, 0, x);
    check_shape(op, sizes, SYNO_OP_OUT, dy);
    double *xd = to_double(x), *dyd = to_double(dy);
    double **wd = weights_to_double(op, sizes, w);
    double *dxd = NULL;
    double **dwd = syno_xcalloc((size_t)op->ntensors, sizeof *dwd);
    if (dx) {
        check_shape(op, sizes, 0, dx);
        dxd = syno_xmalloc((size_t)(dx->numel ? dx->numel : 1) * sizeof *dxd);
    }
    for (int t = 1; t < op->ntensors; t++) {
        if (!dw || !dw[t - 1]) continue;
        check_shape(op, sizes, t, dw[t - 1]);
        dwd[t - 1] = syno_xmalloc((size_t)(dw[t - 1]->numel ? dw[t - 1]->numel : 1) * sizeof(double));
    }
    syno_ref_backward(op, sizes, xd, (const double *const *)wd, dyd, dxd, dwd);
    if (dx) to_float(dxd, dx);
    for (int t = 1; t < op->ntensors; t++)
        if (dwd[t - 1]) to_float(dwd[t - 1], dw[t - 1]);
    free(dxd);
    free_weights(op, dwd);
    free(xd);
    free(dyd);
    free_weights(op, wd);
}
