#!/bin/sh
# cli.sh - the `syno` command line, run as a user would: exit codes, help,
# operator references, bindings, JSON, fmt -w, and hostile input.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir" || exit 1
S=$SYNO
PY=$(command -v python3 || true)

expect_status "no arguments: a session read from standard input" 0 "$S" </dev/null
expect_status "--help succeeds" 0 "$S" --help
"$S" --help | grep -q "explain" && ok "--help lists the commands" || not_ok "--help lists the commands"
"$S" --version | grep -q "^syno [0-9]" && ok "--version prints the version" || not_ok "--version"
"$S" chek x 2>&1 | grep -q "did you mean 'check'" && ok "a misspelt command gets a suggestion" || not_ok "suggestion"
expect_status "unknown command exits 2" 2 "$S" frobnicate
expect_status "check without files exits 2" 2 "$S" check
expect_status "unknown option exits 2" 2 "$S" check --frob stdlib/conv.syno
expect_status "help for a command" 0 "$S" help explain
expect_status "check of a missing file exits 1" 1 "$S" check no/such/file.syno
"$S" check no/such/file.syno 2>&1 | grep -q "cannot open 'no/such/file.syno'" && ok "missing file is named" || not_ok "missing file message"
check "the stdlib and examples check clean" "$S" check stdlib/*.syno examples/*.syno

# JSON
"$S" check --json stdlib/conv.syno >"$TMP/c.json"
if [ -n "$PY" ]; then
  check "check --json is valid JSON" "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and "conv2d" in d["files"][0]["operators"]' "$TMP/c.json"
  "$S" explain --json stdlib/conv.syno:conv2d --bind N=8,C_in=64,C_out=128,H=32,W=32,k=3 >"$TMP/e.json"
  check "explain --json has flops, params and shapes" "$PY" -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert d["flops"] == 2*8*128*32*32*64*9, d["flops"]
assert d["params"] == 128*64*9
assert d["input"]["shape"] == ["N","C_in","H","W"] and d["input"]["bound"] == [8,64,32,32]
assert d["weights"][0]["bound"] == [128,64,3,3]
assert d["output"]["bound"] == [8,128,32,32]
' "$TMP/e.json"
  printf 'op bad(x[i: N]) -> [i] { sum(i); }\n' >"$TMP/bad.syno"
  "$S" check --json "$TMP/bad.syno" >"$TMP/b.json"
  check "check --json reports diagnostics with positions" "$PY" -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert not d["ok"] and d["errors"] >= 1
g=d["diagnostics"][0]
assert g["line"] == 1 and g["column"] >= 1 and "N" in g["message"]
' "$TMP/b.json"
else
  skip "no python3 to validate JSON"; skip "no python3"; skip "no python3"
fi

# operator references
"$S" explain stdlib/conv.syno:conv2d | grep -q "Σ_{c,dy,dz} x\[n,c,y+dy-1,z+dz-1\] · f\[o,c,dy,dz\]" && ok "FILE:OP, formula" || not_ok "FILE:OP formula"
check "a bare name is looked up in the stdlib" "$S" explain conv2d
check "a file with one operator needs no :OP" "$S" explain stdlib/linear.syno
expect_status "a file with several operators needs :OP" 1 "$S" explain stdlib/conv.syno
"$S" explain stdlib/conv.syno:nope 2>&1 | grep -q "has no operator 'nope'; it defines: conv2d" && ok "unknown operator lists the defined ones" || not_ok "unknown op"
expect_status "unknown stdlib name" 1 "$S" explain nope_op

# bindings
expect_status "--bind missing a variable exits 1" 1 "$S" explain conv2d --bind N=8
"$S" explain conv2d --bind N=8 2>&1 | grep -q "gives no value to C_in, C_out, H, W" && ok "missing variables are named" || not_ok "missing vars"
expect_status "--bind with an unknown variable exits 2" 2 "$S" explain conv2d --bind Q=3
expect_status "--bind with a bad value exits 2" 2 "$S" explain conv2d --bind N=-3
expect_status "--bind with garbage exits 2" 2 "$S" explain conv2d --bind N
check "a binding that divides explains" "$S" explain group_conv2d --bind N=2,C_in=64,C_out=96,H=8,W=8
"$S" explain group_conv2d --bind N=2,C_in=64,C_out=80,H=8,W=8 >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "C_out/g = 80/32 is not an integer (remainder 16) in the given binding" "$TMP/out" && ok "non-dividing binding: message and exit 1" || { not_ok "non-dividing binding"; diag <"$TMP/out"; }
"$S" explain conv2d --bind N=2,C_in=4,C_out=4,H=8,W=8,k=4 >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "is even" "$TMP/out" && ok "an even window under --bind is refused" || not_ok "even window"
printf 'size N, C;\ncoef k = 3;\nop f(x[n: N, c: C]) -> [n, c] {}\nbind small { N = 4, C = 8 }\n' >"$TMP/b.syno"
"$S" explain "$TMP/b.syno:f" --bind small | grep -q "N=4, C=8" && ok "--bind names a bind block" || not_ok "bind block"
"$S" explain "$TMP/b.syno:f" --bind small,C=16 | grep -q "N=4, C=16" && ok "--bind mixes a block and values" || not_ok "bind mix"

# fmt
printf 'size N,C;\nop f( x[n:N,c:C] )->[n,c]{  # keep me\n}\n' >"$TMP/u.syno"
chmod 640 "$TMP/u.syno"
expect_status "fmt --check flags an unformatted file" 1 "$S" fmt --check "$TMP/u.syno"
check "fmt -w rewrites it" "$S" fmt -w "$TMP/u.syno"
grep -q "^op f(x\[n: N, c: C\]) -> \[n, c\] {  # keep me$" "$TMP/u.syno" && ok "fmt -w result, comment kept" || { not_ok "fmt -w result"; diag <"$TMP/u.syno"; }
[ "$(stat -c %a "$TMP/u.syno")" = 640 ] && ok "fmt -w keeps the file mode" || not_ok "fmt -w mode"
expect_status "fmt --check passes after fmt -w" 0 "$S" fmt --check "$TMP/u.syno"
printf 'size N;\nop f(x[n: N] -> [n] {}\n' >"$TMP/s.syno"
cp "$TMP/s.syno" "$TMP/s.orig"
expect_status "fmt -w of a file with a syntax error exits 1" 1 "$S" fmt -w "$TMP/s.syno"
cmp -s "$TMP/s.syno" "$TMP/s.orig" && ok "and leaves it untouched" || not_ok "file was modified"
printf 'size   N;\n' | "$S" fmt >"$TMP/o" && [ "$(cat "$TMP/o")" = "size N;" ] && ok "fmt reads standard input" || not_ok "fmt stdin"

# hostile input: never a crash, always exit 1 with a located diagnostic
head -c 200000 /dev/urandom >"$TMP/garbage.syno"
"$S" check "$TMP/garbage.syno" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "garbage.syno:[0-9]*:[0-9]*: error" "$TMP/out" && ok "binary garbage: exit 1 with diagnostics" || { not_ok "binary garbage (exit $st)"; head -5 "$TMP/out" | diag; }
: >"$TMP/empty.syno"
"$S" check "$TMP/empty.syno" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "empty.syno:1:1: error: .*no declarations" "$TMP/out" && ok "an empty file is reported" || { not_ok "empty file (exit $st)"; diag <"$TMP/out"; }
awk 'BEGIN { for (i = 0; i < 120000; i++) printf "size N%d; # padding line to make a large file\n", i }' >"$TMP/big.syno"
"$S" check "$TMP/big.syno" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "too many size variables" "$TMP/out" && ok "a $(($(wc -c <"$TMP/big.syno") / 1048576)) MB file: errors reported, bounded" || { not_ok "big file (exit $st)"; head -3 "$TMP/out" | diag; }
awk 'BEGIN { printf "size N;\ncoef k = 3;\nop f(x[n: N]) -> [n] { weight w[a: k]; sum(share("; for (i = 0; i < 5000; i++) printf "("; printf "n"; for (i = 0; i < 5000; i++) printf ")"; printf ", a)); }\n" }' >"$TMP/deep.syno"
"$S" check "$TMP/deep.syno" >"$TMP/out" 2>&1; st=$?
[ $st = 1 ] && grep -q "nesting too deep" "$TMP/out" && ok "deeply nested expression: clear error" || { not_ok "deep nesting (exit $st)"; head -3 "$TMP/out" | diag; }
done_testing
