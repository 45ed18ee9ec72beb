/* proc.h - running another program as a child process with a time limit:
 * its standard output captured (the end of it), its standard input and
 * standard error from and to files, and the child killed with its whole
 * process group when it runs past the limit.  Used by the external
 * evaluator (train/external.c) and by `syno report` for Graphviz. */
#ifndef SYNO_PROC_H
#define SYNO_PROC_H

#include "base/buf.h"

typedef struct syno_proc_result {
    int exit_status; /* its exit status; -SIGNAL when a signal ended it; -1 when it did not run (ERROR says why) */
    bool timed_out;  /* it ran past the limit and was killed */
    bool truncated;  /* it printed more than KEEP bytes: OUT holds the last KEEP of them */
    double seconds;  /* wall time */
    char error[256]; /* why it did not run (pipe, fork); empty otherwise */
} syno_proc_result;

/* Runs ARGV (ARGV[0] looked up in PATH; a NULL-terminated list) in a new
 * process group, its standard input from IN_PATH and its standard error
 * into ERR_PATH (each /dev/null when NULL), for at most TIMEOUT seconds
 * (0: no limit; past it the group gets SIGTERM, then SIGKILL).  OUT is
 * cleared, then receives what it prints on standard output, of which at
 * most the last KEEP bytes (KEEP > 0) are kept.  A program that cannot be executed exits
 * with status 127, as in the shell.  Whatever the group leaves running
 * when the child exits is killed.  Fills R; never fails otherwise. */
void syno_proc_run(const char *const argv[], const char *in_path, const char *err_path, double timeout, size_t keep,
                   syno_buf *out, syno_proc_result *r);

#endif
