/* formula.c - an operator as a formula:
 *
 *     out[n,o,y,z] = Σ_{c,dy,dz} x[n,c,y+dy-1,z+dz-1] · f[o,c,dy,dz]
 *
 * Index expressions are propagated from the output and reduction iterators
 * up through the graph with each primitive's index map (prims.def), then
 * printed with as few parentheses as precedence allows.  Unfold offsets
 * (floor(K/2)) are shown as numbers, from the binding or the coefficient
 * defaults; other sizes stay symbolic. */
#include "lang/formula.h"

#include <string.h>

typedef enum { IX_VAR, IX_NUM, IX_SIZE, IX_ADD, IX_MUL, IX_DIV, IX_MOD, IX_SUB } ix_kind;

typedef struct ix {
    ix_kind kind;
    const char *name;
    int64_t num;
    syno_size size;
    const struct ix *a, *b;
} ix;

typedef struct fctx {
    const syno_op *op;
    syno_arena *arena;
    const syno_binding *b;
    const ix **dim;
} fctx;

static const ix *mk(fctx *c, ix_kind k, const ix *a, const ix *b)
{
    ix *e = SYNO_NEW(c->arena, ix);
    e->kind = k;
    e->a = a;
    e->b = b;
    return e;
}

static const ix *mk_size(fctx *c, syno_size s)
{
    ix *e = (ix *)mk(c, IX_SIZE, NULL, NULL);
    e->size = s;
    return e;
}

static const ix *mk_num(fctx *c, int64_t v)
{
    ix *e = (ix *)mk(c, IX_NUM, NULL, NULL);
    e->num = v;
    return e;
}

static int prec(const ix *e)
{
    switch (e->kind) {
    case IX_ADD:
    case IX_SUB: return 1;
    case IX_MUL:
    case IX_MOD: return 2;
    default: return 3;
    }
}

static void print(const fctx *c, const ix *e, syno_buf *out);

static void print_sub(const fctx *c, const ix *e, int need, syno_buf *out)
{
    bool paren = prec(e) < need;
    if (paren) syno_buf_putc(out, '(');
    print(c, e, out);
    if (paren) syno_buf_putc(out, ')');
}

static void print_size(const fctx *c, syno_size s, bool factor, syno_buf *out)
{
    syno_buf t = SYNO_BUF_INIT;
    syno_size_print(c->op->vars, s, &t);
    bool compound = strpbrk(syno_buf_str(&t), "*/") != NULL;
    if (factor && compound) syno_buf_printf(out, "(%s)", syno_buf_str(&t));
    else syno_buf_puts(out, syno_buf_str(&t));
    syno_buf_fini(&t);
}

static void print(const fctx *c, const ix *e, syno_buf *out)
{
    switch (e->kind) {
    case IX_VAR:
        syno_buf_puts(out, e->name);
        break;
    case IX_NUM:
        syno_buf_printf(out, "%lld", (long long)e->num);
        break;
    case IX_SIZE:
        print_size(c, e->size, true, out);
        break;
    case IX_ADD:
        print_sub(c, e->a, 1, out);
        if (e->b->kind == IX_NUM && e->b->num < 0) syno_buf_printf(out, "-%lld", (long long)-e->b->num);
        else {
            syno_buf_putc(out, '+');
            print_sub(c, e->b, 1, out);
        }
        break;
    case IX_SUB:
        print_sub(c, e->a, 1, out);
        syno_buf_putc(out, '-');
        print_sub(c, e->b, 2, out);
        break;
    case IX_MUL:
        print_sub(c, e->a, 2, out);
        syno_buf_putc(out, '*');
        print_sub(c, e->b, 3, out);
        break;
    case IX_DIV:
        syno_buf_puts(out, "⌊");
        print_sub(c, e->a, 2, out);
        syno_buf_putc(out, '/');
        print_sub(c, e->b, 3, out);
        syno_buf_puts(out, "⌋");
        break;
    case IX_MOD:
        print_sub(c, e->a, 3, out);
        syno_buf_puts(out, " mod ");
        print_sub(c, e->b, 3, out);
        break;
    }
}

/* floor(K/2) for an unfold window: a number when the coefficients have
 * values, else the symbolic form. */
