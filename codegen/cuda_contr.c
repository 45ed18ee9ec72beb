/* cuda_contr.c - gather-form contractions derived from operator graphs
 * (see cuda_contr.h for the idea and the guarantees).
 *
 * The derivation keeps, per dim, whether its index is known and, if so,
 * its value as an affine expression over the iterators created so far.
 * `propagate` applies every primitive whose index map can be solved for
 * its unknown dims from its known ones, until nothing changes; `pick` then
 * turns one unknown dim into a new summed iterator.  At the end every
 * primitive whose relation was never used to compute a value becomes a
 * guard, so no combination of choices can produce a wrong kernel. */
#include "codegen/cuda_contr.h"

#include "codegen/plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct derive {
    syno_cuda_contr *c;
    const syno_op *op;
    const int64_t *sizes;
    bool *known;
    syno_ix *val;
    bool *applied;   /* per node: its relation is encoded */
    bool full;       /* guard table overflowed */
    int equalities;  /* equality guards added by set() */
} derive;

static const char *guess_name(const syno_op *op, int d, int depth);
static void ident(char *dst, size_t n, const char *prefix, const char *name);
static const char *guess_below(const syno_op *op, int d, int depth);

/* Guard LO <= E <= HI, dropped when E's range proves it. */
static bool contr_guard(syno_cuda_contr *c, const syno_ix *e, int64_t lo, int64_t hi)
{
    int64_t elo, ehi;
    syno_ix_range(&c->sp, e, &elo, &ehi);
    if (elo >= lo && ehi <= hi) return true;
    for (int i = 0; i < c->nguards; i++) {
        syno_cuda_guard *g = &c->guards[i];
        if (syno_ix_equal(&g->e, e)) {
            if (lo > g->lo) g->lo = lo;
            if (hi < g->hi) g->hi = hi;
            return true;
        }
    }
    if (c->nguards == SYNO_CUDA_MAX_GUARDS) return false;
    c->guards[c->nguards].e = *e;
    c->guards[c->nguards].lo = lo;
    c->guards[c->nguards++].hi = hi;
    return true;
}

static void guard(derive *d, const syno_ix *e, int64_t lo, int64_t hi)
{
    if (!contr_guard(d->c, e, lo, hi)) d->full = true;
}

/* Dim D gets value V: first time it is known; afterwards the two values
 * must agree (an equality guard).  Either way V must lie in D's range. */
static void set(derive *d, int dim, const syno_ix *v)
{
    if (d->known[dim]) {
        if (!syno_ix_equal(&d->val[dim], v)) {
            syno_ix diff = syno_ix_sub(&d->c->sp, &d->val[dim], v);
            guard(d, &diff, 0, 0);
            d->equalities++;
        }
        return;
    }
    d->known[dim] = true;
    d->val[dim] = *v;
    guard(d, v, 0, d->sizes[dim] - 1);
}

