/* report_page.c - the page of `syno report` (see report.h): the head with
 * its style (light and dark schemes, print), the header that sums the
 * search up (spec, algorithm, seed, baseline, candidates, state, times,
 * machine), then the plots, the table and the operators, and the few
 * lines of script that sort the table (the page reads the same without
 * them).  The page is well-formed XML as well as HTML: the style and the
 * script sit in commented CDATA sections. */
#include "interp/cli.h"
#include "interp/report.h"

#include "base/html.h"
#include "base/num.h"

#include <math.h>
#include <string.h>
#include <time.h>

static const char style[] =
    ":root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1b1b; --muted: #5d5d5d; --grid: #e2e2e2;\n"
    "  --axis: #444444; --pt: #1f6fb4; --front: #c62828; --ref: #1e8e3e; --line: #c62828; --mean: #111111;\n"
    "  --bar: #8a8a8a; --fail: #b00020; --link: #0b57d0; --row: #f3f4f6; }\n"
    "@media (prefers-color-scheme: dark) { :root { --bg: #16181c; --fg: #e6e6e6; --muted: #a9a9a9;\n"
    "  --grid: #34373d; --axis: #bbbbbb; --pt: #6cb4ee; --front: #ff7b72; --ref: #7ee787; --line: #ff7b72;\n"
    "  --mean: #ffffff; --bar: #9a9a9a; --fail: #ff8080; --link: #8ab4f8; --row: #20232a; } }\n"
    "body { background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, sans-serif; max-width: 72rem;\n"
    "  margin: 0 auto; padding: 0 1rem 2rem; }\n"
    "a { color: var(--link); }\n"
    "h1 { margin-bottom: .2rem; } h3 .sub { font-weight: normal; color: var(--muted); font-size: .85em; }\n"
    "dl.summary { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }\n"
    "dl.summary dt { font-weight: 600; } dl.summary dd { margin: 0; }\n"
    ".note { color: var(--muted); font-style: italic; }\n"
    "figure { margin: 1rem 0 2rem; } figcaption { color: var(--muted); max-width: 46rem; }\n"
    "svg.plot { width: 100%; max-width: 46rem; height: auto; display: block; }\n"
    "svg.plot text { fill: var(--fg); font: 12px system-ui, sans-serif; } svg.plot text.label { font-size: 13px; }\n"
    ".grid line { stroke: var(--grid); } .axis rect { stroke: var(--axis); }\n"
    ".pt { fill: var(--pt); fill-opacity: .85; } .pt.front { fill: var(--front); }\n"
    ".line { stroke: var(--line); stroke-width: 2; } .ref { fill: var(--ref); stroke: var(--fg); }\n"
    ".mean { stroke: var(--mean); stroke-width: 3; } .bar { stroke: var(--bar); stroke-width: 2; }\n"
    ".fail { stroke: var(--fail); stroke-width: 2; fill: none; }\n"
    ".wide { overflow-x: auto; }\n"
    "table { border-collapse: collapse; font-size: 14px; } caption { text-align: left; color: var(--muted); }\n"
    "th, td { padding: .2rem .5rem; border-bottom: 1px solid var(--grid); text-align: left; vertical-align: top; }\n"
    "td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }\n"
    "td.hash { font-family: ui-monospace, monospace; } tbody tr:nth-child(even) { background: var(--row); }\n"
    "tr.failed { color: var(--muted); }\n"
    "th button { font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer;\n"
    "  text-decoration: underline dotted; }\n"
    "th[aria-sort=ascending] button::after { content: \" ▲\"; } th[aria-sort=descending] button::after { content: \" ▼\"; }\n"
    "pre { overflow-x: auto; background: var(--row); padding: .5rem; }\n"
    ".graph svg { max-width: 100%; height: auto; } .graph svg text { fill: var(--fg); }\n"
    ".graph svg [stroke=\"black\"] { stroke: var(--fg); } .graph svg [fill=\"black\"] { fill: var(--fg); }\n"
    ".graph svg [fill=\"white\"] { fill: var(--bg); }\n"
    "@media print { .noprint { display: none; } body { max-width: none; } a { color: inherit; text-decoration: none; }\n"
    "  section.op, figure { break-inside: avoid; } pre { white-space: pre-wrap; } }\n";

