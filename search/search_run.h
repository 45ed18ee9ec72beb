/* search_run.h - `syno search`: the driver that runs an algorithm over the
 * synthesis space of a spec, evaluates its candidates, records them in the
 * results store, writes the best operators as .syno files and resumes a
 * killed search. */
#ifndef SYNO_SEARCH_RUN_H
#define SYNO_SEARCH_RUN_H

#include "lang/diag.h"
#include "lang/spec.h"
#include "search/evalpool.h"
#include "search/run_info.h"
#include "search/store.h"

#include <stdio.h>

typedef struct syno_search_opts {
    const char *spec_path;  /* the spec's file (for the defaults and the records) */
    const char *db;         /* the store; NULL: results.db next to the spec file */
    const char *out_dir;    /* where .syno files go; NULL: results/ next to the store */
    int algorithm;          /* a syno_algorithm, or -1 for the spec's */
    bool seed_set;
    uint64_t seed;          /* when seed_set, else the spec's */
    int iterations;         /* candidates to evaluate in all (0: the spec's) */
    int jobs;               /* evaluations at a time (the local pool's) */
    syno_evalpool *pool;        /* where evaluations run (borrowed); NULL: a local pool of JOBS */
    bool resume;            /* continue the search recorded in the store */
    bool progress;          /* a progress line on stderr */
    int top;                /* rows of the summary and files kept up to date (0: 10) */
    FILE *out;              /* the summary (stdout) */
} syno_search_opts;

/* Reference values, the arrays REF below: the baseline's value of every
 * metric (NaN when unknown), then the mean accuracy of the baseline's
 * confirmation runs (NaN when none). */
#define SYNO_REF_CONFIRMED SYNO_METRIC_COUNT
#define SYNO_REF_COUNT (SYNO_METRIC_COUNT + 1)

/* Fills REF (SYNO_REF_COUNT values) from store S: the "reference" meta
 * value and the baseline's confirmation runs.  False when S has no
 * reference (REF is then all NaN). */
bool syno_search_refs_load(syno_store *s, double *ref);

/* Runs the search of SPEC with options O.  Problems with the input (the
 * spec, the store, a changed spec on resume) are reported into D.
 * Returns an exit status (0 when the search ran). */
int syno_search_run(const syno_spec *spec, const syno_search_opts *o, syno_diags *d);

/* The confirmation stage (driver_confirm.c): trains the spec's `confirm`
 * best successful candidates of S and its baseline again, once per seed 2
 * .. seeds+1, on the whole test set, as jobs of POOL (as many at a time as
 * it takes), recording every run in S as it finishes; runs already
 * recorded are not repeated, so a killed search resumes here too.  With
 * PROGRESS, a progress line goes to stderr.  With CLOCK (the run's, or
 * NULL), the runs under way and the times are recorded in S as they go
 * (run_info.h).  False with the reason in ERR when the store cannot
 * record or the pool failed. */
bool syno_search_confirm(syno_store *s, const syno_spec *spec, syno_evalpool *pool, bool progress,
                         const syno_run_clock *clock, syno_buf *err);

/* Prints the confirmed candidates of S, best confirmed accuracy first, with
 * their FLOPs ratio, proxy accuracy and confirmed accuracy with its points
 * from the confirmed accuracy of the baseline (named BASELINE, values in
 * REF, NULL when none), to OUT.  Prints nothing when none was confirmed. */
void syno_search_print_confirmed(syno_store *s, const char *baseline, const double *ref, FILE *out);

/* The reward of M (reward.c); REF: reference values per metric. */
double syno_search_reward(const syno_spec *spec, const syno_metrics *m, const double *ref);

/* The canonical module of record R (its recorded text) with its operator
 * renamed op_<the first 8 hex digits of its hash>, appended to OUT; the
 * name into NAME.  The text is as recorded: it may not load. */
void syno_search_op_module(const syno_record *r, char name[32], syno_buf *out);

/* Layer L of SPEC as a binding of OP's variables (by name; coefficients
 * OP declares keep their values where the layer gives none) into *B. */
void syno_search_layer_binding(const syno_spec *spec, int l, const syno_op *op, syno_binding *b);

/* Writes the .syno file of record R (its canonical text, a header with its
 * metrics per layer and relative to the reference REF, the formula, and
 * bind blocks for the layers) into DIR as op_HASH.syno.  Returns the path
 * (a new string) or NULL with the reason in ERR. */
char *syno_search_write_result(const char *dir, const syno_spec *spec, const char *spec_path, const syno_record *r,
                               const double *ref, syno_buf *err);

/* Makes sure the TOP best successful candidates of S have their file in
 * DIR (written from the recorded canonical text when missing), and
 * rewrites the files of the confirmed ones. */
void syno_search_keep_files(syno_store *s, int top, const syno_spec *spec, const char *spec_path, const char *dir,
                            const double *ref);

/* Prints the table of the best candidates of S (at most TOP) to OUT, with
 * ratios to REF (NaN: none). */
void syno_search_print_table(syno_store *s, int top, const double *ref, FILE *out);

#endif
