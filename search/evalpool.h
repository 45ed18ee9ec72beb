/* evalpool.h - where the search's evaluations run: a pool takes jobs (an
 * operator to evaluate, its seeds, the metrics wanted) and hands their
 * results back later, in the order they finish.
 *
 * The driver (driver.c), the baseline's evaluation and the confirmation
 * stage (driver_confirm.c) only see this interface.  Two pools implement
 * it: the local one (evalpool.c) runs each job in a child process of this one,
 * --jobs at a time; the MPI one (mpi_pool.c) sends each job, as the
 * operator's .syno text, to an evaluating rank of an MPI job, one job per
 * rank at a time. */
#ifndef SYNO_SEARCH_EVALPOOL_H
#define SYNO_SEARCH_EVALPOOL_H

#include "search/evaluate.h"

/* One evaluation to make. */
typedef struct syno_eval_job {
    const syno_op *op;                 /* finished, valid under the spec's layers; only read during submit */
    const char *text;                  /* OP as a complete .syno module (lang/graph_print.h), or NULL: a pool
                                        * that sends jobs elsewhere prints it */
    uint64_t seed;                     /* random data (the candidate's hash; 1 for the baseline) */
    uint64_t train_seed;               /* seed of the accuracy measurement (0: 1) */
    bool full_test;                    /* accuracy on the whole test set */
    bool want[SYNO_METRIC_COUNT];      /* the metrics to measure */
    int64_t id;                        /* the caller's: handed back with the result */
} syno_eval_job;

typedef struct syno_evalpool syno_evalpool;

/* What a kind of pool does (see the public functions below). */
typedef struct syno_evalpool_ops {
    void (*submit)(syno_evalpool *p, const syno_eval_job *job);
    bool (*wait)(syno_evalpool *p, int64_t *id, syno_metrics *m);
    void (*destroy)(syno_evalpool *p);
} syno_evalpool_ops;

struct syno_evalpool {
    const syno_evalpool_ops *ops;
    const syno_spec *spec;             /* the layers and training settings of every job */
    int capacity;                      /* jobs in flight at most */
    int busy;                          /* jobs in flight */
    bool pulled;                       /* results come in any order and the driver should keep the pool full
                                        * (it asks the algorithm for one candidate at a time) instead of
                                        * evaluating fixed batches */
    char *error;                       /* set when the pool cannot go on (new string; NULL while it can) */
    char *summary;                     /* a line on where jobs run (new string or NULL) */
    double cpu_elsewhere;              /* processor seconds of the finished jobs that ran outside this process
                                        * and its children (on MPI workers; 0 for the local pool, whose
                                        * children the process's own count includes) */
};

/* A pool that evaluates jobs of SPEC in child processes of this one, JOBS
 * at a time, each with THREADS CPU threads (0: the default).  SPEC is
 * borrowed for the pool's life. */
syno_evalpool *syno_evalpool_local_new(const syno_spec *spec, int jobs, int threads);

/* Starts JOB (P->busy < P->capacity).  JOB and its operator are only read
 * during the call. */
void syno_evalpool_submit(syno_evalpool *p, const syno_eval_job *job);

/* Waits until a job of P finishes: true with its id in *ID and its metrics
 * in *M.  False when no job is in flight, or when the pool failed (then
 * P->error says why and no job will finish). */
bool syno_evalpool_wait(syno_evalpool *p, int64_t *id, syno_metrics *m);

/* Frees P (the jobs still in flight are abandoned: their processes
 * killed). */
void syno_evalpool_free(syno_evalpool *p);

#endif