static const ix *half(fctx *c, syno_size k)
{
    int64_t v;
    if (syno_size_eval(c->op->vars, k, c->b, &v, NULL) == SYNO_EVAL_OK) return mk_num(c, v / 2);
    ix *e = (ix *)mk(c, IX_VAR, NULL, NULL);
    syno_buf t = SYNO_BUF_INIT;
    syno_buf_puts(&t, "⌊");
    print_size(c, k, true, &t);
    syno_buf_puts(&t, "/2⌋");
    e->name = syno_arena_strdup(c->arena, syno_buf_str(&t));
    syno_buf_fini(&t);
    return e;
}

static const ix *add_const(fctx *c, const ix *a, const ix *k, bool negate)
{
    if (k->kind == IX_NUM) {
        if (k->num == 0) return a;
        return mk(c, IX_ADD, a, mk_num(c, negate ? -k->num : k->num));
    }
    return mk(c, negate ? IX_SUB : IX_ADD, a, k);
}

/* Propagates index expressions from produced dims to consumed dims. */
static void propagate(fctx *c)
{
    const syno_op *op = c->op;
    for (int oi = op->norder - 1; oi >= 0; oi--) {
        const syno_node *n = &op->nodes[op->order[oi]];
        const ix *y = n->out[0] >= 0 ? c->dim[n->out[0]] : NULL;
        const ix *z = n->out[1] >= 0 ? c->dim[n->out[1]] : NULL;
        const syno_dim *x = n->in[0] >= 0 ? &op->dims[n->in[0]] : NULL;
        switch (n->prim) {
        case SYNO_PRIM_SPLIT:
            c->dim[n->in[0]] = mk(c, IX_ADD, mk(c, IX_MUL, y, mk_size(c, n->param)), z);
            break;
        case SYNO_PRIM_MERGE: {
            syno_size bs = op->dims[n->in[1]].size;
            c->dim[n->in[0]] = mk(c, IX_DIV, y, mk_size(c, bs));
            c->dim[n->in[1]] = mk(c, IX_MOD, y, mk_size(c, bs));
            break;
        }
        case SYNO_PRIM_SHIFT: {
            const ix *sum = mk(c, IX_ADD, y, mk_num(c, n->shift));
            c->dim[n->in[0]] = mk(c, IX_MOD, sum, mk_size(c, x->size));
            break;
        }
        case SYNO_PRIM_STRIDE:
            c->dim[n->in[0]] = mk(c, IX_MUL, y, mk_size(c, n->param));
            break;
        case SYNO_PRIM_UNFOLD:
            c->dim[n->in[0]] = add_const(c, mk(c, IX_ADD, y, z), half(c, n->param), true);
            break;
        case SYNO_PRIM_SHARE:
            c->dim[n->in[0]] = y;
            c->dim[n->in[1]] = y;
            break;
        case SYNO_PRIM_REVERSE:
            c->dim[n->in[0]] = mk(c, IX_SUB, add_const(c, mk_size(c, x->size), mk_num(c, 1), true), y);
            break;
        case SYNO_PRIM_EXPAND:
        case SYNO_PRIM_SUM:
        case SYNO_PRIM_MEAN:
            break;
        case SYNO_PRIM_COUNT:
            SYNO_UNREACHABLE();
        }
    }
}

/* A readable name for an anonymous reduced dim: the name of the first named
 * dim above it, preferring the data input's side of a share. */
static const char *guess_name(const syno_op *op, int d, int depth)
{
    if (op->dims[d].name) return op->dims[d].name;
    int k = op->dims[d].src;
    if (k < 0 || depth > 16) return NULL;
    const syno_node *n = &op->nodes[k];
    int first = 0;
    if (n->prim == SYNO_PRIM_SHARE && n->in[1] >= 0 && (op->mask[n->in[1]] & 1u) && !(op->mask[n->in[0]] & 1u)) first = 1;
    for (int i = 0; i < 2; i++) {
        int in = n->in[(first + i) % 2];
        if (in < 0) continue;
        const char *s = guess_name(op, in, depth + 1);
        if (s) return s;
    }
    return NULL;
}

static bool name_taken(const char **used, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(used[i], s) == 0) return true;
    return false;
}

