/* cmd_explain.c - `syno explain FILE:OP [--bind B] [--json]`: an operator's
 * formula, shapes (symbolic and bound), reductions, parameters and FLOPs. */
#include "base/arena.h"
#include "base/num.h"
#include "codegen/plan.h"
#include "interp/cli.h"
#include "interp/explain.h"
#include "lang/formula.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: syno explain FILE:OP [--bind B] [--plan[=WHICH]] [--json]\n"
    "Prints the operator as a formula, the shapes of its input, weights and\n"
    "output (symbolic, and under the binding), its reductions, its number of\n"
    "parameters and the FLOPs of direct evaluation (each multiply and each\n"
    "add counted).\n"
    "  --bind B   N=8,C_in=64,... and/or names of bind blocks in the file\n"
    "  --json     one JSON object on stdout\n"
    "  --plan[=WHICH]  also the staged plan under the binding (needs --bind):\n"
    "             each stage's loop nest, operands, guards and FLOPs, and the\n"
    "             plan's FLOPs against direct evaluation.  WHICH: forward\n"
    "             (default), a tensor name (the plan of its gradient) or all\n";

static void shape_bound(const int64_t *sizes, const int *dims, int n, syno_buf *out)
{
    syno_buf_putc(out, '[');
    for (int i = 0; i < n; i++) syno_buf_printf(out, "%s%lld", i ? ", " : "", (long long)sizes[dims[i]]);
    syno_buf_putc(out, ']');
}

static void shape_json(syno_json *j, const syno_op *op, const int64_t *sizes, const int *dims, int n)
{
    syno_json_key(j, "shape");
    syno_json_begin_array_inline(j);
    syno_buf b = SYNO_BUF_INIT;
    for (int i = 0; i < n; i++) {
        syno_buf_clear(&b);
        syno_size_print(op->vars, op->dims[dims[i]].size, &b);
        syno_json_string(j, syno_buf_str(&b));
    }
    syno_buf_fini(&b);
    syno_json_end_array(j);
    syno_json_key(j, "bound");
    if (!sizes) {
        syno_json_null(j);
        return;
    }
    syno_json_begin_array_inline(j);
    for (int i = 0; i < n; i++) syno_json_int(j, sizes[dims[i]]);
    syno_json_end_array(j);
}

static int *reduction_dims(const syno_op *op, int *n)
{
    int *r = syno_xmalloc((size_t)(op->nnodes + 1) * sizeof *r);
    *n = 0;
    for (int oi = 0; oi < op->norder; oi++) {
        const syno_node *nd = &op->nodes[op->order[oi]];
        if (nd->prim == SYNO_PRIM_SUM || nd->prim == SYNO_PRIM_MEAN) r[(*n)++] = nd->in[0];
    }
    return r;
}

