/* mpi_errhandler.c - for tests/search_mpi.sh: loads syno's MPI plugin
 * (search/mpi_link.h) as syno does and makes an MPI call fail on rank 0
 * (a send to a rank that does not exist), so that the test sees what the
 * error handler prints.  Usage, under mpirun: mpi_errhandler PLUGIN. */
#include "search/mpi_link.h"

#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mpi_errhandler PLUGIN\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    const syno_mpi_link *l = h ? dlsym(h, SYNO_MPI_LINK_SYMBOL) : NULL;
    if (!l) {
        fprintf(stderr, "mpi_errhandler: %s\n", dlerror());
        return 2;
    }
    syno_mpi_world w;
    char err[256];
    if (!l->init(&argc, &argv, &w, err, sizeof err)) {
        fprintf(stderr, "mpi_errhandler: %s\n", err);
        return 2;
    }
    if (w.rank == 0) l->send(w.size + 5, 1, "x", 1); /* no such rank: the handler ends the job */
    l->finalize();
    return 0;
}
