/* algo_mcts.c - Monte Carlo tree search as in Syno (syno-internals §6.2):
 * UCB1-tuned selection, progressive widening, RAVE, virtual loss.
 *
 * The tree is a two-level tree over the hash-consed partial operators: at
 * a node, first a kind of step is chosen (a "mid node": reduce, split, ...,
 * contract, or finalize), then a step of that kind (for finalize: one of
 * the node's final operators).  Both choices use UCB1-tuned,
 *     mean + c * sqrt(ln N / n * min(1/4, var + sqrt(2 ln N / n))) - vl * virtual loss,
 * among the revealed options; unvisited options come first, and an option
 * visited more than 30 times with a reward spread of at most 0.001 is
 * left alone.  Progressive widening reveals options one by one until
 * floor(T^b) are revealed (T = visits + virtual loss), the next one being
 * the best by ((1 - beta) LRAVE + beta GRAVE) * 0.7 + 0.3 * U(0,1) with
 * beta = c_l / (c_l + local RAVE visits); a RAVE entry scores
 * mean + std - 1/n (0.5 when missing).  GRAVE is kept per step (by its
 * stable key) and per kind, LRAVE per (node, step) for the steps met below
 * the node.  A newly reached node is simulated by a random rollout to a
 * final operator (rollout.c); the reward is backed up along the path.
 * Defaults (c = 4 sqrt 2, b = 0.8, c_l = 3, vl = 0.3) are Syno's and can be
 * changed with the spec's options. */
#include "search/algo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FINALIZE SYNO_STEP_COUNT /* the kind "take one of the node's finals" */
#define NKINDS (SYNO_STEP_COUNT + 1)
#define MAXPATH 256

typedef struct stat {
    double n, w, w2;
} stat;

typedef struct mnode {
    const syno_pstate *st;
    stat s;
    double vloss;
    int nkids, nfin;                 /* children, finals */
    const syno_child *kids;
    syno_final **fin;
    stat *edge;                      /* per option: kids then finals */
    double *evl;                     /* virtual loss per option */
    bool *revealed;
    stat kind[NKINDS];
    double kvl[NKINDS];
    bool kind_revealed[NKINDS];
    int nkind_revealed;
    int nrevealed[NKINDS];
} mnode;

typedef struct mpath {
    int n;                           /* tree steps */
    int node[MAXPATH], kind[MAXPATH], opt[MAXPATH];
    int leaf;                        /* node reached (after the last tree step) */
    int nkeys;                       /* every step of the path, tree and rollout */
    uint64_t key[MAXPATH];
    int kinds[MAXPATH];
} mpath;

struct syno_algo {
    syno_space *sp;
    syno_rng *rng;
    syno_walker w;
    mnode *nodes;
    int nnodes, capnodes;
    sx_memo index;                   /* state -> node */
    sx_memo stat_index;              /* RAVE key -> stats */
    stat *stats;
    int nstats, capstats;
    double c, b, cl, vl;
};

static uint64_t pkey(const syno_pstate *st)
{
    return (uint64_t)(uintptr_t)st;
}

static int node_of(syno_algo *a, const syno_pstate *st)
{
    int32_t i;
    if (sx_memo_get(&a->index, pkey(st), &i)) return i;
    if (a->nnodes == a->capnodes) {
        a->capnodes = a->capnodes ? 2 * a->capnodes : 256;
        a->nodes = syno_xrealloc(a->nodes, (size_t)a->capnodes * sizeof *a->nodes);
    }
    i = a->nnodes++;
    mnode *m = &a->nodes[i];
    memset(m, 0, sizeof *m);
    m->st = st;
    m->nkids = syno_space_children(a->sp, st, &m->kids);
    m->nfin = syno_walker_finals(&a->w, st, &m->fin);
    int n = m->nkids + m->nfin;
    m->edge = syno_xcalloc((size_t)(n ? n : 1), sizeof *m->edge);
    m->evl = syno_xcalloc((size_t)(n ? n : 1), sizeof *m->evl);
    m->revealed = syno_xcalloc((size_t)(n ? n : 1), sizeof *m->revealed);
    sx_memo_put(&a->index, pkey(st), i);
    return i;
}

static stat *rave(syno_algo *a, uint64_t key, bool create)
{
    int32_t i;
    if (sx_memo_get(&a->stat_index, key, &i)) return &a->stats[i];
    if (!create) return NULL;
    if (a->nstats == a->capstats) {
        a->capstats = a->capstats ? 2 * a->capstats : 1024;
        a->stats = syno_xrealloc(a->stats, (size_t)a->capstats * sizeof *a->stats);
    }
    i = a->nstats++;
    memset(&a->stats[i], 0, sizeof *a->stats);
    sx_memo_put(&a->stat_index, key, i);
    return &a->stats[i];
}

static uint64_t grave_key(uint64_t step_key)
{
    return syno_hash_mix(step_key ^ 0x6772617665ull);
}

static uint64_t grave_kind_key(int kind)
{
    return syno_hash_mix(0x6b696e64ull + (uint64_t)kind);
}

