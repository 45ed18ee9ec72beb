/* external.h - the external evaluator: a user's command, run once per
 * candidate operator, that trains it however the user likes and prints its
 * accuracy.
 *
 * The command is a template for /bin/sh with placeholders, each replaced
 * by one shell word (already quoted: do not quote it again):
 *   {pytorch}  path of the operator exported as a PyTorch module
 *              (codegen/pytorch.h; sizes left to the constructor)
 *   {syno}     path of the operator as a .syno file, with one bind block
 *              per layer
 *   {layers}   the layer bindings as JSON: [{"name": "fmnist_l1", "N": 64,
 *              "C_in": 16, ...}, ...] (every size variable the operator uses)
 *   {hash}     the candidate's canonical hash (16 hex digits)
 *   {dir}      the candidate's scratch directory (holds the files above)
 *   {{ and }}  literal braces
 * The last non-empty line the command prints on standard output is the
 * result: a number (the accuracy, in [0, 1]) or a JSON object with at
 * least "accuracy" (other numeric members are kept as extra metrics).
 * A command that exits with a nonzero status, prints no usable last line,
 * or runs past its time limit (it is killed, with its whole process group)
 * is a failed evaluation with the reason recorded; nothing of it is fatal. */
#ifndef SYNO_EXTERNAL_H
#define SYNO_EXTERNAL_H

#include "lang/graph.h"

#define SYNO_EXTERNAL_MAX_EXTRA 8

typedef struct syno_external_result {
    bool ok;
    char reason[512];        /* why it failed */
    double accuracy;         /* NaN when it failed */
    int nextra;              /* other numeric members of a JSON result */
    char extra_name[SYNO_EXTERNAL_MAX_EXTRA][32];
    double extra[SYNO_EXTERNAL_MAX_EXTRA];
    char last_line[512];     /* the result line as printed (truncated) */
    int exit_status;         /* exit status, or -signal when killed */
    bool timed_out;
    double seconds;
} syno_external_result;

/* Checks TEMPLATE: every placeholder known, braces balanced.  False with
 * the problem in ERR (a usage error for the caller to report). */
bool syno_external_check(const char *templ, syno_buf *err);

/* Runs TEMPLATE for OP (finished, error-free) under the NLAYERS layer
 * bindings LAYERS (over op->vars) named NAMES, with canonical hash HASH
 * and training seed SEED ({seed}: 1 in the search, 2, 3, ... when the
 * best are confirmed), for at most TIMEOUT seconds (0: no limit).  The scratch directory is
 * made under $TMPDIR (else /tmp) and removed afterwards unless the run
 * failed and KEEP_FAILED is set (its path is then in the reason).  Fills
 * R; returns R->ok. */
bool syno_external_run(const char *templ, const syno_op *op, const syno_binding *layers, const char *const *names,
                       int nlayers, uint64_t hash, uint64_t seed, double timeout, bool keep_failed,
                       syno_external_result *r);

/* Parses LINE as an evaluator's result into R (accuracy and extras);
 * false with R->reason set when it is neither a number in [0, 1] nor a
 * JSON object with a numeric "accuracy" in [0, 1]. */
bool syno_external_parse(const char *line, syno_external_result *r);

#endif
