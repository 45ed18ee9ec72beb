/* evaluate.h - evaluating candidate operators: pluggable evaluators (one
 * per metric, search/evaluators.def), run in child processes so that a
 * crashing or runaway evaluation is recorded as a failure and never takes
 * the search down, several at a time for --jobs. */
#ifndef SYNO_SEARCH_EVALUATE_H
#define SYNO_SEARCH_EVALUATE_H

#include "lang/graph.h"
#include "lang/spec.h"

/* What one evaluation measured (plain data: it travels through a pipe). */
typedef struct syno_metrics {
    bool ok;
    char reason[256];                       /* why it failed */
    double v[SYNO_METRIC_COUNT];            /* NaN where not measured */
    double layer[SYNO_METRIC_COUNT][SYNO_SPEC_MAX_LAYERS];
    double seconds;                         /* wall time of the evaluation */
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

/* Evaluates IN for every metric in WANT, in this process. */
void syno_evaluate(const syno_eval_input *in, const bool *want, syno_metrics *m);

/* Evaluates N inputs, each in a child process, at most JOBS at a time;
 * OUT[i] receives input i's metrics (a child that crashes or exits
 * without a result is a failure that says so). */
void syno_evaluate_batch(const syno_eval_input *const *in, int n, const bool *want, int jobs, syno_metrics *out);

#endif
