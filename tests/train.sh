#!/bin/sh
# train.sh - `syno train` as a user runs it: usage errors (exit 2),
# operators that do not fit the proxy network and a missing or broken data
# set (exit 1, before any training), and, when Fashion-MNIST is installed,
# a short real training: JSON output, learning, --spec settings and a
# bit-for-bit repeat on one thread.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir" || exit 1
S=$SYNO
FM=${SYNO_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}

expect_status "train --help" 0 "$S" train --help
"$S" train --help | grep -q -- "--subset N" && ok "--help lists the settings" || not_ok "--help lists the settings"
expect_status "no operator: usage error" 2 "$S" train
expect_status "unknown task: usage error" 2 "$S" train conv2d --task cifar
expect_status "--epochs 0: usage error" 2 "$S" train conv2d --epochs 0
expect_status "--lr abc: usage error" 2 "$S" train conv2d --lr abc
expect_status "--momentum 1: usage error" 2 "$S" train conv2d --momentum 1
expect_status "unknown backend: usage error" 2 "$S" train conv2d --backend tpu
expect_status "unknown option: usage error" 2 "$S" train conv2d --frobnicate

# Operators that do not fit a slot: exit 1, the slot and the size named,
# before the data set is read (SYNO_FMNIST_DIR points nowhere).
SYNO_FMNIST_DIR="$TMP/none" "$S" train group_conv2d >"$TMP/o" 2>"$TMP/e"; st=$?
[ $st = 1 ] && grep -q "slot fmnist_l1 (N=64, C_in=16, C_out=16, H=28, W=28): size of .*C_\(in\|out\)/g = 16/32 is not an integer" "$TMP/e" &&
  ok "group_conv2d (g = 32) does not fit: the slot and the size are named" ||
  { not_ok "group_conv2d does not fit (exit $st)"; diag <"$TMP/e"; }
SYNO_FMNIST_DIR="$TMP/none" "$S" train linear >"$TMP/o" 2>"$TMP/e"; st=$?
[ $st = 1 ] && grep -q "maps \[N, C_in\] to \[N, C_out\]; a slot takes \[N, C_in, H, W\] to \[N, C_out, H, W\]" "$TMP/e" &&
  ok "linear does not fit: the layouts are named" || { not_ok "linear does not fit (exit $st)"; diag <"$TMP/e"; }
printf 'size N, C_in, C_out, H, W, K;\nop odd(x[n: N, c: C_in, h: H, w: W]) -> [n, o, h, w] {\n    weight f[fo: C_out, fc: C_in, fk: K];\n    sum(share(c, fc));\n    sum(share(expand(K), fk));\n    o = share(expand(C_out), fo);\n}\n' >"$TMP/odd.syno"
SYNO_FMNIST_DIR="$TMP/none" "$S" train "$TMP/odd.syno:odd" >"$TMP/o" 2>"$TMP/e"; st=$?
[ $st = 1 ] && grep -q "uses the size variable 'K', which the proxy network does not bind" "$TMP/e" &&
  ok "an operator with another size variable is refused" || { not_ok "other size variable (exit $st)"; diag <"$TMP/e"; }
expect_status "an unknown operator: exit 1" 1 "$S" train nosuchop

# A missing or broken data set.
SYNO_FMNIST_DIR="$TMP/none" "$S" train conv2d >"$TMP/o" 2>"$TMP/e"; st=$?
[ $st = 1 ] && grep -q "cannot open $TMP/none/train-images-idx3-ubyte.gz: No such file or directory; Fashion-MNIST comes from the Debian package dataset-fashion-mnist" "$TMP/e" &&
  ok "a missing data set names the Debian package" || { not_ok "missing data set (exit $st)"; diag <"$TMP/e"; }
mkdir -p "$TMP/bad"
printf 'not an idx file at all' | gzip >"$TMP/bad/train-images-idx3-ubyte.gz"
printf '\000\000\010\001\000\000\000\002\001\002' | gzip >"$TMP/bad/train-labels-idx1-ubyte.gz"
SYNO_FMNIST_DIR="$TMP/bad" "$S" train conv2d >"$TMP/o" 2>"$TMP/e"; st=$?
[ $st = 1 ] && grep -q "train-images-idx3-ubyte.gz: magic number 0x6e6f7420, expected 0x00000803 (not an IDX image file)" "$TMP/e" &&
  ok "a file that is not IDX is refused" || { not_ok "bad magic (exit $st)"; diag <"$TMP/e"; }
printf '\000\000\010\003\000\000\000\002\000\000\000\034\000\000\000\034abc' | gzip >"$TMP/bad/train-images-idx3-ubyte.gz"
SYNO_FMNIST_DIR="$TMP/bad" "$S" train conv2d >"$TMP/o" 2>"$TMP/e"; st=$?
[ $st = 1 ] && grep -q "train-images-idx3-ubyte.gz: truncated after" "$TMP/e" &&
  ok "a truncated file is refused" || { not_ok "truncated (exit $st)"; diag <"$TMP/e"; }

if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then
  for i in 1 2 3 4 5 6; do skip "Fashion-MNIST is not installed in $FM (apt-get install dataset-fashion-mnist)"; done
  done_testing
fi

# A short real training (smaller under the sanitizers).
SUB=1024 TEST=500
[ -n "${SYNO_SANITIZED:-}" ] && SUB=128 TEST=100
"$S" train conv2d --subset $SUB --batch 16 --epochs 1 --test-subset $TEST --threads 2 --json >"$TMP/j" 2>"$TMP/e"; st=$?
acc=$(sed -n 's/^  "test_accuracy": \(.*\),$/\1/p' "$TMP/j")
[ $st = 0 ] && grep -q '"status": "ok"' "$TMP/j" && grep -q '"curve": \[' "$TMP/j" && grep -q '"epoch_seconds": \[' "$TMP/j" &&
  [ -n "$acc" ] && ok "training on $SUB images: JSON with status, test accuracy ($acc), curve and times" ||
  { not_ok "short training (exit $st)"; diag <"$TMP/e"; diag <"$TMP/j"; }
