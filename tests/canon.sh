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
case $S in /*) ;; *) S="$(pwd)/$S" ;; esac
SYNO_STDLIB=$(cd "$SYNO_STDLIB" && pwd); export SYNO_STDLIB
C="$top_srcdir/tests/canon"

# One invocation for all files (the suite also runs under sanitizers, where
# starting the binary is what costs): check them, then hash every pair
# (level 1 together, each level-2 file with its own --unordered).
files=$(ls "$C"/eq/*.syno "$C"/ne/*.syno)
if "$S" check $files >"$TMP/out" 2>&1; then ok "the corpus checks clean"; else not_ok "the corpus checks clean"; diag <"$TMP/out"; fi
refs=
for f in $files; do
  grep -q '^# unordered:' "$f" || refs="$refs $f:a $f:b"
done
"$S" canon --hash $refs >"$TMP/all" 2>&1 || { not_ok "canon --hash runs on the corpus"; diag <"$TMP/all"; }
for f in $files; do
  u=$(sed -n 's/^# unordered: *//p' "$f")
  [ -n "$u" ] && "$S" canon --hash --unordered "$u" "$f:a" "$f:b" >>"$TMP/all" 2>&1
done
for f in $files; do
  case $f in */eq/*) kind=eq ;; *) kind=ne ;; esac
  n=$kind/$(basename "$f" .syno)
  h1=$(grep -F "  $f:a" "$TMP/all" | cut -d' ' -f1) h2=$(grep -F "  $f:b" "$TMP/all" | cut -d' ' -f1)
  if [ -z "$h1" ] || [ -z "$h2" ]; then not_ok "$n: hashed"
  elif [ $kind = eq ] && [ "$h1" = "$h2" ]; then ok "$n: same hash"
  elif [ $kind = ne ] && [ "$h1" != "$h2" ]; then ok "$n: different hashes"
  else
    not_ok "$n: hashes $h1 $h2"
    u=$(sed -n 's/^# unordered: *//p' "$f")
    "$S" canon ${u:+--unordered "$u"} "$f:a" "$f:b" 2>&1 | diag
  fi
