/* expand_contract.c - contraction steps: a new weight, shared with several
 * open dims at once (syno-internals §2 "Contraction", §4 rules 3-5).
 *
 * Each chosen dim o becomes share(o', w) where w is a new axis of the new
 * weight and o' either stays open (a plain share: a contraction when o ends
 * in a reduction, a Hadamard product otherwise) or is expanded (the weight
 * alone produces o: an outer product).  Expands are allowed only on output
 * pieces (an output axis or a merge piece, below any shares) and on
 * reductions already shared with an earlier weight (two weights sharing a
 * contracted index: a low-rank factor).  A contraction has at least one
 * plain share and one expand.  Weights are numbered in the order they are
 * introduced; a contraction that does not touch the previous weight must
 * have a larger leader (its smallest dim by height, then hash) than that
 * weight, so independent weights come in one order. */
#include "search/generate.h"

#include <string.h>

typedef struct cgen {
    sx_gen *g;
    uint32_t cand[SX_MAX_STATE_DIMS];
    bool can_expand[SX_MAX_STATE_DIMS];
    int ncand;
    int wid;
    int8_t mode[SX_MAX_STATE_DIMS]; /* 0 skip, 1 share, 2 share + expand */
    double numel[SYNO_SPEC_MAX_LAYERS];
    uint32_t prev_leader;           /* leader of the previous weight's contraction, or UINT32_MAX */
} cgen;

/* (height, blind hash) order of dims: equal reductions tie, so that the
 * order does not depend on which of them is which. */
static bool dim_less(const syno_space *sp, uint32_t a, uint32_t b)
{
    const sx_dim *da = sx_d(sp, a), *db = sx_d(sp, b);
    if (da->height != db->height) return da->height < db->height;
    return da->bhash < db->bhash;
}

static void leaf(cgen *c)
{
    sx_gen *g = c->g;
    syno_space *sp = g->sp;
    int nshare = 0, nexp = 0;
    uint32_t leader = UINT32_MAX;
    bool touches_prev = false;
    for (int i = 0; i < c->ncand; i++) {
        if (!c->mode[i]) continue;
        if (c->mode[i] == 2) nexp++;
        else nshare++;
        if (leader == UINT32_MAX || dim_less(sp, c->cand[i], leader)) leader = c->cand[i];
        if (c->wid > 1 && (sx_d(sp, c->cand[i])->wmask & (1u << (c->wid - 2)))) touches_prev = true;
    }
    if (nshare + nexp < 2) return;
    if ((!nshare || !nexp) && sx_drop(sp, SYNO_RULE_CONTRACT_FORM)) return;
    for (int i = 0; i < c->ncand; i++) {
        if (c->mode[i] != 2) continue;
        const sx_dim *di = sx_d(sp, c->cand[i]);
        if (di->kind != SX_MERGE_L && di->kind != SX_MERGE_R) continue;
        for (int j = i + 1; j < c->ncand; j++) {
            const sx_dim *dj = sx_d(sp, c->cand[j]);
            if (c->mode[j] == 2 && (dj->kind == SX_MERGE_L || dj->kind == SX_MERGE_R) && dj->a == di->a) {
                if (sx_drop(sp, SYNO_RULE_CONTRACT_ADJACENT)) return;
            }
        }
    }
    if (c->prev_leader != UINT32_MAX && !touches_prev && dim_less(sp, leader, c->prev_leader)) {
        if (sx_drop(sp, SYNO_RULE_WEIGHT_ORDER)) return;
    }
    double minp = sp->spec->opt[SYNO_OPT_MIN_WEIGHT_PARAMS];
    for (int l = 0; l < sp->nlayers; l++)
        if (c->numel[l] < minp) {
            if (sx_drop(sp, SYNO_RULE_MIN_PARAMS)) return;
        }
    sx_child_begin(g, SYNO_STEP_CONTRACT);
    syno_step s = {.n = 0};
    bool primary_only = sp->spec->opt[SYNO_OPT_COEF_IN_WEIGHTS] == 0;
    for (int i = 0; i < c->ncand; i++) {
        if (!c->mode[i]) continue;
        uint32_t o = c->cand[i];
        sx_charge(sp, g->use, sx_d(sp, o)->size, primary_only);
        uint32_t l = sx_share(sp, o, c->wid, false);
        uint32_t r = sx_share(sp, o, c->wid, true);
        sx_child_take(g, o);
        sx_child_put(g, l, c->mode[i] == 2 ? 1 : 0);
        sx_child_put(g, r, 2);
        s.op[s.n] = o;
        s.expand[s.n] = (uint8_t)(c->mode[i] == 2);
        s.n++;
    }
    sx_child_end(g, &s);
}

