/* repl_complete.c - what Tab offers in the REPL, independent of readline.
 *
 * Two contexts.  At the start of a fresh statement a word beginning with
 * ':' is a command name, and the words after a command are its arguments,
 * completed by the kinds repl_cmds.def gives (operators, files, binding
 * items, ...).  Anywhere else the text is the language, and the candidates
 * are its keywords, the primitives of prims.def, the session's operators,
 * variables and dimension names, the standard library's operators, and the
 * identifiers already typed in the statement (the dimensions of an operator
 * that is still being written are in scope only there).  readline calls
 * this through repl_edit.c; the :complete command prints the same list, so
 * completion is testable without a terminal. */
#include "interp/repl.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>


/* The :list sections (see syno_repl_list). */
static const char *const sections[] = {"vars", "ops", "binds", "searches"};

#define LANG_BREAKS " \t\n\"'`@$><=;|&{(,[]):*/^+-#."
#define ARG_BREAKS " \t"
#define BIND_BREAKS " \t,="

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

/* When LINE[0..POINT) is a command line, returns the command (or NULL when
 * the name is unknown or still being typed) and sets *ARG to the index of
 * the argument being typed (0 = the name itself).  Returns NULL with *ARG
 * = -1 for language text. */
static const syno_repl_cmd *command_context(const syno_repl *r, const char *line, int point, int *arg)
{
    *arg = -1;
    if (r->pending.len) return NULL;
    const char *p = skip_blanks(line);
    if (*p != ':' || p - line > point) return NULL;
    const char *end = line + point;
    const char *name = p + 1;
    const char *q = name;
    while (q < end && *q != ' ' && *q != '\t') q++;
    *arg = 0;
    if (q == end) return NULL;
    char buf[64];
    size_t n = (size_t)(q - name) < sizeof buf - 1 ? (size_t)(q - name) : sizeof buf - 1;
    memcpy(buf, name, n);
    buf[n] = 0;
    const syno_repl_cmd *c = syno_repl_cmd_find(buf);
    /* count the words between the name and the point */
    int words = 0;
    bool in_word = false;
    for (; q < end; q++) {
        bool blank = *q == ' ' || *q == '\t';
        if (!blank && !in_word) words++;
        in_word = !blank;
    }
    *arg = in_word ? words : words + 1;
    return c;
}

/* The completion letter of argument ARG (1-based) of C, or 0. */
static char arg_kind(const syno_repl_cmd *c, int arg)
{
    const char *k = c->complete;
    int n = (int)strlen(k);
    if (n == 0) return 0;
    bool repeat = k[n - 1] == '*';
    if (repeat) n--;
    if (arg <= n) return k[arg - 1];
    return repeat && n > 0 ? k[n - 1] : 0;
}

/* See repl.h. */
const char *syno_repl_word_breaks(const syno_repl *r, const char *line, int point)
{
    int arg;
    const syno_repl_cmd *c = command_context(r, line, point, &arg);
    if (arg < 0) return LANG_BREAKS;
    if (arg == 0 || !c) return ARG_BREAKS;
    char k = arg_kind(c, arg);
    return k == 'b' || k == 'u' ? BIND_BREAKS : ARG_BREAKS;
}

/* See repl.h. */
int syno_repl_word_start(const syno_repl *r, const char *line, int point)
{
    const char *breaks = syno_repl_word_breaks(r, line, point);
    int s = point;
    while (s > 0 && !strchr(breaks, line[s - 1])) s--;
    return s;
}

/* ---- candidate lists --------------------------------------------------------- */

static void add(syno_repl_matches *m, const char *word, size_t wlen, const char *cand, const char *suffix)
{
    if (!cand || strncmp(cand, word, wlen) != 0) return;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 32;
        m->v = syno_xrealloc(m->v, (size_t)m->cap * sizeof *m->v);
    }
    size_t a = strlen(cand), b = suffix ? strlen(suffix) : 0;
    char *s = syno_xmalloc(a + b + 1);
    memcpy(s, cand, a);
    if (b) memcpy(s + a, suffix, b);
    s[a + b] = 0;
    m->v[m->n++] = s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(syno_repl_matches *m)
{
    if (m->n < 2) return;
    qsort(m->v, (size_t)m->n, sizeof *m->v, cmp_str);
    int k = 1;
    for (int i = 1; i < m->n; i++) {
        if (strcmp(m->v[i], m->v[k - 1]) == 0) free(m->v[i]);
        else m->v[k++] = m->v[i];
    }
    m->n = k;
}

static void add_ops(syno_repl *r, const char *w, size_t n, syno_repl_matches *m)
{
    if (r->mod)
        for (int i = 0; i < r->mod->nops; i++) add(m, w, n, r->mod->ops[i]->name, NULL);
    syno_ctx_stdlib_op(r->ctx, ""); /* loads the library once */
    for (int s = 0; s < r->ctx->nstdlib; s++)
        for (int i = 0; i < r->ctx->stdlib[s]->nops; i++) add(m, w, n, r->ctx->stdlib[s]->ops[i]->name, NULL);
}

static void add_vars(syno_repl *r, const char *w, size_t n, const char *suffix, syno_repl_matches *m)
{
    if (r->mod)
        for (int v = 0; v < r->mod->vars.n; v++) add(m, w, n, r->mod->vars.v[v].name, suffix);
}

