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

#define PL_MAX_VARS 64               /* variables per problem (bit masks) */
#define PL_MAX_RELS 64               /* relations per problem */
#define PL_MAX_FACTORS (SYNO_MAX_TENSORS + 1)

typedef enum pl_rel_kind {
    PL_REL_RESHAPE, /* v0 = v1 * ext(v2) + v2          (split, merge) */
    PL_REL_SHIFT,   /* v0 = (v1 + p) mod ext(v0) */
    PL_REL_REVERSE, /* v0 = ext(v0) - 1 - v1 */
    PL_REL_STRIDE,  /* v0 = v1 * p */
    PL_REL_UNFOLD,  /* v0 = v1 + v2 - p, and 0 <= v0 < ext(v0) */
    PL_REL_EQUAL,   /* v0 = v1 (a node whose two results are shared with each other) */
} pl_rel_kind;

typedef struct pl_rel {
    pl_rel_kind kind;
    int nv;
    int v[3];
    int64_t p;
    uint64_t vars;      /* mask of v[0..nv) */
} pl_rel;

typedef struct pl_var {
    int64_t ext;
    syno_size size;
    const char *name;
} pl_var;

typedef struct pl_factor {
    int buf;            /* index in the plan's buffer list */
    int rank;
    int vars[PL_MAX_VARS];
    uint64_t mask;
} pl_factor;

typedef struct pl_problem {
    const syno_op *op;
    int wrt;
    int nvars;
    pl_var vars[PL_MAX_VARS];
    int nrels;
    pl_rel rels[PL_MAX_RELS];
    int nfactors;               /* the initial factors: tensors (and dy) */
    pl_factor factors[PL_MAX_FACTORS];
    int nout;
    int outv[PL_MAX_VARS];           /* result axes, as variables */
    uint64_t outmask;
    double scale;               /* means (1/D) and dangling sums (D) */
    bool has_scale;             /* scale != 1: the last stage multiplies by it (and the search charges it) */
    int order[PL_MAX_VARS];     /* the variables by increasing extent (stable) */
    uint8_t rank[PL_MAX_VARS];  /* the position of each variable in order */
    double order_ext[PL_MAX_VARS];   /* the extent of order[r], as the searches multiply it */
    uint8_t dv[PL_MAX_RELS][3];      /* the variables each relation derives from (v[0] again for a third of two) */
    uint64_t derives[PL_MAX_RELS][8];/* what relation i derives when the variables dv[i][j] known are bit j */
    uint64_t var_rels[PL_MAX_VARS];  /* the relations over each variable */
} pl_problem;

/* A solved stage: its iterators and, for every variable it touches, the
 * expression that computes it, plus the guards. */
typedef struct pl_solution {
    int niters, nout;
    int iter_var[PL_MAX_VARS];       /* variable of each iterator */
    int var_expr[PL_MAX_VARS];       /* expression of each variable (-1: not in the stage) */
    int nexprs, capexprs;
    syno_pexpr *exprs;
    int nguards, capguards;
    syno_plan_guard *guards;
    double points;
} pl_solution;

bool pl_problem_build(pl_problem *pb, const syno_op *op, const int64_t *sizes, int wrt, syno_buf *err);
/* Fills the table of what each relation of PB derives and the relations
 * over each variable (plan_solve.c; called by pl_problem_build once the
 * relations are known). */
void pl_problem_derivations(pl_problem *pb);

/* The variables the relations RS (a mask over PB's relations) are over. */
static inline uint64_t pl_rels_vars(const pl_problem *pb, uint64_t rs)
{
    uint64_t m = 0;
    for (; rs; rs &= rs - 1) m |= pb->rels[__builtin_ctzll(rs)].vars;
    return m;
}

/* The search (plan_search.c): states, moves and their costs. */
typedef struct pl_cost {
    double flops, bytes;
    int stages;
} pl_cost;

/* The current factors (variable masks, sorted) and the relations left. */
typedef struct pl_state {
    int nf;
    uint64_t f[PL_MAX_FACTORS];
    uint64_t rels;
} pl_state;

/* One stage: factors (indices into the state's list) and relations. */
typedef struct pl_move {
    int fs[SYNO_PLAN_MAX_OPS];
    int nfs;
    uint64_t rs;
} pl_move;

/* A move evaluated: its variables, open (output) variables, cost, and the
 * state after it. */
typedef struct pl_result {
    bool final;
    uint64_t vs, open;
    pl_cost c;
    pl_state next;
} pl_result;

typedef struct pl_search pl_search;

pl_search *pl_search_new(const pl_problem *pb);
void pl_search_free(pl_search *S);
void pl_search_run(pl_search *S, const pl_state *init);
/* Forgets S's searches (not its solved stages): the next one starts afresh. */
void pl_search_restart(pl_search *S);
void pl_search_force(pl_search *S, const pl_state *init, const pl_move *mv);
bool pl_search_next(pl_search *S, const pl_state *st, pl_move *mv, pl_result *r);
bool pl_search_greedy(const pl_search *S);
/* The FLOPs of a search from INIT cut short after BUDGET moves (then
 * greedy), and stopped once it finds a sequence of at most STOP_AT FLOPs
 * (-INFINITY: never): never below what pl_search_run finds from INIT. */
double pl_search_bounded_flops(pl_search *S, const pl_state *init, long budget, double stop_at);
/* The least FLOPs of the stage sequences pl_search_run chooses among from
 * INIT, when at most CAP; INFINITY when every one costs more; -1 when
 * BUDGET moves did not settle it.  pl_search_run's FLOPs, work bound hit
 * or not, are those of one such sequence (its greedy moves are among the
 * moves it tries), so never below this. */
double pl_search_min_flops(pl_search *S, const pl_state *init, double cap, long budget);
void pl_open_list(const pl_problem *pb, uint64_t open, bool final, int *list, int *n);

void pl_solution_init(pl_solution *s);
void pl_solution_fini(pl_solution *s);
void pl_solve(const pl_problem *pb, uint64_t vs, const int *open, int nopen, uint64_t rels, pl_solution *s,
                     bool want_exprs);

#endif
