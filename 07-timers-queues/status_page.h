/* status_page.h -- port_monitor's HTML page: a tiny template language and the
 * escaping that keeps host names from turning into markup.
 *
 * The lecture renders its page with jinja2:  tmpl.render(hosts=hosts.values())
 * Here a template is HTML with placeholders, and one repeated section:
 *
 *     <p>{{up}} of {{total}} hosts up at {{updated}}</p>
 *     <table>{{#hosts}}<tr class="{{state}}"><td>{{name}}</td>...</tr>{{/hosts}}</table>
 *
 *   anywhere:            {{updated}} {{updated_iso}} {{up}} {{down}} {{total}}
 *                        {{overall}} ("up" when every host is up, else "down")
 *                        {{interval}} (whole seconds, at least 1) {{round}}
 *   inside {{#hosts}}:   {{name}} {{host}} {{port}} {{address}} ("host:port", "[::1]:port")
 *                        {{state}} ("up" or "down") {{detail}} (how the probe went)
 *                        {{last_online}} {{state_change}} ("2026-11-21 06:45:22", or
 *                        "never") and the same as {{last_online_iso}} and
 *                        {{state_change_iso}} (ISO 8601 with milliseconds, for
 *                        <time datetime="...">; empty for never)
 *
 * The section repeats once per host; sections do not nest. Every value is
 * HTML-escaped (& < > " '), so a host named <script> shows as text. A placeholder
 * that is not in this list, an unclosed {{, or a section left open is an error,
 * reported with its line number: a typo is found at start-up, not on the page.
 * Times are local time (localtime_r: call tzset() before starting threads).
 *
 * Costs: rendering is one pass over the template per host for the section, into a
 * buffer that doubles as it grows: linear in the size of the page.
 */
#ifndef STATUS_PAGE_H
#define STATUS_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* One host as the page shows it. Times are CLOCK_REALTIME; tv_sec 0 means never. */
struct host_status {
    const char *name;
    const char *host;
    const char *port;
    bool online;
    struct timespec last_online;
    struct timespec state_change;
    const char *detail;
};

struct page_data {
    const struct host_status *hosts;
    size_t count;
    struct timespec updated; /* CLOCK_REALTIME */
    double interval;         /* seconds between rounds */
    long round;
};

/* The page used without -t: a table, green and red states, times. */
extern const char page_builtin_template[];

/* Render TEMPLATE with DATA. Returns the page (malloc'd, NUL-terminated; free it),
 * or NULL with "line N: reason" in ERROR when the template is wrong ("out of
 * memory" when that is why). */
char *page_render(const char *template, const struct page_data *data, char *error,
                  size_t error_size);

/* Check TEMPLATE without data: 0, or -1 with the reason in ERROR as above. */
int page_check(const char *template, char *error, size_t error_size);

/* Write TEXT escaped for HTML into OUT (at most SIZE bytes, NUL-terminated when
 * SIZE > 0), like snprintf. Returns the length of the whole escaped text. */
size_t html_escape(const char *text, char *out, size_t size);

#endif
