#!/bin/sh
# repl.sh - the REPL driven through a pipe (`syno < session`), one group of
# checks per :command, plus `syno export --dot`.  The same code runs under a
# terminal in repl_tmux.sh; here there is no prompt and no echo, so the
# output is exactly what the commands print.  DOT goldens live in
# tests/repl/ (`make check ACCEPT=1` rewrites them).
. "$top_srcdir/tests/lib.sh"
S=$SYNO
G="$top_srcdir/tests/repl"
DOT=$(command -v dot || true)
cd "$TMP" || exit 1

# repl NAME: runs the session on stdin, output+errors in NAME.out, status in NAME.st
repl() {
  "$S" >"$TMP/$1.out" 2>&1
  echo $? >"$TMP/$1.st"
}
has() { # DESC NAME PATTERN: the output of session NAME has a line matching PATTERN
  if grep -q -- "$3" "$TMP/$2.out"; then ok "$1"; else not_ok "$1"; diag <"$TMP/$2.out"; fi
}
hasnt() {
  if grep -q -- "$3" "$TMP/$2.out"; then not_ok "$1"; diag <"$TMP/$2.out"; else ok "$1"; fi
}
status() { # DESC NAME WANT
  if [ "$(cat "$TMP/$2.st")" = "$3" ]; then ok "$1"; else not_ok "$1 (exit $(cat "$TMP/$2.st"), want $3)"; diag <"$TMP/$2.out"; fi
}

cat >"$TMP/decls.txt" <<'EOF'
size N, C_in, C_out;
coef s = 4;
# a comment line and a blank line are ignored

op dense(x[n: N, i: C_in]) -> [n, o] {
    weight w[wo: C_out, wi: C_in];
    sum(share(i, wi));
    o = share(expand(C_out), wo);
}
op lowrank(x[n: N, i: C_in]) -> [n, o] {
    weight A[ai: C_in, am: C_out/s];   # first factor
    weight B[bo: C_out, bm: C_out/s];
    sum(share(i, ai));
    sum(share(share(expand(C_out/s), am), bm));
    o = share(expand(C_out), bo);
}
bind mlp { N = 8, C_in = 16, C_out = 32 }
EOF
cp decls.txt lr.syno

# ---- doc/repl.md's transcript: the lines after the prompts are the input,
# the other lines what syno prints ------------------------------------------------
awk '/^```repl$/ { on = 1; next } /^```$/ { on = 0 } on' "$top_srcdir/doc/repl.md" >"$TMP/transcript"
sed -n 's/^syno> //p; s/^ \.\.\.> //p' "$TMP/transcript" >"$TMP/doc.in"
grep -v '^syno> \|^ \.\.\.> ' "$TMP/transcript" >"$TMP/doc.want"
"$S" <"$TMP/doc.in" >"$TMP/doc.got" 2>&1
if [ -s "$TMP/doc.in" ] && cmp -s "$TMP/doc.want" "$TMP/doc.got"; then ok "doc/repl.md: the transcript shows real output"
else not_ok "doc/repl.md: the transcript differs from what syno prints (update the doc)"; diff -u "$TMP/doc.want" "$TMP/doc.got" | diag; fi

# ---- the basics -----------------------------------------------------------------
"$S" </dev/null >"$TMP/o" 2>&1; st=$?
[ $st = 0 ] && [ ! -s "$TMP/o" ] && ok "syno with no arguments and empty stdin: no output, exit 0" || { not_ok "empty session (exit $st)"; diag <"$TMP/o"; }
expect_status "syno repl --help" 0 "$S" repl --help
expect_status "syno repl with an unknown option exits 2" 2 "$S" repl --frob
{ cat decls.txt; echo ':list'; } | repl basic
status "a clean script exits 0" basic 0
has "a multi-line op is accepted and echoed" basic '^op dense(x\[N, C_in\]) -> \[N, C_out\]  weight w\[C_out, C_in\]$'
has "two weights in the echo" basic '^op lowrank(x\[N, C_in\]) -> \[N, C_out\]  weights A\[C_in, C_out/s\], B\[C_out, C_out/s\]$'
has "a bind block is echoed" basic '^bind mlp: N=8, C_in=16, C_out=32$'
has ":list shows sizes" basic '^size N, C_in, C_out$'
has ":list shows coefficients with values" basic '^coef s = 4$'
has ":list shows where an op was typed" basic '^op dense(.*  (<repl:3>:1)$'
{ cat decls.txt; echo ':list ops'; echo ':list binds'; echo ':list vars'; echo ':list searches'; echo ':list nonsense'; } | repl sections
has ":list ops" sections '^op lowrank'
[ "$(grep -c '^size N' "$TMP/sections.out")" = 1 ] && [ "$(grep -c '^op dense' "$TMP/sections.out")" = 2 ] && ok ":list SECTION lists only that section" || not_ok ":list SECTION"
has ":list with an unknown section is an error" sections "error: no section 'nonsense'"
status "a script with an error exits 1" sections 1

