/* graph.c - building operator graphs and checking them (LANGUAGE.md §3).
 *
 * Building only records structure; syno_op_finish then orders the nodes,
 * derives every size in that order and runs the checks:
 *   - a dimension used twice (reported while building) or never;
 *   - a cycle among definitions;
 *   - sizes that must be equal (share) or valid (split, stride, expand);
 *   - unfold windows that are not odd coefficients;
 *   - a share whose operands come from the same tensor;
 *   - a weight axis consumed by anything but share;
 *   - a stride whose discarded elements reach a tensor axis;
 *   - output axes whose size differs from the declared one.
 * Each problem is a diagnostic at the offending span, quoting the sizes. */
#include "lang/graph.h"

#include <stdlib.h>
#include <string.h>

const syno_prim_info syno_prims[SYNO_PRIM_COUNT] = {
#define SYNO_PRIM(e, name, args, nres, usage, index) {name, args, nres, usage, index},
#include "lang/prims.def"
#undef SYNO_PRIM
};

/* Returns the primitive called NAME, or -1. */
int syno_prim_lookup(const char *name)
{
    for (int i = 0; i < SYNO_PRIM_COUNT; i++)
        if (strcmp(syno_prims[i].name, name) == 0) return i;
    return -1;
}

static void *grow(syno_arena *a, void *old, int n, int *cap, size_t elem)
{
    if (n < *cap) return old;
    int ncap = *cap ? *cap * 2 : 8;
    void *p = syno_arena_alloc(a, (size_t)ncap * elem);
    if (n) memcpy(p, old, (size_t)n * elem);
    *cap = ncap;
    return p;
}

/* Creates an empty operator in arena A whose sizes refer to VARS and whose
 * problems are reported into D (required). */
syno_op *syno_op_new(syno_arena *a, const syno_vars *vars, syno_diags *d, const char *name, syno_range r)
{
    SYNO_ASSERT(d != NULL);
    syno_op *op = SYNO_NEW(a, syno_op);
    op->arena = a;
    op->vars = vars;
    op->diags = d;
    op->name = name ? syno_arena_strdup(a, name) : NULL;
    op->range = r;
    return op;
}

/* Adds a tensor and returns its index: the first tensor added is the data
 * input, the others are weights.  Axes are added with syno_op_add_axis. */
int syno_op_add_tensor(syno_op *op, const char *name, syno_range r)
{
    SYNO_ASSERT(op->ntensors < SYNO_MAX_TENSORS);
    op->tensors = grow(op->arena, op->tensors, op->ntensors, &op->captensors, sizeof *op->tensors);
    syno_tensor *t = &op->tensors[op->ntensors];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->range = r;
    return op->ntensors++;
}

static int new_dim(syno_op *op, const char *name, syno_range r)
{
    op->dims = grow(op->arena, op->dims, op->ndims, &op->capdims, sizeof *op->dims);
    syno_dim *d = &op->dims[op->ndims];
    memset(d, 0, sizeof *d);
    d->name = name;
    d->range = r;
    d->src = -1;
    d->tensor = -1;
    d->dst = SYNO_DST_NONE;
    return op->ndims++;
}

/* Appends an axis of SIZE named NAME to tensor T and returns its dim. */
int syno_op_add_axis(syno_op *op, int tensor, syno_size size, const char *name, syno_range r)
{
    SYNO_ASSERT(tensor >= 0 && tensor < op->ntensors);
    int d = new_dim(op, name, r);
    syno_tensor *t = &op->tensors[tensor];
    int cap = t->rank; /* axes arrays are exact-size copies */
    int *axes = syno_arena_alloc(op->arena, (size_t)(cap + 1) * sizeof *axes);
    if (t->rank) memcpy(axes, t->axes, (size_t)t->rank * sizeof *axes);
    axes[t->rank] = d;
    t->axes = axes;
    op->dims[d].tensor = tensor;
    op->dims[d].src_slot = t->rank++;
    op->dims[d].size = size;
    op->dims[d].sized = true;
    return d;
}

