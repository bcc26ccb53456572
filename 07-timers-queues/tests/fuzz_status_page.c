/* fuzz_status_page.c -- a libFuzzer harness for the status page (status_page.h): its
 * HTML escaping, the values it puts into a page, and its template parser.
 *
 * `make fuzz` builds it with clang's libFuzzer and runs it; `make test` links it with
 * fuzz_replay.c instead and replays tests/corpus/status_page/.
 *
 * The first byte of the input chooses what the rest is:
 *   0  a text for html_escape(): the output holds none of < > " ' and every & starts
 *      one of the five entities; decoding it gives the text back; the length returned
 *      is the full escaped length whatever the buffer, and a short buffer gets a
 *      NUL-terminated prefix of the full output, never a byte past its end;
 *   1  host names, addresses, ports and details (fields separated by 0x01) rendered
 *      into a page: every value appears exactly as html_escape() of itself (compared
 *      with an escaper written here), whatever its length, so no markup can get
 *      through a host name;
 *   2  a template: page_render() either returns a page or NULL with "line N: ..." (N
 *      a line of the template); page_check() agrees; and a host named <script> never
 *      shows up raw, unless the template itself says <script.
 */
#include "../status_page.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(condition)                                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "fuzz_status_page: %s:%d: property broken: %s\n", __FILE__, __LINE__,  \
                    #condition);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The escaping as the header documents it, written again here: the reference. */
static char *reference_escape(const char *text)
{
    char *out = malloc(strlen(text) * 6 + 1), *o = out;
    CHECK(out != NULL);
    for (; *text != '\0'; text++) {
        const char *entity = *text == '&'    ? "&amp;"
                             : *text == '<'  ? "&lt;"
                             : *text == '>'  ? "&gt;"
                             : *text == '"'  ? "&quot;"
                             : *text == '\'' ? "&#39;"
                                             : NULL;
        if (entity != NULL) {
            strcpy(o, entity);
            o += strlen(entity);
        } else {
            *o++ = *text;
        }
    }
    *o = '\0';
    return out;
}

/* TEXT (LEN bytes) as a NUL-terminated string, cut at its first NUL. */
static char *string_of(const uint8_t *text, size_t len)
{
    char *s = malloc(len + 1);
    CHECK(s != NULL);
    memcpy(s, text, len);
    s[len] = '\0';
    return s;
}

/* Mode 0: html_escape() itself. */
static void check_escape(const char *text)
{
    size_t full = html_escape(text, NULL, 0);
    char *out = malloc(full + 1);
    CHECK(out != NULL);
    CHECK(html_escape(text, out, full + 1) == full);
    CHECK(strlen(out) == full);
    CHECK(strpbrk(out, "<>\"'") == NULL);
    /* Decode: every & starts an entity, and the entities give the text back. */
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    static const char plain[] = "&<>\"'";
    const char *t = text;
    for (const char *p = out; *p != '\0'; t++) {
        if (*p != '&') {
            CHECK(*t == *p);
            p++;
            continue;
        }
        size_t e = 0;
        while (e < 5 && strncmp(p, entities[e], strlen(entities[e])) != 0)
            e++;
        CHECK(e < 5);
        CHECK(*t == plain[e]);
        p += strlen(entities[e]);
    }
    CHECK(*t == '\0');
    char *reference = reference_escape(text);
    CHECK(strcmp(out, reference) == 0);
    free(reference);
    /* Short buffers, of exactly their size: a NUL-terminated prefix, the same length
     * returned. */
    size_t sizes[] = {1, 2, 3, 5, 7, full / 2 + 1, full, full + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        if (n == 0) { /* nothing may be written: NULL would crash if it were */
            CHECK(html_escape(text, NULL, 0) == full);
            continue;
        }
        char *small = malloc(n);
        CHECK(small != NULL);
        CHECK(html_escape(text, small, n) == full);
        size_t kept = n - 1 < full ? n - 1 : full;
        CHECK(small[kept] == '\0');
        CHECK(memcmp(small, out, kept) == 0);
        free(small);
    }
    free(out);
}