# ---- errors keep the session --------------------------------------------------------
{ cat decls.txt; printf 'op bad(x[n: N]) -> [n] {\n    sum(q);\n}\n:list ops\n'; } | repl err
has "an error names the entry, line and column" err '^<repl:6>:2:9: error: unknown dimension .q.'
has "the source line is quoted" err '^        sum(q);$'
has "and underlined" err '^            \^$'
has "earlier definitions survive an error" err '^op dense('
hasnt "the bad op is not added" err '^op bad('
status "errors make a script exit 1" err 1
printf 'size N;\nop f(x[n: N]) -> [n] {\n    sum(n\n' | repl incomplete
has "a statement cut off by end of input is reported as incomplete" incomplete 'error: incomplete input'
printf 'size N;\nop f(x[n N]) -> [n] {\nsize M;\n:list\n' | repl syntax
has "a syntax error in the middle ends the statement at once" syntax "error: unexpected identifier 'N'"
has "and the next statement is read normally" syntax '^size N, M$'

# ---- redefinition ---------------------------------------------------------------------
{ cat decls.txt; printf 'op dense(x[n: N, i: C_in]) -> [n, i] {}\nsize N, C_in;\ncoef s = 2;\n:list\n'; } | repl redef
has "a new op replaces the old one, with a note" redef "^note: op 'dense' replaces the earlier definition declared at <repl:3>:1$"
has "the new definition is the one listed" redef '^op dense(x\[N, C_in\]) -> \[N, C_in\]  (<repl:6>:1)$'
hasnt "re-declaring a variable the same way says nothing" redef "note: size 'N'"
has "changing a coefficient says so" redef "^note: coef 's' replaces the earlier coefficient declared at <repl:2>:1$"
has "and the new value is used" redef '^coef s = 2$'
{ cat decls.txt; printf 'coef s = 5;\n:list vars\n'; } | repl breaks
has "a redefinition that breaks an earlier op is refused, pointing at the op" breaks '<repl:4>:.*error'
has "and the old value stays" breaks '^coef s = 4$'

# ---- :help and unknown commands ----------------------------------------------------------
printf ':help\n:help explain\n:help :dot\n:help nope\n:h\n' | repl help
missing=
for c in $(sed -n 's/^SYNO_REPL_CMD(\([a-z]*\),.*/\1/p' "$top_srcdir/interp/repl_cmds.def"); do
  grep -q "^  :$c" "$TMP/help.out" || missing="$missing :$c"
  grep -q "^### \`:$c" "$top_srcdir/doc/repl.md" || missing="$missing doc:$c"
done
[ -z "$missing" ] && ok ":help and doc/repl.md describe every command of repl_cmds.def" || not_ok "undocumented:$missing"
has ":help COMMAND shows its usage" help '^:explain OP$'
has ":help accepts a leading colon" help '^:dot OP \[FILE\]$'
has ":help of an unknown command" help "error: no command ':nope'"
printf ':explian dense\n:\n' | repl unknown
has "a misspelt command gets a suggestion" unknown "error: unknown command ':explian'; did you mean ':explain'?"
has "a lone colon is an error" unknown "error: a command name must follow ':'"
printf ':quit\nsize N;\n:list\n' | repl quit
[ ! -s "$TMP/quit.out" ] && ok ":quit stops reading" || { not_ok ":quit"; diag <"$TMP/quit.out"; }
printf ':q\n:list\n' | repl quit2
[ ! -s "$TMP/quit2.out" ] && ok ":q is :quit" || not_ok ":q"
printf ':quit now\n:list\n' | repl quit3
has ":quit takes no argument" quit3 'error: too many arguments; usage: :quit'

# ---- :load -------------------------------------------------------------------------------
cp decls.txt lib.syno
printf ':load lib.syno\n:load no/such.syno\n:explain lowrank\n' | repl load
has ":load says what it added" load '^loaded lib.syno: 2 operators, 1 bind block, 0 searches, 4 variables$'
has ":load of a missing file is an error" load "cannot open 'no/such.syno'"
has "loaded ops are usable" load 'operator lowrank  (lib.syno:10)'
printf 'size N;\nop f(x[n: N]) -> [n] { sum(q); }\n' >broken.syno
printf ':load broken.syno\n:list\n' | repl loadbad
has ":load of a file with errors reports them in the file" loadbad '^broken.syno:2:28: error'
has "and adds nothing" loadbad 'the session is empty'
"$S" repl lib.syno </dev/null >"$TMP/o" 2>&1 && grep -q "^loaded lib.syno" "$TMP/o" && ok "syno repl FILE loads FILE first" || not_ok "syno repl FILE"

