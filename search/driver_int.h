/* driver_int.h - what the two halves of `syno search`'s driver share:
 * driver.c (the store, its meta data, the reference, the summary) and
 * driver_loop.c (asking the algorithm, evaluating in the pool, recording,
 * telling). */
#ifndef SYNO_SEARCH_DRIVER_INT_H
#define SYNO_SEARCH_DRIVER_INT_H

#include "lang/canon.h"
#include "search/algo.h"
#include "search/evalpool.h"
#include "search/run_info.h"
#include "search/search_run.h"

typedef struct drv_run {
    const syno_spec *spec;
    const syno_search_opts *o;
    syno_diags *d;
    syno_store *store;
    syno_space *sp;
    syno_evalpool *pool;
    char *db, *out_dir;
    double ref[SYNO_REF_COUNT];
    bool want[SYNO_METRIC_COUNT];
    bool have_ref;
    syno_algorithm alg;
    int iters;                 /* the budget: candidates recorded in all */
    int64_t done, failed, fresh;
    double best;
    uint64_t best_hash;
    double t0;                 /* when this run started (wall clock) */
    syno_run_clock clock;      /* the run's times and evaluations under way, as the store records them */
    bool exhausted, stuck;     /* why the loop ended early */
    double loop_cpu;           /* processor seconds of this process in the search loop */
    double propose_cpu;        /* of them, in the algorithm's proposals (this thread) */
    syno_canon *canon;
} drv_run;

/* Reports an error of the run (the store, the spec) into its diagnostics. */
void drv_error(drv_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Makes V (SYNO_METRIC_COUNT values) the reference of R's ratios and
 * rewards, and records it in the store (with the name OF of the operator
 * measured, or NULL). */
void drv_set_reference(drv_run *r, const double *v, const char *of);

/* Runs the search's loop with algorithm A (operations OPS) until the
 * budget, the end of the space or a stuck algorithm: first the pending
 * candidates of the store (handed out by a run that was killed), then the
 * algorithm's, each new one evaluated in R's pool and recorded.  Fixed
 * batches when the pool is not pulled (the candidates and their order then
 * depend only on the seed), one candidate per free evaluation slot when it
 * is.  False when the store or the pool failed (reported into R's
 * diagnostics). */
bool drv_loop(drv_run *r, const syno_algo_ops *ops, syno_algo *a);

#endif
