/* run_info.h - what a results store says about the runs of its search
 * beyond the candidates: the machine, whether the search is still running
 * (searching or confirming) and which process runs it, how many
 * evaluations are under way, and the wall and processor time of all its
 * runs together (a resumed search adds to them).  The search driver
 * writes it as it goes (meta keys run_state, run_host, run_process,
 * machine, evaluating, started, finished, wall_seconds, cpu_seconds);
 * `syno report` reads it.  A store written before these keys existed
 * reads as state SYNO_RUN_UNKNOWN with NaN times. */
#ifndef SYNO_RUN_INFO_H
#define SYNO_RUN_INFO_H

#include "search/store.h"

#define SYNO_RUN_STATES(X)                                                                                            \
    X(UNKNOWN, "unknown")       /* an older store: nothing recorded */                                                \
    X(SEARCHING, "searching")   /* the search loop runs */                                                            \
    X(CONFIRMING, "confirming") /* the best are trained again */                                                      \
    X(FINISHED, "finished")     /* the search ended normally */                                                       \
    X(STOPPED, "stopped")       /* it ended with an error, or its process is gone (killed) */

typedef enum syno_run_state {
#define X(e, name) SYNO_RUN_##e,
    SYNO_RUN_STATES(X)
#undef X
} syno_run_state;

extern const char *const syno_run_state_names[];

typedef struct syno_run_info {
    syno_run_state state;
    bool here;           /* the recorded process ran on this machine (so ALIVE is known) */
    bool alive;          /* that process still runs (false when not HERE) */
    long pid;            /* the process of the last run (0: unknown) */
    int evaluating;      /* evaluations under way when last recorded */
    char host[128];      /* the machine's host name ("" unknown) */
    char machine[256];   /* what the machine is: system, processor, CPUs */
    double started;      /* when the first run started (seconds since the epoch; NaN unknown) */
    double finished;     /* when it finished (NaN: not finished, or unknown) */
    double wall, cpu;    /* wall and processor seconds of all runs (NaN unknown) */
} syno_run_info;

/* The clock of one run of the driver: its start and what earlier runs
 * had recorded. */
typedef struct syno_run_clock {
    double wall0, cpu0;         /* this run's start (wall: monotonic; cpu: process and children) */
    double wall_base, cpu_base; /* recorded by earlier runs */
    const double *cpu_elsewhere; /* processor seconds this run spent in other processes (an MPI search's
                                  * workers), kept up to date by the caller; NULL: none */
} syno_run_clock;

/* Records in S that a run starts: this process and machine, state
 * searching, the first start time if none is recorded; starts C (with no
 * CPU_ELSEWHERE: the caller may set it after). */
void syno_run_info_start(syno_store *s, syno_run_clock *c);

/* Records STATE, EVALUATING evaluations under way, and the wall and
 * processor time so far (earlier runs included). */
void syno_run_info_progress(syno_store *s, const syno_run_clock *c, syno_run_state state, int evaluating);

/* Records the end of the run: STATE (finished or stopped), the times, and
 * when it ended. */
void syno_run_info_finish(syno_store *s, const syno_run_clock *c, syno_run_state state);

/* Reads what S records into *I.  A searching or confirming state whose
 * process ran on this machine and is gone reads as SYNO_RUN_STOPPED. */
void syno_run_info_load(syno_store *s, syno_run_info *i);

#endif
