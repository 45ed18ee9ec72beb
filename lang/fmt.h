/* fmt.h - canonical formatting of .syno source (the `syno fmt` command). */
#ifndef SYNO_FMT_H
#define SYNO_FMT_H

#include "lang/module.h"

void syno_fmt_module(const syno_module *m, syno_buf *out);
void syno_fmt_expr(const syno_ast *e, syno_buf *out);

#endif