/* Declares a named dimension that a node will produce later (the language
 * lets statements come in any order).  Returns its index. */
int syno_op_new_dim(syno_op *op, const char *name, syno_range r)
{
    return new_dim(op, name, r);
}

static syno_diag *error(syno_op *op, syno_range r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static syno_diag *error(syno_op *op, syno_range r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    syno_diag *g = syno_diag_error(op->diags, r, "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
    op->errors++;
    return g;
}

static void consume(syno_op *op, int d, int node, int slot, syno_range use)
{
    syno_dim *dim = &op->dims[d];
    if (dim->dst != SYNO_DST_NONE) {
        syno_buf b = SYNO_BUF_INIT;
        syno_op_dim_label(op, d, &b);
        syno_diag *g = error(op, use, "dimension '%s' is used twice; every dimension is consumed exactly once",
                             syno_buf_str(&b));
        syno_diag_note(g, dim->use, "first used here");
        syno_buf_fini(&b);
        return;
    }
    dim->dst = node;
    dim->dst_slot = slot;
    dim->use = use;
}

/* Adds a primitive node.  IN holds the consumed dims (as many as the
 * primitive takes; a negative entry stands for an operand that failed to
 * build and is skipped).  USE gives where each operand is written.  PARAM
 * is the size argument (split, stride, unfold, expand) and SHIFT the shift
 * distance.  For each result, OUT[i] >= 0 names a dim declared with
 * syno_op_new_dim to produce; OUT[i] < 0 asks for a new anonymous dim, and
 * receives it.  Returns the node index.  A dim consumed twice is reported. */
int syno_op_add_node(syno_op *op, syno_prim prim, const int in[2], const syno_range use[2],
                     syno_size param, int64_t shift, syno_range r, int out[2])
{
    op->nodes = grow(op->arena, op->nodes, op->nnodes, &op->capnodes, sizeof *op->nodes);
    int k = op->nnodes++;
    syno_node *n = &op->nodes[k];
    memset(n, 0, sizeof *n);
    n->prim = prim;
    n->param = param;
    n->shift = shift;
    n->range = r;
    n->in[0] = n->in[1] = n->out[0] = n->out[1] = -1;
    const char *args = syno_prims[prim].args;
    int nin = 0;
    for (const char *a = args; *a; a++)
        if (*a == 'd') nin++;
    for (int i = 0; i < nin; i++) {
        n->in[i] = in[i];
        if (in[i] >= 0) consume(op, in[i], k, i, use ? use[i] : r);
    }
    for (int i = 0; i < syno_prims[prim].nresults; i++) {
        int d = out && out[i] >= 0 ? out[i] : new_dim(op, NULL, r);
        syno_dim *dim = &op->dims[d];
        SYNO_ASSERT(dim->src < 0 && dim->tensor < 0);
        dim->src = k;
        dim->src_slot = i;
        op->nodes[k].out[i] = d;
        if (out) out[i] = d;
    }
    return k;
}

/* Makes DIM the next output axis.  DECLARED, when not NULL, is the size the
 * source declares for it (checked by syno_op_finish). */
void syno_op_add_output(syno_op *op, int dim, syno_range use, const syno_size *declared, syno_range declared_range)
{
    op->out = grow(op->arena, op->out, op->nout, &op->capout, sizeof *op->out);
    syno_size *decl = syno_arena_alloc(op->arena, (size_t)(op->nout + 1) * sizeof *decl);
    syno_range *declr = syno_arena_alloc(op->arena, (size_t)(op->nout + 1) * sizeof *declr);
    if (op->nout) {
        memcpy(decl, op->out_declared, (size_t)op->nout * sizeof *decl);
        memcpy(declr, op->out_declared_range, (size_t)op->nout * sizeof *declr);
    }
    decl[op->nout] = declared ? *declared : syno_size_one();
    declr[op->nout] = declared ? declared_range : syno_range_make(0, 0);
    op->out_declared = decl;
    op->out_declared_range = declr;
    op->out[op->nout] = dim;
    if (dim >= 0) {
        if (op->dims[dim].dst != SYNO_DST_NONE) {
            consume(op, dim, SYNO_DST_OUTPUT, op->nout, use); /* reports the double use */
        } else {
            op->dims[dim].dst = SYNO_DST_OUTPUT;
            op->dims[dim].dst_slot = op->nout;
            op->dims[dim].use = use;
        }
    }
    op->nout++;
}

/* ---- labels for messages ---------------------------------------------------- */

static void node_label(const syno_op *op, int k, int depth, syno_buf *out);

static void dim_label(const syno_op *op, int d, int depth, syno_buf *out)
{
    const syno_dim *dim = &op->dims[d];
    if (dim->name) syno_buf_puts(out, dim->name);
    else if (dim->src >= 0 && depth < 3) node_label(op, dim->src, depth + 1, out);
    else syno_buf_puts(out, "...");
}

static void node_label(const syno_op *op, int k, int depth, syno_buf *out)
{
    const syno_node *n = &op->nodes[k];
    syno_buf_printf(out, "%s(", syno_prims[n->prim].name);
    int di = 0;
    const char *args = syno_prims[n->prim].args;
    for (int i = 0; args[i]; i++) {
        if (args[i] == 'i' && n->shift == 1) continue;
        if (i) syno_buf_puts(out, ", ");
        if (args[i] == 'd') {
            int d = n->in[di++];
            if (d >= 0) dim_label(op, d, depth, out);
            else syno_buf_puts(out, "?");
        } else if (args[i] == 'S') {
            syno_size_print(op->vars, n->param, out);
        } else {
            syno_buf_printf(out, "%lld", (long long)n->shift);
        }
    }
    syno_buf_putc(out, ')');
}

/* Appends a short description of dimension DIM for messages: its name, or
 * the expression that produces it ("share(c, fc)"). */
void syno_op_dim_label(const syno_op *op, int dim, syno_buf *out)
{
    dim_label(op, dim, 0, out);
}

static const char *size_text(const syno_op *op, syno_size s, syno_buf *b)
{
    syno_buf_clear(b);
    syno_size_print(op->vars, s, b);
    return syno_buf_str(b);
}

/* ---- finishing: order, sizes, checks -------------------------------------- */

static bool topo_order(syno_op *op)
{
    int *pending = syno_arena_alloc(op->arena, (size_t)op->nnodes * sizeof *pending);
    int *queue = syno_arena_alloc(op->arena, (size_t)op->nnodes * sizeof *queue);
    bool blocked = false;
    int head = 0, tail = 0;
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        for (int i = 0; i < 2; i++) {
            int d = n->in[i];
            if (d < 0) continue;
            if (op->dims[d].src >= 0) pending[k]++;
            else if (op->dims[d].tensor < 0) pending[k] = op->nnodes + 1, blocked = true; /* never produced */
        }
        if (!pending[k]) queue[tail++] = k;
    }
    while (head < tail) {
        int k = queue[head++];
        for (int i = 0; i < 2; i++) {
            int d = op->nodes[k].out[i];
            if (d < 0) continue;
            int c = op->dims[d].dst;
            if (c >= 0 && --pending[c] == 0) queue[tail++] = c;
        }
    }
    op->order = queue;
    op->norder = tail;
    if (tail == op->nnodes || blocked || op->errors) return tail == op->nnodes;
    for (int k = 0; k < op->nnodes; k++) {
        if (pending[k] <= 0 || pending[k] > op->nnodes) continue;
        syno_buf b = SYNO_BUF_INIT;
        node_label(op, k, 0, &b);
        error(op, op->nodes[k].range, "%s depends on its own result: the definitions form a cycle", syno_buf_str(&b));
        syno_buf_fini(&b);
        break;
    }
    return false;
}

/* Node K's label (node_label) in LAB, for a message: made only when one
 * is written, since finishing an operator checks every node. */
static const char *node_text(const syno_op *op, int k, syno_buf *lab)
{
    syno_buf_clear(lab);
    node_label(op, k, 0, lab);
    return syno_buf_str(lab);
}

static void check_result(syno_op *op, int k, syno_size num, syno_size den, syno_size *res, const char *what)
{
    syno_buf b1 = SYNO_BUF_INIT, b2 = SYNO_BUF_INIT, lab = SYNO_BUF_INIT, q = SYNO_BUF_INIT;
    syno_range r = op->nodes[k].range;
    if (!syno_size_is_valid(op->vars, den)) {
        error(op, r, "%s: the %s %s is not a valid size", node_text(op, k, &lab), what, size_text(op, den, &b1));
    } else if (!syno_size_div(res, num, den)) {
        error(op, r, "%s: size exponents grow too large", node_text(op, k, &lab));
    } else {
        switch (syno_size_classify(op->vars, *res)) {
        case SYNO_SIZE_ONE:
            error(op, r, "%s: %s / %s = 1 would leave an axis of size 1", node_text(op, k, &lab),
                  size_text(op, num, &b1), size_text(op, den, &b2));
            break;
        case SYNO_SIZE_NEG_PRIMARY:
            error(op, r, "%s: %s does not divide %s (the result %s has a primary variable in its denominator)",
                  node_text(op, k, &lab), size_text(op, den, &b2), size_text(op, num, &b1), size_text(op, *res, &q));
            break;
        case SYNO_SIZE_BAD_COEF:
            error(op, r, "%s: %s does not divide %s (the result %s is a fraction of coefficients)",
                  node_text(op, k, &lab), size_text(op, den, &b2), size_text(op, num, &b1), size_text(op, *res, &q));
            break;
        default:
            break;
        }
    }
    syno_buf_fini(&b1);
    syno_buf_fini(&b2);
    syno_buf_fini(&lab);
    syno_buf_fini(&q);
}

static void derive_sizes(syno_op *op)
{
    syno_binding defaults;
    syno_binding_defaults(op->vars, &defaults);
    syno_buf b1 = SYNO_BUF_INIT, b2 = SYNO_BUF_INIT, lab = SYNO_BUF_INIT;
    for (int oi = 0; oi < op->norder; oi++) {
        int k = op->order[oi];
        syno_node *n = &op->nodes[k];
        syno_dim *x = n->in[0] >= 0 ? &op->dims[n->in[0]] : NULL;
        syno_dim *y = n->in[1] >= 0 ? &op->dims[n->in[1]] : NULL;
        int nin = n->prim == SYNO_PRIM_EXPAND ? 0 : (n->prim == SYNO_PRIM_MERGE || n->prim == SYNO_PRIM_SHARE ? 2 : 1);
        if (n->broken || (nin >= 1 && (!x || !x->sized)) || (nin == 2 && (!y || !y->sized))) continue;
        syno_size r0 = syno_size_one(), r1 = syno_size_one();
        bool ok = true;
        switch (n->prim) {
        case SYNO_PRIM_SPLIT:
            check_result(op, k, x->size, n->param, &r0, "divisor");
            r1 = n->param;
            break;
        case SYNO_PRIM_STRIDE:
            check_result(op, k, x->size, n->param, &r0, "stride");
            break;
        case SYNO_PRIM_MERGE:
            ok = syno_size_mul(&r0, x->size, y->size);
            if (!ok) error(op, n->range, "%s: size exponents grow too large", node_text(op, k, &lab));
            break;
        case SYNO_PRIM_SHIFT:
        case SYNO_PRIM_REVERSE:
            r0 = x->size;
            break;
        case SYNO_PRIM_UNFOLD: {
            r0 = x->size;
            r1 = n->param;
            syno_size_kind kind = syno_size_classify(op->vars, n->param);
            int64_t kv;
            if (kind != SYNO_SIZE_COEF) {
                error(op, n->range, "%s: the window %s must be a coefficient (a small constant declared with 'coef')",
                      node_text(op, k, &lab), size_text(op, n->param, &b1));
            } else if (syno_size_eval(op->vars, n->param, &defaults, &kv, NULL) == SYNO_EVAL_OK && kv % 2 == 0) {
                error(op, n->range, "%s: the window %s = %lld is even; unfold windows are centered and must be odd",
                      node_text(op, k, &lab), size_text(op, n->param, &b1), (long long)kv);
            }
            break;
        }
        case SYNO_PRIM_EXPAND:
            r0 = n->param;
            if (!syno_size_is_valid(op->vars, n->param))
                error(op, n->range, "%s: %s is not a valid size", node_text(op, k, &lab), size_text(op, n->param, &b1));
            break;
        case SYNO_PRIM_SHARE:
            r0 = x->size;
            if (!syno_size_eq(x->size, y->size))
                error(op, n->range, "%s: sizes differ: %s vs %s", node_text(op, k, &lab), size_text(op, x->size, &b1),
                      size_text(op, y->size, &b2));
            break;
        case SYNO_PRIM_SUM:
        case SYNO_PRIM_MEAN:
            break;
        case SYNO_PRIM_COUNT:
            SYNO_UNREACHABLE();
        }
        if (!ok) continue;
        if (n->out[0] >= 0) op->dims[n->out[0]].size = r0, op->dims[n->out[0]].sized = true;
        if (n->out[1] >= 0) op->dims[n->out[1]].size = r1, op->dims[n->out[1]].sized = true;
    }
    syno_buf_fini(&b1);
    syno_buf_fini(&b2);
    syno_buf_fini(&lab);
}

static void check_linear(syno_op *op)
{
    syno_buf b = SYNO_BUF_INIT;
    for (int d = 0; d < op->ndims; d++) {
        const syno_dim *dim = &op->dims[d];
        if (dim->dst != SYNO_DST_NONE || dim->quiet) continue;
        if (dim->tensor >= 0) {
            const syno_tensor *t = &op->tensors[dim->tensor];
            error(op, dim->range, "axis '%s' of %s '%s' is never used; every axis must be consumed",
                  dim->name, dim->tensor ? "weight" : "input", t->name);
        } else if (dim->src >= 0) {
            syno_buf_clear(&b);
            syno_op_dim_label(op, d, &b);
            if (dim->name)
                error(op, dim->range, "dimension '%s' is never used: sum it, share it or list it as an output",
                      dim->name);
            else
                error(op, dim->range, "the result of %s is never used: bind it to a name, sum it or share it",
                      syno_buf_str(&b));
        }
    }
    syno_buf_fini(&b);
}

static void tensor_list(const syno_op *op, uint32_t mask, syno_buf *out)
{
    int n = 0;
    for (int t = 0; t < op->ntensors; t++)
        if (mask & (1u << t)) syno_buf_printf(out, "%s'%s'", n++ ? ", " : "", op->tensors[t].name);
}

static void check_masks(syno_op *op)
{
    op->mask = syno_arena_alloc(op->arena, (size_t)op->ndims * sizeof *op->mask);
    for (int d = 0; d < op->ndims; d++)
        if (op->dims[d].tensor >= 0) op->mask[d] = 1u << op->dims[d].tensor;
    syno_buf lab = SYNO_BUF_INIT, tl = SYNO_BUF_INIT;
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *n = &op->nodes[op->order[oi]];
        uint32_t m0 = n->in[0] >= 0 ? op->mask[n->in[0]] : 0;
        uint32_t m1 = n->in[1] >= 0 ? op->mask[n->in[1]] : 0;
        if (n->prim == SYNO_PRIM_SHARE && (m0 & m1)) {
            syno_buf_clear(&lab);
            syno_buf_clear(&tl);
            node_label(op, op->order[oi], 0, &lab);
            tensor_list(op, m0 & m1, &tl);
            error(op, n->range,
                  "%s: both operands come from %s; share must combine different tensors%s", syno_buf_str(&lab),
                  syno_buf_str(&tl), (m0 & m1 & 1u) ? " (sharing two input axes would multiply the input by itself)" : "");
        }
        for (int i = 0; i < 2; i++)
            if (n->out[i] >= 0) op->mask[n->out[i]] = m0 | m1;
    }
    syno_buf_fini(&lab);
    syno_buf_fini(&tl);
}

