#!/bin/sh
# run.sh - `syno run` as a user runs it: outputs and gradients written as
# .npy and checked against numpy (when /usr/bin/python3 has it), random
# tensors per seed, summaries, JSON, and every kind of bad input with its
# exit status (1: bad data or binding, 2: bad command line).
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir" || exit 1
S=$SYNO
NP=
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then NP=/usr/bin/python3; fi
B=N=2,C_in=3,C_out=4,H=5,W=4

expect_status "run --help" 0 "$S" run --help
"$S" run --help | grep -q "^  ref " && ok "--help lists the backends" || not_ok "--help lists the backends"
"$S" help run | grep -q -- "--out-grads DIR" && ok "syno help run" || not_ok "syno help run"

# A summary without --out.
"$S" run conv2d --bind $B >"$TMP/s1" 2>"$TMP/e1"; st=$?
[ $st = 0 ] && grep -q "^out    \[2, 4, 5, 4\]  min .* max .* mean .* sum " "$TMP/s1" && grep -q "first: " "$TMP/s1" &&
  [ ! -s "$TMP/e1" ] && ok "a summary of the output: shape, min, max, mean, sum, first values" ||
  { not_ok "summary"; diag <"$TMP/s1"; diag <"$TMP/e1"; }
"$S" run conv2d --bind $B >"$TMP/s2"
cmp -s "$TMP/s1" "$TMP/s2" && ok "the default seed is 0: two runs agree" || not_ok "default seed"
"$S" run conv2d --bind $B --seed 0 >"$TMP/s2"
cmp -s "$TMP/s1" "$TMP/s2" && ok "--seed 0 is the default" || not_ok "--seed 0"
"$S" run conv2d --bind $B --seed 1 >"$TMP/s2"
cmp -s "$TMP/s1" "$TMP/s2" && not_ok "another seed, another output" || ok "another seed, another output"

# Files in, files out; random tensors saved; gradients.
check "run with --save-inputs, --out, --grad random, --out-grads" \
  "$S" run conv2d --bind $B --seed 7 --save-inputs "$TMP/in" --out "$TMP/y.npy" --grad random --out-grads "$TMP/g"
[ -f "$TMP/in/x.npy" ] && [ -f "$TMP/in/f.npy" ] && [ -f "$TMP/in/dy.npy" ] && [ -f "$TMP/g/x.npy" ] &&
  [ -f "$TMP/g/f.npy" ] && ok "files written: inputs, dy, and DIR/<name>.npy for every gradient" ||
  { not_ok "files written"; ls -R "$TMP" | diag; }
check "the saved tensors given back as files reproduce the output" \
  "$S" run conv2d --bind $B --in "$TMP/in/x.npy" --weight f="$TMP/in/f.npy" --out "$TMP/y2.npy"
cmp -s "$TMP/y.npy" "$TMP/y2.npy" && ok "same output bit for bit" || not_ok "same output bit for bit"
"$S" run conv2d --bind $B --seed 7 --weight f="$TMP/in/f.npy" --out "$TMP/y3.npy" >/dev/null
cmp -s "$TMP/y.npy" "$TMP/y3.npy" && ok "giving one tensor as a file leaves the random others unchanged" ||
  not_ok "random streams per tensor"

if [ -n "$NP" ]; then
  check "conv2d output and gradients equal numpy's" "$NP" -c '
import numpy as np, sys
d = sys.argv[1]
x = np.load(d + "/in/x.npy").astype(np.float64); f = np.load(d + "/in/f.npy").astype(np.float64)
dy = np.load(d + "/in/dy.npy").astype(np.float64); y = np.load(d + "/y.npy")
assert y.dtype == np.float32 and y.shape == (2, 4, 5, 4), (y.dtype, y.shape)
N, C, H, W = x.shape; k = 3
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
ref = np.zeros((N, 4, H, W)); dxp = np.zeros_like(xp); df = np.zeros_like(f)
for a in range(k):
    for b in range(k):
        win = xp[:, :, a:a + H, b:b + W]
        ref += np.einsum("nchw,oc->nohw", win, f[:, :, a, b])
        dxp[:, :, a:a + H, b:b + W] += np.einsum("nohw,oc->nchw", dy, f[:, :, a, b])
        df[:, :, a, b] = np.einsum("nohw,nchw->oc", dy, win)
