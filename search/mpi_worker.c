/* mpi_worker.c - a worker rank of `syno search --mpi` (see mpi.h): it
 * takes a GPU by its place among its node's workers, announces itself,
 * loads the spec the coordinator sends, then evaluates one job at a time
 * in a child process (search/evalpool.c), as a local search does, until the
 * coordinator stops it.  While a job runs it keeps listening: a stop
 * kills the evaluation, so an ending job never waits for a long training.
 *
 * GPUs: the node's GPUs are those CUDA_VISIBLE_DEVICES lists, else those
 * the NVIDIA driver lists in /proc/driver/nvidia/gpus; worker i of the
 * node (in rank order) takes GPU i mod G by setting CUDA_VISIBLE_DEVICES
 * to it before any evaluation (so under `srun --gpus-per-task=1`, where
 * each task sees one GPU, it keeps that one).  CPU threads per evaluation:
 * --jobs when given, else the node's cores over its workers, and never
 * more than the cores this rank may run on (a launcher that binds ranks
 * has split the cores already). */
#define _GNU_SOURCE /* sched_getaffinity */
#include "config.h"

#include "search/mpi.h"

#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* True when ID (K bytes) names a GPU in CUDA_VISIBLE_DEVICES: an index or
 * a UUID (Slurm writes "NoDevFiles" where a task has none). */
static bool gpu_id(const char *id, size_t k)
{
    return k > 0 && k < 32 && ((id[0] >= '0' && id[0] <= '9') || strncmp(id, "GPU-", 4) == 0 || strncmp(id, "MIG-", 4) == 0);
}

/* The node's GPUs as CUDA_VISIBLE_DEVICES entries, into IDS (at most
 * MAX); their count. */
static int node_gpus(char ids[][32], int max)
{
    int n = 0;
    const char *vis = getenv("CUDA_VISIBLE_DEVICES");
    if (vis) {
        for (const char *p = vis; *p && n < max;) {
            size_t k = strcspn(p, ",");
            if (gpu_id(p, k)) {
                memcpy(ids[n], p, k);
                ids[n++][k] = 0;
            }
            p += k;
            if (*p == ',') p++;
        }
        return n;
    }
    DIR *d = opendir("/proc/driver/nvidia/gpus");
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max)
        if (e->d_name[0] != '.') snprintf(ids[n], 32, "%d", n), n++;
    closedir(d);
    return n;
}

/* Takes this worker's GPU (see the file comment); its id into OUT, "" when
 * the node has none. */
static void take_gpu(const syno_mpi_world *w, char *out, size_t len)
{
    char ids[64][32];
    int n = node_gpus(ids, 64);
    out[0] = 0;
    if (n <= 0) return;
    const char *mine = ids[(w->node_index > 0 ? w->node_index : 0) % n];
    snprintf(out, len, "%s", mine);
    setenv("CUDA_VISIBLE_DEVICES", out, 1);
}

/* CPU threads per evaluation (see the file comment). */
static int threads_for(const syno_mpi_world *w, int asked)
{
    if (asked > 0) return asked;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int t = (int)(cores / (w->node_workers > 0 ? w->node_workers : 1));
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < t) t = CPU_COUNT(&set);
    return t > 0 ? t : 1;
}

typedef struct worker {
    syno_mpi *m;
    int threads;
    syno_ctx *spec_ctx;
    const syno_spec *spec;
    syno_buf msg;
} worker;

static void send_fail(worker *wk, const char *text)
{
    syno_mpi_send(wk->m, 0, SYNO_MPI_FAIL, text, strlen(text) + 1);
}

/* Loads the spec the coordinator sent (name, file name, text).  False
 * when it does not load here (the coordinator is told why). */
static bool load_spec(worker *wk)
{
    const char *name = wk->msg.data, *end = wk->msg.data + wk->msg.len;
    const char *file = name + strnlen(name, (size_t)(end - name)) + 1;
    if (file >= end) {
        send_fail(wk, "the spec it was sent is malformed");
        return false;
    }
    const char *text = file + strnlen(file, (size_t)(end - file)) + 1;
    if (text > end) {
        send_fail(wk, "the spec it was sent is malformed");
        return false;
    }
    wk->spec_ctx = syno_ctx_new();
    syno_module *mod = syno_ctx_load_string(wk->spec_ctx, file, text, (size_t)(end - text));
    wk->spec = mod && !wk->spec_ctx->diags.errors ? syno_module_find_spec(mod, name) : NULL;
    if (wk->spec) return true;
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_printf(&b, "the spec does not load here: ");
    syno_diags_format(&wk->spec_ctx->diags, &b, false);
    if (!wk->spec_ctx->diags.errors) syno_buf_printf(&b, "no search '%s'", name);
    send_fail(wk, syno_buf_str(&b));
    syno_buf_fini(&b);
    return false;
}

