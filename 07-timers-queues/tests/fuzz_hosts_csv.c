/* fuzz_hosts_csv.c -- a libFuzzer harness for the hosts.csv line parser (hosts_csv.h).
 *
 * `make fuzz` builds it with clang's libFuzzer and runs it; `make test` links it with
 * fuzz_replay.c instead and replays tests/corpus/hosts_csv/, so that every line that
 * ever found a bug is tried again by every build (gcc, clang, ASan, TSan, valgrind).
 *
 * The input is one line as getline() hands it over: any bytes, NULs and control
 * characters included, with or without its newline. Each property below is checked
 * with abort(), so a fuzzer reports it like a crash:
 * - the parser reads only the LEN bytes it is given (they sit at the very end of a
 *   buffer of exactly that size: ASan reports a read past them) and writes only the
 *   entry and the reason (buffers of exactly their size);
 * - classification, decided here independently of the parser: a line with a control
 *   character (other than tab) is an error; a blank line or a comment ('#' after
 *   blanks) is skipped; and a skipped line is only ever one of those or the header
 *   name,host,port;
 * - an entry keeps the documented limits: a name of 1 to 64 bytes, a host of 1 to 253
 *   bytes without blanks, no control characters, a port "1" to "65535" written without
 *   leading zeros;
 * - an error comes with a reason: one line, not empty, NUL-terminated, and cut short
 *   safely when the caller's reason buffer is small;
 * - the parser is a function of the line: the same line gives the same answer, and so
 *   does the line with "\n" or "\r\n" after it (when it has no line end yet);
 * - round trip: an entry written back as a CSV line, every field quoted as RFC 4180
 *   says, parses to the same entry.
 */
#include "../hosts_csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(condition)                                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "fuzz_hosts_csv: %s:%d: property broken: %s\n", __FILE__, __LINE__,    \
                    #condition);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum { REASON_SIZE = 160 }; /* what port_monitor gives it */

/* One call's complete answer. */
struct answer {
    enum hosts_line kind;
    struct hosts_entry entry;
    char reason[REASON_SIZE];
};

/* Parse LEN bytes copied to the end of a buffer of exactly LEN bytes, into an entry and
 * a reason buffer of exactly their sizes; keep the answer in *A. */
static void parse(const char *line, size_t len, size_t reason_size, struct answer *a)
{
    char *copy = malloc(len > 0 ? len : 1);
    struct hosts_entry *entry = malloc(sizeof *entry);
    char *reason = malloc(reason_size > 0 ? reason_size : 1);
    CHECK(copy != NULL && entry != NULL && reason != NULL);
    if (len > 0)
        memcpy(copy, line, len);
    memset(entry, 0x5a, sizeof *entry); /* garbage: what is returned must be written */
    memset(reason, 0x5a, reason_size > 0 ? reason_size : 1);
    memset(a, 0, sizeof *a);
    a->kind = hosts_parse_line(copy, len, entry, reason_size > 0 ? reason : NULL, reason_size);
    CHECK(a->kind == HOSTS_LINE_ENTRY || a->kind == HOSTS_LINE_SKIP || a->kind == HOSTS_LINE_ERROR);
    if (a->kind == HOSTS_LINE_ENTRY)
        a->entry = *entry;
    if (a->kind == HOSTS_LINE_ERROR && reason_size > 0) {
        size_t n = strnlen(reason, reason_size);
        CHECK(n < reason_size); /* NUL-terminated inside the buffer */
        memcpy(a->reason, reason, n + 1 < sizeof a->reason ? n + 1 : sizeof a->reason);
        a->reason[sizeof a->reason - 1] = '\0';
    }
    free(copy);
    free(entry);
    free(reason);
}

static int is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* The line as the parser must see it: without one "\n", then one "\r", then a UTF-8
 * byte order mark at the start. */
static void strip(const char **line, size_t *len)
{
    if (*len > 0 && (*line)[*len - 1] == '\n')
        (*len)--;
    if (*len > 0 && (*line)[*len - 1] == '\r')
        (*len)--;
    if (*len >= 3 && memcmp(*line, "\xEF\xBB\xBF", 3) == 0) {
        *line += 3;
        *len -= 3;
    }
}

