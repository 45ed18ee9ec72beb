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
