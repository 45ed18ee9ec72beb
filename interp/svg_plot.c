/* svg_plot.c - scatter plots as inline SVG (see svg_plot.h).
 *
 * The data range of each axis (points, bars, the polyline, the reference)
 * is widened by 5% on each side and rounded out to "nice" ticks (1, 2 or 5
 * times a power of ten, about six of them); a range of one value is
 * widened around it.  Coordinates are written with at most two decimals. */
#include "interp/svg_plot.h"

#include "base/html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { W = 640, H = 400, LEFT = 72, RIGHT = 16, TOP = 14, BOTTOM = 64 };

/* Values beyond +-1e100 (infinities included) are drawn at +-1e100: the
 * arithmetic of the axes stays finite whatever a store holds. */
static double clamp(double v)
{
    return v > 1e100 ? 1e100 : v < -1e100 ? -1e100 : v;
}

/* Starts a plot (see svg_plot.h). */
void syno_plot_init(syno_plot *p, const char *id, const char *title, const char *xlabel, const char *ylabel)
{
    memset(p, 0, sizeof *p);
    p->id = id;
    p->title = title;
    p->xlabel = xlabel;
    p->ylabel = ylabel;
}

/* Frees what P owns. */
void syno_plot_fini(syno_plot *p)
{
    for (int i = 0; i < p->npts; i++) {
        free(p->pts[i].tip);
        free(p->pts[i].link);
    }
    for (int i = 0; i < p->ncats; i++) free(p->cats[i]);
    free(p->cats);
    free(p->pts);
    free(p->lx);
    free(p->ly);
    free(p->fail_x);
    free(p->ref_label);
    memset(p, 0, sizeof *p);
}

/* Adds a point (see svg_plot.h). */
syno_plot_point *syno_plot_add(syno_plot *p, double x, double y, syno_plot_kind kind, const char *tip,
                               const char *link)
{
    if (isnan(x) || isnan(y)) return NULL;
    if (p->npts == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->pts = syno_xrealloc(p->pts, (size_t)p->cap * sizeof *p->pts);
    }
    syno_plot_point *q = &p->pts[p->npts++];
    *q = (syno_plot_point){clamp(x), clamp(y), NAN, NAN, kind, tip ? syno_xstrdup(tip) : NULL, link ? syno_xstrdup(link) : NULL};
    return q;
}

/* Extends the polyline (see svg_plot.h). */
void syno_plot_line_to(syno_plot *p, double x, double y)
{
    if (isnan(x) || isnan(y)) return;
    if (p->nline == p->capline) {
        p->capline = p->capline ? 2 * p->capline : 16;
        p->lx = syno_xrealloc(p->lx, (size_t)p->capline * sizeof *p->lx);
        p->ly = syno_xrealloc(p->ly, (size_t)p->capline * sizeof *p->ly);
    }
    p->lx[p->nline] = clamp(x);
    p->ly[p->nline++] = clamp(y);
}

/* Marks the reference point (see svg_plot.h). */
void syno_plot_ref(syno_plot *p, double x, double y, const char *label)
{
    if (isnan(x) || isnan(y)) return;
    p->have_ref = true;
    p->ref_x = clamp(x);
    p->ref_y = clamp(y);
    free(p->ref_label);
    p->ref_label = syno_xstrdup(label ? label : "");
}

/* Marks a failed candidate (see svg_plot.h). */
void syno_plot_fail(syno_plot *p, double x)
{
    if (isnan(x)) return;
    p->fail_x = syno_xrealloc(p->fail_x, (size_t)(p->nfail + 1) * sizeof *p->fail_x);
    p->fail_x[p->nfail++] = clamp(x);
}

/* Makes the x axis categorical (see svg_plot.h). */
void syno_plot_categories(syno_plot *p, const char *const *names, int n)
{
    for (int i = 0; i < p->ncats; i++) free(p->cats[i]);
    free(p->cats);
    p->cats = syno_xcalloc((size_t)(n > 0 ? n : 1), sizeof *p->cats);
    for (int i = 0; i < n; i++) p->cats[i] = syno_xstrdup(names[i] ? names[i] : "");
    p->ncats = n;
}

