/* hosts_csv.c -- parse one line of hosts.csv (see hosts_csv.h). Pure: no I/O, no
 * allocation, nothing but the arguments is read or written. */
#include "hosts_csv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { FIELDS = 3, FIELD_MAX = HOSTS_HOST_MAX }; /* the longest field we keep */

/* A field as parsed: its text (cut to FIELD_MAX bytes) and its real length. */
struct field {
    char text[FIELD_MAX + 1];
    size_t len;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void add_char(struct field *f, char c)
{
    if (f->len < FIELD_MAX)
        f->text[f->len] = c;
    f->len++; /* counts on: "too long" is reported later, with the field's name */
}

/* ASCII case-insensitive equality with a lower-case word. */
static bool equals_word(const struct field *f, const char *word)
{
    size_t n = strlen(word);
    if (f->len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = f->text[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* Write the reason for an error; returns HOSTS_LINE_ERROR. */
static enum hosts_line fail(char *reason, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(reason, size, format, args);
    va_end(args);
    return HOSTS_LINE_ERROR;
}

/* Parse the field that starts at LINE[*POS] (blanks before it included), leaving
 * *POS on the comma after it or at LEN. Returns NULL, or an error format taking the
 * field's number. */
static const char *parse_field(const char *line, size_t len, size_t *pos, struct field *f)
{
    size_t i = *pos;
    f->len = 0;
    while (i < len && is_blank(line[i]))
        i++;
    if (i < len && line[i] == '"') {
        /* Quoted: up to the next lone quote; "" stands for one quote. */
        for (i++;; i++) {
            if (i == len)
                return "field %d: the quote is not closed (a quoted field must end on its line)";
            if (line[i] == '"') {
                if (i + 1 < len && line[i + 1] == '"')
                    i++; /* "" -> " */
                else
                    break;
            }
            add_char(f, line[i]);
        }
        for (i++; i < len && is_blank(line[i]); i++)
            ;
        if (i < len && line[i] != ',')
            return "field %d: text after the closing quote";
    } else {
        size_t start = i, end;
        for (; i < len && line[i] != ','; i++)
            if (line[i] == '"')
                return "field %d: a quote inside an unquoted field (quote the whole field)";
        for (end = i; end > start && is_blank(line[end - 1]); end--)
            ;
        for (size_t k = start; k < end; k++)
            add_char(f, line[k]);
    }
    f->text[f->len < FIELD_MAX ? f->len : FIELD_MAX] = '\0';
    *pos = i;
    return NULL;
}

/* The port: digits only, 1 to 65535 (leading zeros allowed). */
static bool parse_port(const struct field *f, char out[6])
{
    unsigned long value = 0;
    if (f->len == 0 || f->len > 10)
        return false;
    for (size_t i = 0; i < f->len; i++) {
        if (f->text[i] < '0' || f->text[i] > '9')
            return false;
        value = value * 10 + (unsigned long)(f->text[i] - '0');
    }
    if (value < 1 || value > 65535)
        return false;
    snprintf(out, 6, "%lu", value);
    return true;
}

enum hosts_line hosts_parse_line(const char *line, size_t len, struct hosts_entry *entry,
                                 char *reason, size_t reason_size)
{
    struct field fields[FIELDS];
    size_t pos = 0;
    int count = 0;

    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 byte order mark */
        line += 3;
        len -= 3;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(reason, reason_size, "control character 0x%02x at column %zu", c, i + 1);
    }
    while (pos < len && is_blank(line[pos]))
        pos++;
    if (pos == len || line[pos] == '#')
        return HOSTS_LINE_SKIP; /* blank line, or comment */

    pos = 0;
    for (;;) {
        struct field spare, *f = count < FIELDS ? &fields[count] : &spare;
        const char *error = parse_field(line, len, &pos, f);
        if (error != NULL)
            return fail(reason, reason_size, error, count + 1);
        count++;
        if (pos == len)
            break;
        pos++; /* the comma */
    }
    if (count != FIELDS)
        return fail(reason, reason_size, "expected 3 fields (name,host,port), found %d", count);
    struct field *name = &fields[0], *host = &fields[1], *port = &fields[2];
    if (equals_word(name, "name") && equals_word(host, "host") && equals_word(port, "port"))
        return HOSTS_LINE_SKIP; /* the header */

    if (name->len == 0)
        return fail(reason, reason_size, "empty name");
    if (name->len > HOSTS_NAME_MAX)
        return fail(reason, reason_size, "name longer than %d bytes", HOSTS_NAME_MAX);
    if (host->len == 0)
        return fail(reason, reason_size, "empty host");
    if (host->len > HOSTS_HOST_MAX)
        return fail(reason, reason_size, "host longer than %d bytes", HOSTS_HOST_MAX);
    if (strpbrk(host->text, " \t") != NULL)
        return fail(reason, reason_size, "bad host '%.40s': no blanks allowed", host->text);
    if (port->len == 0)
        return fail(reason, reason_size, "empty port");
    if (!parse_port(port, entry->port))
        return fail(reason, reason_size, "bad port '%.20s': expected 1 to 65535", port->text);
    memcpy(entry->name, name->text, name->len + 1);
    memcpy(entry->host, host->text, host->len + 1);
    return HOSTS_LINE_ENTRY;
}
