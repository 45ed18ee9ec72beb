/* sema.c - from AST to checked module: variables, operators, bindings.
 *
 * Declarations may come in any order within their scope: all size and coef
 * declarations of a file are read first, and within an operator all
 * dimension names (input axes, weight axes, assignment targets) are
 * collected before any statement is built, so statements may use a
 * dimension defined further down.  The graph builder (graph.c) then checks
 * what depends on the whole graph.  Search blocks are checked by spec.c. */
#include "lang/module.h"
#include "lang/sema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct name_entry {
    const char *name;
    int dim;
    syno_range range;
} name_entry;

typedef struct sema {
    syno_module *m;
    const char **opnames; /* open-addressing set of operator names seen */
    int capopnames;
    syno_diags *d;
    syno_op *op;
    name_entry *names;
    int nnames, capnames;
} sema;

static syno_diag *error(sema *s, syno_range r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static syno_diag *error(sema *s, syno_range r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    syno_diag *g = syno_diag_error(s->d, r, "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
    if (s->op) s->op->errors++; /* added to the module's count when the op is done */
    else s->m->errors++;
    return g;
}

/* Appends "; did you mean 'X'?" to B when a candidate is close to NAME. */
static void suggest(syno_buf *b, const char *name, const char *const *cands, int n)
{
    const char *best = syno_suggest(name, cands, n);
    if (best) syno_buf_printf(b, "; did you mean '%s'?", best);
}

static const name_entry *find_name(const sema *s, const char *name)
{
    for (int i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i].name, name) == 0) return &s->names[i];
    return NULL;
}

static int find_tensor(const sema *s, const char *name)
{
    if (!s->op) return -1;
    for (int t = 0; t < s->op->ntensors; t++)
        if (strcmp(s->op->tensors[t].name, name) == 0) return t;
    return -1;
}

/* ---- sizes ------------------------------------------------------------------ */

/* Evaluates the integer literal E (optionally negated or parenthesized). */
bool syno_sema_int(const syno_ast *e, int64_t *out)
{
    while (e->kind == SYNO_AST_PAREN) e = e->kids;
    if (e->kind == SYNO_AST_INT) {
        *out = e->ival;
        return true;
    }
    if (e->kind == SYNO_AST_NEG) {
        int64_t v;
        if (!syno_sema_int(e->kids, &v)) return false;
        *out = -v;
        return true;
    }
    return false;
}

static bool size_expr(sema *s, const syno_ast *e, syno_size *out);

/* Evaluates the size expression E over the module's variables.  Reports
 * what is wrong with it (a number, a dimension, '+', ...) into the
 * module's diagnostics and returns false on failure. */
bool syno_sema_size(syno_module *m, const syno_ast *e, syno_size *out)
{
    sema s;
    memset(&s, 0, sizeof s);
    s.m = m;
    s.d = &m->ctx->diags;
    return size_expr(&s, e, out);
}

