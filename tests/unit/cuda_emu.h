/* cuda_emu.h - runs generated CUDA kernels on the CPU, for tests on
 * machines without a GPU.
 *
 * The emitter (codegen/cuda_emit.c) writes kernels in the C subset of CUDA
 * C++, so a test can compile them as plain C with this header included
 * first and run them here: every block of the grid in turn, the threads of
 * a block as coroutines (ucontext) that run until they reach
 * __syncthreads() or finish, in a different random order in every phase
 * between barriers.  __shared__ becomes static, which is exactly "one copy
 * per block" when blocks run one at a time.  Divergent barriers (some
 * threads done, others waiting) abort with a message, as does a thread
 * reaching a barrier that others skipped.  Races between barriers are not
 * detected, but running the threads one after the other in shuffled order
 * makes a missing barrier produce wrong numbers.
 *
 * The program including this header is compiled by the test (tests/unit/
 * t_cuda_emu.c) with the same C compiler that built syno, and runs as its
 * own process, so the test itself may run under AddressSanitizer (which
 * does not support switching stacks) while this code never does. */
#ifndef SYNO_CUDA_EMU_H
#define SYNO_CUDA_EMU_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

typedef struct float4 {
    float x, y, z, w;
} float4;

typedef struct syno_emu_dim3 {
    unsigned x, y, z;
} syno_emu_dim3;

static syno_emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

/* A kernel of the program, by name (the program lists them in emu_kernels). */
typedef struct emu_kernel {
    const char *name;
    void (*fn)(void);
} emu_kernel;

enum { EMU_READY, EMU_BARRIER, EMU_DONE };

static struct {
    ucontext_t sched;
    ucontext_t *ctx;
    char *stacks;
    size_t stack_size;
    int *state;
    int n, cur;
    void (*fn)(void);
    int nargs;
    void **args;
    uint64_t rng;
} emu;

static uint64_t emu_rand(void)
{
    uint64_t z = (emu.rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void emu_no_barrier(void);
static int emu_barriers;

static void __syncthreads(void)
{
    if (!emu_barriers) emu_no_barrier();
    emu.state[emu.cur] = EMU_BARRIER;
    swapcontext(&emu.ctx[emu.cur], &emu.sched);
}

/* Calls the kernel with its pointer arguments (all syno kernels take
 * pointers only). */
typedef void *P;
static void emu_thread(void)
{
    P *a = emu.args;
    switch (emu.nargs) {
    case 1: ((void (*)(P))emu.fn)(a[0]); break;
    case 2: ((void (*)(P, P))emu.fn)(a[0], a[1]); break;
    case 3: ((void (*)(P, P, P))emu.fn)(a[0], a[1], a[2]); break;
    case 4: ((void (*)(P, P, P, P))emu.fn)(a[0], a[1], a[2], a[3]); break;
    case 5: ((void (*)(P, P, P, P, P))emu.fn)(a[0], a[1], a[2], a[3], a[4]); break;
    case 6: ((void (*)(P, P, P, P, P, P))emu.fn)(a[0], a[1], a[2], a[3], a[4], a[5]); break;
    case 7: ((void (*)(P, P, P, P, P, P, P))emu.fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]); break;
    case 8: ((void (*)(P, P, P, P, P, P, P, P))emu.fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]); break;
    case 9: ((void (*)(P, P, P, P, P, P, P, P, P))emu.fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]); break;
    case 10:
        ((void (*)(P, P, P, P, P, P, P, P, P, P))emu.fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
        break;
    default: fprintf(stderr, "emu: %d kernel arguments\n", emu.nargs); exit(3);
    }
    emu.state[emu.cur] = EMU_DONE;
}

static void emu_set_thread(int t)
{
    emu.cur = t;
    threadIdx.x = (unsigned)t % blockDim.x;
    threadIdx.y = (unsigned)t / blockDim.x % blockDim.y;
    threadIdx.z = (unsigned)t / (blockDim.x * blockDim.y);
}

