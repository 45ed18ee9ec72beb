#!/bin/sh
# cpu.sh - the CPU executor's figures, measured side by side in one run:
#   1. conv2d forward (N=8, C_in=C_out=64, H=W=56, k=3): syno's executor,
#      an im2col + OpenBLAS sgemm baseline and a naive loop (bench/cpu_conv);
#   2. syno bench on conv2d, syno_op1 and syno_op2 (forward, and forward +
#      backward), against im2col+sgemm or the direct loop nest;
#   3. plan FLOPs against direct-evaluation FLOPs for syno_op1 and syno_op2;
#   4. the three convolution layers of the Fashion-MNIST proxy network at
#      batch 64, forward + backward, and what that makes per epoch.
# usage: bench/cpu.sh [BUILD_DIR]   (default: build; configured already)
# It measures and prints; it never passes or fails on a time.  Run it on a
# quiet machine: other processes change every figure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ -f "$build/Makefile" ] || { echo "cpu.sh: $build is not a configured build directory" >&2; exit 2; }
make -C "$build" -s syno bench/cpu_conv >/dev/null || exit 1
S=$build/syno
threads=${SYNO_THREADS:-$(getconf _NPROCESSORS_ONLN)}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(getconf _NPROCESSORS_ONLN) CPUs online;" \
  "$threads threads; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== 1. conv2d forward, N=8 C_in=C_out=64 H=W=56 k=3 =="
"$build/bench/cpu_conv" 8 64 64 56 56 3 --threads "$threads" --repeat 15
echo
echo "== 2. syno bench =="
big=N=8,C_in=64,C_out=64,H=56,W=56
for op in conv2d syno_op1 syno_op2; do
  "$S" bench $op --bind $big --threads "$threads" --repeat 15 | grep -v ' stage [0-9]*: '
  nb=; [ $op = conv2d ] || nb=--no-baseline # the direct loop nest of every gradient takes minutes
  "$S" bench $op --bind $big --threads "$threads" --repeat 7 --grad $nb | grep -v ' stage [0-9]*: '
done
echo
echo "== 3. plan FLOPs vs direct FLOPs =="
for op in syno_op1 syno_op2; do
  for b in $big N=64,C_in=256,C_out=256,H=14,W=14; do
    "$S" explain $op --bind $b --plan | grep -E "^plan of|plan FLOPs|direct FLOPs" | tr -s ' ' | paste -sd' ' |
      sed "s/^/$op [$b]: /"
  done
done
"$S" explain "$top/examples/lowrank.syno:lowrank" --bind mlp --plan | grep -E "plan FLOPs|direct FLOPs" | tr -s ' ' |
  paste -sd' ' | sed 's/^/lowrank [mlp]: /'
echo
echo "== 4. Fashion-MNIST proxy layers, batch 64, forward + backward =="
total=0 cpu=0
for b in fmnist_l1 fmnist_l2 fmnist_l3; do
  "$S" bench "$top/examples/conv-layers.syno:conv3x3" --bind $b --grad --threads "$threads" --repeat 15 --json >"${TMPDIR:-/tmp}/cpu_bench.$$"
  line=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); b = d["baseline"]
print("%s  ours %.2f ms (%.1f GFLOP/s; %.2f ms of CPU)  %s %.2f ms (%.1f GFLOP/s)  %.0f %.0f" % (sys.argv[2],
      1e3 * d["median_s"], d["gflops"], 1e3 * d["cpu_s"], b["name"], 1e3 * b["median_s"], b["gflops"],
      1e6 * d["median_s"], 1e6 * d["cpu_s"]))' "${TMPDIR:-/tmp}/cpu_bench.$$" $b)
  rest=${line% * *}
  nums=${line#"$rest "}
  echo "  $rest"
  total=$((total + ${nums% *}))
  cpu=$((cpu + ${nums#* }))
done
rm -f "${TMPDIR:-/tmp}/cpu_bench.$$"
echo "  the three slots: $((total / 1000)) ms per batch of 64 -> $((total * 157 / 1000000)) s per epoch of 10,000 images" \
  "(157 batches; stem, BN, pooling and the classifier not included)"
echo "  CPU time: $((cpu / 1000)) ms per batch over all threads -> $((cpu * 157 / 1000000)) CPU-seconds per epoch," \
  "i.e. at best about $((cpu * 157 / 1000000 / threads)) s per epoch on $threads otherwise idle cores"
