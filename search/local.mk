# search/local.mk - synthesis and search (issue 5): the synthesis space
# (dims, states, steps and their rules, shape distance, FLOPs bound,
# finalization), the algorithms, evaluators, the results store.
libsyno_a_SOURCES += \
  lang/spec_options.def \
  %reldir%/space.h %reldir%/engine.h %reldir%/generate.h %reldir%/search.h \
  %reldir%/final_metrics.h %reldir%/rules.def %reldir%/steps.def \
  %reldir%/dims.c %reldir%/state.c %reldir%/space.c %reldir%/generate.c \
  %reldir%/expand_reduce.c %reldir%/expand_views.c %reldir%/expand_contract.c \
  %reldir%/shape_distance.c %reldir%/flops_bound.c %reldir%/finalize.c \
  %reldir%/final_metrics.c %reldir%/algo_exhaustive.c %reldir%/spec_ref.c \
  %reldir%/reach.h %reldir%/reach.c \
  %reldir%/evaluate.h %reldir%/evaluate.c %reldir%/evaluators.def %reldir%/reward.c \
  %reldir%/store.h %reldir%/store.c %reldir%/algo.h %reldir%/rollout.c %reldir%/algo_random.c \
  %reldir%/algo_beam.c %reldir%/algo_mcts.c %reldir%/search_run.h %reldir%/driver.c %reldir%/driver_confirm.c %reldir%/results_file.c
libsyno_a_SOURCES += interp/cmd_enumerate.c interp/cmd_reach.c interp/cmd_search.c interp/cmd_results.c
check_PROGRAMS += tests/unit/t_search
tests_unit_t_search_SOURCES = tests/unit/t_search.c tests/tap.h
TESTS += tests/unit/t_search tests/search_enum.sh tests/search_reach.sh tests/search_run.sh tests/search_doc.sh
EXTRA_DIST += tests/search_enum.sh tests/search_reach.sh tests/search_run.sh tests/search_doc.sh tests/search bench/sampler-space.syno
check_PROGRAMS += bench/search_bench
bench_search_bench_SOURCES = bench/search_bench.c
EXTRA_DIST += bench/search.sh
dist_doc_DATA += doc/search.md
