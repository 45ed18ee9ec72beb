#!/bin/sh
# fuzz.sh - replays the committed corpus (tests/fuzz/corpus/NAME) and the
# regression inputs (tests/fuzz/regress/NAME: every crash the fuzzers found,
# kept after its fix) of every fuzz harness, plus the language's own files
# for the language harnesses, through the harness built in this tree (with
# replay.c, or libFuzzer's main when configured with --enable-fuzzing).
# Every input must pass every property the harness checks.  Also checks
# that the dictionary (tests/fuzz/fuzz_dict) is well formed.
. "$top_srcdir/tests/lib.sh"
F="$top_srcdir/tests/fuzz"
B="$top_builddir/tests/fuzz"
for name in lang npy search repl results; do
  set --   # files, not directories: libFuzzer's main treats directories as corpora to grow
  for d in "$F/corpus/$name" "$F/regress/$name"; do
    for f in "$d"/*; do [ -f "$f" ] && set -- "$@" "$f"; done
  done
  case $name in
    lang) set -- "$@" "$top_srcdir"/stdlib/*.syno "$top_srcdir"/examples/*.syno "$top_srcdir"/tests/golden/*/*.syno \
                 "$top_srcdir"/tests/canon/*/*.syno ;;
    search) set -- "$@" "$top_srcdir"/tests/search/*.syno "$top_srcdir"/examples/*.syno ;;
  esac
  if "$B/fuzz_$name" -runs=0 "$@" >"$TMP/out" 2>&1; then
    ok "fuzz_$name: $(grep -c '^Running: ' "$TMP/out") inputs replayed"
  else
    not_ok "fuzz_$name: an input fails"
    grep -E '^(Running:|fuzz check|syno: internal|==[0-9]+==ERROR|SUMMARY)|runtime error' "$TMP/out" | tail -n 20 | diag
  fi
done
"$B/fuzz_dict" >"$TMP/dict"
bad=$(grep -cvE '^"([^"\\]|\\["\\]|\\x[0-9a-f]{2})*"$' "$TMP/dict")
if [ "$bad" -eq 0 ] && grep -qx '"unfold"' "$TMP/dict" && grep -qx '"search"' "$TMP/dict" && grep -qx '":explain"' "$TMP/dict"; then
  ok "the fuzzing dictionary is well formed ($(wc -l <"$TMP/dict") words)"
else
  not_ok "the fuzzing dictionary: $bad malformed lines"; diag <"$TMP/dict"
fi
done_testing
