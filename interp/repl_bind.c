/* repl_bind.c - the REPL's current binding (:bind, :unbind) and its use by
 * the inspection commands.
 *
 * The binding is a list of NAME=VALUE pairs kept by name, not by variable
 * index: the session module is rebuilt on every accepted text and standard
 * library operators have variables of their own, so each inspection
 * resolves the names against the operator's own variables.  Coefficients
 * not in the binding take their declared defaults, as on the command line. */
#include "interp/repl.h"

#include "base/num.h"

#include <stdlib.h>
#include <string.h>

/* The largest value accepted, as on the command line (--bind). */

static int find_value(const syno_repl_value *v, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0) return i;
    return -1;
}

static void set_value(syno_repl_value **v, int *n, const char *name, int64_t value)
{
    int i = find_value(*v, *n, name);
    if (i >= 0) {
        (*v)[i].value = value;
        return;
    }
    *v = syno_xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
    (*v)[*n].name = syno_xstrdup(name);
    (*v)[*n].value = value;
    (*n)++;
}

static void free_values(syno_repl_value *v, int n)
{
    for (int i = 0; i < n; i++) free(v[i].name);
    free(v);
}

/* True when NAME is a variable of the session or of the standard library
 * (whose operators can be inspected without declaring anything). */
static bool known_var(syno_repl *r, const char *name)
{
    if (r->mod && syno_vars_find(&r->mod->vars, name) >= 0) return true;
    syno_ctx_stdlib_op(r->ctx, ""); /* loads the library once */
    for (int i = 0; i < r->ctx->nstdlib; i++)
        if (syno_vars_find(&r->ctx->stdlib[i]->vars, name) >= 0) return true;
    return false;
}

static void var_names(const syno_repl *r, syno_buf *out)
{
    if (!r->mod || !r->mod->vars.n) {
        syno_buf_puts(out, "the session declares none");
        return;
    }
    syno_buf_puts(out, "the session's are ");
    for (int v = 0; v < r->mod->vars.n; v++) syno_buf_printf(out, "%s%s", v ? ", " : "", r->mod->vars.v[v].name);
}

/* Splits SPEC at commas and blanks into a malloc'ed array of words. */
static char **words(const char *spec, int *n)
{
    char *copy = syno_xstrdup(spec), *save = NULL;
    char **w = NULL;
    *n = 0;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        w = syno_xrealloc(w, (size_t)(*n + 1) * sizeof *w);
        w[(*n)++] = syno_xstrdup(tok);
    }
    free(copy);
    return w;
}

static void free_words(char **w, int n)
{
    for (int i = 0; i < n; i++) free(w[i]);
    free(w);
}

/* See repl.h. */
bool syno_repl_bind(syno_repl *r, const char *spec)
{
    int nw;
    char **w = words(spec, &nw);
    syno_repl_value *vals = NULL;
    int nvals = 0;
    for (int i = 0; i < r->nbind; i++) set_value(&vals, &nvals, r->bind[i].name, r->bind[i].value);
    bool ok = true;
    int nblocks = 0, nvalues = 0, nblockvals = 0;
    const char *block = NULL;
    for (int i = 0; i < nw && ok; i++) {
        char *eq = strchr(w[i], '=');
        if (!eq) {
            const syno_bindecl *bd = r->mod ? syno_module_find_bind(r->mod, w[i]) : NULL;
            if (!bd) {
                syno_repl_error(r, "'%s' is neither NAME=VALUE nor a bind block of the session", w[i]);
                ok = false;
                break;
            }
            nblockvals = 0;
            for (int v = 0; v < r->mod->vars.n; v++)
                if (bd->b.val[v]) {
                    set_value(&vals, &nvals, r->mod->vars.v[v].name, bd->b.val[v]);
                    nblockvals++;
                }
            block = bd->name;
            nblocks++;
            continue;
        }
        *eq = 0;
        long long val;
        bool good = syno_num_parse_int(eq + 1, 1, SYNO_BIND_MAX, &val);
        if (!known_var(r, w[i])) {
            syno_buf names = SYNO_BUF_INIT;
            var_names(r, &names);
            syno_repl_error(r, "unknown size variable '%s' (%s)", w[i], syno_buf_str(&names));
            syno_buf_fini(&names);
            ok = false;
        } else if (!good) {
            syno_repl_error(r, "the value of %s must be an integer from 1 to 2^40 (%lld), not '%s'", w[i],
                            (long long)SYNO_BIND_MAX, eq + 1);
            ok = false;
        } else {
            set_value(&vals, &nvals, w[i], val);
            nvalues++;
        }
    }
    free_words(w, nw);
    if (!ok) {
        free_values(vals, nvals);
        return false;
    }
    free_values(r->bind, r->nbind);
    r->bind = vals;
    r->nbind = nvals;
    /* The binding keeps the block's name (for messages) only while it is
     * exactly that block. */
    bool exactly = nblocks == 1 && nvalues == 0 && nvals == nblockvals;
    if (exactly || nw > 0) {
        free(r->bind_block);
        r->bind_block = exactly ? syno_xstrdup(block) : NULL;
    }
    return true;
}

