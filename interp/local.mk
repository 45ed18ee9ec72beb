# interp/local.mk - the driver and the interpreter: the `syno` command and
# its subcommands (commands.def, one cmd_<name>.c each), the REPL, the
# reference evaluator, .npy files, the table of backends, the exports and
# the weight re-layout of `syno canon`.
libsyno_a_SOURCES += \
  %reldir%/cli.c %reldir%/cli.h %reldir%/commands.def \
  %reldir%/cmd_check.c %reldir%/cmd_fmt.c %reldir%/cmd_explain.c %reldir%/explain.h \
  %reldir%/cmd_canon.c %reldir%/canon_apply.c %reldir%/canon_apply.h \
  %reldir%/cmd_export.c %reldir%/exports.def %reldir%/export_dot.c %reldir%/export_pytorch.c \
  %reldir%/export_cuda.c \
  %reldir%/eval.c %reldir%/eval.h \
  %reldir%/npy.c %reldir%/npy.h \
  %reldir%/backend.c %reldir%/backend.h %reldir%/backends.def \
  %reldir%/cmd_run.c %reldir%/cmd_train.c \
  %reldir%/cmd_bench.c %reldir%/bench.h %reldir%/bench_cpu.c %reldir%/bench_report.c \
  %reldir%/cmd_enumerate.c %reldir%/cmd_reach.c %reldir%/cmd_search.c %reldir%/cmd_results.c \
  %reldir%/repl.h %reldir%/repl.c %reldir%/repl_session.c %reldir%/repl_bind.c \
  %reldir%/repl_cmds.c %reldir%/repl_cmds.def %reldir%/repl_complete.c \
  %reldir%/repl_edit.c %reldir%/repl_walk.c %reldir%/cmd_repl.c
bin_PROGRAMS += syno
syno_SOURCES = %reldir%/main.c
# `syno report` (issue 16): a search's results store as one HTML page.
libsyno_a_SOURCES += \
  %reldir%/svg_plot.c %reldir%/svg_plot.h %reldir%/report.h %reldir%/report_data.c \
  %reldir%/report_plots.c %reldir%/report_table.c %reldir%/report_ops.c %reldir%/report_page.c \
  %reldir%/cmd_report.c
