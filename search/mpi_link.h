/* mpi_link.h - the interface between syno and its MPI plugin, syno-mpi.so
 * (search/mpi_plugin.c), which syno loads only for `--mpi`: the plain
 * `syno` binary does not link the MPI library, so it starts as fast as
 * without MPI and never runs MPI's library constructors.
 *
 * The plugin uses nothing of syno (only MPI and the C library) and syno
 * nothing of MPI: messages are bytes with a tag, between ranks of
 * MPI_COMM_WORLD.  The plugin exports one symbol, SYNO_MPI_LINK_SYMBOL, a
 * syno_mpi_link whose VERSION must be SYNO_MPI_LINK_VERSION. */
#ifndef SYNO_SEARCH_MPI_LINK_H
#define SYNO_SEARCH_MPI_LINK_H

#include <stdbool.h>
#include <stddef.h>

#define SYNO_MPI_LINK_VERSION 1
#define SYNO_MPI_LINK_SYMBOL "syno_mpi_link_v1"

/* Where this process is in the job. */
typedef struct syno_mpi_world {
    int rank, size;                 /* in MPI_COMM_WORLD */
    int node_index, node_workers;   /* among the ranks other than 0 on this node (the shared-memory split) */
    int nodes;                      /* nodes of the job (distinct shared-memory domains) */
    char host[64];                  /* this node's name */
    char library[128];              /* the MPI library's version line */
} syno_mpi_world;

typedef struct syno_mpi_link {
    int version;                    /* SYNO_MPI_LINK_VERSION */
    /* Initializes MPI (MPI_THREAD_FUNNELED) with ARGC/ARGV, installs the
     * error handler (one line on stderr naming the rank and host, then
     * MPI_Abort) and fills W.  False with the reason in ERR (LEN bytes). */
    bool (*init)(int *argc, char ***argv, syno_mpi_world *w, char *err, size_t len);
    /* Sends LEN bytes of DATA to rank TO with TAG: returns at once (DATA
     * is copied and may be reused); messages from one rank to another
     * arrive in the order sent, and finalize waits for those in flight. */
    void (*send)(int to, int tag, const void *data, size_t len);
    /* A message waiting for this rank from FROM (-1: any rank), without
     * blocking: true with its source, tag and length. */
    bool (*probe)(int from, int *source, int *tag, size_t *len);
    /* Receives the message found by probe into DATA (LEN bytes). */
    void (*recv)(int source, int tag, void *data, size_t len);
    /* Ends MPI in this process (every rank calls it). */
    void (*finalize)(void);
    /* Ends the whole job at once with exit status CODE. */
    void (*abort)(int code);
} syno_mpi_link;

#endif
