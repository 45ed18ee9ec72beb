/* cuda_tune.h - choosing each contraction's tiling by measuring it.
 *
 * The tuner is a chooser (cuda_prog.h).  For a contraction it looks up a
 * choice cached under a key made of the contraction's signature (its
 * mathematics without names: extents, index expressions, guards; so two
 * operators or bindings with the same stage share the result), the GPU's
 * architecture and name, and NVRTC's version.  When there is none and
 * measuring is allowed, it times a short list of candidates on the GPU
 * (the direct kernel and the tilings a cost model ranks best: tile waste,
 * how well the blocks fill the GPU, split-K only when they do not),
 * keeps the fastest, and stores it in the kernel cache (memory and disk),
 * so every later run in any process starts from it.  Without a cached
 * choice and without measuring, it falls back to the heuristic tile. */
#ifndef SYNO_CUDA_TUNE_H
#define SYNO_CUDA_TUNE_H

#include "codegen/cuda_run.h"

#include <stdio.h>

typedef struct syno_cuda_tuner {
    syno_cuda_rt *rt;
    bool measure;     /* time candidates when no choice is cached */
    int shortlist;    /* candidates timed (default 6, plus the direct kernel) */
    int reps;         /* timed runs per candidate (default 5, after 2 warm-up runs) */
    FILE *log;        /* one line per decision, or NULL */
    int cached, measured, guessed; /* how the choices were made */
} syno_cuda_tuner;

/* Fills T with the defaults above for runtime RT. */
void syno_cuda_tuner_init(syno_cuda_tuner *t, syno_cuda_rt *rt, bool measure);

/* The chooser: TUNER is a syno_cuda_tuner. */
syno_cuda_tile syno_cuda_choose_tuned(const syno_cuda_contr *c, void *tuner);

/* The candidates the tuner would time for C on a GPU with SMS
 * multiprocessors, best-ranked first (the direct kernel last); at most
 * MAX.  Exposed for tests. */
int syno_cuda_tune_shortlist(const syno_cuda_contr *c, int sms, int max, syno_cuda_tile *out);

#endif
