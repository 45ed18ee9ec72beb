#!/bin/sh
# limits.sh - inputs that would need huge memory or time get a clear error
# quoting the limit (doc/language.md, "Limits"), and memory stays in
# proportion to the work: many operators, many bind blocks, a 10 MB line,
# a file over the size limit, nesting deep enough to blow the stack, a
# depth of 10^6, a binding with 2^40-element tensors, and 200 FILE:OP
# arguments naming operators of one large file.
. "$top_srcdir/tests/lib.sh"
S=$SYNO
cd "$TMP" || exit 1

# has DESC STATUS PATTERN CMD...: CMD exits with STATUS and prints PATTERN
has() {
  d=$1 want=$2 pat=$3; shift 3
  "$@" >out 2>&1; got=$?
  if [ "$got" = "$want" ] && grep -q -- "$pat" out; then ok "$d"; else not_ok "$d (exit $got, want $want)"; head -c 2000 out | diag; fi
}

op='op f%d(x[n: N, c: C]) -> [n] { sum(c); }'
awk -v op="$op" 'BEGIN { print "size N, C;"; for (i = 0; i < 100000; i++) printf op "\n", i }' >ops.syno
has "10^5 operators: the limit of 10000 is quoted" 1 "too many operators: a file may declare at most 10000 (this is number 10001)" "$S" check ops.syno
awk -v op="$op" 'BEGIN { print "size N, C;"; printf op "\n", 0; for (i = 0; i < 2000; i++) printf "bind b%d { N = 2, C = 4 }\n", i }' >binds.syno
has "2000 bind blocks: the limit of 1000 is quoted" 1 "too many bind blocks: a file may declare at most 1000" "$S" check binds.syno

# one line of 10 MB: checked in proportion, and the line is not printed under each error
awk -v op="$op" 'BEGIN { printf "size N, C; "; for (i = 0; i < 240000; i++) printf op " ", i; print "" }' >line.syno
has "a $(($(wc -c <line.syno) / 1000000)) MB line: errors reported" 1 "line.syno:1:[0-9]*: error: too many operators" "$S" check line.syno
[ "$(wc -c <out)" -lt 100000 ] && ok "a 10 MB line is not printed under its errors" || not_ok "the output of a 10 MB line has $(wc -c <out) bytes"

head -c 17000000 /dev/zero | tr '\0' ' ' >huge.syno
has "a 17 MB file: the 16 MiB limit is quoted" 1 "cannot read 'huge.syno': larger than the 16 MiB limit" "$S" check huge.syno

# nesting: chains of binary operators do not deepen the parser's stack, only the tree
awk 'BEGIN { printf "size N;\nop f(x[n: N"; for (i = 0; i < 100000; i++) printf " * N"; print "]) -> [n] { }" }' >chain.syno
has "a chain of 10^5 multiplications: nesting limit" 1 "chain.syno:2:.*nesting too deep: expressions and lists may nest about 200 levels" "$S" check chain.syno
awk 'BEGIN { printf "size N;\ncoef k = 3;\nop f(x[n: N]) -> [n] { n2 = shift(n, "; for (i = 0; i < 100000; i++) printf "1 + "; print "1); }" }' >sum.syno
has "a sum of 10^5 terms: nesting limit" 1 "nesting too deep" "$S" check sum.syno
awk 'BEGIN { printf "size N;\nop f(x[n: N]) -> [n] { n = shift(n, "; for (i = 0; i < 100000; i++) printf "-"; print "1); }" }' >neg.syno
has "10^5 unary minus signs: nesting limit" 1 "nesting too deep" "$S" check neg.syno

# operators: at most 16 axes a tensor, 1024 primitives (working on a long
# chain of primitives is not linear everywhere: 50000 took minutes)
awk 'BEGIN { printf "size N;\nop f(x["; for (i = 0; i < 20; i++) printf "%sa%d: N", i ? ", " : "", i;
  printf "]) -> ["; for (i = 0; i < 20; i++) printf "%sa%d", i ? ", " : "", i; print "] { }\nbind b { N = 2 }" }' >rank.syno
has "a tensor of 20 axes: the limit of 16 is quoted" 1 "rank.syno:2:6: error: too many axes: a tensor has at most 16, 'x' has 20" "$S" check rank.syno
has "20 output axes: the limit of 16 is quoted" 1 "too many output axes: an operator has at most 16, 'f' has 20" "$S" check rank.syno
has "syno run of it: the error, not an internal error" 1 "too many axes" "$S" run rank.syno:f --bind b
awk 'BEGIN { print "size N;\nop f(x[d0: N]) -> [d50000] {"; for (i = 0; i < 50000; i++) printf "    d%d = shift(d%d);\n", i + 1, i; print "}" }' >long.syno
has "50000 primitives: the limit of 1024 is quoted" 1 "too many primitives: an operator applies at most 1024" "$S" explain long.syno:f
# a reshape of 80 pieces read by a weight (the canonical form had room for 64)
awk 'BEGIN { split("A B C D E F G H I J K L M N O P", v, " "); size = "";
  for (i = 1; i <= 16; i++) size = size (i > 1 ? "*" : "") v[i] "^5";
  printf "size A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P;\nop f(x[c0: %s]) -> [n] {\n    weight w[wn: A, wm: %s];\n", size, size;
  k = 0; cur = "c0"; np = 0;
  for (i = 1; i <= 16; i++) for (j = 0; j < 5; j++) { if (i == 16 && j == 4) { p[np++] = cur; break }
    k++; printf "    c%d, p%d = split(%s, %s);\n", k, k, cur, v[i]; p[np++] = "p" k; cur = "c" k }
  m = p[0]; for (i = 1; i < np; i++) { printf "    m%d = merge(%s, %s);\n", i, p[i], m; m = "m" i }
  printf "    sum(share(%s, wm));\n    n = share(expand(A), wn);\n}\n", m }' >pieces.syno
