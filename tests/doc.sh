#!/bin/sh
# doc.sh - keeps doc/language.md and the syno(1) man page true.
#
# doc/language.md: every fenced code block is run according to its info
# string (the word after the opening ```):
#   syno           a complete program: `syno check` passes silently and
#                  `syno fmt` prints it back unchanged.
#   syno-error     a complete program that is wrong: saved as example.syno in
#                  a scratch directory (with stdlib/ next to it and
#                  SYNO_STDLIB=stdlib), `syno check example.syno` must exit 1,
#                  and its standard error must be exactly the text of the
#                  very next fenced block (```text; only blank lines between).
#   syno-unformatted  a complete valid program that is not in canonical
#                  format (to show what `syno fmt` does): it checks clean.
#   console        lines "$ COMMAND" are run by sh in the scratch directory,
#                  where example.syno is the latest syno, syno-error or
#                  syno-unformatted block and stdlib/ and examples/ are the
#                  source tree's; `syno` is the built binary and
#                  SYNO_STDLIB=stdlib.  The lines up to the next "$ " are the
#                  expected standard output and error together (trailing
#                  blanks are ignored).
#   anything else  (syno-fragment, ebnf, text, ...) is only shown, not run.
# `make check ACCEPT=1` rewrites the expected outputs (the text after a
# syno-error block and the console blocks) from the real ones.
# language.md must also show the usage and index map of every primitive in
# lang/prims.def, name every keyword of lang/scan.l and every search setting
# of lang/spec.c, and give the formula `syno explain` prints for every
# operator in stdlib/.
#
# doc/syno.1 must render without groff warnings, have the usual sections,
# document every command of interp/commands.def in a `.SS NAME` subsection
# of COMMANDS together with every option its --help shows, and list every
# environment variable the code reads.
. "$top_srcdir/tests/lib.sh"
DOC="$top_srcdir/doc/language.md"
MAN="$top_srcdir/doc/syno.1"
case $SYNO in /*) ;; *) SYNO="$(pwd)/$SYNO" ;; esac
case $top_srcdir in /*) SRC=$top_srcdir ;; *) SRC="$(pwd)/$top_srcdir" ;; esac

mkdir -p "$TMP/bin" "$TMP/w"
ln -s "$SYNO" "$TMP/bin/syno"
ln -s "$SRC/stdlib" "$TMP/w/stdlib"
ln -s "$SRC/examples" "$TMP/w/examples"

# strip FILE: trailing blanks removed, in place
strip() { sed 's/[ 	]*$//' "$1" >"$1.s" && mv "$1.s" "$1"; }

# ---- language.md: code blocks -------------------------------------------

NEW="$TMP/language.md.new"
: >"$NEW"
nsyno=0 nerror=0 nconsole=0
pending=          # line of a syno-error block still waiting for its text block
inblock=0 kind= start=0 n=0

# A complete program: checks clean, formats to itself.
run_syno() {
  nsyno=$((nsyno + 1))
  cp "$TMP/block" "$TMP/w/example.syno"
  (cd "$TMP/w" && SYNO_STDLIB=stdlib "$SYNO" check example.syno) >"$TMP/out" 2>&1 </dev/null
  st=$?
  if [ $st = 0 ] && [ ! -s "$TMP/out" ]; then ok "language.md:$start: $kind block checks clean"
  else not_ok "language.md:$start: $kind block checks clean (exit $st; mark it syno-error or syno-fragment if it is not a whole valid program)"; diag <"$TMP/out"; return; fi
  [ "$kind" = syno ] || return
  (cd "$TMP/w" && "$SYNO" fmt example.syno) >"$TMP/out" 2>&1 </dev/null
  if cmp -s "$TMP/out" "$TMP/block"; then ok "language.md:$start: syno block is in canonical format"
  else not_ok "language.md:$start: syno block is in canonical format (syno fmt changes it)"; diff -u "$TMP/block" "$TMP/out" | head -30 | diag; fi
}

# A wrong program: exit 1; its stderr becomes the expected text.
run_error() {
  nerror=$((nerror + 1))
  cp "$TMP/block" "$TMP/w/example.syno"
  (cd "$TMP/w" && SYNO_STDLIB=stdlib "$SYNO" check example.syno) >"$TMP/stdout" 2>"$TMP/expect" </dev/null
  st=$?
  strip "$TMP/expect"
  if [ $st = 1 ] && [ -s "$TMP/expect" ] && [ ! -s "$TMP/stdout" ]; then ok "language.md:$start: syno-error block is rejected (exit 1)"
  else not_ok "language.md:$start: syno-error block is rejected (exit $st, want 1 and diagnostics)"; diag <"$TMP/expect"; fi
  pending=$start
}

# The text block after a syno-error block.
check_expected() {
  cp "$TMP/block" "$TMP/want"
  strip "$TMP/want"
  if cmp -s "$TMP/want" "$TMP/expect"; then ok "language.md:$start: diagnostics of the block at line $pending"
  elif [ -n "$ACCEPT" ]; then ok "language.md:$start: diagnostics of the block at line $pending (accepted)"
  else not_ok "language.md:$start: diagnostics of the block at line $pending differ (make check ACCEPT=1 rewrites them)"; diff -u "$TMP/want" "$TMP/expect" | head -30 | diag; fi
  cp "$TMP/expect" "$TMP/block"
}

# A console block: run each "$ " line, rebuild the block from real output.
run_console() {
  nconsole=$((nconsole + 1))
  : >"$TMP/expect"
  while IFS= read -r l; do
    case $l in
    '$ '*)
      printf '%s\n' "$l" >>"$TMP/expect"
      (cd "$TMP/w" && PATH="$TMP/bin:$PATH" SYNO_STDLIB=stdlib sh -c "${l#??}") >"$TMP/out" 2>&1 </dev/null
      strip "$TMP/out"
      cat "$TMP/out" >>"$TMP/expect" ;;
    esac
  done <"$TMP/block"
  cp "$TMP/block" "$TMP/want"
  strip "$TMP/want"
  if cmp -s "$TMP/want" "$TMP/expect"; then ok "language.md:$start: console block shows real output"
  elif [ -n "$ACCEPT" ]; then ok "language.md:$start: console block shows real output (accepted)"
  else not_ok "language.md:$start: console block output differs (make check ACCEPT=1 rewrites it)"; diff -u "$TMP/want" "$TMP/expect" | head -30 | diag; fi
  cp "$TMP/expect" "$TMP/block"
}

if [ ! -f "$DOC" ]; then
  not_ok "doc/language.md exists"
else
  while IFS= read -r line; do
    n=$((n + 1))
    if [ $inblock = 0 ]; then
      case $line in
      '```'*)
        inblock=1 start=$n kind=${line#\`\`\`}
        : >"$TMP/block"
        if [ -n "$pending" ] && [ "$kind" != text ]; then
          not_ok "language.md:$pending: a syno-error block is followed by a \`\`\`text block with its diagnostics"; pending=
        fi ;;
      '') ;;
      *)
        if [ -n "$pending" ]; then
          not_ok "language.md:$pending: a syno-error block is followed by a \`\`\`text block with its diagnostics"; pending=
        fi ;;
      esac
      printf '%s\n' "$line" >>"$NEW"
      continue
    fi
    case $line in
    '```')
      inblock=0
      case $kind in
      syno | syno-unformatted) run_syno ;;
      syno-error) run_error ;;
      console) run_console ;;
      text) if [ -n "$pending" ]; then check_expected; pending=; fi ;;
      esac
      cat "$TMP/block" >>"$NEW"
      printf '%s\n' "$line" >>"$NEW" ;;
    *) printf '%s\n' "$line" >>"$TMP/block" ;;
    esac
  done <"$DOC"
  [ $inblock = 0 ] || not_ok "language.md:$start: code block is closed"
  [ -z "$pending" ] || not_ok "language.md:$pending: a syno-error block is followed by a \`\`\`text block with its diagnostics"
  [ $nsyno -ge 10 ] && [ $nerror -ge 10 ] && [ $nconsole -ge 3 ] &&
    ok "language.md has runnable examples ($nsyno programs, $nerror errors, $nconsole console blocks)" ||
    not_ok "language.md has runnable examples (found $nsyno syno, $nerror syno-error, $nconsole console blocks)"
  if [ -n "$ACCEPT" ] && ! cmp -s "$NEW" "$DOC"; then cp "$NEW" "$DOC" && echo "# rewrote $DOC"; fi

  # ---- language.md: coverage ------------------------------------------------

  # Every primitive: its usage line and its index map, as prims.def has them.
  sed -n 's/^SYNO_PRIM([A-Z_]*, *"\([a-z_]*\)", *"[a-zA-Z]*", *[0-9]*, *"\([^"]*\)", *"\([^"]*\)").*/\1|\2|\3/p' \
    "$top_srcdir/lang/prims.def" >"$TMP/prims"
  [ -s "$TMP/prims" ] || not_ok "lang/prims.def could be read"
  while IFS='|' read -r name usage index; do
    grep -qF "$usage" "$DOC" && grep -qF "$index" "$DOC" &&
      ok "language.md documents primitive $name" ||
      not_ok "language.md documents primitive $name: show its usage \`$usage\` and index map \`$index\` (from lang/prims.def)"
  done <"$TMP/prims"

  # Every keyword of the scanner.
  kws=$(sed -n 's/^SYNO_KEYWORD([A-Z]*, *"\([a-z]*\)")/\1/p' "$top_srcdir/lang/keywords.def")
  [ -n "$kws" ] || not_ok "the keywords of lang/keywords.def could be read"
  for kw in $kws; do
    grep -qF "\`$kw\`" "$DOC" && ok "language.md names keyword $kw" ||
      not_ok "language.md names keyword $kw (a keyword of lang/keywords.def)"
  done

  # The EBNF uses every terminal of the grammar.
  awk '/^```ebnf/ { on = 1; next } /^```/ { on = 0 } on' "$DOC" >"$TMP/ebnf"
  { sed -n "s/^%token.*//; /^%%/,/^%%/p" "$top_srcdir/lang/parse.y" | grep -o "'[^']'" | tr -d "'"
    sed -n 's/^%token //p' "$top_srcdir/lang/parse.y" | grep -o "\"'[^']*'\"" | sed "s/\"'//; s/'\"//"
    sed -n 's/^%token //p' "$top_srcdir/lang/parse.y" | grep -o '\b[A-Z]\+ "[a-z]' | sed 's/ .*//' | grep -E '^(IDENT|INT|REAL|STRING)$'
  } | sort -u >"$TMP/terminals"
  missing=
  while read -r t; do
    case $t in IDENT | INT | REAL | STRING) pat=$t ;; *) pat="\"$t\"" ;; esac
    grep -qF -- "$pat" "$TMP/ebnf" || missing="$missing $pat"
  done <"$TMP/terminals"
  [ -s "$TMP/terminals" ] && [ -z "$missing" ] && ok "the grammar in language.md uses every terminal of lang/parse.y" ||
    not_ok "the grammar in language.md uses every terminal of lang/parse.y (missing:$missing)"

  # Every search setting.
  items=$(sed -n '/item_names\[SYNO_SPEC_ITEM_COUNT\] = {/,/};/p' "$top_srcdir/lang/spec.c" | grep -o '"[a-z_]*"' | tr -d '"')
  [ -n "$items" ] || not_ok "the search settings of lang/spec.c could be read"
  for it in $items; do
    grep -qF "\`$it" "$DOC" && ok "language.md documents search setting $it" ||
      not_ok "language.md documents search setting $it (an item of lang/spec.c)"
  done

  # Every stdlib operator, with the formula explain prints.
  for f in "$top_srcdir"/stdlib/*.syno; do
    for op in $(sed -n 's/^op \([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$f"); do
      formula=$("$SYNO" explain "$f:$op" 2>/dev/null | sed -n '3{s/^ *//;s/   (.*//;p;}')
      case $formula in
      out*) grep -qF "$formula" "$DOC" && ok "language.md gives the formula of stdlib $op" ||
              not_ok "language.md gives the formula of stdlib $op: $formula" ;;
      *) not_ok "syno explain $op prints a formula" ;;
      esac
    done
  done