/* Applies node N if one of its solvable forms has its inputs known. */
static bool apply(derive *d, int ni)
{
    const syno_node *n = &d->op->nodes[ni];
    syno_ix_space *sp = &d->c->sp;
    const int *in = n->in, *out = n->out;
    bool *k = d->known;
    syno_ix *v = d->val;
    const int64_t *sz = d->sizes;
    switch (n->prim) {
    case SYNO_PRIM_SPLIT: { /* x = l*R + r */
        int64_t R = sz[out[1]];
        if (k[in[0]] && (!k[out[0]] || !k[out[1]])) {
            syno_ix l = syno_ix_div(sp, &v[in[0]], R), r = syno_ix_mod(sp, &v[in[0]], R);
            set(d, out[0], &l);
            set(d, out[1], &r);
            return true;
        }
        if (!k[in[0]] && k[out[0]] && k[out[1]]) {
            syno_ix l = syno_ix_scale(sp, &v[out[0]], R);
            syno_ix x = syno_ix_add(sp, &l, &v[out[1]]);
            set(d, in[0], &x);
            return true;
        }
        return false;
    }
    case SYNO_PRIM_MERGE: { /* a = y / |b|, b = y mod |b| */
        int64_t B = sz[in[1]];
        if (k[out[0]] && (!k[in[0]] || !k[in[1]])) {
            syno_ix a = syno_ix_div(sp, &v[out[0]], B), b = syno_ix_mod(sp, &v[out[0]], B);
            set(d, in[0], &a);
            set(d, in[1], &b);
            return true;
        }
        if (!k[out[0]] && k[in[0]] && k[in[1]]) {
            syno_ix a = syno_ix_scale(sp, &v[in[0]], B);
            syno_ix y = syno_ix_add(sp, &a, &v[in[1]]);
            set(d, out[0], &y);
            return true;
        }
        return false;
    }
    case SYNO_PRIM_SHIFT: { /* x = (y + s) mod n */
        int64_t N = sz[in[0]];
        if (k[out[0]] && !k[in[0]]) {
            syno_ix t = syno_ix_addc(&v[out[0]], n->shift);
            syno_ix x = syno_ix_mod(sp, &t, N);
            set(d, in[0], &x);
            return true;
        }
        if (k[in[0]] && !k[out[0]]) {
            syno_ix t = syno_ix_addc(&v[in[0]], -n->shift);
            syno_ix y = syno_ix_mod(sp, &t, N);
            set(d, out[0], &y);
            return true;
        }
        return false;
    }
    case SYNO_PRIM_REVERSE: { /* x = n - 1 - y */
        int64_t N = sz[in[0]];
        int from = k[out[0]] && !k[in[0]] ? out[0] : k[in[0]] && !k[out[0]] ? in[0] : -1;
        if (from < 0) return false;
        syno_ix t = syno_ix_scale(sp, &v[from], -1);
        t = syno_ix_addc(&t, N - 1);
        set(d, from == out[0] ? in[0] : out[0], &t);
        return true;
    }
    case SYNO_PRIM_STRIDE: { /* x = y * s */
        int64_t S = sz[in[0]] / sz[out[0]];
        if (k[out[0]] && !k[in[0]]) {
            syno_ix x = syno_ix_scale(sp, &v[out[0]], S);
            set(d, in[0], &x);
            return true;
        }
        if (k[in[0]] && !k[out[0]]) {
            syno_ix rem = syno_ix_mod(sp, &v[in[0]], S);
            guard(d, &rem, 0, 0);
            syno_ix y = syno_ix_div(sp, &v[in[0]], S);
            set(d, out[0], &y);
            return true;
        }
        return false;
    }
    case SYNO_PRIM_UNFOLD: { /* x = m + w - K/2, x in range */
        int64_t half = sz[out[1]] / 2;
        int x = in[0], m = out[0], w = out[1];
        if (!k[x] && k[m] && k[w]) {
            syno_ix t = syno_ix_add(sp, &v[m], &v[w]);
            t = syno_ix_addc(&t, -half);
            set(d, x, &t);
            return true;
        }
        if (k[x] && k[m] && !k[w]) {
            syno_ix t = syno_ix_sub(sp, &v[x], &v[m]);
            t = syno_ix_addc(&t, half);
            set(d, w, &t);
            return true;
        }
        if (k[x] && !k[m] && k[w]) {
            syno_ix t = syno_ix_sub(sp, &v[x], &v[w]);
            t = syno_ix_addc(&t, half);
            set(d, m, &t);
            return true;
        }
        return false;
    }
    case SYNO_PRIM_SHARE: { /* a = b = y */
        int dims[3] = {in[0], in[1], out[0]};
        int from = -1, unknown = 0;
        for (int i = 0; i < 3; i++) {
            if (k[dims[i]] && from < 0) from = dims[i];
            if (!k[dims[i]]) unknown++;
        }
        if (from < 0 || unknown == 0) return false;
        syno_ix val = v[from];
        for (int i = 0; i < 3; i++) set(d, dims[i], &val); /* equality guards for the known others */
        return true;
    }
    case SYNO_PRIM_EXPAND:
    case SYNO_PRIM_SUM:
    case SYNO_PRIM_MEAN:
        return true; /* no relation between indices */
    case SYNO_PRIM_COUNT: break;
    }
    SYNO_UNREACHABLE();
}

static void propagate(derive *d)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (int oi = 0; oi < d->op->norder; oi++) {
            int ni = d->op->order[oi];
            if (d->applied[ni]) continue;
            if (apply(d, ni)) {
                d->applied[ni] = true;
                changed = true;
            }
        }
    }
}

