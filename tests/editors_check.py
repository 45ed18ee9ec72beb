"""editors_check.py - checks the TextMate grammar of editors/textmate for
tests/editors.sh with Python's standard library: the file parses as JSON,
every regular expression in it (match, begin, end) compiles with Python's
re module (the grammar keeps to the part of Oniguruma's syntax that re
shares: no possessive quantifiers, no \\h, fixed-width lookbehind), and
a small TextMate tokenizer (match, begin/end, include, captures; the
earliest match wins, ties go to the first rule) runs it over files.
Prints
    regex-error WHERE: MESSAGE    for a regex that does not compile
    regexes N                     how many compiled
    scope FILE:LINE:COL WORD SCOPES   with --at FILE LINE WORD: the scopes
                                  the tokenizer gives WORD's first character
    lines N                       with --file FILE: lines tokenized (repeatable)
Usage: python3 editors_check.py GRAMMAR [--file F]... [--at F LINE WORD]..."""
import json
import re
import sys


def regexes(node, where, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("match", "begin", "end") and isinstance(v, str):
                out.append(("%s.%s" % (where, k), v))
            else:
                regexes(v, "%s.%s" % (where, k), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            regexes(v, "%s[%d]" % (where, i), out)


class Grammar:
    def __init__(self, g):
        self.g, self.repo = g, g.get("repository", {})

    def rules(self, patterns):
        """The rules of PATTERNS with includes expanded (match or begin rules)."""
        out = []
        for p in patterns:
            if "include" in p:
                out += self.rules([self.repo[p["include"][1:]]])
            elif "match" in p or "begin" in p:
                out.append(p)
            elif "patterns" in p:
                out += self.rules(p["patterns"])
        return out

    def tokenize(self, lines):
        """[(line, col, scopes)] for every character."""
        stack = [(self.rules(self.g["patterns"]), None, ["source.syno"])]
        scopes = []
        for ln, text in enumerate(lines, 1):
            pos, marks = 0, [list(stack[-1][2]) for _ in range(len(text) + 1)]
            while pos <= len(text):
                rules, end, base = stack[-1]
                best = None
                if end is not None:
                    m = re.compile(end).search(text, pos)
                    if m:
                        best = (m.start(), -1, m, None)
                for i, r in enumerate(rules):
                    m = re.compile(r.get("match") or r["begin"]).search(text, pos)
                    if m and (best is None or m.start() < best[0]) and not (m.end() == m.start() == pos and "match" in r):
                        best = (m.start(), i, m, r)
                if best is None:
                    break
                start, _, m, r = best
                if r is None:  # the block ends
                    for c in range(m.start(), m.end()):
                        marks[c] = list(base)
                    stack.pop()
                    pos = max(m.end(), pos + 1) if m.end() == m.start() else m.end()
                    continue
                name = [r["name"]] if "name" in r else []
                caps = r.get("captures") or r.get("beginCaptures") or {}
                for c in range(m.start(), m.end()):
                    marks[c] = base + name
                for k, v in caps.items():
                    if m.group(int(k)) is not None:
                        for c in range(m.start(int(k)), m.end(int(k))):
                            marks[c] = base + name + [v["name"]]
                if "begin" in r:
                    stack.append((self.rules(r.get("patterns", [])), r["end"], base + name))
                pos = m.end() if m.end() > m.start() else m.end() + 1
            scopes.append(marks)
        return scopes


def main():
    args = sys.argv[1:]
    with open(args[0], encoding="utf-8") as f:
        g = json.load(f)
    found = []
    regexes(g, "grammar", found)
    bad = 0
    for where, rx in found:
        try:
            re.compile(rx)
        except re.error as e:
            print("regex-error %s: %s" % (where, e))
            bad += 1
    print("regexes", len(found) - bad)
    if bad:
        return
    gram, cache = Grammar(g), {}

    def scopes_of(path):
        if path not in cache:
            with open(path, encoding="utf-8") as f:
                cache[path] = (f.read().split("\n"), None)
            cache[path] = (cache[path][0], gram.tokenize(cache[path][0]))
        return cache[path]

    i = 1
    while i < len(args):
        if args[i] == "--file":
            print("lines", len(scopes_of(args[i + 1])[0]))
            i += 2
        elif args[i] == "--at":
            path, ln, word = args[i + 1], int(args[i + 2]), args[i + 3]
            lines, sc = scopes_of(path)
            m = re.search(r"\b%s\b" % re.escape(word), lines[ln - 1])
            col = m.start() if m else -1
            print("scope %s:%d:%d %s %s" % (path, ln, col + 1, word, " ".join(sc[ln - 1][col]) if m else "-"))
            i += 4
        else:
            sys.exit("unknown argument " + args[i])


main()
