/* pytorch_gather.c - the forward pass of an exported module with index
 * tensors, for operators whose index maps are not all views
 * (pytorch_views.c covers the others).
 *
 * The graph is read like the reference evaluator reads it: the free
 * iterators are the output axes and the operands of sum/mean; walking the
 * nodes from the bottom up gives every dimension an index expression over
 * them (a Python expression on broadcastable integer tensors, one line per
 * dimension), and every unfold a guard.  A tensor whose axes are plain
 * distinct iterators and that no guard touches enters the contraction as
 * it is; any other tensor is gathered: advanced indexing with the index
 * tensors (clamped into range where a guard may fail), torch.where with
 * its guards, then reshaped to the iterators it depends on.  Iterators no
 * tensor reads (broadcast outputs, sums over an expand) enter as vectors
 * of ones, guards no tensor depends on as masks.  The index tensors depend
 * only on the sizes and are built once per set of sizes and device. */
#include "codegen/pytorch_int.h"

#include "lang/formula.h"

#include <stdarg.h>
#include <string.h>

#define PY_MAX_ITERS 52

typedef struct emit {
    const syno_op *op;
    syno_arena *a;
    syno_buf *out;
    const char **vname;       /* Python name of each variable */
    int niters;
    int it_of_dim_cap;
    int *iter;                /* dim of each iterator */
    int *it_of;               /* iterator of each dim, or -1 */
    const char **iname;       /* Python name of each iterator's index tensor */
    char letter[PY_MAX_ITERS + 1];
    const char **expr;        /* per dim: Python expression (a variable name) of its index */
    uint64_t *deps;           /* per dim: iterators its index reads */
    bool *bare;               /* per dim: the index is an iterator itself */
    int nguards;
    int *guard_dim;           /* the consumed dim of each unfold */
    py_sizes z;               /* the distinct sizes _indices needs, named z0, z1, ... */
} emit;

/* The name of the Python variable (in _indices) holding the extent of dim
 * D: one per distinct size, defined at the top of _indices. */
static const char *dsize(const emit *e_, int d)
{
    emit *e = (emit *)e_;
    return py_size(&e->z, e->op->dims[d].size);
}

/* Gives dim D the index expression TEXT (a new Python variable). */
static void set_expr(emit *e, int d, uint64_t deps, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_expr(emit *e, int d, uint64_t deps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf t = SYNO_BUF_INIT;
    syno_buf_vprintf(&t, fmt, ap);
    va_end(ap);
    e->expr[d] = syno_arena_printf(e->a, "e%d", d);
    e->deps[d] = deps;
    e->bare[d] = false;
    syno_buf_printf(e->out, "        %s = %s\n", e->expr[d], syno_buf_str(&t));
    syno_buf_fini(&t);
}

static void alias(emit *e, int d, int from)
{
    e->expr[d] = e->expr[from];
    e->deps[d] = e->deps[from];
    e->bare[d] = e->bare[from];
}

/* The iterators: output axes, then the operands of sum/mean in node order. */
static void find_iters(emit *e)
{
    const syno_op *op = e->op;
    const char **names = syno_op_index_names(op, e->a);
    for (int i = 0; i < op->nout; i++) e->iter[e->niters++] = op->out[i];
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *n = &op->nodes[op->order[oi]];
        if (n->prim == SYNO_PRIM_SUM || n->prim == SYNO_PRIM_MEAN) e->iter[e->niters++] = n->in[0];
    }
    SYNO_ASSERT(e->niters <= PY_MAX_ITERS);
    for (int k = 0; k < e->niters; k++) {
        int d = e->iter[k];
        e->it_of[d] = k;
        e->iname[k] = syno_arena_printf(e->a, "i_%s", names[d]);
        e->letter[k] = (char)(k < 26 ? 'a' + k : 'A' + k - 26);
    }
}

