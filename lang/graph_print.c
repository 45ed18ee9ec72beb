/* graph_print.c - operator graph -> .syno text (see graph_print.h).
 *
 * Printing has two passes.  Naming decides, for every tensor and dim, the
 * name it is written with: its own name when that is an identifier that is
 * neither a keyword, a primitive, a size variable nor taken already;
 * otherwise an invented one.  Emission then writes the header (input
 * tensor, output list), the weight lines, and one statement per node in
 * the order the nodes were added (for a parsed op, the source order; the
 * language lets statements come in any order), except for nodes written
 * inline (nesting). */
#include "lang/graph_print.h"

#include "lang/parser.h"

#include <stdlib.h>
#include <string.h>

typedef struct namer {
    const syno_op *op;
    unsigned flags;
    const char **dim;     /* chosen name per dim, NULL while undecided */
    bool *inlined;        /* per dim: written inline at its consumer */
    const char **tensor;  /* chosen name per tensor */
    char **owned;         /* invented names, freed at the end */
    int nowned;
    int counter;
} namer;

static bool taken(const namer *nm, const char *s)
{
    const syno_op *op = nm->op;
    for (int i = 0; i < SYNO_KEYWORD_COUNT; i++)
        if (strcmp(s, syno_keywords[i]) == 0) return true;
    if (syno_prim_lookup(s) >= 0 || syno_vars_find(op->vars, s) >= 0) return true;
    for (int t = 0; t < op->ntensors; t++)
        if (nm->tensor[t] && strcmp(nm->tensor[t], s) == 0) return true;
    for (int d = 0; d < op->ndims; d++)
        if (nm->dim[d] && strcmp(nm->dim[d], s) == 0) return true;
    return false;
}

static const char *invent(namer *nm, const char *prefix)
{
    char buf[32];
    do snprintf(buf, sizeof buf, "%s%d", prefix, nm->counter++);
    while (taken(nm, buf));
    char *s = syno_xstrdup(buf);
    nm->owned = syno_xrealloc(nm->owned, (size_t)(nm->nowned + 1) * sizeof *nm->owned);
    nm->owned[nm->nowned++] = s;
    return s;
}

static const char *keep_or_invent(namer *nm, const char *name, const char *prefix)
{
    if (syno_is_ident(name) && !taken(nm, name)) return name;
    return invent(nm, prefix);
}

/* A dim is written inline when nesting is on and it is the anonymous
 * single result of a node that another node consumes. */
static bool can_inline(const namer *nm, int d)
{
    const syno_dim *dim = &nm->op->dims[d];
    if (!(nm->flags & SYNO_PRINT_NEST) || dim->src < 0 || dim->dst < 0) return false;
    if (syno_prims[nm->op->nodes[dim->src].prim].nresults != 1) return false;
    return dim->name == NULL;
}

static void namer_init(namer *nm, const syno_op *op, unsigned flags)
{
    memset(nm, 0, sizeof *nm);
    nm->op = op;
    nm->flags = flags;
    nm->dim = syno_xcalloc((size_t)op->ndims + 1, sizeof *nm->dim);
    nm->inlined = syno_xcalloc((size_t)op->ndims + 1, sizeof *nm->inlined);
    nm->tensor = syno_xcalloc((size_t)op->ntensors + 1, sizeof *nm->tensor);
    for (int t = 0; t < op->ntensors; t++) nm->tensor[t] = keep_or_invent(nm, op->tensors[t].name, t ? "w" : "x");
    /* Names the op already has come first, so invented ones avoid them. */
    for (int d = 0; d < op->ndims; d++)
        if (op->dims[d].name && syno_is_ident(op->dims[d].name) && !taken(nm, op->dims[d].name))
            nm->dim[d] = op->dims[d].name;
    for (int d = 0; d < op->ndims; d++) {
        if (nm->dim[d]) continue;
        if (can_inline(nm, d)) nm->inlined[d] = true;
        else nm->dim[d] = invent(nm, "d");
    }
}

static void namer_fini(namer *nm)
{
    for (int i = 0; i < nm->nowned; i++) free(nm->owned[i]);
    free(nm->owned);
    free(nm->dim);
    free(nm->inlined);
    free(nm->tensor);
}

static void print_call(const namer *nm, int k, syno_buf *out);

static void print_operand(const namer *nm, int d, syno_buf *out)
{
    if (nm->inlined[d]) print_call(nm, nm->op->dims[d].src, out);
    else syno_buf_puts(out, nm->dim[d]);
}