static void check_weight_axes(syno_op *op)
{
    for (int t = 1; t < op->ntensors; t++) {
        const syno_tensor *w = &op->tensors[t];
        for (int a = 0; a < w->rank; a++) {
            const syno_dim *dim = &op->dims[w->axes[a]];
            if (dim->dst == SYNO_DST_NONE) continue;
            if (dim->dst >= 0 && op->nodes[dim->dst].prim == SYNO_PRIM_SHARE) continue;
            syno_diag *g;
            if (dim->dst == SYNO_DST_OUTPUT)
                g = error(op, dim->use, "weight axis '%s' of '%s' cannot be an output axis itself; "
                                        "write share(expand(size), %s) to produce an output axis from it",
                          dim->name, w->name, dim->name);
            else
                g = error(op, dim->use, "weight axis '%s' of '%s' is used by %s; a weight axis can only be "
                                        "an operand of share", dim->name, w->name, syno_prims[op->nodes[dim->dst].prim].name);
            syno_diag_note(g, dim->range, "'%s' declared here", dim->name);
        }
    }
}

static void check_strides(syno_op *op)
{
    /* cause[d] = the stride node whose discarded elements reach dim d. */
    int *cause = syno_arena_alloc(op->arena, (size_t)op->ndims * sizeof *cause);
    for (int d = 0; d < op->ndims; d++) cause[d] = -1;
    for (int oi = op->norder - 1; oi >= 0; oi--) {
        int k = op->order[oi];
        const syno_node *n = &op->nodes[k];
        int c = -1;
        if (n->prim == SYNO_PRIM_STRIDE) c = k;
        else if (n->prim == SYNO_PRIM_UNFOLD) c = n->out[0] >= 0 ? cause[n->out[0]] : -1; /* window absorbs */
        else
            for (int i = 0; i < 2; i++)
                if (n->out[i] >= 0 && cause[n->out[i]] >= 0) c = cause[n->out[i]];
        if (c < 0 || n->prim == SYNO_PRIM_EXPAND) continue;
        for (int i = 0; i < 2; i++)
            if (n->in[i] >= 0 && cause[n->in[i]] < 0) cause[n->in[i]] = c;
    }
    syno_buf lab = SYNO_BUF_INIT;
    for (int t = 0; t < op->ntensors; t++)
        for (int a = 0; a < op->tensors[t].rank; a++) {
            int d = op->tensors[t].axes[a];
            if (cause[d] < 0) continue;
            syno_buf_clear(&lab);
            node_label(op, cause[d], 0, &lab);
            syno_diag *g = error(op, op->nodes[cause[d]].range,
                                 "%s discards elements of axis '%s' of '%s'; a stride is only allowed on an unfold "
                                 "window (a dilated window), where it skips taps instead of data",
                                 syno_buf_str(&lab), op->dims[d].name, op->tensors[t].name);
            syno_diag_note(g, op->dims[d].range, "'%s' declared here", op->dims[d].name);
        }
    syno_buf_fini(&lab);
}

