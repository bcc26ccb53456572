/* chat_frame.c -- YOUR CODE: the chat protocol's framing (see chat_frame.h).
 *
 * Exercise 05-chat-server, part 1 (the easy part: a pure function, tested alone by
 * tests/check_chat_frame.c). Replace the body of frame_line, then run `make test`.
 *
 * The stub below compiles and runs, but always answers "need more", so the framing tests
 * fail and so does the server that uses it.
 */
#include "chat_frame.h"

enum frame_result frame_line(const char *buf, size_t len, size_t max, size_t *line_len)
{
    (void)buf;
    (void)len;
    (void)max;
    (void)line_len;
    return FRAME_NEED_MORE; /* not implemented yet */
}
