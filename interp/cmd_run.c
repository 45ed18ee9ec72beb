/* cmd_run.c - `syno run FILE:OP --bind B ...`: evaluates an operator, and
 * optionally the gradients of its input and weights, on tensors from .npy
 * files (or random ones), with one of the backends of backends.def.
 *
 * The flow: options -> operator and binding (as `explain`) -> tensor
 * shapes, checked against a size limit before anything is allocated ->
 * tensors, each from its file or from its own random stream -> forward
 * (and backward) on the chosen backend -> optional comparison with the
 * reference evaluator -> .npy files or a printed summary. */
#include "base/hash.h"
#include "base/num.h"
#include "interp/backend.h"
#include "interp/cli.h"
#include "interp/eval.h"
#include "interp/explain.h"
#include "interp/npy.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The largest tensor `syno run` allocates: 2^27 elements (512 MiB as
 * float32; the reference evaluator keeps a float64 copy besides). */
#define RUN_MAX_NUMEL ((int64_t)1 << 27)
/* Above this many terms the reference evaluator (about 2e7 terms a second
 * on one core) warns that it is slow. */
#define RUN_SLOW_TERMS 5e8
/* How many values a summary shows. */
#define RUN_FIRST 6

static void usage(FILE *f)
{
    fputs("usage: syno run FILE:OP --bind B [--in x.npy] [--weight NAME=FILE]... [--seed N]\n"
          "                [--out y.npy] [--grad dy.npy|random [--out-grads DIR]]\n"
          "                [--save-inputs DIR] [--backend NAME] [--check] [--json]\n"
          "Evaluates the operator on float32 tensors (.npy, C order, axes in the\n"
          "order the operator declares them) and writes or summarises the output.\n"
          "  --bind B            N=8,C_in=64,... and/or names of bind blocks in the file\n"
          "  --in FILE           the input tensor\n"
          "  --weight NAME=FILE  a weight, by its declared name (once per weight)\n"
          "  --seed N            seed of the random tensors (default 0): a tensor not\n"
          "                      given is uniform in [-1, 1), each tensor from its own\n"
          "                      stream, so giving one as a file leaves the others as\n"
          "                      they were\n"
          "  --out FILE          write the output; without it, print a summary (shape,\n"
          "                      min, max, mean, sum as a checksum, the first values)\n"
          "  --grad FILE|random  dy, the gradient of the output: also computes the\n"
          "                      gradients of the input and of every weight\n"
          "  --out-grads DIR     write them as DIR/<input name>.npy and DIR/<weight>.npy\n"
          "                      (DIR is created); without it, print their summaries\n"
          "  --save-inputs DIR   also write the tensors used (given or random) as\n"
          "                      DIR/<input name>.npy, DIR/<weight>.npy and DIR/dy.npy\n"
          "  --backend NAME      how to compute (default ref)\n"
          "  --check             also compute with the reference evaluator and report\n"
          "                      the largest relative error; exit 1 above the backend's\n"
          "                      tolerance\n"
          "  --json              print the summary as one JSON object\n"
          "NaN and infinite values in the inputs are accepted with a warning: IEEE\n"
          "arithmetic carries them into every result element that reads them.\n"
          "A tensor may have at most 2^27 elements.\n"
          "backends:\n",
          f);
    for (int i = 0; i < syno_nbackends; i++)
        fprintf(f, "  %-8s %s\n", syno_backends[i].name, syno_backends[i].summary);
}

typedef struct weight_arg {
    const char *name, *file;
} weight_arg;

typedef struct run_args {
    const char *ref, *bind, *in, *out, *grad, *out_grads, *save_inputs, *backend;
    weight_arg *weights;
    int nweights;
    uint64_t seed;
    bool check, json;
} run_args;

