/* evaluate.c - the evaluators (FLOPs, params, CPU latency; the accuracy
 * slot) and one evaluation in this process (see evaluate.h); evalpool.c runs
 * evaluations in child processes. */
#include "search/evaluate.h"

#include "base/clock.h"
#include "base/rng.h"
#include "codegen/cpu.h"
#include "search/final_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static syno_evaluator_fn evaluators[SYNO_METRIC_COUNT] = {
#define SYNO_EVALUATOR(metric, fn, doc) fn,
#include "search/evaluators.def"
#undef SYNO_EVALUATOR
};

/* Replaces the evaluator of METRIC. */
void syno_evaluator_register(syno_metric metric, syno_evaluator_fn fn)
{
    SYNO_ASSERT(metric < SYNO_METRIC_COUNT && fn);
    evaluators[metric] = fn;
}

/* Fills IN (see evaluate.h). */
void syno_eval_input_init(syno_eval_input *in, const syno_op *op, const syno_spec *spec, uint64_t seed, int threads)
{
    memset(in, 0, sizeof *in);
    in->op = op;
    in->spec = spec;
    in->seed = seed;
    in->threads = threads;
    in->nlayers = spec->nlayers;
    for (int l = 0; l < spec->nlayers; l++) {
        const syno_binding *b = &spec->layer_binding[l];
        syno_binding *o = &in->layers[l];
        syno_binding_defaults(op->vars, o);
        o->name = b->name;
        for (int v = 0; v < op->vars->n; v++) {
            int j = syno_vars_find(spec->vars, op->vars->v[v].name);
            if (j >= 0 && b->val[j] > 0) o->val[v] = b->val[j];
        }
    }
}

/* ---- the evaluators --------------------------------------------------------- */

/* FLOPs of the staged plans, per layer and summed. */
bool syno_eval_flops(const syno_eval_input *in, syno_metrics *m, syno_buf *why)
{
    double sum = 0;
    for (int l = 0; l < in->nlayers; l++) {
        double f = syno_search_op_flops(in->op, &in->layers[l]);
        if (!(f >= 0)) {
            syno_buf_printf(why, "FLOPs do not evaluate under layer '%s'", in->layers[l].name ? in->layers[l].name : "?");
            return false;
        }
        m->layer[SYNO_METRIC_FLOPS][l] = f;
        sum += f;
    }
    m->v[SYNO_METRIC_FLOPS] = sum;
    return true;
}

