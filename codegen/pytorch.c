/* pytorch.c - the PyTorch exporter (see pytorch.h): the module around
 * the forward pass (header comment, helpers, constructor with the sizes,
 * parameters and their initialisation, bind), and the choice of how the
 * forward pass computes: views and contractions in the plan's order
 * (pytorch_views.c) where every index map is a view, else index tensors
 * (pytorch_gather.c). */
#include "codegen/pytorch_int.h"

#include "lang/formula.h"

#include <stdlib.h>
#include <string.h>

static const char *const py_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
    "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    "torch", "nn", "self", "x", "v", "F", "_mono", "_iota", "_fdiv", "_contract", "_windows", "_conv",
    "_window_mask", "_Windows", "_WINDOWS_MIN", "_MulSum", "_MULSUM_MIN", "_span", "_mulsum",
};

/* A Python-safe spelling of identifier NAME (keywords and the names the
 * module itself uses get a trailing underscore). */
const char *py_name(syno_arena *a, const char *name)
{
    for (size_t i = 0; i < SYNO_ARRAY_LEN(py_keywords); i++)
        if (strcmp(name, py_keywords[i]) == 0) return syno_arena_printf(a, "%s_", name);
    return name;
}

static const char py_common[] =
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
    "    return num // den\n";


/* Helpers of the forward with index tensors (pytorch_gather.c). */
static const char py_gather_helpers[] =
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


