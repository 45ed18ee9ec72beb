/* cmd_bench.c - `syno bench FILE:OP --bind B`: how fast a backend runs an
 * operator, measured in one run: the CPU executor next to a baseline
 * (bench_cpu.c), or the GPU (codegen/cuda_bench.c); one report for both
 * (bench_report.c).
 *
 * GFLOP/s are the FLOPs of direct evaluation (syno_op_flops: what the
 * operator costs as one loop nest) divided by the median time, so
 * operators and backends compare on one scale; the plan's own FLOPs give a
 * second figure, "plan GFLOP/s", the arithmetic actually done per
 * second. */
#include "base/num.h"
#include "interp/bench.h"
#include "interp/cli.h"
#include "interp/explain.h"

#include <getopt.h>
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
    "  --json         one JSON object: median_s, min_s, cpu_s (median CPU seconds\n"
    "                 per call, all threads), gflops, plan_gflops, flops, plan_flops,\n"
    "                 baseline {name, median_s, gflops, ...}\n";

/* The command line of `syno bench`. */
typedef struct bench_args {
    const char *ref, *bind, *backend;
    bool json;
    syno_bench_opts o;
} bench_args;

/* Reads an option's value in [LO, HI] into *V, or reports and returns false. */
static bool parse_count(const char *opt, const char *s, long long lo, long long hi, int *v)
{
    long long x;
    if (!syno_num_parse_int(s, lo, hi, &x)) {
        syno_cli_usage_error("bench", "%s needs a number from %lld to %lld, not '%s'", opt, lo, hi, s);
        return false;
    }
    *v = (int)x;
    return true;
}

/* Reads the command line into A: SYNO_EXIT_OK, -1 after --help, or the
 * exit status of a usage error (reported). */
static int parse_args(int argc, char **argv, bench_args *a)
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
    memset(a, 0, sizeof *a);
    a->backend = "cpu";
    a->o.baseline = true;
    a->o.repeat = 20;
    a->o.warmup = 3;
    int seed = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        bool good = true;
        switch (c) {
        case O_BIND: a->bind = optarg; break;
        case O_BACKEND: a->backend = optarg; break;
        case O_GRAD: a->o.grad = true; break;
        case O_REPEAT: good = parse_count("--repeat", optarg, 1, 100000, &a->o.repeat); break;
        case O_WARMUP: good = parse_count("--warmup", optarg, 0, 100000, &a->o.warmup); break;
        case O_THREADS: good = parse_count("--threads", optarg, 1, 256, &a->o.threads); break;
        case O_SEED: good = parse_count("--seed", optarg, 0, 2147483647, &seed); break;
        case O_NOBASE: a->o.baseline = false; break;
        case O_JSON: a->json = true; break;
        case O_HELP: fputs(usage, stdout); return -1;
        default:
            if (optopt) return syno_cli_usage_error("bench", "%s needs a value", argv[optind - 1]);
            return syno_cli_usage_error("bench", "unknown option '%s'", argv[optind - 1]);
        }
        if (!good) return SYNO_EXIT_USAGE;
    }
    a->o.seed = (uint64_t)seed;
    if (optind != argc - 1)
        return syno_cli_usage_error("bench", optind == argc ? "no operator given" : "one operator at a time");
    a->ref = argv[optind];
    if (!a->bind) return syno_cli_usage_error("bench", "--bind is required: timings are for concrete sizes");
    if (strcmp(a->backend, "cpu") != 0 && strcmp(a->backend, "cuda") != 0)
        return syno_cli_usage_error("bench", "unknown backend '%s' for bench (it times: cpu, cuda)", a->backend);
    return SYNO_EXIT_OK;
}

/* True when the tensors bench allocates for OP under SIZES stay within
 * BENCH_MAX_NUMEL; else reports into CTX. */
static bool fits(syno_ctx *ctx, const syno_op *op, const int64_t *sizes, const syno_bench_opts *o)
{
    int64_t total = 0;
    for (int t = SYNO_OP_OUT; t < op->ntensors; t++) { /* the output 3 times with a baseline, else 2 */
        int64_t n = syno_op_tensor_numel(op, sizes, t);
        int64_t copies = t == SYNO_OP_OUT ? (o->baseline ? 3 : 2) : (o->grad ? 3 : 1);
        if (n < 0 || __builtin_mul_overflow(n, copies, &n) || __builtin_add_overflow(total, n, &total))
            total = INT64_MAX;
    }
    if (total <= BENCH_MAX_NUMEL) return true;
    syno_diag_error(&ctx->diags, syno_range_make(0, 0),
                    "the tensors of %s take %lld elements under this binding; bench allocates at most %lld", op->name,
                    (long long)total, (long long)BENCH_MAX_NUMEL);
    return false;
}

/* Measures OP under B on the GPU into R (false after appending why to ERR). */
static bool bench_cuda(const syno_op *op, const syno_binding *b, const syno_bench_opts *o, syno_bench_report *r,
                       syno_buf *err)
{
    const char *tune = getenv("SYNO_CUDA_TUNE");
    syno_cuda_bench_opts co = {o->grad, tune && strcmp(tune, "1") == 0, o->repeat, o->warmup, o->seed};
    syno_cuda_bench_result cr;
    if (!syno_cuda_bench(op, b, &co, &cr, err)) return false;
    syno_bench_report_cuda(op, b, o, &cr, r);
    syno_cuda_bench_result_fini(&cr);
    return true;
}

/* Entry point of `syno bench`. */
int syno_cmd_bench(int argc, char **argv)
{
    bench_args a;
    int st = parse_args(argc, argv, &a);
    if (st != SYNO_EXIT_OK) return st < 0 ? SYNO_EXIT_OK : st;
    syno_ctx *ctx = syno_ctx_new();
    syno_op *op = syno_cli_find_op(ctx, a.ref);
    if (!op) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_binding b;
    st = syno_cli_binding(op, a.bind, &b);
    if (st != SYNO_EXIT_OK) return syno_cli_finish(ctx, st);
    int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
    bool ok = syno_explain_bind(ctx, op, &b, sizes) && fits(ctx, op, sizes, &a.o);
    free(sizes);
    if (!ok) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_bench_report r;
    syno_buf err = SYNO_BUF_INIT, out = SYNO_BUF_INIT;
    ok = strcmp(a.backend, "cuda") == 0 ? bench_cuda(op, &b, &a.o, &r, &err) : syno_bench_cpu(op, &b, &a.o, &r, &err);
    if (ok) {
        if (a.json) syno_bench_report_json(&r, &out);
        else syno_bench_report_text(&r, &out);
        syno_bench_report_fini(&r);
    } else {
        syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s", syno_buf_str(&err));
    }
    fputs(syno_buf_str(&out), stdout);
    syno_buf_fini(&out);
    syno_buf_fini(&err);
    return syno_cli_finish(ctx, ok ? SYNO_EXIT_OK : SYNO_EXIT_USER);
}
