#!/bin/sh
# cpu.sh - the CPU executor from the command line: `syno run --backend cpu`
# with --check against the reference evaluator (forward and gradients, the
# stdlib and the batch-index contractions of tests/cpu/grouped.syno),
# `syno explain --plan`, `syno bench` (text and the --json interface
# scripts rely on), and bad input with its exit status (1: bad data or
# binding, 2: bad command line).
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir" || exit 1
S=$SYNO
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
B=N=2,C_in=4,C_out=6,H=5,W=4

# run --backend cpu --check: forward and every gradient against ref.
for op in conv2d group_conv2d depthwise_conv2d dilated_conv2d pooled_conv2d shift_conv avgpool2d syno_op1 syno_op2; do
  bind=$B,g=2,s=2
  case $op in
    syno_op*) bind=N=2,C_in=8,C_out=8,H=5,W=4,g=2,s=2 ;;
    avgpool2d) bind=N=2,C_in=3,H=6,W=4 ;;
    pooled_conv2d) bind=N=2,C_in=4,C_out=6,H=6,W=4,s=2 ;;
  esac
  "$S" run $op --bind $bind --backend cpu --grad random --check >"$TMP/o" 2>&1; st=$?
  [ $st = 0 ] && grep -q "^check against ref (tolerance " "$TMP/o" && ok "run $op --backend cpu --grad --check" ||
    { not_ok "run $op --backend cpu --grad --check (exit $st)"; diag <"$TMP/o"; }
done
"$S" run examples/lowrank.syno:lowrank --bind N=8,C_in=32,C_out=32 --backend cpu --grad random --check >"$TMP/o" 2>&1 &&
  ok "examples/lowrank.syno:lowrank --backend cpu --grad --check" || { not_ok "lowrank --check"; diag <"$TMP/o"; }

# Contractions with batch indices (tests/cpu/grouped.syno): forward and
# every gradient against ref, and the grouped convolution's group as the
# batch index of sgemm in `syno bench`'s stage lines.
G=tests/cpu/grouped.syno
for op in depthwise_mult group_of_groups interleaved regroup unfold_reshaped; do
  "$S" run $G:$op --bind N=2,C_in=8,C_out=8,H=6,W=6,g=2,s=2 --backend cpu --grad random --check >"$TMP/o" 2>&1; st=$?
  [ $st = 0 ] && grep -q "^check against ref (tolerance " "$TMP/o" && ok "run $G:$op --backend cpu --grad --check" ||
    { not_ok "run $G:$op --backend cpu --grad --check (exit $st)"; diag <"$TMP/o"; }
done
"$S" bench group_conv2d --bind N=2,C_in=16,C_out=16,H=6,W=8,g=2 --grad --repeat 1 --warmup 0 --no-baseline >"$TMP/b" 2>&1 &&
  grep -q "forward stage 1: sgemm 2x\[.*; o into o/8 o%8$" "$TMP/b" && grep -q "x stage 1: sgemm 2x\[.*; c into c/8 c%8$" "$TMP/b" &&
  grep -q "f stage 1: sgemm 2x\[" "$TMP/b" && ok "bench group_conv2d g=2: every stage a batched sgemm over the groups" ||
  { not_ok "bench group_conv2d stage methods"; diag <"$TMP/b"; }
"$S" bench depthwise_conv2d --bind N=2,C_in=8,H=6,W=8 --grad --repeat 1 --warmup 0 --no-baseline >"$TMP/b" 2>&1 &&
  [ "$(grep -c 'stage 1: generic: .*read in place' "$TMP/b")" = 3 ] &&
  ok "bench depthwise_conv2d: every stage multiplies its operands in place" || { not_ok "bench depthwise"; diag <"$TMP/b"; }

# Same output as ref to float rounding, in the .npy files.
"$S" run conv2d --bind $B --seed 3 --out "$TMP/ref.npy" >/dev/null 2>&1 &&
  "$S" run conv2d --bind $B --seed 3 --backend cpu --out "$TMP/cpu.npy" >/dev/null 2>&1 &&
  "$PY" -c '
import struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<H", b[8:10])[0]
    data = b[10 + n:]
    return struct.unpack("<%df" % (len(data) // 4), data)
a, r = load(sys.argv[1]), load(sys.argv[2])
m = max(abs(x) for x in r)
sys.exit(0 if len(a) == len(r) and max(abs(x - y) for x, y in zip(a, r)) <= 1e-5 * m else 1)
' "$TMP/cpu.npy" "$TMP/ref.npy" && ok "cpu and ref write the same .npy output (to 1e-5)" ||
  not_ok "cpu and ref outputs"

# --check in JSON.
"$S" run syno_op1 --bind N=2,C_in=8,C_out=8,H=5,W=4,g=2,s=2 --backend cpu --check --json >"$TMP/j" 2>&1 &&
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["check"]; assert d["backend"]=="cpu", d' "$TMP/j" &&
  ok "run --backend cpu --check --json" || { not_ok "run --check --json"; diag <"$TMP/j"; }

# NaN input: a documented result (IEEE propagation), not a crash.
"$PY" -c '
import struct, sys
shape = (2, 4, 5, 4)
hdr = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (2, 4, 5, 4), }"
hdr += " " * (118 - len(hdr)) + "\n"
vals = [1.0] * (2 * 4 * 5 * 4); vals[0] = float("nan")
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<%df" % len(vals), *vals))
' "$TMP/xnan.npy"
"$S" run conv2d --bind $B --in "$TMP/xnan.npy" --backend cpu --out "$TMP/ynan.npy" >"$TMP/o" 2>&1; st=$?
[ $st = 0 ] && grep -q "NaN" "$TMP/o" && "$PY" -c '
import struct, sys, math
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<H", b[8:10])[0]; d = b[10 + n:]
v = struct.unpack("<%df" % (len(d) // 4), d)
# x[0,0,0,0] is NaN: exactly the outputs of image 0 whose 3x3 window holds (0,0) are NaN
bad = [i for i, x in enumerate(v) if math.isnan(x)]
want = [((0 * 6 + o) * 5 + y) * 4 + z for o in range(6) for y in range(2) for z in range(2)]
sys.exit(0 if sorted(bad) == sorted(want) else 1)
' "$TMP/ynan.npy" && ok "a NaN input element: a warning, exit 0, NaN exactly in the outputs that read it" ||
  { not_ok "NaN input with --backend cpu (exit $st)"; diag <"$TMP/o"; }

# Wrong .npy shape and missing / non-dividing bindings: errors, not crashes.
expect_status "run --backend cpu with an input of the wrong shape" 1 \
  "$S" run conv2d --bind N=2,C_in=4,C_out=6,H=5,W=5 --in "$TMP/xnan.npy" --backend cpu
expect_status "run --backend cpu with a variable missing from --bind" 1 "$S" run conv2d --bind N=2,C_in=4 --backend cpu
expect_status "run --backend cpu with sizes that do not divide" 1 \
  "$S" run group_conv2d --bind N=2,C_in=5,C_out=6,H=4,W=4,g=2 --backend cpu

# explain --plan
"$S" explain syno_op1 --bind N=8,C_in=64,C_out=64,H=56,W=56 --plan >"$TMP/p" 2>&1
grep -q "^plan of syno_op1, forward: 2 stages" "$TMP/p" && grep -q "  stage 2: out\[n, o, y, z\] = " "$TMP/p" &&
  grep -q "plan/direct = 0.3368" "$TMP/p" && grep -q "guards  0 <= " "$TMP/p" &&
  ok "explain --plan: stages, formula, guards, plan vs direct FLOPs" || { not_ok "explain --plan"; diag <"$TMP/p"; }
"$S" explain syno_op1 --bind N=8,C_in=64,C_out=64,H=56,W=56 --plan=all >"$TMP/p" 2>&1
[ "$(grep -c '^plan of syno_op1' "$TMP/p")" = 4 ] && grep -q "gradient with respect to B" "$TMP/p" &&
  ok "explain --plan=all: forward and one plan per tensor" || { not_ok "explain --plan=all"; diag <"$TMP/p"; }
"$S" explain syno_op1 --bind N=8,C_in=64,C_out=64,H=56,W=56 --plan=A --json >"$TMP/j" 2>&1 &&
  "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["plans"][0]
assert p["wrt"] == "A" and len(p["stages"]) == 2 and p["flops"] < p["direct_flops"], p
s = p["stages"][1]
assert s["out"] == "dA" and {"formula", "iterators", "operands", "guards", "flops", "points"} <= set(s), s
' "$TMP/j" && ok "explain --plan=A --json" || { not_ok "explain --plan --json"; diag <"$TMP/j"; }
expect_status "explain --plan without --bind" 2 "$S" explain conv2d --plan
expect_status "explain --plan=nosuch" 1 "$S" explain conv2d --bind $B --plan=nosuch

# bench
"$S" bench conv2d --bind N=2,C_in=8,C_out=8,H=6,W=6 --repeat 3 --warmup 1 >"$TMP/b" 2>&1 &&
  grep -q "ours: staged plan .* GFLOP/s" "$TMP/b" && grep -q "baseline: im2col+sgemm" "$TMP/b" &&
  grep -q "results agree to" "$TMP/b" && ok "bench conv2d: ours next to im2col+sgemm" ||
  { not_ok "bench text"; diag <"$TMP/b"; }
"$S" bench syno_op1 --bind N=2,C_in=8,C_out=8,H=5,W=4,g=2,s=2 --repeat 3 --warmup 1 --grad --threads 2 --json \
  >"$TMP/j" 2>&1 && "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("median_s", "min_s", "gflops", "plan_gflops", "flops", "plan_flops", "speedup"):
    assert isinstance(d[k], (int, float)) and d[k] > 0, k
b = d["baseline"]
assert b["name"] == "direct loop nest" and b["median_s"] > 0 and b["gflops"] > 0, b
assert d["pass"] == "forward+backward" and d["threads"] == 2 and d["max_rel_diff"] < 1e-4, d
assert d["plan_flops"] < d["flops"]
' "$TMP/j" && ok "bench --json: median_s, gflops, baseline {name, median_s, gflops}, plan FLOPs below direct" ||
  { not_ok "bench --json"; diag <"$TMP/j"; }
expect_status "bench without --bind" 2 "$S" bench conv2d
expect_status "bench with a bad --repeat" 2 "$S" bench conv2d --bind $B --repeat 0
expect_status "bench with an unknown backend" 2 "$S" bench conv2d --bind $B --backend tpu
expect_status "bench with sizes that do not divide" 1 "$S" bench group_conv2d --bind N=2,C_in=5,C_out=6,H=4,W=4,g=2
SYNO_THREADS=1 "$S" bench conv2d --bind $B --repeat 2 --warmup 0 --no-baseline --json >"$TMP/j" 2>&1 &&
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["threads"]==1 and d["baseline"]["name"] is None' \
    "$TMP/j" && ok "SYNO_THREADS=1 and --no-baseline" || { not_ok "SYNO_THREADS"; diag <"$TMP/j"; }
done_testing
