#!/bin/sh
# train_search.sh - accuracy in `syno search`: the external evaluator
# (--evaluator: placeholders, results recorded, failures and time limits
# recorded, not fatal; usage errors) without the data set, then proxy
# training as the accuracy evaluator and its time limit when Fashion-MNIST
# is installed, and examples/fmnist_train.py as a real external evaluator
# when PyTorch is there too.  The spec is examples/fmnist-conv.syno with a
# few iterations and a tiny training budget.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir" || exit 1
S=$SYNO
FM=${SYNO_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
# spec ITERATIONS TRAIN-SETTINGS > FILE
spec() {
  sed "s/algorithm mcts iterations [0-9]* seed 42;/algorithm mcts iterations $1 seed 42;/; s/^    train .*;/    train $2;/" \
    examples/fmnist-conv.syno
}
spec 3 "subset 128 epochs 1 batch 32 test 64" >"$TMP/spec.syno"
grep -q "iterations 3 seed 42" "$TMP/spec.syno" && grep -q "train subset 128 epochs 1 batch 32 test 64;" "$TMP/spec.syno" &&
  ok "the test spec derives from examples/fmnist-conv.syno" || not_ok "the test spec derives from examples/fmnist-conv.syno"
# count PATTERN FILE: lines of FILE matching PATTERN
count() { grep -c -- "$1" "$2"; }

# An external evaluator that checks its files and placeholders.
E='test -f {pytorch} && grep -q "class .*(nn.Module)" {pytorch} && grep -q "bind fmnist_l2" {syno} && echo {layers} | grep -q "\"name\": \"fmnist_l3\", .*\"C_out\": 64" && test -d {dir} && echo 0.75'
"$S" search "$TMP/spec.syno" --db "$TMP/e1.db" --out "$TMP/e1" --evaluator "$E" >"$TMP/o" 2>&1; st=$?
"$S" results "$TMP/e1.db" --json >"$TMP/j" 2>&1
n=$(count '"accuracy": 0.75,' "$TMP/j")
[ $st = 0 ] && [ "$n" = 3 ] && [ "$(count '"status": "ok"' "$TMP/j")" = 3 ] &&
  ok "--evaluator: every candidate's accuracy is the command's last line; it saw the module, the .syno file, the layers and its directory" ||
  { not_ok "--evaluator with placeholders (exit $st, $n accuracies)"; diag <"$TMP/o"; diag <"$TMP/j"; }
[ "$(count '"reward": 1,' "$TMP/j")" = 3 ] && ok "accuracy equal to the baseline's (0.75, also measured by the command) gets reward 1" ||
  { not_ok "reward relative to the baseline's accuracy"; diag <"$TMP/j"; }
ls "$TMP"/e1/op_*.syno >/dev/null 2>&1 && ok "the best operators are written out" || not_ok "the best operators are written out"

"$S" search "$TMP/spec.syno" --db "$TMP/e2.db" --out "$TMP/e2" --evaluator 'echo out of memory >&2; exit 3' >"$TMP/o" 2>&1; st=$?
"$S" results "$TMP/e2.db" --json >"$TMP/j" 2>&1
[ $st = 0 ] && [ "$(count 'exited with status 3; its last error line: out of memory' "$TMP/j")" = 3 ] &&
  ok "a failing command is recorded with its reason; the search goes on" ||
  { not_ok "failing command (exit $st)"; diag <"$TMP/o"; diag <"$TMP/j"; }
spec 1 "subset 128" >"$TMP/spec1.syno"
"$S" search "$TMP/spec1.syno" --db "$TMP/e3.db" --out "$TMP/e3" --evaluator 'sleep 30; echo 0.9' --evaluator-timeout 0.5 >"$TMP/o" 2>&1; st=$?
"$S" results "$TMP/e3.db" --json >"$TMP/j" 2>&1
# the evaluation's own time, not the search's (sampling the space takes a while in a sanitized build)
secs=$(sed -n 's/^ *"seconds": \([0-9.]*\),$/\1/p' "$TMP/j")
[ $st = 0 ] && grep -q "ran past its time limit of 0.5 s and was killed" "$TMP/j" && [ -n "$secs" ] &&
  awk -v s="$secs" 'BEGIN { exit !(s >= 0.5 && s < 10) }' &&
  ok "--evaluator-timeout kills a command and records it (after $secs s)" ||
  { not_ok "evaluator timeout (exit $st, evaluation ${secs:-?} s)"; diag <"$TMP/o"; diag <"$TMP/j"; }
# Confirmation: the 2 best and the baseline trained again with seeds 2 and 3.
# The command's accuracy says whose run it is: 0.7S for the baseline (data
# seed 1), 0.6S for a candidate, S the training seed.
spec 3 "subset 128 epochs 1 batch 32 test 64 confirm 2 seeds 2" >"$TMP/specc.syno"
C='echo {hash} {seed} >>'"$TMP"'/clog; if [ {hash} = 0000000000000001 ]; then echo 0.7{seed}; else echo 0.6{seed}; fi'
"$S" search "$TMP/specc.syno" --db "$TMP/c1.db" --out "$TMP/c1" --evaluator "$C" >"$TMP/o" 2>&1; st=$?
"$S" results "$TMP/c1.db" --json >"$TMP/j" 2>&1
[ $st = 0 ] && [ "$(count '"confirmed": 0.625,' "$TMP/j")" = 2 ] && [ "$(count '"confirmed_runs": 2,' "$TMP/j")" = 2 ] &&
  [ "$(count '"confirmed_runs": 0,' "$TMP/j")" = 1 ] && [ "$(count '"confirmed_baseline": 0.725,' "$TMP/j")" = 3 ] &&
  ok "confirm 2 seeds 2: the 2 best and the baseline are trained again with seeds 2 and 3; the means are recorded" ||
  { not_ok "confirmation runs (exit $st)"; diag <"$TMP/o"; diag <"$TMP/j"; }
grep -q "^confirmed: the 2 best, trained again with seeds 2..3, tested on the whole test set; baseline conv2d: 0.7250" "$TMP/o" &&
  [ "$(grep -c "  0\.[0-9][0-9]x     0\.6100     0\.6250 (-10\.0)" "$TMP/o")" = 2 ] &&
  ok "the summary lists the confirmed candidates with their points from the baseline's confirmed accuracy" ||
  { not_ok "confirmed summary"; diag <"$TMP/o"; }
f=$(grep -l "#   confirmed    0.625  (mean of 2 runs with seeds 2..3 on the whole test set; the baseline conv2d: 0.725, -10.0 points)" "$TMP"/c1/op_*.syno | wc -l)
[ "$f" = 2 ] && ok "the files of the confirmed candidates give their confirmed accuracy" ||
  { not_ok "confirmed accuracy in the files ($f)"; head -8 "$TMP"/c1/op_*.syno | diag; }
[ "$(wc -l <"$TMP/clog")" = 10 ] && [ "$(grep -c '^0000000000000001 [23]$' "$TMP/clog")" = 2 ] &&
  ok "4 runs with seed 1 in the search, 6 confirmation runs" || { not_ok "confirmation run count"; diag <"$TMP/clog"; }
"$S" search "$TMP/specc.syno" --db "$TMP/c1.db" --out "$TMP/c1" --evaluator "$C" --resume >"$TMP/o" 2>&1; st=$?
[ $st = 0 ] && [ "$(wc -l <"$TMP/clog")" = 10 ] && grep -q "^confirmed: the 2 best" "$TMP/o" &&
  ok "--resume after the confirmation runs repeats none of them" || { not_ok "resume after confirmation (exit $st)"; diag <"$TMP/o"; diag <"$TMP/clog"; }
"$S" search "$TMP/specc.syno" --db "$TMP/c2.db" --out "$TMP/c2" --evaluator '[ {seed} = 3 ] && exit 4; echo 0.5' >"$TMP/o" 2>&1; st=$?
"$S" results "$TMP/c2.db" >"$TMP/j" 2>&1
[ $st = 0 ] && [ "$(grep -c ' failed  ' "$TMP/o")" -ge 2 ] && grep -q "^confirmed:" "$TMP/j" &&
  [ "$(grep -c 'failed' "$TMP/j")" -ge 4 ] &&
  ok "a failed confirmation run makes the candidate's confirmed accuracy 'failed', in the search and in syno results" ||
  { not_ok "failed confirmation (exit $st)"; diag <"$TMP/o"; diag <"$TMP/j"; }
"$S" search "$TMP/spec1.syno" --db "$TMP/e4.db" --evaluator 'echo {weights}' >"$TMP/o" 2>&1; st=$?
[ $st = 2 ] && grep -q "unknown placeholder '{weights}'" "$TMP/o" && ok "an unknown placeholder is a usage error" ||
  { not_ok "unknown placeholder (exit $st)"; diag <"$TMP/o"; }
expect_status "--evaluator-timeout without --evaluator: usage error" 2 "$S" search "$TMP/spec1.syno" --evaluator-timeout 5
"$S" search examples/cpu-search.syno --db "$TMP/e5.db" --evaluator 'echo 0.5' >"$TMP/o" 2>&1; st=$?
[ $st = 1 ] && grep -q "does not use it (add 'objective accuracy;')" "$TMP/o" &&
  ok "--evaluator with an objective without accuracy is refused" || { not_ok "objective without accuracy (exit $st)"; diag <"$TMP/o"; }

if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then
  for i in 1 2 3; do skip "Fashion-MNIST is not installed in $FM (apt-get install dataset-fashion-mnist)"; done
  done_testing
fi

# Proxy training as the accuracy evaluator.
"$S" search "$TMP/spec.syno" --db "$TMP/p1.db" --out "$TMP/p1" --jobs 2 >"$TMP/o" 2>&1; st=$?
"$S" results "$TMP/p1.db" --json >"$TMP/j" 2>&1
good=$(grep -c '"accuracy": 0\.[0-9]*,' "$TMP/j")
trained=$(grep -c '"status": "ok"' "$TMP/j")
[ $st = 0 ] && [ "$good" -ge 1 ] && [ "$good" = "$trained" ] &&
  ok "proxy training measures every successful candidate's accuracy ($good of 3)" ||
  { not_ok "proxy accuracy in the search (exit $st)"; diag <"$TMP/o"; diag <"$TMP/j"; }
spec 1 "subset 2000 epochs 1 batch 32 test 64 limit 0.2" >"$TMP/spec2.syno"
"$S" search "$TMP/spec2.syno" --db "$TMP/p2.db" --out "$TMP/p2" >"$TMP/o" 2>&1; st=$?
"$S" results "$TMP/p2.db" --json >"$TMP/j" 2>&1
[ $st = 0 ] && grep -Eq "training timeout: (still training after .* of processor time|at its pace .* it would need about [0-9]+ s) \(limit 0.2 s\)" "$TMP/j" &&
  ok "the train item's time limit stops a candidate and is recorded" || { not_ok "train limit (exit $st)"; diag <"$TMP/o"; diag <"$TMP/j"; }

PY=${SYNO_TORCH_PYTHON:-/usr/bin/python3}
if [ -n "${SYNO_SANITIZED:-}" ]; then
  skip "PyTorch training is too slow for the sanitized run"
elif "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
  "$S" search "$TMP/spec1.syno" --db "$TMP/x1.db" --out "$TMP/x1" \
    --evaluator "$PY examples/fmnist_train.py --op {pytorch} --layers {layers} --subset 64 --epochs 1 --test-subset 64" \
    --evaluator-timeout 300 >"$TMP/o" 2>&1; st=$?
  "$S" results "$TMP/x1.db" --json >"$TMP/j" 2>&1
  [ $st = 0 ] && grep -q '"accuracy": 0\.[0-9]*,' "$TMP/j" &&
    ok "examples/fmnist_train.py as the evaluator: the exported candidate trained in PyTorch" ||
    { not_ok "fmnist_train.py as the evaluator (exit $st)"; diag <"$TMP/o"; diag <"$TMP/j"; }
else
  skip "$PY cannot import torch and numpy (Debian: apt-get install python3-torch python3-numpy)"
fi
done_testing
