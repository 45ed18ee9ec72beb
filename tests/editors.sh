#!/bin/sh
# editors.sh - the editor support of editors/: the word lists of the
# language (keywords from lang/keywords.def, primitives from lang/prims.def,
# search settings and their words from lang/spec.c, options from
# lang/spec_options.def) are all highlighted by both the Vim syntax and the
# TextMate grammar (so a new word that is not added there fails here); the
# Vim syntax and filetype plugin load without an error in `vim -es` on
# every file of the standard library and the examples; the TextMate grammar
# parses as JSON, its regular expressions compile with Python's re, and a
# small TextMate tokenizer (tests/editors_check.py) runs it over the same
# files.
. "$top_srcdir/tests/lib.sh"
ED="$top_srcdir/editors"
L="$top_srcdir/lang"
cd "$TMP" || exit 1
words() { tr ' ' '\n' | grep -v '^$'; }
keywords=$(sed -n 's/^SYNO_KEYWORD([A-Z]*, *"\([a-z]*\)")$/\1/p' "$L/keywords.def" | words)
prims=$(sed -n 's/^SYNO_PRIM([A-Z]*, *"\([a-z]*\)".*/\1/p' "$L/prims.def" | words)
settings=$(sed -n '/item_names\[SYNO_SPEC_ITEM_COUNT\] = {/,/};/p' "$L/spec.c" | grep -o '"[a-z_]*"' | tr -d '"' | words)
setwords=$( { sed -n 's/^const char \*const syno_\(algorithm\|metric\)_names\[.*\] = {\(.*\)};/\2/p' "$L/spec.c" |
  grep -o '"[a-z]*"' | tr -d '"'; grep -o 'strcmp(k, "[a-z]*")' "$L/spec.c" | sed 's/.*"\(.*\)".*/\1/';
  grep -o 'strcmp([a-z>-]*text, "[a-z_]*")' "$L/spec.c" | sed 's/.*"\(.*\)".*/\1/';
  sed -n 's/^SYNO_SPEC_OPT([A-Z_]*, *"\([a-z_]*\)".*/\1/p' "$L/spec_options.def"; } | sort -u | words)
n() { echo "$1" | wc -l; }
[ "$(n "$keywords")" = 6 ] && [ "$(n "$prims")" -ge 10 ] && [ "$(n "$settings")" -ge 17 ] && [ "$(n "$setwords")" -ge 30 ] &&
  ok "word lists read from the sources: $(n "$keywords") keywords, $(n "$prims") primitives, $(n "$settings") settings, $(n "$setwords") setting words" ||
  not_ok "reading the word lists from lang/ (keywords $(n "$keywords"), primitives $(n "$prims"), settings $(n "$settings"), words $(n "$setwords"))"

# A file with every word where it means something, and where each one is:
# "LINE WORD" per line of words.pos.
{
  echo "size N, C;"; echo "coef k = 3;"; echo "op f(x[n: N, c: C]) -> [n] {"; echo "    weight w[a: C];"
  for p in $prims; do echo "    y = $p(n, 2);"; done
  echo "}"; echo "bind b { N = 2 }"; echo "search s {"
  for s in $settings; do echo "    $s 1;"; done
  for w in $setwords; do echo "    algorithm $w 1;"; done
  echo "}"
} >words.syno
{
  for k in $keywords; do grep -n "^\(    \)\?$k\b" words.syno | head -1 | sed "s/:.*/ $k/"; done
  grep -n '^    y = [a-z]*(' words.syno | sed 's/^\([0-9]*\):    y = \([a-z]*\)(.*/\1 \2/'
  for s in $settings; do grep -n "^    $s 1;" words.syno | sed "s/:.*/ $s/"; done
  for w in $setwords; do grep -n "^    algorithm $w 1;" words.syno | sed "s/:.*/ $w/"; done
} >words.pos
[ "$(wc -l <words.pos)" = $(( $(n "$keywords") + $(n "$prims") + $(n "$settings") + $(n "$setwords") )) ] ||
  not_ok "the word file's positions"

# TextMate: JSON, regexes, the tokenizer over the stdlib and the examples, every word.
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then
  skip "python3 is not installed: the TextMate grammar is not checked"
