/* bench_cpu.c - how fast the CPU executor runs an operator, next to a
 * baseline, measured in one run (bench.h).
 *
 * Both are timed the same way: warm-up calls, then the median (and the
 * minimum) of repeated calls on the same random float32 tensors.
 *
 * The baseline is direct evaluation behind the same interface
 * (syno_cpu_new_baseline): when the operator's single loop nest is a
 * matrix product (a convolution, a linear layer) it runs the classic way,
 * im2col of the whole input then one OpenBLAS sgemm per image with
 * OpenBLAS's threads ("im2col+sgemm", or "sgemm" when no gather is
 * needed); otherwise it is the direct loop nest on the executor's generic
 * path ("direct loop nest"), i.e. what the staged plan saves.  The two
 * results are compared, so a fast wrong answer cannot pass unnoticed. */
#include "base/clock.h"
#include "base/rng.h"
#include "codegen/cpu.h"
#include "interp/bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct timing {
    double median, min;
    double cpu; /* process CPU seconds per call, every thread (median) */
    int runs;
} timing;

/* The tensors of one measurement: the operator's (random), the output
 * and, with gradients, dy (random) and the gradients. */
typedef struct bench_data {
    const syno_op *op;
    int64_t numel[SYNO_MAX_TENSORS], nout;
    float *t[SYNO_MAX_TENSORS];
    float *y, *dy;
    float *g[SYNO_MAX_TENSORS];
    bool grad;
} bench_data;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool call(syno_cpu *c, bench_data *d, float *y, float **g, syno_buf *err)
{
    syno_cpu_forward(c, (const float *const *)d->t, y);
    return !d->grad || syno_cpu_backward(c, (const float *const *)d->t, d->dy, g, err);
}

/* Times C: WARM calls, then REPEAT timed ones (fewer when SLOW_CAP and a
 * call takes over a second). */
static bool time_it(syno_cpu *c, bench_data *d, float *y, float **g, int warm, int repeat, bool slow_cap, timing *t,
                    syno_buf *err)
{
    double first = syno_clock_wall();
    if (!call(c, d, y, g, err)) return false;
    double one = syno_clock_wall() - first;
    if (slow_cap && one > 10.0) { /* one call is the measurement */
        t->median = t->min = one;
        t->runs = 1;
        return true;
    }
    if (slow_cap && one > 1.0) {
        warm = 0;
        if (repeat > 3) repeat = 3;
    }
    for (int i = 1; i < warm; i++)
        if (!call(c, d, y, g, err)) return false;
    double *ts = syno_xmalloc((size_t)repeat * sizeof *ts), *cs = syno_xmalloc((size_t)repeat * sizeof *cs);
    for (int i = 0; i < repeat; i++) {
        double t0 = syno_clock_wall(), c0 = syno_clock_cpu();
        call(c, d, y, g, err);
        ts[i] = syno_clock_wall() - t0;
        cs[i] = syno_clock_cpu() - c0;
    }
    /* medians of both, so that a busy machine's slow spells count no
     * more in processor time than in wall time */
    qsort(ts, (size_t)repeat, sizeof *ts, cmp_double);
    qsort(cs, (size_t)repeat, sizeof *cs, cmp_double);
    t->median = repeat % 2 ? ts[repeat / 2] : 0.5 * (ts[repeat / 2 - 1] + ts[repeat / 2]);
    t->cpu = repeat % 2 ? cs[repeat / 2] : 0.5 * (cs[repeat / 2 - 1] + cs[repeat / 2]);
    t->min = ts[0];
    t->runs = repeat;
    free(ts);
    free(cs);
    return true;
}