has "a weight reading a reshape of 80 pieces: canonical form" 0 "# hash: " "$S" canon pieces.syno:f

# a search space that would try 9^16 sizes for its first reduction (hours and
# gigabytes before any state): refused when the space is built
cat >space.syno <<'EOT'
size A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P;
bind l1 { A = 2, B = 2, C = 2, D = 2, E = 2, F = 2, G = 2, H = 2, I = 2, J = 2, K = 2, L = 2, M = 2, N = 2, O = 2, P = 2 }
search big {
    input [A, B, C, D, E, F, G, H];
    output [I, J, K, L, M, N, O, P];
    size A: 16, B: 16, C: 16, D: 16, E: 16, F: 16, G: 16, H: 16, I: 16, J: 16, K: 16, L: 16, M: 16, N: 16, O: 16, P: 16;
    layers l1;
    options enumerations_per_var 9;
}
EOT
has "a space of 9^16 sizes: the limit is quoted" 1 "search 'big' would try 1.85e+15 sizes for every reduction and stride.*at most 1048576" "$S" enumerate space.syno --depth 1

# a depth of 10^6
sed 's/depth 7;/depth 1000000;/' "$top_srcdir/tests/search/conv.syno" >deep.syno
has "depth 10^6 in a search block: the limit of 64 is quoted" 1 "'depth' must be between 1 and 64, not 1000000" "$S" check deep.syno
has "enumerate --depth 10^6: the limit of 64 is quoted" 2 "integer from 1 to 64" "$S" enumerate "$top_srcdir/tests/search/conv.syno" --depth 1000000

# a binding with 2^40-element tensors
cat >big.syno <<'EOT'
size N, C;
bind huge { N = 1099511627776, C = 2 }
op f(x[n: N, c: C]) -> [n] { sum(c); }
EOT
has "2^40 elements: explain works symbolically" 0 "1099511627776" "$S" explain big.syno:f --bind huge
has "2^40 elements: run quotes its limit" 1 "syno run allows at most 2^27 (134217728) per tensor" "$S" run big.syno:f --bind huge
has "2^40 elements: bench quotes its limit" 1 "bench allocates at most 536870912" "$S" bench big.syno:f --bind huge
has "--bind quotes its limit of 2^40" 2 "must be an integer from 1 to 2^40 (1099511627776), not '1099511627777'" "$S" explain big.syno:f --bind N=1099511627777
cat >>big.syno <<'EOT'
bind wide { N = 4611686018427387904, C = 4 }
op g(x[n: N, c: C]) -> [m] { m = merge(n, c); }
EOT
has "N*C beyond 64 bits: an overflow error, not a wrong size" 1 "size of 'm': N\*C = 4611686018427387904\*4 overflows 64 bits in binding 'wide'" "$S" check big.syno

# 200 FILE:OP arguments naming operators of one 2.7 MB file: the file is
# loaded once (it was loaded per argument: 16.8 GB of resident memory)
awk 'BEGIN { print "size N, C_in, C_out, H, W;\ncoef k = 3;";
  for (i = 0; i < 9000; i++) printf "op c%d(x[n: N, c: C_in, h: H, w: W]) -> [n, o, y, z] {\n    weight f[fo: C_out, fc: C_in, fh: k, fw: k];\n    y, dy = unfold(h, k);\n    z, dz = unfold(w, k);\n    sum(share(c, fc));\n    sum(share(dy, fh));\n    sum(share(dz, fw));\n    o = share(expand(C_out), fo);\n}\n", i }' >conv.syno
args=$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "conv.syno:c%d ", i * 45 }')
# shellcheck disable=SC2086
if [ -n "${SYNO_SANITIZED:-}" ]; then
  "$S" canon --hash $args >out 2>&1; st=$?    # AddressSanitizer reserves more address space than any limit
else
  (ulimit -v 1000000 && "$S" canon --hash $args) >out 2>&1; st=$?
fi
n=$(grep -c "  conv.syno:c" out)
[ $st = 0 ] && [ "$n" = 200 ] && [ "$(cut -d' ' -f1 out | sort -u | wc -l)" = 1 ] &&
  ok "canon --hash of 200 operators of a $(($(wc -c <conv.syno) / 1000000)) MB file in 1 GB of address space" ||
  { not_ok "canon --hash of 200 operators of one file (exit $st, $n lines)"; head -5 out | diag; }
done_testing