/* The entry's documented limits. */
static void check_entry(const struct hosts_entry *e)
{
    size_t name = strnlen(e->name, sizeof e->name), host = strnlen(e->host, sizeof e->host);
    size_t port = strnlen(e->port, sizeof e->port);
    CHECK(name >= 1 && name <= HOSTS_NAME_MAX);
    CHECK(host >= 1 && host <= HOSTS_HOST_MAX);
    CHECK(port >= 1 && port <= 5);
    for (size_t i = 0; i < name; i++)
        CHECK(!is_control((unsigned char)e->name[i]));
    for (size_t i = 0; i < host; i++)
        CHECK(!is_control((unsigned char)e->host[i]) && e->host[i] != ' ' && e->host[i] != '\t');
    long value = 0;
    for (size_t i = 0; i < port; i++) {
        CHECK(e->port[i] >= '0' && e->port[i] <= '9');
        value = value * 10 + (e->port[i] - '0');
    }
    CHECK(e->port[0] != '0'); /* no leading zero: 1..65535 as getaddrinfo will read it */
    CHECK(value >= 1 && value <= 65535);
}

/* A skipped line that is not blank or a comment must be the header: without its quotes
 * and blanks, in lower case, "name,host,port". */
static int looks_like_header(const char *line, size_t len)
{
    static const char header[] = "name,host,port";
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (c == '"' || c == ' ' || c == '\t')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (k == sizeof header - 1 || c != header[k])
            return 0;
        k++;
    }
    return k == sizeof header - 1;
}

static int same_answer(const struct answer *a, const struct answer *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == HOSTS_LINE_ENTRY)
        return strcmp(a->entry.name, b->entry.name) == 0 &&
               strcmp(a->entry.host, b->entry.host) == 0 &&
               strcmp(a->entry.port, b->entry.port) == 0;
    if (a->kind == HOSTS_LINE_ERROR)
        return strcmp(a->reason, b->reason) == 0;
    return 1;
}

/* FIELD as an RFC 4180 quoted field: "..." with every quote doubled. */
static size_t quote(const char *field, char *out)
{
    size_t n = 0;
    out[n++] = '"';
    for (; *field != '\0'; field++) {
        if (*field == '"')
            out[n++] = '"';
        out[n++] = *field;
    }
    out[n++] = '"';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    struct answer answer, again;

    parse(line, size, REASON_SIZE, &answer);

    /* Classification, decided independently. */
    const char *content = line;
    size_t content_len = size;
    strip(&content, &content_len);
    int control = 0;
    for (size_t i = 0; i < content_len; i++)
        control |= is_control((unsigned char)content[i]);
    size_t first = 0;
    while (first < content_len && (content[first] == ' ' || content[first] == '\t'))
        first++;
    int blank_or_comment = first == content_len || content[first] == '#';
    if (control)
        CHECK(answer.kind == HOSTS_LINE_ERROR);
    else if (blank_or_comment)
        CHECK(answer.kind == HOSTS_LINE_SKIP);
    if (answer.kind == HOSTS_LINE_SKIP && !blank_or_comment)
        CHECK(looks_like_header(content, content_len));

    if (answer.kind == HOSTS_LINE_ENTRY)
        check_entry(&answer.entry);
    if (answer.kind == HOSTS_LINE_ERROR) {
        CHECK(answer.reason[0] != '\0');
        CHECK(strchr(answer.reason, '\n') == NULL);
        /* The reason cut short in small buffers: still NUL-terminated, nothing past them. */
        struct answer small;
        for (size_t reason_size = 0; reason_size <= 8; reason_size += 4) {
            parse(line, size, reason_size, &small);
            CHECK(small.kind == HOSTS_LINE_ERROR);
            if (reason_size > 0)
                CHECK(strncmp(small.reason, answer.reason, reason_size - 1) == 0);
        }
    }

    /* A function of the line: the same answer again, and with a line end added. */
    parse(line, size, REASON_SIZE, &again);
    CHECK(same_answer(&answer, &again));
    if (size > 0 && line[size - 1] != '\n' && line[size - 1] != '\r' && size < 1 << 20) {
        char *longer = malloc(size + 2);
        CHECK(longer != NULL);
        memcpy(longer, line, size);
        memcpy(longer + size, "\r\n", 2);
        parse(longer, size + 2, REASON_SIZE, &again);
        CHECK(same_answer(&answer, &again));
        longer[size] = '\n';
        parse(longer, size + 1, REASON_SIZE, &again);
        CHECK(same_answer(&answer, &again));
        free(longer);
    }

    /* Round trip: written back as a quoted CSV line, the entry parses to itself. */
    if (answer.kind == HOSTS_LINE_ENTRY) {
        char written[2 * (HOSTS_NAME_MAX + HOSTS_HOST_MAX) + 32];
        size_t n = quote(answer.entry.name, written);
        written[n++] = ',';
        n += quote(answer.entry.host, written + n);
        n += (size_t)snprintf(written + n, sizeof written - n, ",%s\n", answer.entry.port);
        parse(written, n, REASON_SIZE, &again);
        CHECK(same_answer(&answer, &again));
    }
    return 0;
}
