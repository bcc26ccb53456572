/* text.c -- escaping, stripping, upper-casing and joining bytes, and cutting lines
 * (see text.h).
 *
 * master: 02-tcp-echo/text.c; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

size_t escape_bytes(const void *data, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *bytes = data;
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = bytes[i];
        const char *named = c == '\t'   ? "\\t"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\\' ? "\\\\"
                            : c == '\'' ? "\\'"
                                        : NULL;
        if (named != NULL) {
            out[n++] = named[0];
            out[n++] = named[1];
        } else if (c >= 0x20 && c < 0x7f) {
            out[n++] = (char)c;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 0xf];
        }
    }
    out[n] = '\0';
    return n;
}

/* Python's bytes.isspace() for one byte: no locale involved. */
static int is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

size_t strip_whitespace(const char *data, size_t len, size_t *start)
{
    size_t first = 0, end = len;

    while (first < end && is_ascii_space(data[first]))
        first++;
    while (end > first && is_ascii_space(data[end - 1]))
        end--;
    *start = first;
    return end - first;
}

void upper_ascii(char *data, size_t len)
{
    /* toupper() would depend on the locale; the lecture's bytes.upper() does not. */
    for (size_t i = 0; i < len; i++)
        if (data[i] >= 'a' && data[i] <= 'z')
            data[i] = (char)(data[i] - 'a' + 'A');
}

char *join_words(int count, char *const words[], size_t *len)
{
    size_t total = 0;

    for (int i = 0; i < count; i++)
        total += strlen(words[i]) + 1; /* the word, then a space or the final NUL */
    char *joined = malloc(total > 0 ? total : 1);
    if (joined == NULL)
        return NULL;
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        if (i > 0)
            joined[n++] = ' ';
        size_t word = strlen(words[i]);
        memcpy(joined + n, words[i], word);
        n += word;
    }
    joined[n] = '\0';
    *len = n;
    return joined;
}

int line_buffer_add(struct line_buffer *buffer, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    if (buffer->capacity - buffer->end < len && buffer->start > 0) {
        /* Move what is waiting to the front: the lines before it are taken. */
        size_t waiting = buffer->end - buffer->start;
        memmove(buffer->data, buffer->data + buffer->start, waiting);
        buffer->scanned -= buffer->start;
        buffer->end = waiting;
        buffer->start = 0;
    }
    if (buffer->capacity - buffer->end < len) {
        size_t capacity = buffer->capacity > 0 ? buffer->capacity : 4096;
        while (capacity - buffer->end < len) {
            if (capacity > (size_t)-1 / 2)
                return -1;
            capacity *= 2;
        }
        char *bigger = realloc(buffer->data, capacity);
        if (bigger == NULL)
            return -1;
        buffer->data = bigger;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->end, data, len);
    buffer->end += len;
    return 0;
}

bool line_buffer_next(struct line_buffer *buffer, bool at_end, const char **line, size_t *len)
{
    char *newline = buffer->scanned < buffer->end ? memchr(buffer->data + buffer->scanned, '\n',
                                                           buffer->end - buffer->scanned)
                                                  : NULL;
    size_t line_end, next;

    if (newline != NULL) {
        line_end = (size_t)(newline - buffer->data);
        next = line_end + 1;
    } else if (at_end && buffer->start < buffer->end) {
        line_end = next = buffer->end; /* the last line, without a newline */
    } else {
        buffer->scanned = buffer->end;
        return false;
    }
    *line = buffer->data + buffer->start;
    *len = line_end - buffer->start;
    buffer->start = buffer->scanned = next;
    return true;
}

void line_buffer_free(struct line_buffer *buffer)
{
    free(buffer->data);
    *buffer = (struct line_buffer)LINE_BUFFER_INIT;
}
