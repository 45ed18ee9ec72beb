# bench/local.mk - benchmarks: built by `make check` (so they keep
# compiling), never run by it; the scripts run them and print figures
# (doc/performance.md).
check_PROGRAMS += bench/canon_bench bench/cpu_conv bench/cuda_compile bench/search_bench bench/space_check
bench_canon_bench_SOURCES = %reldir%/canon_bench.c
bench_cpu_conv_SOURCES = %reldir%/cpu_conv.c
bench_cpu_conv_LDADD = $(LDADD) $(BLAS_LIBS)
bench_cuda_compile_SOURCES = %reldir%/cuda_compile.c
bench_search_bench_SOURCES = %reldir%/search_bench.c
bench_space_check_SOURCES = %reldir%/space_check.c
EXTRA_DIST += %reldir%/cpu.sh %reldir%/train.sh %reldir%/search.sh %reldir%/ref_eval.py \
  %reldir%/cuda_vs_torch.py %reldir%/grouped.syno %reldir%/sampler-space.syno %reldir%/mpi.sh \
  %reldir%/mpi-space.syno %reldir%/train_vs_torch.py %reldir%/export_vs_torch.py %reldir%/kas-sampler.syno