static bool size_expr(sema *s, const syno_ast *e, syno_size *out)
{
    const syno_vars *vars = &s->m->vars;
    switch (e->kind) {
    case SYNO_AST_NAME: {
        int v = syno_vars_find(vars, e->text);
        if (v >= 0) {
            *out = syno_size_var(v);
            return true;
        }
        syno_buf b = SYNO_BUF_INIT;
        if (find_name(s, e->text))
            syno_buf_printf(&b, "'%s' is a dimension, but a size is expected here", e->text);
        else if (find_tensor(s, e->text) >= 0)
            syno_buf_printf(&b, "'%s' is a tensor, but a size is expected here", e->text);
        else {
            syno_buf_printf(&b, "unknown size variable '%s'", e->text);
            const char *cands[SYNO_MAX_VARS];
            for (int i = 0; i < vars->n; i++) cands[i] = vars->v[i].name;
            suggest(&b, e->text, cands, vars->n);
        }
        error(s, e->range, "%s", syno_buf_str(&b));
        syno_buf_fini(&b);
        return false;
    }
    case SYNO_AST_INT:
        if (e->ival == 1)
            error(s, e->range, "a size of 1 is not allowed (an axis of size 1 does nothing)");
        else
            error(s, e->range, "the number %s is not a size: sizes are products of size variables "
                               "(declare a coefficient, e.g. 'coef c = %s;')", e->text, e->text);
        return false;
    case SYNO_AST_REAL:
        error(s, e->range, "the number %s is not a size: sizes are products of size variables", e->text);
        return false;
    case SYNO_AST_PAREN:
        return size_expr(s, e->kids, out);
    case SYNO_AST_NEG:
        error(s, e->range, "a size cannot be negative");
        return false;
    case SYNO_AST_CALL:
        error(s, e->range, "%s(...) produces a dimension, but a size is expected here", e->text);
        return false;
    case SYNO_AST_BINOP: {
        syno_ast *l = e->kids, *r = e->kids->next;
        if (e->ival == '+' || e->ival == '-') {
            error(s, e->range, "sizes are products of variables: '%c' is not allowed in a size", (char)e->ival);
            return false;
        }
        syno_size a, b;
        if (e->ival == '^') {
            int64_t p;
            if (!size_expr(s, l, &a)) return false;
            if (!syno_sema_int(r, &p)) {
                error(s, r->range, "an exponent must be an integer literal");
                return false;
            }
            if (p > SYNO_MAX_EXPONENT || p < -SYNO_MAX_EXPONENT || !syno_size_pow(out, a, (int)p)) {
                error(s, e->range, "exponent too large");
                return false;
            }
            return true;
        }
        bool okl = size_expr(s, l, &a);
        bool okr = size_expr(s, r, &b);
        if (!okl || !okr) return false;
        bool ok = e->ival == '*' ? syno_size_mul(out, a, b) : syno_size_div(out, a, b);
        if (!ok) error(s, e->range, "exponent too large");
        return ok;
    }
    default:
        error(s, e->range, "expected a size");
        return false;
    }
}

/* Evaluates a size that must be valid as a dimension size (not 1, no
 * primary variable in a denominator, not a fraction of coefficients). */
static bool valid_size(sema *s, const syno_ast *e, syno_size *out, const char *what)
{
    if (!size_expr(s, e, out)) return false;
    syno_size_kind k = syno_size_classify(&s->m->vars, *out);
    if (k == SYNO_SIZE_COEF || k == SYNO_SIZE_GENERAL) return true;
    char buf[128];
    syno_size_str(&s->m->vars, *out, buf, sizeof buf);
    error(s, e->range, "%s %s is not a valid size: %s", what, buf,
          k == SYNO_SIZE_ONE ? "it is 1"
          : k == SYNO_SIZE_NEG_PRIMARY ? "a primary size variable cannot be in a denominator"
                                       : "a coefficient alone cannot be in a denominator");
    return false;
}

/* ---- variables ---------------------------------------------------------------- */

/* Declares variable NAME of KIND (VALUE for coefficients) in M.  Returns its
 * index, or -1 after reporting a duplicate or a full table. */
int syno_sema_declare_var(syno_module *m, const char *name, syno_var_kind kind, int64_t value, syno_range r)
{
    syno_vars *vars = &m->vars;
    int v = syno_vars_find(vars, name);
    if (v >= 0) {
        syno_diag *g = syno_diag_error(&m->ctx->diags, r, "%s variable '%s' is declared twice",
                                       kind == SYNO_VAR_COEF ? "coefficient" : "size", name);
        syno_diag_note(g, vars->v[v].range, "first declared here");
        m->errors++;
        return -1;
    }
    if (vars->n == SYNO_MAX_VARS) {
        syno_diag_error(&m->ctx->diags, r, "too many size variables: a file may declare at most %d", SYNO_MAX_VARS);
        m->errors++;
        return -1;
    }
    syno_var *var = &vars->v[vars->n];
    var->name = name;
    var->kind = kind;
    var->value = value;
    var->range = r;
    return vars->n++;
}

