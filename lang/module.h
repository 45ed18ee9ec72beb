/* module.h - a checked .syno file, and the context that loads files.
 *
 * A context (syno_ctx) owns a source manager and one diagnostics list and
 * loads modules into it: a module is one source text with its AST, its size
 * variables, operators (as graphs), bindings and searches.  Modules are
 * separate namespaces; a bare operator name is looked up in the standard
 * library, which the context loads on first use. */
#ifndef SYNO_MODULE_H
#define SYNO_MODULE_H

#include "lang/ast.h"
#include "lang/diag.h"
#include "lang/graph.h"
#include "lang/parser.h"
#include "lang/size.h"
#include "lang/spec.h"

/* Limits of one file (doc/language.md, "Limits"): declarations past them
 * are reported once and not checked, so that a huge file costs time and
 * memory in proportion to what is checked.  Every operator is checked
 * under every bind block, hence the product. */
#define SYNO_MAX_OPS 10000
#define SYNO_MAX_BINDS 1000
#define SYNO_MAX_SEARCHES 1000

typedef struct syno_bindecl {
    const char *name;
    syno_range range;
    syno_binding b;                     /* only the values the block gives */
    syno_range val_range[SYNO_MAX_VARS];
} syno_bindecl;

typedef struct syno_module {
    syno_arena *arena;
    struct syno_ctx *ctx;
    const syno_source *src;
    syno_ast *ast;
    syno_range *comments;
    int ncomments;
    int syntax_errors;
    int errors;                         /* all errors found in this module */
    bool checked;
    syno_vars vars;
    syno_op **ops;
    int nops;
    syno_bindecl *binds;
    int nbinds;
    syno_spec **specs;
    int nspecs;
    /* loaded from a file by syno_ctx_load_file: which file, as it was then */
    bool from_file;
    uint64_t file_dev, file_ino, file_size, file_mtime_ns;
} syno_module;

typedef struct syno_ctx {
    syno_srcmgr *srcs;
    syno_diags diags;
    syno_module **mods;
    int nmods, capmods;
    char *stdlib_dir;                   /* resolved on first use */
    bool stdlib_loaded;
    syno_module **stdlib;
    int nstdlib;
} syno_ctx;

syno_ctx *syno_ctx_new(void);
void syno_ctx_free(syno_ctx *ctx);
syno_module *syno_ctx_parse_file(syno_ctx *ctx, const char *path);
syno_module *syno_ctx_parse_string(syno_ctx *ctx, const char *name, const char *text, size_t len);
syno_module *syno_ctx_load_file(syno_ctx *ctx, const char *path);
syno_module *syno_ctx_load_string(syno_ctx *ctx, const char *name, const char *text, size_t len);
void syno_module_check(syno_module *m);
const char *syno_ctx_stdlib_dir(syno_ctx *ctx);
syno_op *syno_ctx_stdlib_op(syno_ctx *ctx, const char *name);

syno_op *syno_module_find_op(const syno_module *m, const char *name);
const syno_bindecl *syno_module_find_bind(const syno_module *m, const char *name);
syno_spec *syno_module_find_spec(const syno_module *m, const char *name);

void syno_sema_module(syno_module *m);

/* Suggestion helper: the candidate closest to NAME by edit distance, or
 * NULL when none is close enough to be a likely typo. */
const char *syno_suggest(const char *name, const char *const *cands, int n);

#endif
