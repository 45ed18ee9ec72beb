# editors/local.mk - editor support for .syno files, installed by
# `make install` under $(pkgdatadir)/editors: a Vim syntax, filetype
# detection and filetype plugin, and a TextMate grammar (with the files
# VS Code reads to load it as an extension).  tests/editors.sh checks them.
editorsdir = $(pkgdatadir)
nobase_dist_editors_DATA = \
  %reldir%/README.md \
  %reldir%/vim/syntax/syno.vim %reldir%/vim/ftdetect/syno.vim %reldir%/vim/ftplugin/syno.vim \
  %reldir%/textmate/syno.tmLanguage.json %reldir%/textmate/package.json \
  %reldir%/textmate/language-configuration.json
