/* mpi_pool.c - the coordinator's evaluation pool under `syno search --mpi`
 * (see mpi.h): one slot per worker rank; a job goes to the worker that has
 * been free longest, as the operator's .syno text (lang/graph_print.h: it
 * loads back as the same operator, so a worker measures what a local
 * evaluation would) with its seeds and metrics; results come back in the
 * order they finish.  Workers announce themselves (their build, threads
 * and GPU) when they start; the pool's summary says where jobs ran. */
#include "config.h"

#include "search/mpi.h"

#include "lang/graph_print.h"

#include <stdarg.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

typedef struct mpi_pool {
    syno_evalpool base;
    syno_mpi *m;
    int nworkers;            /* ranks 1 .. nworkers */
    int64_t *job;            /* per rank: the id of the job it evaluates, or -1 */
    int *idle;               /* free ranks, longest free first (a ring of nworkers) */
    int idle_head, nidle;
    syno_mpi_ready *info;    /* per rank, once it said so */
    bool *ready;
    int nready;
    syno_buf msg;
} mpi_pool;

static void fail(mpi_pool *mp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(mpi_pool *mp, const char *fmt, ...)
{
    if (mp->base.error) return;
    va_list ap;
    va_start(ap, fmt);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    mp->base.error = syno_buf_take(&b);
}

/* The summary line: workers, nodes, threads and GPUs. */
static void summarize(mpi_pool *mp)
{
    const syno_mpi_world *w = syno_mpi_world_get(mp->m);
    int tmin = 0, tmax = 0, gpus = 0;
    for (int r = 1; r <= mp->nworkers; r++) {
        if (!mp->ready[r]) continue;
        int t = mp->info[r].threads;
        if (!tmin || t < tmin) tmin = t;
        if (t > tmax) tmax = t;
        gpus += mp->info[r].gpu[0] != 0;
    }
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_printf(&b, "MPI: %d workers on %d node%s (%s)", mp->nworkers, w->nodes, w->nodes == 1 ? "" : "s",
                    w->library);
    if (tmin && tmin == tmax) syno_buf_printf(&b, ", %d CPU thread%s per evaluation", tmin, tmin == 1 ? "" : "s");
    else if (tmin) syno_buf_printf(&b, ", %d to %d CPU threads per evaluation", tmin, tmax);
    if (gpus) syno_buf_printf(&b, ", %d with a GPU", gpus);
    free(mp->base.summary);
    mp->base.summary = syno_buf_take(&b);
}

/* Takes in a worker's announcement. */
static void on_ready(mpi_pool *mp, int rank)
{
    syno_mpi_ready info;
    if (mp->msg.len != sizeof info) {
        fail(mp, "MPI worker %d sent a malformed announcement (%zu bytes): do all ranks run the same syno?", rank,
             mp->msg.len);
        return;
    }
    memcpy(&info, mp->msg.data, sizeof info);
    info.version[sizeof info.version - 1] = info.host[sizeof info.host - 1] = info.gpu[sizeof info.gpu - 1] = 0;
    if (strcmp(info.version, PACKAGE_VERSION) != 0 || info.metrics_size != sizeof(syno_metrics)) {
        fail(mp, "MPI worker %d (%s) runs syno %s, the coordinator %s: every rank must run the same build", rank,
             info.host, info.version, PACKAGE_VERSION);
        return;
    }
    if (!mp->ready[rank]) mp->nready++;
    mp->ready[rank] = true;
    mp->info[rank] = info;
    summarize(mp);
}

static void push_idle(mpi_pool *mp, int rank)
{
    mp->idle[(mp->idle_head + mp->nidle++) % mp->nworkers] = rank;
}

static void pool_submit(syno_evalpool *p, const syno_eval_job *job)
{
    mpi_pool *mp = (mpi_pool *)p;
    SYNO_ASSERT(mp->nidle > 0);
    int rank = mp->idle[mp->idle_head];
    mp->idle_head = (mp->idle_head + 1) % mp->nworkers;
    mp->nidle--;
    syno_mpi_job_head h;
    memset(&h, 0, sizeof h);
    h.id = job->id;
    h.seed = job->seed;
    h.train_seed = job->train_seed;
    h.full_test = job->full_test;
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) h.want[k] = job->want[k];
    syno_buf_clear(&mp->msg);
    syno_buf_add(&mp->msg, (const char *)&h, sizeof h);
    if (job->text) syno_buf_puts(&mp->msg, job->text);
    else syno_graph_print_module(job->op, "candidate", 0, NULL, NULL, &mp->msg);
    syno_mpi_send(mp->m, rank, SYNO_MPI_JOB, mp->msg.data, mp->msg.len + 1);
    mp->job[rank] = job->id;
}

