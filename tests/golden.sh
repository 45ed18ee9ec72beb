#!/bin/sh
# golden.sh - golden-file tests: parse dumps, diagnostics (exact text),
# formatting and explain output.  Each case is a file under tests/golden/:
#   parse/NAME.syno    -> NAME.ast   (AST dump, tests/parse_dump)
#   errors/NAME.syno   -> NAME.err   (`syno check` stderr + exit status)
#   fmt/NAME.syno      -> NAME.out   (`syno fmt` stdout + exit status)
#   explain/NAME.args  -> NAME.out   (`syno ARGS` stdout+stderr + exit status)
# `make check ACCEPT=1` rewrites the expected files.
. "$top_srcdir/tests/lib.sh"
G="$top_srcdir/tests/golden"
DUMP="$top_builddir/tests/parse_dump"

run_case() { # DIR CMD... : run in DIR, capture output and exit status
  dir=$1; shift
  (cd "$dir" && "$@") >"$TMP/actual" 2>&1
  echo "exit $?" >>"$TMP/actual"
}

for f in "$G"/parse/*.syno; do
  n=$(basename "$f" .syno)
  run_case "$G/parse" "$DUMP" "$n.syno"
  golden "parse/$n" "$TMP/actual" "$G/parse/$n.ast"
done
for f in "$G"/errors/*.syno; do
  n=$(basename "$f" .syno)
  (cd "$G/errors" && "$SYNO" check "$n.syno") >"$TMP/stdout" 2>"$TMP/raw"
  echo "exit $?" >>"$TMP/raw"
  # the standard library's location differs between machines
  sed "s|$SYNO_STDLIB|<stdlib>|g" "$TMP/raw" >"$TMP/actual"
  if [ -s "$TMP/stdout" ]; then not_ok "errors/$n: check wrote to stdout"; continue; fi
  golden "errors/$n" "$TMP/actual" "$G/errors/$n.err"
done
for f in "$G"/fmt/*.syno; do
  n=$(basename "$f" .syno)
  run_case "$G/fmt" "$SYNO" fmt "$n.syno"
  golden "fmt/$n" "$TMP/actual" "$G/fmt/$n.out"
done
for f in "$G"/explain/*.args; do
  n=$(basename "$f" .args)
  # shellcheck disable=SC2046
  run_case "$top_srcdir" "$SYNO" $(cat "$f")
  golden "explain/$n" "$TMP/actual" "$G/explain/$n.out"
done
done_testing