static void check_outputs(syno_op *op)
{
    syno_buf b1 = SYNO_BUF_INIT, b2 = SYNO_BUF_INIT;
    for (int i = 0; i < op->nout; i++) {
        int d = op->out[i];
        if (d < 0 || !op->out_declared_range[i].start || !op->dims[d].sized) continue;
        if (syno_size_eq(op->dims[d].size, op->out_declared[i])) continue;
        error(op, op->out_declared_range[i], "output axis '%s' has size %s, but it is declared as %s",
              op->dims[d].name ? op->dims[d].name : "?", size_text(op, op->dims[d].size, &b1),
              size_text(op, op->out_declared[i], &b2));
    }
    syno_buf_fini(&b1);
    syno_buf_fini(&b2);
}

/* Orders the graph, derives every size and runs every check.  Returns true
 * when the op has no errors at all (including errors reported while it was
 * built); the op is then ready for evaluation, planning and printing. */
bool syno_op_finish(syno_op *op)
{
    SYNO_ASSERT(op->ntensors >= 1);
    bool ordered = topo_order(op);
    derive_sizes(op);
    check_linear(op);
    if (ordered) {
        check_masks(op);
        check_weight_axes(op);
        check_strides(op);
    }
    check_outputs(op);
    op->finished = true;
    return op->errors == 0;
}

