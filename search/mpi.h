/* mpi.h - `syno search --mpi`: one search over the ranks of an MPI job.
 * Rank 0, the coordinator, runs the search exactly as a local one (the
 * algorithm, the store, the result files) with an evaluation pool whose
 * jobs go to the other ranks, the workers; a worker evaluates one job at a
 * time, in a child process as locally, and needs no search state: it gets
 * the spec once and each candidate as .syno text.
 *
 * MPI itself lives in a plugin (search/mpi_link.h) that is loaded only
 * here, so `syno` without --mpi neither links nor initializes MPI. */
#ifndef SYNO_SEARCH_MPI_H
#define SYNO_SEARCH_MPI_H

#include "base/buf.h"
#include "search/evalpool.h"
#include "search/mpi_link.h"

typedef struct syno_mpi syno_mpi;

/* Starts MPI for this process: checks that a launcher (mpirun, mpiexec,
 * srun) started it, loads the plugin, initializes MPI with ARGC/ARGV and
 * requires at least two ranks.  NULL with the reason in ERR (a usage
 * problem: a syno built without MPI, no launcher, a single rank, a plugin
 * that does not load); MPI is then not initialized, or ended again. */
syno_mpi *syno_mpi_start(int *argc, char ***argv, syno_buf *err);

/* Where this process is in the job. */
const syno_mpi_world *syno_mpi_world_get(const syno_mpi *m);

/* How a worker evaluates. */
typedef struct syno_mpi_worker_opts {
    int threads;             /* CPU threads per evaluation (0: the node's cores over its workers) */
} syno_mpi_worker_opts;

/* Runs worker M (rank > 0) until the coordinator stops it: takes a GPU by
 * its place among the node's workers (CUDA_VISIBLE_DEVICES) when the node
 * has GPUs, then evaluates every job it is sent in a child process and
 * sends the metrics back.  Returns the exit status of the process. */
int syno_mpi_worker(syno_mpi *m, const syno_mpi_worker_opts *o);

/* The coordinator's evaluation pool (rank 0): sends SPEC (its module's
 * text) to every worker, then sends each job to a worker that is free,
 * as the operator's .syno text.  A pulled pool with one slot per worker;
 * a worker that reports a failure (its spec does not load) fails the
 * pool with a message naming the rank and its host.  SPEC is borrowed. */
syno_evalpool *syno_mpi_pool_new(syno_mpi *m, const syno_spec *spec);

/* Ends M: the coordinator stops every worker (one still evaluating kills
 * its evaluation); every rank then leaves MPI.  Frees M. */
void syno_mpi_end(syno_mpi *m);

/* ---- shared by mpi.c, mpi_pool.c and mpi_worker.c ---- */

/* Message tags. */
enum {
    SYNO_MPI_SPEC = 1,       /* coordinator -> worker: the spec (name, file name and text) */
    SYNO_MPI_JOB,            /* coordinator -> worker: syno_mpi_job_head, then the operator's text */
    SYNO_MPI_STOP,           /* coordinator -> worker: no more jobs */
    SYNO_MPI_READY,          /* worker -> coordinator: syno_mpi_ready */
    SYNO_MPI_RESULT,         /* worker -> coordinator: syno_mpi_result */
    SYNO_MPI_FAIL,           /* worker -> coordinator: why it cannot go on (text) */
};

/* Every rank runs the same build: the coordinator checks these. */
typedef struct syno_mpi_ready {
    char version[32];        /* PACKAGE_VERSION */
    uint32_t metrics_size;   /* sizeof(syno_metrics) */
    int threads;             /* CPU threads per evaluation */
    char gpu[32];            /* the GPU it took (CUDA_VISIBLE_DEVICES), "" without */
    char host[64];
} syno_mpi_ready;

typedef struct syno_mpi_job_head {
    int64_t id;
    uint64_t seed, train_seed;
    uint8_t full_test;
    uint8_t want[SYNO_METRIC_COUNT];
} syno_mpi_job_head;

typedef struct syno_mpi_result {
    int64_t id;
    syno_metrics m;
} syno_mpi_result;

/* Sends LEN bytes of DATA to rank TO with TAG; returns at once (DATA is
 * copied), messages between two ranks arrive in order (mpi_link.h). */
void syno_mpi_send(syno_mpi *m, int to, int tag, const void *data, size_t len);

/* Waits for the next message from FROM (-1: any rank), at most TIMEOUT
 * seconds (< 0: without limit), sleeping between looks so that a waiting
 * rank uses almost no CPU.  True with its source, tag and bytes (in DATA,
 * emptied first); false when none came in time. */
bool syno_mpi_next(syno_mpi *m, int from, double timeout, int *source, int *tag, syno_buf *data);

#endif