static int parse_args(int argc, char **argv, run_args *a)
{
    enum {
        O_BIND = 256, O_IN, O_WEIGHT, O_SEED, O_OUT, O_GRAD, O_OUT_GRADS, O_SAVE_INPUTS, O_BACKEND, O_CHECK, O_JSON,
        O_HELP
    };
    static const struct option opts[] = {
        {"bind", required_argument, NULL, O_BIND},       {"in", required_argument, NULL, O_IN},
        {"weight", required_argument, NULL, O_WEIGHT},   {"seed", required_argument, NULL, O_SEED},
        {"out", required_argument, NULL, O_OUT},         {"grad", required_argument, NULL, O_GRAD},
        {"out-grads", required_argument, NULL, O_OUT_GRADS}, {"backend", required_argument, NULL, O_BACKEND},
        {"save-inputs", required_argument, NULL, O_SAVE_INPUTS},
        {"check", no_argument, NULL, O_CHECK},           {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, O_HELP},             {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->backend = "ref";
    optind = 1;
    opterr = 0;
    int c, longi;
    while ((c = getopt_long(argc, argv, "h", opts, &longi)) != -1) {
        switch (c) {
        case O_BIND: a->bind = optarg; break;
        case O_IN: a->in = optarg; break;
        case O_OUT: a->out = optarg; break;
        case O_GRAD: a->grad = optarg; break;
        case O_OUT_GRADS: a->out_grads = optarg; break;
        case O_SAVE_INPUTS: a->save_inputs = optarg; break;
        case O_BACKEND: a->backend = optarg; break;
        case O_CHECK: a->check = true; break;
        case O_JSON: a->json = true; break;
        case O_SEED: {
            uint64_t v;
            if (!syno_num_parse_u64(optarg, &v))
                return syno_cli_usage_error("run", "--seed needs a non-negative integer, not '%s'", optarg);
            a->seed = v;
            break;
        }
        case O_WEIGHT: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1])
                return syno_cli_usage_error("run", "--weight needs NAME=FILE, not '%s'", optarg);
            a->weights = syno_xrealloc(a->weights, (size_t)(a->nweights + 1) * sizeof *a->weights);
            char *name = syno_xstrdup(optarg);
            name[eq - optarg] = 0;
            a->weights[a->nweights++] = (weight_arg){name, eq + 1};
            break;
        }
        case 'h':
        case O_HELP: usage(stdout); return -1;
        default:
            if (optopt >= O_BIND) return syno_cli_usage_error("run", "%s needs a value", argv[optind - 1]);
            return syno_cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return syno_cli_usage_error("run", optind == argc ? "no operator given" : "one operator at a time");
    a->ref = argv[optind];
    if (a->out_grads && !a->grad) return syno_cli_usage_error("run", "--out-grads needs --grad (dy.npy or random)");
    if (!syno_backend_find(a->backend)) {
        syno_buf names = SYNO_BUF_INIT;
        for (int i = 0; i < syno_nbackends; i++) syno_buf_printf(&names, "%s%s", i ? ", " : "", syno_backends[i].name);
        int st = syno_cli_usage_error("run", "unknown backend '%s' (backends: %s)", a->backend, syno_buf_str(&names));
        syno_buf_fini(&names);
        return st;
    }
    for (int i = 0; i < a->nweights; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(a->weights[i].name, a->weights[j].name) == 0)
                return syno_cli_usage_error("run", "--weight %s is given twice", a->weights[i].name);
    return SYNO_EXIT_OK;
}

static void free_args(run_args *a)
{
    for (int i = 0; i < a->nweights; i++) free((char *)a->weights[i].name);
    free(a->weights);
}

/* ---- tensors ----------------------------------------------------------------- */

/* Describes tensor T for messages: "input 'x' [n: N=2, c: C_in=4]",
 * "weight 'f' [...]"; for SYNO_OP_OUT, OUT_LABEL ("the output", "dy")
 * followed by the output axes. */
static void tensor_desc(const syno_op *op, const int64_t *sizes, int t, const char *out_label, syno_buf *out)
{
    const int *dims = t == SYNO_OP_OUT ? op->out : op->tensors[t].axes;
    int rank = syno_op_tensor_rank(op, t);
    if (t == SYNO_OP_OUT) syno_buf_printf(out, "%s [", out_label);
    else syno_buf_printf(out, "%s '%s' [", t ? "weight" : "input", op->tensors[t].name);
    for (int i = 0; i < rank; i++) {
        if (i) syno_buf_puts(out, ", ");
        syno_op_dim_label(op, dims[i], out);
        syno_buf_puts(out, ": ");
        syno_size_print(op->vars, op->dims[dims[i]].size, out);
        syno_buf_printf(out, " = %lld", (long long)sizes[dims[i]]);
    }
    syno_buf_putc(out, ']');
}

static void shape_text(const syno_array *a, syno_buf *out)
{
    syno_buf_putc(out, '[');
    for (int i = 0; i < a->rank; i++) syno_buf_printf(out, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    syno_buf_putc(out, ']');
}

/* Seeds R for random stream STREAM of SEED (0 = the input, 1.. = the
 * weights, ntensors = dy). */
static void stream_seed(syno_rng *r, uint64_t seed, int stream)
{
    syno_rng_seed(r, seed ^ (SYNO_HASH_GAMMA * (uint64_t)(stream + 1)));
}

static void warn_nonfinite(const syno_array *a, const char *path)
{
    int64_t nan = 0, inf = 0;
    for (int64_t i = 0; i < a->numel; i++) {
        if (isnan(a->data[i])) nan++;
        else if (isinf(a->data[i])) inf++;
    }
    if (nan || inf)
        fprintf(stderr,
                "syno: warning: %s has %lld NaN and %lld infinite values; IEEE arithmetic carries them into every "
                "result element that reads them\n",
                path, (long long)nan, (long long)inf);
}

/* The tensor T (or dy for SYNO_OP_OUT) from PATH, or random from stream
 * STREAM when PATH is NULL.  NULL after printing an error. */
static syno_array *load_tensor(const syno_op *op, const int64_t *sizes, int t,
                               const char *path, uint64_t seed, int stream)
{
    syno_array *want = syno_ref_array_new(op, sizes, t);
    if (!path) {
        syno_rng r;
        stream_seed(&r, seed, stream);
        syno_array_fill_uniform(want, &r, -1.0f, 1.0f);
        return want;
    }
    syno_buf err = SYNO_BUF_INIT, what = SYNO_BUF_INIT;
    syno_array *a = syno_npy_read(path, RUN_MAX_NUMEL, &err);
    if (a) {
        tensor_desc(op, sizes, t, "dy (the gradient of the output)", &what);
        if (!syno_npy_check_shape(a, want->rank, want->shape, path, syno_buf_str(&what), &err)) {
            syno_array_free(a);
            a = NULL;
        }
    }
    if (!a) syno_cli_error("%s", syno_buf_str(&err));
    else warn_nonfinite(a, path);
    syno_buf_fini(&err);
    syno_buf_fini(&what);
    syno_array_free(want);
    return a;
}

static bool check_sizes(const syno_op *op, const int64_t *sizes)
{
    for (int t = SYNO_OP_OUT; t < op->ntensors; t++) {
        int64_t n = syno_op_tensor_numel(op, sizes, t);
        if (n >= 0 && n <= RUN_MAX_NUMEL) continue;
        syno_buf d = SYNO_BUF_INIT;
        tensor_desc(op, sizes, t, "the output", &d);
        if (n < 0) syno_cli_error("%s would have more than 2^63 elements", syno_buf_str(&d));
        else
            syno_cli_error("%s would have %lld elements; syno run allows at most 2^27 (%lld) per tensor",
                           syno_buf_str(&d), (long long)n, (long long)RUN_MAX_NUMEL);
        syno_buf_fini(&d);
        return false;
    }
    return true;
}

/* Matches the --weight arguments to the op's weights: FILES[i] is the file
 * of weight i+1 or NULL.  False after printing an error. */
static bool match_weights(const syno_op *op, const run_args *a, const char **files)
{
    for (int t = 1; t < op->ntensors; t++) files[t - 1] = NULL;
    for (int i = 0; i < a->nweights; i++) {
        int t = 1;
        while (t < op->ntensors && strcmp(op->tensors[t].name, a->weights[i].name) != 0) t++;
        if (t < op->ntensors) {
            files[t - 1] = a->weights[i].file;
            continue;
        }
        syno_buf msg = SYNO_BUF_INIT;
        syno_buf_printf(&msg, "--weight %s: operator '%s' has no weight '%s'", a->weights[i].name, op->name,
                        a->weights[i].name);
        if (strcmp(op->tensors[0].name, a->weights[i].name) == 0) {
            syno_buf_printf(&msg, "; '%s' is its input: give it with --in", a->weights[i].name);
        } else if (op->ntensors == 1) {
            syno_buf_puts(&msg, "; it has no weights");
        } else {
            const char *names[SYNO_MAX_TENSORS];
            for (int w = 1; w < op->ntensors; w++) names[w - 1] = op->tensors[w].name;
            const char *best = syno_suggest(a->weights[i].name, names, op->ntensors - 1);
            if (best) syno_buf_printf(&msg, "; did you mean '%s'?", best);
            syno_buf_puts(&msg, " (its weights: ");
            for (int w = 1; w < op->ntensors; w++) syno_buf_printf(&msg, "%s%s", w > 1 ? ", " : "", names[w - 1]);
            syno_buf_putc(&msg, ')');
        }
        syno_cli_error("%s", syno_buf_str(&msg));
        syno_buf_fini(&msg);
        return false;
    }
    return true;
}

/* ---- results ------------------------------------------------------------------ */

typedef struct stats {
    double min, max, sum, abs_sum;
    int64_t nan;
} stats;

static stats summarize(const syno_array *a)
{
    stats s = {INFINITY, -INFINITY, 0, 0, 0};
    for (int64_t i = 0; i < a->numel; i++) {
        double v = a->data[i];
        if (isnan(v)) {
            s.nan++;
            continue;
        }
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
        s.sum += v;
        s.abs_sum += fabs(v);
    }
    if (s.nan) s.sum = s.abs_sum = NAN;
    return s;
}

static void summary_text(const char *label, const syno_array *a, syno_buf *out)
{
    stats s = summarize(a);
    syno_buf_printf(out, "%-6s ", label);
    shape_text(a, out);
    syno_buf_printf(out, "  min %.6g  max %.6g  mean %.6g  sum %.9g", s.min, s.max,
                    a->numel ? s.sum / (double)a->numel : 0.0, s.sum);
    if (s.nan) syno_buf_printf(out, "  (%lld NaN)", (long long)s.nan);
    syno_buf_printf(out, "\n%-6s first:", "");
    for (int64_t i = 0; i < a->numel && i < RUN_FIRST; i++) syno_buf_printf(out, " %.6g", a->data[i]);
    if (a->numel > RUN_FIRST) syno_buf_puts(out, " ...");
    syno_buf_putc(out, '\n');
}

static void json_num(syno_json *j, double v)
{
    if (isfinite(v)) syno_json_double(j, v);
    else syno_json_null(j);
}

static void summary_json(syno_json *j, const syno_array *a, const char *file)
{
    stats s = summarize(a);
    syno_json_begin_object(j);
    syno_json_key(j, "shape");
    syno_json_begin_array_inline(j);
    for (int i = 0; i < a->rank; i++) syno_json_int(j, a->shape[i]);
    syno_json_end_array(j);
    syno_json_key(j, "file");
    if (file) syno_json_string(j, file);
    else syno_json_null(j);
    syno_json_key(j, "min");
    json_num(j, s.min);
    syno_json_key(j, "max");
    json_num(j, s.max);
    syno_json_key(j, "mean");
    json_num(j, a->numel ? s.sum / (double)a->numel : 0.0);
    syno_json_key(j, "sum");
    json_num(j, s.sum);
    syno_json_key(j, "nan");
    syno_json_int(j, s.nan);
    syno_json_key(j, "first");
    syno_json_begin_array_inline(j);
    for (int64_t i = 0; i < a->numel && i < RUN_FIRST; i++) json_num(j, a->data[i]);
    syno_json_end_array(j);
    syno_json_end_object(j);
}

static bool make_dir(const char *opt, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return true;
        syno_cli_error("%s: '%s' exists and is not a directory", opt, dir);
        return false;
    }
    if (mkdir(dir, 0777) == 0) return true;
    syno_cli_error("%s: cannot create directory '%s': %s", opt, dir, strerror(errno));
    return false;
}

static bool write_npy(const char *path, const syno_array *a)
{
    syno_buf err = SYNO_BUF_INIT;
    bool ok = syno_npy_write(path, a, &err);
    if (!ok) syno_cli_error("%s", syno_buf_str(&err));
    syno_buf_fini(&err);
    return ok;
}

/* Writes A[t] as DIR/<name of tensor t>.npy for every tensor (creating
 * DIR), and DY, when not NULL, as DIR/dy.npy (DIR/dy_.npy when a tensor is
 * called dy).  OPT names the option in messages. */
static bool write_set(const syno_op *op, const char *opt, const char *dir, syno_array *const *arrays,
                      const syno_array *dy)
{
    if (!make_dir(opt, dir)) return false;
    syno_buf path = SYNO_BUF_INIT;
    bool ok = true, dy_taken = false;
    for (int t = 0; t < op->ntensors && ok; t++) {
        syno_buf_clear(&path);
        syno_buf_printf(&path, "%s/%s.npy", dir, op->tensors[t].name);
        ok = write_npy(syno_buf_str(&path), arrays[t]);
        dy_taken |= strcmp(op->tensors[t].name, "dy") == 0;
    }
    if (ok && dy) {
        syno_buf_clear(&path);
        syno_buf_printf(&path, "%s/%s.npy", dir, dy_taken ? "dy_" : "dy");
        ok = write_npy(syno_buf_str(&path), dy);
    }
    syno_buf_fini(&path);
    return ok;
}

/* ---- the command --------------------------------------------------------------- */

typedef struct run {
    syno_ctx *ctx;
    syno_op *op;
    syno_binding b;
    int64_t *sizes;
    const syno_backend *be;
    syno_array *x, *w[SYNO_MAX_TENSORS], *y, *dy;
    syno_array *g[SYNO_MAX_TENSORS];  /* gradients: [0] = dx, [t] = weight t */
    double err[SYNO_MAX_TENSORS + 1]; /* --check: [0] output, [1 + t] gradient of tensor t */
    bool grads;
} run;

static void run_free(run *r)
{
    syno_array_free(r->x);
    syno_array_free(r->y);
    syno_array_free(r->dy);
    for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
        syno_array_free(r->w[t]);
        syno_array_free(r->g[t]);
    }
    free(r->sizes);
}