/* Runs one block to completion. */
static void emu_block(void)
{
    int n = emu.n;
    int *order = malloc((size_t)n * sizeof *order);
    for (int t = 0; t < n; t++) {
        emu.state[t] = EMU_READY;
        getcontext(&emu.ctx[t]);
        emu.ctx[t].uc_stack.ss_sp = emu.stacks + (size_t)t * emu.stack_size;
        emu.ctx[t].uc_stack.ss_size = emu.stack_size;
        emu.ctx[t].uc_link = &emu.sched;
        makecontext(&emu.ctx[t], emu_thread, 0);
    }
    for (;;) {
        int k = 0;
        for (int t = 0; t < n; t++)
            if (emu.state[t] == EMU_READY) order[k++] = t;
        for (int i = k - 1; i > 0; i--) { /* shuffle */
            int j = (int)(emu_rand() % (uint64_t)(i + 1));
            int s = order[i];
            order[i] = order[j];
            order[j] = s;
        }
        for (int i = 0; i < k; i++) {
            emu_set_thread(order[i]);
            swapcontext(&emu.sched, &emu.ctx[order[i]]);
        }
        int waiting = 0, done = 0;
        for (int t = 0; t < n; t++) {
            if (emu.state[t] == EMU_BARRIER) waiting++;
            if (emu.state[t] == EMU_DONE) done++;
        }
        if (done == n) break;
        if (done) {
            fprintf(stderr, "emu: block (%u,%u,%u): %d threads wait at __syncthreads() that %d finished threads skipped\n",
                    blockIdx.x, blockIdx.y, blockIdx.z, waiting, done);
            exit(3);
        }
        for (int t = 0; t < n; t++) emu.state[t] = EMU_READY;
    }
    free(order);
}

/* Runs one block of a kernel without barriers: each thread is a plain call. */
static void emu_block_plain(void)
{
    for (int t = 0; t < emu.n; t++) {
        emu_set_thread(t);
        emu.state[t] = EMU_READY;
        emu_thread();
    }
}

static void emu_no_barrier(void)
{
    fprintf(stderr, "emu: __syncthreads() in a kernel launched as barrier-free\n");
    exit(3);
}

/* Launches FN over GRID x BLOCK threads with pointer arguments ARGS.
 * BARRIERS says whether the kernel calls __syncthreads(): threads of
 * barrier-free kernels are plain calls (much faster than coroutines). */
static void emu_launch(void (*fn)(void), const unsigned grid[3], const unsigned block[3], int nargs, void **args,
                       uint64_t seed, int barriers)
{
    emu.fn = fn;
    emu.nargs = nargs;
    emu.args = args;
    emu.rng = seed;
    blockDim.x = block[0];
    blockDim.y = block[1];
    blockDim.z = block[2];
    gridDim.x = grid[0];
    gridDim.y = grid[1];
    gridDim.z = grid[2];
    emu.n = (int)(block[0] * block[1] * block[2]);
    emu_barriers = barriers;
    emu.stack_size = barriers ? 256 * 1024 : 0;
    emu.stacks = malloc((size_t)emu.n * emu.stack_size + 1);
    emu.ctx = calloc((size_t)emu.n, sizeof *emu.ctx);
    emu.state = calloc((size_t)emu.n, sizeof *emu.state);
    if (!emu.stacks || !emu.ctx || !emu.state) {
        fprintf(stderr, "emu: out of memory\n");
        exit(3);
    }
    for (unsigned z = 0; z < grid[2]; z++)
        for (unsigned y = 0; y < grid[1]; y++)
            for (unsigned x = 0; x < grid[0]; x++) {
                blockIdx.x = x;
                blockIdx.y = y;
                blockIdx.z = z;
                if (barriers) emu_block();
                else emu_block_plain();
            }
    free(emu.stacks);
    free(emu.ctx);
    free(emu.state);
}

#endif
