# syno_cflag.m4 - SYNO_CHECK_CFLAG(FLAG, ACTION-IF-OK, ACTION-IF-NOT)
# Tries to compile an empty program with FLAG (and -Werror, so that a flag the
# compiler merely warns about counts as unsupported).
AC_DEFUN([SYNO_CHECK_CFLAG], [
  AS_VAR_PUSHDEF([cachevar], [syno_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [cachevar], [
    syno_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])], [AS_VAR_SET([cachevar], [yes])], [AS_VAR_SET([cachevar], [no])])
    CFLAGS=$syno_save_CFLAGS])
  AS_VAR_IF([cachevar], [yes], [$2], [$3])
  AS_VAR_POPDEF([cachevar])
])