static void explain_json_fields(const syno_op *op, const syno_binding *b, const int64_t *sizes, syno_json *j)
{
    syno_buf t = SYNO_BUF_INIT;
    syno_json_key(j, "operator");
    syno_json_string(j, op->name);
    if (op->module) {
        uint32_t line, col;
        syno_source_linecol(op->module->src, op->range.start, &line, &col);
        syno_json_key(j, "file");
        syno_json_string(j, op->module->src->name);
        syno_json_key(j, "line");
        syno_json_int(j, line);
    }
    syno_op_formula(op, sizes ? b : NULL, &t);
    syno_json_key(j, "formula");
    syno_json_string(j, syno_buf_str(&t));
    syno_json_key(j, "binding");
    if (sizes) {
        syno_json_begin_object(j);
        for (int v = 0; v < op->vars->n; v++) {
            bool used = false;
            for (int d = 0; d < op->ndims && !used; d++) used = op->dims[d].size.e[v] != 0;
            if (!used) continue;
            syno_json_key(j, op->vars->v[v].name);
            syno_json_int(j, b->val[v]);
        }
        syno_json_end_object(j);
    } else {
        syno_json_null(j);
    }
    syno_json_key(j, "input");
    syno_json_begin_object(j);
    syno_json_key(j, "name");
    syno_json_string(j, op->tensors[0].name);
    shape_json(j, op, sizes, op->tensors[0].axes, op->tensors[0].rank);
    syno_json_end_object(j);
    syno_json_key(j, "weights");
    syno_json_begin_array(j);
    for (int w = 1; w < op->ntensors; w++) {
        syno_json_begin_object(j);
        syno_json_key(j, "name");
        syno_json_string(j, op->tensors[w].name);
        shape_json(j, op, sizes, op->tensors[w].axes, op->tensors[w].rank);
        syno_json_end_object(j);
    }
    syno_json_end_array(j);
    syno_json_key(j, "output");
    syno_json_begin_object(j);
    shape_json(j, op, sizes, op->out, op->nout);
    syno_json_end_object(j);
    int nred;
    int *red = reduction_dims(op, &nred);
    syno_arena *a = syno_arena_new();
    const char **names = syno_op_index_names(op, a);
    syno_json_key(j, "reductions");
    syno_json_begin_array(j);
    for (int i = 0; i < nred; i++) {
        syno_json_begin_object(j);
        syno_json_key(j, "name");
        syno_json_string(j, names[red[i]]);
        syno_buf_clear(&t);
        syno_size_print(op->vars, op->dims[red[i]].size, &t);
        syno_json_key(j, "size");
        syno_json_string(j, syno_buf_str(&t));
        syno_json_key(j, "bound");
        if (sizes) syno_json_int(j, sizes[red[i]]);
        else syno_json_null(j);
        syno_json_end_object(j);
    }
    syno_json_end_array(j);
    syno_arena_free(a);
    free(red);
    syno_poly params, flops;
    syno_op_params(op, &params);
    syno_op_flops(op, &flops);
    int64_t pv = 0, fv = 0;
    syno_json_key(j, "params");
    if (sizes && syno_poly_eval(op->vars, &params, b, &pv, NULL) == SYNO_EVAL_OK) syno_json_int(j, pv);
    else syno_json_null(j);
    syno_buf_clear(&t);
    syno_poly_print(op->vars, &params, &t);
    syno_json_key(j, "params_symbolic");
    syno_json_string(j, syno_buf_str(&t));
    syno_json_key(j, "flops");
    if (sizes && syno_poly_eval(op->vars, &flops, b, &fv, NULL) == SYNO_EVAL_OK) syno_json_int(j, fv);
    else syno_json_null(j);
    syno_buf_clear(&t);
    syno_poly_print(op->vars, &flops, &t);
    syno_json_key(j, "flops_symbolic");
    syno_json_string(j, syno_buf_str(&t));
    syno_buf_fini(&t);
}

/* The plans --plan=WHICH asks for: forward (-1) and/or tensor indices.
 * Returns how many, or -1 after reporting an unknown name. */
static int plan_targets(syno_ctx *ctx, const syno_op *op, const char *which, int *wrt)
{
    int n = 0;
    if (!which || strcmp(which, "forward") == 0) {
        wrt[n++] = SYNO_PLAN_FORWARD;
    } else if (strcmp(which, "all") == 0) {
        for (int t = SYNO_PLAN_FORWARD; t < op->ntensors; t++) wrt[n++] = t;
    } else {
        for (int t = 0; t < op->ntensors; t++)
            if (strcmp(op->tensors[t].name, which) == 0) wrt[n++] = t;
        if (!n) {
            syno_buf names = SYNO_BUF_INIT;
            for (int t = 0; t < op->ntensors; t++) syno_buf_printf(&names, ", %s", op->tensors[t].name);
            syno_diag_error(&ctx->diags, syno_range_make(0, 0), "--plan=%s: %s has no tensor '%s' (choose forward%s or all)",
                            which, op->name, which, syno_buf_str(&names));
            syno_buf_fini(&names);
            return -1;
        }
    }
    return n;
}

/* Builds the plans of WRT[N] under B; reports failures into CTX. */
static bool build_plans(syno_ctx *ctx, const syno_op *op, const syno_binding *b, const int *wrt, int n, syno_plan **plans)
{
    for (int i = 0; i < n; i++) {
        syno_buf err = SYNO_BUF_INIT;
        plans[i] = syno_plan_build(op, b, wrt[i], &err);
        if (!plans[i]) {
            syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s", syno_buf_str(&err));
            syno_buf_fini(&err);
            return false;
        }
        syno_buf_fini(&err);
    }
    return true;
}

