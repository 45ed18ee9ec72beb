/* backend.c - the table of execution backends (backends.def) and the
 * reference backend, which is the reference evaluator (eval.h) behind the
 * backend interface. */
#include "interp/backend.h"

#include "interp/eval.h"

#include <string.h>

const syno_backend syno_backends[] = {
#define SYNO_BACKEND(name, tol, summary) \
    {#name, tol, summary, syno_backend_##name##_forward, syno_backend_##name##_backward},
#include "interp/backends.def"
#undef SYNO_BACKEND
};
const int syno_nbackends = (int)SYNO_ARRAY_LEN(syno_backends);

/* Returns the backend called NAME, or NULL. */
const syno_backend *syno_backend_find(const char *name)
{
    for (int i = 0; i < syno_nbackends; i++)
        if (strcmp(syno_backends[i].name, name) == 0) return &syno_backends[i];
    return NULL;
}

/* Reference forward pass (float64 inside); cannot fail. */
bool syno_backend_ref_forward(const syno_backend_call *c, syno_buf *err)
{
    (void)err;
    syno_ref_forward_f32(c->op, c->sizes, c->x, c->w, c->y);
    return true;
}

/* Reference backward pass (float64 inside); cannot fail. */
bool syno_backend_ref_backward(const syno_backend_call *c, syno_buf *err)
{
    (void)err;
    syno_ref_backward_f32(c->op, c->sizes, c->x, c->w, c->dy, c->dx, c->dw);
    return true;
}
