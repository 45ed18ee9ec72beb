/* parser.h - the front door of the scanner and grammar (scan.l, parse.y).
 *
 * syno_parse turns one source text into an AST in the caller's arena and
 * reports lexical and syntax errors into the caller's diagnostics, resuming
 * after each error at the next ';' or '}' so that one run reports several.
 * Comments are not part of the grammar; their ranges are returned so that
 * the formatter can put them back. */
#ifndef SYNO_PARSER_H
#define SYNO_PARSER_H

#include "lang/ast.h"
#include "lang/diag.h"
#include "lang/source.h"

/* The reserved words (lang/keywords.def), indexed by SYNO_KEYWORD_*. */
enum {
#define SYNO_KEYWORD(e, word) SYNO_KEYWORD_##e,
#include "lang/keywords.def"
#undef SYNO_KEYWORD
    SYNO_KEYWORD_COUNT
};
extern const char *const syno_keywords[SYNO_KEYWORD_COUNT];

/* Deepest nesting the grammar accepts (parentheses, calls). */
#define SYNO_MAX_NESTING 200

typedef struct syno_parse_result {
    syno_ast *root;          /* a FILE node, never NULL */
    syno_range *comments;    /* arena array, in source order */
    int ncomments;
    int syntax_errors;       /* lexical + syntax errors in this text */
} syno_parse_result;

/* Internal state shared by scanner and parser; not for other modules. */
typedef struct syno_parser {
    syno_arena *arena;
    syno_diags *diags;
    const syno_source *src;
    uint32_t pos;            /* scanner position, relative to src->text */
    uint32_t tok_end;        /* global end offset of the last token returned */
    uint32_t prev_end;       /* ... and of the one before it */
    syno_ast *root;
    syno_range *comments;
    int ncomments, capcomments;
    int errors;
} syno_parser;

syno_parse_result syno_parse(syno_arena *a, syno_diags *d, const syno_source *src);

#endif
