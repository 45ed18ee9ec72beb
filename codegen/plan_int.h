/* plan_int.h - what the files of the planner share (not a public API).
 *
 * The planner reads an operator as a relational sum-product problem:
 * index variables (the dims of the graph, with the three dims of every
 * share identified), relations between variables (one per split, merge,
 * shift, reverse, stride and unfold node), factors (tensors, each over the
 * variables of its axes) and the output variables.  The operator (or one
 * of its gradients) is the sum, over every assignment of the variables
 * that satisfies every relation and keeps every variable in range, of the
 * product of the factors, with the output variables held fixed.
 * plan_problem.c builds problems, plan_solve.c turns one stage (some
 * factors and relations) into a loop nest, plan_search.c searches stage
 * sequences and plan.c assembles the syno_plan. */
#ifndef SYNO_PLAN_INT_H
#define SYNO_PLAN_INT_H

#include "codegen/plan.h"

#define PV_MAX 64               /* variables per problem (bit masks) */
#define PR_MAX 64               /* relations per problem */
#define PF_MAX (SYNO_MAX_TENSORS + 1)

typedef enum prel_kind {
    REL_RESHAPE, /* v0 = v1 * ext(v2) + v2          (split, merge) */
    REL_SHIFT,   /* v0 = (v1 + p) mod ext(v0) */
    REL_REVERSE, /* v0 = ext(v0) - 1 - v1 */
    REL_STRIDE,  /* v0 = v1 * p */
    REL_UNFOLD,  /* v0 = v1 + v2 - p, and 0 <= v0 < ext(v0) */
    REL_EQUAL,   /* v0 = v1 (a node whose two results are shared with each other) */
} prel_kind;

typedef struct prel {
    prel_kind kind;
    int nv;
    int v[3];
    int64_t p;
    uint64_t vars;      /* mask of v[0..nv) */
} prel;

typedef struct pvar {
    int64_t ext;
    syno_size size;
    const char *name;
} pvar;

typedef struct pfactor {
    int buf;            /* index in the plan's buffer list */
    int rank;
    int vars[PV_MAX];
    uint64_t mask;
} pfactor;

typedef struct problem {
    const syno_op *op;
    int wrt;
    int nvars;
    pvar vars[PV_MAX];
    int nrels;
    prel rels[PR_MAX];
    int nfactors;               /* the initial factors: tensors (and dy) */
    pfactor factors[PF_MAX];
    int nout;
    int outv[PV_MAX];           /* result axes, as variables */
    uint64_t outmask;
    double scale;               /* means (1/D) and dangling sums (D) */
    bool has_scale;
} problem;

/* A solved stage: its iterators and, for every variable it touches, the
 * expression that computes it, plus the guards. */
typedef struct psolution {
    int niters, nout;
    int iter_var[PV_MAX];       /* variable of each iterator */
    int var_expr[PV_MAX];       /* expression of each variable (-1: not in the stage) */
    int nexprs, capexprs;
    syno_pexpr *exprs;
    int nguards, capguards;
    syno_plan_guard *guards;
    double points;
} psolution;

bool syno_plan_problem_build(problem *pb, const syno_op *op, const int64_t *sizes, int wrt, syno_buf *err);

/* The search (plan_search.c): states, moves and their costs. */
typedef struct cost {
    double flops, bytes;
    int stages;
} cost;

/* The current factors (variable masks, sorted) and the relations left. */
typedef struct sstate {
    int nf;
    uint64_t f[PF_MAX];
    uint64_t rels;
} sstate;

/* One stage: factors (indices into the state's list) and relations. */
typedef struct smove {
    int fs[SYNO_PLAN_MAX_OPS];
    int nfs;
    uint64_t rs;
} smove;

/* A move evaluated: its variables, open (output) variables, cost, and the
 * state after it. */
typedef struct mresult {
    bool final;
    uint64_t vs, open;
    cost c;
    sstate next;
} mresult;

typedef struct plan_search plan_search;

plan_search *syno_plan_search_new(const problem *pb);
void syno_plan_search_free(plan_search *S);
void syno_plan_search_run(plan_search *S, const sstate *init);
void syno_plan_search_force(plan_search *S, const sstate *init, const smove *mv);
bool syno_plan_search_next(plan_search *S, const sstate *st, smove *mv, mresult *r);
bool syno_plan_search_greedy(const plan_search *S);
void syno_plan_open_list(const problem *pb, uint64_t open, bool final, int *list, int *n);

void syno_plan_solution_init(psolution *s);
void syno_plan_solution_fini(psolution *s);
void syno_plan_solve(const problem *pb, uint64_t vs, const int *open, int nopen, uint64_t rels, psolution *s,
                     bool want_exprs);

#endif
