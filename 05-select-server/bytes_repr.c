/* bytes_repr.c -- Python's repr() of bytes (see bytes_repr.h). */
#include "bytes_repr.h"

#include <string.h>

/* Append C to TEXT at *AT if there is room (keeping one byte for the NUL); count it anyway. */
static void put(char *text, size_t size, size_t *at, char c)
{
    if (*at + 1 < size)
        text[*at] = c;
    (*at)++;
}

size_t bytes_repr(const void *data, size_t len, char *text, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *bytes = data;
    /* Python's rule: single quotes, unless the data has ' and no " (then double). */
    /* (len > 0 first: memchr(NULL, c, 0) is undefined, and DATA may be NULL when LEN is 0.) */
    char quote =
        len > 0 && memchr(bytes, '\'', len) != NULL && memchr(bytes, '"', len) == NULL ? '"' : '\'';
    size_t at = 0;

    put(text, size, &at, 'b');
    put(text, size, &at, quote);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = bytes[i];
        const char *escape = c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;
        if (escape != NULL) {
            put(text, size, &at, escape[0]);
            put(text, size, &at, escape[1]);
        } else if (c == '\\' || c == (unsigned char)quote) {
            put(text, size, &at, '\\');
            put(text, size, &at, (char)c);
        } else if (c >= 32 && c < 127) {
            put(text, size, &at, (char)c);
        } else {
            put(text, size, &at, '\\');
            put(text, size, &at, 'x');
            put(text, size, &at, hex[c >> 4]);
            put(text, size, &at, hex[c & 15]);
        }
    }
    put(text, size, &at, quote);
    if (size > 0)
        text[at < size ? at : size - 1] = '\0';
    return at;
}
