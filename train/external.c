/* external.c - the external evaluator (see external.h): a scratch
 * directory with the operator's files, the command template expanded with
 * shell-quoted words, the command run by /bin/sh in its own process group
 * with a time limit (base/proc.h), its last output line parsed. */
#define _GNU_SOURCE
#include "train/external.h"

#include "base/clock.h"
#include "base/hash.h"
#include "codegen/pytorch.h"
#include "lang/graph_print.h"
#include "base/proc.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLACEHOLDERS(X) X(pytorch) X(syno) X(layers) X(hash) X(seed) X(dir)
#define OUT_KEEP (64 * 1024) /* bytes of standard output kept (the end) */

enum {
#define X(name) PH_##name,
    PLACEHOLDERS(X)
#undef X
    PH_COUNT
};

static const char *const ph_names[PH_COUNT] = {
#define X(name) #name,
    PLACEHOLDERS(X)
#undef X
};

/* The placeholder at S (just after a '{'), or -1; *LEN gets its length
 * including the closing brace. */
static int placeholder(const char *s, size_t *len)
{
    for (int i = 0; i < PH_COUNT; i++) {
        size_t n = strlen(ph_names[i]);
        if (strncmp(s, ph_names[i], n) == 0 && s[n] == '}') {
            *len = n + 1;
            return i;
        }
    }
    return -1;
}

bool syno_external_check(const char *t, syno_buf *err)
{
    if (!*t) {
        syno_buf_puts(err, "the evaluator command is empty");
        return false;
    }
    for (const char *p = t; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        size_t len;
        if (*p == '{' && placeholder(p + 1, &len) < 0) {
            const char *close = strchr(p, '}');
            int n = close ? (int)(close - p + 1) : (int)strlen(p);
            syno_buf_printf(err, "unknown placeholder '%.*s' in the evaluator command (known: {pytorch}, {syno}, "
                                 "{layers}, {hash}, {seed}, {dir}; write {{ and }} for literal braces)",
                            n > 60 ? 60 : n, p);
            return false;
        }
        if (*p == '{') p += len;
        else if (*p == '}') {
            syno_buf_puts(err, "a lone '}' in the evaluator command (write }} for a literal brace)");
            return false;
        }
    }
    return true;
}

/* Appends S as one single-quoted shell word. */
static void shell_quote(syno_buf *out, const char *s)
{
    syno_buf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'') syno_buf_puts(out, "'\\''");
        else syno_buf_putc(out, *s);
    }
    syno_buf_putc(out, '\'');
}

static bool var_used(const syno_op *op, int v)
{
    for (int d = 0; d < op->ndims; d++)
        if (op->dims[d].size.e[v]) return true;
    for (int k = 0; k < op->nnodes; k++)
        if (op->nodes[k].param.e[v]) return true;
    return false;
}

static void layers_json(const syno_op *op, const syno_binding *layers, const char *const *names, int n, syno_buf *out)
{
    syno_buf_putc(out, '[');
    for (int l = 0; l < n; l++) {
        syno_buf_printf(out, "%s{\"name\": \"%s\"", l ? ", " : "", names[l] ? names[l] : "");
        for (int v = 0; v < op->vars->n; v++)
            if (var_used(op, v)) syno_buf_printf(out, ", \"%s\": %lld", op->vars->v[v].name, (long long)layers[l].val[v]);
        syno_buf_putc(out, '}');
    }
    syno_buf_putc(out, ']');
}

/* The .syno text: the operator, then one bind block per layer. */
static void syno_text(const syno_op *op, const syno_binding *layers, const char *const *names, int n, syno_buf *out)
{
    syno_graph_print_module(op, NULL, SYNO_PRINT_NEST, NULL, NULL, out);
    for (int l = 0; l < n; l++) {
        syno_buf_printf(out, "bind %s {", names[l] ? names[l] : "layer");
        int k = 0;
        for (int v = 0; v < op->vars->n; v++) {
            int64_t val = layers[l].val[v];
            bool coef = op->vars->v[v].kind == SYNO_VAR_COEF;
            if (!var_used(op, v) || val < 2 || (coef && val == op->vars->v[v].value)) continue;
            syno_buf_printf(out, "%s %s = %lld", k++ ? "," : "", op->vars->v[v].name, (long long)val);
        }
        syno_buf_puts(out, " }\n");
    }
}