/* Emits the body of _indices: sizes, iterators, index expressions, guards. */
static void emit_indices(emit *e)
{
    const syno_op *op = e->op;
    syno_buf *o = e->out;
    for (int k = 0; k < e->niters; k++) {
        int d = e->iter[k];
        syno_buf_printf(o, "        %s = _iota(%s, %d, %d, device)\n", e->iname[k], dsize(e, d), k, e->niters);
        e->expr[d] = e->iname[k];
        e->deps[d] = 1ull << k;
        e->bare[d] = true;
    }
    for (int oi = op->norder - 1; oi >= 0; oi--) {
        const syno_node *n = &op->nodes[op->order[oi]];
        int a = n->in[0], b = n->in[1], y = n->out[0], z = n->out[1];
        switch (n->prim) {
        case SYNO_PRIM_SPLIT: /* x = l*R + r */
            set_expr(e, a, e->deps[y] | e->deps[z], "%s * %s + %s", e->expr[y], dsize(e, z), e->expr[z]);
            break;
        case SYNO_PRIM_MERGE: /* a = floor(y/|b|), b = y mod |b| */
            set_expr(e, a, e->deps[y], "_fdiv(%s, %s)", e->expr[y], dsize(e, b));
            set_expr(e, b, e->deps[y], "torch.remainder(%s, %s)", e->expr[y], dsize(e, b));
            break;
        case SYNO_PRIM_SHIFT: /* x = (y + d) mod |x| */
            set_expr(e, a, e->deps[y], "torch.remainder(%s + %lld, %s)", e->expr[y], (long long)n->shift, dsize(e, a));
            break;
        case SYNO_PRIM_STRIDE: /* x = y*s, s = |x|/|y| */
            set_expr(e, a, e->deps[y], "%s * (%s // %s)", e->expr[y], dsize(e, a), dsize(e, y));
            break;
        case SYNO_PRIM_UNFOLD: /* x = m + w - floor(K/2), guarded */
            set_expr(e, a, e->deps[y] | e->deps[z], "%s + %s - %s // 2", e->expr[y], e->expr[z], dsize(e, z));
            syno_buf_printf(o, "        g%d = (%s >= 0) & (%s < %s)\n", e->nguards, e->expr[a], e->expr[a],
                            dsize(e, a));
            e->guard_dim[e->nguards++] = a;
            break;
        case SYNO_PRIM_EXPAND: break;
        case SYNO_PRIM_SHARE:
            alias(e, a, y);
            alias(e, b, y);
            break;
        case SYNO_PRIM_SUM:
        case SYNO_PRIM_MEAN: break;
        case SYNO_PRIM_REVERSE: /* x = |x| - 1 - y */
            set_expr(e, a, e->deps[y], "%s - 1 - %s", dsize(e, a), e->expr[y]);
            break;
        default: SYNO_UNREACHABLE();
        }
    }
}

/* Whether tensor T enters the contraction as it is. */
static bool direct(const emit *e, int t)
{
    const syno_tensor *ts = &e->op->tensors[t];
    uint64_t seen = 0;
    for (int i = 0; i < ts->rank; i++) {
        int d = ts->axes[i];
        if (!e->bare[d] || (seen & e->deps[d])) return false;
        seen |= e->deps[d];
    }
    for (int g = 0; g < e->nguards; g++)
        if (e->op->mask[e->guard_dim[g]] & (1u << t)) return false;
    return true;
}

static uint64_t tensor_deps(const emit *e, int t)
{
    uint64_t m = 0;
    for (int i = 0; i < e->op->tensors[t].rank; i++) m |= e->deps[e->op->tensors[t].axes[i]];
    return m;
}

/* Appends the subscripts of iterator set M, in iterator order. */
static void subs_of(const emit *e, uint64_t m, syno_buf *out)
{
    for (int k = 0; k < e->niters; k++)
        if (m & (1ull << k)) syno_buf_putc(out, e->letter[k]);
}

/* Appends the Python tuple of the extents of iterator set M. */
static void shape_of(const emit *e, uint64_t m, syno_buf *out)
{
    syno_buf_putc(out, '(');
    for (int k = 0; k < e->niters; k++)
        if (m & (1ull << k)) syno_buf_printf(out, "%s, ", dsize(e, e->iter[k]));
    syno_buf_putc(out, ')');
}

/* Emits the return value of _indices: per gathered tensor its index tuple,
 * its guard mask (or None) and its shape; the standalone guard masks; the
 * extents of unread iterators; the mean scale. */
static void emit_indices_return(emit *e)
{
    const syno_op *op = e->op;
    syno_buf *o = e->out;
    syno_buf_puts(o, "        ix = {}\n");
    for (int t = 0; t < op->ntensors; t++) {
        if (direct(e, t)) continue;
        const syno_tensor *ts = &op->tensors[t];
        bool guarded = false;
        syno_buf mask = SYNO_BUF_INIT;
        for (int g = 0; g < e->nguards; g++)
            if (op->mask[e->guard_dim[g]] & (1u << t)) {
                syno_buf_printf(&mask, "%sg%d", guarded ? " & " : "", g);
                guarded = true;
            }
        syno_buf_printf(o, "        ix[%d] = ((", t);
        for (int i = 0; i < ts->rank; i++) {
            int d = ts->axes[i];
            if (guarded && !e->bare[d]) syno_buf_printf(o, "%s.clamp(0, %s - 1), ", e->expr[d], dsize(e, d));
            else syno_buf_printf(o, "%s, ", e->expr[d]);
        }
        syno_buf_printf(o, "), %s, ", guarded ? syno_buf_str(&mask) : "None");
        shape_of(e, tensor_deps(e, t), o);
        syno_buf_puts(o, ")\n");
        syno_buf_fini(&mask);
    }
    for (int g = 0; g < e->nguards; g++)
        if (!op->mask[e->guard_dim[g]]) {
            syno_buf_printf(o, "        ix[\"g%d\"] = (g%d, ", g, g);
            shape_of(e, e->deps[e->guard_dim[g]], o);
            syno_buf_puts(o, ")\n");
        }
    syno_buf_puts(o, "        ix[\"scale\"] = 1.0");
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *n = &op->nodes[op->order[oi]];
        if (n->prim == SYNO_PRIM_MEAN) syno_buf_printf(o, " / %s", dsize(e, n->in[0]));
    }
    syno_buf_puts(o, "\n        ix[\"extents\"] = (");
    for (int k = 0; k < e->niters; k++) syno_buf_printf(o, "%s, ", dsize(e, e->iter[k]));
    syno_buf_puts(o, ")\n        return ix\n");
}

