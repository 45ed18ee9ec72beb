/* sema.h - helpers shared by the checkers of a module (sema.c, spec.c). */
#ifndef SYNO_SEMA_H
#define SYNO_SEMA_H

#include "lang/module.h"

bool syno_sema_int(const syno_ast *e, int64_t *out);
bool syno_sema_size(syno_module *m, const syno_ast *e, syno_size *out);
int syno_sema_declare_var(syno_module *m, const char *name, syno_var_kind kind, int64_t value, syno_range r);
void syno_sema_binding(const syno_module *m, const syno_bindecl *bd, syno_binding *out);
syno_spec *syno_sema_spec(syno_module *m, const syno_ast *n);

#endif