/* The number of data points (see svg_plot.h). */
int syno_plot_count(const syno_plot *p)
{
    int n = 0;
    for (int i = 0; i < p->npts; i++) n += p->pts[i].kind != SYNO_PLOT_MEAN;
    return n;
}

/* An axis: its range and ticks. */
typedef struct axis {
    double lo, hi, step;
    bool seen;
} axis;

static void see(axis *a, double v)
{
    if (!isfinite(v)) return;
    v = clamp(v); /* a bar's ends are not clamped when set */
    if (!a->seen) a->lo = a->hi = v, a->seen = true;
    if (v < a->lo) a->lo = v;
    if (v > a->hi) a->hi = v;
}

/* Widens A's data range and rounds it out to nice ticks. */
static void nice(axis *a)
{
    if (!a->seen) a->lo = 0, a->hi = 1;
    double span = a->hi - a->lo;
    if (!(span > 1e-12 * fmax(fabs(a->lo), fabs(a->hi))) || span <= 0) {
        double w = fabs(a->lo) > 0 ? fabs(a->lo) * 0.1 : 0.5;
        a->lo -= w;
        a->hi += w;
        span = a->hi - a->lo;
    }
    a->lo -= 0.05 * span;
    a->hi += 0.05 * span;
    double raw = (a->hi - a->lo) / 6, mag = pow(10, floor(log10(raw))), f = raw / mag;
    a->step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    a->lo = floor(a->lo / a->step) * a->step;
    a->hi = ceil(a->hi / a->step) * a->step;
}

/* A tick's label: as many decimals as the step needs. */
static void tick_label(double v, double step, syno_buf *out)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 12) dec = 12;
    if (fabs(v) < step * 1e-9) v = 0;
    if (fabs(v) >= 1e6 || (fabs(v) > 0 && fabs(v) < 1e-4)) syno_buf_printf(out, "%.3g", v);
    else syno_buf_printf(out, "%.*f", dec, v);
}

typedef struct frame {
    axis x, y;
} frame;

static double px(const frame *f, double x)
{
    return LEFT + (x - f->x.lo) / (f->x.hi - f->x.lo) * (W - LEFT - RIGHT);
}

static double py(const frame *f, double y)
{
    return H - BOTTOM - (y - f->y.lo) / (f->y.hi - f->y.lo) * (H - TOP - BOTTOM);
}

static void xy(syno_buf *out, const frame *f, double x, double y)
{
    syno_html_coord(out, px(f, x));
    syno_buf_putc(out, ',');
    syno_html_coord(out, py(f, y));
}

static void attr_num(syno_buf *out, const char *name, double v)
{
    syno_buf_printf(out, " %s=\"", name);
    syno_html_coord(out, v);
    syno_buf_putc(out, '"');
}