/* The Python expression of tensor T's value in forward(). */
static const char *tensor_ref(const emit *e, int t)
{
    return py_tensor(e->op, e->a, t);
}

static void emit_forward(emit *e)
{
    const syno_op *op = e->op;
    syno_buf *o = e->out;
    syno_buf_puts(o, "    def forward(self, x):\n"
                     "        v = self.bind(x)\n"
                     "        key = (tuple(sorted(v.items())), x.device)\n"
                     "        ix = self._cache.get(key)\n"
                     "        if ix is None:\n"
                     "            ix = self._cache[key] = self._indices(v, x.device)\n");
    syno_buf ops = SYNO_BUF_INIT, subs = SYNO_BUF_INIT;
    uint64_t read = 0;
    for (int t = 0; t < op->ntensors; t++) {
        const syno_tensor *ts = &op->tensors[t];
        syno_buf_printf(&subs, "\"");
        if (direct(e, t)) {
            syno_buf_printf(&ops, "%s, ", tensor_ref(e, t));
            for (int i = 0; i < ts->rank; i++) subs_of(e, e->deps[ts->axes[i]], &subs);
        } else {
            syno_buf_printf(o, "        t%d = %s[ix[%d][0]]\n", t, tensor_ref(e, t), t);
            syno_buf_printf(o, "        if ix[%d][1] is not None:\n", t);
            syno_buf_printf(o, "            t%d = torch.where(ix[%d][1], t%d, t%d.new_zeros(()))\n", t, t, t, t);
            syno_buf_printf(o, "        t%d = t%d.reshape(ix[%d][2])\n", t, t, t);
            syno_buf_printf(&ops, "t%d, ", t);
            subs_of(e, tensor_deps(e, t), &subs);
        }
        read |= tensor_deps(e, t);
        syno_buf_puts(&subs, "\", ");
    }
    for (int g = 0; g < e->nguards; g++)
        if (!op->mask[e->guard_dim[g]]) {
            syno_buf_printf(&ops, "ix[\"g%d\"][0].to(x.dtype).reshape(ix[\"g%d\"][1]), ", g, g);
            syno_buf_puts(&subs, "\"");
            subs_of(e, e->deps[e->guard_dim[g]], &subs);
            syno_buf_puts(&subs, "\", ");
            read |= e->deps[e->guard_dim[g]];
        }
    for (int k = 0; k < e->niters; k++)
        if (!(read & (1ull << k))) {
            syno_buf_printf(&ops, "x.new_ones(ix[\"extents\"][%d]), ", k);
            syno_buf_printf(&subs, "\"%c\", ", e->letter[k]);
        }
    syno_buf_printf(o, "        out = _contract((%s), (%s), \"", syno_buf_str(&ops), syno_buf_str(&subs));
    for (int i = 0; i < op->nout; i++) syno_buf_putc(o, e->letter[e->it_of[op->out[i]]]);
    syno_buf_puts(o, "\")\n"
                     "        if ix[\"scale\"] != 1.0:\n"
                     "            out = out * ix[\"scale\"]\n"
                     "        return out\n");
    syno_buf_fini(&ops);
    syno_buf_fini(&subs);
}

/* Appends _indices and forward for OP (see pytorch_int.h). */
void py_gather_forward(const syno_op *op, syno_arena *a, syno_buf *out)
{
    emit e = {.op = op, .a = a, .out = out};
    int nd = op->ndims + 1;
    e.iter = syno_arena_alloc(a, (size_t)nd * sizeof *e.iter);
    e.it_of = syno_arena_alloc(a, (size_t)nd * sizeof *e.it_of);
    e.iname = syno_arena_alloc(a, (size_t)nd * sizeof *e.iname);
    e.expr = syno_arena_alloc(a, (size_t)nd * sizeof *e.expr);
    e.deps = syno_arena_alloc(a, (size_t)nd * sizeof *e.deps);
    e.bare = syno_arena_alloc(a, (size_t)nd * sizeof *e.bare);
    e.guard_dim = syno_arena_alloc(a, (size_t)(op->nnodes + 1) * sizeof *e.guard_dim);
    e.z = (py_sizes){.op = op, .a = a};
    for (int d = 0; d < nd; d++) e.it_of[d] = -1;
    find_iters(&e);
    syno_buf_puts(out, "    def _indices(self, v, device):\n"
                       "        \"\"\"Index tensors, guards and extents for the sizes V.\"\"\"\n");
    syno_buf body = SYNO_BUF_INIT;
    e.out = &body;
    emit_indices(&e);
    emit_indices_return(&e);
    e.out = out;
    for (int k = 0; k < e.z.n; k++) {
        syno_buf_printf(out, "        z%d = ", k);
        py_mono(op, e.z.s[k], out);
        syno_buf_putc(out, '\n');
    }
    syno_buf_add(out, body.data ? body.data : "", body.len);
    syno_buf_fini(&body);
    syno_buf_putc(out, '\n');
    emit_forward(&e);
}
