/* mpi_plugin.c - syno-mpi.so, the MPI side of `syno search --mpi`
 * (search/mpi_link.h): MPI initialization, the error handler, the node
 * split, and bytes sent and received between ranks of MPI_COMM_WORLD.
 *
 * Built with the MPI compiler flags into a shared object of its own and
 * loaded by syno with dlopen only under --mpi (search/mpi.c).  It uses
 * nothing of syno, so it links with the MPI library alone.
 *
 * Under LeakSanitizer (a build with --enable-sanitizers), MPI's memory is
 * kept out of syno's leak check: MPI (Open MPI at least) loses memory in
 * MPI_Init and at MPI_Finalize, when it also unloads the components that
 * made it, so that the at-exit report could not even name them.  So every
 * MPI call of this file runs with leak tracking off for its thread
 * (__lsan_disable), and the process's leak check runs just before
 * MPI_Finalize (__lsan_do_leak_check: once, instead of at exit), while
 * MPI's libraries are still loaded: what MPI's own threads allocate is then
 * attributed to them, and tests/mpi.supp suppresses exactly that.  Without
 * LeakSanitizer the hooks are absent (weak) and nothing happens. */
#include "search/mpi_link.h"

#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));
extern void __lsan_do_leak_check(void) __attribute__((weak));

/* Leak tracking off and on again around an MPI call (see the file comment). */
static void untracked(void)
{
    if (__lsan_disable) __lsan_disable();
}

static void tracked(void)
{
    if (__lsan_enable) __lsan_enable();
}

static int my_rank = -1;
static char my_host[MPI_MAX_PROCESSOR_NAME];

/* The error handler of MPI_COMM_WORLD: one line instead of MPI's report,
 * then the end of the job. */
static void on_error(MPI_Comm *comm, int *code, ...)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(*code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "error code %d", *code);
    fprintf(stderr, "syno: MPI failed on rank %d (%s): %s; ending the job\n", my_rank, my_host, text);
    fflush(stderr);
    MPI_Abort(*comm, 3);
}

/* Copies SRC into DST (N bytes), cut where it does not fit. */
static void copy(char *dst, size_t n, const char *src)
{
    size_t k = strnlen(src, n - 1);
    memcpy(dst, src, k);
    dst[k] = 0;
}

/* MPI_Init, the error handler, and W. */
static bool init(int *argc, char ***argv, syno_mpi_world *w, char *err, size_t len)
{
    int provided;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int n = 0;
        if (MPI_Error_string(rc, text, &n) != MPI_SUCCESS) snprintf(text, sizeof text, "error code %d", rc);
        snprintf(err, len, "MPI_Init failed: %s", text);
        return false;
    }
    MPI_Errhandler h;
    MPI_Comm_create_errhandler(on_error, &h);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, h);
    MPI_Errhandler_free(&h);
    memset(w, 0, sizeof *w);
    MPI_Comm_rank(MPI_COMM_WORLD, &w->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w->size);
    my_rank = w->rank;
    int hl = 0;
    MPI_Get_processor_name(my_host, &hl);
    copy(w->host, sizeof w->host, my_host);
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int ll = 0;
    MPI_Get_library_version(lib, &ll);
    lib[strcspn(lib, "\n,")] = 0;
    copy(w->library, sizeof w->library, lib);
    /* the node: ranks that share memory; its workers: those other than 0 */
    MPI_Comm node, workers;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, w->rank, MPI_INFO_NULL, &node);
    int node_rank, node_size;
    MPI_Comm_rank(node, &node_rank);
    MPI_Comm_size(node, &node_size);
    MPI_Comm_split(node, w->rank == 0 ? MPI_UNDEFINED : 0, w->rank, &workers);
    if (workers != MPI_COMM_NULL) {
        MPI_Comm_rank(workers, &w->node_index);
        MPI_Comm_size(workers, &w->node_workers);
        MPI_Comm_free(&workers);
    } else {
        w->node_index = -1;
        w->node_workers = node_size - 1; /* rank 0's node */
    }
    int leader = node_rank == 0, nodes = 0;
    MPI_Allreduce(&leader, &nodes, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    w->nodes = nodes;
    MPI_Comm_free(&node);
    return true;
}

/* Signals whose handlers MPI_Init may replace with its own crash reports
 * (Open MPI prints a backtrace): a worker's evaluation children inherit
 * them, and a candidate that crashes one should end it quietly, recorded
 * as a crash, as in a local search.  So they are put back as they were. */
