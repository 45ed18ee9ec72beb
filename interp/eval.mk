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
check_PROGRAMS += tests/unit/t_eval
tests_unit_t_eval_SOURCES = tests/unit/t_eval.c tests/tap.h
TESTS += tests/unit/t_eval
check_PROGRAMS += tests/unit/t_randop
tests_unit_t_randop_SOURCES = tests/unit/t_randop.c tests/tap.h
TESTS += tests/unit/t_randop
check_PROGRAMS += tests/unit/t_npy
tests_unit_t_npy_SOURCES = tests/unit/t_npy.c tests/tap.h
TESTS += tests/unit/t_npy
TESTS += tests/run.sh
EXTRA_DIST += tests/run.sh
check_PROGRAMS += tests/randop_dump
tests_randop_dump_SOURCES = tests/randop_dump.c