/* See repl.h. */
bool syno_repl_unbind(syno_repl *r, const char *spec)
{
    int nw;
    char **w = words(spec, &nw);
    for (int i = 0; i < nw; i++)
        if (find_value(r->bind, r->nbind, w[i]) < 0) {
            syno_repl_error(r, "'%s' is not bound (:bind shows the binding)", w[i]);
            free_words(w, nw);
            return false;
        }
    if (nw == 0) {
        free_values(r->bind, r->nbind);
        r->bind = NULL;
        r->nbind = 0;
    }
    for (int i = 0; i < nw; i++) {
        int j = find_value(r->bind, r->nbind, w[i]);
        free(r->bind[j].name);
        memmove(&r->bind[j], &r->bind[j + 1], (size_t)(r->nbind - j - 1) * sizeof *r->bind);
        r->nbind--;
    }
    free_words(w, nw);
    free(r->bind_block);
    r->bind_block = NULL;
    return true;
}

/* See repl.h. */
void syno_repl_show_binding(const syno_repl *r, syno_buf *out)
{
    if (!r->nbind) {
        syno_buf_puts(out, "no binding: sizes stay symbolic (set one with :bind N=8,C=16 or :bind BLOCK)");
        return;
    }
    for (int i = 0; i < r->nbind; i++)
        syno_buf_printf(out, "%s%s=%lld", i ? ", " : "", r->bind[i].name, (long long)r->bind[i].value);
    if (r->bind_block) syno_buf_printf(out, "  (bind block %s)", r->bind_block);
}

/* See repl.h. */
bool syno_repl_bound(syno_repl *r, const syno_op *op, syno_binding *b, int64_t **sizes)
{
    syno_binding_defaults(op->vars, b);
    b->name = r->bind_block;
    *sizes = NULL;
    for (int i = 0; i < r->nbind; i++) {
        int v = syno_vars_find(op->vars, r->bind[i].name);
        if (v >= 0) b->val[v] = r->bind[i].value;
    }
    if (!r->nbind) return true;
    syno_buf miss = SYNO_BUF_INIT, hint = SYNO_BUF_INIT;
    int n = 0;
    for (int v = 0; v < op->vars->n; v++) {
        bool used = false;
        for (int d = 0; d < op->ndims && !used; d++) used = op->dims[d].size.e[v] != 0;
        if (!used || b->val[v] > 0) continue;
        syno_buf_printf(&miss, "%s%s", n ? ", " : "", op->vars->v[v].name);
        syno_buf_printf(&hint, "%s%s=...", n ? "," : "", op->vars->v[v].name);
        n++;
    }
    if (n) {
        syno_repl_error(r, "the binding gives no value to %s (used by %s); add %s with :bind %s, or :unbind to see "
                           "symbolic sizes", syno_buf_str(&miss), op->name, n == 1 ? "it" : "them",
                        syno_buf_str(&hint));
        syno_buf_fini(&miss);
        syno_buf_fini(&hint);
        return false;
    }
    syno_buf_fini(&miss);
    syno_buf_fini(&hint);
    if (!syno_op_check_binding(op, b, &r->ctx->diags, syno_range_make(0, 0))) {
        syno_repl_flush_diags(r);
        return false;
    }
    *sizes = syno_xmalloc((size_t)(op->ndims + 1) * sizeof **sizes);
    if (!syno_op_eval_sizes(op, b, *sizes)) {
        free(*sizes);
        *sizes = NULL;
        syno_repl_error(r, "a size of %s does not evaluate under the binding", op->name);
        return false;
    }
    return true;
}
