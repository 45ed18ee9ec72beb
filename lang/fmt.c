/* fmt.c - the canonical printed form of .syno source.
 *
 * Rules (doc/language.md, "Formatting"): four-space indentation; one
 * declaration or statement per line; one blank line between top-level
 * declarations (consecutive size/coef declarations, and consecutive bind
 * blocks, may stay together as the source has them); inside a
 * block, a blank line is kept where the source had one or more; no spaces
 * around * / ^ in sizes, ", " between list elements, " = " in assignments;
 * parentheses only where precedence needs them; comments keep their text and
 * their place: a comment on its own line stays before the construct that
 * follows it, a comment after code on the same line stays there, separated
 * by two spaces.  The printer works on the AST and the comment list of a
 * module without syntax errors; it is idempotent. */
#include "lang/fmt.h"

#include <string.h>

typedef struct fmt {
    const syno_module *m;
    syno_buf *out;
    int next_comment;     /* first comment not yet printed */
    uint32_t last_end;    /* end offset of what was printed last */
} fmt;

static const char *text_at(const fmt *f, uint32_t off)
{
    return f->m->src->text + (off - f->m->src->base);
}

/* True when the source between offsets A and B contains a blank line. */
static bool blank_between(const fmt *f, uint32_t a, uint32_t b)
{
    if (!a || b <= a) return false;
    const char *p = text_at(f, a), *e = text_at(f, b);
    int newlines = 0;
    for (; p < e; p++) {
        if (*p == '\n') {
            if (++newlines >= 2) return true;
        } else if (*p != ' ' && *p != '\t' && *p != '\r') {
            newlines = 0;
        }
    }
    return false;
}

static bool same_line(const fmt *f, uint32_t a, uint32_t b)
{
    if (!a || b < a) return false;
    return memchr(text_at(f, a), '\n', b - a) == NULL;
}

static void put_comment(fmt *f, int i)
{
    syno_range r = f->m->comments[i];
    uint32_t len = r.end - r.start;
    const char *s = text_at(f, r.start);
    while (len > 1 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) len--;
    syno_buf_add(f->out, s, len);
}

/* Prints every pending comment that starts before POS on lines of its own
 * at INDENT, keeping a blank line before a comment where the source had one
 * (except right after an opening brace: FIRST). */
static void comments_before(fmt *f, uint32_t pos, int indent, bool *first)
{
    while (f->next_comment < f->m->ncomments && f->m->comments[f->next_comment].start < pos) {
        syno_range r = f->m->comments[f->next_comment];
        if (!*first && blank_between(f, f->last_end, r.start)) syno_buf_putc(f->out, '\n');
        syno_buf_indent(f->out, indent);
        put_comment(f, f->next_comment++);
        syno_buf_putc(f->out, '\n');
        f->last_end = r.end;
        *first = false;
    }
}

/* After a construct ending at END: a comment starting on the same line is
 * printed after it; then the line ends. */
static void end_line(fmt *f, uint32_t end)
{
    f->last_end = end;
    if (f->next_comment < f->m->ncomments) {
        syno_range r = f->m->comments[f->next_comment];
        if (r.start >= end && same_line(f, end, r.start)) {
            syno_buf_puts(f->out, "  ");
            put_comment(f, f->next_comment++);
            f->last_end = r.end;
        }
    }
    syno_buf_putc(f->out, '\n');
}

/* ---- expressions ------------------------------------------------------------ */

static int prec(const syno_ast *e)
{
    while (e->kind == SYNO_AST_PAREN) e = e->kids;
    if (e->kind == SYNO_AST_BINOP) {
        switch (e->ival) {
        case '+':
        case '-': return 1;
        case '*':
        case '/': return 2;
        case '^': return 4;
        }
    }
    if (e->kind == SYNO_AST_NEG) return 3;
    return 5;
}

static void expr(const syno_ast *e, syno_buf *out);

static void sub(const syno_ast *e, int need, syno_buf *out)
{
    while (e->kind == SYNO_AST_PAREN) e = e->kids;
    bool paren = prec(e) < need;
    if (paren) syno_buf_putc(out, '(');
    expr(e, out);
    if (paren) syno_buf_putc(out, ')');
}

