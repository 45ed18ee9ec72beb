/* pytorch.c - the PyTorch exporter (see pytorch.h).
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
 * of ones, guards no tensor depends on as masks. */
#include "codegen/pytorch.h"

#include "base/arena.h"
#include "lang/formula.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PY_MAX_ITERS 52

static const char *const py_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
    "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    "torch", "nn", "self", "x", "v",
};

/* A Python-safe spelling of identifier NAME (keywords and the names the
 * module itself uses get a trailing underscore). */
static const char *py_name(syno_arena *a, const char *name)
{
    for (size_t i = 0; i < SYNO_ARRAY_LEN(py_keywords); i++)
        if (strcmp(name, py_keywords[i]) == 0) return syno_arena_printf(a, "%s_", name);
    return name;
}

static const char py_helpers[] =
    "def _mono(v, terms, text):\n"
    "    \"\"\"The value of the size TEXT, a product of size variables to the powers\n"
    "    TERMS, under the values V; it must be a whole number.\"\"\"\n"
    "    num, den = 1, 1\n"
    "    for name, e in terms:\n"
    "        val = v.get(name)\n"
    "        if val is None:\n"
    "            raise ValueError(\"size variable %s has no value (needed for %s): pass %s=... to the \"\n"
    "                             \"constructor\" % (name, text, name))\n"
    "        if e > 0:\n"
    "            num *= val ** e\n"
    "        else:\n"
    "            den *= val ** -e\n"
    "    if num % den:\n"
    "        raise ValueError(\"%s = %d/%d is not an integer\" % (text, num, den))\n"
    "    return num // den\n"
    "\n"
    "\n"
    "def _iota(n, axis, rank, device):\n"
    "    \"\"\"0..n-1 along AXIS of a RANK-dimensional broadcastable tensor.\"\"\"\n"
    "    shape = [1] * rank\n"
    "    shape[axis] = n\n"
    "    return torch.arange(n, device=device).view(shape)\n"
    "\n"
    "\n"
    "def _fdiv(a, b):\n"
    "    return torch.div(a, b, rounding_mode=\"floor\")\n"
    "\n"
    "\n"
    "def _contract(ops, subs, out):\n"
    "    \"\"\"einsum of OPS (subscripts SUBS) into subscripts OUT, two operands at\n"
    "    a time: always the pair with the smallest joint iteration space, summing\n"
    "    an index as soon as no other operand and not the output has it.\"\"\"\n"
    "    ops, subs = list(ops), list(subs)\n"
    "    ext = {}\n"
    "    for t, s in zip(ops, subs):\n"
    "        ext.update(zip(s, t.shape))\n"
    "    while len(ops) > 1:\n"
    "        best = None\n"
    "        for i in range(len(ops)):\n"
    "            for j in range(i + 1, len(ops)):\n"
    "                both = \"\".join(dict.fromkeys(subs[i] + subs[j]))\n"
    "                cost = 1\n"
    "                for c in both:\n"
    "                    cost *= ext[c]\n"
    "                if best is None or cost < best[0]:\n"
    "                    best = (cost, i, j, both)\n"
    "        _, i, j, both = best\n"
    "        keep = set(out)\n"
    "        for k, s in enumerate(subs):\n"
    "            if k != i and k != j:\n"
    "                keep.update(s)\n"
    "        res = \"\".join(c for c in both if c in keep)\n"
    "        t = torch.einsum(\"%s,%s->%s\" % (subs[i], subs[j], res), ops[i], ops[j])\n"
    "        for k in (j, i):\n"
    "            del ops[k]\n"
    "            del subs[k]\n"
    "        ops.append(t)\n"
    "        subs.append(res)\n"
    "    if subs[0] != out:\n"
    "        return torch.einsum(\"%s->%s\" % (subs[0], out), ops[0])\n"
    "    return ops[0]\n";

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
    int nsizes;
    syno_size *sizes;         /* the distinct sizes _indices needs, named z0, z1, ... */
} emit;

static bool var_used(const syno_op *op, int v)
{
    for (int d = 0; d < op->ndims; d++)
        if (op->dims[d].size.e[v]) return true;
    for (int k = 0; k < op->nnodes; k++)
        if (op->nodes[k].param.e[v]) return true;
    return false;
}

/* Appends the Python tuple of (name, exponent) pairs of size S. */
static void mono_terms(emit *e, syno_size s, syno_buf *out)
{
    syno_buf_putc(out, '(');
    int n = 0;
    for (int v = 0; v < e->op->vars->n; v++)
        if (s.e[v]) syno_buf_printf(out, "(\"%s\", %d), ", e->op->vars->v[v].name, s.e[v]), n++;
    syno_buf_putc(out, ')');
}

/* Appends `_mono(v, terms, "text")` for size S. */
static void mono_call(emit *e, syno_size s, syno_buf *out)
{
    syno_buf_puts(out, "_mono(v, ");
    mono_terms(e, s, out);
    syno_buf_puts(out, ", \"");
    syno_size_print(e->op->vars, s, out);
    syno_buf_puts(out, "\")");
}

