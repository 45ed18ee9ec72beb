# tests/fuzz/local.mk - the fuzz harnesses (tests/fuzz/fuzz.h, doc/testing.md).
# Every harness is built in every build: with libFuzzer's main under
# ./configure --enable-fuzzing (run them with `make fuzz`), otherwise with
# replay.c, a main that runs each file of a corpus once; tests/fuzz.sh
# (listed in tests/local.mk) replays the committed corpora (corpus/NAME)
# and the regression inputs (regress/NAME) of every harness in `make check`.
FUZZ_HARNESSES = lang npy search repl results
fuzz_common = %reldir%/fuzz.h %reldir%/fuzz_util.c
if FUZZING
fuzz_main =
else
fuzz_main = %reldir%/replay.c
endif
fuzz_ldflags = $(AM_LDFLAGS) $(SYNO_FUZZ_LDFLAGS)
check_PROGRAMS += tests/fuzz/fuzz_lang tests/fuzz/fuzz_npy tests/fuzz/fuzz_search tests/fuzz/fuzz_repl \
  tests/fuzz/fuzz_results
tests_fuzz_fuzz_lang_SOURCES = %reldir%/fuzz_lang.c $(fuzz_common) $(fuzz_main)
tests_fuzz_fuzz_lang_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_npy_SOURCES = %reldir%/fuzz_npy.c $(fuzz_common) $(fuzz_main)
tests_fuzz_fuzz_npy_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_search_SOURCES = %reldir%/fuzz_search.c $(fuzz_common) $(fuzz_main)
tests_fuzz_fuzz_search_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_repl_SOURCES = %reldir%/fuzz_repl.c $(fuzz_common) $(fuzz_main)
tests_fuzz_fuzz_repl_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_results_SOURCES = %reldir%/fuzz_results.c $(fuzz_common) $(fuzz_main)
tests_fuzz_fuzz_results_LDFLAGS = $(fuzz_ldflags)
check_PROGRAMS += tests/fuzz/fuzz_dict
tests_fuzz_fuzz_dict_SOURCES = %reldir%/fuzz_dict.c
EXTRA_DIST += %reldir%/run.sh %reldir%/corpus %reldir%/regress %reldir%/replay.c

# `make fuzz`: every harness under libFuzzer for FUZZ_TIME seconds each
# (FUZZ=NAME... picks some), growing a corpus in FUZZ_DIR outside the tree;
# crashes are left there as crash-* files.  See doc/testing.md.
FUZZ_TIME = 60
FUZZ_DIR = fuzz-work
FUZZ = $(FUZZ_HARNESSES)
fuzz-programs: $(FUZZ_HARNESSES:%=tests/fuzz/fuzz_%$(EXEEXT)) tests/fuzz/fuzz_dict$(EXEEXT)
fuzz: fuzz-programs
if FUZZING
	$(SHELL) $(srcdir)/%reldir%/run.sh --time $(FUZZ_TIME) --dir $(FUZZ_DIR) $(FUZZ)
else
	@echo "make fuzz needs a libFuzzer build: ./configure --enable-fuzzing (clang, libclang-rt-14-dev)"; exit 1
endif
.PHONY: fuzz fuzz-programs
clean-local: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)
.PHONY: clean-fuzz