# ---- :show and :write ------------------------------------------------------------------------
{ cat decls.txt; printf ':show lowrank\n:show s\n:show mlp\n:show nope\n'; } | repl show
has ":show prints the formatted op" show '^op lowrank(x\[n: N, i: C_in\]) -> \[n, o\] {$'
has ":show keeps comments" show '^    weight A\[ai: C_in, am: C_out/s\];  # first factor$'
has ":show of a variable" show '^coef s = 4;$'
has ":show of a bind block" show '^bind mlp { N = 8, C_in = 16, C_out = 32 }$'
has ":show of an unknown name" show "error: nothing named 'nope'"
{ cat decls.txt; printf 'size H;\n:write all.syno\n:write one.syno lowrank\n:write /no/such/dir/x.syno\n:write .\n'; } | repl write
has ":write reports what it wrote" write '^wrote all.syno ('
check ":write produces a file that checks" "$S" check all.syno
check ":write produces formatted text" "$S" fmt --check all.syno
grep -q "^size N, C_in, C_out;$" all.syno && grep -q "^size H;$" all.syno && grep -q "  # first factor$" all.syno &&
  grep -q "^op dense(x" all.syno && grep -q "^bind mlp" all.syno && ok ":write keeps every declaration and the comments" || { not_ok ":write content"; diag <all.syno; }
check ":write NAME writes an op that checks on its own" "$S" check one.syno
grep -q "^coef s = 4;$" one.syno && ! grep -q "dense\|^size H" one.syno && ok ":write NAME: only the op and the variables it uses" || { not_ok ":write NAME content"; diag <one.syno; }
has ":write to a bad path is an error" write "error: cannot write '/no/such/dir/x.syno'"
has ":write to a directory is an error" write "error: cannot write '.': it is a directory"
printf ':load all.syno\n:list\n' | repl reload
grep -q "^op lowrank(x\[N, C_in\]) -> \[N, C_out\]  weights A\[C_in, C_out/s\], B\[C_out, C_out/s\]  (all.syno:" "$TMP/reload.out" &&
  ok "a written session loads back with the same operators" || { not_ok "reload"; diag <"$TMP/reload.out"; }
{ cat decls.txt; printf 'op dense(x[n: N, i: C_in]) -> [n, i] {}\n:write re.syno\n'; } | repl rewrite
[ "$(grep -c '^op dense' re.syno)" = 1 ] && grep -q "^op dense(x\[n: N, i: C_in\]) -> \[n, i\] {}$" re.syno &&
  ok ":write writes only the newest definition" || { not_ok ":write after redefinition"; diag <re.syno; }
check "and the file checks" "$S" check re.syno

# ---- :bind, :unbind, :explain ----------------------------------------------------------------------
{ cat decls.txt; cat <<'EOF'; } | repl bind
:bind
:explain lowrank
:bind N=8,C_in=16
:explain lowrank
:bind C_out=32
:explain lowrank
:bind C_out=30
:explain lowrank
:bind Q=3
:bind N=-1
:bind N=x
:bind nosuchblock
:unbind C_in N
:unbind Q
:unbind
:bind mlp
:explain dense
:bind s=2
EOF
has ":bind alone shows an empty binding" bind '^no binding: sizes stay symbolic'
has ":explain without a binding is symbolic" bind '^  x (input)  \[N, C_in\]$'
has ":bind sets values and shows them" bind '^N=8, C_in=16$'
has ":explain names the missing variables" bind "error: the binding gives no value to C_out (used by lowrank); add it with :bind C_out=..."
has ":bind adds to the binding" bind '^N=8, C_in=16, C_out=32$'
has ":explain under the binding" bind '^  x (input)  \[N, C_in\]  *\[8, 16\]$'
has "a size that does not divide is reported with the numbers" bind 'C_out/s = 30/4 is not an integer'
has ":bind of an unknown variable" bind "error: unknown size variable 'Q'"
has ":bind of a bad value" bind "error: the value of N must be an integer from 1 to 2^40 (1099511627776), not '-1'"
has ":bind of garbage" bind "error: the value of N must be an integer from 1 to 2^40 (1099511627776), not 'x'"
has ":bind of an unknown block" bind "error: 'nosuchblock' is neither NAME=VALUE nor a bind block"
has ":unbind removes values" bind '^C_out=30$'
has ":unbind of an unbound name" bind "error: 'Q' is not bound"
has ":unbind alone clears" bind '^no binding'
has ":bind BLOCK takes the block's values" bind '^N=8, C_in=16, C_out=32  (bind block mlp)$'
has ":explain under the block" bind '^  FLOPs       2\*N\*C_in\*C_out = 8192'
has "a coefficient can be bound too" bind '^N=8, C_in=16, C_out=32, s=2$'
printf ':explain conv2d\n:explain nope\n:explain conv2x\n:bind N=2,C_in=4,C_out=8,H=6,W=6\n:explain conv2d\n:explain %s/lowrank.syno:dense\n' "$top_srcdir/examples" | repl explain
has ":explain a standard-library operator" explain '^operator conv2d  ('
has ":explain of an unknown op" explain "error: no operator 'nope' in the session or the standard library"
has ":explain suggests a near name" explain "did you mean 'conv2d'?"
has "a binding applies to library operators" explain '^  out  *\[N, C_out, H, W\] *\[2, 8, 6, 6\]$'
has ":explain FILE:OP" explain '^operator dense  (.*lowrank.syno:'

