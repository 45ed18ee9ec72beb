/* space.c - the synthesis space of a spec: setup (layers, desired input
 * axes, the enumerable sizes, the FLOPs window), the root, cached
 * children, applying a step, finals, descriptions (see space.h). */
#include "base/hash.h"
#include "search/engine.h"
#include "search/final_metrics.h"
#include "search/generate.h"

#include "lang/canon.h"
#include "lang/graph_print.h"
#include "lang/module.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const syno_step_names[SYNO_STEP_COUNT] = {
#define SYNO_STEP(e, name, prim) name,
#include "search/steps.def"
#undef SYNO_STEP
};

const syno_rule_info syno_rules[SYNO_RULE_COUNT] = {
#define SYNO_RULE(e, name, cls, doc) {name, SYNO_RCLASS_##cls, doc},
#include "search/rules.def"
#undef SYNO_RULE
};

static const syno_prim step_prim[SYNO_STEP_COUNT] = {
#define SYNO_STEP(e, name, prim) prim,
#include "search/steps.def"
#undef SYNO_STEP
};

static int size_choice_cmp(const void *a, const void *b)
{
    const sx_size_choice *x = a, *y = b;
    int sx = 0, sy = 0;
    for (int v = 0; v < SYNO_MAX_VARS; v++) sx += x->use[v], sy += y->use[v];
    if (sx != sy) return sx - sy;
    return -syno_size_cmp(x->size, y->size);
}

/* The index of size Q in SP's enumerable sizes (their order is
 * size_choice_cmp's), or -1 when it is none of them. */
int sx_size_index(const syno_space *sp, syno_size q)
{
    sx_size_choice key;
    memset(&key, 0, sizeof key);
    key.size = q;
    for (int v = 0; v < SYNO_MAX_VARS; v++) key.use[v] = (int8_t)abs(q.e[v]);
    const sx_size_choice *c = bsearch(&key, sp->sizes, (size_t)sp->nsizes, sizeof *sp->sizes, size_choice_cmp);
    return c ? (int)(c - sp->sizes) : -1;
}

/* The sizes a reduction or a stride may take (syno-internals §1
 * "enumerateSizes"): primaries with exponents 0..min(allowance, E-1),
 * coefficients within [-E/2, E/2] and their allowance, keeping legal sizes. */
/* The exponents enumerate_sizes tries for each variable of SPEC, into
 * LO..HI; returns how many sizes that is (their product). */
static double size_ranges(const syno_spec *spec, int *lo, int *hi)
{
    int E = (int)spec->opt[SYNO_OPT_ENUMERATIONS];
    double n = 1;
    for (int v = 0; v < spec->vars->n; v++) {
        int a = spec->allow[v];
        if (spec->vars->v[v].kind == SYNO_VAR_PRIMARY) {
            lo[v] = 0;
            hi[v] = a < E - 1 ? a : E - 1;
        } else {
            lo[v] = E / 2 - E + 1 > -a ? E / 2 - E + 1 : -a;
            hi[v] = E / 2 < a ? E / 2 : a;
        }
        n *= hi[v] - lo[v] + 1;
    }
    return n;
}

typedef struct hi_index {
    float hi;
    int k;
} hi_index;

static int hi_index_cmp(const void *a, const void *b)
{
    const hi_index *x = a, *y = b;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    return x->k - y->k;
}

static void enumerate_sizes(syno_space *sp)
{
    int maxvars = (int)sp->spec->opt[SYNO_OPT_VARS_IN_SIZE];
    int lo[SYNO_MAX_VARS], hi[SYNO_MAX_VARS], cur[SYNO_MAX_VARS];
    size_ranges(sp->spec, lo, hi);
    for (int v = 0; v < sp->nvars; v++) cur[v] = lo[v];
    int cap = 256;
    sp->sizes = syno_xmalloc((size_t)cap * sizeof *sp->sizes);
    for (;;) {
        syno_size s = syno_size_one();
        int nv = 0;
        for (int v = 0; v < sp->nvars; v++) s.e[v] = (int8_t)cur[v], nv += cur[v] != 0;
        if ((!maxvars || nv <= maxvars) && sx_size_legal(sp, s)) {
            if (sp->nsizes == cap) sp->sizes = syno_xrealloc(sp->sizes, (size_t)(cap *= 2) * sizeof *sp->sizes);
            sx_size_choice *c = &sp->sizes[sp->nsizes++];
            memset(c, 0, sizeof *c);
            c->size = s;
            for (int v = 0; v < sp->nvars; v++) {
                c->use[v] = (int8_t)abs(cur[v]);
                sp->size_vars |= (uint32_t)(cur[v] > 0) << v;
            }
        }
        int v = 0;
        while (v < sp->nvars && ++cur[v] > hi[v]) cur[v] = lo[v], v++;
        if (v == sp->nvars) break;
    }
    qsort(sp->sizes, (size_t)sp->nsizes, sizeof *sp->sizes, size_choice_cmp);
    /* the order the stride generator tries them in: the largest value ascending */
    size_t n = (size_t)(sp->nsizes ? sp->nsizes : 1);
    hi_index *order = syno_xmalloc(n * sizeof *order);
    sp->by_hi = syno_xmalloc(n * sizeof *sp->by_hi);
    for (int k = 0; k < sp->nsizes; k++) {
        const sx_size_info *in = sx_size_get(sp, sp->sizes[k].size);
        sp->sizes[k].lo = in->lo;
        sp->sizes[k].hi = in->hi;
        order[k] = (hi_index){in->hi, k};
    }
    qsort(order, (size_t)sp->nsizes, sizeof *order, hi_index_cmp);
    for (int k = 0; k < sp->nsizes; k++) sp->by_hi[k] = order[k].k;
    free(order);
}

