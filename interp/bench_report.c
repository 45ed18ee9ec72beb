/* bench_report.c - the report of `syno bench`, as text or JSON, for every
 * backend (bench.h).
 *
 * GFLOP/s are always the FLOPs of direct evaluation over the median time,
 * and "plan GFLOP/s" the plan's own FLOPs over it.  The CPU report adds the
 * processor time and the baseline; the GPU report the device, the kernels
 * and their compile and load times. */
#include "base/json.h"
#include "base/num.h"
#include "interp/bench.h"

#include <stdlib.h>
#include <string.h>

static bool is_cuda(const syno_bench_report *r)
{
    return strcmp(r->backend, "cuda") == 0;
}

static const char *pass_name(const syno_bench_report *r, bool text)
{
    if (!r->grad) return "forward";
    return text ? "forward + backward (every gradient)" : "forward+backward";
}

/* Starts R with what every backend reports (see bench.h). */
void syno_bench_report_init(syno_bench_report *r, const syno_op *op, const syno_binding *b, const char *backend,
                            const syno_bench_opts *o)
{
    memset(r, 0, sizeof *r);
    syno_buf bt = SYNO_BUF_INIT;
    syno_op_print_binding(op, b, &bt);
    r->op = op->name;
    r->binding = syno_buf_take(&bt);
    r->backend = backend;
    r->grad = o->grad;
    r->repeat = o->repeat;
    r->warmup = o->warmup;
}

/* Fills R from the GPU measurement (see bench.h). */
void syno_bench_report_cuda(const syno_op *op, const syno_binding *b, const syno_bench_opts *o,
                            const syno_cuda_bench_result *c, syno_bench_report *r)
{
    syno_bench_report_init(r, op, b, "cuda", o);
    r->median_s = c->median_ms * 1e-3;
    r->min_s = c->min_ms * 1e-3;
    r->flops = c->direct_flops;
    r->plan_flops = c->plan_flops;
    r->parts = syno_xcalloc((size_t)c->nsrcs, sizeof *r->parts);
    for (int i = 0; i < c->nsrcs; i++) {
        r->parts[i].label = syno_xstrdup(c->srcs[i].what);
        r->parts[i].text = syno_xstrdup(c->srcs[i].tiling);
    }
    r->nparts = c->nsrcs;
    r->device = syno_xstrdup(c->device);
    r->arch = c->arch;
    r->kernels = c->nkernels;
    r->sources = c->nsrcs;
    r->cold_ms = c->cold_ms;
    r->warm_ms = c->warm_ms;
    r->prepare_ms = c->prepare_ms;
}

static void json_double_or_null(syno_json *j, const char *key, bool have, double v)
{
    syno_json_key(j, key);
    if (have) syno_json_double(j, v);
    else syno_json_null(j);
}

static void json_baseline(const syno_bench_report *r, syno_json *j)
{
    bool have = r->baseline != NULL;
    syno_json_key(j, "baseline");
    syno_json_begin_object(j);
    syno_json_key(j, "name");
    if (have) syno_json_string(j, r->baseline);
    else syno_json_null(j);
    json_double_or_null(j, "median_s", have, r->base_median_s);
    json_double_or_null(j, "min_s", have, r->base_min_s);
    json_double_or_null(j, "gflops", have, r->flops / r->base_median_s / 1e9);
    syno_json_key(j, "repeat");
    syno_json_int(j, have ? r->base_runs : 0);
    if (!have) {
        syno_json_key(j, "reason");
        syno_json_string(j, r->baseline_wanted ? r->baseline_why : "--no-baseline");
    }
    syno_json_end_object(j);
    json_double_or_null(j, "speedup", have, r->base_median_s / r->median_s);
    json_double_or_null(j, "max_rel_diff", have, r->max_rel_diff);
}

/* Appends R as one JSON object (see bench.h). */
void syno_bench_report_json(const syno_bench_report *r, syno_buf *out)
{
    bool cuda = is_cuda(r);
    syno_json j;
    syno_json_init(&j, out);
    syno_json_begin_object(&j);
    syno_json_key(&j, "operator");
    syno_json_string(&j, r->op);
    syno_json_key(&j, "binding");
    syno_json_string(&j, r->binding);
    syno_json_key(&j, "backend");
    syno_json_string(&j, r->backend);
    if (cuda) {
        syno_json_key(&j, "device");
        syno_json_string(&j, r->device);
    }
    syno_json_key(&j, "pass");
    syno_json_string(&j, pass_name(r, false));
    if (!cuda) {
        syno_json_key(&j, "threads");
        syno_json_int(&j, r->threads);
    }
    syno_json_key(&j, "repeat");
    syno_json_int(&j, r->repeat);
    syno_json_key(&j, "warmup");
    syno_json_int(&j, r->warmup);
    syno_json_key(&j, "median_s");
    syno_json_double(&j, r->median_s);
    syno_json_key(&j, "min_s");
    syno_json_double(&j, r->min_s);
    if (!cuda) {
        syno_json_key(&j, "cpu_s");
        syno_json_double(&j, r->cpu_s);
    }
    syno_json_key(&j, "gflops");
    syno_json_double(&j, r->flops / r->median_s / 1e9);
    syno_json_key(&j, "plan_gflops");
    syno_json_double(&j, r->plan_flops / r->median_s / 1e9);
    syno_json_key(&j, "flops");
    syno_json_double(&j, r->flops);
    syno_json_key(&j, "plan_flops");
    syno_json_double(&j, r->plan_flops);
    if (cuda) {
        syno_json_key(&j, "kernels");
        syno_json_int(&j, r->kernels);
        syno_json_key(&j, "sources");
        syno_json_int(&j, r->sources);
        syno_json_key(&j, "cold_compile_ms_per_source");
        syno_json_double(&j, r->cold_ms);
        syno_json_key(&j, "warm_load_ms_per_source");
        syno_json_double(&j, r->warm_ms);
        syno_json_key(&j, "prepare_ms");
        syno_json_double(&j, r->prepare_ms);
        syno_json_key(&j, "tilings");
        syno_json_begin_array(&j);
        for (int i = 0; i < r->nparts; i++) syno_json_string(&j, r->parts[i].text);
        syno_json_end_array(&j);
    } else {
        json_baseline(r, &j);
    }
    syno_json_end_object(&j);
    if (cuda) syno_buf_putc(out, '\n'); /* the GPU report has always ended with a blank line */
}

