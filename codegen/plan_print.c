/* plan_print.c - reading plans: text and JSON descriptions, index
 * expression evaluation and affine analysis, and the literal (naive)
 * execution of a plan that tests and other backends compare against. */
#include "codegen/plan.h"

#include "base/num.h"

#include <stdlib.h>
#include <string.h>

/* ---- expressions --------------------------------------------------------- */

/* Evaluates expression E of S at the iterator values IT (see plan.h). */
int64_t syno_plan_expr_eval(const syno_plan_stage *s, int e, const int64_t *it)
{
    const syno_pexpr *x = &s->exprs[e];
    switch (x->op) {
    case SYNO_PX_ITER: return it[x->x];
    case SYNO_PX_CONST: return x->c;
    case SYNO_PX_ADD: return syno_plan_expr_eval(s, x->x, it) + syno_plan_expr_eval(s, x->y, it);
    case SYNO_PX_MUL: return syno_plan_expr_eval(s, x->x, it) * x->c;
    case SYNO_PX_DIV: return syno_floor_div(syno_plan_expr_eval(s, x->x, it), x->c);
    case SYNO_PX_MOD: return syno_euclid_mod(syno_plan_expr_eval(s, x->x, it), x->c);
    }
    SYNO_UNREACHABLE();
}

/* See plan.h. */
void syno_plan_stage_eval(const syno_plan_stage *s, const int64_t *it, int64_t *val)
{
    for (int e = 0; e < s->nexprs; e++) {
        const syno_pexpr *x = &s->exprs[e];
        switch (x->op) {
        case SYNO_PX_ITER: val[e] = it[x->x]; break;
        case SYNO_PX_CONST: val[e] = x->c; break;
        case SYNO_PX_ADD: val[e] = val[x->x] + val[x->y]; break;
        case SYNO_PX_MUL: val[e] = val[x->x] * x->c; break;
        case SYNO_PX_DIV: val[e] = syno_floor_div(val[x->x], x->c); break;
        case SYNO_PX_MOD: val[e] = syno_euclid_mod(val[x->x], x->c); break;
        }
    }
}

static bool reads_iter(const syno_plan_stage *s, int e)
{
    const syno_pexpr *x = &s->exprs[e];
    switch (x->op) {
    case SYNO_PX_ITER: return true;
    case SYNO_PX_CONST: return false;
    case SYNO_PX_ADD: return reads_iter(s, x->x) || reads_iter(s, x->y);
    default: return reads_iter(s, x->x);
    }
}

static bool affine(const syno_plan_stage *s, int e, int64_t mult, int64_t *coef, int64_t *c0)
{
    const syno_pexpr *x = &s->exprs[e];
    switch (x->op) {
    case SYNO_PX_ITER: coef[x->x] += mult; return true;
    case SYNO_PX_CONST: *c0 += mult * x->c; return true;
    case SYNO_PX_ADD: return affine(s, x->x, mult, coef, c0) && affine(s, x->y, mult, coef, c0);
    case SYNO_PX_MUL: return affine(s, x->x, mult * x->c, coef, c0);
    default:
        if (reads_iter(s, e)) return false;
        *c0 += mult * syno_plan_expr_eval(s, e, NULL);
        return true;
    }
}

/* Affine form of expression E of S (see plan.h). */
bool syno_plan_expr_affine(const syno_plan_stage *s, int e, int64_t *coef, int64_t *c0)
{
    memset(coef, 0, (size_t)s->niters * sizeof *coef);
    *c0 = 0;
    return affine(s, e, 1, coef, c0);
}

static int prec(const syno_pexpr *x)
{
    switch (x->op) {
    case SYNO_PX_ADD: return 1;
    case SYNO_PX_MUL:
    case SYNO_PX_DIV:
    case SYNO_PX_MOD: return 2;
    default: return 3;
    }
}

