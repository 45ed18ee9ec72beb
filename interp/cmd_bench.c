/* cmd_bench.c - `syno bench FILE:OP --bind B`: how fast the CPU executor
 * runs an operator, next to a baseline, measured in one run.
 *
 * Both are timed the same way: warm-up calls, then the median (and the
 * minimum) of repeated calls on the same random float32 tensors.  GFLOP/s
 * are the FLOPs of direct evaluation (syno_op_flops: what the operator
 * costs as one loop nest) divided by the median time, so operators and
 * backends compare on one scale; the plan's own FLOPs give a second
 * figure, "plan GFLOP/s", the arithmetic actually done per second.
 *
 * The baseline is direct evaluation behind the same interface
 * (syno_cpu_new_baseline): when the operator's single loop nest is a
 * matrix product (a convolution, a linear layer) it runs the classic way,
 * im2col of the whole input then one OpenBLAS sgemm per image with
 * OpenBLAS's threads ("im2col+sgemm", or "sgemm" when no gather is
 * needed); otherwise it is the direct loop nest on the executor's generic
 * path ("direct loop nest"), i.e. what the staged plan saves.  The two
 * results are compared, so a fast wrong answer cannot pass unnoticed. */
#include "base/clock.h"
#include "base/num.h"
#include "base/rng.h"
#include "codegen/cpu.h"
#include "codegen/cuda_bench.h"
#include "interp/cli.h"
#include "interp/explain.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most elements bench allocates over all of its tensors. */
#define BENCH_MAX_NUMEL ((int64_t)1 << 29)

static const char usage[] =
    "usage: syno bench FILE:OP --bind B [--backend cpu] [--grad] [--repeat N]\n"
    "                  [--warmup N] [--threads N] [--seed N] [--no-baseline] [--json]\n"
    "Times the operator on random float32 tensors: the median time per call\n"
    "and GFLOP/s, for the staged plan and for a baseline (im2col + OpenBLAS\n"
    "sgemm when the operator is one matrix product, such as a convolution;\n"
    "else the direct loop nest).  GFLOP/s count the FLOPs of direct\n"
    "evaluation (as `syno explain` reports them); \"plan GFLOP/s\" count the\n"
    "plan's own FLOPs.\n"
    "  --bind B       N=8,C_in=64,... and/or names of bind blocks in the file\n"
    "  --backend cpu  the backend to time: cpu, or cuda (GPU 0; also reports cold\n"
    "                 NVRTC compile and warm kernel-cache load times; no baseline)\n"
    "  --grad         time a forward and a backward pass (every gradient) per call\n"
    "  --repeat N     timed calls (default 20; the baseline does at most 3 when\n"
    "                 one of its calls takes over a second, 1 over ten seconds)\n"
    "  --warmup N     untimed calls first (default 3)\n"
    "  --threads N    threads (default: $SYNO_THREADS, else every online CPU)\n"
    "  --seed N       seed of the random tensors (default 0)\n"
    "  --no-baseline  time only the staged plan\n"
    "  --json         one JSON object: median_s, min_s, cpu_s (CPU seconds per\n"
    "                 call, all threads), gflops, plan_gflops, flops, plan_flops,\n"
    "                 baseline {name, median_s, gflops, ...}\n";

typedef struct timing {
    double median, min;
    double cpu;      /* process CPU seconds per call, every thread */
    int runs, warm;
} timing;

typedef struct bench_data {
    const syno_op *op;
    float *t[SYNO_MAX_TENSORS];
    float *y, *dy;
    float *g[SYNO_MAX_TENSORS];
    bool grad;
} bench_data;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool call(syno_cpu *c, bench_data *d, float *y, float **g, syno_buf *err)
{
    syno_cpu_forward(c, (const float *const *)d->t, y);
    return !d->grad || syno_cpu_backward(c, (const float *const *)d->t, d->dy, g, err);
}

/* Times C: WARM calls, then REPEAT timed ones (fewer when SLOW_CAP and a
 * call takes over a second). */
static bool time_it(syno_cpu *c, bench_data *d, float *y, float **g, int warm, int repeat, bool slow_cap, timing *t,
                    syno_buf *err)
{
    double first = syno_clock_wall();
    if (!call(c, d, y, g, err)) return false;
    double one = syno_clock_wall() - first;
    if (slow_cap && one > 10.0) { /* one call is the measurement */
        t->median = t->min = one;
        t->runs = 1;
        t->warm = 0;
        return true;
    }
    if (slow_cap && one > 1.0) {
        warm = 0;
        if (repeat > 3) repeat = 3;
    }
    for (int i = 1; i < warm; i++)
        if (!call(c, d, y, g, err)) return false;
    double *ts = syno_xmalloc((size_t)repeat * sizeof *ts);
    double c0 = syno_clock_cpu();
    for (int i = 0; i < repeat; i++) {
        double t0 = syno_clock_wall();
        call(c, d, y, g, err);
        ts[i] = syno_clock_wall() - t0;
    }
    t->cpu = (syno_clock_cpu() - c0) / repeat;
    qsort(ts, (size_t)repeat, sizeof *ts, cmp_double);
    t->median = repeat % 2 ? ts[repeat / 2] : 0.5 * (ts[repeat / 2 - 1] + ts[repeat / 2]);
    t->min = ts[0];
    t->runs = repeat;
    t->warm = warm > 1 ? warm : 1;
    free(ts);
    return true;
}

