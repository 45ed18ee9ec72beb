/* report_ops.c - a section per operator in `syno report` (see report.h):
 * its metrics, a link to its .syno file, `syno explain` under the search's
 * first layer (symbolic when the search's spec does not load), the
 * canonical text as recorded, the path of steps that built it in the
 * search space, and its graph (`syno export --dot` drawn by Graphviz's
 * dot, run as a child process with a time limit; a note when dot is not
 * installed).
 *
 * Each operator is loaded from the store's canonical text in a context of
 * its own; text that does not load is shown as it is, with a note. */
#include "interp/report.h"

#include "codegen/dot.h"
#include "interp/explain.h"
#include "base/html.h"
#include "lang/module.h"
#include "base/proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOT_KEEP (16 << 20) /* bytes of SVG a graph may take */

/* Whether NAME is an executable file in a directory of $PATH. */
static bool on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/bin:/bin";
    syno_buf b = SYNO_BUF_INIT;
    bool found = false;
    for (const char *p = path; !found;) {
        size_t n = strcspn(p, ":");
        syno_buf_clear(&b);
        if (n) syno_buf_add(&b, p, n);
        else syno_buf_putc(&b, '.');
        syno_buf_printf(&b, "/%s", name);
        found = access(syno_buf_str(&b), X_OK) == 0;
        if (!p[n]) break;
        p += n + 1;
    }
    syno_buf_fini(&b);
    return found;
}

/* Removes the id attributes dot gives its elements (graph0, node1, ...):
 * the page holds many graphs, and ids must be unique. */