fi

# ---- syno.1 -------------------------------------------------------------------

if command -v groff >/dev/null 2>&1; then
  groff -man -Tutf8 -ww -z "$MAN" >"$TMP/out" 2>&1
  [ $? = 0 ] && [ ! -s "$TMP/out" ] && ok "syno.1 renders without warnings" ||
    { not_ok "syno.1 renders without warnings (groff -man -Tutf8 -ww -z doc/syno.1)"; diag <"$TMP/out"; }
else
  skip "syno.1 renders without warnings: groff is not installed (Debian: groff-base)"
fi

for s in NAME SYNOPSIS DESCRIPTION COMMANDS "OPERATOR REFERENCES" BINDINGS ENVIRONMENT FILES "EXIT STATUS" \
  EXAMPLES "SEE ALSO"; do
  grep -Eq "^\.SH \"?$s\"?\$" "$MAN" && ok "syno.1 has section $s" || not_ok "syno.1 has section $s"
done

# The man page source as text: the arguments of the alternating-font macros
# (.BR, .IB, ...) joined as man joins them, '\-' as '-', fonts removed.
awk '
/^\.(BI|BR|IB|IR|RB|RI) / {
  rest = substr($0, 5); out = ""
  while (rest != "") {
    sub(/^ +/, "", rest)
    if (rest == "") break
    if (substr(rest, 1, 1) == "\"") { i = index(substr(rest, 2), "\""); if (!i) i = length(rest); out = out substr(rest, 2, i - 1); rest = substr(rest, i + 2) }
    else { i = index(rest, " "); if (!i) i = length(rest) + 1; out = out substr(rest, 1, i - 1); rest = substr(rest, i) }
  }
  print out; next
}
{ print }' "$MAN" | sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\f(..//g' >"$TMP/man.txt"

