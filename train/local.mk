# train/local.mk - proxy training on Fashion-MNIST: the data set, the proxy
# network and its layers, the slot backends, SGD, the trainer, external
# trainers and the cached data sets of the proxy task, the report.
libsyno_a_SOURCES += \
  %reldir%/fmnist.c %reldir%/fmnist.h \
  %reldir%/slot.c %reldir%/slot.h %reldir%/slot_backends.def %reldir%/slot_cpu.c %reldir%/slot_cuda.c \
  %reldir%/layers.c %reldir%/layers.h \
  %reldir%/net.c %reldir%/net.h \
  %reldir%/sgd.c %reldir%/sgd.h \
  %reldir%/trainer.c %reldir%/trainer.h \
  %reldir%/report.c %reldir%/report.h \
  %reldir%/external.c %reldir%/external.h %reldir%/proxy.c %reldir%/proxy.h
