# lang/canon.mk - the canonical rewriter and stable hashing (issue 4):
# the library, `syno canon`, the weight re-layout, the tests (unit tests and
# the corpus of equivalent / near-miss pairs) and the benchmark.
libsyno_a_SOURCES += \
  lang/canon.c lang/canon.h lang/canon_int.h lang/canon_ir.c \
  lang/canon_region.c lang/canon_rules.c lang/canon_label.c lang/canon_print.c \
  interp/canon_apply.c interp/canon_apply.h interp/cmd_canon.c
check_PROGRAMS += tests/unit/t_canon bench/canon_bench
tests_unit_t_canon_SOURCES = tests/unit/t_canon.c tests/tap.h
bench_canon_bench_SOURCES = bench/canon_bench.c
TESTS += tests/unit/t_canon tests/canon.sh
EXTRA_DIST += tests/canon.sh tests/canon doc/canonical.md