/* Names for the loop indices of OP: NAMES[d] for every output dim and every
 * reduced dim d (the others are NULL).  Outputs keep their names; a reduced
 * dim is named after itself or the first named dim above it, made unique.
 * The array lives in arena A. */
const char **syno_op_index_names(const syno_op *op, syno_arena *a)
{
    const char **names = syno_arena_alloc(a, (size_t)op->ndims * sizeof *names);
    const char **used = syno_arena_alloc(a, (size_t)(op->ndims + 1) * sizeof *used);
    int nused = 0;
    for (int i = 0; i < op->nout; i++) {
        int d = op->out[i];
        names[d] = op->dims[d].name ? op->dims[d].name : syno_arena_printf(a, "i%d", i);
        used[nused++] = names[d];
    }
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *n = &op->nodes[op->order[oi]];
        if (n->prim != SYNO_PRIM_SUM && n->prim != SYNO_PRIM_MEAN) continue;
        const char *base = guess_name(op, n->in[0], 0);
        if (!base) base = "r";
        const char *name = base;
        for (int k = 1; name_taken(used, nused, name); k++) name = syno_arena_printf(a, "%s%d", base, k);
        used[nused++] = name;
        names[n->in[0]] = name;
    }
    return names;
}

/* Appends the formula of the finished, error-free OP to OUT.  B supplies
 * coefficient values for unfold offsets (NULL: the declared defaults). */
void syno_op_formula(const syno_op *op, const syno_binding *b, syno_buf *out)
{
    syno_binding defaults;
    if (!b) {
        syno_binding_defaults(op->vars, &defaults);
        b = &defaults;
    }
    fctx c = {op, syno_arena_new(), b, NULL};
    c.dim = syno_arena_alloc(c.arena, (size_t)op->ndims * sizeof *c.dim);
    const char **names = syno_op_index_names(op, c.arena);
    for (int i = 0; i < op->nout; i++) {
        ix *v = (ix *)mk(&c, IX_VAR, NULL, NULL);
        v->name = names[op->out[i]];
        c.dim[op->out[i]] = v;
    }
    syno_buf red = SYNO_BUF_INIT;
    syno_size means = syno_size_one();
    bool any_mean = false, any_unfold = false;
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *n = &op->nodes[op->order[oi]];
        any_unfold |= n->prim == SYNO_PRIM_UNFOLD;
        if (n->prim != SYNO_PRIM_SUM && n->prim != SYNO_PRIM_MEAN) continue;
        const char *name = names[n->in[0]];
        ix *v = (ix *)mk(&c, IX_VAR, NULL, NULL);
        v->name = name;
        c.dim[n->in[0]] = v;
        syno_buf_printf(&red, "%s%s", red.len ? "," : "", name);
        if (n->prim == SYNO_PRIM_MEAN) {
            syno_size_mul(&means, means, op->dims[n->in[0]].size);
            any_mean = true;
        }
    }
    propagate(&c);
    syno_buf_puts(out, "out[");
    for (int i = 0; i < op->nout; i++) syno_buf_printf(out, "%s%s", i ? "," : "", c.dim[op->out[i]]->name);
    syno_buf_puts(out, "] = ");
    if (any_mean) {
        syno_buf_puts(out, "1/");
        print_size(&c, means, true, out);
        syno_buf_puts(out, " · ");
    }
    if (red.len) syno_buf_printf(out, "Σ_{%s} ", syno_buf_str(&red));
    for (int t = 0; t < op->ntensors; t++) {
        if (t) syno_buf_puts(out, " · ");
        syno_buf_printf(out, "%s[", op->tensors[t].name);
        for (int a = 0; a < op->tensors[t].rank; a++) {
            if (a) syno_buf_putc(out, ',');
            const ix *e = c.dim[op->tensors[t].axes[a]];
            if (e) print(&c, e, out);
            else syno_buf_putc(out, '?');
        }
        syno_buf_putc(out, ']');
    }
    if (any_unfold) syno_buf_printf(out, "   (%s[...] is 0 where an index leaves its axis)", op->tensors[0].name);
    syno_buf_fini(&red);
    syno_arena_free(c.arena);
}