static void print_call(const namer *nm, int k, syno_buf *out)
{
    const syno_node *n = &nm->op->nodes[k];
    const char *args = syno_prims[n->prim].args;
    syno_buf_printf(out, "%s(", syno_prims[n->prim].name);
    int di = 0;
    for (int i = 0; args[i]; i++) {
        if (args[i] == 'i' && n->shift == 1) continue;
        if (i) syno_buf_puts(out, ", ");
        if (args[i] == 'd') print_operand(nm, n->in[di++], out);
        else if (args[i] == 'S') syno_size_print(nm->op->vars, n->param, out);
        else syno_buf_printf(out, "%lld", (long long)n->shift);
    }
    syno_buf_putc(out, ')');
}

static void print_tensor(const namer *nm, int t, syno_buf *out)
{
    const syno_tensor *tn = &nm->op->tensors[t];
    syno_buf_printf(out, "%s[", nm->tensor[t]);
    for (int a = 0; a < tn->rank; a++) {
        syno_buf_printf(out, "%s%s: ", a ? ", " : "", nm->dim[tn->axes[a]]);
        syno_size_print(nm->op->vars, nm->op->dims[tn->axes[a]].size, out);
    }
    syno_buf_putc(out, ']');
}

/* Appends the `op` declaration of OP; see graph_print.h. */
void syno_graph_print_op(const syno_op *op, const char *name, unsigned flags, syno_buf *out)
{
    SYNO_ASSERT(op->finished && op->errors == 0);
    namer nm;
    namer_init(&nm, op, flags);
    syno_buf_printf(out, "op %s(", name ? name : op->name ? op->name : "op");
    print_tensor(&nm, 0, out);
    syno_buf_puts(out, ") -> [");
    for (int i = 0; i < op->nout; i++) syno_buf_printf(out, "%s%s", i ? ", " : "", nm.dim[op->out[i]]);
    syno_buf_puts(out, "] {\n");
    for (int t = 1; t < op->ntensors; t++) {
        syno_buf_puts(out, "    weight ");
        print_tensor(&nm, t, out);
        syno_buf_puts(out, ";\n");
    }
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        int nres = syno_prims[n->prim].nresults;
        if (nres == 1 && nm.inlined[n->out[0]]) continue;
        syno_buf_puts(out, "    ");
        for (int i = 0; i < nres; i++) syno_buf_printf(out, "%s%s", i ? ", " : "", nm.dim[n->out[i]]);
        if (nres) syno_buf_puts(out, " = ");
        print_call(&nm, k, out);
        syno_buf_puts(out, ";\n");
    }
    syno_buf_puts(out, "}\n");
    namer_fini(&nm);
}

/* Appends a whole .syno file holding OP; see graph_print.h. */
void syno_graph_print_module(const syno_op *op, const char *name, unsigned flags, const syno_binding *b,
                             const char *bind_name, syno_buf *out)
{
    const syno_vars *vars = op->vars;
    /* One declaration per run of variables of the same kind keeps their
     * order, and so the meaning of bindings by variable index. */
    for (int v = 0; v < vars->n; v++) {
        bool coef = vars->v[v].kind == SYNO_VAR_COEF;
        bool first = v == 0 || vars->v[v - 1].kind != vars->v[v].kind;
        bool last = v == vars->n - 1 || vars->v[v + 1].kind != vars->v[v].kind;
        if (first) syno_buf_puts(out, coef ? "coef " : "size ");
        else syno_buf_puts(out, ", ");
        syno_buf_puts(out, vars->v[v].name);
        if (coef) syno_buf_printf(out, " = %lld", (long long)vars->v[v].value);
        if (last) syno_buf_puts(out, ";\n");
    }
    if (vars->n) syno_buf_putc(out, '\n');
    syno_graph_print_op(op, name, flags, out);
    if (!b) return;
    syno_buf_printf(out, "\nbind %s {", bind_name ? bind_name : "given");
    int n = 0;
    for (int v = 0; v < vars->n; v++) {
        if (b->val[v] < 2) continue; /* unbound (bind blocks cannot say 1) */
        if (vars->v[v].kind == SYNO_VAR_COEF && b->val[v] == vars->v[v].value) continue;
        syno_buf_printf(out, "%s %s = %lld", n++ ? "," : "", vars->v[v].name, (long long)b->val[v]);
    }
    syno_buf_puts(out, n ? " }\n" : "}\n");
}