static double max_rel(const float *a, const float *b, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

static bool parse_count(const char *opt, const char *s, long long lo, long long hi, long long *v)
{
    if (syno_num_parse_int(s, lo, hi, v)) return true;
    syno_cli_usage_error("bench", "%s needs a number from %lld to %lld, not '%s'", opt, lo, hi, s);
    return false;
}

/* Entry point of `syno bench`. */
int syno_cmd_bench(int argc, char **argv)
{
    enum { O_BIND = 256, O_BACKEND, O_GRAD, O_REPEAT, O_WARMUP, O_THREADS, O_SEED, O_NOBASE, O_JSON, O_HELP };
    static const struct option opts[] = {
        {"bind", required_argument, NULL, O_BIND},     {"backend", required_argument, NULL, O_BACKEND},
        {"grad", no_argument, NULL, O_GRAD},           {"repeat", required_argument, NULL, O_REPEAT},
        {"warmup", required_argument, NULL, O_WARMUP}, {"threads", required_argument, NULL, O_THREADS},
        {"seed", required_argument, NULL, O_SEED},     {"no-baseline", no_argument, NULL, O_NOBASE},
        {"json", no_argument, NULL, O_JSON},           {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *bind = NULL, *backend = "cpu";
    bool grad = false, json = false, baseline = true;
    long long repeat = 20, warmup = 3, threads = 0, seed = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_BIND: bind = optarg; break;
        case O_BACKEND: backend = optarg; break;
        case O_GRAD: grad = true; break;
        case O_REPEAT:
            if (!parse_count("--repeat", optarg, 1, 100000, &repeat)) return SYNO_EXIT_USAGE;
            break;
        case O_WARMUP:
            if (!parse_count("--warmup", optarg, 0, 100000, &warmup)) return SYNO_EXIT_USAGE;
            break;
        case O_THREADS:
            if (!parse_count("--threads", optarg, 1, 256, &threads)) return SYNO_EXIT_USAGE;
            break;
        case O_SEED:
            if (!parse_count("--seed", optarg, 0, 2147483647, &seed)) return SYNO_EXIT_USAGE;
            break;
        case O_NOBASE: baseline = false; break;
        case O_JSON: json = true; break;
        case O_HELP: fputs(usage, stdout); return SYNO_EXIT_OK;
        default:
            if (optopt) return syno_cli_usage_error("bench", "%s needs a value", argv[optind - 1]);
            return syno_cli_usage_error("bench", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return syno_cli_usage_error("bench", optind == argc ? "no operator given" : "one operator at a time");
    if (!bind) return syno_cli_usage_error("bench", "--bind is required: timings are for concrete sizes");
    if (strcmp(backend, "cpu") != 0 && strcmp(backend, "cuda") != 0)
        return syno_cli_usage_error("bench", "unknown backend '%s' for bench (it times: cpu, cuda)", backend);
    syno_ctx *ctx = syno_ctx_new();
    syno_op *op = syno_cli_find_op(ctx, argv[optind]);
    if (!op) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_binding b;
    int st = syno_cli_binding(op, bind, &b);
    if (st != SYNO_EXIT_OK) return syno_cli_finish(ctx, st);
    int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
    if (!syno_explain_bind(ctx, op, &b, sizes)) {
        free(sizes);
        return syno_cli_finish(ctx, SYNO_EXIT_USER);
    }
    /* shapes and the memory limit */
    int64_t numel[SYNO_MAX_TENSORS], nout = 1, total = 0;
    for (int i = 0; i < op->nout; i++) nout *= sizes[op->out[i]];
    for (int t = 0; t < op->ntensors; t++) {
        numel[t] = 1;
        for (int a = 0; a < op->tensors[t].rank; a++) numel[t] *= sizes[op->tensors[t].axes[a]];
        total += numel[t] * (grad ? 3 : 1);
    }
    total += nout * (baseline ? 3 : 2);
    free(sizes);
    if (total > BENCH_MAX_NUMEL) {
        syno_diag_error(&ctx->diags, syno_range_make(0, 0),
                        "the tensors of %s take %lld elements under this binding; bench allocates at most %lld",
                        op->name, (long long)total, (long long)BENCH_MAX_NUMEL);
        return syno_cli_finish(ctx, SYNO_EXIT_USER);
    }
    if (strcmp(backend, "cuda") == 0) { /* the GPU: codegen/cuda_bench.c */
        const char *tune = getenv("SYNO_CUDA_TUNE");
        syno_cuda_bench_opts co = {grad, json, tune && strcmp(tune, "1") == 0, (int)repeat, (int)warmup, (uint64_t)seed};
        return syno_cli_finish(ctx, syno_cuda_bench(ctx, op, &b, &co, stdout));
    }
    if (threads) syno_cpu_set_threads((int)threads);
    syno_buf err = SYNO_BUF_INIT;
    syno_cpu *ours = syno_cpu_new(op, &b, &err);
    if (!ours) {
        syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s", syno_buf_str(&err));
        syno_buf_fini(&err);
        return syno_cli_finish(ctx, SYNO_EXIT_USER);
    }
    bench_data d;
    memset(&d, 0, sizeof d);
    d.op = op;
    d.grad = grad;
    syno_rng r;
    syno_rng_seed(&r, (uint64_t)seed);
    for (int t = 0; t < op->ntensors; t++) {
        d.t[t] = syno_xmalloc((size_t)numel[t] * sizeof(float));
        for (int64_t i = 0; i < numel[t]; i++) d.t[t][i] = (float)(2 * syno_rng_unit(&r) - 1);
        if (grad) d.g[t] = syno_xmalloc((size_t)numel[t] * sizeof(float));
    }
    d.y = syno_xmalloc((size_t)nout * sizeof(float));
    if (grad) {
        d.dy = syno_xmalloc((size_t)nout * sizeof(float));
        for (int64_t i = 0; i < nout; i++) d.dy[i] = (float)(2 * syno_rng_unit(&r) - 1);
    }
    /* FLOPs per call */
    double dflops = 0, pflops = 0;
    for (int w = SYNO_PLAN_FORWARD; w < (grad ? op->ntensors : 0); w++) {
        const syno_plan *p = syno_cpu_plan(ours, w, &err);
        if (!p) break;
        dflops += (double)p->direct_flops;
        pflops += (double)p->flops;
    }
    timing to = {0}, tb = {0};
    bool ok = err.len == 0 && time_it(ours, &d, d.y, d.g, (int)warmup, (int)repeat, false, &to, &err);
    const char *base_name = NULL;
    char base_why[512] = "";
    double diff = NAN;
    if (ok && baseline) {
        syno_buf berr = SYNO_BUF_INIT;
        syno_cpu *base = syno_cpu_new_baseline(op, &b, &berr);
        if (base) {
            base_name = syno_cpu_baseline_name(base);
            float *yb = syno_xmalloc((size_t)nout * sizeof(float));
            float *gb[SYNO_MAX_TENSORS] = {NULL};
            for (int t = 0; grad && t < op->ntensors; t++) gb[t] = syno_xmalloc((size_t)numel[t] * sizeof(float));
            if (time_it(base, &d, yb, gb, (int)warmup, (int)repeat, true, &tb, &berr)) {
                diff = max_rel(d.y, yb, nout);
                for (int t = 0; grad && t < op->ntensors; t++) diff = fmax(diff, max_rel(d.g[t], gb[t], numel[t]));
            } else {
                snprintf(base_why, sizeof base_why, "%s", syno_buf_str(&berr));
                base_name = NULL;
            }
            free(yb);
            for (int t = 0; t < op->ntensors; t++) free(gb[t]);
            syno_cpu_free(base);
        } else {
            snprintf(base_why, sizeof base_why, "%s", syno_buf_str(&berr));
        }
        syno_buf_fini(&berr);
    }
    syno_buf out = SYNO_BUF_INIT, bt = SYNO_BUF_INIT;
    syno_cli_print_binding(op, &b, &bt);
    int nthreads = syno_cpu_threads();
    if (ok && json) {
        syno_json j;
        syno_json_init(&j, &out);
        syno_json_begin_object(&j);
        syno_json_key(&j, "operator");
        syno_json_string(&j, op->name);
        syno_json_key(&j, "binding");
        syno_json_string(&j, syno_buf_str(&bt));
        syno_json_key(&j, "backend");
        syno_json_string(&j, backend);
        syno_json_key(&j, "pass");
        syno_json_string(&j, grad ? "forward+backward" : "forward");
        syno_json_key(&j, "threads");
        syno_json_int(&j, nthreads);
        syno_json_key(&j, "repeat");
        syno_json_int(&j, to.runs);
        syno_json_key(&j, "warmup");
        syno_json_int(&j, warmup);
        syno_json_key(&j, "median_s");
        syno_json_double(&j, to.median);
        syno_json_key(&j, "min_s");
        syno_json_double(&j, to.min);
        syno_json_key(&j, "cpu_s");
        syno_json_double(&j, to.cpu);
        syno_json_key(&j, "gflops");
        syno_json_double(&j, dflops / to.median / 1e9);
        syno_json_key(&j, "plan_gflops");
        syno_json_double(&j, pflops / to.median / 1e9);
        syno_json_key(&j, "flops");
        syno_json_double(&j, dflops);
        syno_json_key(&j, "plan_flops");
        syno_json_double(&j, pflops);
        syno_json_key(&j, "baseline");
        syno_json_begin_object(&j);
        syno_json_key(&j, "name");
        if (base_name) syno_json_string(&j, base_name);
        else syno_json_null(&j);
        syno_json_key(&j, "median_s");
        if (base_name) syno_json_double(&j, tb.median);
        else syno_json_null(&j);
        syno_json_key(&j, "min_s");
        if (base_name) syno_json_double(&j, tb.min);
        else syno_json_null(&j);
        syno_json_key(&j, "gflops");
        if (base_name) syno_json_double(&j, dflops / tb.median / 1e9);
        else syno_json_null(&j);
        syno_json_key(&j, "repeat");
        syno_json_int(&j, base_name ? tb.runs : 0);
        if (!base_name) {
            syno_json_key(&j, "reason");
            syno_json_string(&j, baseline ? base_why : "--no-baseline");
        }
        syno_json_end_object(&j);
        syno_json_key(&j, "speedup");
        if (base_name) syno_json_double(&j, tb.median / to.median);
        else syno_json_null(&j);
        syno_json_key(&j, "max_rel_diff");
        if (base_name) syno_json_double(&j, diff);
        else syno_json_null(&j);
        syno_json_end_object(&j);
    } else if (ok) {
        syno_buf_printf(&out, "bench %s, %s, %s, %d thread%s, cpu backend\n", op->name,
                        grad ? "forward + backward (every gradient)" : "forward", syno_buf_str(&bt), nthreads,
                        nthreads == 1 ? "" : "s");
        syno_buf_printf(&out, "  %-22s median %9.3f ms  (min %.3f; %d runs after %lld warm-up)  %8.2f GFLOP/s  (plan: %.2f)\n",
                        "ours: staged plan", 1e3 * to.median, 1e3 * to.min, to.runs, warmup,
                        dflops / to.median / 1e9, pflops / to.median / 1e9);
        syno_buf_printf(&out, "  %-22s %.3f ms of CPU per call over all threads (%.2f GFLOP per CPU-second)\n", "",
                        1e3 * to.cpu, dflops / to.cpu / 1e9);
        if (base_name) {
            char label[64];
            snprintf(label, sizeof label, "baseline: %s", base_name);
            syno_buf_printf(&out, "  %-22s median %9.3f ms  (min %.3f; %d runs)  %8.2f GFLOP/s\n", label, 1e3 * tb.median,
                            1e3 * tb.min, tb.runs, dflops / tb.median / 1e9);
            syno_buf_printf(&out, "  speed-up %.2fx over the baseline; results agree to %.2g (max relative difference)\n",
                            tb.median / to.median, diff);
        } else {
            syno_buf_printf(&out, "  no baseline: %s\n", baseline ? base_why : "--no-baseline");
        }
        for (int w = SYNO_PLAN_FORWARD; w < (grad ? op->ntensors : 0); w++) {
            const syno_plan *p = syno_cpu_plan(ours, w, &err);
            for (int s = 0; p && s < p->nstages; s++)
                syno_buf_printf(&out, "  %s stage %d: %s\n", w < 0 ? "forward" : op->tensors[w].name, s + 1,
                                syno_cpu_stage_method(ours, w, s));
        }
        syno_buf_puts(&out, "  FLOPs per call: direct ");
        syno_num_human(dflops, "FLOP", &out);
        syno_buf_puts(&out, ", plan ");
        syno_num_human(pflops, "FLOP", &out);
        syno_buf_printf(&out, " (plan/direct %.3g); GFLOP/s = direct FLOPs / median time\n", pflops / dflops);
    }
    if (!ok) syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s", syno_buf_str(&err));
    fputs(syno_buf_str(&out), stdout);
    syno_buf_fini(&out);
    syno_buf_fini(&bt);
    syno_buf_fini(&err);
    syno_cpu_free(ours);
    for (int t = 0; t < op->ntensors; t++) free(d.t[t]), free(d.g[t]);
    free(d.y);
    free(d.dy);
    return syno_cli_finish(ctx, ok ? SYNO_EXIT_OK : SYNO_EXIT_USER);
}