static void pexpr(const syno_plan_stage *s, int e, int ctx, syno_buf *out)
{
    const syno_pexpr *x = &s->exprs[e];
    bool paren = prec(x) < ctx;
    if (paren) syno_buf_putc(out, '(');
    switch (x->op) {
    case SYNO_PX_ITER: syno_buf_puts(out, s->iters[x->x].name); break;
    case SYNO_PX_CONST: syno_buf_printf(out, "%lld", (long long)x->c); break;
    case SYNO_PX_ADD: {
        pexpr(s, x->x, 1, out);
        const syno_pexpr *y = &s->exprs[x->y];
        if (y->op == SYNO_PX_CONST && y->c < 0) {
            syno_buf_printf(out, " - %lld", -(long long)y->c);
        } else if (y->op == SYNO_PX_MUL && y->c == -1) {
            syno_buf_puts(out, " - ");
            pexpr(s, y->x, 2, out);
        } else if (y->op == SYNO_PX_MUL && y->c < 0) {
            syno_buf_puts(out, " - ");
            pexpr(s, y->x, 3, out);
            syno_buf_printf(out, "*%lld", -(long long)y->c);
        } else {
            syno_buf_puts(out, " + ");
            pexpr(s, x->y, 2, out);
        }
        break;
    }
    case SYNO_PX_MUL:
        if (x->c == -1) {
            syno_buf_putc(out, '-');
            pexpr(s, x->x, 3, out);
        } else {
            pexpr(s, x->x, 3, out);
            syno_buf_printf(out, "*%lld", (long long)x->c);
        }
        break;
    case SYNO_PX_DIV:
        pexpr(s, x->x, 3, out);
        syno_buf_printf(out, " / %lld", (long long)x->c);
        break;
    case SYNO_PX_MOD:
        pexpr(s, x->x, 3, out);
        syno_buf_printf(out, " %% %lld", (long long)x->c);
        break;
    }
    if (paren) syno_buf_putc(out, ')');
}

static void guard_text(const syno_plan_stage *s, const syno_plan_guard *g, syno_buf *out)
{
    if (g->kind == SYNO_PG_MULTIPLE) {
        pexpr(s, g->expr, 3, out);
        syno_buf_printf(out, " %% %lld == 0", (long long)g->hi);
    } else if (g->lo == 0 && g->hi == 1) {
        pexpr(s, g->expr, 0, out);
        syno_buf_puts(out, " == 0");
    } else {
        syno_buf_printf(out, "%lld <= ", (long long)g->lo);
        pexpr(s, g->expr, 0, out);
        syno_buf_printf(out, " < %lld", (long long)g->hi);
    }
}

/* "out[n, o, y, z] = Σ_{c, a, b} x[...] · f[...]" */
static void stage_formula(const syno_plan *p, const syno_plan_stage *s, syno_buf *out)
{
    const syno_plan_buf *ob = &p->bufs[s->out];
    syno_buf_printf(out, "%s[", ob->name);
    for (int i = 0; i < s->nout; i++) syno_buf_printf(out, "%s%s", i ? ", " : "", s->iters[i].name);
    syno_buf_puts(out, "] = ");
    if (s->scale != 1.0) syno_buf_printf(out, "%.9g · ", s->scale);
    if (s->niters > s->nout) {
        syno_buf_puts(out, "Σ_{");
        for (int i = s->nout; i < s->niters; i++) syno_buf_printf(out, "%s%s", i > s->nout ? ", " : "", s->iters[i].name);
        syno_buf_puts(out, "} ");
    }
    for (int k = 0; k < s->nops; k++) {
        const syno_plan_operand *o = &s->ops[k];
        const syno_plan_buf *b = &p->bufs[o->buf];
        syno_buf_printf(out, "%s%s[", k ? " · " : "", b->name);
        for (int a = 0; a < b->rank; a++) {
            if (a) syno_buf_puts(out, ", ");
            pexpr(s, o->index[a], 0, out);
        }
        syno_buf_putc(out, ']');
    }
}

static const char *kind_name(syno_pbuf_kind k)
{
    switch (k) {
    case SYNO_PBUF_TENSOR: return "tensor";
    case SYNO_PBUF_GRAD_OUT: return "grad_out";
    case SYNO_PBUF_TEMP: return "temp";
    case SYNO_PBUF_RESULT: return "result";
    }
    return "?";
}

static void shape_text(const syno_plan_buf *b, syno_buf *out)
{
    syno_buf_putc(out, '[');
    for (int a = 0; a < b->rank; a++) syno_buf_printf(out, "%s%lld", a ? ", " : "", (long long)b->shape[a]);
    syno_buf_putc(out, ']');
}

