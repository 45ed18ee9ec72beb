#!/bin/sh
# pytorch.sh - `syno export --pytorch` against the reference evaluator:
# every operator of the standard library and a set of random operators
# (tests/randop_dump) are exported, run by Debian's PyTorch (through
# /usr/bin/python3, the interpreter Debian's python3-torch is for, or
# $SYNO_TORCH_PYTHON), and their outputs and autograd gradients compared
# with `syno run --backend ref` on the same tensors (exchanged as .npy;
# the comparison itself is tests/pytorch_check.py).
. "$top_srcdir/tests/lib.sh"
PY=${SYNO_TORCH_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "1..0 # SKIP $PY cannot import torch and numpy (Debian: apt-get install python3-torch python3-numpy)"
  exit 0
fi
RD="$top_builddir/tests/randop_dump"
NRAND=${SYNO_PYTORCH_RANDOM:-15}
[ -n "${SYNO_SANITIZED:-}" ] && NRAND=4
MAN="$TMP/manifest"
: >"$MAN"
prep_fail=0

# add NAME REF BIND: exports REF and runs it with the reference evaluator.
add() {
  d="$TMP/case$(wc -l <"$MAN" | tr -d ' ')"
  mkdir -p "$d"
  if "$SYNO" export --pytorch "$2" --bind "$3" >"$d/op.py" 2>"$d/err" &&
     "$SYNO" run "$2" --bind "$3" --seed 7 --save-inputs "$d/in" --out "$d/y.npy" --grad random \
       --out-grads "$d/g" >/dev/null 2>>"$d/err"; then
    printf '%s\t%s\n' "$1" "$d" >>"$MAN"
  else
    prep_fail=$((prep_fail + 1))
    echo "# $1: could not prepare:"; diag <"$d/err"
  fi
}

for f in conv syno pool linear; do
  case $f in
    conv|syno) b="N=2,C_in=8,C_out=8,H=6,W=6,g=2,s=2" ;;
    pool) b="N=2,C_in=3,H=6,W=4" ;;
    linear) b="N=3,C_in=5,C_out=4" ;;
  esac
  for op in $(sed -n 's/^op \([A-Za-z_][A-Za-z_0-9]*\).*/\1/p' "$top_srcdir/stdlib/$f.syno"); do
    add "stdlib $f.syno:$op" "$top_srcdir/stdlib/$f.syno:$op" "$b"
  done
done
# the lowrank example (two weights sharing a contracted index)
add "examples/lowrank.syno:lowrank" "$top_srcdir/examples/lowrank.syno:lowrank" "N=3,C_in=8,C_out=8"
for op in $(sed -n 's/^op \([A-Za-z_][A-Za-z_0-9]*\).*/\1/p' "$top_srcdir/tests/pytorch_ops.syno"); do
  add "tests/pytorch_ops.syno:$op" "$top_srcdir/tests/pytorch_ops.syno:$op" small
done

mkdir -p "$TMP/rand"
# random operators of depths 6, 8, 10 and 12 (NRAND of each; $SYNO_PYTORCH_RANDOM
# for a larger sweep), most exported as views, the rest with index tensors
for depth in 6 8 10 12; do
  if "$RD" $depth "$NRAND" "$TMP/rand" >"$TMP/rd.out" 2>&1; then
    i=0
    while [ $i -lt $NRAND ]; do
      add "random operator $depth/$i" "$TMP/rand/randop_${depth}_$i.syno:randop" small
      i=$((i + 1))
    done
  else
    prep_fail=$((prep_fail + 1)); diag <"$TMP/rd.out"
  fi
done

# pytorch_check.py prints the plan and one line per case; one more line
# here says whether every case could be prepared.
"$PY" "$top_srcdir/tests/pytorch_check.py" "$MAN" >"$TMP/tap"
st=$?
n=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$TMP/tap")
echo "1..$((n + 4))"
grep -v '^1\.\.' "$TMP/tap"
[ -n "$n" ] || { echo "not ok 1 - pytorch_check.py ran (exit $st)"; exit 0; }
if [ $prep_fail = 0 ]; then echo "ok $((n + 1)) - every case was exported and run by the reference evaluator"
else echo "not ok $((n + 1)) - $prep_fail cases could not be exported or run"; fi
# the operators of pytorch_ops.syno are exported as views, not index tensors
gathered=""
while IFS="$(printf '\t')" read -r name dir; do
  case $name in tests/pytorch_ops.syno:*)
    grep -q "follows syno's staged plan" "$dir/op.py" || gathered="$gathered ${name#*:}" ;;
  esac