static bool write_file(const char *dir, const char *name, const syno_buf *b, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(b->data ? b->data : "", 1, b->len, f) == b->len;
    if (f && fclose(f) != 0) ok = false;
    return ok;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* The last non-empty line of TEXT (modified in place), or "". */
static char *last_line(char *text)
{
    char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) *--end = 0;
    char *nl = strrchr(text, '\n');
    char *l = nl ? nl + 1 : text;
    while (*l == ' ' || *l == '\t') l++;
    return l;
}

/* Skips blanks. */
static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

/* Parses a JSON string at P (after the opening quote) into OUT (N bytes,
 * escapes kept as the escaped character); returns the position after the
 * closing quote, or NULL. */
static const char *json_string(const char *p, char *out, size_t n)
{
    size_t k = 0;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++;
        if (k + 1 < n) out[k++] = *p;
    }
    out[k] = 0;
    return *p == '"' ? p + 1 : NULL;
}

/* Skips one JSON value (any kind) at P; NULL when malformed. */
static const char *json_skip(const char *p)
{
    p = ws(p);
    if (*p == '"') {
        char tmp[8];
        return json_string(p + 1, tmp, sizeof tmp);
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; *p; p++) {
            if (*p == '"') {
                char tmp[8];
                p = json_string(p + 1, tmp, sizeof tmp);
                if (!p) return NULL;
                p--;
            } else if (*p == '{' || *p == '[') depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
        }
        return NULL;
    }
    const char *q = p;
    while (*q && *q != ',' && *q != '}' && *q != ' ') q++;
    return q > p ? q : NULL;
}

bool syno_external_parse(const char *line, syno_external_result *r)
{
    r->accuracy = NAN;
    r->nextra = 0;
    snprintf(r->last_line, sizeof r->last_line, "%s", line);
    const char *p = ws(line);
    if (*p != '{') {
        char *end;
        double v = strtod(p, &end);
        if (end == p || *ws(end) || !(v >= 0 && v <= 1)) {
            snprintf(r->reason, sizeof r->reason,
                     "its last output line is neither an accuracy in [0, 1] nor a JSON object: '%.200s'", line);
            return false;
        }
        r->accuracy = v;
        return true;
    }
    p = ws(p + 1);
    bool good = true;
    while (good && *p && *p != '}') {
        char key[64];
        good = *p == '"' && (p = json_string(p + 1, key, sizeof key)) != NULL;
        if (good) p = ws(p);
        good = good && *p == ':';
        if (!good) break;
        p = ws(p + 1);
        char *end;
        double v = strtod(p, &end);
        bool number = end != p && (*ws(end) == ',' || *ws(end) == '}');
        if (number) {
            if (strcmp(key, "accuracy") == 0) r->accuracy = v;
            else if (r->nextra < SYNO_EXTERNAL_MAX_EXTRA) {
                snprintf(r->extra_name[r->nextra], sizeof r->extra_name[0], "%.31s", key);
                r->extra[r->nextra++] = v;
            }
            p = ws(end);
        } else {
            p = json_skip(p);
            good = p != NULL;
            if (good) p = ws(p);
        }
        if (good && *p == ',') p = ws(p + 1);
    }
    if (!good || *p != '}' || *ws(p + 1)) {
        snprintf(r->reason, sizeof r->reason, "its last output line is not a well-formed JSON object: '%.200s'", line);
        return false;
    }
    if (!(r->accuracy >= 0 && r->accuracy <= 1)) {
        snprintf(r->reason, sizeof r->reason, "its JSON result has no \"accuracy\" in [0, 1]: '%.200s'", line);
        r->accuracy = NAN;
        return false;
    }
    return true;
}

/* The last non-empty line of the file at PATH, for messages. */
static void file_last_line(const char *path, char *out, size_t n)
{
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    syno_buf b = SYNO_BUF_INIT;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        syno_buf_add(&b, buf, got);
        if (b.len > OUT_KEEP) {
            memmove(b.data, b.data + b.len - OUT_KEEP / 2, OUT_KEEP / 2);
            b.len = OUT_KEEP / 2;
            b.data[b.len] = 0;
        }
    }
    fclose(f);
    if (b.len) snprintf(out, n, "%s", last_line(b.data));
    syno_buf_fini(&b);
}

