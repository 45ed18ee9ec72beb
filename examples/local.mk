# examples/local.mk - example programs and searches (`make demo` runs
# fmnist-conv.syno) and an external trainer for `syno search --evaluator`.
EXTRA_DIST += %reldir%/conv-layers.syno %reldir%/cpu-search.syno %reldir%/fmnist-conv.syno \
  %reldir%/lowrank.syno %reldir%/fmnist_train.py