/* The axes: frame, grid, ticks and their labels, the axis labels. */
static void axes(const syno_plot *p, const frame *f, syno_buf *out)
{
    double x0 = LEFT, x1 = W - RIGHT, y0 = H - BOTTOM, y1 = TOP;
    syno_buf_puts(out, "<g class=\"grid\">");
    int nx = p->ncats ? p->ncats : (int)llround((f->x.hi - f->x.lo) / f->x.step) + 1;
    for (int i = 0; i < nx && i < 1000; i++) {
        double v = p->ncats ? i : f->x.lo + i * f->x.step;
        syno_buf_puts(out, "<line");
        attr_num(out, "x1", px(f, v));
        attr_num(out, "x2", px(f, v));
        attr_num(out, "y1", y0);
        attr_num(out, "y2", y1);
        syno_buf_puts(out, "/>");
    }
    int ny = (int)llround((f->y.hi - f->y.lo) / f->y.step) + 1;
    for (int i = 0; i < ny && i < 1000; i++) {
        double v = f->y.lo + i * f->y.step;
        syno_buf_puts(out, "<line");
        attr_num(out, "x1", x0);
        attr_num(out, "x2", x1);
        attr_num(out, "y1", py(f, v));
        attr_num(out, "y2", py(f, v));
        syno_buf_puts(out, "/>");
    }
    syno_buf_puts(out, "</g>\n<g class=\"axis\">");
    syno_buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\"/>", LEFT, TOP, W - LEFT - RIGHT,
                    H - TOP - BOTTOM);
    bool slant = p->ncats > 8;
    for (int i = 0; i < nx && i < 1000; i++) {
        double v = p->ncats ? i : f->x.lo + i * f->x.step;
        syno_buf_puts(out, "<text");
        attr_num(out, "x", px(f, v));
        attr_num(out, "y", y0 + 16);
        if (slant) {
            syno_buf_puts(out, " text-anchor=\"end\" transform=\"rotate(-30 ");
            xy(out, f, v, f->y.lo);
            syno_buf_puts(out, ")\"");
        } else {
            syno_buf_puts(out, " text-anchor=\"middle\"");
        }
        syno_buf_putc(out, '>');
        if (p->ncats) {
            syno_html_textn(out, p->cats[i], strlen(p->cats[i]) > 16 ? 16 : strlen(p->cats[i]));
        } else {
            syno_buf t = SYNO_BUF_INIT;
            tick_label(v, f->x.step, &t);
            syno_html_text(out, syno_buf_str(&t));
            syno_buf_fini(&t);
        }
        syno_buf_puts(out, "</text>");
    }
    for (int i = 0; i < ny && i < 1000; i++) {
        double v = f->y.lo + i * f->y.step;
        syno_buf t = SYNO_BUF_INIT;
        tick_label(v, f->y.step, &t);
        syno_buf_puts(out, "<text text-anchor=\"end\"");
        attr_num(out, "x", x0 - 6);
        attr_num(out, "y", py(f, v) + 4);
        syno_buf_putc(out, '>');
        syno_html_text(out, syno_buf_str(&t));
        syno_buf_puts(out, "</text>");
        syno_buf_fini(&t);
    }
    syno_buf_printf(out, "<text class=\"label\" text-anchor=\"middle\" x=\"%d\" y=\"%d\">", (LEFT + W - RIGHT) / 2,
                    H - 8);
    syno_html_text(out, p->xlabel);
    syno_buf_printf(out, "</text><text class=\"label\" text-anchor=\"middle\" transform=\"translate(16 %d) rotate(-90)\">",
                    (TOP + H - BOTTOM) / 2);
    syno_html_text(out, p->ylabel);
    syno_buf_puts(out, "</text></g>\n");
}

static void tip(syno_buf *out, const char *text)
{
    if (!text) return;
    syno_buf_puts(out, "<title>");
    syno_html_text(out, text);
    syno_buf_puts(out, "</title>");
}

/* The points: bars first, then means, then circles, front ones last (on top). */
static void points(const syno_plot *p, const frame *f, syno_buf *out)
{
    syno_buf_puts(out, "<g class=\"bars\">");
    for (int i = 0; i < p->npts; i++) {
        const syno_plot_point *q = &p->pts[i];
        if (!isfinite(q->lo) || !isfinite(q->hi)) continue;
        syno_buf_puts(out, "<line class=\"bar\"");
        attr_num(out, "x1", px(f, q->x));
        attr_num(out, "x2", px(f, q->x));
        attr_num(out, "y1", py(f, clamp(q->lo)));
        attr_num(out, "y2", py(f, clamp(q->hi)));
        syno_buf_puts(out, "/>");
    }
    syno_buf_puts(out, "</g>\n");
    for (int pass = 0; pass < 3; pass++) {
        syno_plot_kind want = pass == 0 ? SYNO_PLOT_MEAN : pass == 1 ? SYNO_PLOT_POINT : SYNO_PLOT_FRONT;
        for (int i = 0; i < p->npts; i++) {
            const syno_plot_point *q = &p->pts[i];
            if (q->kind != want) continue;
            if (q->link) {
                syno_buf_puts(out, "<a href=\"#");
                syno_html_text(out, q->link);
                syno_buf_puts(out, "\">");
            }
            if (q->kind == SYNO_PLOT_MEAN) {
                syno_buf_puts(out, "<path class=\"mean\" d=\"M");
                syno_html_coord(out, px(f, q->x) - 12);
                syno_buf_putc(out, ',');
                syno_html_coord(out, py(f, q->y));
                syno_buf_puts(out, "h24\">");
                tip(out, q->tip);
                syno_buf_puts(out, "</path>");
            } else {
                syno_buf_printf(out, "<circle class=\"pt%s\"", q->kind == SYNO_PLOT_FRONT ? " front" : "");
                attr_num(out, "cx", px(f, q->x));
                attr_num(out, "cy", py(f, q->y));
                syno_buf_printf(out, " r=\"%d\">", q->kind == SYNO_PLOT_FRONT ? 6 : 4);
                tip(out, q->tip);
                syno_buf_puts(out, "</circle>");
            }
            if (q->link) syno_buf_puts(out, "</a>");
            syno_buf_putc(out, '\n');
        }
    }
}

