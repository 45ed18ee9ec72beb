# lang/local.mk - the language as data: scanner, grammar, AST, sizes, graphs,
# checks, formatting.  No execution here.
libsyno_a_SOURCES += \
  %reldir%/source.c %reldir%/source.h \
  %reldir%/diag.c %reldir%/diag.h \
  %reldir%/size.c %reldir%/size.h \
  %reldir%/ast.c %reldir%/ast.h %reldir%/ast_nodes.def \
  %reldir%/parser.h %reldir%/parse.y %reldir%/scan.l
BUILT_SOURCES += %reldir%/parse.h
libsyno_a_SOURCES += \
  %reldir%/prims.def %reldir%/graph.c %reldir%/graph.h \
  %reldir%/module.c %reldir%/module.h \
  %reldir%/sema.c %reldir%/sema.h %reldir%/spec.c %reldir%/spec.h \
  %reldir%/suggest.c
libsyno_a_SOURCES += \
  %reldir%/formula.c %reldir%/formula.h \
  %reldir%/fmt.c %reldir%/fmt.h
