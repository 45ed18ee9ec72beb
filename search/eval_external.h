/* eval_external.h - `syno search --evaluator CMD`: a user's command as the
 * accuracy evaluator of the search (train/external.h says how the command
 * is run and what it must print); and `--backend`, where proxy training,
 * the accuracy evaluator without a command, runs. */
#ifndef SYNO_EVAL_EXTERNAL_H
#define SYNO_EVAL_EXTERNAL_H

#include "base/buf.h"

/* Makes the command template TEMPL (borrowed: it must outlive the search)
 * the accuracy evaluator, each run limited to TIMEOUT seconds (0: none).
 * False with the problem in ERR when the template is malformed. */
bool syno_search_use_evaluator(const char *templ, double timeout, syno_buf *err);

/* Makes proxy training, the accuracy evaluator without --evaluator
 * (search/eval_accuracy.c), run on backend NAME (borrowed; "auto" or a
 * name syno_slot_backend_check accepts). */
void syno_search_set_backend(const char *name);

#endif
