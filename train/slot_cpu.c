/* slot_cpu.c - the `cpu` slot backend: the operator's staged plans run by
 * the multithreaded CPU executor (codegen/cpu.h) on the host buffers. */
#include "codegen/cpu.h"
#include "train/slot.h"

#include <stdlib.h>

typedef struct cpu_slot {
    syno_slot base;
    syno_cpu *cpu;
} cpu_slot;

static bool cpu_forward(syno_slot *s, const float *const *t, float *out, syno_buf *err)
{
    (void)err;
    syno_cpu_forward(((cpu_slot *)s)->cpu, t, out);
    return true;
}

static bool cpu_backward(syno_slot *s, const float *const *t, const float *dy, float *const *g, syno_buf *err)
{
    return syno_cpu_backward(((cpu_slot *)s)->cpu, t, dy, g, err);
}

static void cpu_free(syno_slot *s)
{
    syno_cpu_free(((cpu_slot *)s)->cpu);
    free(s);
}

static const syno_slot_vtab cpu_vtab = {cpu_forward, cpu_backward, cpu_free};

/* The CPU executor is always there. */
bool syno_slot_cpu_available(syno_buf *why)
{
    (void)why;
    return true;
}

/* Compiles OP under B for the CPU executor (see slot.h). */
syno_slot *syno_slot_cpu_new(const syno_op *op, const syno_binding *b, syno_buf *err)
{
    cpu_slot *s = syno_xcalloc(1, sizeof *s);
    s->base.vt = &cpu_vtab;
    if (!syno_slot_init_common(&s->base, "cpu", op, b, err) || !(s->cpu = syno_cpu_new(op, b, err))) {
        free(s);
        return NULL;
    }
    return &s->base;
}