dx = dxp[:, :, 1:H + 1, 1:W + 1]
def close(got, want): return np.abs(got - want).max() <= 1e-5 * max(1, np.abs(want).max())
assert close(y, ref), np.abs(y - ref).max()
assert close(np.load(d + "/g/x.npy"), dx)
assert close(np.load(d + "/g/f.npy"), df)
' "$TMP"
  check "syno_op1 (two weights) equals a numpy einsum" sh -c '
"$1" run syno_op1 --bind N=2,C_in=4,C_out=8,H=3,W=4,g=2 --seed 3 --save-inputs "$2/op1" --out "$2/op1/y.npy" >/dev/null &&
"$3" -c "
import numpy as np, sys
d = sys.argv[1]
x, A, B = (np.load(d + n).astype(np.float64) for n in (\"/x.npy\", \"/A.npy\", \"/B.npy\"))
y = np.load(d + \"/y.npy\")
N, C, H, W = x.shape; g, k = 2, 3; M = B.shape[2]; O = A.shape[3]
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
ref = np.zeros((N, O, H, W))
for p in range(k):
    for q in range(k):
        xs = xp[:, :, p:p + H, q:q + W].reshape(N, g, C // g, H, W)
        ref += np.einsum(\"ngchw,gcm,gom->nohw\", xs, B[:, q, :].reshape(g, C // g, M), A[:, p, q, :, :])
assert np.abs(y - ref).max() <= 1e-5 * max(1, np.abs(ref).max()), np.abs(y - ref).max()
" "$2/op1"' sh "$S" "$TMP" "$NP"
  "$S" run conv2d --bind $B --json --grad random >"$TMP/j.json"
  check "--json prints one object with the output and gradient summaries" "$NP" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["operator"] == "conv2d" and d["backend"] == "ref" and d["seed"] == 0
assert d["output"]["shape"] == [2, 4, 5, 4] and d["output"]["file"] is None
assert set(d["gradients"]) == {"x", "f"} and d["gradients"]["f"]["shape"] == [4, 3, 3, 3]
assert d["check"] is None
' "$TMP/j.json"
  # Bad data made with numpy.
  "$NP" -c '
import numpy as np, sys
d = sys.argv[1]
np.save(d + "/x64.npy", np.zeros((2, 3, 5, 4)))
np.save(d + "/xf.npy", np.asfortranarray(np.zeros((2, 3, 5, 4), np.float32)))
x = np.ones((2, 3, 5, 4), np.float32); x[0, 0, 0, 0] = np.nan; x[1, 2, 4, 3] = np.inf
np.save(d + "/xnan.npy", x)
' "$TMP"
  "$S" run conv2d --bind $B --in "$TMP/x64.npy" >"$TMP/out" 2>&1; st=$?
  [ $st = 1 ] && grep -q "x64.npy: the data type is '<f8' (float64), but syno needs float32" "$TMP/out" &&
    grep -q "astype(np.float32)" "$TMP/out" && ok "float64 input: exit 1, says how to convert" ||
    { not_ok "float64 input"; diag <"$TMP/out"; }
  "$S" run conv2d --bind $B --in "$TMP/xf.npy" >"$TMP/out" 2>&1; st=$?
  [ $st = 1 ] && grep -q "Fortran" "$TMP/out" && ok "Fortran-order input: exit 1" || { not_ok "fortran"; diag <"$TMP/out"; }
  "$S" run conv2d --bind $B --in "$TMP/xnan.npy" --out "$TMP/ynan.npy" >"$TMP/out" 2>"$TMP/err"; st=$?
  [ $st = 0 ] && grep -q "warning: .*xnan.npy has 1 NaN and 1 infinite values" "$TMP/err" &&
    "$NP" -c '
import numpy as np, sys
y = np.load(sys.argv[1])
bad = ~np.isfinite(y)
# x[0,0,0,0] reaches out[0, :, 0:2, 0:2]; x[1,2,4,3] reaches out[1, :, 3:5, 2:4]
want = np.zeros(y.shape, bool); want[0, :, 0:2, 0:2] = True; want[1, :, 3:5, 2:4] = True
assert (bad == want).all(), np.argwhere(bad != want)[:5]
' "$TMP/ynan.npy" && ok "NaN/inf input: a warning, exit 0, non-finite exactly where read (IEEE)" ||
    { not_ok "NaN input"; diag <"$TMP/err"; }
else
  for i in 1 2 3 4 5 6; do skip "no /usr/bin/python3 with numpy"; done
fi

# Bad data without numpy: syno's own files, damaged.
"$S" run conv2d --bind N=2,C_in=3,C_out=4,H=5,W=5 --in "$TMP/in/x.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "x.npy has shape \[2, 3, 5, 4\], but input 'x' \[n: N = 2, c: C_in = 3, h: H = 5, w: W = 5\] needs \[2, 3, 5, 5\]" "$TMP/out" &&
  ok "a .npy of the wrong shape: exit 1, both shapes and the axis names" || { not_ok "wrong shape"; diag <"$TMP/out"; }
"$S" run conv2d --bind $B --weight f="$TMP/in/x.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "but weight 'f' \[fo: C_out = 4, fc: C_in = 3, fh: k = 3, fw: k = 3\] needs \[4, 3, 3, 3\]" "$TMP/out" &&
  ok "a weight of the wrong shape names the weight" || { not_ok "weight shape"; diag <"$TMP/out"; }
"$S" run conv2d --bind $B --grad "$TMP/in/x.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "but dy (the gradient of the output) \[n: N = 2, o: C_out = 4" "$TMP/out" &&
  ok "a dy of the wrong shape says it is dy" || { not_ok "dy shape"; diag <"$TMP/out"; }
cp "$TMP/in/x.npy" "$TMP/short.npy" && truncate -s -4 "$TMP/short.npy"
"$S" run conv2d --bind $B --in "$TMP/short.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "short.npy: truncated" "$TMP/out" && ok "a truncated .npy: exit 1" || { not_ok "truncated"; diag <"$TMP/out"; }
cp "$TMP/in/x.npy" "$TMP/long.npy" && printf 'junk' >>"$TMP/long.npy"
"$S" run conv2d --bind $B --in "$TMP/long.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "4 unexpected bytes after the data" "$TMP/out" && ok "trailing bytes: exit 1" || { not_ok "trailing"; diag <"$TMP/out"; }
sed "s/'<f4'/'<i4'/" "$TMP/in/x.npy" >"$TMP/int.npy"
"$S" run conv2d --bind $B --in "$TMP/int.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "'<i4' (int32)" "$TMP/out" && ok "an int32 .npy: exit 1, names the dtype" || { not_ok "int32"; diag <"$TMP/out"; }
"$S" run conv2d --bind $B --in stdlib/conv.syno >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "not a .npy file" "$TMP/out" && ok "not a .npy file: exit 1" || { not_ok "not npy"; diag <"$TMP/out"; }
"$S" run conv2d --bind $B --in "$TMP/nope.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "cannot open '.*nope.npy': No such file" "$TMP/out" && ok "a missing file: exit 1, named" || { not_ok "missing"; diag <"$TMP/out"; }

# Bindings and names.
"$S" run conv2d --bind N=2,C_in=3 >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "gives no value to C_out, H, W" "$TMP/out" && ok "--bind missing variables: exit 1, named" || { not_ok "missing vars"; diag <"$TMP/out"; }
"$S" run group_conv2d --bind N=2,C_in=64,C_out=80,H=4,W=4 >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "C_out/g = 80/32 is not an integer" "$TMP/out" && ok "sizes that do not divide: exit 1" || { not_ok "divide"; diag <"$TMP/out"; }
"$S" run conv2d --bind $B --weight ff="$TMP/in/f.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "has no weight 'ff'; did you mean 'f'?" "$TMP/out" && ok "unknown weight name: exit 1, suggestion" || { not_ok "unknown weight"; diag <"$TMP/out"; }
"$S" run conv2d --bind $B --weight x="$TMP/in/x.npy" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "'x' is its input: give it with --in" "$TMP/out" && ok "--weight naming the input points to --in" || { not_ok "weight=input"; diag <"$TMP/out"; }
"$S" run conv2d --bind N=4096,C_in=64,C_out=64,H=256,W=256 >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "allows at most 2^27" "$TMP/out" && ok "tensors over the size limit are refused before allocation" || { not_ok "limit"; diag <"$TMP/out"; }
printf 'size N, C;\nop p(x[n: N, c: C]) -> [n, c] {}\nbind tiny { N = 2, C = 3 }\n' >"$TMP/p.syno"
"$S" run "$TMP/p.syno:p" --bind tiny --save-inputs "$TMP/p" --out "$TMP/p.npy" >/dev/null &&
  cmp -s "$TMP/p.npy" "$TMP/p/x.npy" && ok "--bind with a bind block; the identity returns its input" || not_ok "bind block identity"

# Random operators saved as files (tests/randop_dump) run as written.
RD="$top_builddir/tests/randop_dump"
if [ -x "$RD" ] && mkdir "$TMP/rand" && "$RD" 11 8 "$TMP/rand"; then
  good=0 fmt=0
  for f in "$TMP"/rand/*.syno; do
    "$S" run "$f:randop" --bind small --grad random --check >"$TMP/out" 2>&1 && good=$((good + 1)) || diag <"$TMP/out"
    "$S" fmt --check "$f" >/dev/null 2>&1 && fmt=$((fmt + 1))
  done
  [ $good = 8 ] && ok "8 printed random operators run with gradients and --check" || not_ok "random operators run ($good of 8)"
  [ $fmt = 8 ] && ok "printed random operators are in the canonical format" || not_ok "printed format ($fmt of 8)"
else
  skip "tests/randop_dump not built"; skip "tests/randop_dump not built"
fi

# Command-line mistakes exit 2.
expect_status "no operator" 2 "$S" run --bind $B
expect_status "two operators" 2 "$S" run conv2d linear --bind $B
expect_status "--weight without NAME=" 2 "$S" run conv2d --bind $B --weight f.npy
expect_status "--weight given twice" 2 "$S" run conv2d --bind $B --weight f=a.npy --weight f=b.npy
expect_status "--seed not a number" 2 "$S" run conv2d --bind $B --seed x
expect_status "--seed negative" 2 "$S" run conv2d --bind $B --seed -3
expect_status "unknown backend" 2 "$S" run conv2d --bind $B --backend nope
expect_status "--out-grads without --grad" 2 "$S" run conv2d --bind $B --out-grads "$TMP/gg"
expect_status "unknown option" 2 "$S" run conv2d --bind $B --frob
expect_status "--bind without a value" 2 "$S" run conv2d --bind
expect_status "--bind with garbage" 2 "$S" run conv2d --bind N
"$S" run conv2d --bind $B --backend nope 2>&1 | grep -q "unknown backend 'nope' (backends: ref" && ok "unknown backend lists the backends" || not_ok "backend list"

# --check against the reference evaluator.
"$S" run conv2d --bind $B --check --grad random >"$TMP/out" 2>&1; st=$?
[ $st = 0 ] && grep -q "check against ref (tolerance .*): out 0, dx 0, df 0" "$TMP/out" && ok "--check reports the errors per result" || { not_ok "--check"; diag <"$TMP/out"; }
done_testing
