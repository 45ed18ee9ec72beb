# codegen/plan.mk - staged plans, the multithreaded CPU executor of plans,
# `syno bench` and their tests (issue 3, part 2).
libsyno_a_SOURCES += \
  codegen/plan.h codegen/plan_int.h codegen/plan.c codegen/plan_problem.c \
  codegen/plan_search.c codegen/plan_solve.c codegen/plan_print.c
check_PROGRAMS += tests/unit/t_plan
tests_unit_t_plan_SOURCES = tests/unit/t_plan.c tests/tap.h tests/unit/test_bind.h
TESTS += tests/unit/t_plan
libsyno_a_SOURCES += \
  codegen/cpu.h codegen/cpu_int.h codegen/cpu.c \
  codegen/cpu_access.c codegen/cpu_digits.c codegen/cpu_stage.c codegen/cpu_gemm.c codegen/cpu_generic.c codegen/cpu_fused.c codegen/cpu_sgemm.c codegen/cpu_backend.c \
  interp/cmd_bench.c
check_PROGRAMS += tests/unit/t_cpu
tests_unit_t_cpu_SOURCES = tests/unit/t_cpu.c tests/tap.h tests/unit/test_bind.h
TESTS += tests/unit/t_cpu
# Benchmarks: built by make check (so they keep compiling), never run by
# it; bench/cpu.sh runs them and prints the figures.
check_PROGRAMS += bench/cpu_conv
bench_cpu_conv_SOURCES = bench/cpu_conv.c
EXTRA_DIST += bench/cpu.sh
TESTS += tests/cpu.sh
EXTRA_DIST += tests/cpu.sh tests/cpu/grouped.syno bench/grouped.syno
