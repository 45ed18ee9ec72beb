# lang/local.mk - the language as data, no execution: sources, diagnostics,
# the scanner and grammar, the AST, the size algebra, operator graphs, the
# checks (sema, search blocks), formatting and formulas, the canonical
# rewriter and its hash, random operators and the graph printer.
libsyno_a_SOURCES += \
  %reldir%/source.c %reldir%/source.h \
  %reldir%/diag.c %reldir%/diag.h \
  %reldir%/size.c %reldir%/size.h \
  %reldir%/ast.c %reldir%/ast.h %reldir%/ast_nodes.def \
  %reldir%/parser.h %reldir%/keywords.def %reldir%/parse.y %reldir%/scan.l \
  %reldir%/prims.def %reldir%/graph.c %reldir%/graph.h \
  %reldir%/module.c %reldir%/module.h \
  %reldir%/sema.c %reldir%/sema.h %reldir%/suggest.c \
  %reldir%/spec.c %reldir%/spec.h %reldir%/spec_options.def \
  %reldir%/formula.c %reldir%/formula.h \
  %reldir%/fmt.c %reldir%/fmt.h \
  %reldir%/canon.c %reldir%/canon.h %reldir%/canon_int.h %reldir%/canon_ir.c \
  %reldir%/canon_region.c %reldir%/canon_rules.c %reldir%/canon_label.c %reldir%/canon_print.c \
  %reldir%/randop.c %reldir%/randop.h \
  %reldir%/graph_print.c %reldir%/graph_print.h
BUILT_SOURCES += %reldir%/parse.h
