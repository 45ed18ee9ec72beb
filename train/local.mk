# train/local.mk - proxy training on Fashion-MNIST (issue 8): the data set,
# the proxy network and its layers, the slot backends, SGD, the trainer,
# `syno train`, the PyTorch exporter, and their tests.
libsyno_a_SOURCES += \
  train/fmnist.c train/fmnist.h \
  train/slot.c train/slot.h train/slot_backends.def train/slot_cpu.c train/slot_cuda.c \
  train/layers.c train/layers.h \
  train/net.c train/net.h \
  train/sgd.c train/sgd.h \
  train/trainer.c train/trainer.h \
  train/report.c train/report.h \
  codegen/pytorch.c codegen/pytorch.h interp/export_pytorch.c \
  train/external.c train/external.h train/proxy.c train/proxy.h \
  interp/cmd_train.c \
  search/eval_accuracy.c search/eval_external.c search/eval_external.h

check_PROGRAMS += tests/unit/t_train
tests_unit_t_train_SOURCES = tests/unit/t_train.c tests/tap.h
TESTS += tests/unit/t_train
TESTS += tests/pytorch.sh tests/train.sh tests/train_search.sh
EXTRA_DIST += tests/pytorch.sh tests/pytorch_check.py tests/train.sh tests/train_search.sh examples/fmnist_train.py
check_PROGRAMS += tests/unit/t_train_external
tests_unit_t_train_external_SOURCES = tests/unit/t_train_external.c tests/tap.h
TESTS += tests/unit/t_train_external
dist_doc_DATA += doc/training.md
EXTRA_DIST += bench/train.sh
