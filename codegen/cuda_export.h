/* cuda_export.h - `syno export --cuda`: the generated CUDA C of an
 * operator, forward and every gradient, as one self-contained file
 * (interp/export_cuda.c reports its errors). */
#ifndef SYNO_CUDA_EXPORT_H
#define SYNO_CUDA_EXPORT_H

#include "base/buf.h"
#include "lang/graph.h"

/* Appends the CUDA C of OP (finished, error-free) under binding B (every
 * size bound) to OUT and returns true; returns false after appending why
 * to ERR when a pass cannot be planned or generated (OUT unchanged). */
bool syno_cuda_export(const syno_op *op, const syno_binding *b, syno_buf *out, syno_buf *err);

#endif
