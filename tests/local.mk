# tests/local.mk - the test suite (`make check`), every test of every
# directory: unit tests (C, TAP), golden files, the round trip, the CLI and
# the other shell tests (TAP).
check_PROGRAMS += tests/parse_dump tests/randop_dump
tests_parse_dump_SOURCES = %reldir%/parse_dump.c
tests_randop_dump_SOURCES = %reldir%/randop_dump.c
EXTRA_DIST += %reldir%/lib.sh

# base/ and lang/: hashes and numbers, sizes, graphs, the reference
# evaluator, random operators, .npy files, the canonical form; golden
# files, the round trip, the CLI, the layering of the tree, the documents.
check_PROGRAMS += tests/unit/t_base tests/unit/t_size tests/unit/t_graph tests/unit/t_eval tests/unit/t_randop \
  tests/unit/t_npy tests/unit/t_canon
tests_unit_t_base_SOURCES = %reldir%/unit/t_base.c %reldir%/tap.h
tests_unit_t_size_SOURCES = %reldir%/unit/t_size.c %reldir%/tap.h
tests_unit_t_graph_SOURCES = %reldir%/unit/t_graph.c %reldir%/tap.h
tests_unit_t_eval_SOURCES = %reldir%/unit/t_eval.c %reldir%/tap.h
tests_unit_t_randop_SOURCES = %reldir%/unit/t_randop.c %reldir%/tap.h
tests_unit_t_npy_SOURCES = %reldir%/unit/t_npy.c %reldir%/tap.h
tests_unit_t_canon_SOURCES = %reldir%/unit/t_canon.c %reldir%/tap.h
TESTS += tests/unit/t_base tests/unit/t_size tests/unit/t_graph tests/unit/t_eval tests/unit/t_randop \
  tests/unit/t_npy tests/unit/t_canon \
  tests/golden.sh tests/roundtrip.sh tests/cli.sh tests/limits.sh tests/layers.sh tests/doc.sh \
  tests/run.sh tests/canon.sh tests/repl.sh tests/repl_tmux.sh
EXTRA_DIST += %reldir%/golden.sh %reldir%/roundtrip.sh %reldir%/cli.sh %reldir%/limits.sh %reldir%/layers.sh %reldir%/doc.sh \
  %reldir%/run.sh %reldir%/canon.sh %reldir%/repl.sh %reldir%/repl_tmux.sh \
  %reldir%/golden %reldir%/canon %reldir%/repl

# codegen/: plans, the CPU executor, the CUDA backend (an emulator, NVRTC,
# the kernel cache, a real GPU or the fake driver).
check_PROGRAMS += tests/unit/t_plan tests/unit/t_cpu tests/unit/t_cuda_api tests/unit/t_cuda_emu \
  tests/unit/t_cuda_nvrtc tests/unit/t_cuda_cache tests/unit/t_cuda_gpu
tests_unit_t_plan_SOURCES = %reldir%/unit/t_plan.c %reldir%/tap.h %reldir%/unit/test_bind.h
tests_unit_t_cpu_SOURCES = %reldir%/unit/t_cpu.c %reldir%/tap.h %reldir%/unit/test_bind.h
tests_unit_t_cuda_api_SOURCES = %reldir%/unit/t_cuda_api.c %reldir%/tap.h
tests_unit_t_cuda_emu_SOURCES = %reldir%/unit/t_cuda_emu.c %reldir%/unit/cuda_test.h %reldir%/tap.h
tests_unit_t_cuda_emu_CPPFLAGS = $(AM_CPPFLAGS) -DSYNO_TEST_CC='"$(CC)"'
tests_unit_t_cuda_nvrtc_SOURCES = %reldir%/unit/t_cuda_nvrtc.c %reldir%/unit/cuda_test.h %reldir%/tap.h
tests_unit_t_cuda_cache_SOURCES = %reldir%/unit/t_cuda_cache.c %reldir%/tap.h
tests_unit_t_cuda_gpu_SOURCES = %reldir%/unit/t_cuda_gpu.c %reldir%/unit/cuda_test.h %reldir%/tap.h
tests_unit_t_cuda_gpu_CPPFLAGS = $(AM_CPPFLAGS) -DSYNO_TEST_CC='"$(CC)"'
TESTS += tests/unit/t_plan tests/unit/t_cpu tests/cpu.sh \
  tests/unit/t_cuda_api tests/unit/t_cuda_emu tests/unit/t_cuda_nvrtc tests/unit/t_cuda_cache \
  tests/cuda.sh tests/unit/t_cuda_gpu tests/cuda_fake.sh
EXTRA_DIST += %reldir%/cpu.sh %reldir%/cpu/grouped.syno %reldir%/cuda.sh %reldir%/cuda_fake.sh \
  %reldir%/unit/cuda_emu.h %reldir%/unit/cuda_emu_main.c %reldir%/unit/fake_cuda.c

# train/: the trainer, external trainers, the PyTorch export.
check_PROGRAMS += tests/unit/t_train tests/unit/t_train_external
tests_unit_t_train_SOURCES = %reldir%/unit/t_train.c %reldir%/tap.h
tests_unit_t_train_external_SOURCES = %reldir%/unit/t_train_external.c %reldir%/tap.h
TESTS += tests/unit/t_train tests/unit/t_train_external tests/pytorch.sh tests/train.sh tests/train_search.sh
EXTRA_DIST += %reldir%/pytorch.sh %reldir%/pytorch_check.py %reldir%/pytorch_ops.syno %reldir%/train.sh %reldir%/train_search.sh

# search/: the synthesis space, enumeration, reachability, searches.
check_PROGRAMS += tests/unit/t_search
tests_unit_t_search_SOURCES = %reldir%/unit/t_search.c %reldir%/tap.h
TESTS += tests/unit/t_search tests/search_enum.sh tests/search_reach.sh tests/search_run.sh \
  tests/search_doc.sh
EXTRA_DIST += %reldir%/search_enum.sh %reldir%/search_reach.sh %reldir%/search_run.sh \
  %reldir%/search_doc.sh %reldir%/search
# the distributed search: mpirun, a checker of the plugin's MPI error
# handler, the suppressions of MPI's own leaks under LeakSanitizer.
TESTS += tests/search_mpi.sh
EXTRA_DIST += %reldir%/search_mpi.sh %reldir%/mpi.supp
if HAVE_MPI
check_PROGRAMS += tests/mpi_errhandler
tests_mpi_errhandler_SOURCES = %reldir%/mpi_errhandler.c search/mpi_link.h
tests_mpi_errhandler_LDADD =
else
EXTRA_DIST += %reldir%/mpi_errhandler.c
endif

# make's built-in rule would "build" tests/golden (a data directory listed in
# EXTRA_DIST) from tests/golden.sh; there is nothing to build from a script.
.sh:
	@:

# syno report and the editor files.
check_PROGRAMS += tests/report_db tests/unit/t_html
tests_report_db_SOURCES = tests/report_db.c
tests_unit_t_html_SOURCES = tests/unit/t_html.c tests/tap.h
TESTS += tests/unit/t_html tests/report.sh tests/report_browser.sh
EXTRA_DIST += tests/report.sh tests/report_check.py tests/report_browser.sh tests/png_colours.py
TESTS += tests/editors.sh
EXTRA_DIST += tests/editors.sh tests/editors_check.py

# Hostile input: the fuzz harnesses' corpora replayed (tests/fuzz/local.mk
# builds the harnesses), results stores and directories syno did not write.
TESTS += tests/fuzz.sh tests/results_hostile.sh
EXTRA_DIST += %reldir%/fuzz.sh %reldir%/results_hostile.sh