/* ---- queries ------------------------------------------------------------- */

/* Number of reductions (sum and mean nodes). */
int syno_op_nreductions(const syno_op *op)
{
    int n = 0;
    for (int k = 0; k < op->nnodes; k++)
        if (op->nodes[k].prim == SYNO_PRIM_SUM || op->nodes[k].prim == SYNO_PRIM_MEAN) n++;
    return n;
}

/* FLOPs of the direct evaluation: for every output element and every point
 * of the reduction domain, one multiply per extra tensor and one add; plus
 * one division per output element when there is a mean. */
void syno_op_flops(const syno_op *op, syno_poly *p)
{
    syno_size out = syno_size_one(), all;
    for (int i = 0; i < op->nout; i++) syno_size_mul(&out, out, op->dims[op->out[i]].size);
    all = out;
    bool mean = false;
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim != SYNO_PRIM_SUM && n->prim != SYNO_PRIM_MEAN) continue;
        syno_size_mul(&all, all, op->dims[n->in[0]].size);
        mean |= n->prim == SYNO_PRIM_MEAN;
    }
    syno_poly_zero(p);
    syno_poly_add(p, op->ntensors, all);
    if (mean) syno_poly_add(p, 1, out);
}

/* Number of weight parameters: the sum over weights of their element counts. */
void syno_op_params(const syno_op *op, syno_poly *p)
{
    syno_poly_zero(p);
    for (int t = 1; t < op->ntensors; t++) {
        syno_size m = syno_size_one();
        for (int a = 0; a < op->tensors[t].rank; a++) syno_size_mul(&m, m, op->dims[op->tensors[t].axes[a]].size);
        syno_poly_add(p, 1, m);
    }
}

