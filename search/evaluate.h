/* evaluate.h - evaluating candidate operators: pluggable evaluators (one
 * per metric, search/evaluators.def), run in child processes so that a
 * crashing or runaway evaluation is recorded as a failure and never takes
 * the search down (evalpool.h runs several at a time). */
#ifndef SYNO_SEARCH_EVALUATE_H
#define SYNO_SEARCH_EVALUATE_H

#include "lang/graph.h"
#include "lang/module.h"
#include "lang/spec.h"

/* What one evaluation measured (plain data: it travels through a pipe). */
typedef struct syno_metrics {
    bool ok;
    char reason[256];                       /* why it failed */
    double v[SYNO_METRIC_COUNT];            /* NaN where not measured */
    double layer[SYNO_METRIC_COUNT][SYNO_SPEC_MAX_LAYERS];
    double seconds;                         /* wall time of the evaluation */
    double cpu_seconds;                     /* processor time of the process that evaluated and of the children
                                             * it waited for (a child's, as its parent reaped it; NaN when not
                                             * measured) */
} syno_metrics;

/* What an evaluator receives. */
typedef struct syno_eval_input {
    const syno_op *op;                      /* the candidate (finished, valid under every layer) */
    const syno_spec *spec;
    int nlayers;
    syno_binding layers[SYNO_SPEC_MAX_LAYERS]; /* the spec's layers, over op->vars */
    uint64_t seed;                          /* for random data (the candidate's hash) */
    uint64_t train_seed;                    /* seed of the accuracy measurement (0: 1) */
    bool full_test;                         /* accuracy on the whole test set, not the spec's `test` */
    int threads;                            /* CPU threads it may use */
} syno_eval_input;

/* An evaluator: fills M->v[its metric] and M->layer[its metric][l], or
 * returns false with the reason in WHY. */
typedef bool (*syno_evaluator_fn)(const syno_eval_input *in, syno_metrics *m, syno_buf *why);

#define SYNO_EVALUATOR(metric, fn, doc) bool fn(const syno_eval_input *in, syno_metrics *m, syno_buf *why);
#include "search/evaluators.def"
#undef SYNO_EVALUATOR

/* Replaces the evaluator of METRIC (the training code registers accuracy). */
void syno_evaluator_register(syno_metric metric, syno_evaluator_fn fn);

/* Fills IN for OP under SPEC's layers (bindings translated by name to the
 * op's variables). */
void syno_eval_input_init(syno_eval_input *in, const syno_op *op, const syno_spec *spec, uint64_t seed, int threads);

/* Loads the operator of TEXT, a complete .syno module (a canonical text or
 * lang/graph_print.h's), into CTX under the module name NAME: its first
 * operator, or NULL when it does not load without errors. */
const syno_op *syno_eval_load_op(syno_ctx *ctx, const char *name, const char *text);

/* Evaluates IN for every metric in WANT, in this process. */
void syno_evaluate(const syno_eval_input *in, const bool *want, syno_metrics *m);

/* One evaluation in a child process (search/evalpool.c): a crash, an abort or
 * a runaway evaluation of the candidate ends the child, never the caller. */
typedef struct syno_eval_child {
    int pid;                                /* the child (0: evaluated in this process) */
    int fd;                                 /* the pipe its metrics come through (-1 when done) */
    size_t got;                             /* bytes of M received */
    syno_metrics m;
} syno_eval_child;

/* Starts evaluating IN (the metrics in WANT) in a child process.  When no
 * child can be made (no pipe or no fork), evaluates here instead: then
 * C->pid is 0 and C->m already holds the result. */
void syno_eval_child_start(syno_eval_child *c, const syno_eval_input *in, const bool *want);

/* Reads what child C wrote, without blocking for more than what poll(2)
 * said is there.  True when C is finished: *OUT then holds its metrics (a
 * child that crashed or ended without a result is a failure that says
 * so), and the child has been reaped. */
bool syno_eval_child_read(syno_eval_child *c, syno_metrics *out);

/* Ends child C at once (SIGKILL) and reaps it. */
void syno_eval_child_kill(syno_eval_child *c);

/* Metrics of an evaluation that failed before it began, for REASON. */
void syno_metrics_failed(syno_metrics *m, const char *reason);

#endif
