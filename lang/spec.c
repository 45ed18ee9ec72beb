/* spec.c - checking `search` blocks (LANGUAGE.md §6) into syno_spec.
 *
 * The grammar gives each item as a head word and comma-separated clauses of
 * terms; this file knows what each item may say and reports anything else at
 * the offending term.  Items:
 *
 *   input [N, C_in: unordered, H, W];   output [...];   fixed N, ...;
 *   size N: 0, C_in: 2;                 coef k1 = 3: 2, ...;
 *   layers l1, l2;                      baseline conv2d;
 *   flops 0.15 .. 0.9;  (relative to the baseline)
 *   flops 1e5 .. 5e6 absolute;   flops <= 5e6;   flops >= 1e5;
 *   depth 12; reductions 5; weights 2; chain 6;
 *   limit merge 1, split 3, shift 2, stride 0;
 *   objective accuracy;  objective flops;  objective accuracy: 1, latency: 0.5;
 *   algorithm mcts iterations 200 seed 42;   (beam also takes width N)
 *   train subset 10000 epochs 2 batch 64 lr 0.05 momentum 0.9 test 2000 limit 120;
 *   options min_unfold_ratio 2.3, shift_pattern 2;   (lang/spec_options.def) */
#include "lang/module.h"
#include "lang/sema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const syno_metric_names[SYNO_METRIC_COUNT] = {"flops", "params", "latency", "accuracy"};
const char *const syno_algorithm_names[SYNO_ALG_COUNT] = {"mcts", "random", "beam", "exhaustive"};
const syno_spec_opt_info syno_spec_opts[SYNO_OPT_COUNT] = {
#define SYNO_SPEC_OPT(e, name, def, lo, hi, doc) {name, def, lo, hi, doc},
#include "lang/spec_options.def"
#undef SYNO_SPEC_OPT
};

const char *const syno_spec_item_names[SYNO_SPEC_ITEM_COUNT] = {
    "input", "output", "fixed", "size", "coef", "layers", "baseline", "flops", "depth",
    "reductions", "weights", "chain", "limit", "objective", "algorithm", "train", "options",
};

typedef struct spec_ctx {
    syno_module *m;
    syno_spec *sp;
    syno_diags *d;
    const syno_ast *seen[SYNO_SPEC_ITEM_COUNT];
    bool listed_coef[SYNO_MAX_VARS], listed_size[SYNO_MAX_VARS];
} spec_ctx;

