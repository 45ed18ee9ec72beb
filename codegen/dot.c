/* dot.c - the Graphviz DOT picture of an operator graph (see dot.h).
 *
 * Names in the DOT text: tensor T is node "tT" with one port "aI" per axis,
 * primitive node K is "pK", the output is "out" with one port "oI" per
 * output axis.  Each dimension becomes exactly one edge, from the tensor
 * port or primitive that produces it to the primitive or output port that
 * consumes it, so the number of edges equals the number of dimensions.
 * Labels use HTML-like tables for the boxes (escaped), quoted strings
 * elsewhere. */
#include "codegen/dot.h"

#include "base/html.h"

#include <stdio.h>
#include <string.h>

/* Appends S as the inside of a double-quoted DOT string. */
static void quoted(syno_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') syno_buf_putc(out, '\\');
        syno_buf_putc(out, *s);
    }
}

/* "name: SIZE" or "SIZE" for dimension D, with " = value" under a binding. */
static void dim_text(const syno_op *op, int d, const int64_t *sizes, syno_buf *out)
{
    const syno_dim *dim = &op->dims[d];
    if (dim->name) syno_buf_printf(out, "%s: ", dim->name);
    syno_size_print(op->vars, dim->size, out);
    if (sizes) syno_buf_printf(out, " = %lld", (long long)sizes[d]);
}

/* A size parameter of a primitive, with its value under B when it has one. */
static void param_text(const syno_op *op, syno_size s, const syno_binding *b, syno_buf *out)
{
    syno_size_print(op->vars, s, out);
    int64_t v;
    if (b && syno_size_eval(op->vars, s, b, &v, NULL) == SYNO_EVAL_OK) {
        char lit[32];
        snprintf(lit, sizeof lit, "%lld", (long long)v);
        /* "k = 3", but not "3 = 3" for a size that is already a number */
        syno_buf cur = SYNO_BUF_INIT;
        syno_size_print(op->vars, s, &cur);
        if (strcmp(syno_buf_str(&cur), lit) != 0) syno_buf_printf(out, " = %s", lit);
        syno_buf_fini(&cur);
    }
}

static const char *tensor_color(int t)
{
    return t == 0 ? "#cfe2f3" : "#fff2cc";
}

static void tensor_node(const syno_op *op, int t, const int64_t *sizes, syno_buf *out)
{
    const syno_tensor *ten = &op->tensors[t];
    syno_buf_printf(out, "  t%d [shape=plaintext, label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" "
                         "cellpadding=\"4\"><tr><td colspan=\"%d\" bgcolor=\"%s\"><b>",
                    t, ten->rank > 0 ? ten->rank : 1, tensor_color(t));
    syno_html_text(out, ten->name);
    syno_buf_printf(out, "</b> %s</td></tr><tr>", t == 0 ? "input" : "weight");
    syno_buf cell = SYNO_BUF_INIT;
    for (int a = 0; a < ten->rank; a++) {
        syno_buf_clear(&cell);
        dim_text(op, ten->axes[a], sizes, &cell);
        syno_buf_printf(out, "<td port=\"a%d\">", a);
        syno_html_text(out, syno_buf_str(&cell));
        syno_buf_puts(out, "</td>");
    }
    syno_buf_fini(&cell);
    syno_buf_puts(out, "</tr></table>>];\n");
}

static void output_node(const syno_op *op, const int64_t *sizes, syno_buf *out)
{
    syno_buf_printf(out, "  out [shape=plaintext, label=<<table border=\"2\" cellborder=\"1\" cellspacing=\"0\" "
                         "cellpadding=\"4\"><tr>");
    syno_buf cell = SYNO_BUF_INIT;
    for (int i = 0; i < op->nout; i++) {
        syno_buf_clear(&cell);
        dim_text(op, op->out[i], sizes, &cell);
        syno_buf_printf(out, "<td port=\"o%d\">", i);
        syno_html_text(out, syno_buf_str(&cell));
        syno_buf_puts(out, "</td>");
    }
    syno_buf_fini(&cell);
    syno_buf_printf(out, "</tr><tr><td colspan=\"%d\" bgcolor=\"#d9ead3\"><b>output</b></td></tr></table>>];\n",
                    op->nout > 0 ? op->nout : 1);
}