static bool call_backend(const syno_backend *be, run *r, syno_array *y, syno_array **g)
{
    syno_backend_call c = {r->op, &r->b, r->sizes, r->x, (const syno_array *const *)r->w, y, r->dy, NULL, NULL};
    syno_buf err = SYNO_BUF_INIT;
    bool ok = be->forward(&c, &err);
    if (ok && r->grads) {
        c.dx = g[0];
        c.dw = g + 1;
        ok = be->backward(&c, &err);
    }
    if (!ok) syno_cli_error("backend %s: %s", be->name, syno_buf_str(&err));
    syno_buf_fini(&err);
    return ok;
}

/* max |got - want| / max |want|: backends sum in float32, whose error
 * scales with the size of the terms, not of each result element (an
 * element near zero would otherwise show a large relative error). */
static double check_error(const syno_array *got, const syno_array *want)
{
    double m = 0;
    for (int64_t i = 0; i < want->numel; i++) m = fmax(m, fabs(want->data[i]));
    return syno_array_max_rel_error(got, want, m > 0 ? m : 1e-3);
}

/* Runs the reference evaluator too and records the errors; false when one
 * exceeds the backend's tolerance. */
static bool check_against_ref(run *r)
{
    const syno_backend *ref = syno_backend_find("ref");
    syno_array *y = syno_ref_array_new(r->op, r->sizes, SYNO_OP_OUT), *g[SYNO_MAX_TENSORS] = {NULL};
    if (r->grads)
        for (int t = 0; t < r->op->ntensors; t++) g[t] = syno_ref_array_new(r->op, r->sizes, t);
    bool ok = call_backend(ref, r, y, g);
    if (ok) {
        r->err[0] = check_error(r->y, y);
        ok = r->err[0] <= r->be->tolerance;
        for (int t = 0; r->grads && t < r->op->ntensors; t++) {
            r->err[1 + t] = check_error(r->g[t], g[t]);
            ok &= r->err[1 + t] <= r->be->tolerance; /* NaN fails */
        }
    }
    syno_array_free(y);
    for (int t = 0; t < SYNO_MAX_TENSORS; t++) syno_array_free(g[t]);
    return ok;
}

