/* backend.h - what `syno run` needs from an execution backend.
 *
 * A backend computes an operator's output, or the gradients of its input
 * and weights, on float32 host arrays in the layouts of interp/eval.h (C
 * order, axes in declaration order).  The list of backends is
 * interp/backends.def; adding one is one line there plus its two
 * functions.  `syno run --backend NAME` picks one, `--check` compares it
 * with the reference evaluator. */
#ifndef SYNO_BACKEND_H
#define SYNO_BACKEND_H

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

#define SYNO_BACKEND(name, tol, summary)                                         \
    bool syno_backend_##name##_forward(const syno_backend_call *c, syno_buf *err); \
    bool syno_backend_##name##_backward(const syno_backend_call *c, syno_buf *err);
#include "interp/backends.def"
#undef SYNO_BACKEND

extern const syno_backend syno_backends[];
extern const int syno_nbackends;

/* The backend called NAME, or NULL. */
const syno_backend *syno_backend_find(const char *name);

#endif
