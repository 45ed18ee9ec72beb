# codegen/local.mk - from operators to code that runs: staged plans, the
# CPU executor, the CUDA backend (run-time loading of the driver and NVRTC,
# CUDA C emission, JIT, kernel cache, execution, tuning), the backend
# interface they implement, and the DOT and PyTorch exporters.
libsyno_a_SOURCES += \
  %reldir%/plan.h %reldir%/plan_int.h %reldir%/plan.c %reldir%/plan_problem.c \
  %reldir%/plan_search.c %reldir%/plan_solve.c %reldir%/plan_print.c \
  %reldir%/cpu.h %reldir%/cpu_int.h %reldir%/cpu.c \
  %reldir%/cpu_access.c %reldir%/cpu_digits.c %reldir%/cpu_stage.c %reldir%/cpu_gemm.c \
  %reldir%/cpu_generic.c %reldir%/cpu_fused.c %reldir%/cpu_mm.c %reldir%/cpu_sgemm.c %reldir%/cpu_backend.c \
  %reldir%/cuda_api.h %reldir%/cuda_fns.def \
  %reldir%/cuda_load.c %reldir%/cuda_load.h \
  %reldir%/cuda_jit.c %reldir%/cuda_jit.h \
  %reldir%/cuda_cache.c %reldir%/cuda_cache.h \
  %reldir%/cuda_ix.c %reldir%/cuda_ix.h %reldir%/cuda_contr.c %reldir%/cuda_contr.h \
  %reldir%/cuda_emit.c %reldir%/cuda_emit.h %reldir%/cuda_tile.c %reldir%/cuda_tile.h \
  %reldir%/cuda_prog.c %reldir%/cuda_prog.h \
  %reldir%/cuda_exec.c %reldir%/cuda_exec.h \
  %reldir%/cuda_run.c %reldir%/cuda_run.h \
  %reldir%/cuda_tune.c %reldir%/cuda_tune.h \
  %reldir%/backend.h %reldir%/cuda_backend.c %reldir%/cuda_export.c %reldir%/cuda_export.h \
  %reldir%/cuda_bench.c %reldir%/cuda_bench.h \
  %reldir%/cuda_latency.c %reldir%/cuda_latency.h \
  %reldir%/dot.c %reldir%/dot.h \
  %reldir%/pytorch.c %reldir%/pytorch.h %reldir%/pytorch_int.h %reldir%/pytorch_gather.c %reldir%/pytorch_views.c
