/* status_page.c -- render port_monitor's page from a template (see status_page.h). */
#include "status_page.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char page_builtin_template[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"refresh\" content=\"{{interval}}\">\n"
    "<title>{{up}}/{{total}} up - port monitor</title>\n"
    "<style>\n"
    "  body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }\n"
    "  h1 { font-size: 1.5em; margin-bottom: .3em; }\n"
    "  .summary { display: inline-block; padding: .4em 1em; border-radius: 4px; color: #fff; }\n"
    "  .summary.up { background: #2e7d32; }\n"
    "  .summary.down { background: #c62828; }\n"
    "  table { border-collapse: collapse; margin-top: 1em; }\n"
    "  th, td { padding: .45em 1em; border-bottom: 1px solid #ddd; text-align: left; }\n"
    "  th { background: #f3f3f3; }\n"
    "  td.state { font-weight: bold; color: #fff; text-align: center; text-transform: uppercase; "
    "}\n"
    "  tr.up td.state { background: #2e7d32; }\n"
    "  tr.down td.state { background: #c62828; }\n"
    "  tr.down { background: #fdecea; }\n"
    "  .address, time { font-family: ui-monospace, monospace; }\n"
    "  .note, .detail { color: #555; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<h1>Port monitor</h1>\n"
    "<p class=\"summary {{overall}}\">{{up}} of {{total}} hosts up</p>\n"
    "<p class=\"note\">Updated <time datetime=\"{{updated_iso}}\">{{updated}}</time>, round "
    "{{round}}. The page reloads every {{interval}} s.</p>\n"
    "<table>\n"
    "<thead><tr><th>Name</th><th>Address</th><th>State</th><th>Last online</th>"
    "<th>Last state change</th><th>Detail</th></tr></thead>\n"
    "<tbody>\n"
    "{{#hosts}}<tr class=\"{{state}}\"><td>{{name}}</td><td class=\"address\">{{address}}</td>"
    "<td class=\"state\">{{state}}</td>"
    "<td><time datetime=\"{{last_online_iso}}\">{{last_online}}</time></td>"
    "<td><time datetime=\"{{state_change_iso}}\">{{state_change}}</time></td>"
    "<td class=\"detail\">{{detail}}</td></tr>\n"
    "{{/hosts}}</tbody>\n"
    "</table>\n"
    "<p class=\"note\">Each host is probed with a TCP connect to its port: an ICMP ping needs a "
    "raw socket, that is root or CAP_NET_RAW.</p>\n"
    "</body>\n"
    "</html>\n";

size_t html_escape(const char *text, char *out, size_t size)
{
    size_t len = 0;
    for (; *text != '\0'; text++) {
        const char *entity = NULL;
        switch (*text) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        case '\'':
            entity = "&#39;";
            break;
        }
        size_t n = entity != NULL ? strlen(entity) : 1;
        for (size_t i = 0; i < n; i++, len++)
            if (len + 1 < size)
                out[len] = entity != NULL ? entity[i] : *text;
    }
    if (size > 0)
        out[len < size ? len : size - 1] = '\0';
    return len;
}

/* --- a growing buffer --------------------------------------------------------------- */

struct buffer {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory: everything after is dropped */
};

static void append(struct buffer *b, const char *text, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (data == NULL) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, text, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Append printf-style text, however long. */
static void append_format(struct buffer *b, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (n < 0 || b->failed) {
        b->failed = true;
        return;
    }
    char small[256], *text = (size_t)n < sizeof small ? small : malloc((size_t)n + 1);
    if (text == NULL) {
        b->failed = true;
        return;
    }
    va_start(args, format);
    vsnprintf(text, (size_t)n + 1, format, args);
    va_end(args);
    append(b, text, (size_t)n);
    if (text != small)
        free(text);
}

static void append_escaped(struct buffer *b, const char *text)
{
    char small[256];
    size_t n = html_escape(text, small, sizeof small);
    if (n < sizeof small) {
        append(b, small, n);
        return;
    }
    char *big = malloc(n + 1);
    if (big == NULL) {
        b->failed = true;
        return;
    }
    html_escape(text, big, n + 1);
    append(b, big, n);
    free(big);
}

/* --- values --------------------------------------------------------------------------- */

/* "2026-11-21 06:45:22" (ISO false) or "2026-11-21T06:45:22.123+0200" (ISO true), in
 * local time; "never" / "" for a zero time. */
static void format_time(struct timespec t, bool iso, struct buffer *out)
{
    struct tm local;
    char date[32], zone[8];
    if (t.tv_sec == 0 || localtime_r(&t.tv_sec, &local) == NULL) {
        append_format(out, "%s", iso ? "" : "never");
    } else if (!iso) {
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &local);
        append_format(out, "%s", date);
    } else {
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
        strftime(zone, sizeof zone, "%z", &local);
        append_format(out, "%s.%03ld%s", date, t.tv_nsec / 1000000, zone);
    }
}

static size_t hosts_up(const struct page_data *d)
{
    size_t up = 0;
    for (size_t i = 0; i < d->count; i++)
        up += d->hosts[i].online;
    return up;
}

/* The value of placeholder NAME (LEN bytes), appended to OUT whole, however long (the
 * fuzzer found host names cut at 511 bytes when this was a fixed buffer). HOST is NULL
 * outside the section. Returns 0, -1 for an unknown name, -2 for a host name outside
 * the section. */
