/* evalpool.c - evaluations in child processes (evaluate.h) and the local pool
 * of the search (evalpool.h): each job runs in a child of this process, which
 * sends its metrics back through a pipe as plain bytes, so that a candidate
 * that crashes, aborts or runs away ends the child and becomes a failed
 * evaluation with the reason, never the end of the search.  A child dies
 * with its parent (Linux: PR_SET_PDEATHSIG), so a search or MPI job that is
 * killed leaves no evaluation running. */
#include "config.h"

#include "search/evalpool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* ---- one child ----------------------------------------------------------------- */

/* The child's side: evaluates and writes the metrics to FD, then ends
 * without running the parent's exit handlers. */
static _Noreturn void child_main(int fd, pid_t parent, const syno_eval_input *in, const bool *want)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(4); /* the parent is already gone */
#else
    (void)parent;
#endif
    syno_metrics m;
    syno_evaluate(in, want, &m);
    const char *p = (const char *)&m;
    size_t left = sizeof m;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(3);
        p += w, left -= (size_t)w;
    }
    _exit(0);
}

/* Starts a child (see evaluate.h). */
void syno_eval_child_start(syno_eval_child *c, const syno_eval_input *in, const bool *want)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    int fds[2];
    if (pipe(fds) != 0) {
        syno_evaluate(in, want, &c->m); /* no pipes left: evaluate here */
        return;
    }
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], parent, in, want);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        syno_evaluate(in, want, &c->m);
        return;
    }
    c->pid = pid;
    c->fd = fds[0];
}

/* Reaps C and fills OUT from what it sent, or with why it sent nothing. */
static void reap(syno_eval_child *c, syno_metrics *out)
{
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(c->pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    close(c->fd);
    c->fd = -1;
    /* the child's processor time, its own children's included, as the kernel counts it */
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    if (c->got == sizeof c->m) {
        *out = c->m;
        out->cpu_seconds = cpu;
        return;
    }
    syno_buf why = SYNO_BUF_INIT;
    if (WIFSIGNALED(status))
        syno_buf_printf(&why, "the evaluation crashed (signal %d, %s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        syno_buf_printf(&why, "the evaluation ended without a result (exit status %d)",
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    syno_metrics_failed(out, syno_buf_str(&why));
    out->cpu_seconds = cpu;
    syno_buf_fini(&why);
}

/* Reads from child C (see evaluate.h). */
bool syno_eval_child_read(syno_eval_child *c, syno_metrics *out)
{
    if (!c->pid) { /* evaluated in this process */
        *out = c->m;
        return true;
    }
    ssize_t r = c->got < sizeof c->m ? read(c->fd, (char *)&c->m + c->got, sizeof c->m - c->got) : 0;
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return false;
    if (r > 0) {
        c->got += (size_t)r;
        if (c->got < sizeof c->m) return false;
    }
    reap(c, out); /* everything arrived, or the pipe closed */
    return true;
}

/* Kills child C (see evaluate.h). */
void syno_eval_child_kill(syno_eval_child *c)
{
    if (!c->pid || c->fd < 0) return;
    kill(c->pid, SIGKILL);
    syno_metrics ignored;
    c->got = 0;
    reap(c, &ignored);
}

/* ---- the local pool ------------------------------------------------------------ */

typedef struct local_pool {
    syno_evalpool base;
    int threads;
    syno_eval_child *child;   /* capacity of them */
    int64_t *id;
    bool *used;
    struct pollfd *pf;        /* poll(2)'s array, and the slot of each entry */
    int *slot;
} local_pool;

static void local_submit(syno_evalpool *p, const syno_eval_job *job)
{
    local_pool *lp = (local_pool *)p;
    int slot = 0;
    while (lp->used[slot]) slot++;
    syno_eval_input in;
    syno_eval_input_init(&in, job->op, p->spec, job->seed, lp->threads);
    in.train_seed = job->train_seed;
    in.full_test = job->full_test;
    syno_eval_child_start(&lp->child[slot], &in, job->want);
    lp->used[slot] = true;
    lp->id[slot] = job->id;
}

/* Hands the result of slot I back. */
static bool finished(local_pool *lp, int i, int64_t *id)
{
    lp->used[i] = false;
    *id = lp->id[i];
    return true;
}

static bool local_wait(syno_evalpool *p, int64_t *id, syno_metrics *m)
{
    local_pool *lp = (local_pool *)p;
    for (;;) {
        int n = 0;
        for (int i = 0; i < p->capacity; i++) {
            if (!lp->used[i]) continue;
            if (!lp->child[i].pid && syno_eval_child_read(&lp->child[i], m)) return finished(lp, i, id);
            lp->pf[n].fd = lp->child[i].fd, lp->pf[n].events = POLLIN, lp->pf[n].revents = 0;
            lp->slot[n++] = i;
        }
        if (poll(lp->pf, (nfds_t)n, -1) <= 0) continue; /* EINTR */
        for (int k = 0; k < n; k++)
            if (lp->pf[k].revents && syno_eval_child_read(&lp->child[lp->slot[k]], m)) return finished(lp, lp->slot[k], id);
    }
}

static void local_destroy(syno_evalpool *p)
{
    local_pool *lp = (local_pool *)p;
    for (int i = 0; i < p->capacity; i++)
        if (lp->used[i]) syno_eval_child_kill(&lp->child[i]);
    free(lp->child);
    free(lp->id);
    free(lp->used);
    free(lp->pf);
    free(lp->slot);
}

static const syno_evalpool_ops local_ops = {local_submit, local_wait, local_destroy};

/* A pool of child processes (see evalpool.h). */
syno_evalpool *syno_evalpool_local_new(const syno_spec *spec, int jobs, int threads)
{
    local_pool *lp = syno_xcalloc(1, sizeof *lp);
    lp->base.ops = &local_ops;
    lp->base.spec = spec;
    lp->base.capacity = jobs > 0 ? jobs : 1;
    lp->threads = threads;
    lp->child = syno_xcalloc((size_t)lp->base.capacity, sizeof *lp->child);
    lp->id = syno_xcalloc((size_t)lp->base.capacity, sizeof *lp->id);
    lp->used = syno_xcalloc((size_t)lp->base.capacity, sizeof *lp->used);
    lp->pf = syno_xcalloc((size_t)lp->base.capacity, sizeof *lp->pf);
    lp->slot = syno_xcalloc((size_t)lp->base.capacity, sizeof *lp->slot);
    return &lp->base;
}

/* ---- every pool ---------------------------------------------------------------- */

/* Starts a job (see evalpool.h). */
void syno_evalpool_submit(syno_evalpool *p, const syno_eval_job *job)
{
    SYNO_ASSERT(p->busy < p->capacity && !p->error);
    p->ops->submit(p, job);
    p->busy++;
}

/* Waits for a result (see evalpool.h). */
bool syno_evalpool_wait(syno_evalpool *p, int64_t *id, syno_metrics *m)
{
    if (!p->busy || p->error) return false;
    if (!p->ops->wait(p, id, m)) return false;
    p->busy--;
    return true;
}

/* Frees a pool (see evalpool.h). */
void syno_evalpool_free(syno_evalpool *p)
{
    if (!p) return;
    p->ops->destroy(p);
    free(p->error);
    free(p->summary);
    free(p);
}