done
neq=$(ls "$C"/eq/*.syno | wc -l) nne=$(ls "$C"/ne/*.syno | wc -l)
[ "$neq" -ge 30 ] && [ "$nne" -ge 30 ] && ok "the corpus has $neq equivalent and $nne near-miss pairs" ||
  not_ok "the corpus has at least 30 pairs of each kind ($neq, $nne)"

# The examples of doc/canonical.md: the two operators of every syno-canon
# block get the same hash; console blocks print what they show.
DOC="$top_srcdir/doc/canonical.md"
PRE="size N, C_in, C_out, H, W;
coef k = 3, s = 2, g = 2;
"
awk -v dir="$TMP" '
/^```syno-canon/ { n++; f = dir "/doc" n ".syno"; printf "" > f; on = 1; next }
/^```console/ { m++; f = dir "/con" m ".txt"; printf "" > f; on = 1; next }
/^```/ { on = 0; next }
on { print >> f }' "$DOC"
i=1 refs=
{ printf '%s\n' "$PRE"; } >"$TMP/d.syno"
while [ -f "$TMP/doc$i.syno" ]; do
  sed "s/^op before(/op before$i(/; s/^op after(/op after$i(/" "$TMP/doc$i.syno" >>"$TMP/d.syno"
  refs="$refs $TMP/d.syno:before$i $TMP/d.syno:after$i"
  i=$((i + 1))
done
"$S" canon --hash $refs >"$TMP/h" 2>&1 || { not_ok "canonical.md examples hash"; diag <"$TMP/h"; }
j=1
while [ $j -lt $i ]; do
  h1=$(grep -F "d.syno:before$j" "$TMP/h" | cut -d' ' -f1) h2=$(grep -F "d.syno:after$j" "$TMP/h" | cut -d' ' -f1)
  if [ -n "$h1" ] && [ "$h1" = "$h2" ]; then ok "canonical.md example $j: before and after hash the same"
  else not_ok "canonical.md example $j: before and after hash the same"; diag <"$TMP/doc$j.syno"; fi
  j=$((j + 1))
done
i=1
while [ -f "$TMP/con$i.txt" ]; do
  cmd=$(sed -n 's/^\$ //p' "$TMP/con$i.txt" | head -1)
  sed '1d' "$TMP/con$i.txt" >"$TMP/want"
  (cd "$top_srcdir" && eval "\"$S\"${cmd#syno}") >"$TMP/got" 2>&1
  if cmp -s "$TMP/got" "$TMP/want"; then ok "canonical.md console $i: $cmd"
  else not_ok "canonical.md console $i: $cmd"; diff -u "$TMP/want" "$TMP/got" | diag; fi
  i=$((i + 1))
done

# Golden hashes and texts of the standard library: a change is deliberate
# (make check ACCEPT=1 after checking that it is right).
ops="conv2d conv1x1 group_conv2d depthwise_conv2d dilated_conv2d pooled_conv2d shift_conv linear avgpool2d syno_op1 syno_op2"
: >"$TMP/stdlib.canon"
"$S" canon $ops >"$TMP/stdlib.canon" 2>&1
golden "standard library: canonical texts and hashes" "$TMP/stdlib.canon" "$C/stdlib.canon"
# The second level too: with channels unordered the labelling's colours
# choose the text, so these hashes hold its mixers (lang/canon_label.c) fixed.
uops="conv2d conv1x1 group_conv2d depthwise_conv2d dilated_conv2d pooled_conv2d shift_conv syno_op1 syno_op2"
"$S" canon --unordered C_in,C_out $uops >"$TMP/unordered.canon" 2>&1
golden "standard library, --unordered C_in,C_out: canonical texts and hashes" "$TMP/unordered.canon" \
  "$C/stdlib-unordered.canon"

# The text is a module: it checks, fmt leaves it alone, it is a fixpoint.
i=0
for o in $ops; do
  i=$((i + 1))
  awk -v want=$i '/^size / { n++ } n == want && !/^# hash/' "$TMP/stdlib.canon" | sed '${/^$/d}' >"$TMP/c$i.syno"
done
n=$i
cfiles= crefs=
i=1
while [ $i -le $n ]; do cfiles="$cfiles $TMP/c$i.syno"; crefs="$crefs $TMP/c$i.syno:canonical"; i=$((i + 1)); done
check "the canonical texts of the standard library check" "$S" check $cfiles
check "fmt leaves the canonical texts alone" "$S" fmt --check $cfiles
"$S" canon $crefs >"$TMP/again" 2>&1
sed "s|$TMP/c[0-9]*.syno:canonical||" "$TMP/again" | cmp -s - "$TMP/stdlib.canon" &&
  ok "the canonical texts are a fixpoint" || { not_ok "the canonical texts are a fixpoint"; diff "$TMP/stdlib.canon" "$TMP/again" | diag; }

# --json
"$S" canon --json "$top_srcdir/stdlib/syno.syno:syno_op1" >"$TMP/j.json"
if PY=$(command -v python3) && "$PY" -c 'import json' 2>/dev/null; then
  check "--json: hash, text and weights with steps" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["hash"]) == 16 and d["level"] == 1 and d["text"].startswith("size ")
ws = d["weights"]
assert [w["source"] for w in ws] == ["A", "B"], ws
b = ws[1]
assert b["source_shape"] == ["C_in", "k", "C_out/(g*s)"] and len(b["shape"]) == 4
assert b["permutation"] is None and b["steps"][0] == {"op": "split", "axis": 0, "sizes": ["g", "C_in/g"]}
assert sorted(sum(b["axes"], [])) == [0, 0, 1, 2]
a = ws[0]
assert a["permutation"] is not None and sorted(a["permutation"]) == [0, 1, 2, 3, 4]
' "$TMP/j.json"
  "$S" canon --json conv2d linear >"$TMP/j2.json"
  check "--json of several operators is an array" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1])); assert isinstance(d, list) and len(d) == 2' "$TMP/j2.json"
else
  skip "no python3 with json"; skip "no python3 with json"
fi

# The command line.
expect_status "no operator is a usage error" 2 "$S" canon
expect_status "--hash and --json together" 2 "$S" canon --hash --json conv2d
expect_status "an unknown option" 2 "$S" canon --frob conv2d
expect_status "--unordered without a list" 2 "$S" canon conv2d --unordered
expect_status "--unordered with an unknown axis" 2 "$S" canon --unordered nope conv2d
"$S" canon --unordered nope conv2d 2>&1 | grep -q "'nope' is neither a size variable nor an input or output axis" &&
  ok "an unknown --unordered item is named" || not_ok "an unknown --unordered item is named"
expect_status "an unknown operator" 1 "$S" canon no_such_op
printf 'size N;\nop bad(x[i: N]) -> [j] { }\n' >"$TMP/bad.syno"
expect_status "an operator with errors" 1 "$S" canon "$TMP/bad.syno:bad"
"$S" canon --hash conv2d "$top_srcdir/stdlib/conv.syno:conv2d" >"$TMP/h"
[ "$(cut -d' ' -f1 "$TMP/h" | sort -u | wc -l)" = 1 ] && grep -q "  conv2d$" "$TMP/h" &&
  ok "--hash prints one line per operator with its reference" || not_ok "--hash output"
"$S" canon --hash --unordered C_in,C_out conv2d | grep -Eq '^[0-9a-f]{16}  conv2d$' &&
  ok "--unordered by size variables" || not_ok "--unordered by size variables"
"$S" canon --hash --unordered c,o conv2d >"$TMP/u1"; "$S" canon --hash --unordered C_in,C_out conv2d >"$TMP/u2"
cmp -s "$TMP/u1" "$TMP/u2" && ok "--unordered by axis names is the same as by sizes here" || not_ok "--unordered by names"
done_testing