/* Helpers of the forward with views (pytorch_views.c). */
static const char py_view_helpers[] =
    "class _Windows(torch.autograd.Function):\n"
    "    \"\"\"_windows' views, with a backward of K strided adds per window (the\n"
    "    gradient of each tap added into the slice it read, in the gradient's\n"
    "    layout, then made contiguous) instead of Tensor.unfold's backward, up\n"
    "    to several times slower on the CPU for few taps.\"\"\"\n"
    "\n"
    "    @staticmethod\n"
    "    def forward(ctx, t, dims, ks):\n"
    "        if ctx is not None:\n"
    "            ctx.dims, ctx.ks, ctx.shape = dims, ks, t.shape\n"
    "        pad = [0] * (2 * t.dim())\n"
    "        for d, k in zip(dims, ks):\n"
    "            pad[2 * (t.dim() - 1 - d)] = k // 2\n"
    "            pad[2 * (t.dim() - 1 - d) + 1] = k - 1 - k // 2\n"
    "        t = F.pad(t, pad)\n"
    "        for d, k in zip(dims, ks):\n"
    "            t = t.unfold(d, k, 1)\n"
    "        return t\n"
    "\n"
    "    @staticmethod\n"
    "    def backward(ctx, g):\n"
    "        for d, k in reversed(list(zip(ctx.dims, ctx.ks))):\n"
    "            n = g.shape[d]\n"
    "            # the sum in G's layout (its axes in the order of their strides),\n"
    "            # where each add reads G's slice in the order it writes\n"
    "            order = sorted(range(g.dim() - 1), key=lambda i: -g.stride(i))\n"
    "            size = [g.shape[i] + (k - 1 if i == d else 0) for i in order]\n"
    "            s = g.new_empty(size).permute([order.index(i) for i in range(g.dim() - 1)])\n"
    "            s.narrow(d, n, k - 1).zero_()\n"
    "            s.narrow(d, 0, n).copy_(g.select(-1, 0))\n"
    "            for i in range(1, k):\n"
    "                s.narrow(d, i, n).add_(g.select(-1, i))\n"
    "            g = s\n"
    "        for d, k in zip(ctx.dims, ctx.ks):\n"
    "            g = g.narrow(d, k // 2, ctx.shape[d])\n"
    "        # contiguous, as Tensor.unfold's backward gives it: the gradients of\n"
    "        # the views before the window are as fast as they were\n"
    "        return g.contiguous(), None, None\n"
    "\n"
    "\n"
    "class _MulSum(torch.autograd.Function):\n"
    "    \"\"\"(P * Q).sum(DIMS), each of P and Q the product's shape or broadcast\n"
    "    to it, whose backward writes each operand's gradient in that operand's\n"
    "    own layout if it is dense (torch.empty_like keeps a dense view's\n"
    "    strides), else (windows that overlap) in the product's: autograd's\n"
    "    multiply lays it out like the incoming gradient and the other operand,\n"
    "    and the views of a weight before the product then copy it.  First\n"
    "    derivatives only: differentiating its backward again raises.\"\"\"\n"
    "\n"
    "    @staticmethod\n"
    "    def forward(ctx, p, q, dims):\n"
    "        t = p * q\n"
    "        ctx.save_for_backward(p, q)\n"
    "        ctx.dims, ctx.shape = dims, t.shape\n"
    "        return t.sum(dims)\n"
    "\n"
    "    @staticmethod\n"
    "    @torch.autograd.function.once_differentiable\n"
    "    def backward(ctx, g):\n"
    "        p, q = ctx.saved_tensors\n"
    "        for d in ctx.dims:\n"
    "            g = g.unsqueeze(d)\n"
    "        g = g.expand(ctx.shape)\n"
    "        grads = [None, None, None]\n"
    "        for i, (a, b) in enumerate(((p, q), (q, p))):\n"
    "            if not ctx.needs_input_grad[i]:\n"
    "                continue\n"
    "            if a.shape == ctx.shape:\n"
    "                # a dense operand's layout; windows' (overlapping): the product's\n"
    "                out = torch.empty_like(a) if _span(a) >= a.numel() else a.new_empty(a.shape)\n"
    "                grads[i] = torch.mul(g, b, out=out)\n"
    "            else:\n"
    "                grads[i] = (g * b).sum([d for d in range(a.dim()) if a.shape[d] != ctx.shape[d]], keepdim=True)\n"
    "        return tuple(grads)\n"
    "\n"
    "\n"
    "# the fewest elements of products that take _MulSum (tests set 0)\n"
    "_MULSUM_MIN = 1 << 15\n"
    "\n"
    "\n"
    "def _span(t):\n"
    "    \"\"\"How many elements T's view spans in its storage.\"\"\"\n"
    "    return 1 + sum((n - 1) * abs(s) for n, s in zip(t.shape, t.stride()))\n"
    "\n"
    "\n"
    "def _mulsum(p, q, dims):\n"
    "    \"\"\"(P * Q).sum(DIMS) for Q broadcast to P's axes, DIMS ascending; the\n"
    "    result's axes are P's kept ones in P's order.  When an operand needs a\n"
    "    gradient and the product has _MULSUM_MIN elements or more (below, the\n"
    "    fixed cost in Python is more than it saves), the product is made in the\n"
    "    memory order of the operand that spans more storage (a weight rather\n"
    "    than windows of an input, which read theirs several times over), the\n"
    "    other permuted to it, through _MulSum, whose gradients then need no\n"
    "    copies; when that is P's order already, or that operand is windows that\n"
    "    overlap (a layout of no tensor's), as a plain multiply and sum.\"\"\"\n"
    "    if p.numel() < _MULSUM_MIN or not (p.requires_grad or q.requires_grad):\n"
    "        return (p * q).sum(dims)\n"
    "    n = p.dim()\n"
    "    a, b = (q, p) if _span(q) > _span(p) else (p, q)\n"
    "    order = sorted(range(n), key=lambda i: -abs(a.stride(i)))\n"
    "    if order == list(range(n)) or _span(a) < a.numel():\n"
    "        # in that order already (autograd's gradients need no copy either),\n"
    "        # or the larger is overlapping windows (no layout of its own)\n"
    "        return (p * q).sum(dims)\n"
    "    kept = [i for i in order if i not in dims]\n"
    "    r = _MulSum.apply(a.permute(order), b.permute(order), tuple(j for j, i in enumerate(order) if i in dims))\n"
    "    back = sorted(range(len(kept)), key=lambda j: kept[j])\n"
    "    return r if back == list(range(len(back))) else r.permute(back)\n"
    "\n"
    "\n"
    "# the fewest elements of windows that take _Windows (tests set 0)\n"
    "_WINDOWS_MIN = 1 << 15\n"
    "\n"
    "\n"
    "def _windows(t, dims, ks):\n"
    "    \"\"\"T with each axis DIMS[i] (ascending) read through a zero-padded window\n"
    "    of KS[i] taps: axis DIMS[i] keeps its length (the window's position, its\n"
    "    first tap K//2 before it) and the taps become new trailing axes, in order.\n"
    "    One padded copy of T, then strided views; through _Windows when T needs\n"
    "    a gradient, the windows hold _WINDOWS_MIN elements or more (below, its\n"
    "    fixed cost in Python, about 30 us, is more than it saves) and none has\n"
    "    more than 4 taps (its backward reads the gradient once per tap: from 5\n"
    "    taps on, Tensor.unfold's backward is as fast or faster).\"\"\"\n"
    "    n = t.numel()\n"
    "    for k in ks:\n"
    "        n *= k\n"
    "    if t.requires_grad and n >= _WINDOWS_MIN and max(ks) <= 4:\n"
    "        return _Windows.apply(t, tuple(dims), tuple(ks))\n"
    "    return _Windows.forward(None, t, dims, ks)\n"
    "\n"
    "\n"
    "def _window_mask(cache, n, k, like):\n"
    "    \"\"\"The 0/1 mask [n, k] of K zero-padded taps over N ones (as _windows\n"
    "    reads them), in LIKE's dtype and on its device, made once per sizes,\n"
    "    device and dtype and kept in CACHE.\"\"\"\n"
    "    key = (\"mask\", n, k, like.device, like.dtype)\n"
    "    m = cache.get(key)\n"
    "    if m is None:\n"
    "        m = cache[key] = _windows(like.new_ones(n), (0,), (k,))\n"
    "    return m\n"
    "\n"
    "\n"
    "def _conv(x, w, pads, strides, dilations, groups):\n"
    "    \"\"\"torch's convolution of X [n, c, *space] with W [o, c/groups, *taps],\n"
    "    output position p of axis i reading input p*strides[i] + t*dilations[i]\n"
    "    - pads[i][0] for tap t, and as many positions as pads[i][1] allows.\"\"\"\n"
    "    conv = (F.conv1d, F.conv2d, F.conv3d)[x.dim() - 3]\n"
    "    if all(l == r >= 0 for l, r in pads):\n"
    "        return conv(x, w, None, strides, [l for l, _ in pads], dilations, groups)\n"
    "    pad = []\n"
    "    for l, r in reversed(pads):\n"
    "        pad += [l, r]\n"
    "    return conv(F.pad(x, pad), w, None, strides, 0, dilations, groups)\n";