/* Appends the description of P (see plan.h). */
void syno_plan_print(const syno_plan *p, syno_buf *out)
{
    const syno_op *op = p->op;
    if (p->wrt == SYNO_PLAN_FORWARD) syno_buf_printf(out, "plan of %s, forward", op->name);
    else syno_buf_printf(out, "plan of %s, gradient with respect to %s", op->name, op->tensors[p->wrt].name);
    syno_buf_printf(out, ": %d stage%s\n", p->nstages, p->nstages == 1 ? "" : "s");
    for (int i = 0; i < p->nbufs; i++) {
        const syno_plan_buf *b = &p->bufs[i];
        syno_buf_printf(out, "  %-8s %-8s ", b->name, kind_name(b->kind));
        shape_text(b, out);
        syno_buf_putc(out, '\n');
    }
    for (int si = 0; si < p->nstages; si++) {
        const syno_plan_stage *s = &p->stages[si];
        syno_buf_printf(out, "\n  stage %d: ", si + 1);
        stage_formula(p, s, out);
        syno_buf_puts(out, "\n    loops   ");
        for (int i = 0; i < s->niters; i++) {
            if (i == s->nout) syno_buf_puts(out, s->nout ? " | sum " : "sum ");
            else if (i) syno_buf_puts(out, ", ");
            syno_buf_printf(out, "%s:%lld", s->iters[i].name, (long long)s->iters[i].extent);
        }
        if (s->nguards) {
            syno_buf_puts(out, "\n    guards  ");
            for (int g = 0; g < s->nguards; g++) {
                if (g) syno_buf_puts(out, ", ");
                guard_text(s, &s->guards[g], out);
            }
        }
        syno_buf_printf(out, "\n    FLOPs   %lld (", (long long)s->flops);
        syno_num_human((double)s->flops, "FLOP", out);
        syno_buf_printf(out, "; %lld loop points, %d operand%s)\n", (long long)s->points, s->nops,
                        s->nops == 1 ? "" : "s");
    }
    syno_buf_printf(out, "\n  plan FLOPs    %lld (", (long long)p->flops);
    syno_num_human((double)p->flops, "FLOP", out);
    syno_buf_printf(out, ")\n  direct FLOPs  %lld (", (long long)p->direct_flops);
    syno_num_human((double)p->direct_flops, "FLOP", out);
    syno_buf_printf(out, "), plan/direct = %.4g\n", p->direct_flops ? (double)p->flops / (double)p->direct_flops : 0.0);
    if (p->temp_bytes) {
        syno_buf_puts(out, "  temporaries   ");
        syno_num_human((double)p->temp_bytes, "B", out);
        syno_buf_putc(out, '\n');
    }
    if (!p->searched) syno_buf_puts(out, "  (the search hit its work bound; the order is greedy past that point)\n");
}

