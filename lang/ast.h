/* ast.h - the abstract syntax tree.
 *
 * One uniform node type (kind, range, text, number, children) serves every
 * construct; ast_nodes.def lists the kinds and what each holds.  Nodes live
 * in the module's arena.  The AST is used for diagnostics and formatting
 * only: the operator graph (graph.h) is the source of truth for meaning. */
#ifndef SYNO_AST_H
#define SYNO_AST_H

#include "base/arena.h"
#include "base/buf.h"
#include "lang/source.h"

typedef enum syno_ast_kind {
#define SYNO_AST(e, name, doc) SYNO_AST_##e,
#include "lang/ast_nodes.def"
#undef SYNO_AST
    SYNO_AST_KIND_COUNT
} syno_ast_kind;

typedef struct syno_ast {
    syno_ast_kind kind;
    int height;              /* levels of children below it (0: none) */
    syno_range range;
    const char *text;
    int64_t ival;
    double fval;
    struct syno_ast *kids, *last, *next;
    int nkids;
} syno_ast;

syno_ast *syno_ast_new(syno_arena *a, syno_ast_kind kind, syno_range r);
syno_ast *syno_ast_append(syno_ast *parent, syno_ast *kid);
void syno_ast_dump(const syno_ast *n, const syno_source *src, syno_buf *out);

#endif