static void row(syno_buf *out, const char *name, const char *sym, const char *bound, int w1, int w2)
{
    if (bound) syno_buf_printf(out, "  %-*s %-*s %s\n", w1, name, w2, sym, bound);
    else syno_buf_printf(out, "  %-*s %s\n", w1, name, sym);
}

/* Appends the human-readable explanation of OP (the JSON: explain_json_fields). */
void syno_explain_text(const syno_op *op, const syno_binding *b, const int64_t *sizes, syno_buf *out)
{
    syno_buf t = SYNO_BUF_INIT, u = SYNO_BUF_INIT;
    syno_buf_printf(out, "operator %s", op->name);
    if (op->module) {
        uint32_t line, col;
        syno_source_linecol(op->module->src, op->range.start, &line, &col);
        syno_buf_printf(out, "  (%s:%u)", op->module->src->name, line);
    }
    syno_buf_puts(out, "\n\n  ");
    syno_op_formula(op, sizes ? b : NULL, out);
    syno_buf_puts(out, "\n\n");
    /* column widths */
    int w1 = 6, w2 = 5;
    for (int ti = 0; ti <= op->ntensors; ti++) {
        const int *dims = ti < op->ntensors ? op->tensors[ti].axes : op->out;
        int n = ti < op->ntensors ? op->tensors[ti].rank : op->nout;
        syno_buf_clear(&t);
        syno_op_print_dims(op, dims, n, &t);
        if ((int)t.len > w2) w2 = (int)t.len;
        if (ti < op->ntensors && (int)strlen(op->tensors[ti].name) + 9 > w1) w1 = (int)strlen(op->tensors[ti].name) + 9;
    }
    syno_buf_clear(&u);
    if (sizes) syno_op_print_binding(op, b, &u);
    row(out, "tensor", "shape", sizes ? syno_buf_str(&u) : NULL, w1, w2);
    for (int ti = 0; ti <= op->ntensors; ti++) {
        const int *dims = ti < op->ntensors ? op->tensors[ti].axes : op->out;
        int n = ti < op->ntensors ? op->tensors[ti].rank : op->nout;
        syno_buf_clear(&t);
        syno_op_print_dims(op, dims, n, &t);
        syno_buf_clear(&u);
        if (sizes) shape_bound(sizes, dims, n, &u);
        char label[96];
        if (ti == 0) snprintf(label, sizeof label, "%s (input)", op->tensors[0].name);
        else if (ti < op->ntensors) snprintf(label, sizeof label, "%s (weight)", op->tensors[ti].name);
        else snprintf(label, sizeof label, "out");
        row(out, label, syno_buf_str(&t), sizes ? syno_buf_str(&u) : NULL, w1, w2);
    }
    int nred;
    int *red = reduction_dims(op, &nred);
    syno_arena *a = syno_arena_new();
    const char **names = syno_op_index_names(op, a);
    syno_buf_puts(out, "\n  reductions  ");
    if (!nred) syno_buf_puts(out, "none");
    for (int i = 0; i < nred; i++) {
        if (i) syno_buf_puts(out, ", ");
        syno_buf_printf(out, "%s: ", names[red[i]]);
        syno_size_print(op->vars, op->dims[red[i]].size, out);
        if (sizes) syno_buf_printf(out, " = %lld", (long long)sizes[red[i]]);
    }
    free(red);
    syno_arena_free(a);
    syno_poly params, flops;
    syno_op_params(op, &params);
    syno_op_flops(op, &flops);
    syno_buf_puts(out, "\n  params      ");
    syno_poly_print(op->vars, &params, out);
    int64_t v;
    if (sizes && syno_poly_eval(op->vars, &params, b, &v, NULL) == SYNO_EVAL_OK) syno_buf_printf(out, " = %lld", (long long)v);
    syno_buf_puts(out, "\n  FLOPs       ");
    syno_poly_print(op->vars, &flops, out);
    if (sizes && syno_poly_eval(op->vars, &flops, b, &v, NULL) == SYNO_EVAL_OK) {
        syno_buf_printf(out, " = %lld (", (long long)v);
        syno_num_human((double)v, "FLOP", out);
        syno_buf_putc(out, ')');
    }
    syno_buf_printf(out, "\n              direct evaluation: %d multipl%s and 1 add per term%s\n", op->ntensors - 1,
                    op->ntensors == 2 ? "y" : "ies", syno_op_nreductions(op) ? "" : " (no reduction)");
    syno_buf_fini(&t);
    syno_buf_fini(&u);
}

