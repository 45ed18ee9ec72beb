/* algo_random.c - random sampling: independent random walks from the
 * root (syno-internals §6.2 "Random"), each final proposed once. */
#include "search/algo.h"

#include <stdlib.h>
#include <string.h>

struct syno_algo {
    syno_space *sp;
    syno_walker w;
    sx_memo proposed;   /* canonical hashes already proposed */
};

static syno_algo *create(syno_space *sp, syno_rng *rng)
{
    syno_algo *a = syno_xcalloc(1, sizeof *a);
    a->sp = sp;
    syno_walker_init(&a->w, sp, rng);
    a->w.near = syno_space_flops_floor(sp) <= 0; /* every final counts: head for the nearest */
    return a;
}

static int ask(syno_algo *a, int max, syno_proposal *out)
{
    int n = 0;
    const syno_step *steps[256];
    for (int attempt = 0; n < max && attempt < 200 * max; attempt++) {
        int ns = 0;
        syno_final *f = syno_walk(&a->w, syno_space_root(a->sp), 20, steps, NULL, 256, &ns);
        if (!f) {
            if (syno_walker_dead(&a->w, syno_space_root(a->sp))) break; /* nothing left */
            continue;
        }
        int32_t seen;
        if (sx_memo_get(&a->proposed, f->hash, &seen)) continue;
        sx_memo_put(&a->proposed, f->hash, 1);
        out[n].f = f;
        out[n].path = syno_path_text(a->sp, steps, ns);
        out[n].token = NULL;
        n++;
    }
    return n;
}

static void tell(syno_algo *a, const syno_proposal *p, double reward)
{
    (void)a, (void)p, (void)reward;
}

static void destroy(syno_algo *a)
{
    syno_walker_fini(&a->w);
    sx_memo_fini(&a->proposed);
    free(a);
}

const syno_algo_ops syno_algo_random = {create, ask, tell, destroy};
