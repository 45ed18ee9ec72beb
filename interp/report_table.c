/* report_table.c - the table of every candidate in `syno report` (see
 * report.h), and links to result files.
 *
 * Every cell that can be sorted carries its value in data-v; the page's
 * script (report_page.c) sorts by it when a column heading is clicked.
 * Without the script the table is in rank order. */
#include "interp/report.h"

#include "base/html.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Appends the path of absolute path TO relative to absolute directory
 * FROM. */
static void relative(const char *from, const char *to, syno_buf *out)
{
    size_t common = 0; /* length of the shared leading directories */
    for (size_t i = 0;; i++) {
        bool end_f = from[i] == 0, end_t = to[i] == 0 || to[i] == '/';
        if (end_f && end_t) {
            common = i;
            break;
        }
        if (from[i] != to[i]) break;
        if (from[i] == '/') common = i;
    }
    if (strcmp(from, "/") == 0) {
        syno_buf_puts(out, to + 1);
        return;
    }
    for (const char *p = from + common; *p; p++)
        if (*p == '/') syno_buf_puts(out, "../");
    syno_buf_puts(out, to[common] == '/' ? to + common + 1 : to + common);
}

/* A link to result file FILE (see report.h). */
void syno_report_file_link(const syno_report_opts *o, const char *file, bool short_name, syno_buf *out)
{
    char abs[PATH_MAX], dir[PATH_MAX];
    if (!file || !realpath(file, abs)) {
        syno_html_text(out, file ? file : "-");
        if (file) syno_buf_puts(out, " <span class=\"note\">(missing)</span>");
        return;
    }
    syno_buf href = SYNO_BUF_INIT;
    if (realpath(o->out_dir ? o->out_dir : ".", dir)) relative(dir, abs, &href);
    else syno_buf_puts(&href, abs);
    const char *base = strrchr(file, '/');
    syno_buf_puts(out, "<a href=\"");
    syno_html_href(out, syno_buf_str(&href));
    syno_buf_puts(out, "\" title=\"");
    syno_html_text(out, file);
    syno_buf_puts(out, "\">");
    syno_html_text(out, short_name && base && base[1] ? base + 1 : file);
    syno_buf_puts(out, "</a>");
    syno_buf_fini(&href);
}

/* A numeric cell: V times SCALE with DEC decimals (and a sign with SIGN),
 * sorted by V; "–" when V is not finite. */
static void cell(syno_buf *out, double v, int dec, double scale, bool sign)
{
    if (!isfinite(v)) {
        syno_buf_puts(out, "<td class=\"num\" data-v=\"\">–</td>");
        return;
    }
    syno_buf_printf(out, "<td class=\"num\" data-v=\"%.17g\">", v);
    syno_buf_printf(out, sign ? "%+.*f" : "%.*f", dec, v * scale);
    syno_buf_puts(out, "</td>");
}

static double ratio(const syno_report *rep, const syno_record *r, int k)
{
    return isfinite(rep->ref[k]) && rep->ref[k] > 0 ? r->v[k] / rep->ref[k] : NAN;
}

static const struct {
    const char *key, *head, *title;
} columns[] = {
    {"rank", "rank", "rank by reward (failed candidates last)"},
    {"hash", "hash", "canonical hash"},
    {"reward", "reward", "the search's objective (higher is better)"},
    {"flops", "FLOPs ×", "FLOPs relative to the baseline's"},
    {"params", "params ×", "parameters relative to the baseline's"},
    {"latency", "latency ×", "latency relative to the baseline's"},
    {"accuracy", "accuracy %", "proxy accuracy"},
    {"delta", "Δ points", "accuracy minus the baseline's, in percentage points"},
    {"confirmed", "confirmed %", "mean accuracy of the confirmation runs (other seeds, the whole test set)"},
    {"status", "status", "ok, or failed with the reason"},
    {"file", "file", "the .syno file written for it"},
};

/* The table (see report.h). */
void syno_report_table(const syno_report *rep, const syno_report_opts *o, syno_buf *out)
{
    syno_buf_puts(out, "<section id=\"candidates\">\n<h2>Candidates</h2>\n");
    if (!rep->nrows) {
        syno_buf_puts(out, "<p class=\"note\">No candidate has been evaluated yet.</p>\n</section>\n");
        return;
    }
    syno_buf_printf(out, "<p class=\"noprint\">%d candidates, best reward first. With scripts on, click a column's "
                         "heading to sort by it (again to reverse).</p>\n",
                    rep->nrows);
    syno_buf_puts(out, "<div class=\"wide\"><table id=\"table\" class=\"sortable\">\n<caption>Every evaluated "
                       "candidate");
    if (rep->baseline) {
        syno_buf_puts(out, "; ratios and points relative to the baseline ");
        syno_html_text(out, rep->baseline);
    }
    syno_buf_puts(out, "</caption>\n<thead><tr>");
    for (size_t c = 0; c < SYNO_ARRAY_LEN(columns); c++)
        syno_buf_printf(out, "<th scope=\"col\" data-k=\"%s\" title=\"%s\">%s</th>", columns[c].key, columns[c].title,
                        columns[c].head);
    syno_buf_puts(out, "</tr></thead>\n<tbody>\n");
    double base_acc = rep->ref[SYNO_METRIC_ACCURACY];
    for (int i = 0; i < rep->nrows; i++) {
        const syno_report_row *row = &rep->rows[i];
        const syno_record *r = &row->r;
        char hex[17];
        syno_hash_hex(r->hash, hex);
        syno_buf_printf(out, "<tr id=\"row-%s\"%s><td class=\"num\" data-v=\"%d\">%d</td>", hex,
                        r->ok ? "" : " class=\"failed\"", row->rank, row->rank);
        syno_buf_printf(out, "<td class=\"hash\" data-v=\"%s\">", hex);
        if (row->section) syno_buf_printf(out, "<a href=\"#op-%s\">%s</a>", hex, hex);
        else syno_buf_puts(out, hex);
        syno_buf_puts(out, "</td>");
        cell(out, r->ok ? r->reward : NAN, 4, 1, false);
        cell(out, ratio(rep, r, SYNO_METRIC_FLOPS), 3, 1, false);
        cell(out, ratio(rep, r, SYNO_METRIC_PARAMS), 3, 1, false);
        cell(out, ratio(rep, r, SYNO_METRIC_LATENCY), 3, 1, false);
        double a = r->v[SYNO_METRIC_ACCURACY];
        cell(out, a, 2, 100, false);
        cell(out, a - base_acc, 1, 100, true);
        if (row->r.nconfirmed && !isfinite(r->confirmed)) {
            syno_buf_puts(out, "<td class=\"num\" data-v=\"\">failed</td>");
        } else {
            cell(out, r->confirmed, 2, 100, false);
        }
        syno_buf_printf(out, "<td data-v=\"%s\">", r->ok ? "ok" : "failed");
        if (r->ok) {
            syno_buf_puts(out, "ok");
        } else {
            syno_buf_puts(out, "failed: ");
            syno_html_text(out, r->reason ? r->reason : "?");
        }
        syno_buf_puts(out, "</td><td class=\"file\">");
        if (r->file) syno_report_file_link(o, r->file, true, out);
        syno_buf_puts(out, "</td></tr>\n");
    }
    syno_buf_puts(out, "</tbody>\n</table></div>\n</section>\n");
}
