/* text.c -- escaping, upper-casing and joining bytes (see text.h). */
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
