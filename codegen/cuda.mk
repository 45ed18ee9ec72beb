# codegen/cuda.mk - the CUDA backend (issue 6): run-time loading of the
# driver and NVRTC, CUDA C emission, JIT, kernel cache, execution, tests.
libsyno_a_SOURCES += \
  %reldir%/cuda_api.h %reldir%/cuda_fns.def \
  %reldir%/cuda_load.c %reldir%/cuda_load.h

check_PROGRAMS += tests/unit/t_cuda_api
tests_unit_t_cuda_api_SOURCES = tests/unit/t_cuda_api.c tests/tap.h
TESTS += tests/unit/t_cuda_api
libsyno_a_SOURCES += %reldir%/cuda_jit.c %reldir%/cuda_jit.h
