/* cpu_backend.c - the CPU executor behind `syno run --backend cpu` (the
 * backend interface of codegen/backend.h). */
#include "codegen/backend.h"
#include "codegen/cpu.h"

SYNO_BACKEND_DECLARE(cpu)

static void tensors(const syno_backend_call *c, const float **t)
{
    t[0] = c->x->data;
    for (int i = 1; i < c->op->ntensors; i++) t[i] = c->w[i - 1]->data;
}

/* Forward pass on the CPU executor; fails only when the operator cannot
 * be planned (the reason is appended to ERR). */
bool syno_backend_cpu_forward(const syno_backend_call *c, syno_buf *err)
{
    syno_cpu *cpu = syno_cpu_new(c->op, c->b, err);
    if (!cpu) return false;
    const float *t[SYNO_MAX_TENSORS];
    tensors(c, t);
    syno_cpu_forward(cpu, t, c->y->data);
    syno_cpu_free(cpu);
    return true;
}

/* Backward pass on the CPU executor (gradients whose array is NULL are
 * skipped); fails only when a plan cannot be built. */
bool syno_backend_cpu_backward(const syno_backend_call *c, syno_buf *err)
{
    syno_cpu *cpu = syno_cpu_new(c->op, c->b, err);
    if (!cpu) return false;
    const float *t[SYNO_MAX_TENSORS];
    float *g[SYNO_MAX_TENSORS] = {NULL};
    tensors(c, t);
    g[0] = c->dx ? c->dx->data : NULL;
    for (int i = 1; i < c->op->ntensors; i++) g[i] = c->dw && c->dw[i - 1] ? c->dw[i - 1]->data : NULL;
    bool ok = syno_cpu_backward(cpu, t, c->dy->data, g, err);
    syno_cpu_free(cpu);
    return ok;
}