static void add_files(const char *w, size_t n, syno_repl_matches *m)
{
    m->files = true;
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (w[i] == '/') slash = w + i;
    char dir[4096];
    size_t dlen = slash ? (size_t)(slash - w) + 1 : 0;
    if (dlen >= sizeof dir) return;
    memcpy(dir, w, dlen);
    dir[dlen] = 0;
    DIR *d = opendir(dlen ? dir : ".");
    if (!d) return;
    const char *base = w + dlen;
    size_t blen = n - dlen;
    struct dirent *e;
    char path[4096 + 256];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (e->d_name[0] == '.' && (blen == 0 || base[0] != '.')) continue;
        if (strncmp(e->d_name, base, blen) != 0) continue;
        snprintf(path, sizeof path, "%s%s", dir, e->d_name);
        add(m, "", 0, path, NULL);
    }
    closedir(d);
}

/* Identifiers in TEXT[0..N), as candidates. */
static void add_idents(const char *text, size_t len, const char *w, size_t n, syno_repl_matches *m)
{
    size_t i = 0;
    while (i < len) {
        if (text[i] == '#') { /* a comment runs to the end of the line */
            while (i < len && text[i] != '\n') i++;
            continue;
        }
        if (isalpha((unsigned char)text[i]) || text[i] == '_') {
            size_t j = i;
            while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '_')) j++;
            if (j - i >= n && j - i < 128) {
                char id[128];
                memcpy(id, text + i, j - i);
                id[j - i] = 0;
                add(m, w, n, id, NULL);
            }
            i = j;
        } else {
            i++;
        }
    }
}

static void complete_language(syno_repl *r, const char *line, int start, const char *w, size_t n,
                              syno_repl_matches *m)
{
    for (int i = 0; i < SYNO_KEYWORD_COUNT; i++) add(m, w, n, syno_keywords[i], NULL);
    for (int i = 0; i < SYNO_PRIM_COUNT; i++) add(m, w, n, syno_prims[i].name, NULL);
    add_ops(r, w, n, m);
    add_vars(r, w, n, NULL, m);
    if (r->mod)
        for (int i = 0; i < r->mod->nops; i++) {
            const syno_op *op = r->mod->ops[i];
            for (int d = 0; d < op->ndims; d++) add(m, w, n, op->dims[d].name, NULL);
            for (int t = 0; t < op->ntensors; t++) add(m, w, n, op->tensors[t].name, NULL);
        }
    for (int i = 0; r->mod && i < r->mod->nbinds; i++) add(m, w, n, r->mod->binds[i].name, NULL);
    add_idents(r->pending.data ? r->pending.data : "", r->pending.len, w, n, m);
    add_idents(line, (size_t)start, w, n, m);
}

static void complete_arg(syno_repl *r, char kind, const char *w, size_t n, syno_repl_matches *m)
{
    switch (kind) {
    case 'o': add_ops(r, w, n, m); break;
    case 'f': add_files(w, n, m); break;
    case 'n':
        for (int i = 0; i < r->nitems; i++)
            add(m, w, n, r->items[i].var ? r->items[i].var->text : r->items[i].decl->text, NULL);
        break;
    case 'b':
        add_vars(r, w, n, "=", m);
        for (int i = 0; r->mod && i < r->mod->nbinds; i++) add(m, w, n, r->mod->binds[i].name, NULL);
        break;
    case 'u':
        for (int i = 0; i < r->nbind; i++) add(m, w, n, r->bind[i].name, NULL);
        break;
    case 'c':
        for (int i = 0; i < syno_repl_ncmds; i++) add(m, w, n, syno_repl_cmds[i].name, NULL);
        break;
    case 'w':
        for (size_t i = 0; i < SYNO_ARRAY_LEN(sections); i++) add(m, w, n, sections[i], NULL);
        break;
    case 's':
        for (int i = 0; r->mod && i < r->mod->nspecs; i++) add(m, w, n, r->mod->specs[i]->name, NULL);
        add_files(w, n, m);
        break;
    default: break;
    }
}

/* See repl.h. */
void syno_repl_complete(syno_repl *r, const char *line, int start, int point, syno_repl_matches *m)
{
    memset(m, 0, sizeof *m);
    const char *w = line + start;
    size_t n = (size_t)(point - start);
    int arg;
    const syno_repl_cmd *c = command_context(r, line, point, &arg);
    if (arg == 0) {
        if (n > 0 && w[0] == ':')
            for (int i = 0; i < syno_repl_ncmds; i++) {
                char name[64];
                snprintf(name, sizeof name, ":%s", syno_repl_cmds[i].name);
                add(m, w, n, name, NULL);
            }
    } else if (arg > 0) {
        if (c) complete_arg(r, arg_kind(c, arg), w, n, m);
    } else {
        complete_language(r, line, start, w, n, m);
    }
    sort_unique(m);
}

/* See repl.h. */
void syno_repl_matches_fini(syno_repl_matches *m)
{
    for (int i = 0; i < m->n; i++) free(m->v[i]);
    free(m->v);
    memset(m, 0, sizeof *m);
}
