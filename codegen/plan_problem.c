/* plan_problem.c - an operator (or one of its gradients) as a relational
 * sum-product problem (see plan_int.h).
 *
 * The dims of the graph become variables, the three dims of each share
 * being one variable (union-find).  Every split, merge, shift, reverse,
 * stride and unfold node becomes a relation between its variables; expand
 * makes a variable that no tensor reads; sum and mean only mark a variable
 * as summed, which in the relational reading is simply "not an output".
 * For the forward problem the factors are the tensors and the outputs the
 * output axes; for the gradient with respect to tensor t, t's factor is
 * replaced by dy (a factor over the output variables) and t's axes become
 * the outputs.  Both read the same relations, so both are planned the
 * same way. */
#include "codegen/plan_int.h"

#include <stdlib.h>
#include <string.h>

static int uf_find(int *parent, int a)
{
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
}

static void uf_union(int *parent, int a, int b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a == b) return;
    if (a < b) parent[b] = a;
    else parent[a] = b;
}

static void push_rel(pl_problem *pb, pl_rel_kind kind, int nv, const int *v, int64_t p)
{
    SYNO_ASSERT(pb->nrels < PL_MAX_RELS);
    pl_rel *r = &pb->rels[pb->nrels++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->nv = nv;
    r->p = p;
    for (int i = 0; i < nv; i++) {
        r->v[i] = v[i];
        r->vars |= 1ull << v[i];
    }
}

/* Adds a relation.  When a node's two results are one variable (shared
 * with each other, which only dims no tensor reads may be), the second
 * occurrence becomes a fresh copy tied to the first by an equality.
 * Returns false when the variables or relations run out. */
static bool add_rel(pl_problem *pb, pl_rel_kind kind, int nv, const int *v, int64_t p)
{
    int w[3];
    int eq_from = -1, eq_to = -1;
    for (int i = 0; i < nv; i++) {
        w[i] = v[i];
        for (int j = 0; j < i; j++)
            if (v[j] == v[i]) {
                if (pb->nvars == PL_MAX_VARS || pb->nrels + 2 > PL_MAX_RELS) return false;
                pb->vars[pb->nvars] = pb->vars[v[i]];
                pb->vars[pb->nvars].name = NULL;
                w[i] = pb->nvars++;
                eq_from = w[i];
                eq_to = v[i];
            }
    }
    if (pb->nrels == PL_MAX_RELS) return false;
    push_rel(pb, kind, nv, w, p);
    if (eq_from >= 0) {
        int e[2] = {eq_from, eq_to};
        push_rel(pb, PL_REL_EQUAL, 2, e, 0);
    }
    return true;
}

static void add_factor(pl_problem *pb, int buf, const int *vars, int rank)
{
    SYNO_ASSERT(pb->nfactors < PL_MAX_FACTORS);
    pl_factor *f = &pb->factors[pb->nfactors++];
    memset(f, 0, sizeof *f);
    f->buf = buf;
    f->rank = rank;
    for (int a = 0; a < rank; a++) {
        f->vars[a] = vars[a];
        f->mask |= 1ull << vars[a];
    }
}

/* Builds the problem of OP under the dim sizes SIZES for the forward pass
 * (WRT = SYNO_PLAN_FORWARD) or the gradient with respect to tensor WRT.
 * Factor buffers are numbered in the order the plan lists its inputs: the
 * tensors in order (without WRT), then dy for a gradient.  Returns false
 * with a message in ERR when the op has more than PL_MAX_VARS variables or
 * PL_MAX_RELS relations. */
bool pl_problem_build(pl_problem *pb, const syno_op *op, const int64_t *sizes, int wrt, syno_buf *err)
{
    memset(pb, 0, sizeof *pb);
    pb->op = op;
    pb->wrt = wrt;
    pb->scale = 1.0;
    int *parent = syno_xmalloc((size_t)op->ndims * sizeof *parent);
    int *var_of = syno_xmalloc((size_t)op->ndims * sizeof *var_of);
    for (int d = 0; d < op->ndims; d++) parent[d] = d;
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim != SYNO_PRIM_SHARE) continue;
        uf_union(parent, n->in[0], n->out[0]);
        uf_union(parent, n->in[1], n->out[0]);
    }
    /* Variables in order of their first dim; sizes of shared dims are equal. */
    int nvars = 0;
    for (int d = 0; d < op->ndims; d++) var_of[d] = -1;
    bool ok = true;
    for (int d = 0; d < op->ndims; d++) {
        int root = uf_find(parent, d);
        if (var_of[root] < 0) {
            if (nvars == PL_MAX_VARS) {
                ok = false;
                break;
            }
            var_of[root] = nvars;
            pl_var *v = &pb->vars[nvars++];
            v->ext = sizes[root];
            v->size = op->dims[root].size;
        }
        var_of[d] = var_of[root];
    }
    if (!ok) {
        syno_buf_printf(err, "%s has more than %d distinct index variables; it is too large to plan", op->name, PL_MAX_VARS);
        free(parent);
        free(var_of);
        return false;
    }
    pb->nvars = nvars;
    /* Names: an output axis name, else the first named dim, else "i<v>". */
    for (int i = 0; i < op->nout; i++) {
        const syno_dim *dim = &op->dims[op->out[i]];
        if (dim->name && !pb->vars[var_of[op->out[i]]].name) pb->vars[var_of[op->out[i]]].name = dim->name;
    }
    for (int d = 0; d < op->ndims; d++)
        if (op->dims[d].name && !pb->vars[var_of[d]].name) pb->vars[var_of[d]].name = op->dims[d].name;
    /* Anonymous variables keep a NULL name; the plan names them "i<v>". */
    /* Relations, in node order. */
    for (int k = 0; k < op->nnodes && ok; k++) {
        const syno_node *n = &op->nodes[k];
        int v[3];
        switch (n->prim) {
        case SYNO_PRIM_SPLIT: /* x = l * |r| + r */
            v[0] = var_of[n->in[0]], v[1] = var_of[n->out[0]], v[2] = var_of[n->out[1]];
            ok = add_rel(pb, PL_REL_RESHAPE, 3, v, 0);
            break;
        case SYNO_PRIM_MERGE: /* y = a * |b| + b */
            v[0] = var_of[n->out[0]], v[1] = var_of[n->in[0]], v[2] = var_of[n->in[1]];
            ok = add_rel(pb, PL_REL_RESHAPE, 3, v, 0);
            break;
        case SYNO_PRIM_SHIFT: {
            v[0] = var_of[n->in[0]], v[1] = var_of[n->out[0]];
            int64_t ext = pb->vars[v[0]].ext, d = n->shift % ext;
            if (d < 0) d += ext;
            ok = add_rel(pb, PL_REL_SHIFT, 2, v, d);
            break;
        }
        case SYNO_PRIM_REVERSE:
            v[0] = var_of[n->in[0]], v[1] = var_of[n->out[0]];
            ok = add_rel(pb, PL_REL_REVERSE, 2, v, 0);
            break;
        case SYNO_PRIM_STRIDE:
            v[0] = var_of[n->in[0]], v[1] = var_of[n->out[0]];
            ok = add_rel(pb, PL_REL_STRIDE, 2, v, sizes[n->in[0]] / sizes[n->out[0]]);
            break;
        case SYNO_PRIM_UNFOLD:
            v[0] = var_of[n->in[0]], v[1] = var_of[n->out[0]], v[2] = var_of[n->out[1]];
            ok = add_rel(pb, PL_REL_UNFOLD, 3, v, sizes[n->out[1]] / 2);
            break;
        case SYNO_PRIM_MEAN:
            pb->scale /= (double)sizes[n->in[0]];
            break;
        case SYNO_PRIM_SHARE:
        case SYNO_PRIM_EXPAND:
        case SYNO_PRIM_SUM:
            break;
        case SYNO_PRIM_COUNT:
            SYNO_UNREACHABLE();
        }
    }
    if (!ok) {
        syno_buf_printf(err, "%s has more than %d index relations or %d variables; it is too large to plan", op->name,
                        PL_MAX_RELS, PL_MAX_VARS);
        free(parent);
        free(var_of);
        return false;
    }
    /* Factors and outputs. */
    int axes[PL_MAX_VARS];
    int buf = 0;
    for (int t = 0; t < op->ntensors; t++) {
        if (t == wrt) continue;
        const syno_tensor *tt = &op->tensors[t];
        SYNO_ASSERT(tt->rank <= PL_MAX_VARS);
        for (int a = 0; a < tt->rank; a++) axes[a] = var_of[tt->axes[a]];
        add_factor(pb, buf++, axes, tt->rank);
    }
    int outdims[PL_MAX_VARS];
    for (int i = 0; i < op->nout; i++) outdims[i] = var_of[op->out[i]];
    if (wrt == SYNO_PLAN_FORWARD) {
        pb->nout = op->nout;
        memcpy(pb->outv, outdims, (size_t)op->nout * sizeof *outdims);
    } else {
        add_factor(pb, buf++, outdims, op->nout);
        const syno_tensor *tt = &op->tensors[wrt];
        pb->nout = tt->rank;
        for (int a = 0; a < tt->rank; a++) pb->outv[a] = var_of[tt->axes[a]];
    }
    for (int i = 0; i < pb->nout; i++) pb->outmask |= 1ull << pb->outv[i];
    /* A variable nothing reads and nothing constrains (sum(expand(D))) is a
     * factor D in every term. */
    uint64_t used = pb->outmask;
    for (int f = 0; f < pb->nfactors; f++) used |= pb->factors[f].mask;
    for (int r = 0; r < pb->nrels; r++) used |= pb->rels[r].vars;
    for (int v = 0; v < pb->nvars; v++)
        if (!(used & (1ull << v))) pb->scale *= (double)pb->vars[v].ext;
    /* the last stage scales only when the factors do not cancel (a mean of
     * g beside a dangling sum of g): plan.c charges the scaling only then */
    pb->has_scale = pb->scale != 1.0;
    for (int v = 0; v < pb->nvars; v++) pb->order[v] = v;
    for (int i = 1; i < pb->nvars; i++) /* insertion sort by extent, stable */
        for (int j = i; j > 0 && pb->vars[pb->order[j]].ext < pb->vars[pb->order[j - 1]].ext; j--) {
            int t = pb->order[j];
            pb->order[j] = pb->order[j - 1];
            pb->order[j - 1] = t;
        }
    for (int r = 0; r < pb->nvars; r++) {
        pb->rank[pb->order[r]] = (uint8_t)r;
        pb->order_ext[r] = (double)pb->vars[pb->order[r]].ext;
    }
    pl_problem_derivations(pb);
    free(parent);
    free(var_of);
    return true;
}