bool syno_external_run(const char *templ, const syno_op *op, const syno_binding *layers, const char *const *names,
                       int nlayers, uint64_t hash, uint64_t seed, double timeout, bool keep_failed,
                       syno_external_result *r)
{
    memset(r, 0, sizeof *r);
    r->accuracy = NAN;
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/syno-eval-%016llx-XXXXXX", tmp && *tmp ? tmp : "/tmp", (unsigned long long)hash);
    if (!mkdtemp(dir)) {
        snprintf(r->reason, sizeof r->reason, "cannot make a scratch directory %.300s: %s", dir, strerror(errno));
        return false;
    }
    char paths[PH_COUNT][4200] = {{0}}, errpath[4200];
    syno_buf py = SYNO_BUF_INIT, sy = SYNO_BUF_INIT, lj = SYNO_BUF_INIT, cmd = SYNO_BUF_INIT, out = SYNO_BUF_INIT;
    syno_pytorch_emit(op, NULL, nlayers > 0 ? &layers[0] : NULL, op->name, &py);
    syno_text(op, layers, names, nlayers, &sy);
    layers_json(op, layers, names, nlayers, &lj);
    bool ok = write_file(dir, "op.py", &py, paths[PH_pytorch], sizeof paths[0]) &&
              write_file(dir, "op.syno", &sy, paths[PH_syno], sizeof paths[0]) &&
              write_file(dir, "layers.json", &lj, paths[PH_layers], sizeof paths[0]);
    if (!ok) snprintf(r->reason, sizeof r->reason, "cannot write the candidate's files in %.300s: %s", dir, strerror(errno));
    syno_hash_hex(hash, paths[PH_hash]);
    snprintf(paths[PH_seed], sizeof paths[0], "%llu", (unsigned long long)seed);
    snprintf(paths[PH_dir], sizeof paths[0], "%s", dir);
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", dir);
    for (const char *p = templ; ok && *p; p++) {
        size_t len;
        int k;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            syno_buf_putc(&cmd, *p++);
        } else if (*p == '{' && (k = placeholder(p + 1, &len)) >= 0) {
            shell_quote(&cmd, k == PH_layers ? syno_buf_str(&lj) : paths[k]);
            p += len;
        } else {
            syno_buf_putc(&cmd, *p);
        }
    }
    if (ok) {
        const char *argv[] = {"/bin/sh", "-c", cmd.data, NULL};
        syno_proc_result pr;
        syno_proc_run(argv, NULL, errpath, timeout, OUT_KEEP, &out, &pr);
        r->exit_status = pr.exit_status;
        r->timed_out = pr.timed_out;
        r->seconds = pr.seconds;
        if (pr.error[0]) snprintf(r->reason, sizeof r->reason, "%s", pr.error);
        char errline[300];
        file_last_line(errpath, errline, sizeof errline);
        if (r->reason[0]) {
            ok = false;
        } else if (r->timed_out) {
            snprintf(r->reason, sizeof r->reason, "the evaluator command ran past its time limit of %g s and was killed",
                     timeout);
            ok = false;
        } else if (r->exit_status != 0) {
            if (r->exit_status < 0)
                snprintf(r->reason, sizeof r->reason, "the evaluator command was killed by signal %d%s%.300s",
                         -r->exit_status, errline[0] ? "; its last error line: " : "", errline);
            else
                snprintf(r->reason, sizeof r->reason, "the evaluator command exited with status %d%s%.300s",
                         r->exit_status, errline[0] ? "; its last error line: " : "", errline);
            ok = false;
        } else {
            ok = syno_external_parse(out.len ? last_line(out.data) : "", r);
        }
    }
    r->ok = ok;
    if (!ok && keep_failed) {
        size_t n = strlen(r->reason);
        snprintf(r->reason + n, sizeof r->reason - n, " (files kept in %.300s)", dir);
    } else {
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    syno_buf_fini(&py);
    syno_buf_fini(&sy);
    syno_buf_fini(&lj);
    syno_buf_fini(&cmd);
    syno_buf_fini(&out);
    return ok;
}