/* The binding of OP's variables that gives each the value of its namesake
 * in B (for an operator of another module, such as the baseline). */
static void translate_binding(const syno_vars *from, const syno_binding *b, const syno_op *op, syno_binding *out)
{
    syno_binding_defaults(op->vars, out);
    out->name = b->name;
    for (int v = 0; v < op->vars->n; v++) {
        int j = syno_vars_find(from, op->vars->v[v].name);
        if (j >= 0 && b->val[j] > 0) out->val[v] = b->val[j];
    }
}

/* Builds the space of SPEC (see space.h). */
syno_space *syno_space_new(const syno_spec *spec, syno_diags *d)
{
    if (!spec->nlayers) {
        syno_diag_error(d, spec->range, "search '%s' has no 'layers': the search needs the concrete sizes of at least one "
                                        "layer (add 'layers NAME, ...;' naming bind blocks)", spec->name);
        return NULL;
    }
    int lo[SYNO_MAX_VARS], hi[SYNO_MAX_VARS];
    double nsizes = size_ranges(spec, lo, hi);
    if (nsizes > SX_MAX_SIZE_TRIES) {
        syno_diag_error(d, spec->range,
                        "search '%s' would try %.3g sizes for every reduction and stride (the exponents its 'size' and "
                        "'coef' allowances and 'enumerations_per_var' %g allow, over %d variables); at most %d: lower "
                        "the allowances or 'enumerations_per_var'",
                        spec->name, nsizes, spec->opt[SYNO_OPT_ENUMERATIONS], spec->vars->n, SX_MAX_SIZE_TRIES);
        return NULL;
    }
    syno_space *sp = syno_xcalloc(1, sizeof *sp);
    sp->spec = spec;
    sp->vars = spec->vars;
    sp->nvars = spec->vars->n;
    sp->nlayers = spec->nlayers;
    sp->depth = spec->depth;
    sp->dchunk = syno_xcalloc(SX_MAX_CHUNKS, sizeof *sp->dchunk);
    pthread_mutex_init(&sp->lock, NULL);
    pthread_cond_init(&sp->seen_cond, NULL);
    pthread_mutex_init(&sp->memo_lock, NULL);
    sp->max_red = spec->reductions;
    sp->max_weights = spec->weights;
    sp->diags = d;
    for (int l = 0; l < sp->nlayers; l++)
        for (int v = 0; v < sp->nvars; v++) {
            int64_t x = spec->layer_binding[l].val[v];
            sp->val[l][v] = x;
            sp->logval[l][v] = x > 0 ? log((double)x) : -INFINITY;
        }
    for (int i = 0; i < spec->nout; i++) {
        sp->fixed_out[i] = -1;
        for (int v = 0; v < sp->nvars; v++) {
            if (!(spec->fixed & (1u << v)) || !syno_size_eq(spec->out[i].size, syno_size_var(v))) continue;
            for (int k = 0; k < spec->nin; k++)
                if (syno_size_eq(spec->in[k].size, syno_size_var(v))) sp->fixed_out[i] = k;
        }
    }
    for (int i = 0; i < spec->nin; i++) {
        bool fixed = false;
        for (int v = 0; v < sp->nvars; v++)
            if ((spec->fixed & (1u << v)) && syno_size_eq(spec->in[i].size, syno_size_var(v))) fixed = true;
        if (fixed) continue;
        sp->des[sp->ndes] = spec->in[i].size;
        sp->des_unordered[sp->ndes] = spec->in[i].unordered;
        sp->des_axis[sp->ndes++] = i;
        for (int v = 0; v < sp->nvars; v++)
            if (spec->in[i].size.e[v] > 0 && sp->vars->v[v].kind == SYNO_VAR_PRIMARY) {
                sp->des_vars |= 1u << v;
                sp->des_demand[v] += spec->in[i].size.e[v];
            }
    }
    for (int l = 0; l < sp->nlayers; l++) {
        sp->in_numel[l] = sp->in_numel_all[l] = 1;
        for (int i = 0; i < spec->nin; i++) {
            double v = sx_size_value(sp, spec->in[i].size, l);
            sp->in_numel_all[l] *= v;
        }
        for (int j = 0; j < sp->ndes; j++) sp->in_numel[l] *= sx_size_value(sp, sp->des[j], l);
    }
    for (int k = 0; k < SYNO_STEP_COUNT; k++) sp->limit[k] = spec->limit[step_prim[k]];
    sp->limit[SYNO_STEP_REDUCE] = sp->limit[SYNO_STEP_CONTRACT] = -1;
    if (spec->baseline_op) {
        for (int l = 0; l < sp->nlayers; l++) {
            syno_binding b;
            translate_binding(sp->vars, &spec->layer_binding[l], spec->baseline_op, &b);
            sp->baseline_flops += syno_search_op_flops(spec->baseline_op, &b);
            sp->baseline_params += syno_search_op_params(spec->baseline_op, &b);
        }
    }
    sp->flops_lo = 0;
    sp->flops_hi = INFINITY;
    if (spec->has_flops) {
        double scale = spec->flops_relative ? sp->baseline_flops : 1;
        sp->flops_lo = spec->flops_min * scale;
        sp->flops_hi = spec->flops_max * scale;
    }
    enumerate_sizes(sp);
    sx_set_init(&sp->store, sp);
    /* the root: every output axis that is not fixed */
    syno_pstate *root = sx_state_alloc(sp->store.arena, SX_MAX_STATE_DIMS);
    for (int i = 0; i < spec->nout; i++)
        if (sp->fixed_out[i] < 0) root->d[root->nf++] = sx_dim_intern(sp, SX_ITER, i, -1, syno_size_one(), 0);
    sx_state_rehash(sp, root);
    root->dist = (uint8_t)sx_distance(sp, root);
    sp->root = sx_set_intern(&sp->store, root, NULL);
    sp->local.stats.states = 1;
    return sp;
}

