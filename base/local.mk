# base/local.mk - the ground floor: helpers every other directory may use
# (assertions and checked allocation, arenas, text buffers, the random
# generator, hashes, clocks, numbers as text, the JSON writer, host float
# arrays, the thread pool, eight-float vectors and the clones of hot loops
# for AVX2, child programs with a time limit, HTML escaping).
libsyno_a_SOURCES += \
  %reldir%/base.c %reldir%/base.h \
  %reldir%/arena.c %reldir%/arena.h \
  %reldir%/buf.c %reldir%/buf.h \
  %reldir%/rng.c %reldir%/rng.h \
  %reldir%/hash.c %reldir%/hash.h \
  %reldir%/clock.c %reldir%/clock.h \
  %reldir%/num.c %reldir%/num.h \
  %reldir%/json.c %reldir%/json.h \
  %reldir%/array.c %reldir%/array.h \
  %reldir%/pool.c %reldir%/pool.h %reldir%/simd.h \
  %reldir%/proc.c %reldir%/proc.h \
  %reldir%/html.c %reldir%/html.h
