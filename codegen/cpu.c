/* cpu.c - the CPU executor's objects: compiled plans, the workspace and
 * the public API of cpu.h.
 *
 * A syno_cpu holds the forward plan and, once asked for, one plan per
 * gradient, each compiled stage by stage (cpu_stage.c).  One workspace is
 * shared by all of them (calls on one object never overlap): the
 * intermediates of the plan being run, then the operands gathered once per
 * stage, then per-thread scratch for gathered tiles.  It grows to the
 * largest need and is kept between calls, so a training loop allocates
 * nothing after its first step.  With SYNO_CPU_PROFILE set in the
 * environment, every stage prints its time and method on stderr. */
#include "codegen/cpu_int.h"

#include "base/clock.h"
#include "base/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_FLOATS 16

typedef struct cpu_plan {
    syno_plan *plan;
    cpu_stage *stages;
    int64_t *temp_off;      /* per plan buffer: offset in the workspace, -1 when not a TEMP */
    int64_t temp_floats;
    int64_t shared_floats;  /* largest pre-gathered set of any stage */
    int64_t scratch;        /* largest per-thread scratch of any stage */
} cpu_plan;

struct syno_cpu {
    const syno_op *op;
    syno_binding b;
    bool baseline;          /* direct plans, explicit matrix products */
    cpu_plan *plans[SYNO_MAX_TENSORS + 1]; /* [0] forward, [1 + t] gradient of tensor t */
    float *ws;
    int64_t ws_floats;
    float **ptrs;
    int nptrs;
};

