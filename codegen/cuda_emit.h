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
 * The text is self-contained (no #include), readable (iterators carry the
 * operator's dim names), compiles with NVRTC and with nvcc as it is, and
 * sticks to the C subset of CUDA C++ so that tests can also compile it as C
 * and run it on the CPU (tests/unit/cuda_emu.h). */
#ifndef SYNO_CUDA_EMIT_H
#define SYNO_CUDA_EMIT_H

#include "codegen/cuda_contr.h"

/* How to compute a contraction: bm == 0 is the direct kernel. */
typedef struct syno_cuda_tile {
    int bm, bn, bk, tm, tn;   /* tile and per-thread block; threads = (bm/tm)·(bn/tn) */
    int splitk;               /* pieces of the K range (1: none) */
} syno_cuda_tile;

/* What the host does to run the emitted code. */
typedef struct syno_cuda_launch {
    char kernel[112];         /* the main kernel's name */
    unsigned grid[3], block[3];
    int64_t workspace;        /* floats of split-K workspace (0: none) */
    char reduce[120];         /* split-K: the summing kernel, run after the main one */
    unsigned rgrid, rblock;   /* its grid and block (1-D) */
    double flops;             /* useful FLOPs (2 per multiply-add) */
} syno_cuda_launch;

/* The GEMM view of a contraction (syno_cuda_gemm_analyze). */
typedef struct syno_cuda_gemm {
    bool ok;                  /* a tiled kernel applies */
    int side[SYNO_CUDA_MAX_OPERANDS];     /* 0: A, 1: B */
    int gside[SYNO_CUDA_MAX_GUARDS];      /* which side's loads apply each guard */
    int nm, nn, nb, nk;       /* iterators of each class, listed outer to inner below */
    int m[SYNO_IX_MAX_ITERS], n[SYNO_IX_MAX_ITERS], b[SYNO_IX_MAX_ITERS], k[SYNO_IX_MAX_ITERS];
    int64_t M, N, B, K;       /* products of their extents */
    bool a_mfast, b_nfast;    /* consecutive threads load along m (else k) / along n (else k) */
} syno_cuda_gemm;

/* Classifies C's iterators and operands for the tiled kernel.  G->ok is
 * false when no split of the operands into two sides exists, or when the
 * product would be too thin to be worth tiling. */
void syno_cuda_gemm_analyze(const syno_cuda_contr *c, syno_cuda_gemm *g);

/* Whether tile T is valid for C (sizes, thread count, grid limits). */
bool syno_cuda_tile_valid(const syno_cuda_contr *c, const syno_cuda_gemm *g, const syno_cuda_tile *t);

/* The tuner's candidates for C: the direct kernel first, then the valid
 * tilings and split-K factors.  Fills at most MAX entries of OUT and
 * returns how many. */
int syno_cuda_tile_candidates(const syno_cuda_contr *c, syno_cuda_tile *out, int max);

/* A rough throughput model of tiling T (not the direct kernel) for C on a
 * GPU with SMS multiprocessors, in (0, 1]: the useful fraction of the
 * tiles, how evenly the blocks fill the multiprocessors (waves), how much
 * a thread's register block reuses shared memory, a small cost per
 * split-K piece.  Ranks candidates for the heuristic and the tuner. */
double syno_cuda_tile_score(const syno_cuda_contr *c, const syno_cuda_tile *t, int sms);

/* A good tiling without measuring, for a GPU with SMS multiprocessors:
 * the direct kernel when no tiling applies or the sum is too short (K <
 * 32: too little work per element to amortise the tiles), else the
 * candidate syno_cuda_tile_score ranks first. */
syno_cuda_tile syno_cuda_tile_default(const syno_cuda_contr *c, int sms);

/* "direct" or "128x128x8/8x8" (+ "/split4"), into BUF. */
const char *syno_cuda_tile_str(const syno_cuda_tile *t, char *buf, size_t n);

/* Parses syno_cuda_tile_str's format; false when S is not one. */
bool syno_cuda_tile_parse(const char *s, syno_cuda_tile *t);

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