static void report_text(const run *r, const run_args *a, syno_buf *out)
{
    syno_buf_printf(out, "%s on %s: ", r->op->name, r->be->name);
    syno_op_print_binding(r->op, &r->b, out);
    syno_buf_putc(out, '\n');
    if (a->out) syno_buf_printf(out, "out    wrote %s\n", a->out);
    else summary_text("out", r->y, out);
    for (int t = 0; r->grads && t < r->op->ntensors; t++) {
        char label[80];
        snprintf(label, sizeof label, "d%s", r->op->tensors[t].name);
        if (a->out_grads) syno_buf_printf(out, "%-6s wrote %s/%s.npy\n", label, a->out_grads, r->op->tensors[t].name);
        else summary_text(label, r->g[t], out);
    }
    if (!a->check) return;
    syno_buf_printf(out, "check against ref (tolerance %g): out %.3g", r->be->tolerance, r->err[0]);
    for (int t = 0; r->grads && t < r->op->ntensors; t++)
        syno_buf_printf(out, ", d%s %.3g", r->op->tensors[t].name, r->err[1 + t]);
    syno_buf_putc(out, '\n');
}

static void report_json(const run *r, const run_args *a, syno_buf *out)
{
    syno_json j;
    syno_json_init(&j, out);
    syno_json_begin_object(&j);
    syno_json_key(&j, "operator");
    syno_json_string(&j, r->op->name);
    syno_json_key(&j, "backend");
    syno_json_string(&j, r->be->name);
    syno_json_key(&j, "seed");
    syno_json_int(&j, (int64_t)a->seed);
    syno_json_key(&j, "output");
    summary_json(&j, r->y, a->out);
    syno_json_key(&j, "gradients");
    if (r->grads) {
        syno_json_begin_object(&j);
        syno_buf path = SYNO_BUF_INIT;
        for (int t = 0; t < r->op->ntensors; t++) {
            syno_buf_clear(&path);
            if (a->out_grads) syno_buf_printf(&path, "%s/%s.npy", a->out_grads, r->op->tensors[t].name);
            syno_json_key(&j, r->op->tensors[t].name);
            summary_json(&j, r->g[t], a->out_grads ? syno_buf_str(&path) : NULL);
        }
        syno_buf_fini(&path);
        syno_json_end_object(&j);
    } else {
        syno_json_null(&j);
    }
    syno_json_key(&j, "check");
    if (a->check) {
        syno_json_begin_object(&j);
        syno_json_key(&j, "tolerance");
        syno_json_double(&j, r->be->tolerance);
        syno_json_key(&j, "output");
        json_num(&j, r->err[0]);
        for (int t = 0; r->grads && t < r->op->ntensors; t++) {
            char key[80];
            snprintf(key, sizeof key, "d%s", r->op->tensors[t].name);
            syno_json_key(&j, key);
            json_num(&j, r->err[1 + t]);
        }
        syno_json_end_object(&j);
    } else {
        syno_json_null(&j);
    }
    syno_json_end_object(&j);
    syno_buf_putc(out, '\n');
}