static uint64_t lrave_key(const syno_pstate *st, uint64_t step_key)
{
    return syno_hash_mix(st->hash ^ syno_hash_mix(step_key + 0x6c72ull));
}

static double mean(const stat *s)
{
    return s->n > 0 ? s->w / s->n : 0;
}

static double var(const stat *s)
{
    if (s->n <= 0) return 0;
    double m = s->w / s->n, v = s->w2 / s->n - m * m;
    return v > 0 ? v : 0;
}

static double entry_score(const stat *s)
{
    if (!s || s->n <= 0) return 0.5;
    return mean(s) + sqrt(var(s)) - 1 / s->n;
}

static double ucb(const syno_algo *a, const stat *s, double vloss, double total)
{
    if (s->n <= 0) return 1e9 - 1e6 * vloss;
    if (s->n > 30 && sqrt(var(s)) <= 0.001) return -1e9;
    double ln = log(total > 1 ? total : 1);
    double t = ln / s->n, v = var(s) + sqrt(2 * ln / s->n);
    return mean(s) + a->c * sqrt(t * (v < 0.25 ? v : 0.25)) - a->vl * vloss;
}

static int opt_kind(const mnode *m, int o)
{
    return o < m->nkids ? (int)m->kids[o].step.kind : FINALIZE;
}

static uint64_t opt_key(const mnode *m, int o)
{
    return o < m->nkids ? m->kids[o].step.key : syno_hash_mix(m->fin[o - m->nkids]->hash ^ 0x66696eull);
}

static bool opt_live(syno_algo *a, const mnode *m, int o)
{
    return o >= m->nkids || !syno_walker_dead(&a->w, m->kids[o].state);
}

/* Reveals options of node M by progressive widening and picks one by
 * UCB1-tuned: first a kind, then an option of that kind.  -1 when M has no
 * live option. */
static int choose(syno_algo *a, mnode *m, int *kind_out)
{
    int nopt = m->nkids + m->nfin;
    int live[NKINDS] = {0};
    for (int o = 0; o < nopt; o++)
        if (opt_live(a, m, o)) live[opt_kind(m, o)]++;
    /* kinds */
    double T = m->s.n + m->vloss;
    int allow = (int)floor(pow(T > 1 ? T : 1, a->b));
    if (allow < 1) allow = 1;
    int kinds_live = 0; /* revealed kinds that still have live options */
    for (int k = 0; k < NKINDS; k++) kinds_live += m->kind_revealed[k] && live[k];
    while (kinds_live < allow) {
        int best = -1;
        double bs = -INFINITY;
        for (int k = 0; k < NKINDS; k++) {
            if (m->kind_revealed[k] || !live[k]) continue;
            double sc = entry_score(rave(a, grave_kind_key(k), false)) * 0.7 + 0.3 * syno_rng_unit(a->rng);
            if (sc > bs) bs = sc, best = k;
        }
        if (best < 0) break;
        m->kind_revealed[best] = true;
        m->nkind_revealed++;
        kinds_live++;
    }
    int kind = -1;
    double bk = -INFINITY;
    for (int k = 0; k < NKINDS; k++) {
        if (!m->kind_revealed[k] || !live[k]) continue;
        double sc = ucb(a, &m->kind[k], m->kvl[k], T);
        if (sc > bk) bk = sc, kind = k;
    }
    if (kind < 0) return -1;
    /* options of that kind */
    double Tk = m->kind[kind].n + m->kvl[kind];
    int allowk = (int)floor(pow(Tk > 1 ? Tk : 1, a->b));
    if (allowk < 1) allowk = 1;
    int opts_live = 0; /* revealed options of that kind still live */
    for (int o = 0; o < nopt; o++) opts_live += m->revealed[o] && opt_kind(m, o) == kind && opt_live(a, m, o);
    while (opts_live < allowk) {
        int best = -1;
        double bs = -INFINITY;
        for (int o = 0; o < nopt; o++) {
            if (m->revealed[o] || opt_kind(m, o) != kind || !opt_live(a, m, o)) continue;
            uint64_t key = opt_key(m, o);
            const stat *lr = rave(a, lrave_key(m->st, key), false);
            double beta = a->cl / (a->cl + (lr ? lr->n : 0));
            double sc = ((1 - beta) * entry_score(lr) + beta * entry_score(rave(a, grave_key(key), false))) * 0.7 +
                        0.3 * syno_rng_unit(a->rng);
            if (sc > bs) bs = sc, best = o;
        }
        if (best < 0) break;
        m->revealed[best] = true;
        m->nrevealed[kind]++;
        opts_live++;
    }
    int pick = -1;
    double bp = -INFINITY;
    for (int o = 0; o < nopt; o++) {
        if (!m->revealed[o] || opt_kind(m, o) != kind || !opt_live(a, m, o)) continue;
        double sc = ucb(a, &m->edge[o], m->evl[o], Tk);
        if (sc > bp) bp = sc, pick = o;
    }
    *kind_out = kind;
    return pick;
}