done <"$MAN"
if [ -z "$gathered" ]; then echo "ok $((n + 2)) - the operators of pytorch_ops.syno are exported as views"
else echo "not ok $((n + 2)) - exported with index tensors:$gathered"; fi
# which windows take the module's own backward (_Windows): in forced_window
# (random operator 6/87's shape) at that operator's sizes, the window of k
# taps over the merged copy [N, C*C/s, W, k], not the one over wa's [C*C/s,
# k] (fewer than _WINDOWS_MIN elements) nor the one of k^2 taps over x (more
# than 4 taps); at the small sizes none
FW="$top_srcdir/tests/pytorch_ops.syno:forced_window"
if "$SYNO" export --pytorch "$FW" --bind N=64,C=32,H=1,W=32 >"$TMP/fw_big.py" 2>"$TMP/fw.err" &&
   "$SYNO" export --pytorch "$FW" --bind N=2,C=4,H=1,W=4 >"$TMP/fw_small.py" 2>>"$TMP/fw.err"; then
  got=$("$PY" - "$TMP/fw_big.py" "$TMP/fw_small.py" <<'EOF' 2>&1
import importlib.util, sys, torch
for path, shape in zip(sys.argv[1:], ((64, 32, 32), (2, 4, 4))):
    spec = importlib.util.spec_from_file_location("fw", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    seen = []
    apply = mod._Windows.apply
    mod._Windows.apply = lambda t, d, k: seen.append(tuple(t.shape)) or apply(t, d, k)
    y = mod.forced_window()(torch.randn(shape, requires_grad=True))
    print(seen, y.grad_fn is not None)
EOF
)
  want="[(64, 512, 32, 3)] True
[] True"
  if [ "$got" = "$want" ]; then echo "ok $((n + 3)) - forced_window's window over the merged copy of x takes _Windows at N=64, C=32, W=32, none at the small sizes"
  else echo "not ok $((n + 3)) - forced_window's windows through _Windows:"; echo "$got" | diag; fi
else
  echo "not ok $((n + 3)) - forced_window could not be exported"; diag <"$TMP/fw.err"
fi
# the layouts of a product with a vector (_mulsum): in mulsum_layout
# (random operator 12/30's shape) at that operator's sizes the product takes
# _MulSum, and the gradients it writes reach the weight (its hook, before
# accumulation) and the window's backward (_Windows) as they are, with no
# copy in the reshapes and permutes between; at the small sizes it does not
ML="$top_srcdir/tests/pytorch_ops.syno:mulsum_layout"
if "$SYNO" export --pytorch "$ML" --bind C=32,H=32,W=32 >"$TMP/ml_big.py" 2>"$TMP/ml.err" &&
   "$SYNO" export --pytorch "$ML" --bind C=4,H=3,W=4 >"$TMP/ml_small.py" 2>>"$TMP/ml.err"; then
  got=$("$PY" - "$TMP/ml_big.py" "$TMP/ml_small.py" <<'EOF' 2>&1
import importlib.util, sys, torch
for path, shape in zip(sys.argv[1:], ((32, 32, 32), (4, 3, 4))):
    spec = importlib.util.spec_from_file_location("ml", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    made, reached = [], []
    mb, wb = mod._MulSum.backward, mod._Windows.backward
    def mulsum_backward(ctx, g):
        r = mb(ctx, g)
        made.extend(t.data_ptr() for t in r if t is not None)
        return r
    def windows_backward(ctx, g):
        reached.append(g.data_ptr())
        return wb(ctx, g)
    mod._MulSum.backward = staticmethod(mulsum_backward)
    mod._Windows.backward = staticmethod(windows_backward)
    m = mod.mulsum_layout()
    m.wa.register_hook(lambda g: reached.append(g.data_ptr()))
    m(torch.randn(shape, requires_grad=True)).sum().backward()
    print(len(made), len(reached), sorted(made) == sorted(reached))
EOF
)
  want="2 2 True
0 1 False"
  if [ "$got" = "$want" ]; then echo "ok $((n + 4)) - mulsum_layout's product takes _MulSum at C=32, H=32, W=32 and its gradients reach the weight and the window without a copy; not at the small sizes"
  else echo "not ok $((n + 4)) - mulsum_layout's gradients through _MulSum (made, reached, the same tensors):"; echo "$got" | diag; fi
else
  echo "not ok $((n + 4)) - mulsum_layout could not be exported"; diag <"$TMP/ml.err"
fi
