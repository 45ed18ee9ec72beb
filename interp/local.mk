# interp/local.mk - running programs and the command-line driver.
libsyno_a_SOURCES += \
  %reldir%/cli.c %reldir%/cli.h %reldir%/commands.def \
  %reldir%/explain.h \
  %reldir%/cmd_check.c %reldir%/cmd_fmt.c %reldir%/cmd_explain.c \
  %reldir%/cmd_export.c %reldir%/exports.def
bin_PROGRAMS += syno
syno_SOURCES = %reldir%/main.c