/* The name of the Python variable (in _indices) holding the extent of dim
 * D: one per distinct size, defined at the top of _indices. */
static const char *dsize(const emit *e_, int d)
{
    emit *e = (emit *)e_;
    syno_size s = e->op->dims[d].size;
    int k = 0;
    while (k < e->nsizes && !syno_size_eq(e->sizes[k], s)) k++;
    if (k == e->nsizes) e->sizes[e->nsizes++] = s;
    return syno_arena_printf(e->a, "z%d", k);
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
    return t == 0 ? "x" : syno_arena_printf(e->a, "self.%s", py_name(e->a, e->op->tensors[t].name));
}

static void emit_forward(emit *e)
{
    const syno_op *op = e->op;
    syno_buf *o = e->out;
    syno_buf_puts(o, "    def forward(self, x):\n"
                     "        v = self.bind(x)\n"
                     "        key = (tuple(sorted(v.items())), x.device)\n"
                     "        ix = self._index_cache.get(key)\n"
                     "        if ix is None:\n"
                     "            ix = self._index_cache[key] = self._indices(v, x.device)\n");
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

void syno_pytorch_emit(const syno_op *op, const syno_binding *b, const char *source, syno_buf *out)
{
    SYNO_ASSERT(op->finished && op->errors == 0);
    syno_arena *a = syno_arena_new();
    emit e = {.op = op, .a = a, .out = out};
    int nd = op->ndims + 1;
    e.iter = syno_arena_alloc(a, (size_t)nd * sizeof *e.iter);
    e.it_of = syno_arena_alloc(a, (size_t)nd * sizeof *e.it_of);
    e.iname = syno_arena_alloc(a, (size_t)nd * sizeof *e.iname);
    e.expr = syno_arena_alloc(a, (size_t)nd * sizeof *e.expr);
    e.deps = syno_arena_alloc(a, (size_t)nd * sizeof *e.deps);
    e.bare = syno_arena_alloc(a, (size_t)nd * sizeof *e.bare);
    e.guard_dim = syno_arena_alloc(a, (size_t)(op->nnodes + 1) * sizeof *e.guard_dim);
    e.vname = syno_arena_alloc(a, (size_t)(op->vars->n + 1) * sizeof *e.vname);
    for (int d = 0; d < nd; d++) e.it_of[d] = -1;
    for (int v = 0; v < op->vars->n; v++) e.vname[v] = py_name(a, op->vars->v[v].name);
    find_iters(&e);
    const char *cls = py_name(a, op->name);
    const syno_tensor *x = &op->tensors[0];

    /* header */
    syno_buf formula = SYNO_BUF_INIT;
    syno_op_formula(op, b, &formula);
    syno_buf_printf(out, "# Generated by `syno export --pytorch %s`.\n", source ? source : op->name);
    syno_buf_puts(out, "# A self-contained PyTorch module (it imports only torch) computing\n#   ");
    for (const char *p = syno_buf_str(&formula); *p; p++) {
        syno_buf_putc(out, *p);
        if (*p == '\n' && p[1]) syno_buf_puts(out, "#   ");
    }
    if (formula.len && formula.data[formula.len - 1] != '\n') syno_buf_putc(out, '\n');
    syno_buf_puts(out, "# with the semantics of syno's reference evaluator: shift reads x = (y + d) mod n,\n"
                       "# unfold pads with zeros, merges use floor division and Euclidean mod.\n"
                       "# Sizes are keyword arguments of the constructor; one left None is read from\n"
                       "# the input's shape when an input axis is exactly that variable.\n"
                       "import torch\nfrom torch import nn\n\n__all__ = [\"");
    syno_buf_printf(out, "%s\"]\n\n\n%s\n\n", cls, py_helpers);

    /* class and docstring */
    syno_buf_printf(out, "\nclass %s(nn.Module):\n    \"\"\"%s: input %s ", cls, op->name, x->name);
    syno_op_print_dims(op, x->axes, x->rank, out);
    syno_buf_puts(out, " -> output ");
    syno_op_print_dims(op, op->out, op->nout, out);
    for (int t = 1; t < op->ntensors; t++) {
        syno_buf_printf(out, "; weight %s ", op->tensors[t].name);
        syno_op_print_dims(op, op->tensors[t].axes, op->tensors[t].rank, out);
    }
    syno_buf_puts(out, ".\n\n    ");
    for (const char *p = syno_buf_str(&formula); *p; p++) {
        if (*p == '\\' || *p == '"') syno_buf_putc(out, '\\');
        syno_buf_putc(out, *p);
        if (*p == '\n' && p[1]) syno_buf_puts(out, "    ");
    }
    if (formula.len && formula.data[formula.len - 1] != '\n') syno_buf_putc(out, '\n');
    syno_buf_puts(out, "    \"\"\"\n\n");
    syno_buf_fini(&formula);

    /* constructor */
    syno_buf_puts(out, "    def __init__(self, *");
    for (int v = 0; v < op->vars->n; v++) {
        if (!var_used(op, v)) continue;
        int64_t val = b && b->val[v] ? b->val[v] : op->vars->v[v].kind == SYNO_VAR_COEF ? op->vars->v[v].value : 0;
        if (val) syno_buf_printf(out, ", %s=%lld", e.vname[v], (long long)val);
        else syno_buf_printf(out, ", %s=None", e.vname[v]);
    }
    syno_buf_puts(out, "):\n        super().__init__()\n        self.sizes = {");
    for (int v = 0, n = 0; v < op->vars->n; v++)
        if (var_used(op, v)) syno_buf_printf(out, "%s\"%s\": %s", n++ ? ", " : "", op->vars->v[v].name, e.vname[v]);
    syno_buf_puts(out, "}\n        v = self.sizes\n");
    for (int t = 1; t < op->ntensors; t++) {
        const syno_tensor *ts = &op->tensors[t];
        syno_buf_printf(out, "        self.%s = nn.Parameter(torch.empty(", py_name(a, ts->name));
        for (int i = 0; i < ts->rank; i++) {
            mono_call(&e, op->dims[ts->axes[i]].size, out);
            syno_buf_puts(out, ", ");
        }
        syno_buf_puts(out, "))\n");
    }
    syno_buf_puts(out, "        self._index_cache = {}\n        self.reset_parameters()\n\n");

    /* reset_parameters: output variance about the input's */
    syno_size red = syno_size_one();
    for (int k = op->nout; k < e.niters; k++) syno_size_mul(&red, red, op->dims[e.iter[k]].size);
    syno_buf_puts(out, "    def reset_parameters(self):\n"
                       "        \"\"\"Normal weights, each with standard deviation R^(-1/(2m)) for R the\n"
                       "        number of summed terms and m the number of weights, so that the output\n"
                       "        has about the input's variance; 0.1 when R is not known yet.\"\"\"\n");
    if (op->ntensors > 1) {
        syno_buf_puts(out, "        try:\n            std = float(_mono(self.sizes, ");
        mono_terms(&e, red, out);
        syno_buf_printf(out, ", \"R\")) ** (-0.5 / %d)\n        except ValueError:\n            std = 0.1\n",
                        op->ntensors - 1);
        for (int t = 1; t < op->ntensors; t++)
            syno_buf_printf(out, "        nn.init.normal_(self.%s, std=std)\n", py_name(a, op->tensors[t].name));
    } else {
        syno_buf_puts(out, "        pass\n");
    }
    syno_buf_putc(out, '\n');

    /* bind */
    syno_buf_puts(out, "    def bind(self, x):\n"
                       "        \"\"\"The value of every size variable for input X, checked against its\n"
                       "        shape.\"\"\"\n"
                       "        v = dict(self.sizes)\n");
    syno_buf_printf(out, "        if x.dim() != %d:\n", x->rank);
    syno_buf_printf(out, "            raise ValueError(\"%s takes a rank-%d input ", op->name, x->rank);
    syno_op_print_dims(op, x->axes, x->rank, out);
    syno_buf_puts(out, ", not shape %s\" % (tuple(x.shape),))\n");
    for (int i = 0; i < x->rank; i++) {
        syno_size s = op->dims[x->axes[i]].size;
        int only = -1, nvars = 0;
        for (int v = 0; v < op->vars->n; v++)
            if (s.e[v]) nvars++, only = s.e[v] == 1 ? v : -1;
        if (nvars == 1 && only >= 0)
            syno_buf_printf(out, "        if v[\"%s\"] is None:\n            v[\"%s\"] = x.shape[%d]\n",
                            op->vars->v[only].name, op->vars->v[only].name, i);
    }
    syno_buf_puts(out, "        want = (");
    for (int i = 0; i < x->rank; i++) {
        mono_call(&e, op->dims[x->axes[i]].size, out);
        syno_buf_puts(out, ", ");
    }
    syno_buf_printf(out, ")\n        if tuple(x.shape) != want:\n"
                         "            raise ValueError(\"%s: input of shape %%s, expected %%s = ",
                    op->name);
    syno_op_print_dims(op, x->axes, x->rank, out);
    syno_buf_puts(out, "\" % (tuple(x.shape), want))\n        return v\n\n");

    /* indices */
    syno_buf_puts(out, "    def _indices(self, v, device):\n"
                       "        \"\"\"Index tensors, guards and extents for the sizes V.\"\"\"\n");
    syno_buf body = SYNO_BUF_INIT;
    e.sizes = syno_arena_alloc(a, (size_t)nd * sizeof *e.sizes);
    e.out = &body;
    emit_indices(&e);
    emit_indices_return(&e);
    e.out = out;
    for (int k = 0; k < e.nsizes; k++) {
        syno_buf_printf(out, "        z%d = ", k);
        mono_call(&e, e.sizes[k], out);
        syno_buf_putc(out, '\n');
    }
    syno_buf_add(out, body.data ? body.data : "", body.len);
    syno_buf_fini(&body);
    syno_buf_putc(out, '\n');
    emit_forward(&e);
    syno_buf_puts(out, "\n    def extra_repr(self):\n"
                       "        return \", \".join(\"%s=%s\" % kv for kv in self.sizes.items())\n");
    syno_arena_free(a);
}
