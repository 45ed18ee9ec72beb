#!/bin/sh
# search.sh - speed and memory of the synthesis engine on the reference
# implementation's sampler space (bench/kas-sampler.syno), on one core:
# exhaustive enumeration at depths 8 and 12 (CPU time, states, finals,
# peak memory, the share of candidates each rule removed) with the ratio to
# the reference implementation's time on the same space, depth 12 on two
# threads against one (wall time), and random sampling (finals per
# second).  Prints figures; never passes or fails.
#   make check && sh bench/search.sh            (from the build directory)
# Environment: SEARCH_BENCH (the binary, default ./bench/search_bench),
# SPEC (default: the sampler space next to this script).
here=$(cd "$(dirname "$0")" && pwd)
bin=${SEARCH_BENCH:-./bench/search_bench}
spec=${SPEC:-$here/kas-sampler.syno}
pin=
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
echo "machine: $(uname -m), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')); load $(cut -d' ' -f1-3 /proc/loadavg)"
# the reference implementation's enumeration of the same space, one thread
# (issue 17's measurement; Syno's KAS sampler test): depth 8 in 10.3 s,
# depth 12 in 593 s
ref8=10.3 ref12=593
cpu() { sed -n 's/.*: \([0-9.]*\) s CPU, \([0-9.]*\) s wall.*/\1 \2/p'; }
for d in 8 12; do
  $pin "$bin" "$spec" --depth $d --samples 0 >"${TMPDIR:-/tmp}/search_bench.$$"
  cat "${TMPDIR:-/tmp}/search_bench.$$"
  set -- $(cpu <"${TMPDIR:-/tmp}/search_bench.$$")
  eval "ref=\$ref$d"
  awk -v r="$ref" -v c="$1" -v d="$d" 'BEGIN { printf "depth %d, one thread: %.3f s CPU against the reference'"'"'s %.1f s: %.0fx\n", d, c, r, r / c }'
  one=$2
done
if [ "$(nproc)" -ge 2 ]; then
  "$bin" "$spec" --depth 12 --samples 0 --jobs 2 >"${TMPDIR:-/tmp}/search_bench.$$"
  head -1 "${TMPDIR:-/tmp}/search_bench.$$"
  set -- $(cpu <"${TMPDIR:-/tmp}/search_bench.$$")
  awk -v w1="$one" -v w2="$2" 'BEGIN { printf "depth 12, two threads: %.3f s wall against %.3f s on one: %.2fx\n", w2, w1, w1 / w2 }'
fi
rm -f "${TMPDIR:-/tmp}/search_bench.$$"
$pin "$bin" "$spec" --depth 12 --samples 5000 | tail -1
