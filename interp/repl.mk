# interp/repl.mk - the interactive REPL (`syno`, `syno repl`) and the Graphviz
# DOT export (`syno export --dot`, :dot).  Included by Makefile.am.
libsyno_a_SOURCES += \
  %reldir%/repl.h %reldir%/repl.c %reldir%/repl_session.c %reldir%/repl_bind.c \
  %reldir%/repl_cmds.c %reldir%/repl_cmds.def %reldir%/repl_complete.c \
  %reldir%/repl_edit.c %reldir%/repl_walk.c %reldir%/cmd_repl.c %reldir%/export_dot.c \
  codegen/dot.c codegen/dot.h
TESTS += tests/repl.sh tests/repl_tmux.sh
EXTRA_DIST += tests/repl.sh tests/repl_tmux.sh tests/repl
