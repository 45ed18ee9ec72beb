/* canon_print.c - printing a ranked, normalized graph as canonical text.
 *
 * The text is a complete .syno module in `syno fmt` form: the variables the
 * operator uses (sizes, then coefficients, each sorted by name), a blank
 * line, and `op canonical(...)`.  Inside, the weights (numbered w1, w2, ...
 * in order of first use, axes lettered in order of first use), then the
 * two-result statements (split chains, unfolds) in dependency order, then
 * assignments for the output axes that need one, in output order, then the
 * reductions.  Single-result primitives are written inline where they are
 * used; a weight read at a dim is written share(dim, weight axis), nested in
 * weight rank order; an n-ary split or merge is a right-nested chain of
 * binary ones.  Data dimensions are named a, b, c, ... in order of first
 * appearance (skipping w, x and the variables' names).  Where the graph does
 * not fix an order (weights, reductions, unordered operands) the rank from
 * canon_label.c decides.  Partial operators get `open` lines. */
#include "lang/canon_int.h"

#include <limits.h>
#include <string.h>

typedef struct printer {
    cn_final *f;
    cn_ir *ir;
    const int *rank;
    int *name;           /* per IR dim: name number, or -1 */
    int gen;             /* next name candidate */
    char (*names)[16];
    int nnames, capnames;
    int *wnum;           /* per weight: its number, or 0 */
    int nwnum;
    int *waxidx;         /* per wax: axis index in its weight, or -1 */
    int *waxcount;
    bool *touched;
    cn_printed *p;
} printer;

/* Computes the variables the normalized op uses (the text declares only
 * those), in the IR's order: primaries then coefficients, by name. */
static void final_vars(cn_final *f)
{
    const cn_ir *ir = f->ir;
    bool used[SYNO_MAX_VARS] = {false};
    for (int d = 0; d < ir->ndims; d++)
        if (!ir->dims[d].dead)
            for (int v = 0; v < ir->vars.n; v++) used[v] |= ir->dims[d].size.e[v] != 0;
    for (int t = 1; t <= ir->nweights; t++)
        for (int i = 0; i < ir->weights[t].n; i++) {
            const cn_wax *w = &ir->wax[ir->weights[t].axes[i]];
            SYNO_ASSERT(w->dim >= 0 && !ir->dims[w->dim].dead && syno_size_eq(w->size, ir->dims[w->dim].size));
        }
    memset(&f->vars, 0, sizeof f->vars);
    for (int v = 0; v < ir->vars.n; v++) {
        f->to_final[v] = -1;
        if (!used[v]) continue;
        f->to_final[v] = f->vars.n;
        f->vars.v[f->vars.n++] = ir->vars.v[v];
    }
}

static syno_size fsize(const cn_final *f, syno_size s)
{
    syno_size r = syno_size_one();
    for (int v = 0; v < f->ir->vars.n; v++)
        if (s.e[v]) r.e[f->to_final[v]] = s.e[v];
    return r;
}

/* Appends decimal V (the printers are hot: the search hashes millions of
 * operators, so no printf here). */
