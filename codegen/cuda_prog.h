/* cuda_prog.h - a GPU program: the kernels and launches that compute one
 * plan (an operator's forward pass, or one gradient) on the GPU.
 *
 * A program has buffers (the plan's, plus split-K workspaces), one CUDA
 * source per stage (prelude + the stage's kernels: a self-contained
 * translation unit, which is what the kernel cache compiles and keys) and
 * a list of launches in order.  It is plain data: the executor
 * (cuda_run.h) runs it on a device, `syno export --cuda` prints it, and
 * the tests run it on the CPU emulator.  The tiling of each stage comes
 * from a chooser: the heuristic default, a fixed tile, or the tuner, which
 * times the candidates on the GPU. */
#ifndef SYNO_CUDA_PROG_H
#define SYNO_CUDA_PROG_H

#include "codegen/cuda_emit.h"

struct syno_plan;

typedef enum syno_cuda_buf_kind {
    SYNO_CUDA_BUF_TENSOR, /* operator tensor `tensor` (input) */
    SYNO_CUDA_BUF_DY,     /* the output gradient (input of backward programs) */
    SYNO_CUDA_BUF_TEMP,   /* written by one stage, read by a later one */
    SYNO_CUDA_BUF_RESULT, /* the output, or the gradient */
    SYNO_CUDA_BUF_WORK,   /* split-K partial sums */
} syno_cuda_buf_kind;

typedef struct syno_cuda_pbuf {
    syno_cuda_buf_kind kind;
    int tensor;           /* TENSOR: which; RESULT of a gradient: wrt; else -1 */
    char name[40];
    int64_t numel;
} syno_cuda_pbuf;

typedef struct syno_cuda_src {
    char *text;           /* prelude + kernels (owned) */
    char what[160];       /* "forward of conv2d, stage 1 of 2" */
    syno_cuda_tile tile;
} syno_cuda_src;

#define SYNO_CUDA_MAX_ARGS (SYNO_CUDA_MAX_OPERANDS + 1)

typedef struct syno_cuda_step {
    int src;              /* the source that defines the kernel */
    char kernel[120];
    unsigned grid[3], block[3];
    int nargs;
    int args[SYNO_CUDA_MAX_ARGS]; /* buffers, in parameter order */
    double flops;         /* useful FLOPs of the stage (0 for a split-K sum) */
} syno_cuda_step;

typedef struct syno_cuda_prog {
    int wrt;              /* -1: forward; else the tensor the gradient is for */
    int nbufs, result;
    syno_cuda_pbuf *bufs;
    int nsrcs;
    syno_cuda_src *srcs;
    int nsteps;
    syno_cuda_step *steps;
    double flops;         /* Σ step flops */
} syno_cuda_prog;

/* Picks the tiling of contraction C (CTX is the chooser's own data). */
typedef syno_cuda_tile (*syno_cuda_chooser)(const syno_cuda_contr *c, void *ctx);

/* Chooser: syno_cuda_tile_default for the multiprocessor count *(int *)CTX
 * (132, an H100's, when CTX is NULL). */
syno_cuda_tile syno_cuda_choose_default(const syno_cuda_contr *c, void *ctx);

/* Chooser: always the direct kernel. */
syno_cuda_tile syno_cuda_choose_direct(const syno_cuda_contr *c, void *ctx);

/* The program of plan P (codegen/plan.h; not kept).  NAME starts every
 * kernel name (a C identifier, e.g. "syno_conv2d").  CHOOSE (NULL: the
 * default) picks each stage's tiling; a choice that does not apply falls
 * back to the direct kernel.  Returns NULL with a reason in ERR when a
 * stage is beyond the emitter's limits.  Free with syno_cuda_prog_free. */
syno_cuda_prog *syno_cuda_prog_from_plan(const struct syno_plan *p, const char *name, syno_cuda_chooser choose,
                                         void *ctx, syno_buf *err);

/* A one-kernel program straight from the graph (cuda_contr.h's gather
 * derivation) for WRT (-1: forward, else a tensor's gradient): the
 * fallback when no plan is wanted, and a cross-check of the planner.
 * Buffers are numbered as syno_cuda_contr_from_op says. */
syno_cuda_prog *syno_cuda_prog_direct(const syno_op *op, const int64_t *sizes, int wrt, const char *name,
                                      syno_cuda_chooser choose, void *ctx, syno_buf *err);

/* A program for the single contraction C with tiling T (no fallback):
 * one buffer per operand (in order), then the result, then a workspace
 * if split-K needs one; the kernel is named after C and T
 * ("<name>_64x64x8_4x4").  For the tuner.  NULL with ERR when T does not
 * apply. */
syno_cuda_prog *syno_cuda_prog_single(const syno_cuda_contr *c, const syno_cuda_tile *t, syno_buf *err);

void syno_cuda_prog_free(syno_cuda_prog *p);

/* Appends a C comment describing the launches of P (buffers, grids,
 * blocks, arguments) to OUT. */
void syno_cuda_prog_describe(const syno_cuda_prog *p, syno_buf *out);

/* A C identifier for kernel names from an operator name: "syno_" (unless
 * the name starts with it) + the name with every character that is not a
 * letter or digit replaced by '_', into BUF. */
const char *syno_cuda_prog_ident(const char *opname, char *buf, size_t n);

/* NAME with every character that is not a letter or digit replaced by '_'. */
const char *syno_cuda_ident(const char *name, char *buf, size_t n);

#endif