/* The unknown dims in the order they are worth freeing: operands of
 * sum/mean, expands, output dims, tensor axes, the rest.  Returns the count. */
static int candidates(const derive *d, int *out)
{
    const syno_op *op = d->op;
    int n = 0;
    bool *seen = syno_xcalloc((size_t)op->ndims, sizeof *seen);
#define CAND(dim)                                        \
    do {                                                 \
        int d_ = (dim);                                  \
        if (!d->known[d_] && !seen[d_]) {                \
            seen[d_] = true;                             \
            out[n++] = d_;                               \
        }                                                \
    } while (0)
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *nd = &op->nodes[op->order[oi]];
        if (nd->prim == SYNO_PRIM_SUM || nd->prim == SYNO_PRIM_MEAN) CAND(nd->in[0]);
    }
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *nd = &op->nodes[op->order[oi]];
        if (nd->prim == SYNO_PRIM_EXPAND) CAND(nd->out[0]);
    }
    for (int i = 0; i < op->nout; i++) CAND(op->out[i]);
    for (int t = 0; t < op->ntensors; t++)
        for (int a = 0; a < op->tensors[t].rank; a++) CAND(op->tensors[t].axes[a]);
    for (int i = 0; i < op->ndims; i++) CAND(i);
#undef CAND
    free(seen);
    return n;
}

/* Makes DIM a new summed iterator; false when there are too many. */
static bool free_dim(derive *d, int dim)
{
    syno_cuda_contr *c = d->c;
    int it = syno_ix_add_iter(&c->sp, d->sizes[dim]);
    if (it < 0) return false;
    const char *nm = guess_name(d->op, dim, 0);
    if (!nm) nm = guess_below(d->op, dim, 0);
    if (nm) ident(c->iter_name[it], sizeof c->iter_name[it], "r_", nm);
    else snprintf(c->iter_name[it], sizeof c->iter_name[it], "r%d", dim);
    for (int j = 0; j < it; j++) /* two iterators of one name: number the later one */
        if (strcmp(c->iter_name[j], c->iter_name[it]) == 0) {
            size_t len = strlen(c->iter_name[it]);
            snprintf(c->iter_name[it] + len, sizeof c->iter_name[it] - len, "_%d", it);
        }
    syno_ix v = syno_ix_iter(&c->sp, it);
    set(d, dim, &v);
    return true;
}

/* Picks the next dim to free (-1 when all are known): the first candidate
 * whose consequences need no equality guard (a freed dim that some
 * relation also determines would make the loop run over values the guard
 * then discards), else the first candidate. */
static int pick(derive *d)
{
    const syno_op *op = d->op;
    syno_cuda_contr *c = d->c;
    int *cand = syno_xmalloc((size_t)op->ndims * sizeof *cand);
    int n = candidates(d, cand), best = n ? cand[0] : -1;
    bool *known = syno_xmalloc((size_t)op->ndims * sizeof *known);
    bool *applied = syno_xmalloc((size_t)(op->nnodes ? op->nnodes : 1) * sizeof *applied);
    syno_ix *val = syno_xmalloc((size_t)op->ndims * sizeof *val);
    for (int i = 0; i < n && n > 1; i++) {
        memcpy(known, d->known, (size_t)op->ndims * sizeof *known);
        memcpy(applied, d->applied, (size_t)(op->nnodes ? op->nnodes : 1) * sizeof *applied);
        memcpy(val, d->val, (size_t)op->ndims * sizeof *val);
        int natoms = c->sp.natoms, niters = c->sp.niters, nguards = c->nguards, eq = d->equalities;
        bool full = d->full, overflow = c->sp.overflow;
        bool fits = free_dim(d, cand[i]);
        if (fits) propagate(d);
        bool clean = fits && d->equalities == eq;
        /* Roll back. */
        memcpy(d->known, known, (size_t)op->ndims * sizeof *known);
        memcpy(d->applied, applied, (size_t)(op->nnodes ? op->nnodes : 1) * sizeof *applied);
        memcpy(d->val, val, (size_t)op->ndims * sizeof *val);
        c->sp.natoms = natoms;
        c->sp.niters = niters;
        c->nguards = nguards;
        d->equalities = eq;
        d->full = full;
        c->sp.overflow = overflow;
        if (clean) {
            best = cand[i];
            break;
        }
    }
    free(cand);
    free(known);
    free(applied);
    free(val);
    return best;
}