enum { JOB_DONE, JOB_STOPPED, JOB_FAILED };

/* Evaluates the job in WK's message and sends its result: JOB_DONE, or
 * JOB_STOPPED when the coordinator stopped this worker meanwhile (the
 * evaluation is killed), or JOB_FAILED (the coordinator is told why). */
static int run_job(worker *wk)
{
    syno_mpi_result res;
    memset(&res, 0, sizeof res);
    syno_mpi_job_head h;
    if (wk->msg.len < sizeof h + 1 || !wk->spec) {
        send_fail(wk, "it was sent a malformed job");
        return JOB_FAILED;
    }
    memcpy(&h, wk->msg.data, sizeof h);
    res.id = h.id;
    syno_ctx *ctx = syno_ctx_new();
    const syno_op *op = syno_eval_load_op(ctx, "candidate", wk->msg.data + sizeof h);
    int status = JOB_DONE;
    if (!op) {
        syno_buf b = SYNO_BUF_INIT;
        syno_buf_puts(&b, "the candidate's text does not load on its MPI worker: ");
        syno_diags_format(&ctx->diags, &b, false);
        syno_metrics_failed(&res.m, syno_buf_str(&b));
        syno_buf_fini(&b);
    } else {
        syno_eval_input in;
        syno_eval_input_init(&in, op, wk->spec, h.seed, wk->threads);
        in.train_seed = h.train_seed;
        in.full_test = h.full_test;
        bool want[SYNO_METRIC_COUNT];
        for (int k = 0; k < SYNO_METRIC_COUNT; k++) want[k] = h.want[k];
        syno_eval_child c;
        syno_eval_child_start(&c, &in, want);
        for (;;) {
            struct pollfd pf = {c.fd, POLLIN, 0};
            if ((!c.pid || poll(&pf, 1, 50) > 0) && syno_eval_child_read(&c, &res.m)) break;
            int source, tag;
            if (syno_mpi_next(wk->m, 0, 0, &source, &tag, &wk->msg)) { /* only a stop may come while a job runs */
                syno_eval_child_kill(&c);
                status = tag == SYNO_MPI_STOP ? JOB_STOPPED : JOB_FAILED;
                if (status == JOB_FAILED) send_fail(wk, "it was sent a job while it was evaluating one");
                break;
            }
        }
    }
    syno_ctx_free(ctx);
    if (status == JOB_DONE) syno_mpi_send(wk->m, 0, SYNO_MPI_RESULT, &res, sizeof res);
    return status;
}

/* Runs a worker (see mpi.h). */
int syno_mpi_worker(syno_mpi *m, const syno_mpi_worker_opts *o)
{
    const syno_mpi_world *w = syno_mpi_world_get(m);
    worker wk;
    memset(&wk, 0, sizeof wk);
    wk.m = m;
    wk.threads = threads_for(w, o->threads);
    syno_mpi_ready me;
    memset(&me, 0, sizeof me);
    snprintf(me.version, sizeof me.version, "%s", PACKAGE_VERSION);
    me.metrics_size = sizeof(syno_metrics);
    me.threads = wk.threads;
    snprintf(me.host, sizeof me.host, "%s", w->host);
    take_gpu(w, me.gpu, sizeof me.gpu);
    syno_mpi_send(m, 0, SYNO_MPI_READY, &me, sizeof me);
    /* after a failure the worker only waits for the stop: the coordinator ends the job */
    bool stopped = false, failed = false;
    while (!stopped) {
        int source, tag;
        syno_mpi_next(m, 0, -1, &source, &tag, &wk.msg);
        if (tag == SYNO_MPI_STOP) {
            stopped = true;
        } else if (failed) {
            continue;
        } else if (tag == SYNO_MPI_SPEC && !wk.spec) {
            failed = !load_spec(&wk);
        } else if (tag == SYNO_MPI_JOB) {
            int st = run_job(&wk);
            stopped = st == JOB_STOPPED;
            failed = st == JOB_FAILED;
        } else {
            send_fail(&wk, "it was sent an unexpected message");
            failed = true;
        }
    }
    syno_buf_fini(&wk.msg);
    syno_ctx_free(wk.spec_ctx);
    return 0;
}
