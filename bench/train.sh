#!/bin/sh
# bench/train.sh - time per epoch of proxy training (`syno train --task
# fmnist`) and where the time goes.  Prints, for each operator, the median
# over REPEAT runs of: wall seconds per epoch of SUBSET images, processor
# seconds (all threads) per epoch, test accuracy, and the training time by
# part of the network (stem, BN+ReLU, head, each slot's forward, input
# gradient and weight gradients); the load average before and after, since
# a busy machine stretches wall time but not processor time.  Never a test:
# it prints figures for doc/performance.md.
#
#   bench/train.sh [SYNO] [SUBSET] [REPEAT] [THREADS] [OPERATOR...]
#   (defaults: ./syno 10000 3 2 conv2d)
set -u
SYNO=${1:-./syno}
SUBSET=${2:-10000}
REPEAT=${3:-3}
THREADS=${4:-2}
[ $# -gt 4 ] && shift 4 || set -- conv2d
TMP=$(mktemp -d "${TMPDIR:-/tmp}/syno-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# field NAME FILE: the number after "NAME": in the first line that has it
field() { sed -n "s/^ *\"$1\": \([-0-9.e]*\),\{0,1\}$/\1/p" "$2" | head -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

echo "machine: $(nproc) online CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "command: $SYNO train OP --task fmnist --subset $SUBSET --epochs 1 --threads $THREADS --json ($REPEAT runs each)"
for op in "$@"; do
  load0=$(cut -d' ' -f1 /proc/loadavg)
  : >"$TMP/wall"; : >"$TMP/cpu"; : >"$TMP/acc"
  i=0
  while [ $i -lt "$REPEAT" ]; do
    if ! "$SYNO" train "$op" --task fmnist --subset "$SUBSET" --epochs 1 --threads "$THREADS" --json >"$TMP/r$i" 2>"$TMP/e"; then
      echo "$op: run failed:"; cat "$TMP/e"; break
    fi
    field per_epoch "$TMP/r$i" >>"$TMP/wall"
    field train_cpu "$TMP/r$i" >>"$TMP/cpu"
    field test_accuracy "$TMP/r$i" >>"$TMP/acc"
    i=$((i + 1))
  done
  [ $i -eq "$REPEAT" ] || continue
  load1=$(cut -d' ' -f1 /proc/loadavg)
  printf '%s: %.2f s per epoch of %s images (wall, median of %s), %.2f s processor time, test accuracy %s; load %s -> %s\n' \
    "$op" "$(median <"$TMP/wall")" "$SUBSET" "$REPEAT" "$(median <"$TMP/cpu")" "$(median <"$TMP/acc")" "$load0" "$load1"
  printf '  by part (last run, wall s):'
  sed -n '/"profile"/,/}/p' "$TMP/r$((REPEAT - 1))" | sed -n 's/^ *"\([a-z0-9_]*\)": \([0-9][0-9.e-]*\),\{0,1\}$/\1 \2/p' |
    awk '{ printf " %s %.2f", $1, $2 }'
  echo
done
