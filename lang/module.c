/* module.c - loading modules into a context; lookups; the standard library. */
#include "lang/module.h"
#include "lang/sema.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Creates a context with an empty source manager and diagnostics list. */
syno_ctx *syno_ctx_new(void)
{
    syno_ctx *ctx = syno_xcalloc(1, sizeof *ctx);
    ctx->srcs = syno_srcmgr_new();
    syno_diags_init(&ctx->diags, ctx->srcs);
    return ctx;
}

static void module_free(syno_module *m)
{
    free(m->ops);
    free(m->binds);
    free(m->specs);
    syno_arena_free(m->arena);
    free(m);
}

/* Frees the context, its sources, diagnostics and every module loaded. */
void syno_ctx_free(syno_ctx *ctx)
{
    if (!ctx) return;
    for (int i = 0; i < ctx->nmods; i++) module_free(ctx->mods[i]);
    free(ctx->mods);
    free(ctx->stdlib);
    free(ctx->stdlib_dir);
    syno_diags_fini(&ctx->diags);
    syno_srcmgr_free(ctx->srcs);
    free(ctx);
}

static syno_module *parse_source(syno_ctx *ctx, const syno_source *src)
{
    syno_module *m = syno_xcalloc(1, sizeof *m);
    m->arena = syno_arena_new();
    m->ctx = ctx;
    m->src = src;
    syno_parse_result r = syno_parse(m->arena, &ctx->diags, src);
    m->ast = r.root;
    m->comments = r.comments;
    m->ncomments = r.ncomments;
    m->syntax_errors = r.syntax_errors;
    m->errors = r.syntax_errors;
    if (ctx->nmods == ctx->capmods) {
        ctx->capmods = ctx->capmods ? 2 * ctx->capmods : 8;
        ctx->mods = syno_xrealloc(ctx->mods, (size_t)ctx->capmods * sizeof *ctx->mods);
    }
    ctx->mods[ctx->nmods++] = m;
    return m;
}

/* Reads and parses the file PATH ("-" is standard input) without checking
 * it.  Returns NULL after reporting an error without a location when the
 * file cannot be read. */
syno_module *syno_ctx_parse_file(syno_ctx *ctx, const char *path)
{
    char err[512];
    const syno_source *src = syno_srcmgr_load(ctx->srcs, path, err, sizeof err);
    if (!src) {
        syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s", err);
        return NULL;
    }
    return parse_source(ctx, src);
}

/* Parses TEXT[0..LEN) named NAME (e.g. "<repl:3>") without checking it.
 * Returns NULL only if the context cannot hold more source text. */
syno_module *syno_ctx_parse_string(syno_ctx *ctx, const char *name, const char *text, size_t len)
{
    const syno_source *src = syno_srcmgr_add(ctx->srcs, name, text, len);
    if (!src) {
        syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s: too much source text loaded", name);
        return NULL;
    }
    return parse_source(ctx, src);
}

/* Checks a parsed module (once). */
void syno_module_check(syno_module *m)
{
    if (!m->checked) syno_sema_module(m);
}

/* Reads, parses and checks the file PATH.  Errors go to the context's
 * diagnostics; the module is returned even when it has errors (see its
 * errors count), NULL only when the file cannot be read.  A file the
 * context loaded already under the same name, and that has not changed
 * since (same device, inode, size and modification time), is not read
 * again: its module is returned (its diagnostics were reported when it
 * was loaded), so that naming the operators of one file many times costs
 * one load. */