/* Sets the depth bound of SP to DEPTH (before anything is generated). */
void syno_space_set_depth(syno_space *sp, int depth)
{
    SYNO_ASSERT(sp->local.stats.states <= 1 && depth >= 1 && depth < SX_DIST_UNKNOWN);
    sp->depth = depth;
    sx_memo_fini(&sp->local.dist_memo); /* distances are capped by the depth */
    syno_pstate *root = (syno_pstate *)sp->root;
    root->dist = (uint8_t)sx_distance(sp, root);
}

/* Frees SP and everything it owns (states, dims, finals' dedup table). */
void syno_space_free(syno_space *sp)
{
    if (!sp) return;
    for (size_t i = 0; i < sp->store.cap; i++) {
        syno_pstate *st = sp->store.slot ? sp->store.slot[i] : NULL;
        if (st && st->kids) {
            free(st->kids->v[0]);
            free(st->kids->v[1]);
            free(st->kids);
        }
    }
    sx_set_fini(&sp->store);
    sx_local_fini(&sp->local);
    for (uint32_t c = 0; c < SX_MAX_CHUNKS && sp->dchunk && sp->dchunk[c]; c++) free(sp->dchunk[c]);
    free(sp->dchunk);
    pthread_mutex_destroy(&sp->lock);
    pthread_cond_destroy(&sp->seen_cond);
    pthread_mutex_destroy(&sp->memo_lock);
    sx_dtab_free(sp);
    free(sp->sizes);
    free(sp->by_hi);
    sx_memo_fini(&sp->seen);
    free(sp->red_quota);
    free(sp);
}

/* The spec SP was built from. */
const syno_spec *syno_space_spec(const syno_space *sp)
{
    return sp->spec;
}

/* The baseline's summed FLOPs and parameters (see space.h). */
bool syno_space_baseline(const syno_space *sp, double *flops, double *params)
{
    *flops = sp->baseline_flops;
    *params = sp->baseline_params;
    return sp->spec->baseline_op != NULL;
}

