/* fuzz_dict.c - prints the libFuzzer dictionary of the language harnesses
 * (`make fuzz` writes it to tests/fuzz/syno.dict in the build tree): the
 * reserved words, primitives, search settings, options, metrics and
 * algorithms from the tables the scanner and checker use, the REPL's
 * :commands, and the punctuation of the grammar.  Generated from the
 * tables, it cannot fall behind the language. */
#include "interp/repl.h"
#include "lang/graph.h"
#include "lang/parser.h"
#include "lang/spec.h"

#include <stdio.h>

static void entry(const char *prefix, const char *word)
{
    printf("\"%s", prefix);
    for (const char *p = word; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 32 || *p > 126) printf("\\x%02x", (unsigned char)*p);
        else putchar(*p);
    }
    puts("\"");
}

int main(void)
{
    static const char *const punct[] = {"->", "..", "<=", ">=", "(", ")", "[", "]", "{", "}",
                                        ",", ";", ":", "=", "*", "/", "^", "-", "+", "#", "\""};
    for (int i = 0; i < SYNO_KEYWORD_COUNT; i++) entry("", syno_keywords[i]);
    for (int i = 0; i < SYNO_PRIM_COUNT; i++) entry("", syno_prims[i].name);
    for (int i = 0; i < SYNO_SPEC_ITEM_COUNT; i++) entry("", syno_spec_item_names[i]);
    for (int i = 0; i < SYNO_OPT_COUNT; i++) entry("", syno_spec_opts[i].name);
    for (int i = 0; i < SYNO_METRIC_COUNT; i++) entry("", syno_metric_names[i]);
    for (int i = 0; i < SYNO_ALG_COUNT; i++) entry("", syno_algorithm_names[i]);
    for (int i = 0; i < syno_repl_ncmds; i++) entry(":", syno_repl_cmds[i].name);
    for (size_t i = 0; i < SYNO_ARRAY_LEN(punct); i++) entry("", punct[i]);
    return 0;
}
