# examples/local.mk - example programs and searches (`make demo` runs
# fmnist-conv.syno), an external trainer for `syno search --evaluator`
# and a Slurm batch script for `syno search --mpi`.
EXTRA_DIST += %reldir%/conv-layers.syno %reldir%/cpu-search.syno %reldir%/fmnist-conv.syno \
  %reldir%/lowrank.syno %reldir%/fmnist_train.py %reldir%/slurm-search.sh