/* The FLOPs window's floor (see the header). */
double syno_space_flops_floor(const syno_space *sp)
{
    return sp->flops_lo;
}

/* Puts a copy of the root into SET. */
void sx_intern_root(syno_space *sp, sx_set *set)
{
    sx_set_intern(set, sp->root, NULL);
}

/* The root state of SP. */
const syno_pstate *syno_space_root(syno_space *sp)
{
    return sp->root;
}

typedef struct collect {
    syno_child *v;
    int n, cap;
} collect;

static void collect_emit(syno_space *sp, void *ctx, const syno_pstate *child, const syno_step *step)
{
    collect *c = ctx;
    bool added;
    syno_pstate *st = sx_set_intern(&sp->store, child, &added);
    if (added) sx_loc(sp)->stats.states++;
    else sx_loc(sp)->stats.merged++;
    for (int i = 0; i < c->n; i++)
        if (c->v[i].state == st) return; /* the same child by another step (equal reductions swapped) */
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = syno_xrealloc(c->v, (size_t)c->cap * sizeof *c->v);
    }
    c->v[c->n].step = *step;
    c->v[c->n].state = st;
    c->n++;
}

static int child_cmp(const void *a, const void *b)
{
    const syno_child *x = a, *y = b;
    if (x->step.kind != y->step.kind) return (int)x->step.kind - (int)y->step.kind;
    return x->step.key < y->step.key ? -1 : x->step.key > y->step.key;
}

/* The children of ST, all of them (GUIDED false) or those the walks'
 * guide admits, generated once and kept with the state. */
static int children(syno_space *sp, const syno_pstate *st, bool guided, const syno_child **out)
{
    syno_pstate *s = (syno_pstate *)st; /* states handed out live in the store */
    if (!s->kids) s->kids = syno_xcalloc(1, sizeof *s->kids);
    if (!s->kids->v[guided]) {
        collect c = {0};
        if (guided) sx_generate_guided(sp, st, collect_emit, &c);
        else sx_generate(sp, st, collect_emit, &c);
        if (c.n > 1) qsort(c.v, (size_t)c.n, sizeof *c.v, child_cmp);
        s->kids->v[guided] = c.v ? c.v : syno_xcalloc(1, sizeof *c.v);
        s->kids->n[guided] = c.n;
    }
    *out = s->kids->v[guided];
    return s->kids->n[guided];
}

/* The canonical children of ST (see space.h). */
int syno_space_children(syno_space *sp, const syno_pstate *st, const syno_child **out)
{
    return children(sp, st, false, out);
}

/* The canonical children of ST that the walks' guide admits (see
 * space.h). */
int syno_space_guided_children(syno_space *sp, const syno_pstate *st, const syno_child **out)
{
    return children(sp, st, true, out);
}

static bool same_step(const syno_step *a, const syno_step *b)
{
    if (a->kind != b->kind || a->n != b->n || !syno_size_eq(a->param, b->param)) return false;
    if (a->kind == SYNO_STEP_REDUCE) return true; /* the next reduction of that size */
    for (int i = 0; i < a->n; i++) {
        bool found = false;
        for (int j = 0; j < b->n && !found; j++)
            found = a->op[i] == b->op[j] && a->expand[i] == b->expand[j] && (a->kind == SYNO_STEP_CONTRACT || i == j);
        if (!found) return false;
    }
    return true;
}

/* Applies STEP to ST (see space.h). */
const syno_pstate *syno_space_apply(syno_space *sp, const syno_pstate *st, const syno_step *step, syno_rule *why)
{
    const syno_child *kids;
    int n = syno_space_children(sp, st, &kids);
    for (int i = 0; i < n; i++)
        if (same_step(&kids[i].step, step)) return kids[i].state;
    if (why) {
        /* generate only this step and see which rule drops it */
        uint64_t before[SYNO_RULE_COUNT];
        syno_space_stats *stats = &sx_loc(sp)->stats;
        memcpy(before, stats->rejected, sizeof before);
        sx_generate_only(sp, st, step);
        *why = SYNO_RULE_COUNT;
        if (st->depth >= sp->depth) *why = SYNO_RULE_DEPTH;
        for (int r = 0; r < SYNO_RULE_COUNT; r++)
            if (stats->rejected[r] != before[r]) {
                *why = (syno_rule)r;
                break;
            }
        memcpy(stats->rejected, before, sizeof before);
    }
    return NULL;
}

/* The finals of ST (see space.h). */
int syno_space_finals(syno_space *sp, const syno_pstate *st, bool dedup, syno_final ***out)
{
    return sx_finalize(sp, st, dedup, out);
}

