/* cuda_latency.c - operators made ready to run on the GPU, and timed
 * (see cuda_latency.h). */
#include "codegen/cuda_latency.h"

#include "codegen/cuda_tune.h"
#include "codegen/plan.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Prepares every pass (see cuda_latency.h). */
bool syno_cuda_oprun_init(syno_cuda_oprun *r, syno_cuda_rt *rt, const syno_op *op, const syno_binding *b, bool grad,
                          bool tune, uint64_t seed, syno_buf *err)
{
    memset(r, 0, sizeof *r);
    r->rt = rt;
    syno_cuda_tuner tuner;
    syno_cuda_tuner_init(&tuner, rt, tune);
    char name[80];
    syno_cuda_prog_ident(op->name, name, sizeof name);
    r->npass = grad ? 1 + op->ntensors : 1;
    for (int p = 0; p < r->npass; p++) {
        r->plan[p] = syno_plan_build(op, b, p == 0 ? SYNO_PLAN_FORWARD : p - 1, err);
        if (!r->plan[p]) return false;
        r->direct_flops += (double)r->plan[p]->direct_flops;
        r->plan_flops += (double)r->plan[p]->flops;
        r->prog[p] = syno_cuda_prog_from_plan(r->plan[p], name, syno_cuda_choose_tuned, &tuner, err);
        if (!r->prog[p]) return false;
        r->nsrcs += r->prog[p]->nsrcs;
        r->nkernels += r->prog[p]->nsteps;
    }
    /* Compile what the cache lacks on every CPU at once, then load. */
    const char *texts[SYNO_CUDA_MAX_PASSES * 16];
    int n = 0;
    for (int p = 0; p < r->npass; p++)
        for (int s = 0; s < r->prog[p]->nsrcs && n < (int)SYNO_ARRAY_LEN(texts); s++) texts[n++] = r->prog[p]->srcs[s].text;
    syno_buf ignored = SYNO_BUF_INIT; /* a failure shows again, with context, below */
    syno_cuda_cache_precompile(syno_cuda_rt_cache(rt), texts, n, syno_cuda_dev_get_info(syno_cuda_rt_dev(rt))->arch, 0,
                               &ignored);
    syno_buf_fini(&ignored);
    for (int p = 0; p < r->npass; p++) {
        r->exe[p] = syno_cuda_exe_new(rt, r->prog[p], err);
        if (!r->exe[p] || !syno_cuda_exe_randomize(r->exe[p], seed + (uint64_t)p, err)) return false;
    }
    return true;
}

/* One timed call. */
static bool oprun_call(syno_cuda_oprun *r, double *ms, syno_buf *err)
{
    syno_cuda_timer t;
    syno_cuda_dev *dev = syno_cuda_rt_dev(r->rt);
    if (!syno_cuda_timer_start(dev, &t, err)) return false;
    for (int p = 0; p < r->npass; p++)
        if (!syno_cuda_exe_run(r->exe[p], err)) {
            double ignored;
            syno_buf e2 = SYNO_BUF_INIT;
            syno_cuda_timer_stop(dev, &t, &ignored, &e2); /* frees the events */
            syno_buf_fini(&e2);
            return false;
        }
    return syno_cuda_timer_stop(dev, &t, ms, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of timed calls. */
bool syno_cuda_oprun_time(syno_cuda_oprun *r, int warmup, int reps, double *median_ms, double *min_ms, syno_buf *err)
{
    double ms;
    for (int i = 0; i < warmup; i++)
        if (!oprun_call(r, &ms, err)) return false;
    if (reps < 1) reps = 1;
    double *t = syno_xmalloc((size_t)reps * sizeof *t);
    bool ok = true;
    for (int i = 0; i < reps && ok; i++) ok = oprun_call(r, &t[i], err);
    if (ok) {
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        *median_ms = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
        if (min_ms) *min_ms = t[0];
    }
    free(t);
    return ok;
}

/* Frees what syno_cuda_oprun_init made (also after a failed init). */
void syno_cuda_oprun_fini(syno_cuda_oprun *r)
{
    for (int p = 0; p < r->npass; p++) {
        syno_cuda_exe_free(r->exe[p]);
        syno_cuda_prog_free(r->prog[p]);
        syno_plan_free(r->plan[p]);
    }
    memset(r, 0, sizeof *r);
}

static pthread_mutex_t latency_lock = PTHREAD_MUTEX_INITIALIZER;

/* Latency on the shared runtime (see cuda_latency.h); callers from
 * several threads take turns (one GPU times one candidate at a time). */
bool syno_cuda_latency(const syno_op *op, const syno_binding *b, bool grad, bool tune, int reps, double *ms,
                       syno_buf *err)
{
    pthread_mutex_lock(&latency_lock);
    syno_cuda_rt *rt = syno_cuda_rt_shared(err);
    syno_cuda_oprun r;
    memset(&r, 0, sizeof r);
    bool ok = rt && syno_cuda_oprun_init(&r, rt, op, b, grad, tune, 1, err) &&
              syno_cuda_oprun_time(&r, 3, reps, ms, NULL, err);
    syno_cuda_oprun_fini(&r);
    pthread_mutex_unlock(&latency_lock);
    return ok;
}