static void put_int(syno_buf *out, long long v)
{
    char buf[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do buf[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0) syno_buf_putc(out, '-');
    while (n) syno_buf_putc(out, buf[--n]);
}

static void put3(syno_buf *out, const char *a, const char *b, const char *c)
{
    syno_buf_puts(out, a);
    syno_buf_puts(out, b);
    syno_buf_puts(out, c);
}

/* Weight axis I of weight number W: w1a, w1b, ..., w1z, w1z26, ... */
static void put_axis(syno_buf *out, int w, int i)
{
    syno_buf_putc(out, 'w');
    put_int(out, w);
    if (i < 26) {
        syno_buf_putc(out, (char)('a' + i));
    } else {
        syno_buf_putc(out, 'z');
        put_int(out, i);
    }
}

/* Prints the factors of S with exponents of sign SIGN; returns how many. */
static int factors(const syno_vars *vars, syno_size s, int sign, syno_buf *out)
{
    int n = 0;
    for (int v = 0; v < vars->n; v++) {
        int e = s.e[v] * sign;
        if (e <= 0) continue;
        if (n++) syno_buf_putc(out, '*');
        syno_buf_puts(out, vars->v[v].name);
        if (e > 1) {
            syno_buf_putc(out, '^');
            put_int(out, e);
        }
    }
    return n;
}

/* Prints S as `syno fmt` prints a size: "C_out/(g*s)", "C/g^2", "k^2". */
static void put_size(const printer *pr, syno_size s, syno_buf *out)
{
    const syno_vars *vars = &pr->f->vars;
    s = fsize(pr->f, s);
    if (!factors(vars, s, 1, out)) syno_buf_putc(out, '1');
    int den = 0;
    for (int v = 0; v < vars->n; v++) den += s.e[v] < 0;
    if (!den) return;
    syno_buf_puts(out, den > 1 ? "/(" : "/");
    factors(vars, s, -1, out);
    if (den > 1) syno_buf_putc(out, ')');
}

static void touch(printer *pr, int v)
{
    if (v < 0 || pr->touched[v]) return;
    pr->touched[v] = true;
    pr->p->touch[pr->p->ntouch++] = v;
}

static bool is_var_name(const printer *pr, const char *s)
{
    for (int v = 0; v < pr->f->vars.n; v++) {
        const char *n = pr->f->vars.v[v].name;
        if (n[0] == s[0] && strcmp(n, s) == 0) return true;
    }
    return false;
}

static int fresh_name(printer *pr)
{
    static const char letters[] = "abcdefghijklmnopqrstuvyz";
    char buf[16];
    do {
        int i = pr->gen++;
        int round = i / 24, n = 0;
        buf[n++] = letters[i % 24];
        char digits[12];
        int nd = 0;
        for (; round; round /= 10) digits[nd++] = (char)('0' + round % 10);
        while (nd) buf[n++] = digits[--nd];
        buf[n] = 0;
    } while (is_var_name(pr, buf));
    if (pr->nnames == pr->capnames) {
        int cap = pr->capnames ? 2 * pr->capnames : 32;
        char(*nn)[16] = syno_arena_alloc(pr->ir->a, (size_t)cap * sizeof *nn);
        if (pr->nnames) memcpy(nn, pr->names, (size_t)pr->nnames * sizeof *nn);
        pr->names = nn;
        pr->capnames = cap;
    }
    memcpy(pr->names[pr->nnames], buf, sizeof buf);
    return pr->nnames++;
}

static const char *dim_name(printer *pr, int d)
{
    if (pr->name[d] < 0) pr->name[d] = fresh_name(pr);
    touch(pr, pr->f->vdim[d]);
    return pr->names[pr->name[d]];
}

static bool two_results(int kind)
{
    return kind == CN_SPLIT || kind == CN_USPLIT || kind == CN_OSPLIT || kind == CN_OUSPLIT || kind == CN_UNFOLD;
}

/* Named dims: input axes, open dims, results of two-result statements. */
static bool named(const cn_ir *ir, int d)
{
    const cn_dim *x = &ir->dims[d];
    return x->input >= 0 || x->open || (x->src >= 0 && two_results(ir->nodes[x->src].kind));
}

static void wax_ref(printer *pr, int w, syno_buf *out)
{
    cn_ir *ir = pr->ir;
    int t = ir->wax[w].weight;
    if (!pr->wnum[t]) {
        pr->wnum[t] = ++pr->nwnum;
        pr->p->wseq[pr->p->nwseq++] = t;
        touch(pr, pr->f->vwt[t]);
    }
    if (pr->waxidx[w] < 0) {
        pr->waxidx[w] = pr->waxcount[t]++;
        pr->p->waxseq[pr->p->nwaxseq++] = w;
    }
    int i = pr->waxidx[w];
    put_axis(out, pr->wnum[t], i);
}

/* Sorts the N ints of A by the rank of the vertex MAP gives them. */
static void sort_by_rank(const printer *pr, int *a, int n, const int *map)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && pr->rank[map[a[j]]] < pr->rank[map[a[j - 1]]]; j--) {
            int t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static void expr(printer *pr, int d, syno_buf *out);

static void operands(printer *pr, const int *in, int n, const char *prim, syno_buf *out)
{
    for (int i = 0; i + 1 < n; i++) {
        syno_buf_puts(out, prim);
        syno_buf_putc(out, '(');
        expr(pr, in[i], out);
        syno_buf_puts(out, ", ");
    }
    expr(pr, in[n - 1], out);
    for (int i = 0; i + 1 < n; i++) syno_buf_putc(out, ')');
}

static void base(printer *pr, int d, syno_buf *out)
{
    cn_ir *ir = pr->ir;
    if (named(ir, d)) {
        syno_buf_puts(out, dim_name(pr, d));
        return;
    }
    int k = ir->dims[d].src;
    SYNO_ASSERT(k >= 0);
    const cn_node *n = &ir->nodes[k];
    touch(pr, pr->f->vnode[k]);
    switch (n->kind) {
    case CN_MERGE:
    case CN_OMERGE:
        operands(pr, n->in, n->nin, "merge", out);
        break;
    case CN_UMERGE:
    case CN_OUMERGE:
    case CN_DIAG: {
        int *in = syno_arena_dup(ir->a, n->in, (size_t)n->nin * sizeof *in);
        sort_by_rank(pr, in, n->nin, pr->f->vdim);
        operands(pr, in, n->nin, n->kind == CN_DIAG ? "share" : "merge", out);
        break;
    }
    case CN_TRANS:
        if (n->sgn == 1) {
            syno_buf_puts(out, "shift(");
            expr(pr, n->in[0], out);
            syno_buf_puts(out, ", ");
            put_int(out, n->off);
            syno_buf_putc(out, ')');
        } else {
            int64_t dd = -1 - n->off; /* x = n-1-((y+dd) mod n) */
            syno_buf_puts(out, dd ? "shift(reverse(" : "reverse(");
            expr(pr, n->in[0], out);
            if (dd) {
                syno_buf_puts(out, "), ");
                put_int(out, dd);
            }
            syno_buf_putc(out, ')');
        }
        break;
    case CN_STRIDE:
        syno_buf_puts(out, "stride(");
        expr(pr, n->in[0], out);
        syno_buf_puts(out, ", ");
        put_size(pr, n->param, out);
        syno_buf_putc(out, ')');
        break;
    case CN_EXPAND:
        syno_buf_puts(out, "expand(");
        put_size(pr, ir->dims[d].size, out);
        syno_buf_putc(out, ')');
        break;
    default:
        SYNO_UNREACHABLE();
    }
}

/* The expression of dim D: its base, wrapped in a share per weight read. */
static void expr(printer *pr, int d, syno_buf *out)
{
    cn_ir *ir = pr->ir;
    touch(pr, pr->f->vdim[d]);
    int ws[SYNO_MAX_TENSORS], n = 0;
    for (int w = ir->dims[d].att; w >= 0; w = ir->wax[w].next) ws[n++] = w;
    if (!n) {
        base(pr, d, out);
        return;
    }
    /* Nested in weight number order (weights already used come first),
     * then by rank. */
    int64_t wv[SYNO_MAX_TENSORS];
    for (int i = 0; i < n; i++) {
        int t = ir->wax[ws[i]].weight;
        wv[i] = (int64_t)(pr->wnum[t] ? pr->wnum[t] : SYNO_MAX_TENSORS + 1) << 32 | (uint32_t)pr->rank[pr->f->vwt[t]];
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && wv[j] < wv[j - 1]; j--) {
            int t = ws[j];
            ws[j] = ws[j - 1];
            ws[j - 1] = t;
            int64_t u = wv[j];
            wv[j] = wv[j - 1];
            wv[j - 1] = u;
        }
    int s = ir->dims[d].src;
    bool bare = n >= 2 && s >= 0 && ir->nodes[s].kind == CN_EXPAND; /* share(w1a, w2a): no expand needed */
    for (int i = bare ? 1 : 0; i < n; i++) syno_buf_puts(out, "share(");
    if (bare) {
        touch(pr, pr->f->vnode[s]);
        wax_ref(pr, ws[0], out);
    } else {
        base(pr, d, out);
    }
    for (int i = bare ? 1 : 0; i < n; i++) {
        syno_buf_puts(out, ", ");
        wax_ref(pr, ws[i], out);
        syno_buf_putc(out, ')');
    }
}

/* ---- statements ------------------------------------------------------------ */

/* Adds to DEPS the two-result nodes whose results the expression of D uses. */
static void deps_of(const cn_ir *ir, int d, int *deps, int *n)
{
    const cn_dim *x = &ir->dims[d];
    if (x->src < 0) return;
    const cn_node *p = &ir->nodes[x->src];
    if (two_results(p->kind)) {
        deps[(*n)++] = x->src;
        return;
    }
    for (int i = 0; i < p->nin; i++) deps_of(ir, p->in[i], deps, n);
}

/* The first-assigned name the expression of D mentions (statements are
 * ordered by it, so the text follows the input's axes), or INT_MAX. */
static int first_name(const printer *pr, int d)
{
    const cn_ir *ir = pr->ir;
    if (named(ir, d)) return pr->name[d] >= 0 ? pr->name[d] : INT_MAX;
    int k = ir->dims[d].src, best = INT_MAX;
    if (k < 0) return best;
    for (int i = 0; i < ir->nodes[k].nin; i++) {
        int n = first_name(pr, ir->nodes[k].in[i]);
        if (n < best) best = n;
    }
    return best;
}

/* True when statement node A (its operand's expression) goes before B. */
static bool stmt_before(const printer *pr, int a, int b)
{
    int na = first_name(pr, pr->ir->nodes[a].in[0]), nb = first_name(pr, pr->ir->nodes[b].in[0]);
    if (na != nb) return na < nb;
    return pr->rank[pr->f->vnode[a]] < pr->rank[pr->f->vnode[b]];
}

static void split_stmt(printer *pr, int k, syno_buf *out)
{
    cn_ir *ir = pr->ir;
    const cn_node *n = &ir->nodes[k];
    touch(pr, pr->f->vnode[k]);
    int *o = syno_arena_dup(ir->a, n->out, (size_t)n->nout * sizeof *o);
    if (n->kind == CN_USPLIT || n->kind == CN_OUSPLIT) sort_by_rank(pr, o, n->nout, pr->f->vdim);
    int prev = -1; /* the name of the remainder so far */
    for (int j = 0; j + 1 < n->nout; j++) {
        put3(out, "    ", dim_name(pr, o[j]), ", ");
        int rest = -1;
        if (j + 2 == n->nout) syno_buf_puts(out, dim_name(pr, o[j + 1]));
        else syno_buf_puts(out, pr->names[rest = fresh_name(pr)]);
        syno_buf_puts(out, " = split(");
        if (prev < 0) expr(pr, n->in[0], out);
        else syno_buf_puts(out, pr->names[prev]);
        syno_buf_puts(out, ", ");
        syno_size r = syno_size_one();
        for (int q = j + 1; q < n->nout; q++) syno_size_mul(&r, r, ir->dims[o[q]].size);
        put_size(pr, r, out);
        syno_buf_puts(out, ");\n");
        prev = rest;
    }
}

static void pair_stmt(printer *pr, int k, syno_buf *out)
{
    cn_ir *ir = pr->ir;
    const cn_node *n = &ir->nodes[k];
    touch(pr, pr->f->vnode[k]);
    put3(out, "    ", dim_name(pr, n->out[0]), ", ");
    put3(out, dim_name(pr, n->out[1]), n->kind == CN_UNFOLD ? " = unfold(" : " = split(", "");
    expr(pr, n->in[0], out);
    syno_buf_puts(out, ", ");
    put_size(pr, n->kind == CN_UNFOLD ? n->param : ir->dims[n->out[1]].size, out);
    syno_buf_puts(out, ");\n");
}

/* The two-result statements in dependency order, ties broken by rank. */
static void two_result_stmts(printer *pr, syno_buf *out)
{
    cn_ir *ir = pr->ir;
    int nk = 0;
    int *ks = SYNO_NEW_ARRAY(ir->a, int, ir->nnodes + 1);
    for (int k = 0; k < ir->nnodes; k++)
        if (!ir->nodes[k].dead && two_results(ir->nodes[k].kind)) ks[nk++] = k;
    if (!nk) return;
    bool *done = SYNO_NEW_ARRAY(ir->a, bool, nk);
    int **deps = SYNO_NEW_ARRAY(ir->a, int *, nk);
    int *ndeps = SYNO_NEW_ARRAY(ir->a, int, nk);
    for (int i = 0; i < nk; i++) {
        deps[i] = SYNO_NEW_ARRAY(ir->a, int, ir->nnodes + 1);
        deps_of(ir, ir->nodes[ks[i]].in[0], deps[i], &ndeps[i]);
    }
    for (int emitted = 0; emitted < nk; emitted++) {
        int best = -1;
        for (int i = 0; i < nk; i++) {
            if (done[i]) continue;
            bool ready = true;
            for (int j = 0; j < ndeps[i] && ready; j++)
                for (int q = 0; q < nk; q++)
                    if (ks[q] == deps[i][j] && !done[q]) ready = false;
            if (ready && (best < 0 || stmt_before(pr, ks[i], ks[best]))) best = i;
        }
        SYNO_ASSERT(best >= 0);
        done[best] = true;
        int k = ks[best];
        int kind = ir->nodes[k].kind;
        if (kind == CN_SPLIT || kind == CN_USPLIT || kind == CN_OUSPLIT) split_stmt(pr, k, out);
        else pair_stmt(pr, k, out);
    }
}

static bool plain(const cn_ir *ir, int d)
{
    return named(ir, d) && ir->dims[d].att < 0;
}

/* Prints the normalized op of F, ranked by RANK (per vertex), into OUT, and
 * fills P with the touch order and the weight orders. */
void cn_print(cn_final *f, const int *rank, syno_buf *out, cn_printed *p)
{
    cn_ir *ir = f->ir;
    if (!f->vars.n && ir->vars.n) final_vars(f);
    printer pr;
    memset(&pr, 0, sizeof pr);
    pr.f = f;
    pr.ir = ir;
    pr.rank = rank;
    pr.p = p;
    memset(p, 0, sizeof *p);
    p->touch = SYNO_NEW_ARRAY(ir->a, int, f->nv + 1);
    p->wseq = SYNO_NEW_ARRAY(ir->a, int, ir->nweights + 1);
    p->waxseq = SYNO_NEW_ARRAY(ir->a, int, ir->nwax + 1);
    pr.touched = SYNO_NEW_ARRAY(ir->a, bool, f->nv + 1);
    pr.name = SYNO_NEW_ARRAY(ir->a, int, ir->ndims + 1);
    for (int d = 0; d < ir->ndims; d++) pr.name[d] = -1;
    pr.wnum = SYNO_NEW_ARRAY(ir->a, int, ir->nweights + 1);
    pr.waxcount = SYNO_NEW_ARRAY(ir->a, int, ir->nweights + 1);
    pr.waxidx = SYNO_NEW_ARRAY(ir->a, int, ir->nwax + 1);
    for (int w = 0; w < ir->nwax; w++) pr.waxidx[w] = -1;

    /* Header names: input axes, then outputs, then open dims. */
    for (int i = 0; i < ir->nin; i++) dim_name(&pr, ir->inputs[i]);
    int *outname = SYNO_NEW_ARRAY(ir->a, int, ir->nout + 1);
    for (int i = 0; i < ir->nout; i++) {
        int o = ir->outs[i];
        if (plain(ir, o)) {
            dim_name(&pr, o);
            outname[i] = pr.name[o];
        } else {
            outname[i] = fresh_name(&pr);
        }
    }
    int nopen = 0;
    int *opens = SYNO_NEW_ARRAY(ir->a, int, ir->ndims + 1);
    for (int d = 0; d < ir->ndims; d++)
        if (!ir->dims[d].dead && ir->dims[d].open) opens[nopen++] = d;
    sort_by_rank(&pr, opens, nopen, f->vdim);
    syno_buf opentext = SYNO_BUF_INIT, body = SYNO_BUF_INIT;
    for (int i = 0; i < nopen; i++) {
        const cn_dim *x = &ir->dims[opens[i]];
        put3(&opentext, "    open ", dim_name(&pr, opens[i]), ": ");
        put_size(&pr, x->size, &opentext);
        if (x->tag) {
            syno_buf_puts(&opentext, " @");
            put_int(&opentext, x->tag);
        }
        if (x->uin) syno_buf_puts(&opentext, " unordered");
        syno_buf_puts(&opentext, ";\n");
    }

    /* Statements. */
    two_result_stmts(&pr, &body);
    for (int i = 0; i < ir->nout; i++) {
        int o = ir->outs[i];
        if (plain(ir, o)) continue;
        put3(&body, "    ", pr.names[outname[i]], " = ");
        expr(&pr, o, &body);
        syno_buf_puts(&body, ";\n");
    }
    int nred = 0;
    int *reds = SYNO_NEW_ARRAY(ir->a, int, ir->nnodes + 1);
    for (int k = 0; k < ir->nnodes; k++)
        if (!ir->nodes[k].dead && (ir->nodes[k].kind == CN_SUM || ir->nodes[k].kind == CN_MEAN)) reds[nred++] = k;
    for (int i = 1; i < nred; i++)
        for (int j = i; j > 0 && stmt_before(&pr, reds[j], reds[j - 1]); j--) {
            int t = reds[j];
            reds[j] = reds[j - 1];
            reds[j - 1] = t;
        }
    for (int i = 0; i < nred; i++) {
        const cn_node *n = &ir->nodes[reds[i]];
        touch(&pr, f->vnode[reds[i]]);
        syno_buf_puts(&body, n->kind == CN_SUM ? "    sum(" : "    mean(");
        expr(&pr, n->in[0], &body);
        syno_buf_puts(&body, ");\n");
    }
    /* Weights not reached (a weight whose axes... cannot happen) stay last. */
    for (int t = 1; t <= ir->nweights; t++) SYNO_ASSERT(pr.wnum[t]);

    /* Assemble: variables, header, weights, open lines, statements. */
    int nprim = 0, ncoef = 0;
    for (int v = 0; v < f->vars.n; v++) {
        const syno_var *var = &f->vars.v[v];
        if (var->kind == SYNO_VAR_PRIMARY) put3(out, nprim++ ? ", " : "size ", var->name, "");
    }
    if (nprim) syno_buf_puts(out, ";\n");
    for (int v = 0; v < f->vars.n; v++) {
        const syno_var *var = &f->vars.v[v];
        if (var->kind != SYNO_VAR_COEF) continue;
        put3(out, ncoef++ ? ", " : "coef ", var->name, " = ");
        put_int(out, var->value);
    }
    if (ncoef) syno_buf_puts(out, ";\n");
    syno_buf_puts(out, "\nop canonical(x[");
    for (int i = 0; i < ir->nin; i++) {
        int d = ir->inputs[i];
        put3(out, i ? ", " : "", pr.names[pr.name[d]], ": ");
        put_size(&pr, ir->dims[d].size, out);
    }
    syno_buf_puts(out, "]) -> [");
    for (int i = 0; i < ir->nout; i++) put3(out, i ? ", " : "", pr.names[outname[i]], "");
    bool empty = !p->nwseq && !opentext.len && !body.len;
    syno_buf_puts(out, empty ? "] {" : "] {\n"); /* fmt writes an empty body as {} */
    for (int j = 0; j < p->nwseq; j++) {
        int t = p->wseq[j];
        syno_buf_puts(out, "    weight w");
        put_int(out, j + 1);
        syno_buf_putc(out, '[');
        int a = 0;
        for (int i = 0; i < p->nwaxseq; i++) {
            int w = p->waxseq[i];
            if (ir->wax[w].weight != t) continue;
            if (a) syno_buf_puts(out, ", ");
            put_axis(out, j + 1, a);
            syno_buf_puts(out, ": ");
            put_size(&pr, ir->wax[w].size, out);
            a++;
        }
        syno_buf_puts(out, "];\n");
    }
    if (opentext.len) syno_buf_add(out, opentext.data, opentext.len);
    if (body.len) syno_buf_add(out, body.data, body.len);
    syno_buf_puts(out, "}\n");
    syno_buf_fini(&opentext);
    syno_buf_fini(&body);
}