/* The CPU report's lines after the header: ours, the processor time, the
 * baseline and the stages. */
static void text_cpu(const syno_bench_report *r, syno_buf *out)
{
    syno_buf_printf(out, "  %-22s median %9.3f ms  (min %.3f; %d runs after %d warm-up)  %8.2f GFLOP/s  (plan: %.2f)\n",
                    "ours: staged plan", 1e3 * r->median_s, 1e3 * r->min_s, r->repeat, r->warmup,
                    r->flops / r->median_s / 1e9, r->plan_flops / r->median_s / 1e9);
    syno_buf_printf(out, "  %-22s %.3f ms of CPU per call over all threads (%.2f GFLOP per CPU-second)\n", "",
                    1e3 * r->cpu_s, r->flops / r->cpu_s / 1e9);
    if (r->baseline) {
        char label[64];
        snprintf(label, sizeof label, "baseline: %s", r->baseline);
        syno_buf_printf(out, "  %-22s median %9.3f ms  (min %.3f; %d runs)  %8.2f GFLOP/s\n", label,
                        1e3 * r->base_median_s, 1e3 * r->base_min_s, r->base_runs, r->flops / r->base_median_s / 1e9);
        syno_buf_printf(out, "  speed-up %.2fx over the baseline; results agree to %.2g (max relative difference)\n",
                        r->base_median_s / r->median_s, r->max_rel_diff);
    } else {
        syno_buf_printf(out, "  no baseline: %s\n", r->baseline_wanted ? r->baseline_why : "--no-baseline");
    }
    for (int i = 0; i < r->nparts; i++) syno_buf_printf(out, "  %s: %s\n", r->parts[i].label, r->parts[i].text);
}

/* The GPU report's lines after the header: the time, the kernels and what
 * they cost to compile and load. */
static void text_cuda(const syno_bench_report *r, syno_buf *out)
{
    syno_buf_printf(out, "  median %.4f ms  (min %.4f; %d runs after %d warm-up)  %.1f GFLOP/s  (plan: %.1f)\n",
                    1e3 * r->median_s, 1e3 * r->min_s, r->repeat, r->warmup, r->flops / r->median_s / 1e9,
                    r->plan_flops / r->median_s / 1e9);
    for (int i = 0; i < r->nparts; i++) syno_buf_printf(out, "  %s: %s\n", r->parts[i].label, r->parts[i].text);
    syno_buf_printf(out, "  %d kernels in %d sources: cold NVRTC compile %.0f ms per source, "
                         "warm load from the disk cache %.2f ms per source\n",
                    r->kernels, r->sources, r->cold_ms, r->warm_ms);
}

/* Appends R as text (see bench.h). */
void syno_bench_report_text(const syno_bench_report *r, syno_buf *out)
{
    bool cuda = is_cuda(r);
    syno_buf_printf(out, "bench %s, %s, %s, ", r->op, pass_name(r, true), r->binding);
    if (cuda) {
        syno_buf_printf(out, "cuda backend on %s (sm_%d)\n", r->device, r->arch);
        text_cuda(r, out);
    } else {
        syno_buf_printf(out, "%d thread%s, cpu backend\n", r->threads, r->threads == 1 ? "" : "s");
        text_cpu(r, out);
    }
    syno_buf_puts(out, "  FLOPs per call: direct ");
    syno_num_human(r->flops, "FLOP", out);
    syno_buf_puts(out, ", plan ");
    syno_num_human(r->plan_flops, "FLOP", out);
    if (!cuda) syno_buf_printf(out, " (plan/direct %.3g)", r->plan_flops / r->flops);
    syno_buf_puts(out, "; GFLOP/s = direct FLOPs / median time\n");
}

/* Releases what R owns (see bench.h). */
void syno_bench_report_fini(syno_bench_report *r)
{
    for (int i = 0; i < r->nparts; i++) free(r->parts[i].label), free(r->parts[i].text);
    free(r->parts);
    free(r->binding);
    free(r->baseline);
    free(r->baseline_why);
    free(r->device);
    memset(r, 0, sizeof *r);
}