/* Weight elements, per layer and summed. */
bool syno_eval_params(const syno_eval_input *in, syno_metrics *m, syno_buf *why)
{
    (void)why;
    double sum = 0;
    for (int l = 0; l < in->nlayers; l++) {
        m->layer[SYNO_METRIC_PARAMS][l] = syno_search_op_params(in->op, &in->layers[l]);
        sum += m->layer[SYNO_METRIC_PARAMS][l];
    }
    m->v[SYNO_METRIC_PARAMS] = sum;
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median forward time on the CPU executor (after a warm-up run), per layer
 * and summed, with random inputs and weights. */
bool syno_eval_latency(const syno_eval_input *in, syno_metrics *m, syno_buf *why)
{
    const syno_op *op = in->op;
    if (in->threads > 0) syno_cpu_set_threads(in->threads);
    double sum = 0;
    syno_rng rng;
    syno_rng_seed(&rng, in->seed);
    for (int l = 0; l < in->nlayers; l++) {
        syno_cpu *cpu = syno_cpu_new(op, &in->layers[l], why);
        if (!cpu) return false;
        int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
        if (!syno_op_eval_sizes(op, &in->layers[l], sizes)) {
            free(sizes);
            syno_cpu_free(cpu);
            syno_buf_printf(why, "sizes do not evaluate under layer '%s'", in->layers[l].name ? in->layers[l].name : "?");
            return false;
        }
        float *t[SYNO_MAX_TENSORS + 1];
        int64_t numel[SYNO_MAX_TENSORS + 1];
        int nt = op->ntensors;
        double bytes = 0; /* the tensors, as the executor's limit counts them */
        for (int k = 0; k <= nt; k++) {
            int64_t shape[64];
            int r = syno_op_tensor_shape(op, sizes, k < nt ? k : SYNO_OP_OUT, shape);
            double n = 1;
            for (int a = 0; a < r; a++) n *= (double)shape[a];
            numel[k] = n <= (double)SYNO_CPU_MAX_BYTES ? (int64_t)n : -1;
            bytes += 4 * n;
        }
        if (bytes > (double)SYNO_CPU_MAX_BYTES) {
            syno_buf_printf(why, "the tensors take %.3g GB under layer '%s', more than the %.3g GB the CPU executor allows",
                            bytes / 1e9, in->layers[l].name ? in->layers[l].name : "?", (double)SYNO_CPU_MAX_BYTES / 1e9);
            free(sizes);
            syno_cpu_free(cpu);
            return false;
        }
        for (int k = 0; k <= nt; k++) {
            t[k] = syno_xmalloc((size_t)(numel[k] ? numel[k] : 1) * sizeof(float));
            if (k < nt)
                for (int64_t i = 0; i < numel[k]; i++) t[k][i] = (float)(syno_rng_unit(&rng) * 2 - 1);
        }
        syno_cpu_forward(cpu, (const float *const *)t, t[nt]);
        double times[5];
        int reps = 5;
        for (int r = 0; r < reps; r++) {
            double t0 = syno_clock_wall();
            syno_cpu_forward(cpu, (const float *const *)t, t[nt]);
            times[r] = syno_clock_wall() - t0;
        }
        qsort(times, (size_t)reps, sizeof *times, cmp_double);
        m->layer[SYNO_METRIC_LATENCY][l] = times[reps / 2];
        sum += times[reps / 2];
        for (int k = 0; k <= nt; k++) free(t[k]);
        free(sizes);
        syno_cpu_free(cpu);
    }
    m->v[SYNO_METRIC_LATENCY] = sum;
    return true;
}

/* The accuracy evaluator, syno_eval_accuracy, is proxy training:
 * search/eval_accuracy.c (issue 8). */

/* ---- running them ------------------------------------------------------------ */

/* Loads an operator from a module's text (see evaluate.h). */
const syno_op *syno_eval_load_op(syno_ctx *ctx, const char *name, const char *text)
{
    syno_module *m = syno_ctx_load_string(ctx, name, text, strlen(text));
    if (!m || m->errors || !m->nops || m->ops[0]->errors) return NULL;
    return m->ops[0];
}

/* Evaluates IN in this process (see evaluate.h). */
void syno_evaluate(const syno_eval_input *in, const bool *want, syno_metrics *m)
{
    syno_metrics_failed(m, "");
    double t0 = syno_clock_wall(), c0 = syno_clock_cpu();
    m->ok = true;
    for (int k = 0; k < SYNO_METRIC_COUNT && m->ok; k++) {
        if (!want[k]) continue;
        syno_buf why = SYNO_BUF_INIT;
        if (!evaluators[k](in, m, &why)) {
            m->ok = false;
            snprintf(m->reason, sizeof m->reason, "%s: %s", syno_metric_names[k], why.len ? why.data : "failed");
        }
        syno_buf_fini(&why);
    }
    m->seconds = syno_clock_wall() - t0;
    m->cpu_seconds = syno_clock_cpu() - c0;
}

/* Metrics of an evaluation that failed before it began (see evaluate.h). */
void syno_metrics_failed(syno_metrics *m, const char *reason)
{
    memset(m, 0, sizeof *m);
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) {
        m->v[k] = NAN;
        for (int l = 0; l < SYNO_SPEC_MAX_LAYERS; l++) m->layer[k][l] = NAN;
    }
    m->cpu_seconds = NAN;
    snprintf(m->reason, sizeof m->reason, "%s", reason);
}
