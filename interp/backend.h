/* backend.h - the table of execution backends of `syno run`
 * (backends.def; the interface they implement is codegen/backend.h). */
#ifndef SYNO_BACKEND_H
#define SYNO_BACKEND_H

#include "codegen/backend.h"

#define SYNO_BACKEND(name, tol, summary) SYNO_BACKEND_DECLARE(name)
#include "interp/backends.def"
#undef SYNO_BACKEND

extern const syno_backend syno_backends[];
extern const int syno_nbackends;

/* The backend called NAME, or NULL. */
const syno_backend *syno_backend_find(const char *name);

#endif
