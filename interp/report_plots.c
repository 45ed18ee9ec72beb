/* report_plots.c - the plots of `syno report` (see report.h):
 *   the objective (accuracy when measured, else the reward) against the
 *     FLOPs ratio, with the Pareto front (fewer FLOPs, higher objective)
 *     and the baseline marked;
 *   the same against the latency ratio, when latency was measured;
 *   the best reward so far against the iteration;
 *   the confirmed candidates and the baseline: every confirmation run's
 *     accuracy, their spread and their mean.
 * Every point links to its candidate's section (or table row) and has a
 * tooltip; the captions say what the marks mean. */
#include "interp/report.h"

#include "base/html.h"
#include "interp/svg_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where a point of ROW links to. */
static void link_of(const syno_report_row *row, char out[32])
{
    char hex[17];
    syno_hash_hex(row->r.hash, hex);
    snprintf(out, 32, "%s-%s", row->section ? "op" : "row", hex);
}

/* The value of ROW on the y axis of the objective plots. */
static double objective(const syno_report *rep, const syno_report_row *row)
{
    return rep->any_accuracy ? 100 * row->r.v[SYNO_METRIC_ACCURACY] : row->r.reward;
}

/* The value of metric K of ROW on an x axis: the ratio to the baseline's,
 * or the value itself. */
static double metric_x(const syno_report *rep, const syno_record *r, int k)
{
    return isfinite(rep->ref[k]) && rep->ref[k] > 0 ? r->v[k] / rep->ref[k] : r->v[k];
}

typedef struct xy_index {
    double x, y;
    int row;
} xy_index;

static int by_x_then_y(const void *a, const void *b)
{
    const xy_index *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    if (p->y != q->y) return p->y > q->y ? -1 : 1;
    return p->row - q->row;
}

static void figure(syno_buf *out, const char *id, const syno_plot *p, const char *caption)
{
    syno_buf_printf(out, "<figure id=\"%s\">\n", id);
    syno_plot_svg(p, out);
    syno_buf_puts(out, "<figcaption><strong>");
    syno_html_text(out, p->title);
    syno_buf_puts(out, ".</strong> ");
    syno_html_text(out, caption);
    syno_buf_puts(out, "</figcaption>\n</figure>\n");
}

/* The objective against metric K (FLOPs or latency). */
static void objective_plot(const syno_report *rep, int k, const char *id, syno_buf *out)
{
    bool ratio = isfinite(rep->ref[k]) && rep->ref[k] > 0;
    const char *base = rep->baseline ? rep->baseline : "the baseline";
    const char *what = k == SYNO_METRIC_FLOPS ? "FLOPs" : "latency";
    syno_buf xl = SYNO_BUF_INIT, title = SYNO_BUF_INIT, cap = SYNO_BUF_INIT;
    if (ratio) syno_buf_printf(&xl, "%s (× %s's)", what, base);
    else syno_buf_puts(&xl, k == SYNO_METRIC_FLOPS ? "FLOPs (multiply-adds counted as 2)" : "latency (s)");
    const char *yl = rep->any_accuracy ? "accuracy (%)" : "reward (higher is better)";
    syno_buf_printf(&title, "%s against %s", rep->any_accuracy ? "Accuracy" : "Reward", what);
    syno_plot p;
    syno_plot_init(&p, id, syno_buf_str(&title), syno_buf_str(&xl), yl);
    p.line_label = "the Pareto front";
    xy_index *ix = syno_xcalloc((size_t)rep->nrows + 1, sizeof *ix);
    int n = 0;
    for (int i = 0; i < rep->nrows; i++) {
        const syno_report_row *row = &rep->rows[i];
        double x = metric_x(rep, &row->r, k), y = objective(rep, row);
        if (!row->r.ok) {
            if (isfinite(x)) syno_plot_fail(&p, x);
            continue;
        }
        if (isfinite(x) && isfinite(y)) ix[n++] = (xy_index){x, y, i};
    }
    qsort(ix, (size_t)n, sizeof *ix, by_x_then_y);
    double best = -INFINITY;
    bool *front = syno_xcalloc((size_t)rep->nrows + 1, sizeof *front);
    for (int i = 0; i < n; i++) {
        if (!(ix[i].y > best)) continue;
        if (p.nline) syno_plot_line_to(&p, ix[i].x, best); /* across, then up */
        syno_plot_line_to(&p, ix[i].x, ix[i].y);
        best = ix[i].y;
        front[ix[i].row] = true;
    }
    for (int i = 0; i < n; i++) {
        const syno_report_row *row = &rep->rows[ix[i].row];
        syno_buf t = SYNO_BUF_INIT;
        char link[32];
        syno_report_row_summary(rep, row, &t);
        link_of(row, link);
        syno_plot_add(&p, ix[i].x, ix[i].y, front[ix[i].row] ? SYNO_PLOT_FRONT : SYNO_PLOT_POINT, syno_buf_str(&t),
                      link);
        syno_buf_fini(&t);
    }
    double ry = rep->ref[SYNO_METRIC_ACCURACY];
    if (ratio && rep->any_accuracy && isfinite(ry)) {
        syno_buf t = SYNO_BUF_INIT;
        syno_buf_printf(&t, "the baseline %s: accuracy %.2f%%", base, 100 * ry);
        syno_plot_ref(&p, 1, 100 * ry, syno_buf_str(&t));
        syno_buf_fini(&t);
    }
    syno_buf_printf(&cap, "%s of every successful candidate against its %s%s. The line is the Pareto front "
                          "(no other candidate has both %s and a higher %s); front points are drawn larger.",
                    rep->any_accuracy ? "Proxy accuracy" : "Reward", what, ratio ? " relative to the baseline's" : "",
                    k == SYNO_METRIC_FLOPS ? "fewer FLOPs" : "a lower latency",
                    rep->any_accuracy ? "accuracy" : "reward");
    if (p.have_ref) syno_buf_printf(&cap, " The diamond is the baseline %s.", base);
    if (p.nfail) syno_buf_printf(&cap, " Crosses under the axis: %d failed candidates.", p.nfail);
    figure(out, id, &p, syno_buf_str(&cap));
    free(front);
    free(ix);
    syno_plot_fini(&p);
    syno_buf_fini(&xl);
    syno_buf_fini(&title);
    syno_buf_fini(&cap);
}

