# codegen/cuda.mk - the CUDA backend (issue 6): run-time loading of the
# driver and NVRTC, CUDA C emission, JIT, kernel cache, execution, tests.
libsyno_a_SOURCES += \
  %reldir%/cuda_api.h %reldir%/cuda_fns.def \
  %reldir%/cuda_load.c %reldir%/cuda_load.h

check_PROGRAMS += tests/unit/t_cuda_api
tests_unit_t_cuda_api_SOURCES = tests/unit/t_cuda_api.c tests/tap.h
TESTS += tests/unit/t_cuda_api
libsyno_a_SOURCES += %reldir%/cuda_jit.c %reldir%/cuda_jit.h
libsyno_a_SOURCES += %reldir%/cuda_cache.c %reldir%/cuda_cache.h
libsyno_a_SOURCES += %reldir%/cuda_ix.c %reldir%/cuda_ix.h %reldir%/cuda_contr.c %reldir%/cuda_contr.h
libsyno_a_SOURCES += %reldir%/cuda_emit.c %reldir%/cuda_emit.h
libsyno_a_SOURCES += %reldir%/cuda_prog.c %reldir%/cuda_prog.h

check_PROGRAMS += tests/unit/t_cuda_emu
tests_unit_t_cuda_emu_SOURCES = tests/unit/t_cuda_emu.c tests/unit/cuda_test.h tests/tap.h
tests_unit_t_cuda_emu_CPPFLAGS = $(AM_CPPFLAGS) -DSYNO_TEST_CC='"$(CC)"'
TESTS += tests/unit/t_cuda_emu
EXTRA_DIST += tests/unit/cuda_emu.h tests/unit/cuda_emu_main.c
libsyno_a_SOURCES += %reldir%/cuda_exec.c %reldir%/cuda_exec.h

check_PROGRAMS += tests/unit/t_cuda_nvrtc
tests_unit_t_cuda_nvrtc_SOURCES = tests/unit/t_cuda_nvrtc.c tests/unit/cuda_test.h tests/tap.h
TESTS += tests/unit/t_cuda_nvrtc

check_PROGRAMS += tests/unit/t_cuda_cache
tests_unit_t_cuda_cache_SOURCES = tests/unit/t_cuda_cache.c tests/tap.h
TESTS += tests/unit/t_cuda_cache
libsyno_a_SOURCES += %reldir%/cuda_run.c %reldir%/cuda_run.h
libsyno_a_SOURCES += %reldir%/cuda_tune.c %reldir%/cuda_tune.h %reldir%/cuda_backend.c %reldir%/cuda_export.c

TESTS += tests/cuda.sh
EXTRA_DIST += tests/cuda.sh

check_PROGRAMS += tests/unit/t_cuda_gpu
tests_unit_t_cuda_gpu_SOURCES = tests/unit/t_cuda_gpu.c tests/unit/cuda_test.h tests/tap.h
tests_unit_t_cuda_gpu_CPPFLAGS = $(AM_CPPFLAGS) -DSYNO_TEST_CC='"$(CC)"'
TESTS += tests/unit/t_cuda_gpu tests/cuda_fake.sh
EXTRA_DIST += tests/unit/fake_cuda.c tests/cuda_fake.sh
libsyno_a_SOURCES += %reldir%/cuda_bench.c %reldir%/cuda_bench.h
libsyno_a_SOURCES += %reldir%/cuda_latency.c %reldir%/cuda_latency.h

# Measurements, built by `make check`, never run as tests.
check_PROGRAMS += bench/cuda_compile
bench_cuda_compile_SOURCES = bench/cuda_compile.c
EXTRA_DIST += bench/cuda_vs_torch.py