/* Writes the plot (see svg_plot.h). */
void syno_plot_svg(const syno_plot *p, syno_buf *out)
{
    int n = syno_plot_count(p);
    if (!n && !p->have_ref) {
        syno_buf_puts(out, "<p class=\"note\">No data to plot yet.</p>\n");
        return;
    }
    frame f;
    memset(&f, 0, sizeof f);
    for (int i = 0; i < p->npts; i++) {
        see(&f.x, p->pts[i].x);
        see(&f.y, p->pts[i].y);
        see(&f.y, p->pts[i].lo);
        see(&f.y, p->pts[i].hi);
    }
    for (int i = 0; i < p->nline; i++) see(&f.x, p->lx[i]), see(&f.y, p->ly[i]);
    for (int i = 0; i < p->nfail; i++) see(&f.x, p->fail_x[i]);
    if (p->have_ref) see(&f.x, p->ref_x), see(&f.y, p->ref_y);
    nice(&f.y);
    if (p->ncats) {
        f.x.lo = -0.5;
        f.x.hi = p->ncats - 0.5;
        f.x.step = 1;
    } else {
        nice(&f.x);
    }
    syno_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 %d %d\" role=\"img\" "
                         "aria-labelledby=\"%s-t %s-d\" data-points=\"%d\">\n<title id=\"%s-t\">",
                    W, H, p->id, p->id, n, p->id);
    syno_html_text(out, p->title);
    syno_buf_printf(out, "</title>\n<desc id=\"%s-d\">%d point%s: ", p->id, n, n == 1 ? "" : "s");
    syno_html_text(out, p->ylabel);
    syno_buf_puts(out, " against ");
    syno_html_text(out, p->xlabel);
    if (p->have_ref) {
        syno_buf_puts(out, "; the reference ");
        syno_html_text(out, p->ref_label);
        syno_buf_puts(out, " is marked with a diamond");
    }
    if (p->nfail) syno_buf_printf(out, "; %d failed, marked with a cross under the x axis", p->nfail);
    syno_buf_puts(out, ".</desc>\n");
    axes(p, &f, out);
    if (p->nline > 1) {
        syno_buf_puts(out, "<polyline class=\"line\" fill=\"none\" points=\"");
        for (int i = 0; i < p->nline; i++) {
            if (i) syno_buf_putc(out, ' ');
            xy(out, &f, p->lx[i], p->ly[i]);
        }
        syno_buf_puts(out, "\">");
        tip(out, p->line_label);
        syno_buf_puts(out, "</polyline>\n");
    }
    points(p, &f, out);
    for (int i = 0; i < p->nfail; i++) {
        syno_buf_puts(out, "<path class=\"fail\" d=\"M");
        syno_html_coord(out, px(&f, p->fail_x[i]) - 4);
        syno_buf_putc(out, ',');
        syno_html_coord(out, (double)(H - BOTTOM) - 8);
        syno_buf_puts(out, "l8,8m0,-8l-8,8\"><title>failed</title></path>");
    }
    if (p->have_ref) {
        syno_buf_puts(out, "<path class=\"ref\" d=\"M");
        syno_html_coord(out, px(&f, p->ref_x));
        syno_buf_putc(out, ',');
        syno_html_coord(out, py(&f, p->ref_y) - 8);
        syno_buf_puts(out, "l8,8l-8,8l-8,-8z\">");
        tip(out, p->ref_label);
        syno_buf_puts(out, "</path>");
    }
    syno_buf_puts(out, "</svg>\n");
}