static int by_iteration(const void *a, const void *b)
{
    const syno_report_row *const *p = a, *const *q = b;
    if ((*p)->r.iteration != (*q)->r.iteration) return (*p)->r.iteration < (*q)->r.iteration ? -1 : 1;
    return (*p)->rank - (*q)->rank;
}

/* The best reward so far against the iteration. */
static void history_plot(const syno_report *rep, syno_buf *out)
{
    syno_plot p;
    syno_plot_init(&p, "plot-history", "Best reward so far", "iteration (candidates evaluated)",
                   "reward (higher is better)");
    p.line_label = "the best reward so far";
    const syno_report_row **order = syno_xcalloc((size_t)rep->nrows + 1, sizeof *order);
    for (int i = 0; i < rep->nrows; i++) order[i] = &rep->rows[i];
    qsort(order, (size_t)rep->nrows, sizeof *order, by_iteration);
    double best = -INFINITY;
    for (int i = 0; i < rep->nrows; i++) {
        const syno_report_row *row = order[i];
        double x = (double)row->r.iteration, y = row->r.reward;
        if (!row->r.ok) {
            syno_plot_fail(&p, x);
            continue;
        }
        if (!isfinite(y)) continue;
        if (y > best) {
            if (p.nline) syno_plot_line_to(&p, x, best);
            syno_plot_line_to(&p, x, y);
            best = y;
        }
        syno_buf t = SYNO_BUF_INIT;
        char link[32];
        syno_buf_printf(&t, "iteration %lld: ", (long long)row->r.iteration);
        syno_report_row_summary(rep, row, &t);
        link_of(row, link);
        syno_plot_add(&p, x, y, SYNO_PLOT_POINT, syno_buf_str(&t), link);
        syno_buf_fini(&t);
    }
    if (p.nline && order[rep->nrows - 1]->r.iteration > p.lx[p.nline - 1]) /* the last level, to the end */
        syno_plot_line_to(&p, (double)order[rep->nrows - 1]->r.iteration, best);
    syno_buf cap = SYNO_BUF_INIT;
    syno_buf_puts(&cap, "The reward of every successful candidate in the order the search evaluated them; the line "
                        "is the best reward found so far.");
    if (p.nfail) syno_buf_printf(&cap, " Crosses under the axis: %d failed candidates.", p.nfail);
    figure(out, "plot-history", &p, syno_buf_str(&cap));
    syno_buf_fini(&cap);
    free(order);
    syno_plot_fini(&p);
}