static bool pool_wait(syno_evalpool *p, int64_t *id, syno_metrics *m)
{
    mpi_pool *mp = (mpi_pool *)p;
    for (;;) {
        int rank, tag;
        syno_mpi_next(mp->m, -1, -1, &rank, &tag, &mp->msg);
        if (rank < 1 || rank > mp->nworkers) continue;
        if (tag == SYNO_MPI_READY) {
            on_ready(mp, rank);
        } else if (tag == SYNO_MPI_FAIL) {
            const char *host = mp->ready[rank] ? mp->info[rank].host : "?";
            fail(mp, "MPI worker %d (%s): %s", rank, host, syno_buf_str(&mp->msg));
        } else if (tag == SYNO_MPI_RESULT && mp->msg.len == sizeof(syno_mpi_result) && mp->job[rank] >= 0) {
            syno_mpi_result res;
            memcpy(&res, mp->msg.data, sizeof res);
            res.m.reason[sizeof res.m.reason - 1] = 0;
            if (res.id != mp->job[rank]) {
                fail(mp, "MPI worker %d answered job %lld, not its job %lld", rank, (long long)res.id,
                     (long long)mp->job[rank]);
            } else {
                *id = res.id;
                *m = res.m;
                if (isfinite(res.m.cpu_seconds) && res.m.cpu_seconds > 0) p->cpu_elsewhere += res.m.cpu_seconds;
                mp->job[rank] = -1;
                push_idle(mp, rank);
                return true;
            }
        } else {
            fail(mp, "MPI worker %d sent an unexpected message (tag %d, %zu bytes)", rank, tag, mp->msg.len);
        }
        if (p->error) return false;
    }
}

static void pool_destroy(syno_evalpool *p)
{
    mpi_pool *mp = (mpi_pool *)p;
    free(mp->job);
    free(mp->idle);
    free(mp->info);
    free(mp->ready);
    syno_buf_fini(&mp->msg);
}

static const syno_evalpool_ops mpi_ops = {pool_submit, pool_wait, pool_destroy};

/* The coordinator's pool (see mpi.h). */
syno_evalpool *syno_mpi_pool_new(syno_mpi *m, const syno_spec *spec)
{
    const syno_mpi_world *w = syno_mpi_world_get(m);
    SYNO_ASSERT(w->rank == 0 && w->size >= 2);
    mpi_pool *mp = syno_xcalloc(1, sizeof *mp);
    mp->base.ops = &mpi_ops;
    mp->base.spec = spec;
    mp->base.pulled = true;
    mp->m = m;
    mp->nworkers = w->size - 1;
    mp->base.capacity = mp->nworkers;
    mp->job = syno_xmalloc((size_t)w->size * sizeof *mp->job);
    mp->idle = syno_xcalloc((size_t)mp->nworkers, sizeof *mp->idle);
    mp->info = syno_xcalloc((size_t)w->size, sizeof *mp->info);
    mp->ready = syno_xcalloc((size_t)w->size, sizeof *mp->ready);
    for (int r = 0; r < w->size; r++) mp->job[r] = -1;
    for (int r = 1; r <= mp->nworkers; r++) push_idle(mp, r);
    /* the spec, to every worker: its name, its file's name, its text */
    const syno_source *src = spec->module->src;
    syno_buf_add(&mp->msg, spec->name, strlen(spec->name) + 1);
    syno_buf_add(&mp->msg, src->name, strlen(src->name) + 1);
    syno_buf_add(&mp->msg, src->text, src->len);
    for (int r = 1; r <= mp->nworkers; r++) syno_mpi_send(m, r, SYNO_MPI_SPEC, mp->msg.data, mp->msg.len);
    summarize(mp);
    return &mp->base;
}