static int run_op(run *r, const run_args *a)
{
    syno_op *op = r->op;
    if (!check_sizes(op, r->sizes)) return SYNO_EXIT_USER;
    const char *wfiles[SYNO_MAX_TENSORS];
    if (!match_weights(op, a, wfiles)) return SYNO_EXIT_USER;
    if (!(r->x = load_tensor(op, r->sizes, 0, a->in, a->seed, 0))) return SYNO_EXIT_USER;
    for (int t = 1; t < op->ntensors; t++)
        if (!(r->w[t - 1] = load_tensor(op, r->sizes, t, wfiles[t - 1], a->seed, t))) return SYNO_EXIT_USER;
    r->grads = a->grad != NULL;
    if (r->grads) {
        const char *f = strcmp(a->grad, "random") == 0 ? NULL : a->grad;
        if (!(r->dy = load_tensor(op, r->sizes, SYNO_OP_OUT, f, a->seed, op->ntensors))) return SYNO_EXIT_USER;
        for (int t = 0; t < op->ntensors; t++) r->g[t] = syno_ref_array_new(op, r->sizes, t);
    }
    if (a->save_inputs) { /* first: kept even when the backend fails */
        syno_array *ins[SYNO_MAX_TENSORS];
        ins[0] = r->x;
        for (int t = 1; t < op->ntensors; t++) ins[t] = r->w[t - 1];
        if (!write_set(op, "--save-inputs", a->save_inputs, ins, r->dy)) return SYNO_EXIT_USER;
    }
    r->y = syno_ref_array_new(op, r->sizes, SYNO_OP_OUT);
    double terms = syno_ref_terms(op, r->sizes);
    if (terms > RUN_SLOW_TERMS && (a->check || strcmp(r->be->name, "ref") == 0))
        fprintf(stderr, "syno: note: the reference evaluator visits %.3g terms%s; this may take a long time\n", terms,
                r->grads ? " per pass" : "");
    if (!call_backend(r->be, r, r->y, r->g)) return SYNO_EXIT_USER;
    bool checked = !a->check || check_against_ref(r);
    if (a->out && !write_npy(a->out, r->y)) return SYNO_EXIT_USER;
    if (r->grads && a->out_grads && !write_set(op, "--out-grads", a->out_grads, r->g, NULL)) return SYNO_EXIT_USER;
    syno_buf out = SYNO_BUF_INIT;
    if (a->json) report_json(r, a, &out);
    else report_text(r, a, &out);
    fputs(syno_buf_str(&out), stdout);
    syno_buf_fini(&out);
    if (!checked) {
        syno_cli_error("--check: backend %s differs from the reference evaluator by more than its tolerance %g",
                       r->be->name, r->be->tolerance);
        return SYNO_EXIT_USER;
    }
    return SYNO_EXIT_OK;
}

/* Entry point of `syno run`. */
int syno_cmd_run(int argc, char **argv)
{
    run_args a;
    int st = parse_args(argc, argv, &a);
    if (st != SYNO_EXIT_OK) {
        free_args(&a);
        return st < 0 ? SYNO_EXIT_OK : st;
    }
    run r;
    memset(&r, 0, sizeof r);
    r.be = syno_backend_find(a.backend);
    r.ctx = syno_ctx_new();
    r.op = syno_cli_find_op(r.ctx, a.ref);
    st = r.op ? syno_cli_binding(r.op, a.bind, &r.b) : SYNO_EXIT_USER;
    if (st == SYNO_EXIT_OK) {
        r.sizes = syno_xmalloc((size_t)r.op->ndims * sizeof *r.sizes);
        if (!syno_explain_bind(r.ctx, r.op, &r.b, r.sizes)) st = SYNO_EXIT_USER;
    }
    /* Diagnostics about the file and the binding come first. */
    syno_diags_print(&r.ctx->diags, stderr);
    syno_diags_clear(&r.ctx->diags);
    if (st == SYNO_EXIT_OK) st = run_op(&r, &a);
    run_free(&r);
    free_args(&a);
    return syno_cli_finish(r.ctx, st);
}