static const char script[] =
    "(function () {\n"
    "  var t = document.getElementById('table');\n"
    "  document.documentElement.className += ' js';\n"
    "  if (!t) return;\n"
    "  var heads = t.tHead.rows[0].cells, body = t.tBodies[0], each = Array.prototype.forEach;\n"
    "  function key(row, c) {\n"
    "    var v = row.cells[c].getAttribute('data-v'), n = Number(v);\n"
    "    return v === null || v === '' ? null : isNaN(n) ? v : n;\n"
    "  }\n"
    "  function sort(c, desc) {\n"
    "    var rows = Array.prototype.slice.call(body.rows);\n"
    "    rows.sort(function (a, b) {\n"
    "      var x = key(a, c), y = key(b, c), r;\n"
    "      if (x === null || y === null) return (x === null) - (y === null); /* missing values last */\n"
    "      r = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));\n"
    "      return desc ? -r : r;\n"
    "    });\n"
    "    rows.forEach(function (r) { body.appendChild(r); });\n"
    "    each.call(heads, function (h, i) {\n"
    "      if (i === c) h.setAttribute('aria-sort', desc ? 'descending' : 'ascending');\n"
    "      else h.removeAttribute('aria-sort');\n"
    "    });\n"
    "  }\n"
    "  each.call(heads, function (h, i) {\n"
    "    var b = document.createElement('button');\n"
    "    b.type = 'button';\n"
    "    while (h.firstChild) b.appendChild(h.firstChild);\n"
    "    h.appendChild(b);\n"
    "    b.addEventListener('click', function () { sort(i, h.getAttribute('aria-sort') === 'ascending'); });\n"
    "  });\n"
    "  var m = /^#sort=(\\w+?)(-desc)?$/.exec(location.hash);\n"
    "  if (m) each.call(heads, function (h, i) { if (h.getAttribute('data-k') === m[1]) sort(i, !!m[2]); });\n"
    "})();\n";