if [ -z "${SYNO_SANITIZED:-}" ]; then
  awk -v a="$acc" 'BEGIN { exit !(a > 0.35) }' && ok "it learns: test accuracy $acc > 0.35 (chance is 0.1)" ||
    not_ok "it learns: test accuracy $acc > 0.35"
else
  skip "too few steps under the sanitizers to expect learning"
fi
"$S" train conv2d --subset 128 --batch 32 --epochs 1 --test-subset 64 --threads 1 --seed 5 --json >"$TMP/r1" 2>&1
"$S" train conv2d --subset 128 --batch 32 --epochs 1 --test-subset 64 --threads 1 --seed 5 --json >"$TMP/r2" 2>&1
sed -n '/"curve"/,/\]$/p' "$TMP/r1" >"$TMP/c1"; sed -n '/"curve"/,/\]$/p' "$TMP/r2" >"$TMP/c2"
[ -s "$TMP/c1" ] && cmp -s "$TMP/c1" "$TMP/c2" && ok "one thread, same seed: the same loss curve bit for bit" ||
  { not_ok "same loss curve"; diag <"$TMP/r1"; }
"$S" train conv2d --spec examples/fmnist-conv.syno:fmnist_conv --subset 64 --test-subset 32 --json >"$TMP/j" 2>"$TMP/e"; st=$?
[ $st = 0 ] && grep -q '"epochs": 1,' "$TMP/j" && grep -q '"batch": 32,' "$TMP/j" && grep -q '"subset": 64,' "$TMP/j" &&
  grep -q '"test_subset": 32,' "$TMP/j" &&
  ok "--spec takes the search block's train settings; options still win" || { not_ok "--spec (exit $st)"; diag <"$TMP/e"; }
# the example's layers are 32 and 64 channels wide: conv2d has 9*(32*32 + 32*64 + 64*64) weights there,
# 9*(16*16 + 16*32 + 32*32) in the default network
"$S" train conv2d --spec examples/fmnist-conv.syno --subset 64 --test-subset 32 >"$TMP/t" 2>&1; st=$?
[ $st = 0 ] && grep -q '"slot_params": 64512,' "$TMP/j" &&
  grep -q "in 3 slots (32->32 channels at 28x28, 32->64 channels at 14x14, 64->64 channels at 14x14), .* 64512 slot parameters" "$TMP/t" &&
  ok "--spec trains the network of the search block's layers" || { not_ok "--spec network (exit $st)"; diag <"$TMP/t"; }
# a run whose pace would need far more than its time limit stops at the first log interval (20 of 10,000 steps)
sed 's/^    train .*;/    train subset 6400 epochs 50 batch 32 test 32;/' examples/fmnist-conv.syno >"$TMP/slow.syno"
"$S" train conv2d --spec "$TMP/slow.syno" --time-limit 30 --json >"$TMP/j" 2>"$TMP/e"; st=$?
[ $st = 1 ] && grep -q '"status": "timeout"' "$TMP/j" && grep -q '"steps": 20,' "$TMP/j" &&
  grep -Eq "at its pace \(.* s of processor time for 20 of 10000 steps\) it would need about [0-9]+ s \(limit 30 s\)|still training after .* \(limit 30 s\), at step 20 of 10000" "$TMP/e" &&
  ok "--time-limit: a run too slow for it stops at the first log interval" ||
  { not_ok "projected time limit (exit $st)"; diag <"$TMP/e"; diag <"$TMP/j"; }
"$S" train conv2d --subset 64 --batch 32 --test-subset 32 >"$TMP/t" 2>&1
grep -q "^test accuracy: " "$TMP/t" && grep -q "^loss curve" "$TMP/t" && grep -q "^training time by part (wall / processor s): stem" "$TMP/t" &&
  ok "the text report: loss curve, test accuracy, time by part" || { not_ok "text report"; diag <"$TMP/t"; }

# The example external evaluator trains an exported module in PyTorch.
PY=${SYNO_TORCH_PYTHON:-/usr/bin/python3}
if "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
  "$S" export --pytorch conv2d >"$TMP/op.py"
  L='[{"name": "fmnist_l1", "N": 16, "C_in": 16, "C_out": 16, "H": 28, "W": 28, "k": 3}, {"name": "fmnist_l2", "N": 16, "C_in": 16, "C_out": 32, "H": 14, "W": 14, "k": 3}, {"name": "fmnist_l3", "N": 16, "C_in": 32, "C_out": 32, "H": 14, "W": 14, "k": 3}]'
  "$PY" examples/fmnist_train.py --op "$TMP/op.py" --layers "$L" --subset 64 --epochs 1 --test-subset 40 >"$TMP/o" 2>"$TMP/e"; st=$?
  [ $st = 0 ] && tail -n 1 "$TMP/o" | grep -q '^{"accuracy": [0-9.]*, "loss": [0-9.]*, "seconds": ' &&
    ok "examples/fmnist_train.py trains the exported module and prints its accuracy as JSON" ||
    { not_ok "examples/fmnist_train.py (exit $st)"; diag <"$TMP/o"; diag <"$TMP/e"; }
else
  skip "$PY cannot import torch and numpy (Debian: apt-get install python3-torch python3-numpy)"
fi
done_testing