static void declare_vars(sema *s)
{
    for (syno_ast *decl = s->m->ast->kids; decl; decl = decl->next) {
        bool coef = decl->kind == SYNO_AST_COEF_DECL;
        if (!coef && decl->kind != SYNO_AST_SIZE_DECL) continue;
        for (syno_ast *v = decl->kids; v; v = v->next) {
            int64_t value = 0;
            if (coef) {
                if (!v->kids) {
                    error(s, v->range, "coefficient '%s' needs a default value, e.g. 'coef %s = 3;'", v->text, v->text);
                    continue;
                }
                if (!syno_sema_int(v->kids, &value) || value < 1) {
                    error(s, v->kids->range, "the value of coefficient '%s' must be a positive integer", v->text);
                    continue;
                }
                if (value == 1) {
                    error(s, v->kids->range, "coefficient '%s' = 1 would make axes of size 1; use a value of 2 or more",
                          v->text);
                    continue;
                }
            } else if (v->kids) {
                error(s, v->kids->range, "size variable '%s' takes no value here; give values in a bind block "
                                         "or with --bind", v->text);
            }
            syno_sema_declare_var(s->m, v->text, coef ? SYNO_VAR_COEF : SYNO_VAR_PRIMARY, value, v->range);
        }
    }
}

/* ---- operators ------------------------------------------------------------------ */

static void add_name(sema *s, const char *name, int dim, syno_range r)
{
    const name_entry *old = find_name(s, name);
    if (old) {
        syno_diag *g = error(s, r, "dimension '%s' is defined twice", name);
        syno_diag_note(g, old->range, "first defined here");
        return;
    }
    if (s->nnames == s->capnames) {
        s->capnames = s->capnames ? 2 * s->capnames : 32;
        s->names = syno_xrealloc(s->names, (size_t)s->capnames * sizeof *s->names);
    }
    s->names[s->nnames++] = (name_entry){name, dim, r};
}

