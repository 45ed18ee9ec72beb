/* cpu_stage.c - compiling one stage of a plan for the CPU, and running it.
 *
 * Compiling assigns the stage's guards to the operands whose gathers can
 * apply them (every operand that reads all of a guard's iterators; guards
 * none can take become a 0/1 mask operand), folds summed iterators no
 * operand reads into the scale, and picks the method: matrix products
 * (cpu_gemm.c) when the stage is one, else the generic gather-multiply-
 * reduce (cpu_generic.c).  Before all that, iterators that divisions read
 * may be split into digits (cpu_digits.c); the method text then says so
 * ("o into o/8 o%8"), and names the operands read through index tables.  Work units go to the thread pool, or run in the
 * calling thread when the stage is too small to repay waking it. */
#include "codegen/cpu_int.h"

#include "base/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compiles stage SI of plan P for NTHREADS threads into ST; EXPLICIT_GEMM
 * selects the explicit (baseline) way of running matrix products. */
void cpu_stage_init(cpu_stage *st, const syno_plan *p, int si, int nthreads, bool explicit_gemm)
{
    memset(st, 0, sizeof *st);
    st->explicit_gemm = explicit_gemm;
    const syno_plan_stage *s = &p->stages[si];
    syno_buf note = SYNO_BUF_INIT;
    st->digits = syno_arena_new();
    const syno_plan_stage *ds = cpu_digits(st->digits, p, s, &note);
    if (ds) {
        s = ds;
    } else {
        syno_arena_free(st->digits);
        st->digits = NULL;
    }
    st->plan = p;
    st->ps = s;
    st->niters = s->niters;
    st->ext = syno_xcalloc((size_t)s->niters + 1, sizeof *st->ext);
    st->ostride = syno_xcalloc((size_t)s->niters + 1, sizeof *st->ostride);
    for (int i = 0; i < s->niters; i++) st->ext[i] = s->iters[i].extent;
    int *gl = syno_xcalloc((size_t)s->nguards + 1, sizeof *gl);
    uint64_t mask_iters = 0;
    for (int k = 0; k < s->nops; k++) {
        int ng = 0;
        for (int g = 0; g < s->nguards; g++)
            if (!(s->guards[g].iters & ~s->ops[k].iters)) gl[ng++] = g;
        cpu_access_init(&st->acc[k], p, s, k, gl, ng);
    }
    int nm = 0;
    for (int g = 0; g < s->nguards; g++) {
        bool covered = false;
        for (int k = 0; k < s->nops; k++) covered |= !(s->guards[g].iters & ~s->ops[k].iters);
        if (!covered) gl[nm++] = g, mask_iters |= s->guards[g].iters;
    }
    st->nacc = s->nops;
    if (nm) {
        cpu_access_init(&st->acc[st->nacc++], p, s, -1, gl, nm);
        st->has_mask = true;
    }
    free(gl);
    uint64_t read = mask_iters;
    for (int k = 0; k < st->nacc; k++) read |= st->acc[k].iters;
    double alpha = s->scale;
    uint64_t live_red = 0;
    for (int i = s->nout; i < s->niters; i++) {
        if (read & (1ull << i)) live_red |= 1ull << i;
        else alpha *= (double)st->ext[i];
    }
    st->alpha = (float)alpha;
    if (cpu_gemm_setup(st, live_red, nthreads)) st->method = CPU_GEMM;
    else {
        st->method = CPU_GENERIC;
        cpu_generic_setup(st, live_red, nthreads);
    }
    for (int k = 0; k < s->nops; k++)
        if (st->acc[k].toff) syno_buf_printf(&note, "%s%s through an index table", note.len ? "; " : "", p->bufs[s->ops[k].buf].name);
    if (note.len) {
        size_t used = strlen(st->method_text);
        snprintf(st->method_text + used, sizeof st->method_text - used, "; %s", syno_buf_str(&note));
    }
    syno_buf_fini(&note);
}

/* Frees what cpu_stage_init allocated. */
void cpu_stage_fini(cpu_stage *st)
{
    for (int k = 0; k < st->nacc; k++) cpu_access_fini(&st->acc[k]);
    free(st->ext);
    free(st->ostride);
    free(st->fdelta);
    for (int k = 0; k < 2; k++) {
        free(st->pad[k].shape);
        free(st->pad[k].lo);
        free(st->pad[k].pshape);
        free(st->pad[k].coef);
        free(st->rowoff[k]);
    }
    syno_arena_free(st->digits);
    memset(st, 0, sizeof *st);
}

/* Runs FN over NUNITS units of stage ST (see cpu_int.h). */
void cpu_run_units(const cpu_stage *st, int64_t nunits, syno_pool_fn fn, cpu_job *jb)
{
    if (st->ps->points < CPU_INLINE_POINTS) {
        for (int64_t u = 0; u < nunits; u++) fn(jb, u, 0);
        return;
    }
    syno_pool_run(nunits, fn, jb);
}

/* Runs stage ST on the bound buffers B (see cpu_int.h). */
void cpu_stage_run(const cpu_stage *st, const cpu_bufs *b)
{
    if (st->method == CPU_GEMM) cpu_gemm_run(st, b);
    else cpu_generic_run(st, b);
}
