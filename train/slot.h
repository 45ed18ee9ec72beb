/* slot.h - a slot of the proxy network: one operator compiled for one
 * layer binding, with forward and backward passes, behind a small vtable
 * so that the backend that runs it can be swapped.
 *
 * The network (train/net.h) owns every buffer and passes host float32
 * pointers in the layouts of interp/eval.h (C order, axes as the operator
 * declares them; tensor 0 the input, 1.. the weights).  A backend may
 * keep device copies inside its slot; the calls below are synchronous:
 * when one returns, its outputs are in host memory.
 *
 * The backends are listed in train/slot_backends.def.  A backend provides
 *   syno_slot *syno_slot_<name>_new(const syno_op *op, const syno_binding *b, syno_buf *err)
 * returning a slot whose `vt` implements the three functions below, or
 * NULL with the reason (no device, a plan that cannot be built, too much
 * memory); and
 *   bool syno_slot_<name>_available(syno_buf *why)
 * saying whether it can run here at all. */
#ifndef SYNO_SLOT_H
#define SYNO_SLOT_H

#include "base/buf.h"
#include "lang/graph.h"

typedef struct syno_slot syno_slot;

typedef struct syno_slot_vtab {
    /* out = op(t[0]; t[1..]).  OUT is overwritten; it does not overlap T. */
    bool (*forward)(syno_slot *s, const float *const *t, float *out, syno_buf *err);
    /* g[i] = dL/d t[i] for every i with g[i] != NULL (overwritten), given
     * dy = dL/d out. */
    bool (*backward)(syno_slot *s, const float *const *t, const float *dy, float *const *g, syno_buf *err);
    void (*free)(syno_slot *s);
} syno_slot_vtab;

struct syno_slot {
    const syno_slot_vtab *vt;
    const char *backend;               /* its name in slot_backends.def */
    const syno_op *op;                 /* borrowed */
    syno_binding binding;
    int ntensors;
    int64_t numel[SYNO_MAX_TENSORS];   /* elements of each tensor */
    int64_t out_numel;
};

typedef struct syno_slot_backend {
    const char *name;
    const char *summary;
    syno_slot *(*create)(const syno_op *op, const syno_binding *b, syno_buf *err);
    bool (*available)(syno_buf *why);
} syno_slot_backend;

#define SYNO_SLOT_BACKEND(name, summary)                                                   \
    syno_slot *syno_slot_##name##_new(const syno_op *op, const syno_binding *b, syno_buf *err); \
    bool syno_slot_##name##_available(syno_buf *why);
#include "train/slot_backends.def"
#undef SYNO_SLOT_BACKEND

extern const syno_slot_backend syno_slot_backends[];
extern const int syno_slot_nbackends;

/* The backend called NAME, or NULL. */
const syno_slot_backend *syno_slot_backend_find(const char *name);

/* Checks NAME as a backend to ask for: "auto" or one of the table.  False
 * with "unknown backend 'NAME' (backends: auto, ...)" in ERR otherwise. */
bool syno_slot_backend_check(const char *name, syno_buf *err);

/* The backend "auto" stands for: the first one in the table (GPU backends
 * come first) that is available here. */
const syno_slot_backend *syno_slot_backend_auto(void);

/* Fills the fields of S that every backend shares (op, binding, element
 * counts) from OP under B.  Returns false with ERR appended when a size
 * does not evaluate. */
bool syno_slot_init_common(syno_slot *s, const char *backend, const syno_op *op, const syno_binding *b, syno_buf *err);

/* Calls through the vtable. */
static inline bool syno_slot_forward(syno_slot *s, const float *const *t, float *out, syno_buf *err)
{
    return s->vt->forward(s, t, out, err);
}
static inline bool syno_slot_backward(syno_slot *s, const float *const *t, const float *dy, float *const *g,
                                      syno_buf *err)
{
    return s->vt->backward(s, t, dy, g, err);
}
static inline void syno_slot_free(syno_slot *s)
{
    if (s) s->vt->free(s);
}

#endif