/* Checks, as guards, the relation of a node whose dims all became known
 * without it. */
static void check_relation(derive *d, int ni)
{
    const syno_node *n = &d->op->nodes[ni];
    syno_ix_space *sp = &d->c->sp;
    syno_ix *v = d->val;
    const int *in = n->in, *out = n->out;
    const int64_t *sz = d->sizes;
    syno_ix lhs, rhs;
    switch (n->prim) {
    case SYNO_PRIM_SPLIT:
        lhs = v[in[0]];
        rhs = syno_ix_scale(sp, &v[out[0]], sz[out[1]]);
        rhs = syno_ix_add(sp, &rhs, &v[out[1]]);
        break;
    case SYNO_PRIM_MERGE:
        lhs = v[out[0]];
        rhs = syno_ix_scale(sp, &v[in[0]], sz[in[1]]);
        rhs = syno_ix_add(sp, &rhs, &v[in[1]]);
        break;
    case SYNO_PRIM_SHIFT: {
        lhs = v[in[0]];
        syno_ix t = syno_ix_addc(&v[out[0]], n->shift);
        rhs = syno_ix_mod(sp, &t, sz[in[0]]);
        break;
    }
    case SYNO_PRIM_REVERSE:
        lhs = v[in[0]];
        rhs = syno_ix_scale(sp, &v[out[0]], -1);
        rhs = syno_ix_addc(&rhs, sz[in[0]] - 1);
        break;
    case SYNO_PRIM_STRIDE:
        lhs = v[in[0]];
        rhs = syno_ix_scale(sp, &v[out[0]], sz[in[0]] / sz[out[0]]);
        break;
    case SYNO_PRIM_UNFOLD:
        lhs = v[in[0]];
        rhs = syno_ix_add(sp, &v[out[0]], &v[out[1]]);
        rhs = syno_ix_addc(&rhs, -(sz[out[1]] / 2));
        break;
    case SYNO_PRIM_SHARE: {
        syno_ix a = syno_ix_sub(sp, &v[in[0]], &v[out[0]]), b = syno_ix_sub(sp, &v[in[1]], &v[out[0]]);
        guard(d, &a, 0, 0);
        guard(d, &b, 0, 0);
        return;
    }
    default: return;
    }
    syno_ix diff = syno_ix_sub(sp, &lhs, &rhs);
    guard(d, &diff, 0, 0);
}

/* A name for dim D: its own, or that of the first named dim above it
 * (the data input's side first), so that sum(share(c, fc)) loops over "c". */
static const char *guess_name(const syno_op *op, int d, int depth)
{
    if (op->dims[d].name) return op->dims[d].name;
    int k = op->dims[d].src;
    if (k < 0 || depth > 16) return NULL;
    const syno_node *n = &op->nodes[k];
    for (int i = 0; i < 2; i++)
        if (n->in[i] >= 0 && (op->mask[n->in[i]] & 1u)) {
            const char *s = guess_name(op, n->in[i], depth + 1);
            if (s) return s;
        }
    for (int i = 0; i < 2; i++)
        if (n->in[i] >= 0) {
            const char *s = guess_name(op, n->in[i], depth + 1);
            if (s) return s;
        }
    return NULL;
}

/* For a dim nothing named feeds (an expand): the name of a named dim it
 * is combined with below, e.g. "fo" for share(expand(C_out), fo). */
static const char *guess_below(const syno_op *op, int d, int depth)
{
    int k = op->dims[d].dst;
    if (k < 0 || depth > 16) return op->dims[d].name;
    const syno_node *n = &op->nodes[k];
    for (int i = 0; i < 2; i++)
        if (n->in[i] >= 0 && n->in[i] != d && op->dims[n->in[i]].name) return op->dims[n->in[i]].name;
    if (n->out[0] >= 0) {
        if (op->dims[n->out[0]].name) return op->dims[n->out[0]].name;
        return guess_below(op, n->out[0], depth + 1);
    }
    return NULL;
}

