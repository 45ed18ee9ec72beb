/* cuda_latency.h - an operator made ready to run on the GPU, and its
 * latency: what `syno bench --backend cuda` reports and what the search's
 * latency objective needs.
 *
 * An operator run holds, for the forward pass (and every gradient when
 * asked), the staged plan, its GPU program (tilings from the tuner: the
 * cached choice, measured now when asked, else the heuristic) and an
 * executable with random inputs.  A timed call runs every launch of every
 * pass between two GPU events.  A candidate whose kernels do not compile,
 * do not fit or fault fails with a message and leaves the runtime usable
 * (cuda_run.h), so a search can go on to the next. */
#ifndef SYNO_CUDA_LATENCY_H
#define SYNO_CUDA_LATENCY_H

#include "codegen/cuda_run.h"

#define SYNO_CUDA_MAX_PASSES (SYNO_MAX_TENSORS + 1)

struct syno_plan;

typedef struct syno_cuda_oprun {
    syno_cuda_rt *rt;
    int npass;                                   /* 1 (forward) or 1 + ntensors */
    struct syno_plan *plan[SYNO_CUDA_MAX_PASSES];
    syno_cuda_prog *prog[SYNO_CUDA_MAX_PASSES];
    syno_cuda_exe *exe[SYNO_CUDA_MAX_PASSES];
    double direct_flops, plan_flops;             /* per call, all passes */
    int nsrcs, nkernels;
} syno_cuda_oprun;

/* Prepares OP (finished, error-free; borrowed) under binding B on RT:
 * plans, programs, executables, random inputs from SEED.  GRAD adds every
 * gradient; TUNE measures tilings not yet in the cache.  False with the
 * reason in ERR; call syno_cuda_oprun_fini either way. */
bool syno_cuda_oprun_init(syno_cuda_oprun *r, syno_cuda_rt *rt, const syno_op *op, const syno_binding *b, bool grad,
                          bool tune, uint64_t seed, syno_buf *err);

/* WARMUP untimed calls, then the median (and minimum, MIN_MS may be NULL)
 * of REPS timed calls. */
bool syno_cuda_oprun_time(syno_cuda_oprun *r, int warmup, int reps, double *median_ms, double *min_ms, syno_buf *err);

void syno_cuda_oprun_fini(syno_cuda_oprun *r);

/* The latency of OP under B on the process's shared GPU runtime: median
 * of REPS calls after 3 warm-up calls, in milliseconds.  False with the
 * reason in ERR (no GPU included).  Thread-safe: concurrent callers take
 * turns.  (The oprun functions above are not: one thread per runtime.) */
bool syno_cuda_latency(const syno_op *op, const syno_binding *b, bool grad, bool tune, int reps, double *ms,
                       syno_buf *err);

#endif