else
  G="$ED/textmate/syno.tmLanguage.json"
  args=
  for f in "$top_srcdir"/stdlib/*.syno "$top_srcdir"/examples/*.syno; do args="$args --file $f"; done
  while read -r line word; do args="$args --at words.syno $line $word"; done <words.pos
  # shellcheck disable=SC2086
  "$PY" "$top_srcdir/tests/editors_check.py" "$G" $args >tm.txt 2>&1
  st=$?
  nre=$(sed -n 's/^regexes //p' tm.txt)
  [ $st = 0 ] && ! grep -q regex-error tm.txt && [ "${nre:-0}" -ge 15 ] &&
    [ "$(grep -c '^lines ' tm.txt)" = "$(ls "$top_srcdir"/stdlib/*.syno "$top_srcdir"/examples/*.syno | wc -l)" ] &&
    ok "the TextMate grammar is JSON, its $nre regexes compile (Python re), and it tokenizes the stdlib and the examples" ||
    { not_ok "the TextMate grammar (exit $st)"; head -20 tm.txt | diag; }
  "$PY" -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$ED/textmate/package.json" \
    "$ED/textmate/language-configuration.json" && ok "the VS Code package and language configuration are JSON" ||
    not_ok "the VS Code package files"
  plain=$(grep '^scope ' tm.txt | awk 'NF <= 4 || $NF ~ /punctuation/ { print $3 }' | tr '\n' ' ')
  [ "$(grep -c '^scope ' tm.txt)" = "$(wc -l <words.pos)" ] && [ -z "$plain" ] &&
    ok "the TextMate grammar gives every word a scope of its own ($(wc -l <words.pos) words)" ||
    { not_ok "words the TextMate grammar does not know: $plain"; grep '^scope' tm.txt | awk 'NF <= 4 || $NF ~ /punctuation/' | head | diag; }
fi

# Vim: loads on every file without an error; every word gets a group.
if ! command -v vim >/dev/null 2>&1; then
  skip "vim is not installed (Debian: apt-get install vim-nox)"; skip "vim is not installed"
else
  vimrun() { # FILE VIMSCRIPT-COMMAND...: run vim silently on FILE with the syno files
    f=$1; shift
    vim -Nes -u NONE -i NONE --cmd "set rtp^=$ED/vim" -c 'filetype plugin on' -c 'syntax on' -c "edit $f" "$@" \
      -c 'if v:errmsg != "" | cquit 5 | endif' -c 'qa!' </dev/null
  }
  bad=
  for f in "$top_srcdir"/stdlib/*.syno "$top_srcdir"/examples/*.syno; do
    vimrun "$f" -c "redir! > $TMP/vim.out" -c 'echo &filetype b:current_syntax &commentstring' -c 'redir END' >vim.err 2>&1
    st=$?
    [ $st = 0 ] && [ "$(tr -d '\n' <vim.out)" = "syno syno # %s" ] || bad="$bad $(basename "$f")(exit $st: $(tr -d '\n' <vim.out) $(head -c 200 vim.err))"
  done
  [ -z "$bad" ] && ok "vim -es loads the syno syntax and filetype plugin on every stdlib and example file without an error" ||
    not_ok "vim on:$bad"
  {
    echo "redir! > $TMP/groups.txt"
    while read -r line word; do
      echo "let c = match(getline($line), '\\<$word\\>') + 1"
      echo "echo '$word ' . synIDattr(synID($line, c, 1), 'name')"
    done <words.pos
    echo "redir END"
  } >groups.vim
  vimrun words.syno -c "source $TMP/groups.vim" >vim.err 2>&1
  plain=$(grep -v '^$' groups.txt | awk 'NF < 2 || $2 == "synoSearch" || $2 == "synoBind" || $2 == "synoDelimiter" { print $1 }' | tr '\n' ' ')
  [ "$(grep -c . groups.txt)" = "$(wc -l <words.pos)" ] && [ -z "$plain" ] &&
    ok "the Vim syntax gives every word a group of its own ($(wc -l <words.pos) words)" ||
    { not_ok "words the Vim syntax does not know: $plain"; diag <vim.err; }
fi
done_testing
