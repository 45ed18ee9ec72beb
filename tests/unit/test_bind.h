/* test_bind.h - a binding from "N=2,k=3" for unit tests: binds the
 * variables the text names that OP's module declares (others keep their
 * defaults, unknown names are ignored).  The CLI's --bind is strict; tests
 * that run one binding text over many operators want this loose form. */
#ifndef SYNO_TEST_BIND_H
#define SYNO_TEST_BIND_H

#include "lang/graph.h"

#include <stdlib.h>
#include <string.h>

static inline void bind_loose(const syno_op *op, const char *spec, syno_binding *b)
{
    syno_binding_defaults(op->vars, b);
    char *copy = strdup(spec), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        int v = syno_vars_find(op->vars, tok);
        if (v >= 0) b->val[v] = atoll(eq + 1);
    }
    free(copy);
}

#endif
