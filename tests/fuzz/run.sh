#!/bin/sh
# run.sh - runs fuzz harnesses under libFuzzer (a build configured with
# --enable-fuzzing; `make fuzz` and .ci/run call it from the build tree).
#
#   run.sh [--time SECONDS] [--dir DIR] [--runs N] NAME...
#
# For each harness NAME it grows the corpus DIR/NAME/corpus (created from
# the committed corpus, the regression inputs and the seeds below on first
# use; kept between runs, outside the source tree) for SECONDS (default 60)
# with the dictionary of the language, and prints one line: executions,
# coverage (cov: edges, ft: features), corpus size, crashes.  Crashes,
# timeouts and leaks are left as DIR/NAME/crash-* (timeout-*, leak-*,
# oom-*); reproduce one with `tests/fuzz/fuzz_NAME FILE`.  Exit status 1
# when any harness found something.
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
time=60 dir=fuzz-work runs=
while [ $# -gt 0 ]; do
  case $1 in
    --time) time=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --runs) runs="-runs=$2"; shift 2 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: run.sh [--time S] [--dir DIR] NAME..." >&2; exit 2; }
bin=tests/fuzz
[ -x "$bin/fuzz_dict" ] || { echo "run.sh: run it in the build tree (no $bin/fuzz_dict)" >&2; exit 2; }
mkdir -p "$dir" && "$bin/fuzz_dict" >"$dir/syno.dict" || exit 2

# seeds NAME: the files of the source tree a harness starts from
seeds() {
  case $1 in
    lang) ls "$srcdir"/stdlib/*.syno "$srcdir"/examples/*.syno "$srcdir"/tests/golden/*/*.syno \
             "$srcdir"/tests/canon/*/*.syno "$srcdir"/tests/search/*.syno "$srcdir"/tests/cpu/*.syno ;;
    search) ls "$srcdir"/tests/search/*.syno "$srcdir"/examples/*.syno ;;
  esac 2>/dev/null
}
# options NAME: the libFuzzer options of a harness (input size, time per input)
options() {
  case $1 in
    lang) echo "-max_len=8192 -timeout=10" ;;
    search) echo "-max_len=4096 -timeout=20 -report_slow_units=15" ;;
    npy) echo "-max_len=4096 -timeout=10" ;;
    repl) echo "-max_len=8192 -timeout=20" ;;
    results) echo "-max_len=65536 -timeout=20" ;;
    *) echo "-timeout=10" ;;
  esac
}

found=0
for name in "$@"; do
  prog=$bin/fuzz_$name
  [ -x "$prog" ] || { echo "run.sh: no harness $prog" >&2; exit 2; }
  work=$dir/$name
  mkdir -p "$work/corpus"
  if [ -z "$(ls -A "$work/corpus")" ]; then
    for d in "$srcdir/tests/fuzz/corpus/$name" "$srcdir/tests/fuzz/regress/$name"; do
      [ -d "$d" ] && cp "$d"/* "$work/corpus/" 2>/dev/null
    done
    for f in $(seeds "$name"); do cp "$f" "$work/corpus/seed-$(basename "$f")"; done
  fi
  # shellcheck disable=SC2046
  "$prog" $(options "$name") -dict="$dir/syno.dict" -max_total_time="$time" $runs -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$work/log" | tail -n 1 | cut -d' ' -f2)
  n=$(ls "$work/corpus" | wc -l)
  bad=$(ls "$work" | grep -cE '^(crash|timeout|leak|oom|slow-unit)-')
  echo "fuzz_$name: ${time}s, ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, corpus $n, findings $bad (exit $rc)"
  if [ "$rc" -ne 0 ] || [ "$bad" -gt 0 ]; then
    found=1
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|syno: internal error|.*runtime error)' "$work/log" | head -n 5
    ls "$work" | grep -E '^(crash|timeout|leak|oom|slow-unit)-' | sed "s|^|  $work/|"
  fi
done
exit $found