static void strip_ids(syno_buf *svg)
{
    char *w = svg->data, *r = svg->data;
    while (*r) {
        if (strncmp(r, " id=\"", 5) == 0) {
            const char *end = strchr(r + 5, '"');
            if (end) {
                r = (char *)end + 1;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = 0;
    svg->len = (size_t)(w - svg->data);
}

/* The graph of OP as SVG by dot into OUT, or a note saying why not. */
static void graph(const syno_op *op, const syno_report_opts *o, bool have_dot, syno_buf *out)
{
    if (!have_dot) {
        syno_buf_puts(out, "<p class=\"note\">Graphviz's <code>dot</code> is not installed, so the graph is not "
                           "drawn here (<code>apt-get install graphviz</code>; or <code>syno export --dot</code> "
                           "the operator's file).</p>\n");
        return;
    }
    syno_buf dot = SYNO_BUF_INIT, svg = SYNO_BUF_INIT;
    syno_dot_op(op, NULL, NULL, &dot);
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/syno-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    bool wrote = fd >= 0 && write(fd, dot.data, dot.len) == (ssize_t)dot.len;
    if (fd >= 0) close(fd);
    syno_proc_result pr;
    memset(&pr, 0, sizeof pr);
    if (wrote) {
        const char *argv[] = {"dot", "-Tsvg", path, NULL};
        syno_proc_run(argv, NULL, NULL, o->dot_timeout, DOT_KEEP, &svg, &pr);
    }
    if (fd >= 0) remove(path);
    const char *start = svg.len ? strstr(svg.data, "<svg") : NULL;
    if (!wrote) {
        syno_buf_printf(out, "<p class=\"note\">The graph is not drawn: cannot write a temporary file (%s).</p>\n",
                        strerror(errno));
    } else if (pr.timed_out) {
        syno_buf_printf(out, "<p class=\"note\">The graph is not drawn: Graphviz took longer than %g s.</p>\n",
                        o->dot_timeout);
    } else if (pr.exit_status != 0 || !start || pr.truncated) {
        syno_buf_puts(out, "<p class=\"note\">The graph is not drawn: ");
        if (pr.truncated) syno_buf_puts(out, "it is too large to embed");
        else if (pr.error[0]) syno_html_text(out, pr.error);
        else syno_buf_printf(out, "dot exited with status %d", pr.exit_status);
        syno_buf_puts(out, ".</p>\n");
    } else {
        syno_buf body = SYNO_BUF_INIT;
        syno_buf_puts(&body, start);
        strip_ids(&body);
        syno_buf_puts(out, "<div class=\"graph\">");
        syno_buf_puts(out, syno_buf_str(&body));
        syno_buf_puts(out, "</div>\n");
        syno_buf_fini(&body);
    }
    syno_buf_fini(&dot);
    syno_buf_fini(&svg);
}

/* The steps of PATH ("a; b(c; d); e") as list items, split at the
 * top-level "; ". */
static void steps(const char *path, syno_buf *out)
{
    syno_buf_puts(out, "<ol class=\"path\">");
    int depth = 0;
    const char *item = path;
    for (const char *p = path;; p++) {
        if (*p == '(') depth++;
        else if (*p == ')' && depth > 0) depth--;
        if (*p && !(*p == ';' && depth == 0)) continue;
        syno_buf_puts(out, "<li><code>");
        while (item < p && *item == ' ') item++;
        syno_html_textn(out, item, (size_t)(p - item));
        syno_buf_puts(out, "</code></li>");
        if (!*p) break;
        item = p + 1;
    }
    syno_buf_puts(out, "</ol>\n");
}

/* The search's spec from the store's text (loaded into CTX), or NULL. */
static const syno_spec *load_spec(syno_ctx *ctx, const syno_report *rep)
{
    if (!rep->spec_text || !rep->spec_name) return NULL;
    syno_module *m = syno_ctx_load_string(ctx, rep->spec_file ? rep->spec_file : "spec.syno", rep->spec_text,
                                          strlen(rep->spec_text));
    if (!m || m->errors) return NULL;
    return syno_module_find_spec(m, rep->spec_name);
}

/* `syno explain` of OP under the spec's first layer, or symbolic. */
static void explain(syno_ctx *ctx, const syno_op *op, const syno_spec *spec, syno_buf *out)
{
    syno_buf text = SYNO_BUF_INIT;
    syno_binding b;
    int64_t *sizes = NULL;
    if (spec && spec->nlayers > 0) {
        syno_search_layer_binding(spec, 0, op, &b);
        sizes = syno_xcalloc((size_t)op->ndims + 1, sizeof *sizes);
        if (!syno_explain_bind(ctx, op, &b, sizes)) {
            free(sizes);
            sizes = NULL;
        }
    }
    syno_explain_text(op, sizes ? &b : NULL, sizes, &text);
    syno_buf_puts(out, "<h4>Explained");
    if (sizes && b.name) {
        syno_buf_puts(out, " under layer ");
        syno_html_text(out, b.name);
    }
    syno_buf_puts(out, "</h4>\n<pre class=\"explain\">");
    syno_html_text(out, syno_buf_str(&text));
    syno_buf_puts(out, "</pre>\n");
    free(sizes);
    syno_buf_fini(&text);
}

/* The section of ROW. */
static void section(const syno_report *rep, const syno_report_row *row, const syno_spec *spec,
                    const syno_report_opts *o, bool have_dot, syno_buf *out)
{
    const syno_record *r = &row->r;
    char hex[17], name[32];
    syno_hash_hex(r->hash, hex);
    syno_buf text = SYNO_BUF_INIT, sum = SYNO_BUF_INIT;
    syno_search_op_module(r, name, &text);
    syno_buf_printf(out, "<section class=\"op\" id=\"op-%s\">\n<h3>%s <span class=\"sub\">rank %d, hash %s</span></h3>\n",
                    hex, name, row->rank, hex);
    syno_report_row_summary(rep, row, &sum);
    syno_buf_puts(out, "<p>");
    syno_html_text(out, sum.data);
    syno_buf_puts(out, ".");
    if (r->file) {
        syno_buf_puts(out, " File: ");
        syno_report_file_link(o, r->file, false, out);
        syno_buf_putc(out, '.');
    }
    syno_buf_puts(out, "</p>\n");
    syno_ctx *ctx = syno_ctx_new();
    char fname[48];
    snprintf(fname, sizeof fname, "%s.syno", name);
    syno_module *m = r->text ? syno_ctx_load_string(ctx, fname, text.data, text.len) : NULL;
    const syno_op *op = m && !m->errors && m->nops == 1 ? m->ops[0] : NULL;
    if (op) explain(ctx, op, spec, out);
    else syno_buf_puts(out, "<p class=\"note\">The recorded canonical text does not load as an operator; it is shown "
                            "as recorded.</p>\n");
    syno_buf_puts(out, "<h4>Canonical form</h4>\n<pre class=\"syno\">");
    syno_html_text(out, r->text ? syno_buf_str(&text) : "(not recorded)");
    syno_buf_puts(out, "</pre>\n");
    if (r->path && *r->path) {
        syno_buf_puts(out, "<h4>Path in the search space</h4>\n");
        steps(r->path, out);
    }
    if (op) {
        syno_buf_puts(out, "<h4>Graph</h4>\n");
        graph(op, o, have_dot, out);
    }
    syno_buf_puts(out, "<p class=\"noprint\"><a href=\"#row-");
    syno_buf_printf(out, "%s\">its row in the table</a> · <a href=\"#top\">top</a></p>\n</section>\n", hex);
    syno_ctx_free(ctx);
    syno_buf_fini(&text);
    syno_buf_fini(&sum);
}

/* The operators' sections (see report.h). */
void syno_report_ops(const syno_report *rep, const syno_report_opts *o, syno_buf *out)
{
    int n = 0;
    for (int i = 0; i < rep->nrows; i++) n += rep->rows[i].section;
    syno_buf_puts(out, "<section id=\"operators\">\n<h2>Operators</h2>\n");
    if (!n) {
        syno_buf_puts(out, "<p class=\"note\">No successful candidate yet.</p>\n</section>\n");
        return;
    }
    syno_buf_printf(out, "<p>The %d best successful candidates%s.</p>\n", n,
                    rep->nconfirmed ? " and every confirmed one" : "");
    syno_ctx *sctx = syno_ctx_new();
    const syno_spec *spec = load_spec(sctx, rep);
    bool have_dot = on_path("dot");
    for (int i = 0; i < rep->nrows; i++)
        if (rep->rows[i].section) section(rep, &rep->rows[i], spec, o, have_dot, out);
    syno_ctx_free(sctx);
    syno_buf_puts(out, "</section>\n");
}
