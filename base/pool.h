/* pool.h - the process-wide pool of worker threads that the CPU
 * executor splits its work over.
 *
 * A job is a number of independent units and a function called once per
 * unit, with the index of the thread running it (0 = the caller, 1.. =
 * workers), so that callers can keep per-thread scratch memory.  Units are
 * handed out dynamically, one at a time.  Jobs from different threads take
 * turns (one job runs at a time). */
#ifndef SYNO_POOL_H
#define SYNO_POOL_H

#include <stdint.h>

typedef void (*syno_pool_fn)(void *ctx, int64_t unit, int thread);

/* Runs FN(CTX, u, thread) for every u in [0, NUNITS) over the pool and
 * returns when all calls have returned.  Calls may run concurrently, in
 * any order; FN must not start another job. */
void syno_pool_run(int64_t nunits, syno_pool_fn fn, void *ctx);

/* The number of threads jobs use (the caller included), starting the pool
 * when needed: $SYNO_THREADS when it is a number in 1..256, else the
 * online CPUs. */
int syno_pool_threads(void);

/* Uses N threads from now on (N >= 1), or the default again (N = 0).
 * Waits for a running job to finish first. */
void syno_pool_set_threads(int n);

#endif
