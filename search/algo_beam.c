/* algo_beam.c - beam search over partial operators (syno-internals §6.2
 * "Beam"): the beam holds the best `width` partial operators of one depth;
 * each child of a beam member is scored by the best reward of a few random
 * final operators below it (the rollouts are what gets evaluated), and the
 * best-scoring children (with Syno's 60% noise on the score) form the next
 * beam.  When a generation has no children, the search restarts from the
 * root. */
#include "search/algo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROLLOUTS 2   /* random finals scored per child */
#define NOISE 0.6    /* share of the selection score that is noise */

typedef struct cand {
    const syno_pstate *st;
    const syno_step *step;  /* from its parent in the beam */
    char *prefix;           /* path text from the root */
    int pending, proposed;
    double score;
} cand;

struct syno_algo {
    syno_space *sp;
    syno_rng *rng;
    syno_walker w;
    int width;
    cand *c;
    int nc, capc;
    int next;               /* next candidate to roll out */
    int outstanding;        /* proposals not yet told */
    sx_memo proposed;       /* canonical hashes already proposed */
};

static void clear_cands(syno_algo *a)
{
    for (int i = 0; i < a->nc; i++) free(a->c[i].prefix);
    a->nc = a->next = 0;
}

static void add_cand(syno_algo *a, const syno_pstate *st, const syno_step *step, const char *prefix)
{
    for (int i = 0; i < a->nc; i++)
        if (a->c[i].st == st) return;
    if (a->nc == a->capc) {
        a->capc = a->capc ? 2 * a->capc : 64;
        a->c = syno_xrealloc(a->c, (size_t)a->capc * sizeof *a->c);
    }
    cand *c = &a->c[a->nc++];
    memset(c, 0, sizeof *c);
    c->st = st;
    c->step = step;
    c->score = -2;
    syno_buf b = SYNO_BUF_INIT;
    if (prefix && *prefix) syno_buf_printf(&b, "%s; ", prefix);
    if (step) syno_space_describe_step(a->sp, step, &b);
    c->prefix = syno_buf_take(&b);
}

static int cmp_score(const void *x, const void *y)
{
    double a = ((const double *)x)[0], b = ((const double *)y)[0];
    return (a < b) - (a > b);
}

/* The next generation: the children of the best-scoring candidates. */
static void next_generation(syno_algo *a)
{
    int n = a->nc;
    double (*order)[2] = syno_xmalloc((size_t)(n ? n : 1) * sizeof *order);
    for (int i = 0; i < n; i++) {
        order[i][0] = a->c[i].score * (1 - NOISE) + NOISE * syno_rng_unit(a->rng);
        order[i][1] = i;
        if (a->c[i].score < -1) order[i][0] = -INFINITY; /* no final below it */
    }
    qsort(order, (size_t)n, sizeof *order, cmp_score);
    cand *old = a->c;
    int nold = a->nc;
    a->c = NULL;
    a->nc = a->capc = a->next = 0;
    for (int k = 0; k < n && k < a->width; k++) {
        const cand *p = &old[(int)order[k][1]];
        if (!isfinite(order[k][0])) break;
        const syno_child *kids;
        int nk = syno_space_children(a->sp, p->st, &kids);
        for (int i = 0; i < nk; i++)
            if (!syno_walker_dead(&a->w, kids[i].state)) add_cand(a, kids[i].state, &kids[i].step, p->prefix);
    }
    for (int i = 0; i < nold; i++) free(old[i].prefix);
    free(old);
    free(order);
    if (!a->nc) add_cand(a, syno_space_root(a->sp), NULL, NULL); /* restart */
}

static syno_algo *create(syno_space *sp, syno_rng *rng)
{
    syno_algo *a = syno_xcalloc(1, sizeof *a);
    a->sp = sp;
    a->rng = rng;
    a->width = syno_space_spec(sp)->beam_width;
    syno_walker_init(&a->w, sp, rng);
    add_cand(a, syno_space_root(sp), NULL, NULL);
    return a;
}

static int ask(syno_algo *a, int max, syno_proposal *out)
{
    int n = 0, empty = 0;
    const syno_step *steps[256];
    while (n < max) {
        if (a->next >= a->nc) {
            if (a->outstanding || n) break; /* wait for the rewards of this generation */
            if (syno_walker_dead(&a->w, syno_space_root(a->sp)) || empty++ > 50) break;
            next_generation(a);
            continue;
        }
        cand *c = &a->c[a->next];
        if (c->proposed == ROLLOUTS) {
            a->next++;
            continue;
        }
        c->proposed++;
        int ns = 0;
        syno_final *f = syno_walk(&a->w, c->st, 30, steps, NULL, 256, &ns);
        if (!f) {
            c->proposed = ROLLOUTS;
            continue;
        }
        int32_t seen;
        bool again = sx_memo_get(&a->proposed, f->hash, &seen);
        sx_memo_put(&a->proposed, f->hash, 1);
        if (again && c->proposed < ROLLOUTS) continue; /* look for another one once */
        char *rest = syno_path_text(a->sp, steps, ns);
        syno_buf b = SYNO_BUF_INIT;
        syno_buf_printf(&b, "%s%s%s", c->prefix, *c->prefix && *rest ? "; " : "", rest);
        free(rest);
        out[n].f = f;
        out[n].path = syno_buf_take(&b);
        out[n].token = (void *)(intptr_t)(a->next + 1);
        c->pending++;
        a->outstanding++;
        n++;
    }
    return n;
}

static void tell(syno_algo *a, const syno_proposal *p, double reward)
{
    int i = (int)(intptr_t)p->token - 1;
    if (i >= 0 && i < a->nc) {
        cand *c = &a->c[i];
        if (reward > c->score) c->score = reward;
        c->pending--;
    }
    a->outstanding--;
}

static void destroy(syno_algo *a)
{
    clear_cands(a);
    free(a->c);
    syno_walker_fini(&a->w);
    sx_memo_fini(&a->proposed);
    free(a);
}

const syno_algo_ops syno_algo_beam = {create, ask, tell, destroy};
