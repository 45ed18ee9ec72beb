# doc/local.mk - documentation: the syno(1) man page and the documents,
# installed by `make install` (man page under $(mandir)/man1, the documents
# under $(docdir)); tests/doc.sh keeps them true.
dist_man_MANS += %reldir%/syno.1
dist_doc_DATA += %reldir%/language.md %reldir%/internals.md %reldir%/canonical.md \
  %reldir%/performance.md %reldir%/repl.md %reldir%/search.md %reldir%/training.md %reldir%/report.md \
  %reldir%/testing.md