/* Writes P as JSON (see plan.h). */
void syno_plan_json(const syno_plan *p, syno_json *j)
{
    syno_buf t = SYNO_BUF_INIT;
    syno_json_begin_object(j);
    syno_json_key(j, "operator");
    syno_json_string(j, p->op->name);
    syno_json_key(j, "wrt");
    if (p->wrt == SYNO_PLAN_FORWARD) syno_json_null(j);
    else syno_json_string(j, p->op->tensors[p->wrt].name);
    syno_json_key(j, "flops");
    syno_json_int(j, p->flops);
    syno_json_key(j, "direct_flops");
    syno_json_int(j, p->direct_flops);
    syno_json_key(j, "temp_bytes");
    syno_json_int(j, p->temp_bytes);
    syno_json_key(j, "searched");
    syno_json_bool(j, p->searched);
    syno_json_key(j, "buffers");
    syno_json_begin_array(j);
    for (int i = 0; i < p->nbufs; i++) {
        const syno_plan_buf *b = &p->bufs[i];
        syno_json_begin_object(j);
        syno_json_key(j, "name");
        syno_json_string(j, b->name);
        syno_json_key(j, "kind");
        syno_json_string(j, kind_name(b->kind));
        syno_json_key(j, "shape");
        syno_json_begin_array(j);
        for (int a = 0; a < b->rank; a++) syno_json_int(j, b->shape[a]);
        syno_json_end_array(j);
        syno_json_end_object(j);
    }
    syno_json_end_array(j);
    syno_json_key(j, "stages");
    syno_json_begin_array(j);
    for (int si = 0; si < p->nstages; si++) {
        const syno_plan_stage *s = &p->stages[si];
        syno_json_begin_object(j);
        syno_buf_clear(&t);
        stage_formula(p, s, &t);
        syno_json_key(j, "formula");
        syno_json_string(j, syno_buf_str(&t));
        syno_json_key(j, "out");
        syno_json_string(j, p->bufs[s->out].name);
        syno_json_key(j, "iterators");
        syno_json_begin_array(j);
        for (int i = 0; i < s->niters; i++) {
            syno_json_begin_object(j);
            syno_json_key(j, "name");
            syno_json_string(j, s->iters[i].name);
            syno_json_key(j, "extent");
            syno_json_int(j, s->iters[i].extent);
            syno_json_key(j, "sum");
            syno_json_bool(j, i >= s->nout);
            syno_json_end_object(j);
        }
        syno_json_end_array(j);
        syno_json_key(j, "operands");
        syno_json_begin_array(j);
        for (int k = 0; k < s->nops; k++) {
            const syno_plan_operand *o = &s->ops[k];
            syno_json_begin_object(j);
            syno_json_key(j, "buffer");
            syno_json_string(j, p->bufs[o->buf].name);
            syno_json_key(j, "index");
            syno_json_begin_array(j);
            for (int a = 0; a < p->bufs[o->buf].rank; a++) {
                syno_buf_clear(&t);
                pexpr(s, o->index[a], 0, &t);
                syno_json_string(j, syno_buf_str(&t));
            }
            syno_json_end_array(j);
            syno_json_end_object(j);
        }
        syno_json_end_array(j);
        syno_json_key(j, "guards");
        syno_json_begin_array(j);
        for (int g = 0; g < s->nguards; g++) {
            syno_buf_clear(&t);
            guard_text(s, &s->guards[g], &t);
            syno_json_string(j, syno_buf_str(&t));
        }
        syno_json_end_array(j);
        syno_json_key(j, "scale");
        syno_json_double(j, s->scale);
        syno_json_key(j, "points");
        syno_json_int(j, s->points);
        syno_json_key(j, "flops");
        syno_json_int(j, s->flops);
        syno_json_end_object(j);
    }
    syno_json_end_array(j);
    syno_json_end_object(j);
    syno_buf_fini(&t);
}

/* ---- literal execution ------------------------------------------------------ */

static bool guards_hold(const syno_plan_stage *s, const int64_t *val)
{
    for (int g = 0; g < s->nguards; g++) {
        const syno_plan_guard *gd = &s->guards[g];
        int64_t v = val[gd->expr];
        if (gd->kind == SYNO_PG_RANGE ? (v < gd->lo || v >= gd->hi) : syno_euclid_mod(v, gd->hi) != 0) return false;
    }
    return true;
}

/* Executes P literally in double precision (see plan.h). */
void syno_plan_run_naive(const syno_plan *p, double *const *bufs)
{
    for (int si = 0; si < p->nstages; si++) {
        const syno_plan_stage *s = &p->stages[si];
        const syno_plan_buf *ob = &p->bufs[s->out];
        double *out = bufs[s->out];
        memset(out, 0, (size_t)ob->numel * sizeof *out);
        int64_t *it = syno_xcalloc((size_t)s->niters + 1, sizeof *it);
        int64_t *val = syno_xcalloc((size_t)s->nexprs + 1, sizeof *val);
        bool empty = false;
        for (int i = 0; i < s->niters; i++) empty |= s->iters[i].extent <= 0;
        while (!empty) {
            syno_plan_stage_eval(s, it, val);
            if (guards_hold(s, val)) {
                double term = 1;
                for (int k = 0; k < s->nops; k++) {
                    const syno_plan_operand *o = &s->ops[k];
                    const syno_plan_buf *b = &p->bufs[o->buf];
                    int64_t off = 0;
                    for (int a = 0; a < b->rank; a++) {
                        int64_t ix = val[o->index[a]];
                        SYNO_ASSERT(ix >= 0 && ix < b->shape[a]);
                        off = off * b->shape[a] + ix;
                    }
                    term *= bufs[o->buf][off];
                }
                int64_t off = 0;
                for (int i = 0; i < s->nout; i++) off = off * s->iters[i].extent + it[i];
                out[off] += term;
            }
            int i = s->niters - 1;
            while (i >= 0 && ++it[i] == s->iters[i].extent) it[i--] = 0;
            if (i < 0) break;
        }
        if (s->scale != 1.0)
            for (int64_t e = 0; e < ob->numel; e++) out[e] *= s->scale;
        free(it);
        free(val);
    }
}
