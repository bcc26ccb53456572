/* text.h -- the byte handling of the 02-tcp-echo and 03-udp programs, as pure functions.
 *
 * master: 02-tcp-echo/text.h; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * Bytes from the network are not text: they may hold NUL, newlines, or anything at
 * all. These functions never assume a terminating NUL, do no I/O and keep no state
 * (the line buffer keeps only the bytes it was given), so they are tested directly
 * (tests/check_text.c) and a fuzzer calls them (tests/fuzz_text.c).
 */
#ifndef TEXT_H
#define TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The most bytes escape_bytes() writes for LEN input bytes, with the final NUL. */
#define ESCAPED_SIZE(len) (4 * (len) + 1)

/* Write LEN bytes of DATA into OUT the way Python's repr() shows bytes (without the
 * b and the quotes): printable ASCII as it is; \t \n \r; a backslash as \\ and a
 * single quote as \'; every other byte as \xHH (lower-case hex). OUT must have room
 * for ESCAPED_SIZE(LEN) bytes; it is NUL-terminated. Returns the length written
 * (without the NUL). Cost: one pass over DATA. */
size_t escape_bytes(const void *data, size_t len, char *out);

/* Python's bytes.strip(): find DATA without its leading and trailing ASCII
 * whitespace (space, \t, \n, \r, \v, \f). Stores where it starts in *START and
 * returns its length (0 when DATA is all whitespace). */
size_t strip_whitespace(const char *data, size_t len, size_t *start);

/* Python's bytes.upper(): a-z become A-Z in place; every other byte is left alone
 * (no locale, so a UTF-8 sequence is never damaged). */
void upper_ascii(char *data, size_t len);

/* Python's " ".join(words): COUNT words joined by single spaces, in a new
 * NUL-terminated string (free it); its length in *LEN. NULL when out of memory. */
char *join_words(int count, char *const words[], size_t *len);

/* Lines from a byte stream that arrives in pieces, the way read() gives it: a line may
 * come in several pieces, and one piece may hold several lines (stdio's getline does
 * this too, but it cannot tell a read interrupted by a signal from the end of the input,
 * and returns half a line). Keeps the bytes not yet taken; no I/O. */
struct line_buffer {
    char *data;      /* malloc'd: data[start, end) is waiting to be taken */
    size_t start;    /* where the next line begins */
    size_t scanned;  /* data[start, scanned) holds no '\n' (not searched again) */
    size_t end;      /* the end of what arrived */
    size_t capacity; /* the size of DATA */
};
#define LINE_BUFFER_INIT                                                                           \
    {                                                                                              \
        NULL, 0, 0, 0, 0                                                                           \
    }

/* Append LEN bytes of DATA that just arrived. Returns 0, or -1 when out of memory. */
int line_buffer_add(struct line_buffer *buffer, const void *data, size_t len);

/* Take the next whole line: stores where it starts in *LINE (valid until the next
 * line_buffer_add) and its length, without the '\n', in *LEN, and returns true. Returns
 * false when no whole line is waiting. With AT_END (the stream has ended) the bytes
 * after the last '\n', if any, are the last line: "a\nb" is the lines "a" and "b",
 * like getline; "a\n" is the one line "a". Cost: each byte is searched once. */
bool line_buffer_next(struct line_buffer *buffer, bool at_end, const char **line, size_t *len);

/* Free what BUFFER holds; it is empty (LINE_BUFFER_INIT) again. */
void line_buffer_free(struct line_buffer *buffer);

#endif
