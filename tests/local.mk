# tests/local.mk - the test suite (`make check`).  Layers: unit (C, TAP),
# golden files, round trip, CLI (shell, TAP).  Each area may add its own
# fragment below.
check_PROGRAMS += tests/unit/t_size tests/unit/t_graph tests/parse_dump
tests_parse_dump_SOURCES = tests/parse_dump.c
tests_unit_t_size_SOURCES = tests/unit/t_size.c tests/tap.h
tests_unit_t_graph_SOURCES = tests/unit/t_graph.c tests/tap.h
TESTS += tests/unit/t_size tests/unit/t_graph \
  tests/golden.sh tests/roundtrip.sh tests/cli.sh
EXTRA_DIST += tests/lib.sh tests/golden.sh tests/roundtrip.sh tests/cli.sh tests/layers.sh tests/golden

# make's built-in rule would "build" tests/golden (a data directory listed in
# EXTRA_DIST) from tests/golden.sh; there is nothing to build from a script.
.sh:
	@:
