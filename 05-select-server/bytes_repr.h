/* bytes_repr.h -- Python's repr() of a bytes object, for select_server's log lines: the
 * lecture's `print('received:', self.address, data)` shows data as b'hello\n'.
 *
 * A pure function (no I/O): tested on its own, and safe to fuzz.
 */
#ifndef BYTES_REPR_H
#define BYTES_REPR_H

#include <stddef.h>

/* The longest repr of N bytes, NUL included: every byte as \xNN, b and two quotes. */
#define BYTES_REPR_SIZE(n) (4 * (n) + 4)

/* Write repr(bytes(DATA[0..LEN))) into TEXT as Python 3 does: b'...', or b"..." when the
 * data holds a ' and no "; \t \n \r \\ and the quote escaped; other bytes outside
 * 32..126 as \xNN (lower-case hex). Like snprintf: writes at most SIZE bytes, NUL
 * included, and returns the length the whole repr has. DATA may be NULL when LEN is 0. */
size_t bytes_repr(const void *data, size_t len, char *text, size_t size);

#endif
