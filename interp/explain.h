/* explain.h - the explanation of an operator, as text or JSON (shared by
 * `syno explain`, the REPL's :explain and result-file headers). */
#ifndef SYNO_EXPLAIN_H
#define SYNO_EXPLAIN_H

#include "base/json.h"
#include "lang/module.h"

void syno_explain_text(const syno_op *op, const syno_binding *b, const int64_t *sizes, syno_buf *out);
bool syno_explain_bind(syno_ctx *ctx, const syno_op *op, const syno_binding *b, int64_t *sizes);

#endif