static void contract_dfs(cgen *c, int i, const int8_t *use, int chosen)
{
    syno_space *sp = c->g->sp;
    if (i == c->ncand) {
        leaf(c);
        return;
    }
    uint32_t o = c->cand[i];
    int forced = -1; /* generating one given step: its modes */
    if (c->g->only) {
        forced = 0;
        for (int k = 0; k < c->g->only->n; k++)
            if (c->g->only->op[k] == o) forced = c->g->only->expand[k] ? 2 : 1;
    }
    c->mode[i] = 0;
    if (forced <= 0) contract_dfs(c, i + 1, use, chosen);
    if (chosen == SYNO_STEP_MAX || forced == 0) return;
    const sx_dim *d = sx_d(sp, o);
    int8_t u[SYNO_MAX_VARS];
    memcpy(u, use, sizeof u);
    if (!sx_charge(sp, u, d->size, sp->spec->opt[SYNO_OPT_COEF_IN_WEIGHTS] == 0)) {
        if (sx_drop(sp, SYNO_RULE_ALLOWANCE)) return;
    }
    double save[SYNO_SPEC_MAX_LAYERS];
    memcpy(save, c->numel, sizeof save);
    for (int l = 0; l < sp->nlayers; l++) c->numel[l] *= sx_size_value(sp, d->size, l);
    if (forced != 2) {
        c->mode[i] = 1;
        contract_dfs(c, i + 1, u, chosen + 1);
    }
    if (forced != 1 && (c->can_expand[i] || forced == 2) &&
        (c->can_expand[i] || !sx_drop(sp, SYNO_RULE_CONTRACT_EXPAND))) {
        c->mode[i] = 2;
        contract_dfs(c, i + 1, u, chosen + 1);
    }
    memcpy(c->numel, save, sizeof save);
    c->mode[i] = 0;
}

/* Adds the contraction children of G's parent. */
void sx_gen_contract(sx_gen *g)
{
    syno_space *sp = g->sp;
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, SYNO_STEP_CONTRACT)) return;
    if (p->nweights >= sp->max_weights) {
        if (sx_drop(sp, SYNO_RULE_WEIGHTS)) return;
    }
    cgen c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.wid = p->nweights + 1;
    c.prev_leader = UINT32_MAX;
    for (int i = 0; i < p->nw; i++) {
        const sx_dim *w = sx_d(sp, p->d[p->nf + p->ne + i]);
        if (w->wid != p->nweights) continue;
        if (c.prev_leader == UINT32_MAX || dim_less(sp, (uint32_t)w->a, c.prev_leader)) c.prev_leader = (uint32_t)w->a;
    }
    for (int i = 0; i < p->nf; i++) {
        uint32_t o = p->d[i];
        const sx_dim *d = sx_d(sp, o);
        if (d->flags & SXF_DISCARD) continue; /* a weight axis must see every element */
        if (d->height + 1 > sp->spec->chain) {
            if (sx_drop(sp, SYNO_RULE_CHAIN)) continue;
        }
        const sx_dim *b = sx_d(sp, d->base);
        bool outer = b->kind == SX_ITER || b->kind == SX_MERGE_L || b->kind == SX_MERGE_R;
        bool ws = b->kind == SX_REDUCE && d->nshares >= 1;
        /* Syno's bounds on what a weight may produce alone */
        if (outer && d->hi > sp->spec->opt[SYNO_OPT_OUTER_MAX] * (1 + 1e-9)) outer = false;
        if (ws && (d->lo < sp->spec->opt[SYNO_OPT_WS_MIN] * (1 - 1e-9) || d->hi > sp->spec->opt[SYNO_OPT_WS_MAX] * (1 + 1e-9)))
            ws = false;
        c.can_expand[c.ncand] = outer || ws;
        c.cand[c.ncand++] = o;
    }
    /* a fixed order (by structure, not by id) so that what the search counts does not depend
     * on the order in which dims were created */
    for (int i = 1; i < c.ncand; i++)
        for (int j = i; j > 0 && sx_d(sp, c.cand[j])->bhash < sx_d(sp, c.cand[j - 1])->bhash; j--) {
            uint32_t t = c.cand[j];
            c.cand[j] = c.cand[j - 1];
            c.cand[j - 1] = t;
            bool e = c.can_expand[j];
            c.can_expand[j] = c.can_expand[j - 1];
            c.can_expand[j - 1] = e;
        }
    for (int l = 0; l < sp->nlayers; l++) c.numel[l] = 1;
    contract_dfs(&c, 0, p->use, 0);
}
