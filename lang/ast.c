/* ast.c - AST construction and the S-expression dump used by golden tests. */
#include "lang/ast.h"

#include <stdio.h>

static const char *kind_names[] = {
#define SYNO_AST(e, name, doc) name,
#include "lang/ast_nodes.def"
#undef SYNO_AST
};

/* Allocates a node of KIND spanning R in arena A. */
syno_ast *syno_ast_new(syno_arena *a, syno_ast_kind kind, syno_range r)
{
    syno_ast *n = SYNO_NEW(a, syno_ast);
    n->kind = kind;
    n->range = r;
    return n;
}

/* Appends KID (may be NULL: ignored) to PARENT's children, updating
 * PARENT's height; returns PARENT. */
syno_ast *syno_ast_append(syno_ast *parent, syno_ast *kid)
{
    if (!kid) return parent;
    kid->next = NULL;
    if (parent->last) parent->last->next = kid;
    else parent->kids = kid;
    parent->last = kid;
    parent->nkids++;
    if (kid->height >= parent->height) parent->height = kid->height + 1;
    return parent;
}

static void dump(const syno_ast *n, const syno_source *src, int depth, syno_buf *out)
{
    syno_buf_indent(out, 2 * depth);
    syno_buf_printf(out, "(%s", kind_names[n->kind]);
    switch (n->kind) {
    case SYNO_AST_INT:
        syno_buf_printf(out, " %lld", (long long)n->ival);
        break;
    case SYNO_AST_REAL:
        syno_buf_printf(out, " %s", n->text);
        break;
    case SYNO_AST_STRING:
        syno_buf_printf(out, " \"%s\"", n->text);
        break;
    case SYNO_AST_BINOP:
        syno_buf_printf(out, " %c", (char)n->ival);
        break;
    default:
        if (n->text) syno_buf_printf(out, " %s", n->text);
    }
    if (src && n->range.start >= src->base && n->range.end <= src->base + src->len) {
        uint32_t l1, c1, l2, c2;
        syno_source_linecol(src, n->range.start, &l1, &c1);
        syno_source_linecol(src, n->range.end, &l2, &c2);
        syno_buf_printf(out, " @%u:%u-%u:%u", l1, c1, l2, c2);
    } else {
        syno_buf_printf(out, " @%u-%u", n->range.start, n->range.end);
    }
    if (!n->kids) {
        syno_buf_puts(out, ")\n");
        return;
    }
    syno_buf_putc(out, '\n');
    for (const syno_ast *k = n->kids; k; k = k->next) dump(k, src, depth + 1, out);
    syno_buf_indent(out, 2 * depth);
    syno_buf_puts(out, ")\n");
}

/* Appends an indented S-expression of N: one node per line, with its kind,
 * text and range (line:col-line:col within SRC; raw offsets when SRC is NULL
 * or does not hold the node). */
void syno_ast_dump(const syno_ast *n, const syno_source *src, syno_buf *out)
{
    dump(n, src, 0, out);
}