static double max_rel(const float *a, const float *b, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

/* Allocates D's tensors for OP under SIZES, the inputs uniform in [-1, 1)
 * from SEED. */
static void data_init(bench_data *d, const syno_op *op, const int64_t *sizes, bool grad, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->op = op;
    d->grad = grad;
    d->nout = 1;
    for (int i = 0; i < op->nout; i++) d->nout *= sizes[op->out[i]];
    syno_rng r;
    syno_rng_seed(&r, seed);
    for (int t = 0; t < op->ntensors; t++) {
        d->numel[t] = syno_op_tensor_numel(op, sizes, t);
        d->t[t] = syno_xmalloc((size_t)d->numel[t] * sizeof(float));
        for (int64_t i = 0; i < d->numel[t]; i++) d->t[t][i] = (float)(2 * syno_rng_unit(&r) - 1);
        if (grad) d->g[t] = syno_xmalloc((size_t)d->numel[t] * sizeof(float));
    }
    d->y = syno_xmalloc((size_t)d->nout * sizeof(float));
    if (grad) {
        d->dy = syno_xmalloc((size_t)d->nout * sizeof(float));
        for (int64_t i = 0; i < d->nout; i++) d->dy[i] = (float)(2 * syno_rng_unit(&r) - 1);
    }
}

static void data_fini(bench_data *d)
{
    for (int t = 0; t < d->op->ntensors; t++) free(d->t[t]), free(d->g[t]);
    free(d->y);
    free(d->dy);
}

/* Times the baseline of OP on D's tensors and compares its results with
 * ours (already in D) into R; a baseline that cannot run leaves
 * R->baseline NULL and says why in R->baseline_why. */
static void run_baseline(const syno_op *op, const syno_binding *b, const syno_bench_opts *o, bench_data *d,
                         syno_bench_report *r)
{
    syno_buf berr = SYNO_BUF_INIT;
    syno_cpu *base = syno_cpu_new_baseline(op, b, &berr);
    if (!base) {
        r->baseline_why = syno_buf_take(&berr);
        return;
    }
    float *yb = syno_xmalloc((size_t)d->nout * sizeof(float));
    float *gb[SYNO_MAX_TENSORS] = {NULL};
    for (int t = 0; o->grad && t < op->ntensors; t++) gb[t] = syno_xmalloc((size_t)d->numel[t] * sizeof(float));
    timing tb = {0};
    if (time_it(base, d, yb, gb, o->warmup, o->repeat, true, &tb, &berr)) {
        r->baseline = syno_xstrdup(syno_cpu_baseline_name(base));
        r->base_median_s = tb.median;
        r->base_min_s = tb.min;
        r->base_runs = tb.runs;
        double diff = max_rel(d->y, yb, d->nout);
        for (int t = 0; o->grad && t < op->ntensors; t++) diff = fmax(diff, max_rel(d->g[t], gb[t], d->numel[t]));
        r->max_rel_diff = diff;
    } else {
        r->baseline_why = syno_buf_take(&berr);
    }
    free(yb);
    for (int t = 0; t < op->ntensors; t++) free(gb[t]);
    syno_cpu_free(base);
    syno_buf_fini(&berr);
}

/* One part per stage of every plan timed: how the executor runs it. */
static void stage_parts(syno_cpu *ours, const syno_op *op, bool grad, syno_bench_report *r, syno_buf *err)
{
    int n = 0;
    for (int w = SYNO_PLAN_FORWARD; w < (grad ? op->ntensors : 0); w++) {
        const syno_plan *p = syno_cpu_plan(ours, w, err);
        for (int s = 0; p && s < p->nstages; s++) {
            r->parts = syno_xrealloc(r->parts, (size_t)(n + 1) * sizeof *r->parts);
            syno_buf label = SYNO_BUF_INIT;
            syno_buf_printf(&label, "%s stage %d", w < 0 ? "forward" : op->tensors[w].name, s + 1);
            r->parts[n].label = syno_buf_take(&label);
            r->parts[n].text = syno_xstrdup(syno_cpu_stage_method(ours, w, s));
            r->nparts = ++n;
        }
    }
}

/* Measures OP on the CPU executor and its baseline (see bench.h). */
bool syno_bench_cpu(const syno_op *op, const syno_binding *b, const syno_bench_opts *o, syno_bench_report *r,
                    syno_buf *err)
{
    memset(r, 0, sizeof *r);
    if (o->threads) syno_cpu_set_threads(o->threads);
    syno_cpu *ours = syno_cpu_new(op, b, err);
    if (!ours) return false;
    int64_t *sizes = syno_xmalloc((size_t)(op->ndims + 1) * sizeof *sizes);
    bool evaluated = syno_op_eval_sizes(op, b, sizes);
    SYNO_ASSERT(evaluated); /* the executor took the binding */
    bench_data d;
    data_init(&d, op, sizes, o->grad, o->seed);
    free(sizes);
    /* FLOPs per call */
    double dflops = 0, pflops = 0;
    for (int w = SYNO_PLAN_FORWARD; w < (o->grad ? op->ntensors : 0); w++) {
        const syno_plan *p = syno_cpu_plan(ours, w, err);
        if (!p) break;
        dflops += (double)p->direct_flops;
        pflops += (double)p->flops;
    }
    timing to = {0};
    bool ok = err->len == 0 && time_it(ours, &d, d.y, d.g, o->warmup, o->repeat, false, &to, err);
    if (ok) {
        syno_bench_report_init(r, op, b, "cpu", o);
        r->repeat = to.runs;
        r->median_s = to.median;
        r->min_s = to.min;
        r->cpu_s = to.cpu;
        r->flops = dflops;
        r->plan_flops = pflops;
        r->baseline_wanted = o->baseline;
        if (o->baseline) run_baseline(op, b, o, &d, r);
        r->threads = syno_cpu_threads();
        stage_parts(ours, op, o->grad, r, err);
    }
    data_fini(&d);
    syno_cpu_free(ours);
    return ok;
}
