/* t_html.c - base/html.h: escaping of markup, quotes, control characters
 * and malformed UTF-8 (overlong forms, surrogates, code points past
 * U+10FFFF, truncated sequences, C1 controls, U+FFFE), links that can be
 * nothing but paths, and coordinates; and interp/svg_plot.h on degenerate
 * and absurd data (one value, NaN, infinities, 1e308). */
#include "interp/svg_plot.h"
#include "base/html.h"
#include "tests/tap.h"

#include <math.h>
#include <string.h>

#define R "\xef\xbf\xbd" /* U+FFFD */

static void text(const char *in, size_t n, const char *want, const char *what)
{
    syno_buf b = SYNO_BUF_INIT;
    syno_html_textn(&b, in, n);
    is_str(syno_buf_str(&b), want, "text: %s", what);
    syno_buf_fini(&b);
}

static void href(const char *in, const char *want)
{
    syno_buf b = SYNO_BUF_INIT;
    syno_html_href(&b, in);
    is_str(syno_buf_str(&b), want, "href of '%s'", in);
    syno_buf_fini(&b);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

int main(void)
{
#define T(s, want, what) text(s, sizeof(s) - 1, want, what)
    T("a<b>&\"'c", "a&lt;b&gt;&amp;&quot;&#39;c", "markup and quotes");
    T("tab\tnl\ncr\r", "tab\tnl\ncr\r", "tab, newline and carriage return kept");
    T("x\x01y\x7fz\x1b", "x" R "y" R "z" R, "control characters");
    T("caf\xc3\xa9 \xe2\x8c\x8a k/2 \xe2\x8c\x8b \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x8c\x8a k/2 \xe2\x8c\x8b \xf0\x9f\x98\x80",
      "well-formed UTF-8 kept (2, 3 and 4 bytes)");
    T("\xc0\xaf", R R, "overlong '/'");
    T("\xe0\x80\xaf", R R R, "overlong 3-byte form");
    T("\xed\xa0\x80", R R R, "a UTF-16 surrogate");
    T("\xf4\x90\x80\x80", R R R R, "past U+10FFFF");
    T("\xe2\x8c", R R, "a truncated sequence at the end");
    T("\xe2(", R "(", "a truncated sequence before ASCII");
    T("\xc2\x85", R, "a C1 control (NEL)");
    T("\xef\xbf\xbe", R R R, "U+FFFE, not a character");
    T("a\0b", "a" R "b", "a NUL byte");
    syno_buf b = SYNO_BUF_INIT;
    syno_html_text(&b, NULL);
    ok(b.len == 0, "text: NULL writes nothing");
    syno_buf_fini(&b);

    href("ops/op_12345678.syno", "ops/op_12345678.syno");
    href("../a b/c.syno", "../a%20b/c.syno");
    href("javascript:alert(1)", "javascript%3Aalert%281%29");
    href("/tmp/x\"><script>", "file:///tmp/x%22%3E%3Cscript%3E");
    href("data:text/html,x", "data%3Atext/html%2Cx");
    href("caf\xc3\xa9", "caf%C3%A9");

    syno_html_coord(&b, 12.345);
    syno_buf_putc(&b, ' ');
    syno_html_coord(&b, -0.001);
    syno_buf_putc(&b, ' ');
    syno_html_coord(&b, 3);
    is_str(syno_buf_str(&b), "12.35 0 3", "coordinates: two decimals at most, no -0, no trailing zeros");
    syno_buf_fini(&b);

    /* plots */
    syno_plot p;
    syno_plot_init(&p, "t", "T", "x (units)", "y (units)");
    syno_plot_add(&p, 1, 1, SYNO_PLOT_POINT, "one value", NULL);
    syno_plot_add(&p, 1, 1, SYNO_PLOT_FRONT, "the same", "op-1");
    ok(syno_plot_add(&p, NAN, 1, SYNO_PLOT_POINT, NULL, NULL) == NULL, "a NaN point is left out");
    syno_plot_add(&p, INFINITY, -INFINITY, SYNO_PLOT_POINT, "<x>", NULL);
    syno_plot_add(&p, 1e308, -1e308, SYNO_PLOT_POINT, NULL, NULL);
    syno_plot_point *m = syno_plot_add(&p, 0, 0, SYNO_PLOT_MEAN, NULL, NULL);
    m->lo = -INFINITY, m->hi = NAN;
    syno_plot_line_to(&p, 1, NAN);
    syno_plot_line_to(&p, 0, 0);
    syno_plot_line_to(&p, 1e308, 1e308);
    syno_plot_ref(&p, NAN, 0, "left out");
    syno_plot_fail(&p, -INFINITY);
    is_int(syno_plot_count(&p), 4, "four data points (a mean is not one; NaN left out)");
    syno_plot_svg(&p, &b);
    const char *s = syno_buf_str(&b);
    ok(!strstr(s, "nan") && !strstr(s, "inf") && !strstr(s, "NaN"), "no NaN or infinity in the SVG");
    is_int(count(s, "<circle class=\"pt"), 4, "four circles");
    ok(strstr(s, "data-points=\"4\"") && strstr(s, "&lt;x&gt;") && strstr(s, "<a href=\"#op-1\">"),
       "data-points, escaped tooltips, links");
    ok(!strstr(s, "class=\"ref\""), "a NaN reference is left out");
    syno_buf_fini(&b);
    syno_plot_fini(&p);

    syno_plot_init(&p, "e", "E", "x", "y");
    syno_plot_svg(&p, &b);
    ok(strstr(syno_buf_str(&b), "No data to plot") != NULL && !strstr(syno_buf_str(&b), "<svg"),
       "a plot without data is a note");
    syno_buf_fini(&b);
    const char *cats[] = {"baseline", "<x>"};
    syno_plot_categories(&p, cats, 2);
    syno_plot_add(&p, 0, 0.5, SYNO_PLOT_POINT, NULL, NULL);
    syno_plot_add(&p, 1, 0.5, SYNO_PLOT_POINT, NULL, NULL);
    syno_plot_svg(&p, &b);
    ok(strstr(syno_buf_str(&b), ">&lt;x&gt;</text>") != NULL, "category names label the x axis, escaped");
    syno_buf_fini(&b);
    syno_plot_fini(&p);
    return tap_done();
}