/* Checks that B gives every variable of OP a value and that every size
 * divides; reports problems into CTX.  Fills SIZES (op->ndims entries). */
bool syno_explain_bind(syno_ctx *ctx, const syno_op *op, const syno_binding *b, int64_t *sizes)
{
    if (!syno_op_binds_all(op, b)) {
        syno_buf miss = SYNO_BUF_INIT;
        int n = 0;
        for (int v = 0; v < op->vars->n; v++) {
            bool used = false;
            for (int d = 0; d < op->ndims && !used; d++) used = op->dims[d].size.e[v] != 0;
            if (used && b->val[v] <= 0) syno_buf_printf(&miss, "%s%s", n++ ? ", " : "", op->vars->v[v].name);
        }
        syno_diag_error(&ctx->diags, syno_range_make(0, 0), "the binding gives no value to %s (used by %s); add %s to --bind",
                        syno_buf_str(&miss), op->name, n == 1 ? "it" : "them");
        syno_buf_fini(&miss);
        return false;
    }
    if (!syno_op_check_binding(op, b, &ctx->diags, syno_range_make(0, 0))) return false;
    return syno_op_eval_sizes(op, b, sizes);
}

/* Entry point of `syno explain`. */
int syno_cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {{"bind", required_argument, NULL, 'b'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"plan", optional_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *bind = NULL, *plan_which = NULL;
    bool json = false, plan = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "b:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': bind = optarg; break;
        case 'j': json = true; break;
        case 'p': plan = true, plan_which = optarg; break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default:
            if (optopt == 'b') return syno_cli_usage_error("explain", "--bind needs a value");
            return syno_cli_usage_error("explain", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return syno_cli_usage_error("explain", optind == argc ? "no operator given" : "one operator at a time");
    if (plan && !bind) return syno_cli_usage_error("explain", "--plan needs --bind: plans are made for concrete sizes");
    syno_ctx *ctx = syno_ctx_new();
    syno_op *op = syno_cli_find_op(ctx, argv[optind]);
    if (!op) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_binding b;
    int st = syno_cli_binding(op, bind, &b);
    if (st != SYNO_EXIT_OK) return syno_cli_finish(ctx, st);
    int64_t *sizes = NULL;
    if (bind) {
        sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
        if (!syno_explain_bind(ctx, op, &b, sizes)) {
            free(sizes);
            return syno_cli_finish(ctx, SYNO_EXIT_USER);
        }
    }
    int wrt[SYNO_MAX_TENSORS + 1], nplans = 0;
    syno_plan *plans[SYNO_MAX_TENSORS + 1] = {NULL};
    if (plan && ((nplans = plan_targets(ctx, op, plan_which, wrt)) < 0 || !build_plans(ctx, op, &b, wrt, nplans, plans))) {
        for (int i = 0; i < SYNO_MAX_TENSORS + 1; i++) syno_plan_free(plans[i]);
        free(sizes);
        return syno_cli_finish(ctx, SYNO_EXIT_USER);
    }
    syno_buf out = SYNO_BUF_INIT;
    if (json) {
        syno_json j;
        syno_json_init(&j, &out);
        syno_json_begin_object(&j);
        explain_json_fields(op, &b, sizes, &j);
        if (plan) {
            syno_json_key(&j, "plans");
            syno_json_begin_array(&j);
            for (int i = 0; i < nplans; i++) syno_plan_json(plans[i], &j);
            syno_json_end_array(&j);
        }
        syno_json_end_object(&j);
    } else {
        syno_explain_text(op, &b, sizes, &out);
        for (int i = 0; i < nplans; i++) {
            syno_buf_putc(&out, '\n');
            syno_plan_print(plans[i], &out);
        }
    }
    for (int i = 0; i < nplans; i++) syno_plan_free(plans[i]);
    fputs(syno_buf_str(&out), stdout);
    syno_buf_fini(&out);
    free(sizes);
    return syno_cli_finish(ctx, SYNO_EXIT_OK);
}
