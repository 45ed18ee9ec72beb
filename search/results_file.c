/* results_file.c - discovered operators as .syno files, and the table of
 * the best ones.
 *
 * A file holds the operator's canonical form (lang/canon.h) as a complete
 * module, renamed op_<first 8 hex digits of its hash>, after a header
 * comment with the search it came from, its reward, FLOPs, parameters and
 * latency (summed, per layer and relative to the baseline) and its index
 * formula (and, once the search confirmed it, its confirmed accuracy),
 * and before one bind block per layer of the search, so that
 * `syno explain FILE --bind LAYER`, `syno run`, `syno bench` and
 * `syno check` work on it as it is. */
#include "search/search_run.h"

#include "lang/formula.h"
#include "lang/module.h"
#include "search/final_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void human(double v, syno_buf *b)
{
    if (!isfinite(v)) syno_buf_puts(b, "-");
    else if (fabs(v) >= 1e4) syno_buf_printf(b, "%.3g", v);
    else syno_buf_printf(b, "%.4g", v);
}

static bool mkdirs(const char *dir)
{
    char *p = syno_xstrdup(dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    bool ok = mkdir(p, 0777) == 0 || errno == EEXIST;
    free(p);
    return ok;
}

/* The canonical module of R, its operator renamed (see search_run.h). */
void syno_search_op_module(const syno_record *r, char name[32], syno_buf *out)
{
    char hex[17];
    syno_hash_hex(r->hash, hex);
    snprintf(name, 32, "op_%.8s", hex);
    const char *text = r->text ? r->text : "";
    const char *at = strstr(text, "op canonical(");
    if (at) {
        syno_buf_add(out, text, (size_t)(at - text));
        syno_buf_printf(out, "op %s(", name);
        syno_buf_puts(out, at + strlen("op canonical("));
    } else {
        syno_buf_puts(out, text);
    }
}

/* Layer L of SPEC as a binding of OP's variables (see search_run.h). */
void syno_search_layer_binding(const syno_spec *spec, int l, const syno_op *op, syno_binding *b)
{
    const syno_binding *lb = &spec->layer_binding[l];
    syno_binding_defaults(op->vars, b);
    b->name = lb->name;
    for (int v = 0; v < op->vars->n; v++) {
        int j = syno_vars_find(spec->vars, op->vars->v[v].name);
        if (j >= 0 && lb->val[j] > 0) b->val[v] = lb->val[j];
    }
}

/* Writes the result file of R (see search_run.h). */
char *syno_search_write_result(const char *dir, const syno_spec *spec, const char *spec_path, const syno_record *r,
                               const double *ref, syno_buf *err)
{
    if (!r->text) {
        syno_buf_printf(err, "no canonical text recorded");
        return NULL;
    }
    if (!mkdirs(dir)) {
        syno_buf_printf(err, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    char hex[17];
    syno_hash_hex(r->hash, hex);
    char name[32];
    syno_buf body = SYNO_BUF_INIT;
    syno_search_op_module(r, name, &body);
    syno_ctx *ctx = syno_ctx_new();
    syno_module *m = syno_ctx_load_string(ctx, name, body.data, body.len);
    syno_op *op = m && m->nops ? m->ops[0] : NULL;
    if (!op || op->errors) {
        syno_buf_printf(err, "the canonical text of %s does not load", hex);
        syno_ctx_free(ctx);
        syno_buf_fini(&body);
        return NULL;
    }
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_printf(&b, "# %s.syno - an operator found by `syno search` (search %s in %s)\n", name, spec->name,
                    spec_path ? spec_path : "?");
    syno_buf_printf(&b, "# canonical hash %s; reward %.4f\n", hex, r->reward);
    static const char *const label[SYNO_METRIC_COUNT] = {"FLOPs", "params", "latency (s)", "accuracy"};
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) {
        if (!isfinite(r->v[k])) continue;
        syno_buf_printf(&b, "#   %-12s ", label[k]);
        human(r->v[k], &b);
        if (ref && isfinite(ref[k]) && ref[k] > 0 && k != SYNO_METRIC_ACCURACY)
            syno_buf_printf(&b, "  (%.3fx the baseline%s%s)", r->v[k] / ref[k], spec->baseline ? " " : "",
                            spec->baseline ? spec->baseline : "");
        if (ref && isfinite(ref[k]) && k == SYNO_METRIC_ACCURACY) /* points from the baseline's */
            syno_buf_printf(&b, "  (the baseline%s%s: %.4g, %+.1f points)", spec->baseline ? " " : "",
                            spec->baseline ? spec->baseline : "", ref[k], 100 * (r->v[k] - ref[k]));
        syno_buf_puts(&b, k == SYNO_METRIC_ACCURACY ? "\n" : "  summed over the layers\n");
    }
    if (r->nconfirmed) {
        syno_buf_printf(&b, "#   %-12s ", "confirmed");
        if (isfinite(r->confirmed)) syno_buf_printf(&b, "%.4g", r->confirmed);
        else syno_buf_puts(&b, "failed");
        syno_buf_printf(&b, "  (mean of %d runs with seeds 2..%d on the whole test set", r->nconfirmed,
                        1 + spec->train_seeds);
        if (ref && isfinite(ref[SYNO_REF_CONFIRMED]) && isfinite(r->confirmed))
            syno_buf_printf(&b, "; the baseline%s%s: %.4g, %+.1f points", spec->baseline ? " " : "",
                            spec->baseline ? spec->baseline : "", ref[SYNO_REF_CONFIRMED],
                            100 * (r->confirmed - ref[SYNO_REF_CONFIRMED]));
        syno_buf_puts(&b, ")\n");
    }
    /* per layer */
    syno_buf binds = SYNO_BUF_INIT;
    for (int l = 0; l < spec->nlayers; l++) {
        const syno_binding *lb = &spec->layer_binding[l];
        syno_binding ob;
        syno_search_layer_binding(spec, l, op, &ob);
        syno_buf_printf(&b, "#   layer %-10s FLOPs ", lb->name ? lb->name : "?");
        human(syno_search_op_flops(op, &ob), &b);
        syno_buf_puts(&b, ", params ");
        human(syno_search_op_params(op, &ob), &b);
        syno_buf_putc(&b, '\n');
        syno_buf_printf(&binds, "bind %s {", lb->name ? lb->name : "layer");
        int nb = 0;
        for (int v = 0; v < op->vars->n; v++) {
            if (op->vars->v[v].kind == SYNO_VAR_COEF && ob.val[v] == op->vars->v[v].value) continue;
            if (ob.val[v] < 2) continue; /* a bind block cannot say 1 */
            syno_buf_printf(&binds, "%s %s = %lld", nb++ ? "," : "", op->vars->v[v].name, (long long)ob.val[v]);
        }
        syno_buf_puts(&binds, " }\n");
    }
    syno_buf f = SYNO_BUF_INIT;
    syno_op_formula(op, NULL, &f);
    syno_buf_puts(&b, "#\n#   ");
    for (const char *s = syno_buf_str(&f); *s; s++) {
        syno_buf_putc(&b, *s);
        if (*s == '\n' && s[1]) syno_buf_puts(&b, "#   ");
    }
    if (f.len && f.data[f.len - 1] != '\n') syno_buf_putc(&b, '\n');
    syno_buf_puts(&b, "\n");
    syno_buf_puts(&b, body.data);
    if (body.len && body.data[body.len - 1] != '\n') syno_buf_putc(&b, '\n');
    syno_buf_printf(&b, "\n%s", syno_buf_str(&binds));
    syno_buf_fini(&f);
    syno_buf_fini(&binds);
    syno_buf_fini(&body);
    syno_ctx_free(ctx);
    syno_buf path = SYNO_BUF_INIT;
    syno_buf_printf(&path, "%s/%s.syno", dir, name);
    char *tmp = syno_xmalloc(path.len + 8);
    snprintf(tmp, path.len + 8, "%s.tmp", path.data);
    /* a fresh file: never written through a link or a FIFO left under that name */
    remove(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && !out) close(fd);
    bool ok = out && fwrite(b.data, 1, b.len, out) == b.len;
    if (out && fclose(out) != 0) ok = false;
    if (ok && rename(tmp, path.data) != 0) ok = false;
    if (!ok) {
        syno_buf_printf(err, "cannot write %s: %s", path.data, strerror(errno));
        remove(tmp);
        free(tmp);
        syno_buf_fini(&b);
        syno_buf_fini(&path);
        return NULL;
    }
    free(tmp);
    syno_buf_fini(&b);
    return syno_buf_take(&path);
}

/* Fills REF from the store (see search_run.h). */
bool syno_search_refs_load(syno_store *s, double *ref)
{
    for (int k = 0; k < SYNO_REF_COUNT; k++) ref[k] = NAN;
    char *m = syno_store_get_meta(s, "reference");
    for (const char *p = m; p && *p;) {
        for (int k = 0; k < SYNO_METRIC_COUNT; k++) {
            size_t n = strlen(syno_metric_names[k]);
            if (strncmp(p, syno_metric_names[k], n) == 0 && p[n] == '=') ref[k] = strtod(p + n + 1, NULL);
        }
        p = strchr(p, ';');
        if (p) p++;
    }
    int n;
    syno_store_confirmed(s, 0, &n, &ref[SYNO_REF_CONFIRMED]);
    bool have = m != NULL;
    free(m);
    return have;
}

typedef struct table {
    FILE *out;
    const double *ref;
    int rank;
    bool confirmed; /* a column of confirmed accuracies */
} table;

static void row(void *ctx, const syno_record *r)
{
    table *t = ctx;
    char hex[17];
    syno_hash_hex(r->hash, hex);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_printf(&b, "  %-4d %s  ", ++t->rank, hex);
    if (!r->ok) {
        syno_buf_printf(&b, "failed: %s", r->reason ? r->reason : "?");
    } else {
        syno_buf_printf(&b, fabs(r->reward) < 1e6 ? "%7.4f  " : "%7.3g  ", r->reward); /* a damaged store's too */
        for (int k = 0; k < SYNO_METRIC_COUNT; k++) {
            syno_buf c = SYNO_BUF_INIT;
            human(r->v[k], &c);
            if (isfinite(r->v[k]) && t->ref && isfinite(t->ref[k]) && t->ref[k] > 0 && k != SYNO_METRIC_ACCURACY)
                syno_buf_printf(&c, " (%.2fx)", r->v[k] / t->ref[k]);
            if (isfinite(r->v[k]) && t->ref && isfinite(t->ref[k]) && k == SYNO_METRIC_ACCURACY)
                syno_buf_printf(&c, " (%+.1f)", 100 * (r->v[k] - t->ref[k])); /* points from the baseline */
            syno_buf_printf(&b, "%-19s", syno_buf_str(&c));
            syno_buf_fini(&c);
        }
        if (t->confirmed) {
            syno_buf c = SYNO_BUF_INIT;
            human(r->confirmed, &c);
            if (isfinite(r->confirmed) && t->ref && isfinite(t->ref[SYNO_REF_CONFIRMED]))
                syno_buf_printf(&c, " (%+.1f)", 100 * (r->confirmed - t->ref[SYNO_REF_CONFIRMED]));
            else if (r->nconfirmed && !isfinite(r->confirmed))
                syno_buf_puts(&c, " failed");
            syno_buf_printf(&b, "%-19s", syno_buf_str(&c));
            syno_buf_fini(&c);
        }
        syno_buf_puts(&b, r->file ? r->file : "-");
    }
    fprintf(t->out, "%s\n", syno_buf_str(&b));
    syno_buf_fini(&b);
}

/* Prints the best candidates of S (see search_run.h). */
void syno_search_print_table(syno_store *s, int top, const double *ref, FILE *out)
{
    table t = {out, ref, 0, syno_store_count_confirm(s) > 0};
    fprintf(out, "  %-4s %-16s  %-7s  %-19s%-19s%-19s%-19s%s%s\n", "rank", "hash", "reward", "FLOPs", "params",
            "latency (s)", "accuracy", t.confirmed ? "confirmed          " : "", "file");
    syno_store_each(s, top, SYNO_ORDER_REWARD, row, &t);
}

typedef struct keep {
    syno_store *s;
    const syno_spec *spec;
    const char *spec_path, *dir;
    const double *ref;
    uint64_t hash[512];
    int n, rank, top;
} keep;

/* The top ones without their file, and every confirmed one (its file
 * gains the confirmed accuracy). */
static void collect_top(void *ctx, const syno_record *r)
{
    keep *k = ctx;
    struct stat st;
    bool top = k->rank++ < k->top;
    if (r->ok && k->n < 512 && ((top && (!r->file || stat(r->file, &st) != 0)) || r->nconfirmed))
        k->hash[k->n++] = r->hash;
}

/* Writes the missing files of the best candidates (see search_run.h). */
void syno_search_keep_files(syno_store *s, int top, const syno_spec *spec, const char *spec_path, const char *dir,
                            const double *ref)
{
    keep k = {s, spec, spec_path, dir, ref, {0}, 0, 0, top};
    syno_store_each(s, 0, SYNO_ORDER_REWARD, collect_top, &k);
    for (int i = 0; i < k.n; i++) {
        syno_record r;
        if (!syno_store_find(s, k.hash[i], &r)) continue;
        syno_buf err = SYNO_BUF_INIT;
        char *path = syno_search_write_result(dir, spec, spec_path, &r, ref, &err);
        if (path) syno_store_set_file(s, k.hash[i], path);
        else fprintf(stderr, "syno: warning: %s\n", syno_buf_str(&err));
        free(path);
        syno_buf_fini(&err);
    }
}
