# stdlib/local.mk - operators written in the language, installed so that a
# bare name (`syno explain conv2d`, `baseline conv2d`) finds them.
stdlibdir = $(pkgdatadir)/stdlib
dist_stdlib_DATA = %reldir%/conv.syno %reldir%/linear.syno %reldir%/pool.syno %reldir%/syno.syno
