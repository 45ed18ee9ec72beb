/* search_run.h - `syno search`: the driver that runs an algorithm over the
 * synthesis space of a spec, evaluates its candidates, records them in the
 * results store, writes the best operators as .syno files and resumes a
 * killed search. */
#ifndef SYNO_SEARCH_RUN_H
#define SYNO_SEARCH_RUN_H

#include "lang/diag.h"
#include "lang/spec.h"
#include "search/evaluate.h"
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
    int jobs;               /* evaluations at a time */
    bool resume;            /* continue the search recorded in the store */
    bool progress;          /* a progress line on stderr */
    int top;                /* rows of the summary and files kept up to date (0: 10) */
    FILE *out;              /* the summary (stdout) */
} syno_search_opts;

/* Runs the search of SPEC with options O.  Problems with the input (the
 * spec, the store, a changed spec on resume) are reported into D.
 * Returns an exit status (0 when the search ran). */
int syno_search_run(const syno_spec *spec, const syno_search_opts *o, syno_diags *d);

/* The reward of M (reward.c); REF: reference values per metric. */
double syno_search_reward(const syno_spec *spec, const syno_metrics *m, const double *ref);

/* Writes the .syno file of record R (its canonical text, a header with its
 * metrics per layer and relative to the reference REF, the formula, and
 * bind blocks for the layers) into DIR as op_HASH.syno.  Returns the path
 * (a new string) or NULL with the reason in ERR. */
char *syno_search_write_result(const char *dir, const syno_spec *spec, const char *spec_path, const syno_record *r,
                               const double *ref, syno_buf *err);

/* Makes sure the TOP best successful candidates of S have their file in
 * DIR (written from the recorded canonical text when missing). */
void syno_search_keep_files(syno_store *s, int top, const syno_spec *spec, const char *spec_path, const char *dir,
                            const double *ref);

/* Prints the table of the best candidates of S (at most TOP) to OUT, with
 * ratios to REF (NaN: none). */
void syno_search_print_table(syno_store *s, int top, const double *ref, FILE *out);

#endif
