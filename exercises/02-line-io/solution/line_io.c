/* line_io.c -- REFERENCE SOLUTION of exercise 02-line-io: send_all and a buffered
 * recv_line (see ../line_io.h for the contract, ../README.md for the task).
 *
 * recv_line copies as it goes: it looks for '\n' in what is buffered, copies up to it (or
 * up to the caller's limit) into LINE, and only when the buffer is used up does it call
 * recv() again. So a line may be longer than the buffer, several lines received at once are
 * returned one per call without another recv(), and a short read is just one more turn of
 * the loop.
 */
#include "line_io.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

/* A send to a peer that has closed raises SIGPIPE, whose default action ends the process.
 * MSG_NOSIGNAL (Linux, the BSDs) asks send() for EPIPE instead. Where it is missing
 * (macOS), and with PORTABLE=1 (KIT_PORTABLE, which builds as a Mac would), send_all
 * ignores SIGPIPE for the whole process instead: the same EPIPE, everywhere. */
#if defined(MSG_NOSIGNAL) && !defined(KIT_PORTABLE)
#define NO_SIGPIPE MSG_NOSIGNAL
static void ignore_sigpipe(void)
{
}
#else
#define NO_SIGPIPE 0
static void ignore_sigpipe(void)
{
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, NULL);
}
#endif

int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    ignore_sigpipe();
    while (len > 0) {
        /* A peer that has closed gives EPIPE, not a fatal SIGPIPE (see NO_SIGPIPE). */
        ssize_t n = send(fd, p, len, NO_SIGPIPE);
        if (n < 0) {
            if (errno == EINTR) /* interrupted before sending anything: again */
                continue;
            return -1;
        }
        /* A short write (a signal arrived after part of it was sent, a send timeout, a
         * non-blocking socket): go on from where it stopped. */
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void line_reader_init(struct line_reader *r, int fd)
{
    r->fd = fd;
    r->start = r->end = 0;
}

ssize_t recv_line(struct line_reader *r, char *line, size_t size)
{
    size_t len = 0; /* bytes of this line copied into LINE so far */

    if (size < 2) {
        errno = EINVAL;
        return -1;
    }
    for (;;) {
        /* 1. Use what is buffered: up to and including a '\n', or all of it. */
        char *start = r->buffer + r->start;
        size_t buffered = r->end - r->start;
        char *newline = memchr(start, '\n', buffered);
        size_t take = newline != NULL ? (size_t)(newline - start) + 1 : buffered;
        if (take > size - 1 - len)
            take = size - 1 - len; /* what fits; the rest stays for the next call */
        memcpy(line + len, start, take);
        r->start += take;
        len += take;
        line[len] = '\0';
        if (newline != NULL && r->start == (size_t)(newline - r->buffer) + 1)
            return (ssize_t)len; /* the whole line, '\n' included */
        if (len == size - 1) {
            errno = EMSGSIZE; /* full, and the line goes on */
            return -1;
        }

        /* 2. The buffer is used up and the line is not complete: receive more. */
        r->start = r->end = 0;
        ssize_t n = recv(r->fd, r->buffer, sizeof r->buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return (ssize_t)len; /* closed: the unterminated rest, or 0 at the very end */
        r->end = (size_t)n;
    }
}
