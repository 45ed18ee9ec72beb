/* slot.c - the table of slot backends and what they share (see slot.h). */
#include "train/slot.h"

#include <stdlib.h>
#include <string.h>

const syno_slot_backend syno_slot_backends[] = {
#define SYNO_SLOT_BACKEND(name, summary) {#name, summary, syno_slot_##name##_new, syno_slot_##name##_available},
#include "train/slot_backends.def"
#undef SYNO_SLOT_BACKEND
};
const int syno_slot_nbackends = (int)SYNO_ARRAY_LEN(syno_slot_backends);

/* The backend called NAME (see slot.h). */
const syno_slot_backend *syno_slot_backend_find(const char *name)
{
    for (int i = 0; i < syno_slot_nbackends; i++)
        if (strcmp(syno_slot_backends[i].name, name) == 0) return &syno_slot_backends[i];
    return NULL;
}

/* Checks a backend name (see slot.h). */
bool syno_slot_backend_check(const char *name, syno_buf *err)
{
    if (strcmp(name, "auto") == 0 || syno_slot_backend_find(name)) return true;
    syno_buf_printf(err, "unknown backend '%s' (backends: auto", name);
    for (int i = 0; i < syno_slot_nbackends; i++) syno_buf_printf(err, ", %s", syno_slot_backends[i].name);
    syno_buf_putc(err, ')');
    return false;
}

/* The first available backend (see slot.h). */
const syno_slot_backend *syno_slot_backend_auto(void)
{
    for (int i = 0; i < syno_slot_nbackends; i++) {
        syno_buf why = SYNO_BUF_INIT;
        bool ok = syno_slot_backends[i].available(&why);
        syno_buf_fini(&why);
        if (ok) return &syno_slot_backends[i];
    }
    return &syno_slot_backends[syno_slot_nbackends - 1];
}

/* Shared fields of a slot (see slot.h). */
bool syno_slot_init_common(syno_slot *s, const char *backend, const syno_op *op, const syno_binding *b, syno_buf *err)
{
    s->backend = backend;
    s->op = op;
    s->binding = *b;
    s->ntensors = op->ntensors;
    int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
    bool ok = syno_op_eval_sizes(op, b, sizes);
    if (!ok) syno_buf_printf(err, "%s: a size does not evaluate under the binding", op->name);
    for (int t = 0; ok && t < op->ntensors; t++) {
        int64_t n = 1;
        for (int a = 0; a < op->tensors[t].rank; a++) n *= sizes[op->tensors[t].axes[a]];
        s->numel[t] = n;
    }
    if (ok) {
        int64_t n = 1;
        for (int a = 0; a < op->nout; a++) n *= sizes[op->out[a]];
        s->out_numel = n;
    }
    free(sizes);
    return ok;
}
