#!/bin/sh
# search_reach.sh - `syno reach`: the stdlib convolutions are in the spaces
# that should hold them (conv2d in a small conv space; group conv and Syno's
# Operator 1 and 2 under Syno's ResNet-18 settings), with a path of the
# search's own steps; and each kind of exclusion is named (weights, depth, a
# primitive's limit, an allowance, the FLOPs window, the shapes).
. "$top_srcdir/tests/lib.sh"
G="$top_srcdir/tests/search"

# reachable DESC SPEC OP DEPTH
reachable() {
  "$SYNO" reach "$2" "$3" >"$TMP/out" 2>&1
  st=$?
  if [ $st = 0 ] && grep -q "is in the space of search .*: depth $4 " "$TMP/out" && grep -q "^  *$4\. " "$TMP/out"; then
    ok "$1"
  else not_ok "$1 (exit $st)"; diag <"$TMP/out"; fi
}

# excluded DESC SPEC OP TEXT
excluded() {
  "$SYNO" reach "$2" "$3" >"$TMP/out" 2>&1
  st=$?
  if [ $st = 1 ] && grep -qF "$4" "$TMP/out"; then ok "$1"
  else not_ok "$1 (exit $st, want 1 and '$4')"; diag <"$TMP/out"; fi
}

reachable "conv2d is in the conv space at depth 6" "$G/conv.syno" conv2d 6
reachable "group_conv2d is in Syno's ResNet-18 space at depth 8" "$G/resnet18.syno" group_conv2d 8
reachable "syno_op1 is in Syno's ResNet-18 space at depth 10" "$G/resnet18.syno" syno_op1 10
reachable "syno_op2 is in Syno's ResNet-18 space at depth 11" "$G/resnet18.syno" syno_op2 11
reachable "shift_conv is in Syno's ResNet-18 space at depth 4" "$G/resnet18.syno" shift_conv 4

# issue 17: the operators an earlier shape distance lost are reached in the
# reference's sampler space, at their depth
K="$top_srcdir/bench/kas-sampler.syno"
reachable "f01004 (merge -> shift -> split) is in the sampler space at depth 7" "$K" "$G/kas-lost.syno:f01004" 7
reachable "f00155 (a dilated window) is in the sampler space at depth 8" "$K" "$G/kas-lost.syno:f00155" 8
reachable "f00464 (a sum completes C_in) is in the sampler space at depth 4" "$K" "$G/kas-lost.syno:f00464" 4
"$SYNO" reach "$K" "$G/kas-lost.syno:f00155" >"$TMP/r1" 2>&1
"$SYNO" enumerate "$K" --depth 8 --print >"$TMP/e8" 2>&1
h=$(sed -n 's/.*canonical hash \([0-9a-f]*\).*/\1/p' "$TMP/r1")
[ -n "$h" ] && grep -q "^# $h " "$TMP/e8" && ok "enumerate --depth 8 lists f00155, which reach builds in 8 steps" ||
  { not_ok "enumerate --depth 8 lists f00155 ($h)"; diag <"$TMP/r1"; }
# no single rule excludes f01004 under shift pattern 2, two together do
excluded "the smallest set of rules: two together" "$G/kas-lost.syno:pattern2" "$G/kas-lost.syno:f01004" \
  "excluded by the rules 'merge-near-shift' and 'shift-near-split' together"
grep -q "with those rules off, this path builds it" "$TMP/out" && ok "reach prints the path with both rules off" ||
  { not_ok "reach prints the path with both rules off"; diag <"$TMP/out"; }
"$SYNO" reach "$G/kas-lost.syno:pattern2" "$G/kas-lost.syno:f01004" --json >"$TMP/j" 2>&1
tr -d ' \n' <"$TMP/j" | grep -q '"rules":\["merge-near-shift","shift-near-split"\]' && ok "reach --json lists both rules" ||
  { not_ok "reach --json lists both rules"; diag <"$TMP/j"; }

L="$G/limits.syno"
excluded "too many weights" "$L:one_weight" syno_op1 "needs 2 weights, the spec allows 1"
excluded "too deep" "$L:shallow" conv2d "needs depth 6 > 5"
excluded "a primitive over its limit" "$L:no_split" group_conv2d "split used 1 times > limit 0"
excluded "an allowance exceeded" "$L:tight" syno_op1 "its allowance is 2"
excluded "FLOPs outside the window" "$L:window" conv2d "outside the window"
excluded "strides the spec does not allow" "$G/resnet18.syno" dilated_conv2d "stride used 2 times > limit 0"
excluded "mean" "$G/resnet18.syno" pooled_conv2d "it uses mean"
excluded "other shapes" "$G/resnet18.syno" depthwise_conv2d "its output axis 1 is C_in"

"$SYNO" reach "$G/resnet18.syno" syno_op1 --json >"$TMP/j" 2>&1
if grep -q '"reachable": true' "$TMP/j" && grep -q '"path": \[' "$TMP/j" && grep -q '"hash": "' "$TMP/j"; then
  ok "reach --json"
else not_ok "reach --json"; diag <"$TMP/j"; fi
h1=$(sed -n 's/.*"hash": "\([0-9a-f]*\)".*/\1/p' "$TMP/j")
h2=$("$SYNO" canon --hash --unordered C_in,C_out syno_op1 | cut -d' ' -f1)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && ok "reach reports the canonical hash at the unordered level" ||
  not_ok "reach reports the canonical hash at the unordered level ($h1 vs $h2)"

expect_status "reach with one argument is a usage error" 2 "$SYNO" reach "$G/conv.syno"
expect_status "reach of a missing operator is an input error" 1 "$SYNO" reach "$G/conv.syno" nope_op
done_testing
