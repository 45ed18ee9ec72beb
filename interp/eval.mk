# interp/eval.mk - the reference evaluator, .npy files, random operators,
# the graph printer and `syno run` (issue 3, part 1), with their tests.
libsyno_a_SOURCES += \
  interp/eval.c interp/eval.h \
  interp/npy.c interp/npy.h \
  lang/randop.c lang/randop.h \
  lang/graph_print.c lang/graph_print.h
libsyno_a_SOURCES += \
  interp/backend.c interp/backend.h interp/backends.def \
  interp/cmd_run.c
