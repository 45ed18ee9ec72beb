/* cuda_bench.h - `syno bench --backend cuda`: an operator's speed on the
 * GPU, and what its kernels cost to compile (cold) and to load from the
 * kernel cache (warm).  This measures and returns the figures;
 * interp/cmd_bench.c reads the command line and prints them in the one
 * report of every backend (interp/bench.h). */
#ifndef SYNO_CUDA_BENCH_H
#define SYNO_CUDA_BENCH_H

#include "base/buf.h"
#include "lang/graph.h"

typedef struct syno_cuda_bench_opts {
    bool grad;        /* time forward + every gradient per call */
    bool tune;        /* measure tilings not yet in the cache (else cached or heuristic) */
    int repeat, warmup;
    uint64_t seed;
} syno_cuda_bench_opts;

/* One kernel source of the measured programs: what it computes ("forward
 * of conv2d, stage 1 of 2") and its tiling. */
typedef struct syno_cuda_bench_source {
    char what[160];
    char tiling[64];
} syno_cuda_bench_source;

typedef struct syno_cuda_bench_result {
    char device[256];          /* GPU 0's name */
    int arch;                  /* its compute capability, 90 for sm_90 */
    double median_ms, min_ms;  /* per call, every pass */
    double direct_flops, plan_flops;
    int nkernels, nsrcs;
    double cold_ms;            /* NVRTC compile per source, the cache bypassed */
    double warm_ms;            /* load per source from the disk cache (NaN: none) */
    double prepare_ms;         /* building, compiling or loading and tuning, in all */
    syno_cuda_bench_source *srcs; /* nsrcs of them */
} syno_cuda_bench_result;

/* Times OP (finished, error-free) under binding B on GPU 0: WARMUP
 * untimed calls, then the median and minimum of REPEAT calls timed with
 * GPU events; cold NVRTC compile time per kernel (each source compiled
 * again, bypassing the cache) and warm load time per kernel (a second
 * runtime reading the disk cache).  Fills R (release with
 * syno_cuda_bench_result_fini) and returns true, or returns false after
 * appending why to ERR (no GPU, a kernel that fails; R is then empty). */
bool syno_cuda_bench(const syno_op *op, const syno_binding *b, const syno_cuda_bench_opts *o,
                     syno_cuda_bench_result *r, syno_buf *err);

/* Releases what R owns. */
void syno_cuda_bench_result_fini(syno_cuda_bench_result *r);

#endif