static syno_diag *error(spec_ctx *c, syno_range r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static syno_diag *error(spec_ctx *c, syno_range r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    syno_diag *g = syno_diag_error(c->d, r, "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
    c->m->errors++;
    return g;
}

static bool is_word(const syno_ast *t)
{
    return t && t->kind == SYNO_AST_NAME;
}

static bool is_punct(const syno_ast *t, const char *p)
{
    return t && t->kind == SYNO_AST_PUNCT && strcmp(t->text, p) == 0;
}

static bool number(const syno_ast *t, double *v)
{
    if (!t) return false;
    if (t->kind == SYNO_AST_INT) *v = (double)t->ival;
    else if (t->kind == SYNO_AST_REAL) *v = t->fval;
    else return false;
    return true;
}

static const char *term_text(const syno_ast *t)
{
    if (!t) return "nothing";
    switch (t->kind) {
    case SYNO_AST_SHAPE: return "a shape";
    case SYNO_AST_STRING: return "a string";
    default: return t->text ? t->text : "?";
    }
}

/* Reads a single integer clause: `depth 12;`. */
static bool one_int(spec_ctx *c, const syno_ast *item, int lo, int hi, int *out)
{
    const syno_ast *cl = item->kids;
    if (item->nkids != 1 || cl->nkids != 1 || cl->kids->kind != SYNO_AST_INT) {
        error(c, item->range, "'%s' takes one integer, e.g. '%s %d;'", item->text, item->text, lo > 1 ? lo : 2);
        return false;
    }
    int64_t v = cl->kids->ival;
    if (v < lo || v > hi) {
        error(c, cl->kids->range, "'%s' must be between %d and %d, not %lld", item->text, lo, hi, (long long)v);
        return false;
    }
    *out = (int)v;
    return true;
}

static void shape(spec_ctx *c, const syno_ast *item, bool input)
{
    const syno_ast *cl = item->kids;
    if (item->nkids != 1 || cl->nkids != 1 || cl->kids->kind != SYNO_AST_SHAPE) {
        error(c, item->range, "'%s' takes a shape, e.g. '%s [N, C: unordered, H, W];'", item->text, item->text);
        return;
    }
    const syno_ast *sh = cl->kids;
    if (sh->nkids == 0 || sh->nkids > SYNO_SPEC_MAX_AXES) {
        error(c, sh->range, "a shape has 1 to %d axes, not %d", SYNO_SPEC_MAX_AXES, sh->nkids);
        return;
    }
    syno_spec_axis *axes = input ? c->sp->in : c->sp->out;
    int n = 0;
    for (const syno_ast *ax = sh->kids; ax; ax = ax->next) {
        syno_spec_axis *a = &axes[n++];
        a->range = ax->range;
        if (!syno_sema_size(c->m, ax->kids, &a->size)) continue;
        if (!syno_size_is_valid(&c->m->vars, a->size)) {
            char buf[128];
            error(c, ax->kids->range, "%s is not a valid axis size", syno_size_str(&c->m->vars, a->size, buf, sizeof buf));
            continue;
        }
        if (input) {
            int nvars = 0, v = -1;
            for (int i = 0; i < c->m->vars.n; i++)
                if (a->size.e[i]) nvars++, v = i;
            if (nvars != 1 || a->size.e[v] != 1 || c->m->vars.v[v].kind != SYNO_VAR_PRIMARY) {
                char buf[128];
                error(c, ax->kids->range, "input axis %s: each input axis must be a single size variable "
                                          "(the search matches input axes one by one)",
                      syno_size_str(&c->m->vars, a->size, buf, sizeof buf));
            }
        }
        for (const syno_ast *attr = ax->kids->next; attr; attr = attr->next) {
            if (strcmp(attr->text, "unordered") == 0) a->unordered = true;
            else error(c, attr->range, "unknown axis attribute '%s' (the only one is 'unordered')", attr->text);
        }
    }
    if (input) c->sp->nin = n;
    else c->sp->nout = n;
}

static int primary_var(spec_ctx *c, const syno_ast *t, const char *what)
{
    if (!is_word(t)) {
        error(c, t ? t->range : syno_range_make(0, 0), "expected a size variable, found %s", term_text(t));
        return -1;
    }
    int v = syno_vars_find(&c->m->vars, t->text);
    if (v < 0) {
        error(c, t->range, "unknown size variable '%s'%s", t->text, what);
        return -1;
    }
    return v;
}

static void fixed(spec_ctx *c, const syno_ast *item)
{
    if (!item->nkids) error(c, item->range, "'fixed' names the variables whose axis passes through, e.g. 'fixed N;'");
    for (const syno_ast *cl = item->kids; cl; cl = cl->next) {
        if (cl->nkids != 1) {
            error(c, cl->range, "expected one size variable per clause");
            continue;
        }
        int v = primary_var(c, cl->kids, "");
        if (v < 0) continue;
        if (c->m->vars.v[v].kind != SYNO_VAR_PRIMARY) error(c, cl->range, "'%s' is a coefficient; only size variables can be fixed", cl->kids->text);
        else c->sp->fixed |= 1u << v;
    }
}

static void allowances(spec_ctx *c, const syno_ast *item)
{
    for (const syno_ast *cl = item->kids; cl; cl = cl->next) {
        const syno_ast *name = cl->kids, *colon = name->next, *num = colon ? colon->next : NULL;
        if (cl->nkids != 3 || !is_punct(colon, ":") || !num || num->kind != SYNO_AST_INT) {
            error(c, cl->range, "expected 'VARIABLE: N' (how often the search may use it), e.g. 'C_in: 2'");
            continue;
        }
        int v = primary_var(c, name, " (declare it with 'size')");
        if (v < 0) continue;
        if (c->m->vars.v[v].kind != SYNO_VAR_PRIMARY) {
            error(c, name->range, "'%s' is a coefficient; list it under 'coef'", name->text);
            continue;
        }
        if (c->listed_size[v]) error(c, name->range, "'%s' is listed twice", name->text);
        c->listed_size[v] = true;
        if (num->ival > 16) error(c, num->range, "an allowance of %lld is too large (at most 16)", (long long)num->ival);
        else c->sp->allow[v] = (int)num->ival;
    }
}

static void coefs(spec_ctx *c, const syno_ast *item)
{
    for (const syno_ast *cl = item->kids; cl; cl = cl->next) {
        const syno_ast *t = cl->kids;
        int64_t value = 0, allow = 3;
        bool has_value = false;
        if (!is_word(t)) {
            error(c, cl->range, "expected 'NAME = VALUE: N', e.g. 'k = 3: 2'");
            continue;
        }
        const syno_ast *name = t;
        t = t->next;
        bool bad = false;
        if (is_punct(t, "=")) {
            t = t->next;
            if (!t || t->kind != SYNO_AST_INT || t->ival < 2) {
                error(c, t ? t->range : cl->range, "a coefficient's value must be an integer of at least 2");
                bad = true;
            } else {
                value = t->ival;
                has_value = true;
                t = t->next;
            }
        }
        if (!bad && is_punct(t, ":")) {
            t = t->next;
            if (!t || t->kind != SYNO_AST_INT || t->ival > 16) {
                error(c, t ? t->range : cl->range, "expected how often the search may use '%s' (0 to 16)", name->text);
                bad = true;
            } else {
                allow = t->ival;
                t = t->next;
            }
        }
        if (!bad && t) {
            error(c, t->range, "unexpected %s; expected 'NAME = VALUE: N'", term_text(t));
            bad = true;
        }
        if (bad) continue;
        int v = syno_vars_find(&c->m->vars, name->text);
        if (v >= 0 && c->m->vars.v[v].kind != SYNO_VAR_COEF) {
            error(c, name->range, "'%s' is a size variable; list it under 'size'", name->text);
            continue;
        }
        if (v >= 0 && has_value && c->m->vars.v[v].value != value) {
            syno_diag *g = error(c, name->range, "coefficient '%s' is declared as %lld, not %lld", name->text,
                                 (long long)c->m->vars.v[v].value, (long long)value);
            syno_diag_note(g, c->m->vars.v[v].range, "declared here");
            continue;
        }
        if (v < 0 && !has_value) {
            error(c, name->range, "coefficient '%s' is not declared; give its value: '%s = 3: 2'", name->text, name->text);
            continue;
        }
        if (v < 0) v = syno_sema_declare_var(c->m, name->text, SYNO_VAR_COEF, value, name->range);
        if (v < 0) continue;
        if (c->listed_coef[v]) error(c, name->range, "'%s' is listed twice", name->text);
        c->listed_coef[v] = true;
        c->sp->allow[v] = (int)allow;
    }
}

static void layers(spec_ctx *c, const syno_ast *item)
{
    for (const syno_ast *cl = item->kids; cl; cl = cl->next) {
        if (cl->nkids != 1 || !is_word(cl->kids)) {
            error(c, cl->range, "expected the name of a bind block");
            continue;
        }
        const syno_bindecl *bd = syno_module_find_bind(c->m, cl->kids->text);
        if (!bd) {
            const char **cands = syno_xmalloc((size_t)(c->m->nbinds + 1) * sizeof *cands);
            for (int i = 0; i < c->m->nbinds; i++) cands[i] = c->m->binds[i].name;
            const char *best = syno_suggest(cl->kids->text, cands, c->m->nbinds);
            free(cands);
            error(c, cl->range, "unknown binding '%s'%s%s%s", cl->kids->text, best ? "; did you mean '" : "",
                  best ? best : "", best ? "'?" : "");
            continue;
        }
        if (c->sp->nlayers == SYNO_SPEC_MAX_LAYERS) {
            error(c, cl->range, "too many layers (at most %d)", SYNO_SPEC_MAX_LAYERS);
            break;
        }
        c->sp->layers[c->sp->nlayers] = bd;
        syno_sema_binding(c->m, bd, &c->sp->layer_binding[c->sp->nlayers]);
        c->sp->nlayers++;
    }
}

static void baseline(spec_ctx *c, const syno_ast *item)
{
    const syno_ast *cl = item->kids;
    if (item->nkids != 1 || cl->nkids != 1 || !is_word(cl->kids)) {
        error(c, item->range, "'baseline' names one operator, e.g. 'baseline conv2d;'");
        return;
    }
    const char *name = cl->kids->text;
    c->sp->baseline = name;
    c->sp->baseline_range = cl->range;
    syno_op *op = syno_module_find_op(c->m, name);
    if (!op) op = syno_ctx_stdlib_op(c->m->ctx, name);
    if (!op) {
        error(c, cl->range, "unknown operator '%s' (not in this file nor in the standard library at %s)", name,
              syno_ctx_stdlib_dir(c->m->ctx));
        return;
    }
    if (op->errors) {
        error(c, cl->range, "the baseline operator '%s' has errors", name);
        return;
    }
    c->sp->baseline_op = op;
}

static void flops(spec_ctx *c, const syno_ast *item)
{
    const syno_ast *cl = item->kids;
    syno_spec *sp = c->sp;
    double a, b;
    const syno_ast *t = cl ? cl->kids : NULL;
    if (item->nkids == 1 && number(t, &a) && is_punct(t->next, "..") && number(t->next->next, &b)) {
        const syno_ast *rest = t->next->next->next;
        sp->flops_relative = true;
        if (rest && is_word(rest) && strcmp(rest->text, "absolute") == 0 && !rest->next) sp->flops_relative = false;
        else if (rest) {
            error(c, rest->range, "unexpected %s after the FLOPs range (only 'absolute' may follow)", term_text(rest));
            return;
        }
        if (a < 0 || b <= 0 || a >= b) {
            error(c, cl->range, "the FLOPs window %g .. %g is empty or negative", a, b);
            return;
        }
        sp->flops_min = a;
        sp->flops_max = b;
    } else if (item->nkids == 1 && cl->nkids == 2 && (is_punct(t, "<=") || is_punct(t, ">=")) && number(t->next, &a)) {
        sp->flops_relative = false;
        if (a <= 0) {
            error(c, t->next->range, "a FLOPs bound must be positive");
            return;
        }
        if (is_punct(t, "<=")) sp->flops_min = 0, sp->flops_max = a;
        else sp->flops_min = a, sp->flops_max = INFINITY;
    } else {
        error(c, item->range, "expected 'flops LO .. HI;' (relative to the baseline), 'flops LO .. HI absolute;', "
                              "'flops <= MAX;' or 'flops >= MIN;'");
        return;
    }
    sp->has_flops = true;
}

static void limits(spec_ctx *c, const syno_ast *item)
{
    for (const syno_ast *cl = item->kids; cl; cl = cl->next) {
        const syno_ast *t = cl->kids;
        if (cl->nkids != 2 || !is_word(t) || t->next->kind != SYNO_AST_INT) {
            error(c, cl->range, "expected 'PRIMITIVE N', e.g. 'merge 1'");
            continue;
        }
        int p = syno_prim_lookup(t->text);
        if (p < 0 || p == SYNO_PRIM_SUM || p == SYNO_PRIM_MEAN || p == SYNO_PRIM_SHARE) {
            error(c, t->range, "'%s' cannot be limited here (limit split, merge, shift, stride, unfold, expand or "
                               "reverse; use 'reductions' and 'weights' for the others)", t->text);
            continue;
        }
        c->sp->limit[p] = (int)(t->next->ival > 64 ? 64 : t->next->ival);
    }
}

static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

static void objective(spec_ctx *c, const syno_ast *item)
{
    c->sp->nobj = 0;
    for (const syno_ast *cl = item->kids; cl; cl = cl->next) {
        const syno_ast *t = cl->kids;
        double w = 1;
        int mtr = is_word(t) ? lookup(syno_metric_names, SYNO_METRIC_COUNT, t->text) : -1;
        if (mtr < 0) {
            error(c, t->range, "unknown objective '%s' (flops, params, latency or accuracy)", term_text(t));
            continue;
        }
        if (t->next && !(is_punct(t->next, ":") && number(t->next->next, &w) && !t->next->next->next)) {
            error(c, t->next->range, "expected 'METRIC' or 'METRIC: WEIGHT'");
            continue;
        }
        if (w <= 0) {
            error(c, t->next->next->range, "an objective weight must be positive");
            continue;
        }
        if (c->sp->nobj == SYNO_SPEC_MAX_OBJ) break;
        c->sp->obj[c->sp->nobj].metric = (syno_metric)mtr;
        c->sp->obj[c->sp->nobj].weight = w;
        c->sp->nobj++;
    }
}

static void algorithm(spec_ctx *c, const syno_ast *item)
{
    const syno_ast *cl = item->kids;
    const syno_ast *t = cl ? cl->kids : NULL;
    int alg = item->nkids == 1 && is_word(t) ? lookup(syno_algorithm_names, SYNO_ALG_COUNT, t->text) : -1;
    if (alg < 0) {
        error(c, t ? t->range : item->range, "unknown algorithm '%s' (mcts, random, beam or exhaustive)", term_text(t));
        return;
    }
    c->sp->algorithm = (syno_algorithm)alg;
    for (t = t->next; t; t = t->next ? t->next->next : NULL) {
        const syno_ast *v = t->next;
        if (!is_word(t) || !v || v->kind != SYNO_AST_INT) {
            error(c, t->range, "expected 'iterations N', 'seed N'%s", alg == SYNO_ALG_BEAM ? " or 'width N'" : "");
            return;
        }
        if (strcmp(t->text, "iterations") == 0 && v->ival >= 1 && v->ival <= 100000000)
            c->sp->iterations = (int)v->ival;
        else if (strcmp(t->text, "seed") == 0)
            c->sp->seed = (uint64_t)v->ival;
        else if (strcmp(t->text, "width") == 0 && alg == SYNO_ALG_BEAM && v->ival >= 1 && v->ival <= 100000)
            c->sp->beam_width = (int)v->ival;
        else {
            error(c, t->range, "'%s %lld' is not a setting of %s", t->text, (long long)v->ival, syno_algorithm_names[alg]);
            return;
        }
    }
}

static void train(spec_ctx *c, const syno_ast *item)
{
    const syno_ast *cl = item->kids;
    if (item->nkids != 1) {
        error(c, item->range, "expected 'train subset N epochs N batch N lr X momentum X;'");
        return;
    }
    for (const syno_ast *t = cl->kids; t; t = t->next ? t->next->next : NULL) {
        double v;
        if (!is_word(t) || !number(t->next, &v)) {
            error(c, t->range, "expected a training setting and its value, e.g. 'epochs 2'");
            return;
        }
        const char *k = t->text;
        bool integer = t->next->kind == SYNO_AST_INT;
        if (strcmp(k, "subset") == 0 && integer && v >= 10 && v <= 60000) c->sp->train_subset = (int)v;
        else if (strcmp(k, "epochs") == 0 && integer && v >= 1 && v <= 1000) c->sp->train_epochs = (int)v;
        else if (strcmp(k, "batch") == 0 && integer && v >= 1 && v <= 4096) c->sp->train_batch = (int)v;
        else if (strcmp(k, "lr") == 0 && v > 0 && v < 100) c->sp->train_lr = v;
        else if (strcmp(k, "momentum") == 0 && v >= 0 && v < 1) c->sp->train_momentum = v;
        else if (strcmp(k, "test") == 0 && integer && v >= 10 && v <= 10000) c->sp->train_test = (int)v;
        else if (strcmp(k, "limit") == 0 && v > 0 && v <= 1e7) c->sp->train_limit = v;
        else if (strcmp(k, "confirm") == 0 && integer && v >= 0 && v <= 256) c->sp->train_confirm = (int)v;
        else if (strcmp(k, "seeds") == 0 && integer && v >= 1 && v <= 16) c->sp->train_seeds = (int)v;
        else {
            error(c, t->range, "'%s %s' is not a valid training setting (subset 10..60000, epochs 1..1000, "
                               "batch 1..4096, lr > 0, momentum in [0, 1), test 10..10000, limit SECONDS > 0, "
                               "confirm 0..256, seeds 1..16)", k, t->next->text);
            return;
        }
    }
}

static void options(spec_ctx *c, const syno_ast *item)
{
    for (const syno_ast *cl = item->kids; cl; cl = cl->next) {
        const syno_ast *t = cl->kids;
        double v;
        if (cl->nkids != 2 || !is_word(t) || !number(t->next, &v)) {
            error(c, cl->range, "expected 'NAME VALUE', e.g. 'min_unfold_ratio 2.3'");
            continue;
        }
        int o = -1;
        for (int i = 0; i < SYNO_OPT_COUNT; i++)
            if (strcmp(syno_spec_opts[i].name, t->text) == 0) o = i;
        if (o < 0) {
            const char *names[SYNO_OPT_COUNT];
            for (int i = 0; i < SYNO_OPT_COUNT; i++) names[i] = syno_spec_opts[i].name;
            const char *best = syno_suggest(t->text, names, SYNO_OPT_COUNT);
            error(c, t->range, "unknown option '%s'%s%s%s", t->text, best ? "; did you mean '" : "", best ? best : "",
                  best ? "'?" : " (see 'options' in doc/search.md)");
            continue;
        }
        const syno_spec_opt_info *info = &syno_spec_opts[o];
        if (v < info->lo || v > info->hi) {
            error(c, t->next->range, "option '%s' must be between %g and %g, not %g", info->name, info->lo, info->hi, v);
            continue;
        }
        c->sp->opt[o] = v;
    }
}

static void set_defaults(syno_spec *sp)
{
    for (int i = 0; i < SYNO_OPT_COUNT; i++) sp->opt[i] = syno_spec_opts[i].def;
    sp->depth = 12;
    sp->reductions = 4;
    sp->weights = 2;
    sp->chain = 10;
    for (int p = 0; p < SYNO_PRIM_COUNT; p++) sp->limit[p] = -1;
    sp->limit[SYNO_PRIM_REVERSE] = 0;
    sp->nobj = 1;
    sp->obj[0].metric = SYNO_METRIC_FLOPS;
    sp->obj[0].weight = 1;
    sp->algorithm = SYNO_ALG_MCTS;
    sp->iterations = 200;
    sp->seed = 42;
    sp->beam_width = 8;
    sp->train_subset = 10000;
    sp->train_epochs = 2;
    sp->train_batch = 64;
    sp->train_lr = 0.05;
    sp->train_momentum = 0.9;
    sp->train_test = 0;
    sp->train_limit = 0;
    sp->train_confirm = 0;
    sp->train_seeds = 2;
}

static bool axis_is_var(const syno_spec_axis *a, int v)
{
    syno_size s = syno_size_var(v);
    return syno_size_eq(a->size, s);
}

static void check_baseline_shape(spec_ctx *c)
{
    const syno_op *op = c->sp->baseline_op;
    const syno_spec *sp = c->sp;
    const syno_tensor *x = &op->tensors[0];
    bool same = x->rank == sp->nin && op->nout == sp->nout;
    for (int i = 0; same && i < sp->nin; i++) {
        syno_size t;
        same = syno_size_translate(op->vars, op->dims[x->axes[i]].size, &c->m->vars, &t) && syno_size_eq(t, sp->in[i].size);
    }
    for (int i = 0; same && i < sp->nout; i++) {
        syno_size t;
        same = syno_size_translate(op->vars, op->dims[op->out[i]].size, &c->m->vars, &t) && syno_size_eq(t, sp->out[i].size);
    }
    if (same) return;
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_puts(&b, "the baseline's shapes ");
    syno_op_print_dims(op, x->axes, x->rank, &b);
    syno_buf_puts(&b, " -> ");
    syno_op_print_dims(op, op->out, op->nout, &b);
    syno_buf_puts(&b, " differ from the search's input and output");
    syno_diag *g = error(c, sp->baseline_range, "%s", syno_buf_str(&b));
    syno_diag_note(g, op->range, "'%s' defined here", op->name);
    syno_buf_fini(&b);
}

static void final_checks(spec_ctx *c, const syno_ast *n)
{
    syno_spec *sp = c->sp;
    const syno_vars *vars = &c->m->vars;
    if (!c->seen[0]) error(c, n->range, "search '%s' has no 'input' shape", n->text);
    if (!c->seen[1]) error(c, n->range, "search '%s' has no 'output' shape", n->text);
    for (int v = 0; v < vars->n; v++) {
        if (!(sp->fixed & (1u << v))) continue;
        int ni = 0, no = 0;
        for (int i = 0; i < sp->nin; i++) ni += axis_is_var(&sp->in[i], v);
        for (int i = 0; i < sp->nout; i++) no += axis_is_var(&sp->out[i], v);
        if (ni != 1 || no != 1)
            error(c, c->seen[2]->range, "fixed variable '%s' must be exactly one axis of both the input and the output",
                  vars->v[v].name);
    }
    /* Variables the shapes use but the spec did not list get the default allowance. */
    for (int v = 0; v < vars->n; v++) {
        if (vars->v[v].kind == SYNO_VAR_PRIMARY && !c->listed_size[v]) sp->allow[v] = 3;
        if (vars->v[v].kind == SYNO_VAR_COEF && !c->listed_coef[v]) sp->allow[v] = 0;
    }
    for (int l = 0; l < sp->nlayers; l++) {
        const syno_binding *b = &sp->layer_binding[l];
        for (int side = 0; side < 2; side++) {
            int na = side ? sp->nout : sp->nin;
            const syno_spec_axis *axes = side ? sp->out : sp->in;
            for (int i = 0; i < na; i++) {
                int64_t val;
                if (syno_size_eval(vars, axes[i].size, b, &val, NULL) == SYNO_EVAL_OK) continue;
                syno_buf msg = SYNO_BUF_INIT;
                syno_size_eval_message(vars, axes[i].size, b, &msg);
                syno_diag *g = error(c, axes[i].range, "%s", syno_buf_str(&msg));
                syno_diag_note(g, sp->layers[l]->range, "binding defined here");
                syno_buf_fini(&msg);
            }
        }
    }
    if (sp->has_flops && sp->flops_relative && !sp->baseline)
        error(c, c->seen[7]->range, "a relative FLOPs window needs a 'baseline' operator (or write 'absolute')");
    if (sp->baseline_op && c->seen[0] && c->seen[1]) check_baseline_shape(c);
}

/* Checks the search block N of module M and appends the result to M's
 * specs.  Every problem is reported at the term that causes it. */
syno_spec *syno_sema_spec(syno_module *m, const syno_ast *n)
{
    spec_ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.d = &m->ctx->diags;
    c.sp = SYNO_NEW(m->arena, syno_spec);
    c.sp->name = n->text;
    c.sp->range = n->range;
    c.sp->module = m;
    c.sp->vars = &m->vars;
    set_defaults(c.sp);
    if (syno_module_find_spec(m, n->text)) error(&c, n->range, "search '%s' is defined twice", n->text);
    for (const syno_ast *item = n->kids; item; item = item->next) {
        int which = lookup(syno_spec_item_names, (int)SYNO_SPEC_ITEM_COUNT, item->text);
        if (which < 0) {
            const char *best = syno_suggest(item->text, syno_spec_item_names, (int)SYNO_SPEC_ITEM_COUNT);
            error(&c, item->range, "unknown search setting '%s'%s%s%s", item->text, best ? "; did you mean '" : "",
                  best ? best : "", best ? "'?" : "");
            continue;
        }
        if (c.seen[which]) {
            syno_diag *g = error(&c, item->range, "'%s' is given twice", item->text);
            syno_diag_note(g, c.seen[which]->range, "first given here");
            continue;
        }
        c.seen[which] = item;
        if (!item->nkids && which != 2) {
            error(&c, item->range, "'%s' needs a value", item->text);
            continue;
        }
        switch (which) {
        case 0: shape(&c, item, true); break;
        case 1: shape(&c, item, false); break;
        case 2: fixed(&c, item); break;
        case 3: allowances(&c, item); break;
        case 4: coefs(&c, item); break;
        case 5: layers(&c, item); break;
        case 6: baseline(&c, item); break;
        case 7: flops(&c, item); break;
        case 8: one_int(&c, item, 1, 64, &c.sp->depth); break;
        case 9: one_int(&c, item, 0, 16, &c.sp->reductions); break;
        case 10: one_int(&c, item, 1, SYNO_MAX_TENSORS - 1, &c.sp->weights); break;
        case 11: one_int(&c, item, 1, 64, &c.sp->chain); break;
        case 12: limits(&c, item); break;
        case 13: objective(&c, item); break;
        case 14: algorithm(&c, item); break;
        case 15: train(&c, item); break;
        case 16: options(&c, item); break;
        }
    }
    final_checks(&c, n);
    m->specs = syno_xrealloc(m->specs, (size_t)(m->nspecs + 1) * sizeof *m->specs);
    m->specs[m->nspecs++] = c.sp;
    return c.sp;
}