static const int crash_signals[] = {SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV};

static bool link_init(int *argc, char ***argv, syno_mpi_world *w, char *err, size_t len)
{
    enum { N = sizeof crash_signals / sizeof crash_signals[0] };
    struct sigaction before[N];
    for (int i = 0; i < N; i++) sigaction(crash_signals[i], NULL, &before[i]);
    untracked();
    bool ok = init(argc, argv, w, err, len);
    tracked();
    for (int i = 0; i < N; i++) sigaction(crash_signals[i], &before[i], NULL);
    return ok;
}

/* Sends in flight: a copy of each message and its request.  A blocking
 * MPI_Send returns only when the receiver has taken the message in (Open
 * MPI's shared-memory transport hands a fragment back then), so the
 * coordinator would spin, yielding, until a worker next looked for
 * messages: measured, more than half of its CPU time per candidate.  So a
 * send is started and left to finish on its own; finished ones are
 * reaped at the next send, and finalize waits for the rest. */
static MPI_Request *pend_req;
static void **pend_buf;
static int *pend_index;                /* MPI_Testsome's answer */
static int npend, cappend;

/* Frees the copies of sends that have finished (all of them, waiting, when
 * WAIT), keeping the rest in order. */
static void reap(bool wait)
{
    if (!npend) return;
    int done = 0;
    if (wait) MPI_Waitall(npend, pend_req, MPI_STATUSES_IGNORE);
    else MPI_Testsome(npend, pend_req, &done, pend_index, MPI_STATUSES_IGNORE);
    int kept = 0;
    for (int i = 0; i < npend; i++) {
        if (pend_req[i] == MPI_REQUEST_NULL) {
            free(pend_buf[i]);
            continue;
        }
        pend_req[kept] = pend_req[i];
        pend_buf[kept++] = pend_buf[i];
    }
    npend = kept;
}

/* Room for one more send in flight; false without memory. */
static bool room(void)
{
    if (npend < cappend) return true;
    int cap = cappend ? 2 * cappend : 16;
    MPI_Request *r = realloc(pend_req, (size_t)cap * sizeof *r);
    if (r) pend_req = r;
    void **b = realloc(pend_buf, (size_t)cap * sizeof *b);
    if (b) pend_buf = b;
    int *x = realloc(pend_index, (size_t)cap * sizeof *x);
    if (x) pend_index = x;
    if (!r || !b || !x) return false;
    cappend = cap;
    return true;
}

static void link_send(int to, int tag, const void *data, size_t len)
{
    untracked();
    reap(false);
    void *copy = room() ? malloc(len ? len : 1) : NULL;
    if (copy) {
        memcpy(copy, data, len);
        MPI_Isend(copy, (int)len, MPI_BYTE, to, tag, MPI_COMM_WORLD, &pend_req[npend]);
        pend_buf[npend++] = copy;
    } else { /* no memory for a copy: the blocking send */
        MPI_Send(data, (int)len, MPI_BYTE, to, tag, MPI_COMM_WORLD);
    }
    tracked();
}

static bool link_probe(int from, int *source, int *tag, size_t *len)
{
    int flag = 0, count = 0;
    MPI_Status st;
    untracked();
    MPI_Iprobe(from < 0 ? MPI_ANY_SOURCE : from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag) MPI_Get_count(&st, MPI_BYTE, &count);
    tracked();
    if (!flag) return false;
    *source = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    *len = (size_t)count;
    return true;
}

static void link_recv(int source, int tag, void *data, size_t len)
{
    untracked();
    MPI_Recv(data, (int)len, MPI_BYTE, source, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    tracked();
}

static void link_finalize(void)
{
    if (__lsan_do_leak_check) __lsan_do_leak_check(); /* while MPI is loaded (see the file comment) */
    untracked();
    reap(true);
    free(pend_req);
    free(pend_buf);
    free(pend_index);
    pend_req = NULL;
    pend_buf = NULL;
    pend_index = NULL;
    cappend = 0;
    MPI_Finalize();
    tracked();
}

static void link_abort(int code)
{
    untracked();
    MPI_Abort(MPI_COMM_WORLD, code);
}

/* The plugin's one export (see mpi_link.h). */
extern const syno_mpi_link syno_mpi_link_v1;
const syno_mpi_link syno_mpi_link_v1 = {
    SYNO_MPI_LINK_VERSION, link_init, link_send, link_probe, link_recv, link_finalize, link_abort,
};
