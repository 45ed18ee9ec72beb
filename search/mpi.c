/* mpi.c - starting and ending MPI for `syno search --mpi` (see mpi.h):
 * the checks for bad use, loading the plugin (syno-mpi.so, which links the
 * MPI library; mpi_link.h), and waiting for messages without spinning.
 *
 * The plugin is looked for in $SYNO_MPI_PLUGIN, next to the running syno
 * (the build tree), then in the installed package library directory. */
#include "config.h"

#include "search/mpi.h"

#include "base/clock.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct syno_mpi {
    const syno_mpi_link *link;
    syno_mpi_world world;
};

#ifdef HAVE_MPI
/* Variables a launcher sets in the processes it starts: Open MPI's mpirun,
 * MPICH's Hydra mpiexec, PMI-1/2 and PMIx launchers (srun among them). */
static const char *const launcher_vars[] = {
    "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS", "SLURM_PROCID",
};

static bool launched(void)
{
    for (size_t i = 0; i < SYNO_ARRAY_LEN(launcher_vars); i++)
        if (getenv(launcher_vars[i])) return true;
    return false;
}

/* Tries to load the plugin at PATH: its link, or NULL with dlerror's text
 * added to WHY. */
static const syno_mpi_link *try_load(const char *path, syno_buf *why)
{
    if (access(path, F_OK) != 0) return NULL;
    /* global: the MPI library loads components of its own that need its symbols */
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        syno_buf_printf(why, "; %s does not load: %s", path, dlerror());
        return NULL;
    }
    const syno_mpi_link *l = dlsym(h, SYNO_MPI_LINK_SYMBOL);
    if (!l || l->version != SYNO_MPI_LINK_VERSION) {
        syno_buf_printf(why, "; %s is not this syno's MPI plugin (another version?)", path);
        dlclose(h);
        return NULL;
    }
    return l; /* never closed: MPI stays loaded until the process ends */
}

static const syno_mpi_link *load_plugin(syno_buf *err)
{
    syno_buf why = SYNO_BUF_INIT, tried = SYNO_BUF_INIT;
    const syno_mpi_link *l = NULL;
    const char *env = getenv("SYNO_MPI_PLUGIN");
    if (env && *env) {
        syno_buf_puts(&tried, env);
        l = try_load(env, &why);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!l && n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            syno_buf p = SYNO_BUF_INIT;
            syno_buf_printf(&p, "%.*s/syno-mpi.so", (int)(slash - self), self);
            syno_buf_printf(&tried, "%s%s", tried.len ? ", " : "", p.data);
            l = try_load(p.data, &why);
            syno_buf_fini(&p);
        }
    }
    if (!l) {
        syno_buf_printf(&tried, "%s%s", tried.len ? ", " : "", SYNO_PKGLIBDIR "/syno-mpi.so");
        l = try_load(SYNO_PKGLIBDIR "/syno-mpi.so", &why);
    }
    if (!l)
        syno_buf_printf(err, "--mpi: cannot load syno's MPI plugin syno-mpi.so (looked for %s%s); reinstall syno",
                        syno_buf_str(&tried), syno_buf_str(&why));
    syno_buf_fini(&why);
    syno_buf_fini(&tried);
    return l;
}

#endif

/* Starts MPI (see mpi.h). */
syno_mpi *syno_mpi_start(int *argc, char ***argv, syno_buf *err)
{
#ifndef HAVE_MPI
    (void)argc, (void)argv;
    syno_buf_puts(err, "--mpi: this syno was built without MPI; install an MPI library (Debian: apt-get install "
                       "libopenmpi-dev openmpi-bin) and run ./configure and make again");
    return NULL;
#else
    if (!launched()) {
        syno_buf_puts(err, "--mpi: this syno was not started by an MPI launcher; run it as "
                           "'mpirun -n P syno search SPEC --mpi' (or srun), with P >= 2: rank 0 searches, "
                           "the other ranks evaluate");
        return NULL;
    }
    const syno_mpi_link *l = load_plugin(err);
    if (!l) return NULL;
    syno_mpi *m = syno_xcalloc(1, sizeof *m);
    m->link = l;
    char why[512] = "";
    if (!l->init(argc, argv, &m->world, why, sizeof why)) {
        syno_buf_printf(err, "--mpi: %s", why);
        free(m);
        return NULL;
    }
    if (m->world.size < 2) {
        syno_buf_puts(err, "--mpi: the job has 1 rank; a search needs at least 2 (rank 0 searches, the others "
                           "evaluate): mpirun -n P with P >= 2 (under srun, --ntasks >= 2 and an MPI plugin such as "
                           "--mpi=pmix)");
        l->finalize();
        free(m);
        return NULL;
    }
    return m;
#endif
}

/* Where this process is (see mpi.h). */
const syno_mpi_world *syno_mpi_world_get(const syno_mpi *m)
{
    return &m->world;
}

/* Sends a message (see mpi.h). */
void syno_mpi_send(syno_mpi *m, int to, int tag, const void *data, size_t len)
{
    m->link->send(to, tag, data, len);
}

/* Waits for a message (see mpi.h).  Looks, then sleeps 20 us, doubling up
 * to 1 ms between looks: a waiting rank wakes at most a thousand times a
 * second, and a message waits at most a millisecond. */
bool syno_mpi_next(syno_mpi *m, int from, double timeout, int *source, int *tag, syno_buf *data)
{
    double end = timeout >= 0 ? syno_clock_wall() + timeout : 0;
    long nap = 20000;
    size_t len;
    while (!m->link->probe(from, source, tag, &len)) {
        if (timeout >= 0 && syno_clock_wall() >= end) return false;
        struct timespec ts = {0, nap};
        nanosleep(&ts, NULL);
        if (nap < 1000000) nap *= 2;
    }
    char *bytes = syno_xmalloc(len + 1);
    m->link->recv(*source, *tag, bytes, len);
    syno_buf_clear(data);
    syno_buf_add(data, bytes, len);
    syno_buf_putc(data, 0); /* the buffer's data exists even for an empty message */
    data->len = len;
    free(bytes);
    return true;
}

/* Ends MPI (see mpi.h). */
void syno_mpi_end(syno_mpi *m)
{
    if (!m) return;
    if (m->world.rank == 0)
        for (int w = 1; w < m->world.size; w++) syno_mpi_send(m, w, SYNO_MPI_STOP, "", 0);
    m->link->finalize();
    free(m);
}