cmds=$(sed -n 's/^SYNO_COMMAND(\([a-z_]*\),.*/\1/p' "$top_srcdir/interp/commands.def")
[ -n "$cmds" ] || not_ok "interp/commands.def could be read"
for c in $cmds; do
  # the subsection of command C: from ".SS C" to the next .SS or .SH
  awk -v c="$c" '/^\.S[SH] / { on = ($0 ~ "^\\.SS \"?" c "(\"| |$)") } on' "$TMP/man.txt" >"$TMP/sec"
  if [ ! -s "$TMP/sec" ]; then
    not_ok "syno.1 documents command '$c': add a '.SS $c' subsection under .SH COMMANDS in doc/syno.1"
    continue
  fi
  ok "syno.1 documents command '$c'"
  "$SYNO" "$c" --help 2>&1 </dev/null | grep -oE '(^|[][ (|,])--?[A-Za-z][A-Za-z0-9-]*' |
    sed 's/^[][ (|,]//' | sort -u >"$TMP/opts"
  missing=
  while read -r o; do
    grep -Eq -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$TMP/sec" || missing="$missing $o"
  done <"$TMP/opts"
  [ -z "$missing" ] && ok "syno.1 documents every option of '$c' --help" ||
    not_ok "syno.1 documents every option of '$c' --help: missing$missing (in the '.SS $c' subsection of doc/syno.1)"
done
for o in --help --version; do
  grep -q -- "$o" "$TMP/man.txt" && ok "syno.1 documents $o" || not_ok "syno.1 documents $o"
done

# Every environment variable the program reads.
awk '/^\.SH / { on = ($0 ~ /ENVIRONMENT/) } on' "$TMP/man.txt" >"$TMP/env"
for v in $(cat "$top_srcdir"/lang/*.c "$top_srcdir"/interp/*.c "$top_srcdir"/codegen/*.c "$top_srcdir"/search/*.c \
  2>/dev/null | grep -o 'getenv("[A-Za-z_0-9]*")' | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
  grep -qw "$v" "$TMP/env" && ok "syno.1 ENVIRONMENT lists $v" ||
    not_ok "syno.1 ENVIRONMENT lists $v (read by the program; document it in doc/syno.1)"
done
done_testing
