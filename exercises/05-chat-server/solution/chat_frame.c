/* chat_frame.c -- REFERENCE SOLUTION of exercise 05-chat-server, part 1: the framing (see
 * ../chat_frame.h for the contract). */
#include "chat_frame.h"

#include <string.h>

enum frame_result frame_line(const char *buf, size_t len, size_t max, size_t *line_len)
{
    /* Only the first MAX + 1 bytes matter: a '\n' further on comes too late anyway. This
     * also keeps the cost of a call bounded however much is buffered. */
    size_t look = len < max + 1 ? len : max + 1;
    const char *newline = memchr(buf, '\n', look);

    if (newline != NULL) {
        *line_len = (size_t)(newline - buf) + 1;
        return FRAME_LINE;
    }
    return len > max ? FRAME_TOO_LONG : FRAME_NEED_MORE;
}