/* The staged plans' FLOPs of F (see space.h). */
void syno_space_final_exact_flops(syno_space *sp, syno_final *f)
{
    sx_final_exact_flops(sp, f);
}

/* The canonical hash of OP (lang/canon.h), at the unordered level when
 * the spec marks axes unordered.  Should canonicalization fail (it does not
 * on valid ops), a hash of the printed form stands in. */
uint64_t syno_space_final_hash(syno_space *sp, const syno_op *op)
{
    sx_local *lc = sx_loc(sp);
    if (!lc->canon) lc->canon = syno_canon_new();
    syno_canon_opts o;
    memset(&o, 0, sizeof o);
    bool in_u[SYNO_SPEC_MAX_AXES], out_u[SYNO_SPEC_MAX_AXES], any = false;
    for (int i = 0; i < sp->spec->nin; i++) any |= in_u[i] = sp->spec->in[i].unordered;
    for (int i = 0; i < sp->spec->nout; i++) any |= out_u[i] = sp->spec->out[i].unordered;
    if (any) {
        o.flags = SYNO_CANON_UNORDERED;
        o.in_unordered = in_u;
        o.out_unordered = out_u;
    }
    uint64_t h;
    if (syno_canon_hash(lc->canon, op, &o, &h)) return h;
    syno_buf b = SYNO_BUF_INIT;
    syno_graph_print_op(op, "op", 0, &b);
    h = syno_hash_fnv1a(SYNO_HASH_FNV_INIT, b.data, b.len);
    syno_buf_fini(&b);
    return h;
}

int syno_pstate_depth(const syno_pstate *st)
{
    return st->depth;
}

int syno_pstate_distance(syno_space *sp, const syno_pstate *st)
{
    int d = sx_state_distance(sp, st);
    return d == SX_DIST_UNKNOWN ? -1 : d;
}

double syno_pstate_flops_bound(const syno_pstate *st)
{
    return st->flops_lb;
}

/* Appends the open dims of ST, then its expanded dims and weights. */
void syno_space_describe(syno_space *sp, const syno_pstate *st, syno_buf *out)
{
    for (int i = 0; i < st->nf; i++) {
        if (i) syno_buf_puts(out, ", ");
        sx_dim_text(sp, st->d[i], out);
    }
    if (st->ne) {
        syno_buf_puts(out, "; expanded ");
        for (int i = 0; i < st->ne; i++) {
            if (i) syno_buf_puts(out, ", ");
            sx_dim_text(sp, st->d[st->nf + i], out);
        }
    }
    for (int w = 1; w <= st->nweights; w++) {
        syno_buf_printf(out, "; weight %d [", w);
        int k = 0;
        for (int i = st->nf + st->ne; i < st->nf + st->ne + st->nw; i++) {
            const sx_dim *d = sx_d(sp, st->d[i]);
            if (d->wid != w) continue;
            if (k++) syno_buf_puts(out, ", ");
            syno_size_print(sp->vars, d->size, out);
        }
        syno_buf_putc(out, ']');
    }
}

/* Appends STEP as text: "unfold(out2:H, x1(sum:k))". */
void syno_space_describe_step(syno_space *sp, const syno_step *step, syno_buf *out)
{
    syno_buf_printf(out, "%s(", syno_step_names[step->kind]);
    if (step->kind == SYNO_STEP_REDUCE) syno_size_print(sp->vars, step->param, out);
    for (int i = 0; i < step->n; i++) {
        if (step->kind == SYNO_STEP_REDUCE) break;
        if (i) syno_buf_puts(out, ", ");
        if (step->expand[i]) syno_buf_puts(out, "expand ");
        sx_dim_text(sp, step->op[i], out);
    }
    if (step->kind == SYNO_STEP_MERGE || step->kind == SYNO_STEP_STRIDE) {
        syno_buf_puts(out, ", ");
        syno_size_print(sp->vars, step->param, out);
    }
    syno_buf_putc(out, ')');
}

/* The number of open dims of ST (see space.h). */
int syno_pstate_nopen(const syno_pstate *st)
{
    return st->nf;
}

/* The I-th open dim of ST: its text and size (see space.h). */
syno_size syno_space_open_dim(syno_space *sp, const syno_pstate *st, int i, syno_buf *out)
{
    SYNO_ASSERT(i >= 0 && i < st->nf);
    if (out) sx_dim_text(sp, st->d[i], out);
    return sx_d(sp, st->d[i])->size;
}

/* The counters of SP. */
syno_space_stats *syno_space_stats_of(syno_space *sp)
{
    return &sp->local.stats;
}
