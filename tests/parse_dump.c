/* parse_dump.c - prints the AST of a .syno file (for the parse goldens). */
#include "lang/module.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: parse_dump FILE\n");
        return 2;
    }
    syno_ctx *ctx = syno_ctx_new();
    syno_module *m = syno_ctx_parse_file(ctx, argv[1]);
    int status = 1;
    if (m) {
        syno_buf b = SYNO_BUF_INIT;
        syno_ast_dump(m->ast, m->src, &b);
        for (int i = 0; i < m->ncomments; i++) {
            uint32_t l, c;
            syno_source_linecol(m->src, m->comments[i].start, &l, &c);
            syno_buf_printf(&b, "comment @%u:%u\n", l, c);
        }
        fputs(syno_buf_str(&b), stdout);
        syno_buf_fini(&b);
        status = m->syntax_errors ? 1 : 0;
    }
    syno_diags_print(&ctx->diags, stderr);
    syno_ctx_free(ctx);
    return status;
}
