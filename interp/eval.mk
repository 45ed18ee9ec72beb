# interp/eval.mk - the reference evaluator, .npy files, random operators,
# the graph printer, the backend table and `syno run` (issue 3, part 1),
# with their tests and benchmark.
libsyno_a_SOURCES += \
  interp/eval.c interp/eval.h \
  interp/npy.c interp/npy.h \
  lang/randop.c lang/randop.h \
  lang/graph_print.c lang/graph_print.h \
  interp/backend.c interp/backend.h interp/backends.def \
  interp/cmd_run.c

check_PROGRAMS += tests/unit/t_eval tests/unit/t_randop tests/unit/t_npy tests/randop_dump
tests_unit_t_eval_SOURCES = tests/unit/t_eval.c tests/tap.h
tests_unit_t_randop_SOURCES = tests/unit/t_randop.c tests/tap.h
tests_unit_t_npy_SOURCES = tests/unit/t_npy.c tests/tap.h
tests_randop_dump_SOURCES = tests/randop_dump.c
TESTS += tests/unit/t_eval tests/unit/t_randop tests/unit/t_npy tests/run.sh
EXTRA_DIST += tests/run.sh bench/ref_eval.py
