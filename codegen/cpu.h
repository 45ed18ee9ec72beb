/* cpu.h - the CPU executor: runs the staged plans of codegen/plan.h on
 * float32 host buffers, multithreaded, with its own register-blocked
 * matrix product (codegen/cpu_mm.c) for stages that are matrix products.
 *
 * Compile an operator under a binding once (syno_cpu_new), then call
 * syno_cpu_forward / syno_cpu_backward as often as needed.  Each stage of
 * a plan runs either as a batch of matrix products (sgemm; operands that
 * are not plain strided matrices, e.g. convolution windows with zero
 * padding, are first gathered tile by tile into a per-thread buffer, an
 * implicit im2col) or as a generic gather-multiply-reduce over output
 * tiles (unary and three-operand stages, Hadamard-like products, depthwise
 * convolutions; operands that are affine are multiplied where they lie).
 * Iterators read only through floor division and modulo are first split
 * into digits where that makes the indices affine, so the group of a
 * grouped convolution becomes the batch index of its products.  Work
 * is split into tiles over a process-wide pool of threads; the number of
 * threads is the SYNO_THREADS environment variable, else the number of
 * online CPUs, and can be changed with syno_cpu_set_threads.
 *
 * Layouts are those of interp/eval.h: C order, axes in the order the
 * operator declares them.  Results are float32 sums (the order of
 * additions differs from the reference evaluator, so results agree to
 * float rounding, not bit for bit).  NaN and infinity propagate as in
 * IEEE arithmetic, except that a term whose guard fails (zero padding)
 * reads nothing and contributes 0.
 *
 * One syno_cpu may be used by one thread at a time; distinct objects may
 * be used from different threads (calls then take turns on the pool). */
#ifndef SYNO_CPU_H
#define SYNO_CPU_H

#include "codegen/plan.h"

typedef struct syno_cpu syno_cpu;

/* Compiles OP (finished, error-free; borrowed, must outlive the result)
 * under binding B: builds and compiles the forward plan (backward plans
 * are built on first use).  Every size must evaluate under B.  Returns
 * NULL after appending why to ERR (sizes, a plan that cannot be built,
 * buffers larger than SYNO_CPU_MAX_BYTES). */
syno_cpu *syno_cpu_new(const syno_op *op, const syno_binding *b, syno_buf *err);

/* The baseline that `syno bench` compares with, behind the same calls:
 * every plan is direct evaluation (syno_plan_build_direct, one loop nest);
 * a stage that is a matrix product runs the classic way (each operand
 * gathered whole, e.g. a full im2col matrix, then one sgemm per batch value
 * with the BLAS's own threads), anything else runs the generic path.
 * Fails like syno_cpu_new, and for operators with more than 3 tensors. */
syno_cpu *syno_cpu_new_baseline(const syno_op *op, const syno_binding *b, syno_buf *err);

/* "sgemm", "im2col+sgemm" or "direct loop nest": what the forward pass of
 * a baseline object does ("staged plan" for a normal object). */
const char *syno_cpu_baseline_name(syno_cpu *c);

/* Frees C and the memory it owns.  NULL is a no-op. */
void syno_cpu_free(syno_cpu *c);

/* Forward pass: T[0] is the input, T[1..] the weights (op->ntensors
 * buffers of their tensors' shapes, owned by the caller); OUT receives the
 * output (overwritten).  OUT must not overlap the inputs. */
void syno_cpu_forward(syno_cpu *c, const float *const *t, float *out);

/* Backward pass: given the tensors T (as for forward) and DY, the gradient
 * of the loss with respect to the output, writes G[t] = dL/d(tensor t) for
 * every t with G[t] != NULL (overwritten).  Returns false after appending
 * to ERR when a gradient plan cannot be built (the same causes as
 * syno_cpu_new); the first call for a tensor builds its plan. */
bool syno_cpu_backward(syno_cpu *c, const float *const *t, const float *dy, float *const *g, syno_buf *err);

/* The plan for WRT (SYNO_PLAN_FORWARD or a tensor), building it when
 * needed; NULL (with ERR appended) when it cannot be built.  Owned by C. */
const syno_plan *syno_cpu_plan(syno_cpu *c, int wrt, syno_buf *err);

/* Sets the number of threads every syno_cpu uses from now on (N >= 1;
 * N = 0 restores the default: $SYNO_THREADS, else the online CPUs). */
void syno_cpu_set_threads(int n);

/* The number of threads in use. */
int syno_cpu_threads(void);

/* How stage S of the plan for WRT executes, for explanations and
 * benchmarks: "sgemm 8x[64x576 * 576x3136]" or "generic".  NULL when the
 * plan is not compiled. */
const char *syno_cpu_stage_method(syno_cpu *c, int wrt, int s);

/* Upper bound on the bytes syno_cpu_new allocates for intermediates. */
#define SYNO_CPU_MAX_BYTES (8LL << 30)

#endif