static int lookup(const char *name, size_t len, const struct page_data *d,
                  const struct host_status *host, struct buffer *out)
{
#define IS(word) (len == sizeof(word) - 1 && memcmp(name, word, len) == 0)
    size_t up = hosts_up(d);
    if (IS("updated") || IS("updated_iso"))
        format_time(d->updated, IS("updated_iso"), out);
    else if (IS("up"))
        append_format(out, "%zu", up);
    else if (IS("down"))
        append_format(out, "%zu", d->count - up);
    else if (IS("total"))
        append_format(out, "%zu", d->count);
    else if (IS("overall"))
        append_format(out, "%s", d->count > 0 && up == d->count ? "up" : "down");
    else if (IS("interval"))
        append_format(out, "%.0f", d->interval >= 1 ? d->interval : 1.0);
    else if (IS("round"))
        append_format(out, "%ld", d->round);
    else if (!(IS("name") || IS("host") || IS("port") || IS("address") || IS("state") ||
               IS("detail") || IS("last_online") || IS("last_online_iso") || IS("state_change") ||
               IS("state_change_iso")))
        return -1;
    else if (host == NULL)
        return -2;
    else if (IS("name"))
        append_format(out, "%s", host->name);
    else if (IS("host"))
        append_format(out, "%s", host->host);
    else if (IS("port"))
        append_format(out, "%s", host->port);
    else if (IS("address")) /* an IPv6 address gets brackets: [::1]:80 */
        append_format(out, strchr(host->host, ':') ? "[%s]:%s" : "%s:%s", host->host, host->port);
    else if (IS("state"))
        append_format(out, "%s", host->online ? "up" : "down");
    else if (IS("detail"))
        append_format(out, "%s", host->detail != NULL ? host->detail : "");
    else if (IS("last_online") || IS("last_online_iso"))
        format_time(host->last_online, IS("last_online_iso"), out);
    else
        format_time(host->state_change, IS("state_change_iso"), out);
    return 0;
#undef IS
}

/* --- the template ------------------------------------------------------------------------ */

struct renderer {
    const char *template; /* for line numbers */
    const struct page_data *data;
    char *error;
    size_t error_size;
};

static int line_of(const struct renderer *r, const char *at)
{
    int line = 1;
    for (const char *p = r->template; p < at; p++)
        line += *p == '\n';
    return line;
}

static int fail(const struct renderer *r, const char *at, const char *what, size_t len)
{
    snprintf(r->error, r->error_size, "line %d: %s%.*s%s", line_of(r, at), what, (int)len, at,
             len > 0 ? "'" : "");
    return -1;
}

#define OPEN_SECTION  "{{#hosts}}"
#define CLOSE_SECTION "{{/hosts}}"

/* Render [START, END) into OUT, with HOST for the section's placeholders (NULL at
 * the top level). Returns 0 or -1 (ERROR written). */
static int render(const struct renderer *r, const char *start, const char *end,
                  const struct host_status *host, struct buffer *out)
{
    const char *p = start;
    while (p < end) {
        const char *open = strstr(p, "{{");
        if (open == NULL || open >= end) {
            append(out, p, (size_t)(end - p));
            break;
        }
        append(out, p, (size_t)(open - p));
        const char *close = strstr(open, "}}");
        if (close == NULL || close + 2 > end)
            return fail(r, open, "'{{' without '}}'", 0);
        size_t tag_len = (size_t)(close + 2 - open);

        if (tag_len == strlen(OPEN_SECTION) && memcmp(open, OPEN_SECTION, tag_len) == 0) {
            if (host != NULL)
                return fail(r, open, "sections do not nest: '", tag_len);
            const char *body = close + 2, *stop = strstr(body, CLOSE_SECTION);
            const char *again = strstr(body, OPEN_SECTION);
            if (stop == NULL || stop >= end)
                return fail(r, open, "section not closed with {{/hosts}}: '", tag_len);
            if (again != NULL && again < stop)
                return fail(r, again, "sections do not nest: '", tag_len);
            const struct page_data *d = r->data;
            for (size_t i = 0; i < d->count; i++)
                if (render(r, body, stop, &d->hosts[i], out) < 0)
                    return -1;
            if (d->count == 0) { /* nothing to show, but the body must still be right */
                struct host_status none = {.name = "", .host = "", .port = ""};
                struct buffer scratch = {0};
                int rc = render(r, body, stop, &none, &scratch);
                free(scratch.data);
                if (rc < 0)
                    return -1;
            }
            p = stop + strlen(CLOSE_SECTION);
            continue;
        }
        if (tag_len == strlen(CLOSE_SECTION) && memcmp(open, CLOSE_SECTION, tag_len) == 0)
            return fail(r, open, "{{/hosts}} without {{#hosts}}: '", tag_len);

        struct buffer value = {0};
        append(&value, "", 0);
        int found = lookup(open + 2, tag_len - 4, r->data, host, &value);
        if (found == 0 && value.failed)
            out->failed = true;
        else if (found == 0)
            append_escaped(out, value.data);
        free(value.data);
        if (found == -1)
            return fail(r, open, "unknown placeholder '", tag_len);
        if (found == -2)
            return fail(r, open, "only known inside {{#hosts}}...{{/hosts}}: '", tag_len);
        p = close + 2;
    }
    return 0;
}

char *page_render(const char *template, const struct page_data *data, char *error,
                  size_t error_size)
{
    struct renderer r = {template, data, error, error_size};
    struct buffer out = {0};
    append(&out, "", 0);
    if (render(&r, template, template + strlen(template), NULL, &out) < 0) {
        free(out.data);
        return NULL;
    }
    if (out.failed) {
        snprintf(error, error_size, "out of memory");
        free(out.data);
        return NULL;
    }
    return out.data;
}

int page_check(const char *template, char *error, size_t error_size)
{
    struct page_data empty = {0};
    char *page = page_render(template, &empty, error, error_size);
    free(page);
    return page != NULL ? 0 : -1;
}
