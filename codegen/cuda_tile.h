/* cuda_tile.h - how a contraction (cuda_contr.h) is tiled for the GPU.
 *
 * The tiled kernel of cuda_emit.h applies when the contraction is a batched
 * matrix product in disguise: its GEMM view (syno_cuda_gemm_analyze) says
 * which operands are A and B and which iterators are M, N, K and batch.  A
 * tiling (block tile, per-thread block, split-K) is valid for it or not;
 * the tuner (cuda_tune.h) times the candidates, and without measurements a
 * throughput model picks one (syno_cuda_tile_default). */
#ifndef SYNO_CUDA_TILE_H
#define SYNO_CUDA_TILE_H

#include "codegen/cuda_contr.h"

/* The largest grid extent in y and z. */
#define SYNO_CUDA_MAX_GRID_YZ 65535

/* How to compute a contraction: bm == 0 is the direct kernel. */
typedef struct syno_cuda_tile {
    int bm, bn, bk, tm, tn;   /* tile and per-thread block; threads = (bm/tm)·(bn/tn) */
    int splitk;               /* pieces of the K range (1: none) */
} syno_cuda_tile;

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

/* The K range of one split-K piece of tiling T (a multiple of its BK) into
 * *CHUNK, and the number of non-empty pieces into *PIECES. */
void syno_cuda_tile_split(const syno_cuda_gemm *g, const syno_cuda_tile *t, int64_t *chunk, int *pieces);

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

#endif
