/* fuzz_bytes_repr.c -- libFuzzer harness for bytes_repr() (bytes_repr.c), Python's repr()
 * of bytes that select_server prints for every recv.
 *
 * The fuzzer's first byte chooses a short buffer size, the rest is the data. Properties:
 * - the repr fits in BYTES_REPR_SIZE(len), its length is what bytes_repr returned, and it
 *   is printable ASCII only (it goes to a terminal: no byte of the data gets through raw);
 * - it decodes back to exactly the data, with a strict decoder written here that accepts
 *   only Python's own spelling (b'...' or b"..." by Python's quote rule; \t \n \r \\ and
 *   the quote escaped; \xNN, lower-case, only for bytes with no shorter form);
 * - into a shorter buffer it writes the same text cut to fit, NUL-terminated, and returns
 *   the same full length (like snprintf); a zero-size buffer is never touched.
 *
 * Run by `make fuzz` (clang, libFuzzer); `make test` replays tests/corpus/bytes_repr.
 */
#include "../bytes_repr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The value of a lower-case hex digit, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode TEXT, a repr in Python's exact spelling, into OUT. Returns the number of bytes,
 * or -1 when TEXT is not such a repr. */
static long decode(const char *text, unsigned char *out)
{
    if (text[0] != 'b' || (text[1] != '\'' && text[1] != '"'))
        return -1;
    char quote = text[1];
    long n = 0;
    for (const char *p = text + 2;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\0')
            return -1; /* no closing quote */
        if (c == (unsigned char)quote)
            return p[1] == '\0' ? n : -1; /* the closing quote ends the text */
        if (c < 32 || c > 126)
            return -1; /* raw control or non-ASCII byte */
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        char e = *++p;
        if (e == 't' || e == 'n' || e == 'r')
            out[n++] = e == 't' ? '\t' : e == 'n' ? '\n' : '\r';
        else if (e == '\\' || e == quote)
            out[n++] = (unsigned char)e;
        else if (e == 'x' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
            int v = hex_value(p[1]) * 16 + hex_value(p[2]);
            if ((v >= 32 && v < 127) || v == '\t' || v == '\n' || v == '\r')
                return -1; /* Python writes these bytes another way */
            out[n++] = (unsigned char)v;
            p += 2;
        } else
            return -1; /* an escape Python would not write here */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned cut = size > 0 ? data[0] : 0;
    const uint8_t *bytes = size > 0 ? data + 1 : data;
    size_t len = size > 0 ? size - 1 : 0;

    size_t room = BYTES_REPR_SIZE(len);
    char *text = malloc(room);
    unsigned char *back = malloc(len + 1);
    if (text == NULL || back == NULL)
        abort();
    size_t n = bytes_repr(bytes, len, text, room);
    if (n >= room || strlen(text) != n)
        abort(); /* BYTES_REPR_SIZE is not enough, or the length is wrong */
    for (size_t i = 0; i < n; i++)
        if (text[i] < 32 || text[i] > 126)
            abort(); /* not printable ASCII */
    long decoded = decode(text, back);
    if (decoded != (long)len || (len > 0 && memcmp(back, bytes, len) != 0))
        abort(); /* not Python's spelling, or not the data */
    bool has_single = len > 0 && memchr(bytes, '\'', len) != NULL;
    bool has_double = len > 0 && memchr(bytes, '"', len) != NULL;
    if (text[1] != (has_single && !has_double ? '"' : '\''))
        abort(); /* Python's quote rule */

    /* The same into a buffer of CUT % (n + 2) bytes: the text cut to fit. */
    size_t small = cut % (n + 2);
    char *short_text = small > 0 ? malloc(small) : NULL;
    if (small > 0 && short_text == NULL)
        abort();
    if (bytes_repr(bytes, len, short_text, small) != n)
        abort();
    if (small > 0) {
        size_t kept = n < small - 1 ? n : small - 1;
        if (strlen(short_text) != kept || memcmp(short_text, text, kept) != 0)
            abort();
    }
    /* No data at all, not even a pointer: b''. */
    char empty[4];
    if (bytes_repr(NULL, 0, empty, sizeof empty) != 3 || strcmp(empty, "b''") != 0)
        abort();
    free(short_text);
    free(back);
    free(text);
    return 0;
}
