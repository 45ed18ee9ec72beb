/* parse.y - the grammar of the .syno language (pure, reentrant, located).
 *
 * The grammar only builds the AST; names, sizes and primitives are checked
 * by sema.c.  Primitive names are ordinary identifiers in call position, and
 * the items of a search block are a head word followed by comma-separated
 * clauses of terms, so that their validation (and its messages) lives in one
 * place, in C, instead of in grammar conflicts.  Error recovery resumes at
 * the next ';' or '}' so one run reports several syntax errors. */
%code top {
#include "config.h"
}

%code requires {
#include "lang/parser.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
#define YYLLOC_DEFAULT(Cur, Rhs, N)                              \
    do {                                                         \
        if (N) {                                                 \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                \
            (Cur).end = YYRHSLOC(Rhs, N).end;                    \
        } else {                                                 \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;      \
        }                                                        \
    } while (0)
}

%code {
#include <limits.h>
#include <string.h>

int syno_yylex(SYNO_YYSTYPE *lval, SYNO_YYLTYPE *lloc, yyscan_t scanner);
static void syno_yyerror(SYNO_YYLTYPE *loc, yyscan_t scanner, struct syno_parser *p, const char *msg);

#define YYMAXDEPTH 1000
#define YYINITDEPTH 200

#define NODE(kind, loc) syno_ast_new(p->arena, SYNO_AST_##kind, (loc))
#define ADD(parent, kid) syno_ast_append((parent), (kid))

static void too_deep(struct syno_parser *p, syno_range loc)
{
    syno_diag_error(p->diags, loc, "nesting too deep: expressions and lists may nest about %d levels",
                    SYNO_MAX_NESTING);
    p->errors++;
}

/* A binary operation.  Chains of left-associative operators do not deepen
 * the parser's stack, only the tree: past SYNO_MAX_NESTING levels the
 * chain is reported once and cut (the left side is kept), so that no later
 * pass recurses deeper than that. */
static syno_ast *binop(struct syno_parser *p, int op, syno_ast *l, syno_ast *r, syno_range loc)
{
    enum { CUT = INT_MAX / 2 }; /* the height of a cut chain: reported already */
    if (l->height >= SYNO_MAX_NESTING || r->height >= SYNO_MAX_NESTING) {
        if (l->height < CUT && r->height < CUT) too_deep(p, r->range);
        l->height = CUT;
        return l;
    }
    syno_ast *n = syno_ast_new(p->arena, SYNO_AST_BINOP, loc);
    n->ival = op;
    return syno_ast_append(syno_ast_append(n, l), r);
}

static syno_ast *punct(struct syno_parser *p, const char *text, syno_range loc)
{
    syno_ast *n = syno_ast_new(p->arena, SYNO_AST_PUNCT, loc);
    n->text = text;
    return n;
}

static syno_ast *named(syno_ast *n, syno_ast *name)
{
    n->text = name->text;
    return n;
}
}

%define api.pure full
%define api.prefix {syno_yy}
%define api.token.prefix {TOK_}
%define api.value.type {syno_ast *}
%define api.location.type {syno_range}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {struct syno_parser *p}

%token SIZE "'size'" COEF "'coef'" OP "'op'" WEIGHT "'weight'" BIND "'bind'" SEARCH "'search'"
%token IDENT "identifier" INT "integer" REAL "number" STRING "string"
%token ARROW "'->'" DOTDOT "'..'" LE "'<='" GE "'>='"

%left '+' '-'
%left '*' '/'
%precedence NEG
%right '^'

%%

file:
    %empty
  | file decl               { ADD(p->root, $2); }
  ;

decl:
    SIZE var_list ';'       { $$ = $2; $$->kind = SYNO_AST_SIZE_DECL; $$->range = @$; }
  | COEF var_list ';'       { $$ = $2; $$->kind = SYNO_AST_COEF_DECL; $$->range = @$; }
  | op_decl
  | bind_decl
  | search_decl
  | error ';'               { $$ = NULL; }
  | error '}'               { $$ = NULL; }
  ;

var_list:
    var                     { $$ = ADD(NODE(SIZE_DECL, @$), $1); }
  | var_list ',' var        { $$ = ADD($1, $3); }
  ;

var:
    IDENT                   { $$ = named(NODE(VAR, @$), $1); }
  | IDENT '=' expr          { $$ = ADD(named(NODE(VAR, @$), $1), $3); }
  ;

/* ---- operators ---------------------------------------------------------- */

op_decl:
    OP IDENT '(' tensor ')' ARROW '[' out_list ']' '{' stmts '}'
                            { $$ = ADD(ADD(ADD(named(NODE(OP, @$), $2), $4), $8), $11); }
  | OP IDENT error '{' stmts '}'
                            { $$ = ADD(named(NODE(OP, @$), $2), $5); }
  ;

