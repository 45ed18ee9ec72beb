/* cuda_bench.h - `syno bench --backend cuda`: an operator's speed on the
 * GPU, and what its kernels cost to compile (cold) and to load from the
 * kernel cache (warm).  interp/cmd_bench.c parses the command line and
 * calls this for the cuda backend. */
#ifndef SYNO_CUDA_BENCH_H
#define SYNO_CUDA_BENCH_H

#include "lang/module.h"

#include <stdio.h>

typedef struct syno_cuda_bench_opts {
    bool grad;        /* time forward + every gradient per call */
    bool json;        /* one JSON object instead of text */
    bool tune;        /* measure tilings not yet in the cache (else cached or heuristic) */
    int repeat, warmup;
    uint64_t seed;
} syno_cuda_bench_opts;

/* Times OP (finished, error-free) under binding B on GPU 0: WARMUP
 * untimed calls, then the median and minimum of REPEAT calls timed with
 * GPU events; GFLOP/s from the FLOPs of direct evaluation (and of the
 * plan); cold NVRTC compile time per kernel (each source compiled again,
 * bypassing the cache) and warm load time per kernel (a second runtime
 * reading the disk cache).  Writes the report to F and returns
 * SYNO_EXIT_OK, or reports into CTX's diagnostics (no GPU, a kernel that
 * fails) and returns SYNO_EXIT_USER. */
int syno_cuda_bench(syno_ctx *ctx, const syno_op *op, const syno_binding *b, const syno_cuda_bench_opts *o, FILE *f);

#endif