static void expr(const syno_ast *e, syno_buf *out)
{
    switch (e->kind) {
    case SYNO_AST_PAREN:
        sub(e->kids, 0, out);
        break;
    case SYNO_AST_NAME:
    case SYNO_AST_REAL:
        syno_buf_puts(out, e->text);
        break;
    case SYNO_AST_INT:
        syno_buf_printf(out, "%lld", (long long)e->ival);
        break;
    case SYNO_AST_NEG:
        syno_buf_putc(out, '-');
        sub(e->kids, 3, out);
        break;
    case SYNO_AST_BINOP: {
        int p = prec(e);
        const syno_ast *l = e->kids, *r = e->kids->next;
        if (e->ival == '^') {
            sub(l, 5, out); /* right-associative: the left side needs parens at equal precedence */
            syno_buf_putc(out, '^');
            sub(r, 4, out);
        } else {
            sub(l, p, out);
            if (p == 1) syno_buf_printf(out, " %c ", (char)e->ival);
            else syno_buf_putc(out, (char)e->ival);
            sub(r, p + 1, out);
        }
        break;
    }
    case SYNO_AST_CALL:
        syno_buf_printf(out, "%s(", e->text);
        for (const syno_ast *a = e->kids; a; a = a->next) {
            if (a != e->kids) syno_buf_puts(out, ", ");
            sub(a, 0, out);
        }
        syno_buf_putc(out, ')');
        break;
    case SYNO_AST_STRING:
        syno_buf_putc(out, '"');
        for (const char *s = e->text; *s; s++) {
            if (*s == '"' || *s == '\\') syno_buf_putc(out, '\\');
            syno_buf_putc(out, *s);
        }
        syno_buf_putc(out, '"');
        break;
    default:
        SYNO_ASSERT(!"not an expression");
    }
}

/* Appends the canonical text of expression E. */
void syno_fmt_expr(const syno_ast *e, syno_buf *out)
{
    sub(e, 0, out);
}

/* ---- declarations ---------------------------------------------------------------- */

static void tensor(const syno_ast *t, syno_buf *out)
{
    syno_buf_printf(out, "%s[", t->text);
    for (const syno_ast *a = t->kids; a; a = a->next) {
        if (a != t->kids) syno_buf_puts(out, ", ");
        syno_buf_printf(out, "%s: ", a->text);
        syno_fmt_expr(a->kids, out);
    }
    syno_buf_putc(out, ']');
}

static void stmt(const syno_ast *s, syno_buf *out)
{
    switch (s->kind) {
    case SYNO_AST_WEIGHT:
        syno_buf_puts(out, "weight ");
        tensor(s->kids, out);
        break;
    case SYNO_AST_ASSIGN:
        for (const syno_ast *t = s->kids; t != s->last; t = t->next)
            syno_buf_printf(out, "%s%s", t == s->kids ? "" : ", ", t->text);
        syno_buf_puts(out, " = ");
        syno_fmt_expr(s->last, out);
        break;
    case SYNO_AST_EXPR_STMT:
        syno_fmt_expr(s->kids, out);
        break;
    default:
        SYNO_ASSERT(!"not a statement");
    }
    syno_buf_putc(out, ';');
}

static void term(const syno_ast *t, syno_buf *out)
{
    if (t->kind == SYNO_AST_SHAPE) {
        syno_buf_putc(out, '[');
        for (const syno_ast *a = t->kids; a; a = a->next) {
            if (a != t->kids) syno_buf_puts(out, ", ");
            syno_fmt_expr(a->kids, out);
            for (const syno_ast *at = a->kids->next; at; at = at->next)
                syno_buf_printf(out, "%s%s", at == a->kids->next ? ": " : " ", at->text);
        }
        syno_buf_putc(out, ']');
    } else if (t->kind == SYNO_AST_PUNCT) {
        syno_buf_puts(out, t->text);
    } else {
        syno_fmt_expr(t, out);
    }
}

static void item(const syno_ast *it, syno_buf *out)
{
    syno_buf_puts(out, it->text);
    for (const syno_ast *cl = it->kids; cl; cl = cl->next) {
        syno_buf_puts(out, cl == it->kids ? " " : ", ");
        for (const syno_ast *t = cl->kids; t; t = t->next) {
            bool colon = t->kind == SYNO_AST_PUNCT && strcmp(t->text, ":") == 0;
            if (t != cl->kids && !colon) syno_buf_putc(out, ' ');
            term(t, out);
        }
    }
    syno_buf_putc(out, ';');
}

static void vars(const syno_ast *d, syno_buf *out)
{
    syno_buf_puts(out, d->kind == SYNO_AST_SIZE_DECL ? "size " : "coef ");
    for (const syno_ast *v = d->kids; v; v = v->next) {
        if (v != d->kids) syno_buf_puts(out, ", ");
        syno_buf_puts(out, v->text);
        if (v->kids) {
            syno_buf_puts(out, " = ");
            syno_fmt_expr(v->kids, out);
        }
    }
    syno_buf_putc(out, ';');
}

/* Prints the statements or items of a block at one indentation level. */
static void block(fmt *f, const syno_ast *first_kid, uint32_t close, bool search)
{
    bool first = true;
    for (const syno_ast *s = first_kid; s; s = s->next) {
        comments_before(f, s->range.start, 4, &first);
        if (!first && blank_between(f, f->last_end, s->range.start)) syno_buf_putc(f->out, '\n');
        first = false;
        syno_buf_indent(f->out, 4);
        if (search) item(s, f->out);
        else stmt(s, f->out);
        /* comments inside the statement move in front of the next one */
        end_line(f, s->range.end);
    }
    comments_before(f, close, 4, &first);
}

