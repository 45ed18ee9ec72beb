/* slot_cuda.c - the `cuda` slot backend: the operator's staged plans
 * compiled to GPU programs (codegen/cuda_prog.h) and run on GPU 0 through
 * the shared CUDA runtime (codegen/cuda_run.h), one executable per pass
 * (the forward pass and the gradient of every tensor), prepared when the
 * slot is made.
 *
 * The slot API passes host buffers, so every call uploads its inputs and
 * downloads its result: simple and correct; a device-resident network
 * (activations kept on the GPU between layers) would save those copies. */
#include "codegen/cuda_run.h"
#include "codegen/cuda_tune.h"
#include "codegen/plan.h"
#include "train/slot.h"

#include <stdlib.h>
#include <string.h>

typedef struct cuda_slot {
    syno_slot base;
    syno_cuda_prog *prog[SYNO_MAX_TENSORS + 1];  /* [0]: forward; [1 + t]: gradient of tensor t */
    syno_cuda_exe *exe[SYNO_MAX_TENSORS + 1];
} cuda_slot;

/* Uploads the inputs of pass K (the tensors T and DY), runs it and
 * downloads its result into OUT. */
static bool run_pass(cuda_slot *s, int k, const float *const *t, const float *dy, float *out, syno_buf *err)
{
    const syno_cuda_prog *p = s->prog[k];
    for (int b = 0; b < p->nbufs; b++) {
        const float *src = NULL;
        if (p->bufs[b].kind == SYNO_CUDA_BUF_TENSOR) src = t[p->bufs[b].tensor];
        else if (p->bufs[b].kind == SYNO_CUDA_BUF_DY) src = dy;
        if (src && !syno_cuda_exe_upload(s->exe[k], b, src, err)) return false;
    }
    return syno_cuda_exe_run(s->exe[k], err) && syno_cuda_exe_download(s->exe[k], p->result, out, err);
}

static bool cuda_forward(syno_slot *s, const float *const *t, float *out, syno_buf *err)
{
    return run_pass((cuda_slot *)s, 0, t, NULL, out, err);
}

static bool cuda_backward(syno_slot *s, const float *const *t, const float *dy, float *const *g, syno_buf *err)
{
    for (int i = 0; i < s->ntensors; i++)
        if (g[i] && !run_pass((cuda_slot *)s, 1 + i, t, dy, g[i], err)) return false;
    return true;
}

static void cuda_free(syno_slot *s_)
{
    cuda_slot *s = (cuda_slot *)s_;
    for (int k = 0; k <= SYNO_MAX_TENSORS; k++) {
        syno_cuda_exe_free(s->exe[k]);
        syno_cuda_prog_free(s->prog[k]);
    }
    free(s);
}

static const syno_slot_vtab cuda_vtab = {cuda_forward, cuda_backward, cuda_free};

/* Whether a GPU and NVRTC are usable here (see slot.h). */
bool syno_slot_cuda_available(syno_buf *why)
{
    return syno_cuda_rt_shared(why) != NULL;
}

/* Plans, programs and executables for every pass of OP under B (see
 * slot.h); NULL with the reason when there is no GPU or a pass cannot be
 * compiled. */
syno_slot *syno_slot_cuda_new(const syno_op *op, const syno_binding *b, syno_buf *err)
{
    syno_cuda_rt *rt = syno_cuda_rt_shared(err);
    if (!rt) return NULL;
    cuda_slot *s = syno_xcalloc(1, sizeof *s);
    s->base.vt = &cuda_vtab;
    bool ok = syno_slot_init_common(&s->base, "cuda", op, b, err);
    char name[80];
    syno_cuda_prog_ident(op->name, name, sizeof name);
    syno_cuda_tuner tuner;
    syno_cuda_tuner_init(&tuner, rt, false);
    for (int k = 0; ok && k <= op->ntensors; k++) {
        syno_plan *pl = syno_plan_build(op, b, k == 0 ? SYNO_PLAN_FORWARD : k - 1, err);
        if (!pl) {
            ok = false;
            break;
        }
        s->prog[k] = syno_cuda_prog_from_plan(pl, name, syno_cuda_choose_tuned, &tuner, err);
        syno_plan_free(pl);
        ok = s->prog[k] && (s->exe[k] = syno_cuda_exe_new(rt, s->prog[k], err)) != NULL;
    }
    if (!ok) {
        cuda_free(&s->base);
        return NULL;
    }
    return &s->base;
}