tensor:
    IDENT '[' axis_list ']' { $$ = $3; $$->range = @$; named($$, $1); }
  ;

axis_list:
    axis                    { $$ = ADD(NODE(TENSOR, @$), $1); }
  | axis_list ',' axis      { $$ = ADD($1, $3); }
  ;

axis:
    IDENT ':' expr          { $$ = ADD(named(NODE(AXIS, @$), $1), $3); }
  ;

out_list:
    out_axis                { $$ = ADD(NODE(OUTPUTS, @$), $1); }
  | out_list ',' out_axis   { $$ = ADD($1, $3); $$->range = @$; }
  ;

out_axis:
    IDENT                   { $$ = named(NODE(OUTAXIS, @$), $1); }
  | IDENT ':' expr          { $$ = ADD(named(NODE(OUTAXIS, @$), $1), $3); }
  ;

stmts:
    %empty                  { $$ = NODE(BODY, @$); }
  | stmts stmt              { $$ = ADD($1, $2); $$->range = syno_range_join($1->range, @2); }
  ;

stmt:
    WEIGHT tensor ';'       { $$ = ADD(NODE(WEIGHT, @$), $2); }
  | name_list '=' expr ';'  { $$ = ADD($1, $3); $$->range = @$; }
  | expr ';'                { $$ = ADD(NODE(EXPR_STMT, @$), $1); }
  | error ';'               { $$ = NODE(ERROR, @$); }
  ;

name_list:
    IDENT                   { $$ = ADD(NODE(ASSIGN, @$), $1); }
  | name_list ',' IDENT     { $$ = ADD($1, $3); }
  ;

/* ---- expressions: dimensions, sizes, calls --------------------------- */

expr:
    IDENT
  | INT
  | REAL
  | IDENT '(' ')'           { $$ = named(NODE(CALL, @$), $1); }
  | IDENT '(' args ')'      { $$ = $3; $$->range = @$; named($$, $1); }
  | '(' expr ')'            { $$ = ADD(NODE(PAREN, @$), $2); }
  | '-' expr %prec NEG      { $$ = ADD(NODE(NEG, @$), $2); }
  | expr '*' expr           { $$ = binop(p, '*', $1, $3, @$); }
  | expr '/' expr           { $$ = binop(p, '/', $1, $3, @$); }
  | expr '+' expr           { $$ = binop(p, '+', $1, $3, @$); }
  | expr '-' expr           { $$ = binop(p, '-', $1, $3, @$); }
  | expr '^' expr           { $$ = binop(p, '^', $1, $3, @$); }
  ;

args:
    expr                    { $$ = ADD(NODE(CALL, @$), $1); }
  | args ',' expr           { $$ = ADD($1, $3); }
  ;

/* ---- bindings ------------------------------------------------------------- */

bind_decl:
    BIND IDENT '{' '}'      { $$ = named(NODE(BIND, @$), $2); }
  | BIND IDENT '{' kv_list opt_comma '}'
                            { $$ = $4; $$->range = @$; named($$, $2); }
  | BIND IDENT '{' error '}'
                            { $$ = NULL; }
  ;

kv_list:
    kv                      { $$ = ADD(NODE(BIND, @$), $1); }
  | kv_list ',' kv          { $$ = ADD($1, $3); }
  ;

kv:
    IDENT '=' expr          { $$ = ADD(named(NODE(KV, @$), $1), $3); }
  ;

opt_comma:
    %empty
  | ','
  ;

/* ---- searches ----------------------------------------------------------- */

search_decl:
    SEARCH IDENT '{' items '}'
                            { $$ = $4; $$->range = @$; named($$, $2); }
  | SEARCH IDENT error '{' items '}'
                            { $$ = NULL; }
  ;

items:
    %empty                  { $$ = NODE(SEARCH, @$); }
  | items item              { $$ = ADD($1, $2); }
  ;

item:
    head ';'                { $$ = named(NODE(ITEM, @$), $1); }
  | head clauses ';'        { $$ = $2; $$->range = @$; named($$, $1); }
  | error ';'               { $$ = NULL; }
  ;

head:
    IDENT
  | SIZE                    { $$ = NODE(NAME, @$); $$->text = "size"; }
  | COEF                    { $$ = NODE(NAME, @$); $$->text = "coef"; }
  ;

clauses:
    clause                  { $$ = ADD(NODE(ITEM, @$), $1); }
  | clauses ',' clause      { $$ = ADD($1, $3); }
  ;

clause:
    term                    { $$ = ADD(NODE(CLAUSE, @$), $1); }
  | clause term             { $$ = ADD($1, $2); $$->range = @$; }
  ;

