/* cuda_load.h - run-time loading of the CUDA driver and of NVRTC.
 *
 * syno never links libcuda, and does not need NVRTC at link time either:
 * both are dlopen'ed on first use, their entry points looked up by the exact
 * exported names of cuda_fns.def.  Each library is loaded at most once per
 * process (thread-safe); when it cannot be used, the loader keeps a sentence
 * that says why ("libcuda.so.1: cannot open shared object file: ...",
 * "the CUDA driver is the toolkit's stub library ...", "no CUDA device"),
 * which the GPU tests print as their SKIP reason and `syno --version` shows.
 *
 * Where the libraries come from:
 *  - driver: $SYNO_CUDA_LIBRARY if set (a path; tests force the toolkit's
 *    stub with it), else "libcuda.so.1" (never the unversioned libcuda.so,
 *    which is a development symlink or the stub);
 *  - NVRTC: $SYNO_NVRTC_LIBRARY if set ("none" disables NVRTC), else
 *    libnvrtc.so.13 then libnvrtc.so.12 on the loader path, then the same
 *    names under $CUDA_HOME/lib64, the toolkit configure found, and
 *    /usr/local/cuda/lib64.  NVRTC's libnvrtc-builtins is preloaded from the
 *    directory NVRTC came from, since NVRTC fails with
 *    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE when it cannot find it. */
#ifndef SYNO_CUDA_LOAD_H
#define SYNO_CUDA_LOAD_H

#include "codegen/cuda_api.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct syno_cuda_driver {
    void *lib;
    char path[512];      /* the file dlopen found (from dlinfo) */
    int version;         /* cuDriverGetVersion: 13000 for CUDA 13.0 */
    int ndevices;        /* cuDeviceGetCount after cuInit */
#define SYNO_CUDA_FN(lib, ret, name, sym, alt, params) SYNO_CUDA_FN_##lib(ret, name, params)
#define SYNO_CUDA_FN_DRV(ret, name, params) ret (*name) params;
#define SYNO_CUDA_FN_NVRTC(ret, name, params)
#include "codegen/cuda_fns.def"
#undef SYNO_CUDA_FN_DRV
#undef SYNO_CUDA_FN_NVRTC
#undef SYNO_CUDA_FN
} syno_cuda_driver;

typedef struct syno_nvrtc {
    void *lib;
    char path[512];
    int major, minor;    /* nvrtcVersion */
    int narchs;          /* the real architectures it compiles for (75, 80, ..., 90, ...) */
    int archs[64];
#define SYNO_CUDA_FN(lib, ret, name, sym, alt, params) SYNO_CUDA_FN_##lib(ret, name, params)
#define SYNO_CUDA_FN_DRV(ret, name, params)
#define SYNO_CUDA_FN_NVRTC(ret, name, params) ret (*name) params;
#include "codegen/cuda_fns.def"
#undef SYNO_CUDA_FN_DRV
#undef SYNO_CUDA_FN_NVRTC
#undef SYNO_CUDA_FN
} syno_nvrtc;

/* The CUDA driver, loaded and initialised (cuInit(0) succeeded and at least
 * one device exists), or NULL.  On NULL, *WHY (when WHY is not NULL) points
 * to a static sentence saying why it is unavailable.  Loaded once per
 * process; later calls return the same answer. */
const syno_cuda_driver *syno_cuda_driver_get(const char **why);

/* NVRTC, loaded, or NULL with *WHY set as for syno_cuda_driver_get. */
const syno_nvrtc *syno_cuda_nvrtc_get(const char **why);

/* True when NVRTC can compile for sm_ARCH (e.g. 90) directly to a CUBIN. */
bool syno_cuda_nvrtc_has_arch(const syno_nvrtc *n, int arch);

/* Appends "NAME (N): description" for R to OUT, using the driver's own
 * description when DRV is given and provides one. */
void syno_cuda_result_describe(const syno_cuda_driver *drv, syno_curesult r, syno_buf *out);

/* Writes what `syno --version` says about CUDA: one line for NVRTC and one
 * for the driver (version, library path, devices), or why each is not
 * available.  Loads both libraries if that has not happened yet. */
void syno_cuda_print_version(FILE *f);

#endif
