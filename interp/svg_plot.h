/* svg_plot.h - a scatter plot as inline SVG, written by syno itself (no
 * script, no font or file fetched): labelled axes with ticks, points with
 * a tooltip each (and a link), optional vertical bars (a spread), one
 * polyline (a Pareto front, a best-so-far curve), a marked reference
 * point (the baseline), and marks for failed candidates under the x axis.
 * Colours come from CSS classes (pt, front, mean, bar, line, ref, fail,
 * axis, grid), so the page's light and dark schemes apply.  Used by
 * `syno report`. */
#ifndef SYNO_SVG_PLOT_H
#define SYNO_SVG_PLOT_H

#include "base/buf.h"

typedef enum syno_plot_kind {
    SYNO_PLOT_POINT, /* a data point (a circle of class pt) */
    SYNO_PLOT_FRONT, /* a data point on the front (class "pt front": drawn larger) */
    SYNO_PLOT_MEAN,  /* a mean: a short horizontal tick (class mean), not a data point */
} syno_plot_kind;

typedef struct syno_plot_point {
    double x, y;
    double lo, hi;        /* a vertical bar from LO to HI behind the point (NaN: none) */
    syno_plot_kind kind;
    char *tip;            /* its tooltip (plain text; owned) */
    char *link;           /* the id of an element of the page it links to, or NULL (owned) */
} syno_plot_point;

typedef struct syno_plot {
    const char *id;               /* element id prefix (letters, digits, '-') */
    const char *title, *xlabel, *ylabel; /* plain text; the axis labels give the units */
    syno_plot_point *pts;
    int npts, cap;
    double *lx, *ly;              /* the polyline, in data coordinates */
    int nline, capline;
    const char *line_label;       /* what the polyline is (for its tooltip) */
    bool have_ref;
    double ref_x, ref_y;
    char *ref_label;              /* owned */
    int nfail;                    /* failed candidates */
    double *fail_x;
    char **cats;                  /* category names: x = 0 .. ncats-1 (owned) */
    int ncats;
} syno_plot;

/* Starts plot P (all strings borrowed: they must outlive P's use). */
void syno_plot_init(syno_plot *p, const char *id, const char *title, const char *xlabel, const char *ylabel);
void syno_plot_fini(syno_plot *p);

/* Values: a NaN coordinate leaves the point (line point, reference, mark)
 * out; values beyond +-1e100, infinities included, are drawn at +-1e100. */

/* Adds a point at (X, Y) of KIND with tooltip TIP and link LINK (NULL:
 * none; both copied).  Returns it, for its bar (LO, HI), or NULL when it
 * is left out. */
syno_plot_point *syno_plot_add(syno_plot *p, double x, double y, syno_plot_kind kind, const char *tip,
                               const char *link);
/* Adds (X, Y) to the polyline. */
void syno_plot_line_to(syno_plot *p, double x, double y);
/* Marks the reference point (X, Y) named LABEL (copied). */
void syno_plot_ref(syno_plot *p, double x, double y, const char *label);
/* Marks a failed candidate at X under the x axis. */
void syno_plot_fail(syno_plot *p, double x);
/* Makes the x axis categorical: NAMES[i] (copied) labels x = i. */
void syno_plot_categories(syno_plot *p, const char *const *names, int n);

/* The number of data points (kinds POINT and FRONT): the circles of class
 * pt the SVG holds. */
int syno_plot_count(const syno_plot *p);

/* Appends P as an <svg> element (role img, its title and a description
 * with the number of points, data-points="N") to OUT.  A plot without
 * points and without a reference is a short note instead. */
void syno_plot_svg(const syno_plot *p, syno_buf *out);

#endif