static bool var_used(const syno_op *op, int v)
{
    for (int d = 0; d < op->ndims; d++)
        if (op->dims[d].size.e[v]) return true;
    for (int k = 0; k < op->nnodes; k++)
        if (op->nodes[k].param.e[v]) return true;
    return false;
}

/* Appends the Python tuple of (name, exponent) pairs of size S. */
static void mono_terms(const syno_op *op, syno_size s, syno_buf *out)
{
    syno_buf_putc(out, '(');
    for (int v = 0; v < op->vars->n; v++)
        if (s.e[v]) syno_buf_printf(out, "(\"%s\", %d), ", op->vars->v[v].name, s.e[v]);
    syno_buf_putc(out, ')');
}

/* Appends `_mono(v, terms, "text")` for size S (see pytorch_int.h). */
void py_mono(const syno_op *op, syno_size s, syno_buf *out)
{
    syno_buf_puts(out, "_mono(v, ");
    mono_terms(op, s, out);
    syno_buf_puts(out, ", \"");
    syno_size_print(op->vars, s, out);
    syno_buf_puts(out, "\")");
}

/* The variable of size S (see pytorch_int.h). */
const char *py_size(py_sizes *z, syno_size s)
{
    int k = 0;
    while (k < z->n && !syno_size_eq(z->s[k], s)) k++;
    if (k == z->n) {
        if (z->n == z->cap) {
            int cap = z->cap ? 2 * z->cap : 16;
            syno_size *ns = syno_arena_alloc(z->a, (size_t)cap * sizeof *ns);
            if (z->n) memcpy(ns, z->s, (size_t)z->n * sizeof *ns);
            z->s = ns;
            z->cap = cap;
        }
        z->s[z->n++] = s;
    }
    return syno_arena_printf(z->a, "z%d", k);
}

/* The Python expression of tensor T (see pytorch_int.h). */
const char *py_tensor(const syno_op *op, syno_arena *a, int t)
{
    return t == 0 ? "x" : syno_arena_printf(a, "self.%s", py_name(a, op->tensors[t].name));
}

