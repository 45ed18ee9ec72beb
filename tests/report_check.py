"""report_check.py - reads a page of `syno report` with Python's HTML
parser and prints what tests/report.sh checks, one fact a line:
    error MESSAGE         the markup is not well nested (a tag closed that
                          is not open, an element left open at the end)
    plot ID N CIRCLES     an SVG plot: its data-points and its circles of
                          class "pt"
    rows N                rows in the candidates' table body
    scripts N             script elements
    graphs N              Graphviz graphs embedded
    sections N            operator sections
    href URL              every link
    column KEY V...       with --column KEY: that column's data-v values,
                          row by row in the order of the document
    sorted KEY ORDER      the column the table is marked sorted by
                          (aria-sort), if any
    text                  then the page's text, one line (for grep)
Usage: python3 report_check.py PAGE [--column KEY]"""
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.plots, self.hrefs, self.text = [], [], [], [], []
        self.rows = self.scripts = self.graphs = self.sections = 0
        self.plot = None
        self.keys, self.cell, self.column, self.want, self.sorted = [], 0, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "th" and "data-k" in a:
            self.keys.append(a["data-k"])
            if a.get("aria-sort"):
                self.sorted = (a["data-k"], a["aria-sort"])
        if tag == "tr":
            self.cell = 0
        if tag == "td" and "tbody" in self.stack:
            if self.cell < len(self.keys) and self.keys[self.cell] == self.want:
                self.column.append(a.get("data-v") or "-")
            self.cell += 1
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "svg" and "plot" in cls:
            self.plot = [a.get("aria-labelledby", "?").split("-t")[0], a.get("data-points", "?"), 0]
        if tag == "circle" and "pt" in cls and self.plot:
            self.plot[2] += 1
        if tag == "tr" and "tbody" in self.stack:
            self.rows += 1
        if tag == "script":
            self.scripts += 1
        if tag == "div" and "graph" in cls:
            self.graphs += 1
        if tag == "section" and "op" in cls:
            self.sections += 1
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "svg" and self.plot:
            self.plots.append(self.plot)
            self.plot = None

    def handle_data(self, data):
        if "script" not in self.stack and "style" not in self.stack:
            self.text.append(data)


def main():
    c = Check()
    if "--column" in sys.argv:
        c.want = sys.argv[sys.argv.index("--column") + 1]
    with open(sys.argv[1], encoding="utf-8", errors="strict") as f:
        c.feed(f.read())
    c.close()
    if c.stack:
        c.errors.append("left open at the end: " + " ".join(c.stack))
    for e in c.errors:
        print("error", e)
    for p in c.plots:
        print("plot", *p)
    print("rows", c.rows)
    print("scripts", c.scripts)
    print("graphs", c.graphs)
    print("sections", c.sections)
    for h in c.hrefs:
        print("href", h)
    if c.want:
        print("column", c.want, *c.column)
    if c.sorted:
        print("sorted", *c.sorted)
    print("text", " ".join(" ".join(c.text).split()))


main()
