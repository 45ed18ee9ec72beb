#!/bin/sh
# search_enum.sh - `syno enumerate`: golden counts of small synthesis spaces
# (partial operators, final operators per depth, candidates removed by each
# rule), the JSON form, and its command-line errors.  `make check ACCEPT=1`
# rewrites the goldens (tests/search/*.enum) after a deliberate change.
. "$top_srcdir/tests/lib.sh"
G="$top_srcdir/tests/search"

# enum NAME SPEC DEPTH: golden text of `syno enumerate SPEC --depth DEPTH`
enum() {
  "$SYNO" enumerate "$2" --depth "$3" >"$TMP/out" 2>&1
  st=$?
  # the time and memory line is not deterministic; the spec path is relative
  grep -v '^  time ' "$TMP/out" | sed "s|$top_srcdir/||" >"$TMP/$1.enum"
  if [ $st != 0 ]; then not_ok "enumerate $1 (exit $st)"; diag <"$TMP/out"; return; fi
  golden "enumerate $1 at depth $3" "$TMP/$1.enum" "$G/$1.enum"
}

enum conv "$G/conv.syno" 7
enum linear "$G/linear.syno" 6
enum fmnist-d5 "$top_srcdir/examples/fmnist-conv.syno" 5

"$SYNO" enumerate "$G/linear.syno" --json >"$TMP/j" 2>&1
if grep -q '"finals":' "$TMP/j" && grep -q '"shape-distance":' "$TMP/j" && grep -q '"per_depth":' "$TMP/j"; then
  ok "enumerate --json has finals, per_depth and the rule counts"
else not_ok "enumerate --json"; diag <"$TMP/j"; fi

"$SYNO" enumerate "$top_srcdir/examples/fmnist-conv.syno" --depth 5 | grep -v '^  time ' >"$TMP/j1"
"$SYNO" enumerate "$top_srcdir/examples/fmnist-conv.syno" --depth 5 --jobs 3 | grep -v '^  time ' >"$TMP/j3"
cmp -s "$TMP/j1" "$TMP/j3" && ok "enumerate --jobs 3 counts the same as one thread" ||
  { not_ok "enumerate --jobs 3 counts the same as one thread"; diff "$TMP/j1" "$TMP/j3" | diag; }

# threads share the dim table (looked up without a lock) and take states as
# they go: the very same operators, with the very same texts and FLOPs
K="$top_srcdir/bench/kas-sampler.syno"
"$SYNO" enumerate "$K" --depth 9 --print >"$TMP/p1" 2>&1
"$SYNO" enumerate "$K" --depth 9 --print --jobs 2 >"$TMP/p2" 2>&1
finals_sorted() { awk '/^# /{if (b) print b; b=$0; next} /^search /{if (b) print b; b=""; exit} {b=b "|" $0}' "$1" | sort; }
finals_sorted "$TMP/p1" >"$TMP/s1"
finals_sorted "$TMP/p2" >"$TMP/s2"
if [ -s "$TMP/s1" ] && cmp -s "$TMP/s1" "$TMP/s2" &&
   [ "$(grep -v '^  time ' "$TMP/p1" | sed -n '/^search /,$p')" = "$(grep -v '^  time ' "$TMP/p2" | sed -n '/^search /,$p')" ]; then
  ok "enumerate --jobs 2 prints the same $(wc -l <"$TMP/s1") operators and counts as one thread (kas-sampler, depth 9)"
else not_ok "enumerate --jobs 2 prints the same operators as one thread"; diff "$TMP/s1" "$TMP/s2" | head -20 | diag; fi

expect_status "enumerate without SPEC is a usage error" 2 "$SYNO" enumerate
expect_status "enumerate --depth 0 is a usage error" 2 "$SYNO" enumerate "$G/conv.syno" --depth 0
expect_status "enumerate of a missing file is an input error" 1 "$SYNO" enumerate "$TMP/none.syno"
printf 'size N;\nop f(x[n: N]) -> [n] {}\n' >"$TMP/nosearch.syno"
"$SYNO" enumerate "$TMP/nosearch.syno" >"$TMP/out" 2>&1
st=$?
if [ $st = 1 ] && grep -q "has no search block" "$TMP/out"; then ok "a file without a search block is refused"
else not_ok "a file without a search block is refused (exit $st)"; diag <"$TMP/out"; fi
expect_status "FILE:SEARCH naming a missing search is an input error" 1 "$SYNO" enumerate "$G/conv.syno:nope"
done_testing
