#!/bin/sh
# roundtrip.sh - formatting round trip over every .syno file in the tree:
#   fmt(fmt(x)) == fmt(x) for every file;
#   files in stdlib/ and examples/ are already in canonical form;
#   formatting preserves meaning: every operator explains identically
#   (formula, shapes, params, FLOPs) before and after.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir" || exit 1
files=$(find stdlib examples doc tests/golden/fmt -name '*.syno' 2>/dev/null | sort)
for f in $files; do
  if ! "$SYNO" fmt "$f" >"$TMP/a" 2>"$TMP/err"; then
    # only files with syntax errors may fail, and they must say so
    if grep -q "error:" "$TMP/err"; then ok "$f: syntax errors reported, not formatted"; else not_ok "$f: fmt failed silently"; fi
    continue
  fi
  cp "$TMP/a" "$TMP/a.syno"
  "$SYNO" fmt "$TMP/a.syno" >"$TMP/b" 2>&1
  if cmp -s "$TMP/a" "$TMP/b"; then ok "$f: fmt is idempotent"; else not_ok "$f: fmt is not idempotent"; diff -u "$TMP/a" "$TMP/b" | head -20 | diag; fi
  case $f in
    stdlib/*|examples/*)
      if cmp -s "$f" "$TMP/a"; then ok "$f: is in canonical format"; else not_ok "$f: not in canonical format (run syno fmt -w $f)"; diff -u "$f" "$TMP/a" | head -20 | diag; fi ;;
  esac
  # meaning: every operator explains the same before and after
  if "$SYNO" check "$f" >/dev/null 2>&1; then
    same=1
    for op in $("$SYNO" check --json "$f" | sed -n '/"operators"/,/]/p' | grep -o '"[A-Za-z_][A-Za-z0-9_]*"' | tr -d '"' | grep -v '^operators$'); do
      "$SYNO" explain --json "$f:$op" | grep -v '"file"\|"line"' >"$TMP/e1"
      "$SYNO" explain --json "$TMP/a.syno:$op" | grep -v '"file"\|"line"' >"$TMP/e2"
      cmp -s "$TMP/e1" "$TMP/e2" || { same=0; echo "operator $op differs" | diag; }
    done
    if [ $same = 1 ]; then ok "$f: formatting preserves meaning"; else not_ok "$f: formatting changed meaning"; fi
  fi
done
done_testing
