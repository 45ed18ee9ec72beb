/* export_pytorch.c - `syno export --pytorch FILE:OP [--bind B]`: the
 * operator as a self-contained PyTorch module (codegen/pytorch.h). */
#include "codegen/pytorch.h"
#include "interp/cli.h"

int syno_export_pytorch(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out);

/* The `pytorch` format of exports.def: appends the module for OP to OUT;
 * B (checked by the caller, may be NULL) gives the constructor's default
 * sizes.  Cannot fail. */
int syno_export_pytorch(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out)
{
    (void)ctx;
    syno_buf src = SYNO_BUF_INIT;
    if (op->module && op->module->src) syno_buf_printf(&src, "%s:", op->module->src->name);
    syno_buf_puts(&src, op->name);
    syno_pytorch_emit(op, b, NULL, syno_buf_str(&src), out);
    syno_buf_fini(&src);
    return SYNO_EXIT_OK;
}
