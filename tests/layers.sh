#!/bin/sh
# layers.sh - keeps the floors of the source tree: a file includes only
# headers of its own floor and of the floors below it.
#
# The order is read from doc/internals.md, the line that starts with
# "Floors, bottom up:" (the directory names in backquotes, lowest first), so
# the documentation and this check cannot disagree.  Every
# `#include "DIR/..."` in the .c, .h, .def, .y and .l files of those
# directories is checked; includes without a directory (config.h, the
# generated parse.h) are not.  tests/ and bench/ may include anything.  A
# file that includes upward is named with its line and the floors involved.
# The checker is also run on a small made-up tree with one upward include,
# so it is known to catch one.
. "$top_srcdir/tests/lib.sh"

floors=$(sed -n 's/^Floors, bottom up: *//p' "$top_srcdir/doc/internals.md" | head -1 |
  grep -o '`[a-z]*`' | tr -d '`' | tr '\n' ' ' | sed 's/ $//')
set -- $floors
if [ $# -lt 2 ]; then
  not_ok "doc/internals.md has a line 'Floors, bottom up: \`base\` → ...' naming the floors"
  done_testing
fi
ok "doc/internals.md names the floors: $floors"

# rank DIR: the position of DIR in the floor order (1 = lowest), or 0.
rank() {
  local i=1 f
  for f in $floors; do
    [ "$f" = "$1" ] && { echo $i; return; }
    i=$((i + 1))
  done
  echo 0
}

# check_tree ROOT: prints one line per include against the order under ROOT
# ("file:line: ..."); nothing when every include keeps the floors.
check_tree() {
  local root=$1 f
  for f in $floors; do
    [ -d "$root/$f" ] || continue
    (cd "$root" && find "$f" -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' -o -name '*.y' -o -name '*.l' \) |
      LC_ALL=C sort | xargs grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[A-Za-z_0-9]*/')
  done | while IFS= read -r line; do
    file=${line%%:*}
    rest=${line#*:}
    lno=${rest%%:*}
    target=$(printf '%s\n' "$rest" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
    from=${file%%/*}
    to=${target%%/*}
    rf=$(rank "$from")
    rt=$(rank "$to")
    if [ "$rt" = 0 ]; then
      echo "$file:$lno: includes \"$target\": '$to' is not a floor ($floors)"
    elif [ "$rt" -gt "$rf" ]; then
      echo "$file:$lno: includes \"$target\": $to is above $from"
    fi
  done
}

# The checker catches an upward include (a made-up tree).
mkdir -p "$TMP/fake/$1" "$TMP/fake/$2"
printf '#include "%s/ok.h"\n' "$1" >"$TMP/fake/$2/down.c"
printf '/* x */\n#include "%s/up.h"\n' "$2" >"$TMP/fake/$1/up.c"
check_tree "$TMP/fake" >"$TMP/fake.out"
if [ "$(cat "$TMP/fake.out")" = "$1/up.c:2: includes \"$2/up.h\": $2 is above $1" ]; then
  ok "the check names an upward include (file and line) and accepts a downward one"
else
  not_ok "the check on a made-up tree with one upward include"; diag <"$TMP/fake.out"
fi

check_tree "$top_srcdir" >"$TMP/tree.out"
for f in $floors; do
  if [ ! -d "$top_srcdir/$f" ]; then
    not_ok "$f/ is a directory of the source tree"
  elif grep -q "^$f/" "$TMP/tree.out"; then
    not_ok "$f/ includes only its own floor and those below"
    grep "^$f/" "$TMP/tree.out" | diag
  else
    ok "$f/ includes only its own floor and those below"
  fi
done
done_testing