static void unknown_dim(sema *s, const syno_ast *e)
{
    syno_buf b = SYNO_BUF_INIT;
    int t = find_tensor(s, e->text);
    if (t >= 0) {
        syno_buf_printf(&b, "'%s' is a tensor; use one of its axes (", e->text);
        for (int a = 0; a < s->op->tensors[t].rank; a++)
            syno_buf_printf(&b, "%s%s", a ? ", " : "", s->op->dims[s->op->tensors[t].axes[a]].name);
        syno_buf_puts(&b, ")");
    } else if (syno_vars_find(&s->m->vars, e->text) >= 0) {
        syno_buf_printf(&b, "'%s' is a size variable, but a dimension is expected here", e->text);
        if (syno_prim_lookup("expand") >= 0) syno_buf_printf(&b, " (expand(%s) makes a new dimension of that size)", e->text);
    } else {
        syno_buf_printf(&b, "unknown dimension '%s'", e->text);
        const char **cands = syno_xmalloc((size_t)(s->nnames + 1) * sizeof *cands);
        for (int i = 0; i < s->nnames; i++) cands[i] = s->names[i].name;
        suggest(&b, e->text, cands, s->nnames);
        free(cands);
    }
    error(s, e->range, "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
}

static int build_call(sema *s, const syno_ast *call, int out[2], int ntargets);

/* Builds expression E, which must produce exactly one dimension. */
static int dim_expr(sema *s, const syno_ast *e)
{
    switch (e->kind) {
    case SYNO_AST_NAME: {
        const name_entry *n = find_name(s, e->text);
        if (!n) {
            unknown_dim(s, e);
            return -1;
        }
        return n->dim;
    }
    case SYNO_AST_PAREN:
        return dim_expr(s, e->kids);
    case SYNO_AST_CALL: {
        int prim = syno_prim_lookup(e->text);
        if (prim >= 0 && syno_prims[prim].nresults == 2) {
            error(s, e->range, "%s produces two dimensions and cannot be nested; bind them first: %s", e->text,
                  syno_prims[prim].usage);
            return -1;
        }
        if (prim >= 0 && syno_prims[prim].nresults == 0) {
            error(s, e->range, "%s produces no dimension; it can only be a statement of its own", e->text);
            return -1;
        }
        int out[2] = {-1, -1};
        if (build_call(s, e, out, 1) < 0) return -1;
        return out[0];
    }
    case SYNO_AST_INT:
    case SYNO_AST_REAL:
        error(s, e->range, "expected a dimension, found the number %s", e->text);
        return -1;
    case SYNO_AST_BINOP:
        error(s, e->range, "expected a dimension, found arithmetic; index arithmetic is written with primitives "
                           "(split, merge, shift, unfold, ...)");
        return -1;
    default:
        error(s, e->range, "expected a dimension");
        return -1;
    }
}

/* Builds the primitive call CALL.  OUT[i] >= 0 are the declared dims that
 * receive the results; on success OUT holds the result dims.  Returns the
 * number of results, or -1 when the call could not be built at all. */
static int build_call(sema *s, const syno_ast *call, int out[2], int ntargets)
{
    int prim = syno_prim_lookup(call->text);
    if (prim < 0) {
        syno_buf b = SYNO_BUF_INIT;
        syno_buf_printf(&b, "unknown primitive '%s'", call->text);
        const char *cands[SYNO_PRIM_COUNT];
        for (int i = 0; i < SYNO_PRIM_COUNT; i++) cands[i] = syno_prims[i].name;
        suggest(&b, call->text, cands, SYNO_PRIM_COUNT);
        if (!syno_suggest(call->text, cands, SYNO_PRIM_COUNT)) {
            syno_buf_puts(&b, " (primitives:");
            for (int i = 0; i < SYNO_PRIM_COUNT; i++) syno_buf_printf(&b, " %s", syno_prims[i].name);
            syno_buf_puts(&b, ")");
        }
        error(s, call->range, "%s", syno_buf_str(&b));
        syno_buf_fini(&b);
        /* Still visit dimension arguments so that they count as used. */
        for (const syno_ast *a = call->kids; a; a = a->next)
            if (a->kind == SYNO_AST_NAME && find_name(s, a->text)) s->op->dims[find_name(s, a->text)->dim].quiet = true;
        return -1;
    }
    const syno_prim_info *info = &syno_prims[prim];
    int nmax = (int)strlen(info->args), nmin = 0;
    for (const char *a = info->args; *a; a++)
        if (*a != 'i') nmin++;
    if (call->nkids < nmin || call->nkids > nmax) {
        error(s, call->range, "%s takes %s%d argument%s (%s), but %d %s given", info->name,
              nmin != nmax ? (call->nkids < nmin ? "at least " : "at most ") : "",
              call->nkids < nmin ? nmin : nmax, (call->nkids < nmin ? nmin : nmax) == 1 ? "" : "s", info->usage,
              call->nkids, call->nkids == 1 ? "is" : "are");
        for (const syno_ast *a = call->kids; a; a = a->next)
            if (a->kind == SYNO_AST_NAME && find_name(s, a->text)) s->op->dims[find_name(s, a->text)->dim].quiet = true;
        return -1;
    }
    int in[2] = {-1, -1};
    syno_range use[2] = {{0, 0}, {0, 0}};
    syno_size param = syno_size_one();
    int64_t shift = 1;
    bool broken = false;
    int di = 0;
    const syno_ast *a = call->kids;
    for (int i = 0; a; i++, a = a->next) {
        switch (info->args[i]) {
        case 'd':
            in[di] = dim_expr(s, a);
            use[di] = a->range;
            broken |= in[di] < 0;
            di++;
            break;
        case 'S':
            broken |= !size_expr(s, a, &param);
            break;
        case 'i':
            if (!syno_sema_int(a, &shift)) {
                error(s, a->range, "the %s distance must be an integer literal", info->name);
                broken = true;
            } else if (shift == 0) {
                error(s, a->range, "a shift by 0 does nothing; the distance must be nonzero");
                broken = true;
            }
            break;
        }
    }
    int res[2] = {out[0], out[1]};
    int k = syno_op_add_node(s->op, prim, in, use, param, shift, call->range, res);
    s->op->nodes[k].broken = broken;
    for (int i = 0; i < info->nresults; i++) {
        if (i >= ntargets) s->op->dims[res[i]].quiet |= broken;
        out[i] = res[i];
    }
    return info->nresults;
}

static void build_assign(sema *s, const syno_ast *st)
{
    int ntargets = st->nkids - 1;
    const syno_ast *e = st->last;
    int targets[2] = {-1, -1};
    int i = 0;
    for (const syno_ast *t = st->kids; t != e; t = t->next, i++)
        if (i < 2) {
            const name_entry *n = find_name(s, t->text);
            targets[i] = n && s->op->dims[n->dim].src < 0 && s->op->dims[n->dim].tensor < 0 ? n->dim : -1;
            /* 'z, z = ...' names one dim twice (reported by add_name): the
             * second result gets an anonymous dim of its own. */
            if (i == 1 && targets[1] == targets[0]) targets[1] = -1;
        }
    const syno_ast *inner = e;
    while (inner->kind == SYNO_AST_PAREN) inner = inner->kids;
    if (inner->kind == SYNO_AST_NAME) {
        error(s, e->range, "'%s = %s' would only rename '%s'; use '%s' directly", st->kids->text, inner->text,
              inner->text, inner->text);
        return;
    }
    if (inner->kind != SYNO_AST_CALL) {
        error(s, e->range, "expected a primitive call on the right of '='");
        return;
    }
    int prim = syno_prim_lookup(inner->text);
    if (prim >= 0 && syno_prims[prim].nresults != ntargets) {
        int nr = syno_prims[prim].nresults;
        if (nr == 0)
            error(s, st->range, "%s produces no dimension, so it cannot be assigned; write it as a statement: %s",
                  inner->text, syno_prims[prim].usage);
        else
            error(s, st->range, "%s produces %d dimension%s, but %d name%s given (%s)", inner->text, nr,
                  nr == 1 ? "" : "s", ntargets, ntargets == 1 ? " is" : "s are", syno_prims[prim].usage);
        /* Build anyway so the operands count as used; mark the results broken. */
        int out[2] = {-1, -1};
        for (int j = 0; j < nr && j < ntargets; j++) out[j] = targets[j];
        if (nr > 0 && build_call(s, inner, out, ntargets) >= 0) {
            for (int j = 0; j < nr; j++) {
                s->op->dims[out[j]].quiet = true;
                if (s->op->dims[out[j]].src >= 0) s->op->nodes[s->op->dims[out[j]].src].broken = true;
            }
        }
        return;
    }
    build_call(s, inner, targets, ntargets);
}

static void build_tensor(sema *s, const syno_ast *t, bool weight)
{
    if (find_tensor(s, t->text) >= 0) {
        syno_diag *g = error(s, t->range, "tensor '%s' is declared twice", t->text);
        syno_diag_note(g, s->op->tensors[find_tensor(s, t->text)].range, "first declared here");
    }
    if (s->op->ntensors == SYNO_MAX_TENSORS) {
        error(s, t->range, "too many weights: an operator has at most %d", SYNO_MAX_TENSORS - 1);
        return;
    }
    const name_entry *clash = find_name(s, t->text);
    if (clash) {
        syno_diag *g = error(s, t->range, "'%s' is already the name of a dimension", t->text);
        syno_diag_note(g, clash->range, "defined here");
    }
    int ti = syno_op_add_tensor(s->op, t->text, t->range);
    for (const syno_ast *ax = t->kids; ax; ax = ax->next) {
        syno_size size = syno_size_one();
        char what[160];
        snprintf(what, sizeof what, "%s axis '%s'", weight ? "weight" : "input", ax->text);
        bool ok = valid_size(s, ax->kids, &size, what);
        int d = syno_op_add_axis(s->op, ti, size, ax->text, ax->range);
        s->op->dims[d].sized = ok;
        add_name(s, ax->text, d, ax->range);
    }
}

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Records NAME in the set of operator names; returns true when it was
 * already there (a duplicate), without scanning the whole module. */
static bool seen_op(sema *s, const char *name)
{
    if (2 * (s->m->nops + 1) > s->capopnames) {
        int cap = s->capopnames ? 2 * s->capopnames : 64;
        const char **t = syno_xcalloc((size_t)cap, sizeof *t);
        for (int i = 0; i < s->capopnames; i++) {
            if (!s->opnames[i]) continue;
            uint32_t j = str_hash(s->opnames[i]) & (uint32_t)(cap - 1);
            while (t[j]) j = (j + 1) & (uint32_t)(cap - 1);
            t[j] = s->opnames[i];
        }
        free(s->opnames);
        s->opnames = t;
        s->capopnames = cap;
    }
    uint32_t j = str_hash(name) & (uint32_t)(s->capopnames - 1);
    for (; s->opnames[j]; j = (j + 1) & (uint32_t)(s->capopnames - 1))
        if (strcmp(s->opnames[j], name) == 0) return true;
    s->opnames[j] = name;
    return false;
}

/* Counts the primitive calls in expression E. */
static int count_calls(const syno_ast *e)
{
    int n = e->kind == SYNO_AST_CALL;
    for (const syno_ast *k = e->kids; k; k = k->next) n += count_calls(k);
    return n;
}

/* Whether operator N (parsed) is within the limits of an operator: tensors
 * of at most SYNO_MAX_RANK axes, at most SYNO_MAX_NODES primitives.  Not
 * everything that works on operators is linear in their size, so one past
 * the limits is reported and not built at all. */
static bool within_size(sema *s, const syno_ast *n)
{
    const syno_ast *param = n->kids, *outs = param->next, *body = outs->next;
    int calls = 0;
    bool ok = true;
    if (param->nkids > SYNO_MAX_RANK) {
        error(s, param->range, "too many axes: a tensor has at most %d, '%s' has %d", SYNO_MAX_RANK, param->text,
              param->nkids);
        ok = false;
    }
    if (outs->nkids > SYNO_MAX_RANK) {
        error(s, outs->range, "too many output axes: an operator has at most %d, '%s' has %d", SYNO_MAX_RANK, n->text,
              outs->nkids);
        ok = false;
    }
    for (const syno_ast *st = body->kids; st && calls <= SYNO_MAX_NODES; st = st->next) {
        if (st->kind == SYNO_AST_WEIGHT && st->kids->nkids > SYNO_MAX_RANK) {
            error(s, st->kids->range, "too many axes: a tensor has at most %d, '%s' has %d", SYNO_MAX_RANK,
                  st->kids->text, st->kids->nkids);
            ok = false;
        }
        if (st->kind != SYNO_AST_WEIGHT) calls += count_calls(st);
    }
    if (calls > SYNO_MAX_NODES) {
        error(s, n->range, "too many primitives: an operator applies at most %d, '%s' applies more", SYNO_MAX_NODES,
              n->text);
        ok = false;
    }
    return ok;
}

static void build_op(sema *s, syno_ast *n)
{
    if (n->nkids != 3 || n->kids->kind != SYNO_AST_TENSOR) return; /* header failed to parse */
    const syno_ast *param = n->kids, *outs = param->next, *body = outs->next;
    for (const syno_ast *st = body->kids; st; st = st->next)
        if (st->kind == SYNO_AST_ERROR) return; /* syntax errors inside: those are reported already */
    if (!within_size(s, n)) return;
    s->op = syno_op_new(s->m->arena, &s->m->vars, s->d, n->text, n->range);
    s->op->module = s->m;
    s->nnames = 0;
    build_tensor(s, param, false);
    /* Pass 1: every name a statement defines. */
    for (const syno_ast *st = body->kids; st; st = st->next) {
        if (st->kind == SYNO_AST_WEIGHT) {
            build_tensor(s, st->kids, true);
        } else if (st->kind == SYNO_AST_ASSIGN) {
            for (const syno_ast *t = st->kids; t != st->last; t = t->next) {
                if (find_tensor(s, t->text) >= 0) {
                    error(s, t->range, "'%s' is already the name of a tensor", t->text);
                    continue;
                }
                add_name(s, t->text, syno_op_new_dim(s->op, t->text, t->range), t->range);
            }
        }
    }
    /* Pass 2: the statements themselves. */
    for (const syno_ast *st = body->kids; st; st = st->next) {
        if (st->kind == SYNO_AST_ASSIGN) {
            build_assign(s, st);
        } else if (st->kind == SYNO_AST_EXPR_STMT) {
            const syno_ast *e = st->kids;
            while (e->kind == SYNO_AST_PAREN) e = e->kids;
            if (e->kind != SYNO_AST_CALL) {
                error(s, st->range, "a statement must be a primitive call such as sum(r), an assignment "
                                    "or a weight declaration");
                continue;
            }
            int out[2] = {-1, -1};
            build_call(s, e, out, 0);
        }
    }
    /* The output axes. */
    for (const syno_ast *o = outs->kids; o; o = o->next) {
        const name_entry *ne = find_name(s, o->text);
        syno_size decl;
        bool has_decl = o->kids && size_expr(s, o->kids, &decl);
        if (!ne) {
            unknown_dim(s, o);
            continue;
        }
        syno_op_add_output(s->op, ne->dim, o->range, has_decl ? &decl : NULL, has_decl ? o->kids->range : o->range);
    }
    if (s->op->errors)
        for (int d = 0; d < s->op->ndims; d++) s->op->dims[d].quiet = true; /* avoid cascades */
    syno_op_finish(s->op);
    s->m->errors += s->op->errors;
    syno_op *dup = seen_op(s, n->text) ? syno_module_find_op(s->m, n->text) : NULL;
    if (dup) {
        syno_diag *g = syno_diag_error(s->d, n->range, "operator '%s' is defined twice", n->text);
        syno_diag_note(g, dup->range, "first defined here");
        s->m->errors++;
    }
    s->m->ops = syno_xrealloc(s->m->ops, (size_t)(s->m->nops + 1) * sizeof *s->m->ops);
    s->m->ops[s->m->nops++] = s->op;
    s->op = NULL;
}

/* ---- bindings ------------------------------------------------------------------- */

static void build_bind(sema *s, const syno_ast *n)
{
    const syno_bindecl *dup = syno_module_find_bind(s->m, n->text);
    if (dup) {
        syno_diag *g = error(s, n->range, "binding '%s' is defined twice", n->text);
        syno_diag_note(g, dup->range, "first defined here");
        return;
    }
    syno_bindecl bd;
    memset(&bd, 0, sizeof bd);
    bd.name = n->text;
    bd.range = n->range;
    bd.b.name = n->text;
    const syno_vars *vars = &s->m->vars;
    for (const syno_ast *kv = n->kids; kv; kv = kv->next) {
        int v = syno_vars_find(vars, kv->text);
        if (v < 0) {
            syno_buf b = SYNO_BUF_INIT;
            syno_buf_printf(&b, "unknown size variable '%s'", kv->text);
            const char *cands[SYNO_MAX_VARS];
            for (int i = 0; i < vars->n; i++) cands[i] = vars->v[i].name;
            suggest(&b, kv->text, cands, vars->n);
            error(s, kv->range, "%s", syno_buf_str(&b));
            syno_buf_fini(&b);
            continue;
        }
        int64_t val;
        if (!syno_sema_int(kv->kids, &val) || val < 1) {
            error(s, kv->kids->range, "the value of '%s' must be a positive integer", kv->text);
            continue;
        }
        if (val == 1) {
            error(s, kv->kids->range, "'%s' = 1 would make axes of size 1; sizes must be at least 2", kv->text);
            continue;
        }
        if (bd.b.val[v]) {
            syno_diag *g = error(s, kv->range, "'%s' is given twice in binding '%s'", kv->text, n->text);
            syno_diag_note(g, bd.val_range[v], "first given here");
            continue;
        }
        bd.b.val[v] = val;
        bd.val_range[v] = kv->range;
    }
    s->m->binds = syno_xrealloc(s->m->binds, (size_t)(s->m->nbinds + 1) * sizeof *s->m->binds);
    s->m->binds[s->m->nbinds++] = bd;
}

/* Fills OUT with the coefficient defaults of M overridden by BD's values. */
void syno_sema_binding(const syno_module *m, const syno_bindecl *bd, syno_binding *out)
{
    syno_binding_defaults(&m->vars, out);
    out->name = bd->name;
    for (int v = 0; v < m->vars.n; v++)
        if (bd->b.val[v]) out->val[v] = bd->b.val[v];
}

/* Checks each error-free operator under each binding that gives all of its
 * variables a value: every size must divide exactly. */
static void check_ops_under_binds(sema *s)
{
    for (int i = 0; i < s->m->nops; i++) {
        syno_op *op = s->m->ops[i];
        if (op->errors) continue;
        for (int j = 0; j < s->m->nbinds; j++) {
            syno_binding b;
            syno_sema_binding(s->m, &s->m->binds[j], &b);
            if (!syno_op_binds_all(op, &b)) continue;
            int before = s->d->errors;
            syno_op_check_binding(op, &b, s->d, s->m->binds[j].range);
            s->m->errors += s->d->errors - before;
        }
    }
}

/* Whether DECL, the Nth declaration of its kind (WHAT), is within the
 * file's limit MAX; the first one past it is reported, the rest are
 * ignored quietly. */
static bool within_limit(sema *s, const syno_ast *decl, int n, int max, const char *what)
{
    if (n <= max) return true;
    if (n == max + 1) {
        syno_diag_error(s->d, decl->range, "too many %s: a file may declare at most %d (this is number %d)", what,
                        max, n);
        s->m->errors++;
    }
    return false;
}

/* Checks module M: declares its variables, builds and checks its operators,
 * bindings and search blocks.  Errors go to the context's diagnostics and
 * are counted in M->errors. */
void syno_sema_module(syno_module *m)
{
    sema s;
    memset(&s, 0, sizeof s);
    s.m = m;
    s.d = &m->ctx->diags;
    if (!m->ast->kids && !m->syntax_errors) {
        syno_diag_error(s.d, syno_range_make(m->src->base, m->src->base),
                        "%s: no declarations (expected size, coef, op, bind or search)",
                        m->ncomments ? "nothing but comments" : "empty file");
        m->errors++;
    }
    declare_vars(&s);
    int nops = 0, nbinds = 0, nspecs = 0;
    for (syno_ast *decl = m->ast->kids; decl; decl = decl->next)
        if (decl->kind == SYNO_AST_OP && within_limit(&s, decl, ++nops, SYNO_MAX_OPS, "operators")) build_op(&s, decl);
    for (syno_ast *decl = m->ast->kids; decl; decl = decl->next)
        if (decl->kind == SYNO_AST_BIND && within_limit(&s, decl, ++nbinds, SYNO_MAX_BINDS, "bind blocks"))
            build_bind(&s, decl);
    check_ops_under_binds(&s);
    for (syno_ast *decl = m->ast->kids; decl; decl = decl->next)
        if (decl->kind == SYNO_AST_SEARCH && within_limit(&s, decl, ++nspecs, SYNO_MAX_SEARCHES, "search blocks"))
            syno_sema_spec(m, decl);
    free(s.names);
    free(s.opnames);
    m->checked = true;
}
