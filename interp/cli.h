/* cli.h - what the subcommands of the `syno` driver share: exit codes,
 * option helpers, operator references (FILE:OP), bindings from --bind,
 * diagnostics output. */
#ifndef SYNO_CLI_H
#define SYNO_CLI_H

#include "base/json.h"
#include "lang/module.h"

#include <stdio.h>

enum { SYNO_EXIT_OK = 0, SYNO_EXIT_USER = 1, SYNO_EXIT_USAGE = 2 };

typedef struct syno_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args;
    const char *summary;
} syno_command;

#define SYNO_COMMAND(name, args, summary) int syno_cmd_##name(int argc, char **argv);
#include "interp/commands.def"
#undef SYNO_COMMAND

extern const syno_command syno_commands[];
extern const char *syno_cli_command; /* the subcommand being run, for messages */
extern const int syno_ncommands;

int syno_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void syno_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void syno_cli_help(const char *cmd);
int syno_cli_finish(syno_ctx *ctx, int status);

syno_op *syno_cli_find_op(syno_ctx *ctx, const char *ref);
int syno_cli_binding(const syno_op *op, const char *spec, syno_binding *b);
void syno_cli_diags_json(syno_json *j, syno_ctx *ctx);
bool syno_cli_write_file(const char *path, const char *text, size_t len);

#endif
