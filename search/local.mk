# search/local.mk - synthesis and search: the synthesis space (dims,
# states, steps and their rules, shape distance, FLOPs bound,
# finalization), reachability, the algorithms, the evaluators, the driver
# and the results store.
libsyno_a_SOURCES += \
  %reldir%/space.h %reldir%/engine.h %reldir%/generate.h %reldir%/search.h \
  %reldir%/final_metrics.h %reldir%/rules.def %reldir%/steps.def \
  %reldir%/dims.c %reldir%/state.c %reldir%/space.c %reldir%/generate.c \
  %reldir%/expand_reduce.c %reldir%/expand_views.c %reldir%/expand_contract.c \
  %reldir%/shape_distance.c %reldir%/flops_bound.c %reldir%/finalize.c \
  %reldir%/final_metrics.c %reldir%/algo_exhaustive.c %reldir%/spec_ref.c \
  %reldir%/reach.h %reldir%/reach.c \
  %reldir%/evaluate.h %reldir%/evaluate.c %reldir%/evalpool.h %reldir%/evalpool.c %reldir%/evaluators.def \
  %reldir%/reward.c %reldir%/eval_accuracy.c %reldir%/eval_external.c %reldir%/eval_external.h \
  %reldir%/store.h %reldir%/store.c %reldir%/algo.h %reldir%/rollout.c %reldir%/algo_random.c \
  %reldir%/algo_beam.c %reldir%/algo_mcts.c %reldir%/search_run.h %reldir%/driver_int.h %reldir%/driver.c \
  %reldir%/driver_loop.c %reldir%/driver_confirm.c %reldir%/results_file.c %reldir%/run_info.h \
  %reldir%/run_info.c
# MPI (issue 12): the coordinator's pool and the workers are in libsyno; MPI
# itself is in a plugin syno loads only for --mpi (search/mpi_link.h).
libsyno_a_SOURCES += \
  %reldir%/mpi.h %reldir%/mpi_link.h %reldir%/mpi.c %reldir%/mpi_pool.c %reldir%/mpi_worker.c
if HAVE_MPI
mpiplugindir = $(pkglibdir)
mpiplugin_PROGRAMS = syno-mpi.so
syno_mpi_so_SOURCES = %reldir%/mpi_plugin.c %reldir%/mpi_link.h
syno_mpi_so_CPPFLAGS = $(AM_CPPFLAGS) $(MPI_CFLAGS)
syno_mpi_so_CFLAGS = $(AM_CFLAGS) -fPIC
syno_mpi_so_LDFLAGS = $(AM_LDFLAGS) -shared -Wl,-soname,syno-mpi.so
syno_mpi_so_LDADD = $(MPI_LIBS)
else
EXTRA_DIST += %reldir%/mpi_plugin.c
endif
