/* bench.h - `syno bench`: one report for every backend, and how the CPU
 * executor is measured.
 *
 * interp/cmd_bench.c reads the command line and asks a backend for its
 * figures: the CPU executor next to its baseline (syno_bench_cpu, in
 * bench_cpu.c) or the GPU (codegen/cuda_bench.h, turned into a report by
 * syno_bench_report_cuda).  Either way the result is one syno_bench_report,
 * which bench_report.c prints as text or JSON; the fields a backend does
 * not measure stay out of its report. */
#ifndef SYNO_BENCH_H
#define SYNO_BENCH_H

#include "base/buf.h"
#include "codegen/cuda_bench.h"
#include "lang/graph.h"

/* One line of the report per stage (cpu: "forward stage 1" and how the
 * executor runs it) or per kernel source (cuda: the pass and its tiling). */
typedef struct syno_bench_part {
    char *label, *text;
} syno_bench_part;

typedef struct syno_bench_report {
    const char *op;           /* the operator's name (borrowed) */
    char *binding;            /* "N=8, C_in=64, ..." */
    const char *backend;      /* "cpu" or "cuda" */
    bool grad;                /* forward + every gradient per call */
    int repeat, warmup;       /* timed calls, untimed calls first */
    double median_s, min_s;   /* seconds per call */
    double flops, plan_flops; /* per call: direct evaluation, the plan */
    syno_bench_part *parts;
    int nparts;
    /* cpu only */
    int threads;
    double cpu_s;             /* processor seconds per call, all threads */
    bool baseline_wanted;     /* false after --no-baseline */
    char *baseline;           /* the baseline's name, or NULL when it did not run */
    char *baseline_why;       /* why not, when wanted */
    double base_median_s, base_min_s, max_rel_diff;
    int base_runs;
    /* cuda only */
    char *device;
    int arch, kernels, sources;
    double cold_ms, warm_ms, prepare_ms; /* per source */
} syno_bench_report;

/* The options of one measurement. */
typedef struct syno_bench_opts {
    bool grad, baseline;
    int repeat, warmup, threads; /* threads 0: the default */
    uint64_t seed;
} syno_bench_opts;

/* Measures OP (finished, error-free) under B on the CPU executor, and its
 * baseline unless O->baseline is false, into R (release with
 * syno_bench_report_fini).  False after appending why to ERR (the executor
 * cannot run OP, a gradient fails); a baseline that cannot run is not a
 * failure (R->baseline_why says why). */
bool syno_bench_cpu(const syno_op *op, const syno_binding *b, const syno_bench_opts *o, syno_bench_report *r,
                    syno_buf *err);

/* Starts R for OP under B measured on BACKEND with options O: the fields
 * every backend reports; the measurement fills the rest. */
void syno_bench_report_init(syno_bench_report *r, const syno_op *op, const syno_binding *b, const char *backend,
                            const syno_bench_opts *o);

/* Fills R from the GPU measurement C of OP under B (R borrows nothing from
 * C). */
void syno_bench_report_cuda(const syno_op *op, const syno_binding *b, const syno_bench_opts *o,
                            const syno_cuda_bench_result *c, syno_bench_report *r);

/* Appends R as text, or as one JSON object, to OUT. */
void syno_bench_report_text(const syno_bench_report *r, syno_buf *out);
void syno_bench_report_json(const syno_bench_report *r, syno_buf *out);

/* Releases what R owns. */
void syno_bench_report_fini(syno_bench_report *r);

#endif