/* True when B gives a value to every variable the op's sizes use. */
bool syno_op_binds_all(const syno_op *op, const syno_binding *b)
{
    for (int d = 0; d < op->ndims; d++) {
        if (!op->dims[d].sized) continue;
        for (int v = 0; v < op->vars->n; v++)
            if (op->dims[d].size.e[v] && b->val[v] <= 0) return false;
    }
    return true;
}

/* Evaluates every dimension size under B into SIZES[ndims].  Returns false
 * if any size fails to evaluate (use syno_op_check_binding for why). */
bool syno_op_eval_sizes(const syno_op *op, const syno_binding *b, int64_t *sizes)
{
    for (int d = 0; d < op->ndims; d++) {
        sizes[d] = 0;
        if (!op->dims[d].sized || syno_size_eval(op->vars, op->dims[d].size, b, &sizes[d], NULL) != SYNO_EVAL_OK)
            return false;
    }
    return true;
}

/* Checks that every size of the op is an integer >= 1 under B and that every
 * unfold window is odd.  Each distinct failing size is reported once, at the
 * dimension that has it, with a note at WHERE (the binding) when given.
 * Returns true when everything evaluates. */
bool syno_op_check_binding(const syno_op *op, const syno_binding *b, syno_diags *d, syno_range where)
{
    bool ok = true;
    syno_size *seen = syno_xmalloc((size_t)(op->ndims + 1) * sizeof *seen);
    int nseen = 0;
    syno_buf msg = SYNO_BUF_INIT, lab = SYNO_BUF_INIT;
    for (int i = 0; i < op->ndims; i++) {
        const syno_dim *dim = &op->dims[i];
        int64_t v;
        if (!dim->sized || syno_size_eval(op->vars, dim->size, b, &v, NULL) == SYNO_EVAL_OK) continue;
        ok = false;
        bool dup = false;
        for (int j = 0; j < nseen; j++) dup |= syno_size_eq(seen[j], dim->size);
        if (dup) continue;
        seen[nseen++] = dim->size;
        syno_buf_clear(&msg);
        syno_buf_clear(&lab);
        syno_op_dim_label(op, i, &lab);
        syno_size_eval_message(op->vars, dim->size, b, &msg);
        syno_diag *g = syno_diag_error(d, dim->range, "size of '%s': %s", syno_buf_str(&lab), syno_buf_str(&msg));
        if (where.start) syno_diag_note(g, where, "binding given here");
    }
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        int64_t kv;
        if (n->prim != SYNO_PRIM_UNFOLD || syno_size_eval(op->vars, n->param, b, &kv, NULL) != SYNO_EVAL_OK) continue;
        if (kv % 2) continue;
        ok = false;
        syno_buf_clear(&msg);
        syno_buf_clear(&lab);
        node_label(op, k, 0, &lab);
        syno_size_print(op->vars, n->param, &msg);
        syno_buf_printf(&msg, " is %lld in ", (long long)kv);
        syno_binding_describe(b, &msg);
        syno_diag *g = syno_diag_error(d, n->range, "%s: the window %s, which is even; unfold windows must be odd",
                                       syno_buf_str(&lab), syno_buf_str(&msg));
        if (where.start) syno_diag_note(g, where, "binding given here");
    }
    syno_buf_fini(&msg);
    syno_buf_fini(&lab);
    free(seen);
    return ok;
}

