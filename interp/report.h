/* report.h - `syno report`: the results store of a search as one
 * self-contained HTML page (inline SVG plots, no fetched files, a few
 * lines of optional script).  The pieces, one job each:
 *   report_data.c   reads the store into a syno_report;
 *   report_plots.c  the plots (interp/svg_plot.h);
 *   report_table.c  the table of every candidate;
 *   report_ops.c    a section per operator: explain, canonical text,
 *                   path, graph (Graphviz's dot, when installed);
 *   report_page.c   the page around them: head, style, header, script;
 *   cmd_report.c    the command (options, output, --refresh).
 * Everything that comes from the store or a .syno file goes through
 * base/html.h. */
#ifndef SYNO_REPORT_H
#define SYNO_REPORT_H

#include "search/search_run.h"

#define SYNO_REPORT_MAX_SEEDS 16 /* confirmation runs kept per candidate (the spec allows 16 seeds) */

/* One candidate, its strings owned. */
typedef struct syno_report_row {
    syno_record r;
    int rank;                                /* 1 = best reward; failed ones last */
    int nseeds;                              /* confirmation runs */
    uint64_t seed[SYNO_REPORT_MAX_SEEDS];
    double seed_acc[SYNO_REPORT_MAX_SEEDS];  /* NaN: that run failed */
    bool section;                            /* it has a section of its own */
} syno_report_row;

typedef struct syno_report {
    const char *db;                  /* the store's path (borrowed) */
    char *spec_name, *spec_file, *spec_text, *algorithm, *seed, *baseline, *version;
    int64_t iterations;              /* the budget (-1 unknown) */
    double ref[SYNO_REF_COUNT];      /* the baseline's values (NaN unknown) */
    bool have_ref;
    syno_run_info run;
    syno_report_row *rows;           /* by rank */
    int nrows, nok, nfailed, nconfirmed;
    int nbase;                       /* the baseline's confirmation runs */
    uint64_t base_seed[SYNO_REPORT_MAX_SEEDS];
    double base_acc[SYNO_REPORT_MAX_SEEDS];
    bool any_accuracy, any_latency;  /* some successful candidate has it */
    double first, last;              /* when the first evaluation started and the last ended (NaN: none) */
    double eval_seconds;             /* the evaluations' time, summed */
} syno_report;

/* What the page should hold, and where it goes. */
typedef struct syno_report_opts {
    const char *out_dir;  /* the page's directory: links to result files are relative to it */
    int operators;        /* sections for at most this many of the best candidates (and every confirmed one) */
    int refresh;          /* seconds between reloads (0: the page does not reload itself) */
    double dot_timeout;   /* seconds Graphviz may take per graph */
    double now;           /* when the page is made (seconds since the epoch) */
} syno_report_opts;

/* Reads the store at DB into *REP (DB borrowed).  False with the reason in
 * ERR when it cannot be opened or is not a results store. */
bool syno_report_load(syno_report *rep, const char *db, int operators, syno_buf *err);
void syno_report_free(syno_report *rep);

/* The tooltip text of ROW: hash, metrics against the baseline. */
void syno_report_row_summary(const syno_report *rep, const syno_report_row *row, syno_buf *out);

/* The plots, each in a <figure> with its caption. */
void syno_report_plots(const syno_report *rep, syno_buf *out);
/* The table of every candidate. */
void syno_report_table(const syno_report *rep, const syno_report_opts *o, syno_buf *out);
/* A link to result file FILE, relative to the page's directory, showing
 * its name (SHORT_NAME) or its path; the path as text with a note when
 * the file is missing. */
void syno_report_file_link(const syno_report_opts *o, const char *file, bool short_name, syno_buf *out);
/* The sections of the operators marked SECTION. */
void syno_report_ops(const syno_report *rep, const syno_report_opts *o, syno_buf *out);
/* The whole page. */
void syno_report_page(const syno_report *rep, const syno_report_opts *o, syno_buf *out);

#endif