# ---- :canon ------------------------------------------------------------------------------------
cat <<'EOF' | repl canon
size N, C_in, C_out, H, W;
coef k = 3;
op mine(x[a: N, b: C_in, c: H, d: W]) -> [a, o, p, q] {
    weight g[gk1: k, gi: C_in, gk2: k, go: C_out];
    p, t1 = unfold(c, k);
    q, t2 = unfold(d, k);
    sum(share(t2, gk2));
    o = share(expand(C_out), go);
    sum(share(t1, gk1));
    sum(share(b, gi));
}
:canon mine
:canon mine conv2d depthwise_conv2d
:canon nope
EOF
has ":canon prints the canonical text" canon '^op canonical(x\[a: N, b: C_in, c: H, d: W\]) -> \[a, e, f, g\] {$'
has ":canon ends with the hash" canon '^# hash: [0-9a-f]\{16\}$'
h1=$(sed -n 's/^\([0-9a-f]\{16\}\)  mine$/\1/p' "$TMP/canon.out")
h2=$(sed -n 's/^\([0-9a-f]\{16\}\)  conv2d$/\1/p' "$TMP/canon.out")
h3=$(sed -n 's/^\([0-9a-f]\{16\}\)  depthwise_conv2d$/\1/p' "$TMP/canon.out")
[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ "$h1" != "$h3" ] && ok ":canon of several: a reordered conv2d has conv2d's hash, depthwise does not" || { not_ok ":canon hashes"; diag <"$TMP/canon.out"; }
"$S" canon --hash conv2d >"$TMP/o" 2>&1
grep -q "^$h1  conv2d$" "$TMP/o" && ok ":canon agrees with syno canon" || { not_ok ":canon vs syno canon"; diag <"$TMP/o"; }
has ":canon of an unknown op" canon "error: no operator 'nope'"

