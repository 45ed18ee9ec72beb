/* cuda_jit.h - CUDA C to GPU code with NVRTC.
 *
 * A kernel source is compiled to a CUBIN for the device's exact
 * architecture (sm_90 on H100/H200) when NVRTC knows that architecture, and
 * to PTX for the newest architecture it knows below it otherwise (the
 * driver then finishes the job at load time).  A failed compilation returns
 * NVRTC's log under a headline that names the kernel, the architecture and
 * the NVRTC result.  NVRTC needs no GPU, so all
 * of this runs (and is tested) on machines without one. */
#ifndef SYNO_CUDA_JIT_H
#define SYNO_CUDA_JIT_H

#include "base/buf.h"

typedef enum syno_cuda_target {
    SYNO_CUDA_CUBIN, /* machine code for exactly sm_<arch> */
    SYNO_CUDA_PTX,   /* virtual code for compute_<arch> */
} syno_cuda_target;

/* Compiled code, owned by whoever holds the image (syno_cuda_image_fini). */
typedef struct syno_cuda_image {
    syno_cuda_target target;
    int arch;            /* 90 for sm_90 / compute_90 */
    unsigned char *data; /* CUBIN (ELF) or PTX text, NUL-terminated for PTX */
    size_t size;         /* bytes, the PTX's terminating NUL included */
    double compile_ms;   /* wall time NVRTC took (0 for cached images) */
    char *ptx;           /* syno_cuda_jit_compile_ex with WANT_PTX: the PTX of a CUBIN compile */
} syno_cuda_image;

/* What to build for a device of architecture ARCH (e.g. 90): *TARGET and
 * *CODE_ARCH become CUBIN/ARCH when NVRTC supports sm_ARCH, else PTX for the
 * newest architecture NVRTC supports that is not newer than ARCH.  Returns
 * false with a reason in ERR when NVRTC is missing or knows no suitable
 * architecture. */
bool syno_cuda_jit_choose(int arch, syno_cuda_target *target, int *code_arch, syno_buf *err);

/* The NVRTC options syno compiles with for TARGET/ARCH, one string with
 * spaces; part of every cache key. */
void syno_cuda_jit_options(syno_cuda_target target, int arch, syno_buf *out);

/* Compiles SRC (a complete CUDA C translation unit; NAME is its file name
 * in messages) to TARGET for ARCH.  On success fills *IMG (the caller owns
 * it) and returns true.  On failure returns false and appends to ERR a
 * message naming the kernel, the architecture and NVRTC's result, then the
 * compiler log (NVRTC quotes each offending source line under a caret). */
bool syno_cuda_jit_compile(const char *src, const char *name, syno_cuda_target target, int arch, syno_cuda_image *img,
                           syno_buf *err);

/* As syno_cuda_jit_compile, with EXTRA (NEXTRA strings) appended to the
 * options, and NVRTC's log (warnings, ptxas -v statistics) appended to LOG
 * (may be NULL) whether or not the compilation succeeds.  With WANT_PTX,
 * IMG->ptx also gets the PTX NVRTC made on the way (one compile, both
 * forms). */
bool syno_cuda_jit_compile_ex(const char *src, const char *name, syno_cuda_target target, int arch,
                              const char *const *extra, int nextra, bool want_ptx, syno_cuda_image *img, syno_buf *log,
                              syno_buf *err);

/* Frees the code of IMG and zeroes it. */
void syno_cuda_image_fini(syno_cuda_image *img);

/* "sm_90" or "compute_90" for IMG's target and arch (static per-thread buffer). */
const char *syno_cuda_target_name(syno_cuda_target target, int arch);

#endif
