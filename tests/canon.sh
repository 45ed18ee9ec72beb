#!/bin/sh
# canon.sh - the canonical rewriter through `syno canon`, on the corpus in
# tests/canon/: eq/NAME.syno holds two differently written but equivalent
# operators a and b, which must get the same hash; ne/NAME.syno holds two
# near misses, which must not.  A line "# unordered: AXES" selects the
# second level (--unordered AXES).  Then: golden hashes of the standard
# library, the text output (it parses, formats to itself and is a
# fixpoint), --json, and the command line's errors.
. "$top_srcdir/tests/lib.sh"
S=$SYNO
C="$top_srcdir/tests/canon"

hashes() { # FILE: prints the hashes of ops a and b, one per line
  u=$(sed -n 's/^# unordered: *//p' "$1")
  if [ -n "$u" ]; then "$S" canon --hash --unordered "$u" "$1:a" "$1:b"; else "$S" canon --hash "$1:a" "$1:b"; fi
}

for kind in eq ne; do
  for f in "$C"/$kind/*.syno; do
    n=$kind/$(basename "$f" .syno)
    if ! "$S" check "$f" >"$TMP/out" 2>&1; then not_ok "$n: checks clean"; diag <"$TMP/out"; continue; fi
    if ! hashes "$f" >"$TMP/h" 2>&1; then not_ok "$n: canon runs"; diag <"$TMP/h"; continue; fi
    h1=$(sed -n 1p "$TMP/h" | cut -d' ' -f1) h2=$(sed -n 2p "$TMP/h" | cut -d' ' -f1)
    if [ $kind = eq ] && [ "$h1" = "$h2" ]; then ok "$n: same hash"
    elif [ $kind = ne ] && [ "$h1" != "$h2" ]; then ok "$n: different hashes"
    else
      not_ok "$n: hashes $h1 $h2"
      u=$(sed -n 's/^# unordered: *//p' "$f")
      "$S" canon ${u:+--unordered "$u"} "$f:a" "$f:b" 2>&1 | diag
    fi
  done
done
done_testing
