/* backend.h - the interface of an execution backend: what `syno run`
 * needs from one.
 *
 * A backend computes an operator's output, or the gradients of its input
 * and weights, on float32 host arrays in the layouts of the reference
 * evaluator (C order, axes in declaration order; shapes from
 * syno_op_tensor_shape).  The backends of codegen/ (cpu_backend.c,
 * cuda_backend.c) implement it; the driver's table of backends is
 * interp/backends.def (interp/backend.h), where adding one is one line plus
 * its two functions.  `syno run --backend NAME` picks one, `--check`
 * compares it with the reference evaluator. */
#ifndef SYNO_CODEGEN_BACKEND_H
#define SYNO_CODEGEN_BACKEND_H

#include "base/array.h"
#include "lang/graph.h"

/* The arguments of one backend call.  All arrays are allocated by the
 * caller with exactly their tensor's shape under SIZES; the backend only
 * writes the outputs. */
typedef struct syno_backend_call {
    const syno_op *op;          /* finished, error-free */
    const syno_binding *b;      /* the binding SIZES come from */
    const int64_t *sizes;       /* op->ndims sizes, from syno_op_eval_sizes */
    const syno_array *x;        /* the input */
    const syno_array *const *w; /* w[i] is weight i+1 (tensor i+1 of op) */
    syno_array *y;              /* forward: the output to write */
    const syno_array *dy;       /* backward: the gradient of the output */
    syno_array *dx;             /* backward: dL/dx to write, or NULL */
    syno_array *const *dw;      /* backward: dL/dw[i] to write (entries may be NULL) */
} syno_backend_call;

typedef struct syno_backend {
    const char *name;
    double tolerance;           /* accepted max relative error against ref (--check) */
    const char *summary;
    /* Each returns true on success, or false after appending one line
     * saying why (e.g. "no GPU: ...") to ERR. */
    bool (*forward)(const syno_backend_call *c, syno_buf *err);
    bool (*backward)(const syno_backend_call *c, syno_buf *err);
} syno_backend;

/* Declares the two functions of backend NAME: syno_backend_NAME_forward
 * and syno_backend_NAME_backward (each implementation file and the table
 * use it, so their signatures cannot drift apart). */
#define SYNO_BACKEND_DECLARE(name)                                                 \
    bool syno_backend_##name##_forward(const syno_backend_call *c, syno_buf *err); \
    bool syno_backend_##name##_backward(const syno_backend_call *c, syno_buf *err);

#endif
