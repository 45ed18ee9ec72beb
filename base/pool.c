/* pool.c - the worker thread pool (see pool.h).
 *
 * Workers sleep on a condition variable until the job generation changes,
 * then take units from a shared atomic counter until none are left; the
 * caller works too and then waits until every worker has checked out.
 * The pool is started on first use and restarted when the thread count
 * changes; at process exit the sleeping workers simply end with it. */
#include "base/pool.h"

#include "base/base.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

static struct {
    pthread_mutex_t run_lock; /* one job at a time; also guards (re)starting */
    pthread_mutex_t lock;     /* everything below */
    pthread_cond_t wake, done;
    int nthreads;             /* 0: not started */
    int nworkers;
    pthread_t *workers;
    uint64_t gen;
    uint64_t start_gen;       /* gen when the workers were started */
    bool quit;
    syno_pool_fn fn;
    void *ctx;
    int64_t nunits;
    int64_t next;             /* atomic */
    int active;
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
       0, 0, NULL, 0, 0, false, NULL, NULL, 0, 0, 0};

static void work(int tid)
{
    for (;;) {
        int64_t u = __atomic_fetch_add(&P.next, 1, __ATOMIC_RELAXED);
        if (u >= P.nunits) break;
        P.fn(P.ctx, u, tid);
    }
}

static void *worker_main(void *arg)
{
    int tid = (int)(intptr_t)arg;
    pthread_mutex_lock(&P.lock);
    uint64_t seen = P.start_gen; /* not P.gen: a job may have been posted before this thread got here */
    for (;;) {
        while (P.gen == seen && !P.quit) pthread_cond_wait(&P.wake, &P.lock);
        if (P.quit) break;
        seen = P.gen;
        pthread_mutex_unlock(&P.lock);
        work(tid);
        pthread_mutex_lock(&P.lock);
        if (--P.active == 0) pthread_cond_signal(&P.done);
    }
    pthread_mutex_unlock(&P.lock);
    return NULL;
}

static int default_threads(void)
{
    const char *env = getenv("SYNO_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v >= 1 && v <= 256) return (int)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 && n <= 256 ? (int)n : 1;
}

/* Starts the workers; call with run_lock held. */
static void start(int n)
{
    P.nthreads = n;
    P.nworkers = n - 1;
    P.quit = false;
    P.start_gen = P.gen;
    P.workers = n > 1 ? syno_xmalloc((size_t)(n - 1) * sizeof *P.workers) : NULL;
    for (int i = 0; i < n - 1; i++)
        if (pthread_create(&P.workers[i], NULL, worker_main, (void *)(intptr_t)(i + 1)) != 0) {
            P.nworkers = i; /* run with the threads we got */
            break;
        }
}

/* Stops the workers; call with run_lock held. */
static void stop(void)
{
    pthread_mutex_lock(&P.lock);
    P.quit = true;
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    for (int i = 0; i < P.nworkers; i++) pthread_join(P.workers[i], NULL);
    free(P.workers);
    P.workers = NULL;
    P.nworkers = 0;
    P.nthreads = 0;
}

/* Runs a job over the pool (see pool.h). */
void syno_pool_run(int64_t nunits, syno_pool_fn fn, void *ctx)
{
    if (nunits <= 0) return;
    pthread_mutex_lock(&P.run_lock);
    if (!P.nthreads) start(default_threads());
    if (P.nworkers == 0 || nunits == 1) {
        for (int64_t u = 0; u < nunits; u++) fn(ctx, u, 0);
        pthread_mutex_unlock(&P.run_lock);
        return;
    }
    pthread_mutex_lock(&P.lock);
    P.fn = fn;
    P.ctx = ctx;
    P.nunits = nunits;
    __atomic_store_n(&P.next, 0, __ATOMIC_RELAXED);
    P.active = P.nworkers;
    P.gen++;
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    work(0);
    pthread_mutex_lock(&P.lock);
    while (P.active > 0) pthread_cond_wait(&P.done, &P.lock);
    pthread_mutex_unlock(&P.lock);
    pthread_mutex_unlock(&P.run_lock);
}

/* The number of threads jobs use (see pool.h). */
int syno_pool_threads(void)
{
    pthread_mutex_lock(&P.run_lock);
    if (!P.nthreads) start(default_threads());
    int n = P.nworkers + 1;
    pthread_mutex_unlock(&P.run_lock);
    return n;
}

/* Changes the number of threads (see pool.h). */
void syno_pool_set_threads(int n)
{
    SYNO_ASSERT(n >= 0 && n <= 256);
    pthread_mutex_lock(&P.run_lock);
    if (P.nthreads) stop();
    start(n ? n : default_threads());
    pthread_mutex_unlock(&P.run_lock);
}
