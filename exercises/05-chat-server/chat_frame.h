/* chat_frame.h -- the chat protocol's framing: where a client's line ends, and whether it is
 * too long. A pure function (no I/O, no state) so that it can be tested alone, and fuzzed.
 * (Given: this is the contract the tests check.)
 *
 * The server keeps, for each client, the bytes received and not yet dealt with. After each
 * recv() it asks frame_line() about the first line in them, again and again: relay a
 * complete line and drop it from the buffer; wait when the line is not complete yet;
 * disconnect the client when the line is too long.
 */
#ifndef CHAT_FRAME_H
#define CHAT_FRAME_H

#include <stddef.h>

/* The longest line a client may send: 4096 bytes before its '\n'. */
#define CHAT_MAX_LINE 4096

enum frame_result {
    FRAME_NEED_MORE, /* no '\n' yet, and at most MAX bytes so far: wait for more */
    FRAME_LINE,      /* a complete line: *LINE_LEN bytes, its '\n' the last of them */
    FRAME_TOO_LONG,  /* more than MAX bytes before the first '\n' (or, without a '\n', in all) */
};

/* Look at the first line in BUF[0..LEN), the bytes a client has sent and the server has not
 * dealt with yet. Bytes are bytes: a NUL is data. Returns
 *   FRAME_LINE      when a '\n' comes after at most MAX other bytes; stores the line's length,
 *                   '\n' included, in *LINE_LEN (at most MAX + 1);
 *   FRAME_TOO_LONG  when more than MAX bytes come before the first '\n', or there is no '\n'
 *                   and LEN is more than MAX;
 *   FRAME_NEED_MORE otherwise: there is no '\n' and LEN is at most MAX (LEN 0 included).
 * *LINE_LEN is set only for FRAME_LINE. */
enum frame_result frame_line(const char *buf, size_t len, size_t max, size_t *line_len);

#endif
