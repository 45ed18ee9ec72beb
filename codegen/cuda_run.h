/* cuda_run.h - running GPU programs (cuda_prog.h) on a device.
 *
 * A runtime is one open GPU with its kernel cache (cuda_cache.h) and the
 * modules loaded from it: a program's sources are compiled (or found in the
 * cache), loaded once per context and shared by every executable that uses
 * them (reference counts).  An executable is a program made ready to run:
 * its kernels resolved and its buffers allocated on the device; the caller
 * uploads inputs, runs, downloads the result, as often as it likes.
 *
 * Failure leaves the runtime usable: a kernel that does not compile, a
 * device out of memory or a launch that does not fit gives a message and a
 * NULL/false; a kernel that faults (sticky error) resets the context
 * (cuda_exec.h), which drops every loaded module and invalidates every
 * executable of the old context: those report it when used, and new ones
 * work.  One runtime per thread at a time (the search's latency evaluator
 * runs candidates one after another). */
#ifndef SYNO_CUDA_RUN_H
#define SYNO_CUDA_RUN_H

#include "codegen/cuda_cache.h"
#include "codegen/cuda_exec.h"
#include "codegen/cuda_prog.h"

typedef struct syno_cuda_rt syno_cuda_rt;
typedef struct syno_cuda_exe syno_cuda_exe;

/* Opens GPU ORDINAL with the kernel cache CACHE_DIR (NULL: the default
 * directory, cuda_cache.h).  NULL with the reason in ERR when there is no
 * usable GPU or no NVRTC. */
syno_cuda_rt *syno_cuda_rt_open(int ordinal, const char *cache_dir, syno_buf *err);
void syno_cuda_rt_close(syno_cuda_rt *rt);

/* The process's shared runtime on GPU 0 (opened on first use, closed at
 * exit), or NULL with the reason in ERR (the same reason every time). */
syno_cuda_rt *syno_cuda_rt_shared(syno_buf *err);

syno_cuda_dev *syno_cuda_rt_dev(syno_cuda_rt *rt);
syno_cuda_cache *syno_cuda_rt_cache(syno_cuda_rt *rt);

/* What making executables has cost so far. */
typedef struct syno_cuda_rt_stats {
    int compiled, from_disk, from_memory; /* kernel images by origin */
    double compile_ms;                    /* NVRTC time (cold compiles) */
    double load_ms;                       /* cache lookups and module loads (warm) */
    int modules;                          /* modules loaded now */
} syno_cuda_rt_stats;
syno_cuda_rt_stats syno_cuda_rt_get_stats(syno_cuda_rt *rt);

/* Makes P (borrowed: it must outlive the executable) ready to run: every
 * source compiled or taken from the cache, loaded, every kernel resolved,
 * every buffer allocated.  NULL with the reason in ERR. */
syno_cuda_exe *syno_cuda_exe_new(syno_cuda_rt *rt, const syno_cuda_prog *p, syno_buf *err);
void syno_cuda_exe_free(syno_cuda_exe *e);

/* Copies NUMEL floats (the buffer's size) to or from buffer BUF. */
bool syno_cuda_exe_upload(syno_cuda_exe *e, int buf, const float *host, syno_buf *err);
bool syno_cuda_exe_download(syno_cuda_exe *e, int buf, float *host, syno_buf *err);

/* Fills every input buffer of E (TENSOR and DY) with uniform values in
 * [-1, 1) from SEED: for timing, where values do not matter. */
bool syno_cuda_exe_randomize(syno_cuda_exe *e, uint64_t seed, syno_buf *err);

/* Runs every launch of the program in order and waits for them. */
bool syno_cuda_exe_run(syno_cuda_exe *e, syno_buf *err);

/* Times the program: WARMUP runs, then REPS runs each timed with GPU
 * events; *MEDIAN_MS (and *MIN_MS, may be NULL) over the REPS. */
bool syno_cuda_exe_time(syno_cuda_exe *e, int warmup, int reps, double *median_ms, double *min_ms, syno_buf *err);

#endif
