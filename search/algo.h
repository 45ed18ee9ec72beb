/* algo.h - the search algorithms behind one ask/tell interface, and the
 * random rollouts they share.
 *
 * The driver (driver.c) asks an algorithm for a batch of final operators
 * to evaluate, evaluates the new ones (the store answers for the others),
 * and tells it each one's reward, in order.  Batches have a fixed size
 * that does not depend on --jobs, so that for a given seed the candidates
 * and their order are the same whatever the parallelism.  Algorithms draw
 * every random number from the run's syno_rng. */
#ifndef SYNO_SEARCH_ALGO_H
#define SYNO_SEARCH_ALGO_H

#include "base/rng.h"
#include "search/engine.h"

#define SYNO_SEARCH_BATCH 4

/* A final operator proposed for evaluation. */
typedef struct syno_proposal {
    syno_final *f;       /* borrowed from the algorithm (valid until it is destroyed) */
    char *path;          /* the steps from the root, or NULL (owned by the proposal) */
    void *token;         /* the algorithm's own bookkeeping (owned by it) */
} syno_proposal;

/* Random rollouts: walks from a state to a final operator, choosing first
 * a kind of step (or finalizing) uniformly, then a step of that kind, and
 * remembering dead ends so that later walks avoid them.  Finals of a state
 * are computed once and kept. */
typedef struct syno_walker {
    syno_space *sp;
    syno_rng *rng;
    sx_memo dead;        /* state -> 1 when no final operator is below it */
    sx_memo fin_index;   /* state -> index into fins */
    sx_memo unguided;    /* state -> 1 when guided walks found no final below it */
    bool unguided_only;  /* the guided space is spent: every walk is unguided (see syno_walk) */
    bool near;           /* walks head for the nearest finals, restarting (see syno_walk) */
    struct wfinals {
        syno_final **v;
        int n;
    } *fins;
    int nfins, capfins;
} syno_walker;

void syno_walker_init(syno_walker *w, syno_space *sp, syno_rng *rng);
void syno_walker_fini(syno_walker *w);
/* The finals of ST (cached; not deduplicated). */
int syno_walker_finals(syno_walker *w, const syno_pstate *st, syno_final ***out);
/* A random final below FROM (NULL after TRIES failed walks).  *STEPS
 * receives the steps taken (at most MAXSTEPS, their count in *NSTEPS) and
 * STATES the states visited after FROM. */
syno_final *syno_walk(syno_walker *w, const syno_pstate *from, int tries, const syno_step **steps,
                      const syno_pstate **states, int maxsteps, int *nsteps);
bool syno_walker_dead(syno_walker *w, const syno_pstate *st);
void syno_walker_kill(syno_walker *w, const syno_pstate *st);

/* The path text of STEPS ("reduce(C_in); contract(...); ..."), new string. */
char *syno_path_text(syno_space *sp, const syno_step *const *steps, int n);

typedef struct syno_algo syno_algo;

typedef struct syno_algo_ops {
    syno_algo *(*create)(syno_space *sp, syno_rng *rng);
    /* Up to MAX proposals into OUT; 0 when the space is exhausted. */
    int (*ask)(syno_algo *a, int max, syno_proposal *out);
    /* The reward of a proposal (-1: its evaluation failed). */
    void (*tell)(syno_algo *a, const syno_proposal *p, double reward);
    void (*destroy)(syno_algo *a);
} syno_algo_ops;

extern const syno_algo_ops syno_algo_mcts, syno_algo_random, syno_algo_beam, syno_algo_exhaustive;

/* The algorithm of A (lang/spec.h's syno_algorithm). */
const syno_algo_ops *syno_algo_get(syno_algorithm a);

#endif