term:
    IDENT
  | INT
  | REAL
  | STRING
  | shape
  | ':'                     { $$ = punct(p, ":", @$); }
  | '='                     { $$ = punct(p, "=", @$); }
  | DOTDOT                  { $$ = punct(p, "..", @$); }
  | LE                      { $$ = punct(p, "<=", @$); }
  | GE                      { $$ = punct(p, ">=", @$); }
  | '<'                     { $$ = punct(p, "<", @$); }
  | '>'                     { $$ = punct(p, ">", @$); }
  | '*'                     { $$ = punct(p, "*", @$); }
  | '/'                     { $$ = punct(p, "/", @$); }
  | '+'                     { $$ = punct(p, "+", @$); }
  | '-'                     { $$ = punct(p, "-", @$); }
  ;

shape:
    '[' ']'                 { $$ = NODE(SHAPE, @$); }
  | '[' shape_axes ']'      { $$ = $2; $$->range = @$; }
  ;

shape_axes:
    shape_axis              { $$ = ADD(NODE(SHAPE, @$), $1); }
  | shape_axes ',' shape_axis
                            { $$ = ADD($1, $3); }
  ;

shape_axis:
    expr                    { $$ = ADD(NODE(SHAPE_AXIS, @$), $1); }
  | expr ':' attrs          { $$ = ADD(NODE(SHAPE_AXIS, @$), $1);
                              for (syno_ast *a = $3->kids, *n; a; a = n) { n = a->next; ADD($$, a); } }
  ;

attrs:
    IDENT                   { $$ = ADD(NODE(SHAPE_AXIS, @$), $1); }
  | attrs IDENT             { $$ = ADD($1, $2); }
  ;

%%

static void syno_yyerror(SYNO_YYLTYPE *loc, yyscan_t scanner, struct syno_parser *p, const char *msg)
{
    (void)scanner;
    if (strstr(msg, "exhausted")) {
        too_deep(p, *loc);
        return;
    }
    syno_diag_error(p->diags, *loc, "%s", msg);
    p->errors++;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, struct syno_parser *p)
{
    (void)scanner;
    syno_buf b = SYNO_BUF_INIT;
    yysymbol_kind_t tok = yypcontext_token(ctx);
    const SYNO_YYLTYPE *loc = yypcontext_location(ctx);
    if (tok == YYSYMBOL_YYEOF) {
        syno_buf_puts(&b, "incomplete input: unexpected end of input");
        p->diags->incomplete = true;
    } else if (tok == YYSYMBOL_IDENT || tok == YYSYMBOL_INT || tok == YYSYMBOL_REAL) {
        uint32_t a = loc->start - p->src->base, len = loc->end - loc->start;
        syno_buf_printf(&b, "unexpected %s '%.*s'", yysymbol_name(tok), len > 40 ? 40 : (int)len,
                        p->src->text + a);
    } else {
        syno_buf_printf(&b, "unexpected %s", yysymbol_name(tok));
    }
    yysymbol_kind_t expected[8];
    int n = yypcontext_expected_tokens(ctx, expected, 8);
    /* A ';' that would have been accepted and a next token on a later line:
     * say so at the end of the line, where the ';' is missing. */
    bool semi = false;
    for (int i = 0; i < n; i++) semi |= strcmp(yysymbol_name(expected[i]), "';'") == 0;
    if (semi && tok != YYSYMBOL_YYEOF && p->prev_end && p->prev_end < loc->start &&
        memchr(p->src->text + (p->prev_end - p->src->base), '\n', loc->start - p->prev_end)) {
        syno_diag_error(p->diags, syno_range_make(p->prev_end, p->prev_end), "missing ';' at the end of this line");
        syno_buf_fini(&b);
        p->errors++;
        return 0;
    }
    if (n > 6) {
        /* Too many choices to list; a missing closing bracket is the likely one. */
        int m = 0;
        for (int i = 0; i < n; i++) {
            const char *name = yysymbol_name(expected[i]);
            if (strcmp(name, "')'") && strcmp(name, "']'") && strcmp(name, "'}'")) continue;
            syno_buf_printf(&b, "%s%s", m++ ? " or " : ", expected ", name);
        }
    } else if (n > 0) {
        syno_buf_puts(&b, ", expected ");
        for (int i = 0; i < n; i++) {
            if (i) syno_buf_puts(&b, i + 1 == n ? " or " : ", ");
            syno_buf_puts(&b, expected[i] == YYSYMBOL_YYEOF ? "end of input" : yysymbol_name(expected[i]));
        }
    }
    syno_diag_error(p->diags, *loc, "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
    p->errors++;
    return 0;
}
