/* export_cuda.c - `syno export --cuda FILE:OP --bind B`: the operator's
 * kernels as CUDA C (the text itself is codegen/cuda_export.c). */
#include "codegen/cuda_export.h"
#include "interp/cli.h"

int syno_export_cuda(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out);

/* The `cuda` format of exports.def: appends the CUDA C of OP under B (the
 * caller has checked that B binds every size) to OUT.  Returns
 * SYNO_EXIT_OK, or SYNO_EXIT_USER after reporting into CTX, at the
 * operator, why a pass cannot be generated. */
int syno_export_cuda(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out)
{
    SYNO_ASSERT(b);
    syno_buf err = SYNO_BUF_INIT;
    bool ok = syno_cuda_export(op, b, out, &err);
    if (!ok) syno_diag_error(&ctx->diags, op->range, "cannot generate CUDA for '%s': %s", op->name, syno_buf_str(&err));
    syno_buf_fini(&err);
    return ok ? SYNO_EXIT_OK : SYNO_EXIT_USER;
}
