/* cuda_emit.h - CUDA C for one contraction (cuda_contr.h).
 *
 * Two kernel shapes:
 *
 *  - direct: one thread per result element (a grid-stride loop), the
 *    summed iterators as nested loops, every index and guard computed at
 *    the outermost loop where its iterators are bound.  Always valid; the
 *    fallback and the right choice for small or thin contractions.
 *
 *  - tiled (implicit GEMM): when the operands split into two sides, A
 *    reading the "M" result iterators and B the "N" ones (iterators both
 *    read are a batch, on gridDim.z), the contraction is a batched matrix
 *    product Σ_k A[m,k]·B[k,n] whose A and B elements are gathered on the
 *    fly (unfold windows, shifts and reshapes are index arithmetic, guards
 *    give zeros: no im2col buffer).  BM×BK and BK×BN tiles go through
 *    double-buffered shared memory, the next tile's global loads overlap
 *    the current tile's FMAs, each thread accumulates a TM×TN block in
 *    registers with FP32 FMA (no TF32).  Split-K runs the K range in
 *    pieces into a workspace and a second kernel sums the pieces in a
 *    fixed order (deterministic, no atomics).
 *
 * Which shape and tiling a contraction gets is cuda_tile.h's question.
 *
 * The text is self-contained (no #include), readable (iterators carry the
 * operator's dim names), compiles with NVRTC and with nvcc as it is, and
 * sticks to the C subset of CUDA C++ so that tests can also compile it as C
 * and run it on the CPU (tests/unit/cuda_emu.h). */
#ifndef SYNO_CUDA_EMIT_H
#define SYNO_CUDA_EMIT_H

#include "codegen/cuda_contr.h"
#include "codegen/cuda_tile.h"

/* What the host does to run the emitted code. */
typedef struct syno_cuda_launch {
    char kernel[112];         /* the main kernel's name */
    unsigned grid[3], block[3];
    int64_t workspace;        /* floats of split-K workspace (0: none) */
    char reduce[120];         /* split-K: the summing kernel, run after the main one */
    unsigned rgrid, rblock;   /* its grid and block (1-D) */
    double flops;             /* useful FLOPs (2 per multiply-add) */
} syno_cuda_launch;

/* When true, every kernel computes its indices in 64 bits, as kernels
 * over tensors of more than 2^30 elements do.  For tests (which cannot
 * allocate such tensors); false by default.  Not thread-safe to change. */
extern bool syno_cuda_emit_wide;

/* Appends the shared prelude (helpers every kernel uses) to OUT. */
void syno_cuda_emit_prelude(syno_buf *out);

/* Appends the kernel(s) computing C with tiling T to OUT (no prelude), and
 * fills *L with how to launch them.  The kernel parameters are the result
 * (or the split-K workspace) first, then C's operands in order; the
 * split-K reduce kernel takes (result, workspace).  Returns false with a
 * reason in ERR when T is not valid for C. */
bool syno_cuda_emit(const syno_cuda_contr *c, const syno_cuda_tile *t, syno_buf *out, syno_cuda_launch *l,
                    syno_buf *err);

#endif