/* Appends the sizes of dims DIMS as "[N, C_in]" (see graph.h). */
void syno_op_print_dims(const syno_op *op, const int *dims, int n, syno_buf *out)
{
    syno_buf_putc(out, '[');
    for (int i = 0; i < n; i++) {
        if (i) syno_buf_puts(out, ", ");
        syno_size_print(op->vars, op->dims[dims[i]].size, out);
    }
    syno_buf_putc(out, ']');
}

/* Appends the values of the variables OP uses (see graph.h). */
void syno_op_print_binding(const syno_op *op, const syno_binding *b, syno_buf *out)
{
    int n = 0;
    for (int v = 0; v < op->vars->n; v++) {
        bool used = false;
        for (int d = 0; d < op->ndims && !used; d++) used = op->dims[d].size.e[v] != 0;
        if (!used) continue;
        syno_buf_printf(out, "%s%s=%lld", n++ ? ", " : "", op->vars->v[v].name, (long long)b->val[v]);
    }
}

/* Rank of tensor T (see graph.h). */
int syno_op_tensor_rank(const syno_op *op, int t)
{
    if (t == SYNO_OP_OUT) return op->nout;
    SYNO_ASSERT(t >= 0 && t < op->ntensors);
    return op->tensors[t].rank;
}

/* Fills SHAPE with tensor T's extents under SIZES; returns the rank. */
int syno_op_tensor_shape(const syno_op *op, const int64_t *sizes, int t, int64_t *shape)
{
    int rank = syno_op_tensor_rank(op, t);
    const int *dims = t == SYNO_OP_OUT ? op->out : op->tensors[t].axes;
    for (int i = 0; i < rank; i++) shape[i] = sizes[dims[i]];
    return rank;
}

/* Element count of tensor T under SIZES, or -1 on int64_t overflow. */
int64_t syno_op_tensor_numel(const syno_op *op, const int64_t *sizes, int t)
{
    int rank = syno_op_tensor_rank(op, t);
    const int *dims = t == SYNO_OP_OUT ? op->out : op->tensors[t].axes;
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        if (__builtin_mul_overflow(n, sizes[dims[i]], &n)) return -1;
    return n;
}
