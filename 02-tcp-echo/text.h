/* text.h -- the byte handling of the 02-tcp-echo programs, as pure functions.
 *
 * Bytes from the network are not text: they may hold NUL, newlines, or anything at
 * all. These functions never assume a terminating NUL, do no I/O and keep no state,
 * so they are tested directly (tests/check_text.c) and a fuzzer can call them.
 */
#ifndef TEXT_H
#define TEXT_H

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

#endif