static void add_vloss(syno_algo *a, const mpath *p, double d)
{
    for (int i = 0; i < p->n; i++) {
        mnode *m = &a->nodes[p->node[i]];
        m->vloss += d;
        m->kvl[p->kind[i]] += d;
        m->evl[p->opt[i]] += d;
    }
    a->nodes[p->leaf].vloss += d;
}

/* One selection + expansion + simulation.  NULL when nothing was found. */
static mpath *descend(syno_algo *a, syno_proposal *out)
{
    mpath *p = syno_xcalloc(1, sizeof *p);
    int v = node_of(a, syno_space_root(a->sp));
    syno_final *f = NULL;
    const syno_step *steps[MAXPATH];
    int nsteps = 0;
    for (;;) {
        mnode *m = &a->nodes[v];
        int kind;
        int o = choose(a, m, &kind);
        if (o < 0) { /* nothing below: a dead end */
            syno_walker_kill(&a->w, m->st);
            free(p);
            return NULL;
        }
        if (p->n == MAXPATH - 1) break;
        bool fresh = m->edge[o].n == 0 && m->evl[o] == 0;
        p->node[p->n] = v;
        p->kind[p->n] = kind;
        p->opt[p->n] = o;
        p->key[p->nkeys] = opt_key(m, o);
        p->kinds[p->nkeys++] = kind;
        p->n++;
        if (o >= m->nkids) { /* a final operator of this node */
            f = m->fin[o - m->nkids];
            p->leaf = v;
            break;
        }
        steps[nsteps++] = &m->kids[o].step;
        int child = node_of(a, m->kids[o].state);
        v = child;
        if (fresh) {
            /* simulate: a random final below the new node */
            const syno_step *rs[MAXPATH];
            int nr = 0;
            f = syno_walk(&a->w, a->nodes[v].st, 20, rs, NULL, MAXPATH - nsteps - 1, &nr);
            if (!f) { /* dead ends found on the way are marked; try again */
                free(p);
                return NULL;
            }
            for (int i = 0; i < nr && p->nkeys < MAXPATH; i++) {
                steps[nsteps++] = rs[i];
                p->key[p->nkeys] = rs[i]->key;
                p->kinds[p->nkeys++] = (int)rs[i]->kind;
            }
            p->leaf = v;
            break;
        }
    }
    if (!f) {
        free(p);
        return NULL;
    }
    add_vloss(a, p, 1);
    out->f = f;
    out->path = syno_path_text(a->sp, steps, nsteps);
    out->token = p;
    return p;
}

static syno_algo *create(syno_space *sp, syno_rng *rng)
{
    syno_algo *a = syno_xcalloc(1, sizeof *a);
    a->sp = sp;
    a->rng = rng;
    const syno_spec *spec = syno_space_spec(sp);
    a->c = spec->opt[SYNO_OPT_MCTS_C];
    a->b = spec->opt[SYNO_OPT_MCTS_WIDENING];
    a->cl = spec->opt[SYNO_OPT_MCTS_RAVE];
    a->vl = spec->opt[SYNO_OPT_MCTS_VLOSS];
    syno_walker_init(&a->w, sp, rng);
    return a;
}

static int ask(syno_algo *a, int max, syno_proposal *out)
{
    int n = 0;
    for (int attempt = 0; n < max && attempt < 500 * max; attempt++) {
        if (syno_walker_dead(&a->w, syno_space_root(a->sp))) break;
        if (descend(a, &out[n])) n++;
    }
    return n;
}

static void update(stat *s, double r)
{
    s->n += 1;
    s->w += r;
    s->w2 += r * r;
}

static void tell(syno_algo *a, const syno_proposal *prop, double reward)
{
    mpath *p = prop->token;
    if (!p) return;
    add_vloss(a, p, -1);
    double r = reward < 0 ? 0 : reward;
    for (int i = 0; i < p->n; i++) {
        mnode *m = &a->nodes[p->node[i]];
        update(&m->s, r);
        update(&m->kind[p->kind[i]], r);
        update(&m->edge[p->opt[i]], r);
    }
    if (p->opt[p->n - 1] < a->nodes[p->node[p->n - 1]].nkids) update(&a->nodes[p->leaf].s, r); /* a new node */
    for (int j = 0; j < p->nkeys; j++) {
        update(rave(a, grave_key(p->key[j]), true), r);
        update(rave(a, grave_kind_key(p->kinds[j]), true), r);
    }
    for (int i = 0; i < p->n; i++) {
        const syno_pstate *st = a->nodes[p->node[i]].st;
        for (int j = i; j < p->nkeys; j++) update(rave(a, lrave_key(st, p->key[j]), true), r);
    }
    free(p);
}

static void destroy(syno_algo *a)
{
    for (int i = 0; i < a->nnodes; i++) {
        free(a->nodes[i].edge);
        free(a->nodes[i].evl);
        free(a->nodes[i].revealed);
    }
    free(a->nodes);
    free(a->stats);
    sx_memo_fini(&a->index);
    sx_memo_fini(&a->stat_index);
    syno_walker_fini(&a->w);
    free(a);
}

const syno_algo_ops syno_algo_mcts = {create, ask, tell, destroy};