/* The offset just past the first '{' at or after FROM (outside comments:
 * none can come between a header and its brace on valid input without the
 * parser having seen it). */
static uint32_t brace_after(const fmt *f, uint32_t from)
{
    const char *p = text_at(f, from), *end = f->m->src->text + f->m->src->len;
    while (p < end && *p != '{') {
        if (*p == '#')
            while (p < end && *p != '\n') p++;
        else
            p++;
    }
    return (uint32_t)(p - f->m->src->text) + f->m->src->base + 1;
}

static void op_decl(fmt *f, const syno_ast *d)
{
    const syno_ast *param = d->kids, *outs = param->next, *body = outs->next;
    syno_buf *out = f->out;
    syno_buf_printf(out, "op %s(", d->text);
    tensor(param, out);
    syno_buf_puts(out, ") -> [");
    for (const syno_ast *o = outs->kids; o; o = o->next) {
        if (o != outs->kids) syno_buf_puts(out, ", ");
        syno_buf_puts(out, o->text);
        if (o->kids) {
            syno_buf_puts(out, ": ");
            syno_fmt_expr(o->kids, out);
        }
    }
    bool comment_inside = f->next_comment < f->m->ncomments && f->m->comments[f->next_comment].start < d->range.end;
    if (!body->kids && !comment_inside) {
        syno_buf_puts(out, "] {}");
        return;
    }
    syno_buf_puts(out, "] {");
    end_line(f, brace_after(f, outs->range.end)); /* a comment after '{' stays there */
    block(f, body->kids, d->range.end - 1, false);
    syno_buf_putc(out, '}');
}

static void bind_decl(fmt *f, const syno_ast *d)
{
    syno_buf line = SYNO_BUF_INIT;
    syno_buf_printf(&line, "bind %s {", d->text);
    if (!d->kids) syno_buf_putc(&line, '}');
    else {
        for (const syno_ast *kv = d->kids; kv; kv = kv->next) {
            syno_buf_printf(&line, "%s%s = ", kv == d->kids ? " " : ", ", kv->text);
            syno_fmt_expr(kv->kids, &line);
        }
        syno_buf_puts(&line, " }");
    }
    if (line.len <= 100) {
        syno_buf_puts(f->out, syno_buf_str(&line));
    } else {
        syno_buf_printf(f->out, "bind %s {\n", d->text);
        for (const syno_ast *kv = d->kids; kv; kv = kv->next) {
            syno_buf_printf(f->out, "    %s = ", kv->text);
            syno_fmt_expr(kv->kids, f->out);
            syno_buf_puts(f->out, kv->next ? ",\n" : "\n");
        }
        syno_buf_putc(f->out, '}');
    }
    syno_buf_fini(&line);
}

static bool is_var_decl(const syno_ast *d)
{
    return d && (d->kind == SYNO_AST_SIZE_DECL || d->kind == SYNO_AST_COEF_DECL);
}

/* Appends the canonical text of module M, which must have no syntax errors. */
void syno_fmt_module(const syno_module *m, syno_buf *out)
{
    fmt f = {m, out, 0, 0};
    bool first = true;
    const syno_ast *prev = NULL;
    for (const syno_ast *d = m->ast->kids; d; d = d->next) {
        bool had_comments = f.next_comment < m->ncomments && m->comments[f.next_comment].start < d->range.start;
        if (prev) {
            bool same_group = (is_var_decl(prev) && is_var_decl(d)) ||
                              (prev->kind == SYNO_AST_BIND && d->kind == SYNO_AST_BIND);
            bool together = same_group && !had_comments && !blank_between(&f, f.last_end, d->range.start);
            if (!together) syno_buf_putc(out, '\n');
        }
        bool inner_first = true;
        comments_before(&f, d->range.start, 0, &inner_first);
        if (had_comments && blank_between(&f, f.last_end, d->range.start)) syno_buf_putc(out, '\n');
        (void)first;
        switch (d->kind) {
        case SYNO_AST_SIZE_DECL:
        case SYNO_AST_COEF_DECL: vars(d, out); break;
        case SYNO_AST_OP: op_decl(&f, d); break;
        case SYNO_AST_BIND: bind_decl(&f, d); break;
        case SYNO_AST_SEARCH: {
            syno_buf_printf(out, "search %s {", d->text);
            end_line(&f, brace_after(&f, d->range.start));
            block(&f, d->kids, d->range.end - 1, true);
            syno_buf_putc(out, '}');
            break;
        }
        default:
            SYNO_ASSERT(!"unexpected declaration");
        }
        end_line(&f, d->range.end);
        first = false;
        prev = d;
    }
    /* trailing comments at the end of the file */
    if (f.next_comment < m->ncomments && prev) syno_buf_putc(out, '\n');
    bool dummy = true;
    comments_before(&f, UINT32_MAX, 0, &dummy);
}