/* A C identifier from NAME, prefixed. */
static void ident(char *dst, size_t n, const char *prefix, const char *name)
{
    snprintf(dst, n, "%s", prefix);
    size_t len = strlen(dst);
    for (const char *s = name; *s && len + 1 < n; s++) dst[len++] = isalnum((unsigned char)*s) ? *s : '_';
    dst[len] = 0;
}

/* Words a parameter must not be called: C/CUDA words and the emitter's locals. */
static const char *const reserved[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "int", "long", "register", "return", "short", "signed", "sizeof", "static",
    "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "inline", "restrict",
    "bool", "true", "false", "new", "delete", "class", "this", "template", "typename", "operator", "private",
    "public", "protected", "namespace", "using", "virtual", "friend", "asm", "min", "max", "threadIdx",
    "blockIdx", "blockDim", "gridDim", "warpSize", "acc", "tid", "idx", "lane", "As", "Bs", "k0", "kt", "m0",
    "n0", "z0", "ws", "split", "batch",
};

/* Whether NAME has the shape of an emitter local: t12, i3, r7, i_h, r_c. */
static bool looks_local(const char *name)
{
    if ((name[0] == 'i' || name[0] == 'r') && name[1] == '_') return true;
    if (name[0] != 't' && name[0] != 'i' && name[0] != 'r') return false;
    if (!name[1]) return false;
    for (const char *s = name + 1; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

/* NAME as a parameter name: a C identifier, distinct from the reserved
 * words, the emitter's locals and the parameters already named. */
static void param_name(const syno_cuda_contr *c, char *dst, size_t n, const char *name)
{
    ident(dst, n, "", name);
    if (dst[0] == '_' || looks_local(dst) || strncmp(dst, "syno_", 5) == 0) ident(dst, n, "p_", name);
    for (;;) {
        bool clash = false;
        for (size_t i = 0; i < SYNO_ARRAY_LEN(reserved) && !clash; i++) clash = strcmp(dst, reserved[i]) == 0;
        for (int k = 0; k < c->nops && !clash; k++) clash = &c->ops[k].name[0] != dst && strcmp(c->ops[k].name, dst) == 0;
        if (!clash && c->out_name != dst) clash = strcmp(c->out_name, dst) == 0;
        if (!clash) return;
        size_t len = strlen(dst);
        if (len + 2 >= n) dst[len - 1] = '_';
        else {
            dst[len] = '_';
            dst[len + 1] = 0;
        }
    }
}

/* The C-order offset of the element whose axis indices are the values of AXES. */
static syno_ix offset_of(derive *d, const int *axes, int rank)
{
    syno_ix off = syno_ix_const(0);
    int64_t stride = 1;
    for (int a = rank - 1; a >= 0; a--) {
        syno_ix t = syno_ix_scale(&d->c->sp, &d->val[axes[a]], stride);
        off = syno_ix_add(&d->c->sp, &off, &t);
        stride *= d->sizes[axes[a]];
    }
    return off;
}

static int64_t numel_of(const int64_t *sizes, const int *axes, int rank)
{
    int64_t n = 1;
    for (int a = 0; a < rank; a++) n *= sizes[axes[a]];
    return n;
}

/* Derives the gather-form contraction for TARGET (see cuda_contr.h). */
bool syno_cuda_contr_from_op(syno_cuda_contr *c, const syno_op *op, const int64_t *sizes, int target,
                             const char *prefix, syno_buf *err)
{
    SYNO_ASSERT(op->finished && op->errors == 0);
    SYNO_ASSERT(target == SYNO_CUDA_OUT || (target >= 0 && target < op->ntensors));
    memset(c, 0, sizeof *c);
    syno_ix_space_init(&c->sp);
    c->out_buf = op->ntensors + 1;
    c->scale = 1;
    derive d = {c, op, sizes, NULL, NULL, NULL, false, 0};
    d.known = syno_xcalloc((size_t)op->ndims, sizeof *d.known);
    d.val = syno_xcalloc((size_t)op->ndims, sizeof *d.val);
    d.applied = syno_xcalloc((size_t)(op->nnodes ? op->nnodes : 1), sizeof *d.applied);
    bool ok = true;

    /* The target's axes are the first iterators. */
    const int *axes = target == SYNO_CUDA_OUT ? op->out : op->tensors[target].axes;
    int rank = target == SYNO_CUDA_OUT ? op->nout : op->tensors[target].rank;
    if (target == SYNO_CUDA_OUT) {
        snprintf(c->what, sizeof c->what, "forward: %s", op->name);
        ident(c->name, sizeof c->name, prefix, "_fwd");
    } else {
        snprintf(c->what, sizeof c->what, "gradient of %s with respect to %s", op->name, op->tensors[target].name);
        ident(c->name, sizeof c->name, prefix, "_grad_");
        ident(c->name + strlen(c->name), sizeof c->name - strlen(c->name), "", op->tensors[target].name);
    }
    for (int a = 0; a < rank && ok; a++) {
        int it = syno_ix_add_iter(&c->sp, sizes[axes[a]]);
        if (it < 0) ok = false;
        else {
            const char *nm = op->dims[axes[a]].name;
            if (nm) ident(c->iter_name[it], sizeof c->iter_name[it], "i_", nm);
            else snprintf(c->iter_name[it], sizeof c->iter_name[it], "i%d", a);
            syno_ix v = syno_ix_iter(&c->sp, it);
            set(&d, axes[a], &v);
        }
    }
    c->nout = rank;
    c->out_numel = numel_of(sizes, axes, rank);

    /* Propagate; free one dim whenever stuck. */
    while (ok) {
        propagate(&d);
        int dim = pick(&d);
        if (dim < 0) break;
        ok = free_dim(&d, dim);
    }
    if (!ok) syno_buf_printf(err, "operator '%s' needs more than %d loop iterators", op->name, SYNO_IX_MAX_ITERS);

    for (int ni = 0; ok && ni < op->nnodes; ni++) {
        if (!d.applied[ni]) check_relation(&d, ni);
        if (op->nodes[ni].prim == SYNO_PRIM_MEAN) c->scale /= (double)sizes[op->nodes[ni].in[0]];
    }

    /* Operands: dy first for gradients, then the other tensors in order. */
    if (ok && target != SYNO_CUDA_OUT) {
        syno_cuda_operand *o = &c->ops[c->nops++];
        o->buf = op->ntensors;
        param_name(c, o->name, sizeof o->name, "dy");
        o->numel = numel_of(sizes, op->out, op->nout);
        o->offset = offset_of(&d, op->out, op->nout);
    }
    for (int t = 0; ok && t < op->ntensors; t++) {
        if (t == target) continue;
        syno_cuda_operand *o = &c->ops[c->nops++];
        o->buf = t;
        param_name(c, o->name, sizeof o->name, op->tensors[t].name);
        o->numel = numel_of(sizes, op->tensors[t].axes, op->tensors[t].rank);
        o->offset = offset_of(&d, op->tensors[t].axes, op->tensors[t].rank);
    }
    if (ok) {
        char buf[40];
        if (target == SYNO_CUDA_OUT) snprintf(buf, sizeof buf, "y");
        else ident(buf, sizeof buf, "d", op->tensors[target].name);
        param_name(c, c->out_name, sizeof c->out_name, buf);
    }
    if (ok && d.full) {
        syno_buf_printf(err, "operator '%s' needs more than %d guards in one kernel", op->name, SYNO_CUDA_MAX_GUARDS);
        ok = false;
    }
    if (ok && c->sp.overflow) {
        syno_buf_printf(err, "operator '%s' has index expressions beyond the emitter's limits", op->name);
        ok = false;
    }
    free(d.known);
    free(d.val);
    free(d.applied);
    return ok;
}

/* The contraction of one plan stage (see cuda_contr.h). */
bool syno_cuda_contr_from_stage(syno_cuda_contr *c, const syno_plan *p, int stage, const char *prefix,
                                syno_buf *err)
{
    const syno_plan_stage *st = &p->stages[stage];
    memset(c, 0, sizeof *c);
    syno_ix_space_init(&c->sp);
    c->scale = st->scale;
    c->out_buf = st->out;
    c->nout = st->nout;
    c->out_numel = p->bufs[st->out].numel;
    SYNO_ASSERT(p->bufs[st->out].rank == st->nout);
    if (p->wrt == SYNO_PLAN_FORWARD) snprintf(c->what, sizeof c->what, "forward of %s", p->op->name);
    else snprintf(c->what, sizeof c->what, "gradient of %s with respect to %s", p->op->name, p->op->tensors[p->wrt].name);
    if (p->nstages > 1) {
        size_t len = strlen(c->what);
        snprintf(c->what + len, sizeof c->what - len, ", stage %d of %d", stage + 1, p->nstages);
    }
    snprintf(c->name, sizeof c->name, "%s", prefix);
    if (p->nstages > 1) {
        size_t len = strlen(c->name);
        snprintf(c->name + len, sizeof c->name - len, "_s%d", stage);
    }
    if (st->niters > SYNO_IX_MAX_ITERS) {
        syno_buf_printf(err, "a stage of '%s' needs more than %d loop iterators", p->op->name, SYNO_IX_MAX_ITERS);
        return false;
    }
    for (int i = 0; i < st->niters; i++) {
        SYNO_ASSERT(i >= st->nout || st->iters[i].extent == p->bufs[st->out].shape[i]);
        syno_ix_add_iter(&c->sp, st->iters[i].extent);
        ident(c->iter_name[i], sizeof c->iter_name[i], i < st->nout ? "i_" : "r_", st->iters[i].name);
        for (int j = 0; j < i; j++) /* two iterators of one name: number the later one */
            if (strcmp(c->iter_name[j], c->iter_name[i]) == 0) {
                size_t len = strlen(c->iter_name[i]);
                snprintf(c->iter_name[i] + len, sizeof c->iter_name[i] - len, "_%d", i);
            }
    }
    syno_ix *ex = syno_xcalloc((size_t)(st->nexprs ? st->nexprs : 1), sizeof *ex);
    for (int e = 0; e < st->nexprs; e++) {
        const syno_pexpr *x = &st->exprs[e];
        switch (x->op) {
        case SYNO_PX_ITER: ex[e] = syno_ix_iter(&c->sp, x->x); break;
        case SYNO_PX_CONST: ex[e] = syno_ix_const(x->c); break;
        case SYNO_PX_ADD: ex[e] = syno_ix_add(&c->sp, &ex[x->x], &ex[x->y]); break;
        case SYNO_PX_MUL: ex[e] = syno_ix_scale(&c->sp, &ex[x->x], x->c); break;
        case SYNO_PX_DIV: ex[e] = syno_ix_div(&c->sp, &ex[x->x], x->c); break;
        case SYNO_PX_MOD: ex[e] = syno_ix_mod(&c->sp, &ex[x->x], x->c); break;
        }
    }
    bool ok = true;
    for (int g = 0; g < st->nguards && ok; g++) {
        const syno_plan_guard *pg = &st->guards[g];
        if (pg->kind == SYNO_PG_RANGE) {
            ok = contr_guard(c, &ex[pg->expr], pg->lo, pg->hi - 1);
        } else {
            syno_ix r = syno_ix_mod(&c->sp, &ex[pg->expr], pg->hi);
            ok = contr_guard(c, &r, 0, 0);
        }
    }
    if (!ok) syno_buf_printf(err, "a stage of '%s' needs more than %d guards", p->op->name, SYNO_CUDA_MAX_GUARDS);
    for (int k = 0; k < st->nops && ok; k++) {
        const syno_plan_operand *po = &st->ops[k];
        const syno_plan_buf *b = &p->bufs[po->buf];
        syno_cuda_operand *o = &c->ops[c->nops++];
        o->buf = po->buf;
        o->numel = b->numel;
        param_name(c, o->name, sizeof o->name, b->name);
        syno_ix off = syno_ix_const(0);
        int64_t stride = 1;
        for (int a = b->rank - 1; a >= 0; a--) {
            syno_ix t = syno_ix_scale(&c->sp, &ex[po->index[a]], stride);
            off = syno_ix_add(&c->sp, &off, &t);
            stride *= b->shape[a];
        }
        o->offset = off;
    }
    if (ok) param_name(c, c->out_name, sizeof c->out_name, p->bufs[st->out].name);
    free(ex);
    if (ok && c->sp.overflow) {
        syno_buf_printf(err, "a stage of '%s' has index expressions beyond the emitter's limits", p->op->name);
        ok = false;
    }
    return ok;
}

/* Frees C's atoms. */
void syno_cuda_contr_fini(syno_cuda_contr *c)
{
    syno_ix_space_fini(&c->sp);
}

/* ---- signature ------------------------------------------------------------ */

static const char *sig_name(int atom, void *ctx)
{
    (void)ctx;
    static _Thread_local char buf[8][16];
    static _Thread_local int slot;
    char *s = buf[slot++ % 8];
    snprintf(s, 16, "a%d", atom);
    return s;
}

/* C's mathematics without names (see cuda_contr.h). */
void syno_cuda_contr_signature(const syno_cuda_contr *c, syno_buf *out)
{
    const syno_ix_space *sp = &c->sp;
    syno_buf_printf(out, "out %d %lld;", c->nout, (long long)c->out_numel);
    for (int i = 0; i < sp->natoms; i++) {
        const syno_ix_atom *a = &sp->atoms[i];
        if (a->kind == SYNO_IX_ITER) {
            syno_buf_printf(out, "a%d=it%d<%lld;", i, a->iter, (long long)sp->ext[a->iter]);
        } else {
            syno_buf_printf(out, "a%d=%s(", i, a->kind == SYNO_IX_DIV ? "div" : "mod");
            syno_ix_print(&a->arg, sig_name, NULL, out);
            syno_buf_printf(out, ",%lld);", (long long)a->k);
        }
    }
    for (int g = 0; g < c->nguards; g++) {
        syno_buf_printf(out, "g%lld<=", (long long)c->guards[g].lo);
        syno_ix_print(&c->guards[g].e, sig_name, NULL, out);
        syno_buf_printf(out, "<=%lld;", (long long)c->guards[g].hi);
    }
    for (int k = 0; k < c->nops; k++) {
        syno_buf_printf(out, "op%lld[", (long long)c->ops[k].numel);
        syno_ix_print(&c->ops[k].offset, sig_name, NULL, out);
        syno_buf_puts(out, "];");
    }
    syno_buf_printf(out, "scale %.17g", c->scale);
}

/* ---- description ---------------------------------------------------------- */

static const char *desc_name(int atom, void *ctx)
{
    const syno_cuda_contr *c = ctx;
    const syno_ix_atom *a = &c->sp.atoms[atom];
    static _Thread_local char buf[8][32];
    static _Thread_local int slot;
    char *s = buf[slot++ % 8];
    if (a->kind == SYNO_IX_ITER) snprintf(s, 32, "%s", c->iter_name[a->iter]);
    else snprintf(s, 32, "t%d", atom);
    return s;
}

/* Comment lines describing C. */
void syno_cuda_contr_describe(const syno_cuda_contr *c, const char *prefix, syno_buf *out)
{
    syno_buf_printf(out, "%s%s\n%sresult axes:", prefix, c->what, prefix);
    for (int i = 0; i < c->sp.niters; i++) {
        if (i == c->nout) syno_buf_printf(out, "\n%ssummed over:", prefix);
        syno_buf_printf(out, " %s<%lld", c->iter_name[i], (long long)c->sp.ext[i]);
    }
    syno_buf_puts(out, "\n");
    for (int i = 0; i < c->sp.natoms; i++) {
        const syno_ix_atom *a = &c->sp.atoms[i];
        if (a->kind == SYNO_IX_ITER) continue;
        syno_buf_printf(out, "%st%d = ", prefix, i);
        if (a->kind == SYNO_IX_DIV) syno_buf_puts(out, "floor(");
        syno_ix_print(&a->arg, desc_name, (void *)c, out);
        syno_buf_printf(out, a->kind == SYNO_IX_DIV ? " / %lld)\n" : " mod %lld\n", (long long)a->k);
    }
    for (int g = 0; g < c->nguards; g++) {
        syno_buf_printf(out, "%sonly where %lld <= ", prefix, (long long)c->guards[g].lo);
        syno_ix_print(&c->guards[g].e, desc_name, (void *)c, out);
        syno_buf_printf(out, " <= %lld\n", (long long)c->guards[g].hi);
    }
    for (int k = 0; k < c->nops; k++) {
        syno_buf_printf(out, "%s%s[", prefix, c->ops[k].name);
        syno_ix_print(&c->ops[k].offset, desc_name, (void *)c, out);
        syno_buf_puts(out, "]\n");
    }
    if (c->scale != 1) syno_buf_printf(out, "%sscaled by %.9g\n", prefix, c->scale);
}