/* A duration in words: "12.3 s", "8 min 31 s", "2 h 05 min". */
static void duration(double s, syno_buf *out)
{
    if (s < 60) syno_buf_printf(out, "%.1f s", s);
    else if (s < 3600) syno_buf_printf(out, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 1e9) syno_buf_printf(out, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    else syno_buf_printf(out, "%.3g s", s);
}

/* A moment as "2026-12-07 01:42 UTC". */
static void moment(double t, syno_buf *out)
{
    if (!(t > 0 && t < 1e11)) {
        syno_buf_puts(out, "?");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    char b[64];
    gmtime_r(&tt, &tm);
    strftime(b, sizeof b, "%Y-%m-%d %H:%M UTC", &tm);
    syno_buf_puts(out, b);
}

static void dt(syno_buf *out, const char *term)
{
    syno_buf_printf(out, "<dt>%s</dt><dd>", term);
}

/* The state of the search in words. */
static void state(const syno_report *rep, syno_buf *out)
{
    const syno_run_info *ri = &rep->run;
    switch (ri->state) {
    case SYNO_RUN_UNKNOWN: syno_buf_puts(out, "not recorded (a store written by an older syno)"); break;
    case SYNO_RUN_FINISHED:
        syno_buf_puts(out, "finished");
        if (isfinite(ri->finished)) {
            syno_buf_puts(out, " ");
            moment(ri->finished, out);
        }
        break;
    case SYNO_RUN_SEARCHING:
    case SYNO_RUN_CONFIRMING:
        syno_buf_printf(out, "<strong>running</strong> (%s", syno_run_state_names[ri->state]);
        if (ri->state == SYNO_RUN_CONFIRMING) syno_buf_puts(out, " the best with other seeds");
        syno_buf_printf(out, "; process %ld", ri->pid);
        if (ri->host[0]) {
            syno_buf_puts(out, " on ");
            syno_html_text(out, ri->host);
        }
        if (!ri->here) syno_buf_puts(out, ", another machine: whether it still runs cannot be seen from here");
        syno_buf_puts(out, ")");
        break;
    case SYNO_RUN_STOPPED:
        syno_buf_puts(out, "<strong>stopped</strong> before its end (it failed, or its process was killed); "
                           "<code>syno search SPEC --resume --db ");
        syno_html_text(out, rep->db);
        syno_buf_puts(out, "</code> continues it");
        break;
    }
}

/* The header: what was searched, how, and how far it got. */
static void header(const syno_report *rep, const syno_report_opts *o, syno_buf *out)
{
    const syno_run_info *ri = &rep->run;
    syno_buf_puts(out, "<header id=\"top\">\n<h1>Search ");
    syno_html_text(out, rep->spec_name);
    syno_buf_puts(out, "</h1>\n<dl class=\"summary\">\n");
    dt(out, "spec");
    syno_buf_puts(out, "<code>");
    syno_html_text(out, rep->spec_file ? rep->spec_file : "?");
    syno_buf_puts(out, "</code></dd>\n");
    dt(out, "algorithm");
    syno_html_text(out, rep->algorithm ? rep->algorithm : "?");
    syno_buf_puts(out, ", seed ");
    syno_html_text(out, rep->seed ? rep->seed : "?");
    if (rep->iterations > 0) syno_buf_printf(out, ", %lld iterations", (long long)rep->iterations);
    syno_buf_puts(out, "</dd>\n");
    dt(out, "baseline");
    if (rep->baseline) {
        syno_buf_puts(out, "<code>");
        syno_html_text(out, rep->baseline);
        syno_buf_puts(out, "</code>");
    } else {
        syno_buf_puts(out, "none (ratios are to the first successful candidate)");
    }
    static const char *const label[SYNO_METRIC_COUNT] = {"FLOPs", "params", "latency", "accuracy"};
    const char *sep = ": ";
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) {
        if (!isfinite(rep->ref[k])) continue;
        if (k == SYNO_METRIC_ACCURACY) syno_buf_printf(out, "%saccuracy %.2f%%", sep, 100 * rep->ref[k]);
        else if (k == SYNO_METRIC_LATENCY) syno_buf_printf(out, "%slatency %.3g s", sep, rep->ref[k]);
        else {
            syno_buf_printf(out, "%s%s ", sep, label[k]);
            syno_num_human(rep->ref[k], k == SYNO_METRIC_FLOPS ? "FLOP" : "", out);
        }
        sep = ", ";
    }
    if (isfinite(rep->ref[SYNO_REF_CONFIRMED]))
        syno_buf_printf(out, "%sconfirmed accuracy %.2f%%", sep, 100 * rep->ref[SYNO_REF_CONFIRMED]);
    syno_buf_puts(out, "</dd>\n");
    dt(out, "candidates");
    syno_buf_printf(out, "%d evaluated: %d ok, %d failed, %d running", rep->nrows, rep->nok, rep->nfailed,
                    ri->evaluating);
    if (rep->nconfirmed) syno_buf_printf(out, "; %d confirmed", rep->nconfirmed);
    syno_buf_puts(out, "</dd>\n");
    dt(out, "state");
    state(rep, out);
    syno_buf_puts(out, "</dd>\n");
    dt(out, "started");
    moment(isfinite(ri->started) ? ri->started : rep->first, out);
    syno_buf_puts(out, "</dd>\n");
    dt(out, "wall time");
    if (isfinite(ri->wall) && ri->wall >= 0) {
        duration(ri->wall, out);
    } else if (isfinite(rep->first) && rep->last >= rep->first) {
        syno_buf_puts(out, "about ");
        duration(rep->last - rep->first, out);
        syno_buf_puts(out, " from the first evaluation to the last");
    } else {
        syno_buf_puts(out, "not recorded");
    }
    syno_buf_puts(out, "</dd>\n");
    dt(out, "processor time");
    if (isfinite(ri->cpu) && ri->cpu >= 0) {
        duration(ri->cpu, out);
        syno_buf_puts(out, " (the search and its evaluations)");
    } else {
        syno_buf_puts(out, "not recorded; the evaluations took ");
        duration(rep->eval_seconds, out);
        syno_buf_puts(out, " of wall time in all");
    }
    syno_buf_puts(out, "</dd>\n");
    dt(out, "machine");
    if (ri->host[0] || ri->machine[0]) {
        syno_html_text(out, ri->host);
        syno_buf_puts(out, ri->host[0] && ri->machine[0] ? ": " : "");
        syno_html_text(out, ri->machine);
    } else {
        syno_buf_puts(out, "not recorded");
    }
    syno_buf_puts(out, "</dd>\n");
    dt(out, "results store");
    syno_buf_puts(out, "<code>");
    syno_html_text(out, rep->db);
    syno_buf_puts(out, "</code>");
    if (rep->version) {
        syno_buf_puts(out, " (syno ");
        syno_html_text(out, rep->version);
        syno_buf_puts(out, ")");
    }
    syno_buf_puts(out, "</dd>\n</dl>\n<p class=\"noprint\">");
    if (o->refresh > 0)
        syno_buf_printf(out, "This page reloads itself every %d s while the search runs. ", o->refresh);
    syno_buf_puts(out, "Made ");
    moment(o->now, out);
    syno_buf_puts(out, ". Contents: <a href=\"#plots\">plots</a> · <a href=\"#candidates\">candidates</a> · "
                       "<a href=\"#operators\">operators</a></p>\n</header>\n");
}

/* The page (see report.h). */
void syno_report_page(const syno_report *rep, const syno_report_opts *o, syno_buf *out)
{
    syno_buf_puts(out, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
                       "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, "
                       "initial-scale=1\"/>\n<meta name=\"color-scheme\" content=\"light dark\"/>\n");
    if (o->refresh > 0) syno_buf_printf(out, "<meta http-equiv=\"refresh\" content=\"%d\"/>\n", o->refresh);
    syno_buf_puts(out, "<title>syno search ");
    syno_html_text(out, rep->spec_name);
    syno_buf_puts(out, "</title>\n<style>/*<![CDATA[*/\n");
    syno_buf_puts(out, style);
    syno_buf_puts(out, "/*]]>*/</style>\n</head>\n<body>\n");
    header(rep, o, out);
    syno_buf_puts(out, "<main>\n");
    syno_report_plots(rep, out);
    syno_report_table(rep, o, out);
    syno_report_ops(rep, o, out);
    syno_buf_puts(out, "</main>\n<script>//<![CDATA[\n");
    syno_buf_puts(out, script);
    syno_buf_puts(out, "//]]></script>\n</body>\n</html>\n");
}