static int by_confirmed(const void *a, const void *b)
{
    const syno_report_row *const *p = a, *const *q = b;
    double x = (*p)->r.confirmed, y = (*q)->r.confirmed;
    if (isfinite(x) != isfinite(y)) return isfinite(x) ? -1 : 1;
    if (isfinite(x) && x != y) return x > y ? -1 : 1;
    return (*p)->rank - (*q)->rank;
}

/* One column of the confirmation plot: the runs SEED/ACC (N of them) at X. */
static void runs_at(syno_plot *p, double x, const char *who, const char *link, int n, const uint64_t *seed,
                    const double *acc)
{
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int good = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(acc[i])) continue;
        syno_buf t = SYNO_BUF_INIT;
        syno_buf_printf(&t, "%s, seed %llu: %.2f%%", who, (unsigned long long)seed[i], 100 * acc[i]);
        syno_plot_add(p, x, 100 * acc[i], SYNO_PLOT_POINT, syno_buf_str(&t), link);
        syno_buf_fini(&t);
        lo = fmin(lo, 100 * acc[i]);
        hi = fmax(hi, 100 * acc[i]);
        sum += 100 * acc[i];
        good++;
    }
    if (!good) return;
    syno_buf t = SYNO_BUF_INIT;
    syno_buf_printf(&t, "%s: mean %.2f%% of %d run%s%s", who, sum / good, good, good == 1 ? "" : "s",
                    good < n ? " (others failed)" : "");
    syno_plot_point *m = syno_plot_add(p, x, sum / good, SYNO_PLOT_MEAN, syno_buf_str(&t), link);
    if (m && good > 1) m->lo = lo, m->hi = hi;
    syno_buf_fini(&t);
}

/* The confirmed candidates with the spread of their runs. */
static void confirm_plot(const syno_report *rep, syno_buf *out)
{
    const syno_report_row **rows = syno_xcalloc((size_t)rep->nrows + 1, sizeof *rows);
    int n = 0;
    for (int i = 0; i < rep->nrows; i++)
        if (rep->rows[i].nseeds > 0) rows[n++] = &rep->rows[i];
    qsort(rows, (size_t)n, sizeof *rows, by_confirmed);
    const char **names = syno_xcalloc((size_t)n + 2, sizeof *names);
    char (*hex)[17] = syno_xcalloc((size_t)n + 1, sizeof *hex);
    int nc = 0;
    const char *base = rep->baseline ? rep->baseline : "baseline";
    if (rep->nbase) names[nc++] = base;
    for (int i = 0; i < n; i++) {
        syno_hash_hex(rows[i]->r.hash, hex[i]);
        hex[i][8] = 0;
        names[nc++] = hex[i];
    }
    syno_plot p;
    syno_plot_init(&p, "plot-confirmed", "Confirmed accuracy", "candidate (hash) and the baseline",
                   "accuracy on the whole test set (%)");
    syno_plot_categories(&p, names, nc);
    int x = 0;
    if (rep->nbase) runs_at(&p, x++, base, NULL, rep->nbase, rep->base_seed, rep->base_acc);
    for (int i = 0; i < n; i++) {
        char link[32];
        link_of(rows[i], link);
        runs_at(&p, x++, hex[i], link, rows[i]->nseeds, rows[i]->seed, rows[i]->seed_acc);
    }
    figure(out, "plot-confirmed", &p,
           "The best candidates and the baseline trained again with other seeds and tested on the whole test set: "
           "a point per run, a bar from the lowest to the highest, a tick at the mean (the confirmed accuracy). "
           "Best confirmed first.");
    syno_plot_fini(&p);
    free(hex);
    free(names);
    free(rows);
}

/* The plots (see report.h). */
void syno_report_plots(const syno_report *rep, syno_buf *out)
{
    syno_buf_puts(out, "<section id=\"plots\">\n<h2>Plots</h2>\n");
    objective_plot(rep, SYNO_METRIC_FLOPS, "plot-flops", out);
    if (rep->any_latency) objective_plot(rep, SYNO_METRIC_LATENCY, "plot-latency", out);
    history_plot(rep, out);
    if (rep->nconfirmed || rep->nbase) confirm_plot(rep, out);
    syno_buf_puts(out, "</section>\n");
}
