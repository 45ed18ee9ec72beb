/* cuda_backend.c - the `cuda` backend of `syno run` (interp/backends.def):
 * staged plans (codegen/plan.h) compiled to GPU programs, run on GPU 0.
 *
 * Each pass builds the plan, the program (tilings from the tuner's cache,
 * or measured now when SYNO_CUDA_TUNE=1, else the heuristic), prepares it
 * on the shared runtime (kernels from the kernel cache), uploads the
 * tensors, runs and downloads the result.  Without a GPU, or without
 * NVRTC, both functions fail with the reason. */
#include "codegen/backend.h"
#include "codegen/cuda_tune.h"
#include "codegen/plan.h"

#include <stdlib.h>
#include <string.h>

SYNO_BACKEND_DECLARE(cuda)

/* Computes plan WRT of C's operator on the GPU into RESULT. */
static bool run_pass(const syno_backend_call *c, int wrt, syno_array *result, syno_buf *err)
{
    syno_cuda_rt *rt = syno_cuda_rt_shared(err);
    if (!rt) return false;
    syno_plan *pl = syno_plan_build(c->op, c->b, wrt, err);
    if (!pl) return false;
    syno_cuda_tuner tuner;
    const char *tune = getenv("SYNO_CUDA_TUNE");
    syno_cuda_tuner_init(&tuner, rt, tune && strcmp(tune, "1") == 0);
    char name[80];
    syno_cuda_prog_ident(c->op->name, name, sizeof name);
    syno_cuda_prog *p = syno_cuda_prog_from_plan(pl, name, syno_cuda_choose_tuned, &tuner, err);
    syno_plan_free(pl);
    if (!p) return false;
    syno_cuda_exe *e = syno_cuda_exe_new(rt, p, err);
    bool ok = e != NULL;
    for (int b = 0; ok && b < p->nbufs; b++) {
        const syno_array *in = NULL;
        if (p->bufs[b].kind == SYNO_CUDA_BUF_TENSOR) in = p->bufs[b].tensor == 0 ? c->x : c->w[p->bufs[b].tensor - 1];
        else if (p->bufs[b].kind == SYNO_CUDA_BUF_DY) in = c->dy;
        if (!in) continue;
        SYNO_ASSERT(in->numel == p->bufs[b].numel);
        ok = syno_cuda_exe_upload(e, b, in->data, err);
    }
    SYNO_ASSERT(!ok || result->numel == p->bufs[p->result].numel);
    ok = ok && syno_cuda_exe_run(e, err) && syno_cuda_exe_download(e, p->result, result->data, err);
    syno_cuda_exe_free(e);
    syno_cuda_prog_free(p);
    return ok;
}

/* Forward pass on the GPU (see codegen/backend.h). */
bool syno_backend_cuda_forward(const syno_backend_call *c, syno_buf *err)
{
    return run_pass(c, SYNO_PLAN_FORWARD, c->y, err);
}

/* Backward pass on the GPU: one plan per requested gradient. */
bool syno_backend_cuda_backward(const syno_backend_call *c, syno_buf *err)
{
    if (c->dx && !run_pass(c, 0, c->dx, err)) return false;
    for (int t = 1; t < c->op->ntensors; t++)
        if (c->dw && c->dw[t - 1] && !run_pass(c, t, c->dw[t - 1], err)) return false;
    return true;
}