static void prim_node(const syno_op *op, int k, const syno_binding *b, syno_buf *out)
{
    const syno_node *n = &op->nodes[k];
    syno_buf label = SYNO_BUF_INIT;
    syno_buf_puts(&label, syno_prims[n->prim].name);
    /* the size or distance argument, as written: "unfold k = 3" */
    if (strchr(syno_prims[n->prim].args, 'S')) {
        syno_buf_putc(&label, ' ');
        param_text(op, n->param, b, &label);
    } else if (n->prim == SYNO_PRIM_SHIFT) {
        syno_buf_printf(&label, " by %lld", (long long)n->shift);
    }
    bool reduce = n->prim == SYNO_PRIM_SUM || n->prim == SYNO_PRIM_MEAN;
    syno_buf_printf(out, "  p%d [label=\"", k);
    quoted(out, syno_buf_str(&label));
    if (reduce) syno_buf_puts(out, "\", shape=invtriangle, style=filled, fillcolor=\"#f4cccc\"];\n");
    else syno_buf_puts(out, "\", shape=ellipse];\n");
    syno_buf_fini(&label);
}

static void edge(const syno_op *op, int d, const int64_t *sizes, syno_buf *out)
{
    const syno_dim *dim = &op->dims[d];
    if (dim->dst == SYNO_DST_NONE) return; /* only in unfinished graphs */
    if (dim->tensor >= 0) syno_buf_printf(out, "  t%d:a%d:s -> ", dim->tensor, dim->src_slot);
    else syno_buf_printf(out, "  p%d -> ", dim->src);
    if (dim->dst == SYNO_DST_OUTPUT) syno_buf_printf(out, "out:o%d:n", dim->dst_slot);
    else syno_buf_printf(out, "p%d", dim->dst);
    syno_buf label = SYNO_BUF_INIT;
    dim_text(op, d, sizes, &label);
    syno_buf_puts(out, " [label=\"");
    quoted(out, syno_buf_str(&label));
    syno_buf_puts(out, "\"");
    if (dim->dst >= 0 && (op->nodes[dim->dst].prim == SYNO_PRIM_SUM || op->nodes[dim->dst].prim == SYNO_PRIM_MEAN))
        syno_buf_puts(out, ", style=dashed");
    syno_buf_puts(out, "];\n");
    syno_buf_fini(&label);
}

/* See dot.h. */
void syno_dot_op(const syno_op *op, const syno_binding *b, const int64_t *sizes, syno_buf *out)
{
    SYNO_ASSERT(op->finished && !op->errors);
    SYNO_ASSERT((b == NULL) == (sizes == NULL));
    syno_buf title = SYNO_BUF_INIT;
    syno_buf_puts(&title, op->name ? op->name : "operator");
    if (b) {
        int n = 0;
        for (int v = 0; v < op->vars->n; v++) {
            bool used = false;
            for (int d = 0; d < op->ndims && !used; d++) used = op->dims[d].size.e[v] != 0;
            if (!used) continue;
            syno_buf_printf(&title, "%s%s=%lld", n++ ? ", " : "  (", op->vars->v[v].name, (long long)b->val[v]);
        }
        if (n) syno_buf_putc(&title, ')');
    }
    syno_buf_puts(out, "digraph \"");
    quoted(out, op->name ? op->name : "operator");
    syno_buf_puts(out, "\" {\n  graph [label=\"");
    quoted(out, syno_buf_str(&title));
    syno_buf_puts(out, "\", labelloc=t, fontname=\"Helvetica\"];\n"
                       "  node [fontname=\"Helvetica\", fontsize=11];\n"
                       "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    syno_buf_fini(&title);
    for (int t = 0; t < op->ntensors; t++) tensor_node(op, t, sizes, out);
    for (int i = 0; i < op->norder; i++) prim_node(op, op->order[i], b, out);
    output_node(op, sizes, out);
    syno_buf_puts(out, "  { rank=source;");
    for (int t = 0; t < op->ntensors; t++) syno_buf_printf(out, " t%d;", t);
    syno_buf_puts(out, " }\n  { rank=sink; out; }\n");
    for (int d = 0; d < op->ndims; d++) edge(op, d, sizes, out);
    syno_buf_puts(out, "}\n");
}