/* Emits the module for OP (see pytorch.h). */
void syno_pytorch_emit(const syno_op *op, const syno_binding *b, const syno_binding *plan_b, const char *source,
                       syno_buf *out)
{
    SYNO_ASSERT(op->finished && op->errors == 0);
    syno_arena *a = syno_arena_new();
    const char **vname = syno_arena_alloc(a, (size_t)(op->vars->n + 1) * sizeof *vname);
    for (int v = 0; v < op->vars->n; v++) vname[v] = py_name(a, op->vars->v[v].name);
    const char *cls = py_name(a, op->name);
    const syno_tensor *x = &op->tensors[0];
    /* the forward first: which helpers the module needs depends on it */
    syno_buf fwd = SYNO_BUF_INIT;
    bool views = py_views_forward(op, plan_b ? plan_b : b, a, &fwd);
    if (!views) py_gather_forward(op, a, &fwd);

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
                       "# the input's shape when an input axis is exactly that variable.\n");
    if (views)
        syno_buf_puts(out, "# The forward pass follows syno's staged plan: views of the tensors (reshapes,\n"
                           "# zero-padded windows, rolls, flips, strided slices) contracted stage by stage\n"
                           "# (convolutions, matrix products, einsum); autograd gives the gradients.  It\n"
                           "# runs wherever its input lives (CPU or GPU).\n");
    else
        syno_buf_puts(out, "# The forward pass gathers the tensors with index tensors (built once per set\n"
                           "# of sizes and device) and contracts them with einsum; autograd gives the\n"
                           "# gradients.  It runs wherever its input lives (CPU or GPU).\n");
    syno_buf_puts(out, "import torch\nfrom torch import nn\n");
    if (views) syno_buf_puts(out, "import torch.nn.functional as F\n");
    syno_buf_printf(out, "\n__all__ = [\"%s\"]\n\n\n%s\n\n%s\n\n", cls, py_common, views ? py_view_helpers : py_gather_helpers);

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
        if (val) syno_buf_printf(out, ", %s=%lld", vname[v], (long long)val);
        else syno_buf_printf(out, ", %s=None", vname[v]);
    }
    syno_buf_puts(out, "):\n        super().__init__()\n        self.sizes = {");
    for (int v = 0, n = 0; v < op->vars->n; v++)
        if (var_used(op, v)) syno_buf_printf(out, "%s\"%s\": %s", n++ ? ", " : "", op->vars->v[v].name, vname[v]);
    syno_buf_puts(out, "}\n        v = self.sizes\n");
    for (int t = 1; t < op->ntensors; t++) {
        const syno_tensor *ts = &op->tensors[t];
        syno_buf_printf(out, "        self.%s = nn.Parameter(torch.empty(", py_name(a, ts->name));
        for (int i = 0; i < ts->rank; i++) {
            py_mono(op, op->dims[ts->axes[i]].size, out);
            syno_buf_puts(out, ", ");
        }
        syno_buf_puts(out, "))\n");
    }
    syno_buf_puts(out, "        self._cache = {}\n        self.reset_parameters()\n\n");

    /* reset_parameters: output variance about the input's */
    syno_size red = syno_size_one();
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim == SYNO_PRIM_SUM || n->prim == SYNO_PRIM_MEAN) syno_size_mul(&red, red, op->dims[n->in[0]].size);
    }
    syno_buf_puts(out, "    def reset_parameters(self):\n"
                       "        \"\"\"Normal weights, each with standard deviation R^(-1/(2m)) for R the\n"
                       "        number of summed terms and m the number of weights, so that the output\n"
                       "        has about the input's variance; 0.1 when R is not known yet.\"\"\"\n");
    if (op->ntensors > 1) {
        syno_buf_puts(out, "        try:\n            std = float(_mono(self.sizes, ");
        mono_terms(op, red, out);
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
        py_mono(op, op->dims[x->axes[i]].size, out);
        syno_buf_puts(out, ", ");
    }
    syno_buf_printf(out, ")\n        if tuple(x.shape) != want:\n"
                         "            raise ValueError(\"%s: input of shape %%s, expected %%s = ",
                    op->name);
    syno_op_print_dims(op, x->axes, x->rank, out);
    syno_buf_puts(out, "\" % (tuple(x.shape), want))\n        return v\n\n");

    syno_buf_add(out, fwd.data ? fwd.data : "", fwd.len);
    syno_buf_fini(&fwd);
    syno_buf_puts(out, "\n    def extra_repr(self):\n"
                       "        return \", \".join(\"%s=%s\" % kv for kv in self.sizes.items())\n");
    syno_arena_free(a);
}