static int64_t round_up(int64_t v)
{
    return (v + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static void plan_free(cpu_plan *cp)
{
    if (!cp) return;
    for (int s = 0; s < cp->plan->nstages; s++) cpu_stage_fini(&cp->stages[s]);
    free(cp->stages);
    free(cp->temp_off);
    syno_plan_free(cp->plan);
    free(cp);
}

static cpu_plan *plan_compile(const syno_op *op, const syno_binding *b, int wrt, bool baseline, syno_buf *err)
{
    syno_plan *p = baseline ? syno_plan_build_direct(op, b, wrt, err) : syno_plan_build(op, b, wrt, err);
    if (!p) return NULL;
    cpu_plan *cp = syno_xcalloc(1, sizeof *cp);
    cp->plan = p;
    cp->temp_off = syno_xmalloc((size_t)p->nbufs * sizeof *cp->temp_off);
    for (int i = 0; i < p->nbufs; i++) {
        cp->temp_off[i] = -1;
        if (p->bufs[i].kind != SYNO_PBUF_TEMP) continue;
        cp->temp_off[i] = cp->temp_floats;
        cp->temp_floats += round_up(p->bufs[i].numel);
    }
    int nthreads = syno_pool_threads();
    cp->stages = syno_xcalloc((size_t)p->nstages + 1, sizeof *cp->stages);
    for (int s = 0; s < p->nstages; s++) {
        cpu_stage *st = &cp->stages[s];
        cpu_stage_init(st, p, s, nthreads, baseline);
        int64_t shared = 0;
        if (st->method == CPU_GEMM) shared = round_up(st->shared);
        if (shared > cp->shared_floats) cp->shared_floats = shared;
        if (round_up(st->scratch) > cp->scratch) cp->scratch = round_up(st->scratch);
    }
    double bytes = 4.0 * ((double)cp->temp_floats + (double)cp->shared_floats + 256.0 * (double)cp->scratch);
    if (bytes > (double)SYNO_CPU_MAX_BYTES) {
        syno_buf_printf(err, "%s: the plan needs %.3g GB of intermediates, more than the %.3g GB the CPU executor allows",
                        op->name, bytes / 1e9, (double)SYNO_CPU_MAX_BYTES / 1e9);
        plan_free(cp);
        return NULL;
    }
    return cp;
}

static syno_cpu *create(const syno_op *op, const syno_binding *b, bool baseline, syno_buf *err)
{
    SYNO_ASSERT(op->finished && op->errors == 0);
    if (baseline) cpu_blas_init(); /* loaded now, not in the baseline's first timed call */
    syno_cpu *c = syno_xcalloc(1, sizeof *c);
    c->op = op;
    c->b = *b;
    c->baseline = baseline;
    c->plans[0] = plan_compile(op, b, SYNO_PLAN_FORWARD, baseline, err);
    if (!c->plans[0]) {
        free(c);
        return NULL;
    }
    return c;
}

/* Compiles OP under B (see cpu.h). */
syno_cpu *syno_cpu_new(const syno_op *op, const syno_binding *b, syno_buf *err)
{
    return create(op, b, false, err);
}

/* Compiles OP under B as the baseline (see cpu.h). */
syno_cpu *syno_cpu_new_baseline(const syno_op *op, const syno_binding *b, syno_buf *err)
{
    return create(op, b, true, err);
}

/* What the baseline does (see cpu.h). */
const char *syno_cpu_baseline_name(syno_cpu *c)
{
    if (!c->baseline) return "staged plan";
    const cpu_plan *cp = c->plans[0];
    bool all_gemm = true, any_gather = false;
    for (int s = 0; s < cp->plan->nstages; s++) {
        all_gemm &= cp->stages[s].method == CPU_GEMM;
        any_gather |= cp->stages[s].method == CPU_GEMM && (!cp->stages[s].L.direct || !cp->stages[s].R.direct);
    }
    return all_gemm ? (any_gather ? "im2col+sgemm" : "sgemm") : "direct loop nest";
}

/* Frees C (see cpu.h). */
void syno_cpu_free(syno_cpu *c)
{
    if (!c) return;
    for (int i = 0; i <= SYNO_MAX_TENSORS; i++) plan_free(c->plans[i]);
    free(c->ws);
    free(c->ptrs);
    free(c);
}

static cpu_plan *get_plan(syno_cpu *c, int wrt, syno_buf *err)
{
    int slot = wrt + 1;
    if (!c->plans[slot]) c->plans[slot] = plan_compile(c->op, &c->b, wrt, c->baseline, err);
    return c->plans[slot];
}

/* The plan for WRT (see cpu.h). */
const syno_plan *syno_cpu_plan(syno_cpu *c, int wrt, syno_buf *err)
{
    cpu_plan *cp = get_plan(c, wrt, err);
    return cp ? cp->plan : NULL;
}

/* How stage S of the plan for WRT runs (see cpu.h). */
const char *syno_cpu_stage_method(syno_cpu *c, int wrt, int s)
{
    cpu_plan *cp = c->plans[wrt + 1];
    if (!cp || s < 0 || s >= cp->plan->nstages) return NULL;
    return cp->stages[s].method_text;
}

/* Runs CP with the op's tensors T, DY (backward) and the result buffer RES. */
static void run_plan(syno_cpu *c, cpu_plan *cp, const float *const *t, const float *dy, float *res)
{
    const syno_plan *p = cp->plan;
    int nthreads = syno_pool_threads();
    int64_t need = cp->temp_floats + cp->shared_floats + (int64_t)nthreads * cp->scratch + ALIGN_FLOATS;
    if (need > c->ws_floats) {
        free(c->ws);
        c->ws = syno_xmalloc((size_t)need * sizeof *c->ws);
        c->ws_floats = need;
    }
    if (p->nbufs > c->nptrs) {
        c->ptrs = syno_xrealloc(c->ptrs, (size_t)p->nbufs * sizeof *c->ptrs);
        c->nptrs = p->nbufs;
    }
    /* align the workspace start to 64 bytes */
    float *base = c->ws;
    while (((uintptr_t)base & 63) != 0) base++;
    for (int i = 0; i < p->nbufs; i++) {
        const syno_plan_buf *pb = &p->bufs[i];
        switch (pb->kind) {
        case SYNO_PBUF_TENSOR: c->ptrs[i] = (float *)t[pb->tensor]; break;
        case SYNO_PBUF_GRAD_OUT: c->ptrs[i] = (float *)dy; break;
        case SYNO_PBUF_TEMP: c->ptrs[i] = base + cp->temp_off[i]; break;
        case SYNO_PBUF_RESULT: c->ptrs[i] = res; break;
        }
    }
    cpu_bufs b = {c->ptrs, base + cp->temp_floats, base + cp->temp_floats + cp->shared_floats, cp->scratch};
    static int profile = -1;
    if (profile < 0) profile = getenv("SYNO_CPU_PROFILE") != NULL;
    for (int s = 0; s < p->nstages; s++) {
        double t0 = profile ? syno_clock_wall() : 0;
        cpu_stage_run(&cp->stages[s], &b);
        if (profile) {
            fprintf(stderr, "syno cpu: %s %s stage %d: %.3f ms  %s\n", p->op->name,
                    p->wrt < 0 ? "forward" : p->op->tensors[p->wrt].name, s + 1, 1e3 * (syno_clock_wall() - t0),
                    cp->stages[s].method_text);
        }
    }
}

/* Forward pass (see cpu.h). */
void syno_cpu_forward(syno_cpu *c, const float *const *t, float *out)
{
    run_plan(c, c->plans[0], t, NULL, out);
}

/* Backward pass (see cpu.h). */
bool syno_cpu_backward(syno_cpu *c, const float *const *t, const float *dy, float *const *g, syno_buf *err)
{
    for (int i = 0; i < c->op->ntensors; i++) {
        if (!g[i]) continue;
        cpu_plan *cp = get_plan(c, i, err);
        if (!cp) return false;
        run_plan(c, cp, t, dy, g[i]);
    }
    return true;
}

/* Sets the thread count (see cpu.h). */
void syno_cpu_set_threads(int n)
{
    syno_pool_set_threads(n);
}

/* The thread count (see cpu.h). */
int syno_cpu_threads(void)
{
    return syno_pool_threads();
}
