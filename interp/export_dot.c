/* export_dot.c - `syno export --dot FILE:OP [--bind B]`: the operator graph
 * as Graphviz DOT (the drawing itself is codegen/dot.c). */
#include "codegen/dot.h"
#include "interp/cli.h"

#include <stdlib.h>

int syno_export_dot(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out);

/* The `dot` format of exports.def: appends OP as DOT to OUT, with the sizes'
 * values in the labels when B is given (the caller has checked that B binds
 * every size).  Returns SYNO_EXIT_OK, or SYNO_EXIT_USER after reporting into
 * CTX when a size does not evaluate. */
int syno_export_dot(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out)
{
    if (!b) {
        syno_dot_op(op, NULL, NULL, out);
        return SYNO_EXIT_OK;
    }
    int64_t *sizes = syno_xmalloc((size_t)(op->ndims + 1) * sizeof *sizes);
    if (!syno_op_eval_sizes(op, b, sizes)) {
        syno_op_check_binding(op, b, &ctx->diags, syno_range_make(0, 0));
        free(sizes);
        return SYNO_EXIT_USER;
    }
    syno_dot_op(op, b, sizes, out);
    free(sizes);
    return SYNO_EXIT_OK;
}
