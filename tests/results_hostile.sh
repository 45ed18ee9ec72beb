#!/bin/sh
# results_hostile.sh - `syno results` and `syno search` on stores and result
# directories that are not what syno wrote: another program's SQLite
# database (refused and left byte for byte as it was), one with triggers,
# random bytes, a truncated store, an empty file, a directory; a damaged
# seed or algorithm on --resume; a directory or a symbolic link where a
# result file goes (never written through).  Every case ends with exit
# status 1 and a message naming the file, never a crash.
. "$top_srcdir/tests/lib.sh"
S=$SYNO
SPEC="$top_srcdir/tests/search/run.syno"
cd "$TMP" || exit 1
PY=$(command -v python3 || true)

# has DESC STATUS PATTERN CMD...: CMD exits with STATUS and prints PATTERN
has() {
  d=$1 want=$2 pat=$3; shift 3
  "$@" >out 2>&1; got=$?
  if [ "$got" = "$want" ] && grep -q -- "$pat" out; then ok "$d"; else not_ok "$d (exit $got, want $want)"; head -c 2000 out | diag; fi
}

"$S" search "$SPEC:quick" --iterations 4 --db good.db --out good >/dev/null 2>&1 || not_ok "a store to start from"
if [ -n "$PY" ]; then
  "$PY" -c 'import sqlite3; c = sqlite3.connect("other.db"); c.execute("CREATE TABLE people (name TEXT)"); c.execute("INSERT INTO people VALUES (\"a\")"); c.commit()'
  cp other.db other.orig
  has "another program's database: refused" 1 "other.db is not a results store of syno search" "$S" results other.db
  cmp -s other.db other.orig && ok "another program's database is left as it was" || not_ok "syno results changed another program's database"
  has "a new search does not take over another program's database" 1 "other.db is not a results store of syno search: it is an SQLite database with the table people" "$S" search "$SPEC:quick" --db other.db --out x
  cmp -s other.db other.orig && ok "... and leaves it as it was" || not_ok "syno search changed another program's database"
  cp good.db trig.db
  "$PY" -c 'import sqlite3; c = sqlite3.connect("trig.db"); c.execute("CREATE TRIGGER t AFTER INSERT ON meta BEGIN SELECT 1; END"); c.commit()'
  has "a store with a trigger: refused" 1 "trig.db is not a results store of syno search: it has triggers" "$S" search "$SPEC:quick" --db trig.db --out x --resume
  cp good.db seed.db
  "$PY" -c 'import sqlite3; c = sqlite3.connect("seed.db"); c.execute("UPDATE meta SET value = \"x7\" WHERE key = \"seed\""); c.commit()'
  has "--resume on a damaged seed: reported" 1 "seed.db records the seed 'x7', which is not a seed: the store is damaged" "$S" search "$SPEC:quick" --db seed.db --out x --resume
  cp good.db alg.db
  "$PY" -c 'import sqlite3; c = sqlite3.connect("alg.db"); c.execute("UPDATE meta SET value = \"annealing\" WHERE key = \"algorithm\""); c.commit()'
  has "--resume on an unknown algorithm: reported" 1 "alg.db records the algorithm 'annealing', which syno does not know" "$S" search "$SPEC:quick" --db alg.db --out x --resume
else
  skip "no python3 to write SQLite databases"
fi
head -c 40000 /dev/urandom >random.db
has "random bytes: refused" 1 "random.db: file is not a database" "$S" results random.db
has "random bytes: --resume refuses them too" 1 "cannot read random.db: file is not a database" "$S" search "$SPEC:quick" --db random.db --out x --resume
head -c 1000 good.db >short.db
has "a truncated store: an error naming it" 1 "short.db" "$S" results short.db
: >empty.db
has "an empty file: not a store" 1 "empty.db is not a results store of syno search" "$S" results empty.db
has "an empty file: --resume finds no search" 1 "empty.db holds no search" "$S" search "$SPEC:quick" --db empty.db --out x --resume
mkdir dir.db
has "a directory: cannot open" 1 "cannot open dir.db" "$S" results dir.db

# result files: a directory where one goes, a link planted at its temporary name
cp good.db files.db
rm -rf good   # the resumed search writes the missing files of its best into res/
mkdir -p res
name=$("$S" results good.db --json --top 1 | sed -n 's/^ *"hash": "\([0-9a-f]\{8\}\).*/\1/p')
mkdir "res/op_$name.syno"
echo "not yours" >target.txt
ln -s "$TMP/target.txt" "res/op_$name.syno.tmp"
"$S" search "$SPEC:quick" --db files.db --out res --resume --iterations 4 >out 2>&1; st=$?
[ $st = 0 ] && grep -q "cannot write res/op_$name.syno" out && ok "a directory where a result file goes: a warning, the search goes on" ||
  { not_ok "a directory where a result file goes (exit $st)"; diag <out; }
[ "$(cat target.txt)" = "not yours" ] && ok "a link at a result file's temporary name is not written through" ||
  not_ok "syno wrote through a planted link"
done_testing