/* Mode 1: values from the input, rendered into a page field by field. */
static void check_values(const char *text)
{
    enum { HOSTS = 3, FIELDS = 4 };
    char *copy = strdup(text), *fields[HOSTS][FIELDS];
    CHECK(copy != NULL);
    char *p = copy;
    for (int h = 0; h < HOSTS; h++)
        for (int f = 0; f < FIELDS; f++) {
            fields[h][f] = p;
            p += strcspn(p, "\x01\x02");
            if (*p != '\0')
                *p++ = '\0';
        }
    struct host_status hosts[HOSTS];
    for (int h = 0; h < HOSTS; h++)
        hosts[h] = (struct host_status){.name = fields[h][0],
                                        .host = fields[h][1],
                                        .port = fields[h][2],
                                        .detail = fields[h][3],
                                        .online = h % 2 == 0};
    struct page_data data = {.hosts = hosts, .count = HOSTS, .interval = 20, .round = 1};
    char error[256];
    char *page = page_render("<table>\n{{#hosts}}{{name}}\x01{{host}}\x01{{port}}\x01{{detail}}"
                             "\x01{{address}}\x01{{state}}\x02{{/hosts}}</table>\n",
                             &data, error, sizeof error);
    CHECK(page != NULL);
    CHECK(strncmp(page, "<table>\n", 8) == 0);
    char *row = page + 8;
    for (int h = 0; h < HOSTS; h++) {
        size_t address_size = strlen(hosts[h].host) + strlen(hosts[h].port) + 4;
        char *address = malloc(address_size);
        CHECK(address != NULL);
        snprintf(address, address_size, strchr(hosts[h].host, ':') ? "[%s]:%s" : "%s:%s",
                 hosts[h].host, hosts[h].port);
        const char *values[] = {hosts[h].name,   hosts[h].host, hosts[h].port,
                                hosts[h].detail, address,       h % 2 == 0 ? "up" : "down"};
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            char *expected = reference_escape(values[v]);
            size_t n = strlen(expected);
            CHECK(strncmp(row, expected, n) == 0);
            CHECK(row[n] == (v + 1 < sizeof values / sizeof values[0] ? '\x01' : '\x02'));
            row += n + 1;
            free(expected);
        }
        free(address);
    }
    CHECK(strcmp(row, "</table>\n") == 0);
    free(page);
    free(copy);
}

/* Mode 2: a template from the input. */
static void check_template(const char *template)
{
    static const struct host_status hosts[] = {
        {.name = "<script>alert('x')</script>", .host = "::1", .port = "80", .online = true},
        {.name = "a & b \"quoted\"", .host = "<img>", .port = "1", .detail = "<b>"},
    };
    struct page_data data = {.hosts = hosts, .count = 2, .interval = 0.5, .round = 7};
    char error[128], check_error[128];
    memset(error, 0, sizeof error);
    char *page = page_render(template, &data, error, sizeof error);
    int checked = page_check(template, check_error, sizeof check_error);
    if (page == NULL) {
        int lines = 1, line = 0;
        for (const char *p = template; *p != '\0'; p++)
            lines += *p == '\n';
        CHECK(strncmp(error, "out of memory", 13) == 0 ||
              (sscanf(error, "line %d: ", &line) == 1 && line >= 1 && line <= lines));
        CHECK(strnlen(error, sizeof error) < sizeof error);
        CHECK(checked == -1 && strcmp(error, check_error) == 0);
        return;
    }
    CHECK(checked == 0);
    if (strstr(template, "<script") == NULL)
        CHECK(strstr(page, "<script") == NULL);
    if (strstr(template, "<img") == NULL)
        CHECK(strstr(page, "<img") == NULL);
    free(page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *text = string_of(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0:
        check_escape(text);
        break;
    case 1:
        check_values(text);
        break;
    default:
        check_template(text);
        break;
    }
    free(text);
    return 0;
}
