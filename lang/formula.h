/* formula.h - printing an operator as an index formula. */
#ifndef SYNO_FORMULA_H
#define SYNO_FORMULA_H

#include "lang/graph.h"

void syno_op_formula(const syno_op *op, const syno_binding *b, syno_buf *out);
const char **syno_op_index_names(const syno_op *op, syno_arena *a);

#endif