# ---- :plan and :run --------------------------------------------------------------------------
{ cat decls.txt; cat <<'EOF'; } | repl run
:run lowrank
:plan lowrank
:bind mlp
:run lowrank
:run lowrank --grad random --check --seed 3
:run conv2d
:bind N=2,C_in=4,C_out=8,H=6,W=6
:run conv2d --backend nosuch
:run depthwise_conv2d
:plan lowrank
:plan lowrank B
:plan lowrank nope
EOF
has ":run needs a binding" run '^error: running needs concrete sizes'
has ":plan needs a binding" run '^error: plans are made for concrete sizes'
has ":run a session operator" run '^lowrank on ref: N=8, C_in=16, C_out=32, s=4$'
has ":run shows the output's shape" run '^out    \[8, 32\]  min '
has ":run takes the options of syno run" run '^check against ref (tolerance 1e-06): out 0, dx 0, dA 0, dB 0$'
has ":run names what the binding lacks" run "error: the binding gives no value to H, W (used by conv2d)"
has ":run passes syno run's errors on" run "unknown backend 'nosuch'"
has ":run a library operator" run '^depthwise_conv2d on ref: N=2, C_in=4, H=6, W=6, k=3$'
status "a failed :run makes the script fail" run 1
"$S" run lr.syno:lowrank --bind mlp >"$TMP/cli_run.out" 2>&1
grep '^out ' "$TMP/cli_run.out" >"$TMP/a"; grep '^out    \[8, 32\]' "$TMP/run.out" | head -n 1 >"$TMP/b"
[ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b" && ok ":run computes what syno run computes" || { not_ok ":run vs syno run"; cat "$TMP/a" "$TMP/b" | diag; }
has ":plan shows the forward plan" run '^plan of lowrank, forward: '
has ":plan TENSOR shows a gradient's plan" run '^plan of lowrank, gradient with respect to B: '
has ":plan of an unknown tensor" run "error: lowrank has no tensor 'nope' (say forward, x, A, B or all)"

# ---- :dot and syno export --dot ------------------------------------------------------------------------
{ cat decls.txt; printf ':dot lowrank\n:bind mlp\n:dot lowrank lowrank.dot\n:dot\n:dot nope\n'; } | repl dot
sed -n '/^digraph/,/^}/p' "$TMP/dot.out" >"$TMP/printed.dot"
golden ":dot prints the operator graph" "$TMP/printed.dot" "$G/lowrank.dot"
has ":dot OP FILE writes the file" dot '^wrote lowrank.dot$'
grep -q 'label="am: C_out/s = 8"' lowrank.dot && grep -q 'graph \[label="lowrank  (N=8, C_in=16, C_out=32, s=4)"' lowrank.dot &&
  ok ":dot under a binding labels sizes with values" || { not_ok ":dot bound labels"; diag <lowrank.dot; }
has ":dot without an operator" dot 'error: missing argument; usage: :dot OP \[FILE\]'
# one edge per dimension: lowrank has 2 input axes, 4 weight axes and 6 made by primitives
[ "$(grep -c -- ' -> ' "$TMP/printed.dot")" = 12 ] && ok "one DOT edge per dimension" || not_ok "edge count $(grep -c -- ' -> ' "$TMP/printed.dot")"
[ "$(grep -c 'shape=invtriangle' "$TMP/printed.dot")" = 2 ] && ok "reductions are marked" || not_ok "reduction nodes"
grep -q '<b>output</b>' "$TMP/printed.dot" && grep -q 'rank=sink; out' "$TMP/printed.dot" && ok "the output is marked" || not_ok "output box"
"$S" export --dot lr.syno:lowrank >"$TMP/exported.dot" 2>&1
cmp -s "$TMP/exported.dot" "$TMP/printed.dot" && ok "syno export --dot prints what :dot prints" || { not_ok "export --dot differs"; diff "$TMP/printed.dot" "$TMP/exported.dot" | diag; }
"$S" export --dot lr.syno:lowrank --bind mlp >"$TMP/e2.dot" 2>&1
cmp -s "$TMP/e2.dot" lowrank.dot && ok "syno export --dot --bind matches :dot under :bind" || { not_ok "export --dot --bind"; diff lowrank.dot "$TMP/e2.dot" | diag; }
expect_status "export --dot under a binding that does not divide exits 1" 1 "$S" export --dot lr.syno:lowrank --bind N=2,C_in=4,C_out=6
if [ -n "$DOT" ]; then
  ok=1
  for f in "$TMP/printed.dot" lowrank.dot; do "$DOT" -Tsvg "$f" >/dev/null 2>"$TMP/doterr" || ok=; done
  for op in conv2d group_conv2d depthwise_conv2d; do
    "$S" export --dot "$op" >"$TMP/x.dot" && "$DOT" -Tsvg "$TMP/x.dot" >/dev/null 2>>"$TMP/doterr" || ok=
  done
  [ -n "$ok" ] && [ ! -s "$TMP/doterr" ] && ok "Graphviz renders the DOT without complaint" || { not_ok "dot -Tsvg"; diag <"$TMP/doterr"; }
else
  skip "Graphviz (dot) is not installed"
fi

# ---- :reset and :complete ----------------------------------------------------------------------
{ cat decls.txt; printf ':reset\n:list\n:bind N=4\n'; } | repl reset
has ":reset empties the session" reset '^the session is empty$'
mkdir -p files/sub && : >files/model.syno
{ cat decls.txt; cat <<'EOF'; } | repl complete
:complete :ex
:complete :
:complete y = unf
:complete sum(sh
:complete :explain low
:complete :explain conv2
:complete o = share(expand(C_
:complete sum(share(w
:complete :bind C_
:complete :bind N=3,C_o
:complete :load files/
:complete :load files/m
:complete :write out.syno low
:complete :help wr
:complete :list b
:complete :unbind 
:complete :spec files/m
EOF
has "commands complete" complete '^:explain$'
[ "$(grep -c '^:' "$TMP/complete.out")" -ge "$(grep -c '^SYNO_REPL_CMD' "$top_srcdir/interp/repl_cmds.def")" ] && ok "':' offers every command" || not_ok "all commands"
has "primitive names complete" complete '^unfold$'
has "share completes" complete '^share$'
has "session operators complete after :explain" complete '^lowrank$'
has "library operators complete" complete '^conv2d$'
has "variables complete in declarations" complete '^C_out$'
has "dimension names of session ops complete" complete '^wi$'
has ":bind completes NAME=" complete '^C_in=$'
has ":bind completes after a comma" complete '^C_out=$'
has "file names complete after :load" complete '^files/model.syno$'
has "directories are marked" complete '^files/sub/$'
has "the second argument of :write is a declaration" complete '^lowrank$'
has ":help completes command names" complete '^write$'
has ":list completes sections" complete '^binds$'
[ "$(grep -c '^files/model.syno$' "$TMP/complete.out")" = 3 ] && ok "file names complete after :spec" || { not_ok ":spec file completion"; diag <"$TMP/complete.out"; }

# ---- :bench and :cuda ---------------------------------------------------------------------
{ cat decls.txt; cat <<'EOF'; } | repl bench
:bench lowrank
:cuda lowrank
:bind mlp
:bench lowrank --repeat 2 --warmup 0 --no-baseline
:bench lowrank --repeat 0
:bench nope
:cuda nope
:cuda lowrank lowrank.cu
:cuda
EOF
has ":bench needs a binding" bench '^error: timing needs concrete sizes: set a binding first'
has ":cuda needs a binding" bench '^error: generating CUDA needs concrete sizes'
has ":bench times a session operator as syno bench does" bench '^bench lowrank, forward, N=8, C_in=16, C_out=32, s=4, '
has ":bench takes the options of syno bench" bench '^  ours: staged plan  *median .*(min .*; 2 runs after 0 warm-up)'
has ":bench passes syno bench's errors on" bench "repeat needs a number from 1 to 100000, not '0'"
[ "$(grep -c "^error: no operator 'nope'" "$TMP/bench.out")" = 2 ] && ok ":bench and :cuda of an unknown operator" || { not_ok ":bench/:cuda nope"; diag <"$TMP/bench.out"; }
has ":cuda OP FILE writes the file" bench '^wrote lowrank.cu$'
has ":cuda without an operator" bench 'error: missing argument; usage: :cuda OP \[FILE\]'
status "a failed :bench makes the script fail" bench 1
"$S" export --cuda lr.syno:lowrank --bind mlp >"$TMP/exported.cu" 2>&1
cmp -s "$TMP/exported.cu" lowrank.cu && ok ":cuda writes what syno export --cuda prints" || { not_ok ":cuda vs export --cuda"; diff "$TMP/exported.cu" lowrank.cu | head -20 | diag; }
{ cat decls.txt; printf ':bind mlp\n:cuda lowrank\n'; } | repl cuda
sed -n '/^\/\* syno_lowrank.cu/,$p' "$TMP/cuda.out" >"$TMP/printed.cu"
cmp -s "$TMP/printed.cu" lowrank.cu && ok ":cuda prints the same source" || { not_ok ":cuda printed"; diff "$TMP/printed.cu" lowrank.cu | head -20 | diag; }
grep -q '^SYNO_KERNEL void ' lowrank.cu && ok ":cuda source has kernels" || { not_ok ":cuda kernels"; head -40 lowrank.cu | diag; }

# ---- the synthesis walk: :spec :frontier :next :take :back :finalize :keep ----------------
CONV="$top_srcdir/tests/search/conv.syno"
# walk_to FILE: a session that starts the walk and takes, one by one, the
# steps of `syno reach`'s path to conv2d, each by the number :next shows it
# with (found by its text, so the test does not depend on the order)
walk_to() {
  printf ':spec %s\n' "$CONV" >"$1"
  "$S" reach "$CONV" conv2d | sed -n 's/^ *[0-9]*\. //p' >"$TMP/path"
  [ -s "$TMP/path" ] || return 1
  while IFS= read -r step; do
    n=$({ cat "$1"; echo ':next'; } | "$S" 2>/dev/null |
      awk -v s="$step" '{ t = $0; sub(/^ *[0-9]+\. /, "", t); if (index(t, s "  ") == 1) { sub(/\..*/, ""); gsub(/ /, ""); print; exit } }')
    [ -n "$n" ] || { echo "no step '$step' in :next" >&2; return 1; }
    echo ":take $n" >>"$1"
  done <"$TMP/path"
}
if walk_to "$TMP/walk.in"; then ok ":next lists every step of reach's path to conv2d"; else not_ok "walking reach's path"; diag <"$TMP/walk.in"; fi
{ cat "$TMP/walk.in"; cat <<'EOF'; } | repl walk
:frontier
:finalize
:keep myconv
:canon myconv conv2d
:write walked.syno myconv
:explain myconv
EOF
status "the walk runs without errors" walk 0
has ":spec names the search and its shapes" walk '^search conv from .*conv.syno: \[N, C_in, H, W\] -> \[N, C_out, H, W\], depth 7, 2 layers$'
has ":spec shows the root" walk '^depth 0 of 7: shape distance 2 to the input \[C_in, H, W\]$'
hasnt "no FLOPs bound without a FLOPs window" walk 'FLOPs >='
has ":spec lists the open dimensions with their sizes" walk '^  open  out1:C_out  C_out$'
has ":take says what it applied" walk '^took contract(expand out1:C_out, sum:C_in, sum:k, sum:k#2)$'
has ":frontier shows the path taken" walk '^search conv, after reduce(C_in), reduce(k), reduce(k), contract('
has ":frontier shows the expanded dimensions and the weights" walk '^  weight 1 \[C_out, C_in, k, k\]$'
has "a state whose open dimensions match the input says so" walk 'the open dimensions match the input: :finalize lists'
has ":finalize counts the finished operators" walk '^1 finished operator at depth 6; :keep NAME saves it into the session$'
hc=$("$S" canon --hash conv2d | cut -d' ' -f1)
has ":finalize shows conv2d's canonical hash" walk "^1\. hash $hc  FLOPs "
has ":finalize prints the operator" walk '^   op final1(x\[d0: N, d1: C_in, d2: H, d3: W\])'
has ":keep adds the operator to the session" walk '^op myconv(x\[N, C_in, H, W\]) -> \[N, C_out, H, W\]  weight w1\[C_out, C_in, k, k\]$'
has ":keep: the kept operator is conv2d" walk "^$hc  myconv$"
has ":keep: the kept operator can be explained" walk '^operator myconv  (<keep:myconv>:'
h2=$("$S" canon --hash walked.syno:myconv 2>&1 | cut -d' ' -f1)
[ "$h2" = "$hc" ] && ok ":write of a kept operator: a file with conv2d's canonical hash" || { not_ok ":write kept op ($h2 vs $hc)"; diag <walked.syno; }

# :back and :take again reach the same state; the errors
{ head -n 4 "$TMP/walk.in"; echo ':back'; sed -n 4p "$TMP/walk.in"; echo ':frontier'; cat <<'EOF'; } | repl back
:take 99
:take two
:finalize
:keep early
EOF
has ":back says what it undid" back '^undid reduce(k)$'
[ "$(grep -c '^took reduce(k)$' "$TMP/back.out")" = 3 ] && ok ":take after :back applies the step again" || { not_ok ":back then :take"; diag <"$TMP/back.out"; }
has ":frontier after :back and :take" back '^search conv, after reduce(C_in), reduce(k), reduce(k)$'
has ":take out of range" back '^error: no step 99: :next lists [0-9]* steps here (1 to [0-9]*)$'
has ":take of a non-number" back "^error: :take needs the number of a step of :next (a number from 1), not 'two'$"
has ":finalize of an unfinished state says why" back '^nothing is finished at depth 3: the open dimensions do not match the input \[C_in, H, W\] yet (shape distance'
has ":keep when nothing is finished" back '^error: nothing is finished at depth 3: '
status "errors of the walk make the script fail" back 1

cat <<EOF | repl walkerr
:frontier
:next
:take 1
:back
:finalize
:keep x
:spec no/such.syno
:spec nosearch
:spec lr.syno
:spec $top_srcdir/tests/search/limits.syno
:spec $top_srcdir/tests/search/limits.syno:shallow
:back
:keep 0 x
:keep 1 2x
:spec no/such.syno
:frontier
EOF
[ "$(grep -c '^error: no synthesis walk: start one with :spec FILE\[:SEARCH\]' "$TMP/walkerr.out")" = 6 ] &&
  ok ":frontier, :next, :take, :back, :finalize, :keep without a walk" || { not_ok "commands without a walk"; diag <"$TMP/walkerr.out"; }
has ":spec of a missing file" walkerr "error: cannot open 'no/such.syno'"
has ":spec of an unknown name" walkerr "^error: no search 'nosearch' in the session (:list searches shows them) and no file 'nosearch'$"
has ":spec of a file without a search block" walkerr "error: lr.syno has no search block (write 'search NAME { ... }')"
has ":spec of a file with several searches" walkerr "limits.syno defines 5 searches; name one as .*limits.syno:SEARCH (one_weight, shallow"
has ":spec FILE:SEARCH" walkerr '^search shallow from .*limits.syno: .*depth 5'
has ":back at the root" walkerr '^error: already at the root of search shallow: no step to undo$'
has ":keep 0" walkerr "^error: :keep needs the number of a finished operator of :finalize (a number from 1), not '0'$"
has ":keep of a bad name" walkerr "^error: '2x' is not an operator name"
has "a failed :spec keeps the walk" walkerr '^search shallow, at the root$'

printf ':spec %s:window\n:next\n' "$top_srcdir/tests/search/limits.syno" | repl window
has ":spec shows the FLOPs window" window '^search window from .*, baseline conv2d (151 MFLOP, 36.9 k params), FLOPs window \[22.6 MFLOP, 136 MFLOP\]$'
has ":next shows the FLOPs bound under a window" window '^ *[0-9]*\. reduce(C_in)  *distance 1  FLOPs >= 0 FLOP$'

# several finished operators (two axes of one size: two matchings)
cat >sq.syno <<'EOF'
size N, C, H;
bind l1 { N = 2, C = 4, H = 6 }
search sq {
    input [N, C, H, H];
    output [N, C, H, H];
    fixed N;
    layers l1;
    depth 3;
    weights 1;
}
EOF
# the step numbers by their text: reduce(H), then the first step marked (finalizable)
printf ':spec sq.syno\n:next\n' | "$S" >"$TMP/sq.next" 2>&1
r=$(sed -n 's/^ *\([0-9]*\)\. reduce(H)  .*/\1/p' "$TMP/sq.next")
printf ':spec sq.syno\n:take %s\n:next\n' "${r:-1}" | "$S" >"$TMP/sq.next" 2>&1
n=$(sed -n 's/^ *\([0-9]*\)\. .*(finalizable)$/\1/p' "$TMP/sq.next" | head -n 1)
printf ':spec sq.syno\n:take %s\n:take %s\n:finalize\n:keep pick\n:keep 3 pick\n:keep 2 pick\n:canon pick\n' "${r:-1}" "${n:-1}" | repl several
has ":finalize numbers several finished operators" several '^2 finished operators at depth 2; :keep N NAME saves one into the session$'
has ":keep NAME with several asks which" several '^error: 2 finished operators here: say which with :keep N pick (:finalize lists them)$'
has ":keep N out of range" several '^error: no finished operator 3: :finalize lists 2 here (1 to 2)$'
h=$(sed -n 's/^2\. hash \([0-9a-f]*\) .*/\1/p' "$TMP/several.out")
[ -n "$h" ] && grep -q "^# hash: $h$" "$TMP/several.out" && ok ":keep N NAME keeps operator N" || { not_ok ":keep N"; diag <"$TMP/several.out"; }

# a search block of the session; the walk keeps its own copy
cat <<'EOF' | repl walksession
size N, C_in, C_out, H, W;
coef k = 3;
bind l1 { N = 2, C_in = 4, C_out = 8, H = 8, W = 8 }
search small {
    input [N, C_in, H, W];
    output [N, C_out, H, W];
    fixed N;
    layers l1;
    baseline conv2d;
    depth 3;
    weights 1;
}
search bare {
    input [N, C_in];
    output [N, C_out];
}
:spec
:spec bare
:spec small
:reset
:take 1
:complete :spec 
EOF
has ":spec alone with several searches" walksession '^error: the session has 2 search blocks; name one: :spec SEARCH (small, bare)$'
has "a search the space cannot use is reported where it was typed" walksession "^<repl:5>:1:1: error: search 'bare' has no 'layers'"
has ":spec SEARCH of the session, with its baseline" walksession '^search small from the session: \[N, C_in, H, W\] -> \[N, C_out, H, W\], depth 3, 1 layer, baseline conv2d (73.7 kFLOP, 288 params)$'
has "the walk goes on after :reset" walksession '^took '
cat <<'EOF' | repl walkfinal
size N, C_in, C_out;
bind l1 { N = 8, C_in = 16, C_out = 32 }
op dense(x[n: N, i: C_in]) -> [n, o] {
    weight w[wo: C_out, wi: C_in];
    sum(share(i, wi));
    o = share(expand(C_out), wo);
}
search lin {
    input [N, C_in];
    output [N, C_out];
    fixed N;
    layers l1;
    baseline dense;
    depth 3;
    weights 1;
}
:spec
:complete :spec l
:take 1
:next
EOF
has ":spec alone takes the session's only search" walkfinal '^search lin from the session: '
has ":spec completes the session's searches" walkfinal '^lin$'
has "a step that can be finalized is marked in :next" walkfinal '(finalizable)$'
done_testing