syno_module *syno_ctx_load_file(syno_ctx *ctx, const char *path)
{
    struct stat st;
    bool known = strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
    uint64_t mtime = known ? (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec : 0;
    for (int i = 0; known && i < ctx->nmods; i++) {
        syno_module *m = ctx->mods[i];
        if (m->from_file && m->file_dev == (uint64_t)st.st_dev && m->file_ino == (uint64_t)st.st_ino &&
            m->file_size == (uint64_t)st.st_size && m->file_mtime_ns == mtime && strcmp(m->src->name, path) == 0)
            return m;
    }
    syno_module *m = syno_ctx_parse_file(ctx, path);
    if (!m) return NULL;
    if (known) {
        m->from_file = true;
        m->file_dev = (uint64_t)st.st_dev;
        m->file_ino = (uint64_t)st.st_ino;
        m->file_size = (uint64_t)st.st_size;
        m->file_mtime_ns = mtime;
    }
    syno_module_check(m);
    return m;
}

/* Parses and checks TEXT (see syno_ctx_load_file). */
syno_module *syno_ctx_load_string(syno_ctx *ctx, const char *name, const char *text, size_t len)
{
    syno_module *m = syno_ctx_parse_string(ctx, name, text, len);
    if (m) syno_module_check(m);
    return m;
}

/* The operator NAME of M, or NULL. */
syno_op *syno_module_find_op(const syno_module *m, const char *name)
{
    for (int i = 0; i < m->nops; i++)
        if (m->ops[i]->name && strcmp(m->ops[i]->name, name) == 0) return m->ops[i];
    return NULL;
}

/* The bind block NAME of M, or NULL. */
const syno_bindecl *syno_module_find_bind(const syno_module *m, const char *name)
{
    for (int i = 0; i < m->nbinds; i++)
        if (strcmp(m->binds[i].name, name) == 0) return &m->binds[i];
    return NULL;
}

/* The search block NAME of M, or NULL. */
syno_spec *syno_module_find_spec(const syno_module *m, const char *name)
{
    for (int i = 0; i < m->nspecs; i++)
        if (strcmp(m->specs[i]->name, name) == 0) return m->specs[i];
    return NULL;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the standard library lives: $SYNO_STDLIB, else the installed
 * $(pkgdatadir)/stdlib, else the source tree's stdlib/ (so that an
 * uninstalled build works).  Always returns a path, existing or not. */
const char *syno_ctx_stdlib_dir(syno_ctx *ctx)
{
    if (ctx->stdlib_dir) return ctx->stdlib_dir;
    const char *env = getenv("SYNO_STDLIB");
    char buf[4096];
    if (env && *env) snprintf(buf, sizeof buf, "%s", env);
    else {
        snprintf(buf, sizeof buf, "%s/stdlib", SYNO_PKGDATADIR);
        if (!is_dir(buf) && is_dir(SYNO_SRCDIR "/stdlib")) snprintf(buf, sizeof buf, "%s/stdlib", SYNO_SRCDIR);
    }
    ctx->stdlib_dir = syno_xstrdup(buf);
    return ctx->stdlib_dir;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_stdlib(syno_ctx *ctx)
{
    ctx->stdlib_loaded = true;
    const char *dir = syno_ctx_stdlib_dir(ctx);
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".syno") != 0) continue;
        names = syno_xrealloc(names, (size_t)(n + 1) * sizeof *names);
        names[n++] = syno_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    /* The standard library is checked in its own diagnostics list: its
     * errors (a broken installation) must not look like the user's. */
    syno_diags saved = ctx->diags;
    syno_diags_init(&ctx->diags, ctx->srcs);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        syno_module *m = syno_ctx_load_file(ctx, path);
        if (m) {
            ctx->stdlib = syno_xrealloc(ctx->stdlib, (size_t)(ctx->nstdlib + 1) * sizeof *ctx->stdlib);
            ctx->stdlib[ctx->nstdlib++] = m;
        }
        free(names[i]);
    }
    free(names);
    if (ctx->diags.errors) {
        fprintf(stderr, "syno: warning: the standard library in %s has errors:\n", dir);
        syno_diags_print(&ctx->diags, stderr);
    }
    syno_diags_fini(&ctx->diags);
    ctx->diags = saved;
}

/* Finds the standard-library operator NAME, loading the library on first
 * use.  Returns NULL when no library file defines it. */
syno_op *syno_ctx_stdlib_op(syno_ctx *ctx, const char *name)
{
    if (!ctx->stdlib_loaded) load_stdlib(ctx);
    for (int i = 0; i < ctx->nstdlib; i++) {
        syno_op *op = syno_module_find_op(ctx->stdlib[i], name);
        if (op) return op;
    }
    return NULL;
}
