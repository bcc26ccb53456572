/* line_io.c -- YOUR CODE: send_all and a buffered recv_line.
 *
 * Exercise 02-line-io. README.md has the task, the exact specification and hints;
 * line_io.h has the contract of each function. Replace the bodies of send_all and
 * recv_line (line_reader_init is done for you), then run `make test` to see which graded
 * checks pass and your score.
 *
 * The stubs below compile and run, but do nothing: they fail with ENOSYS ("Function not
 * implemented"), so every test fails at once and says so.
 */
#include "line_io.h"

#include <errno.h>
#include <sys/socket.h>

int send_all(int fd, const void *buf, size_t len)
{
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS; /* not implemented yet */
    return -1;
}

void line_reader_init(struct line_reader *r, int fd)
{
    r->fd = fd;
    r->start = r->end = 0;
}

ssize_t recv_line(struct line_reader *r, char *line, size_t size)
{
    (void)r;
    (void)line;
    (void)size;
    errno = ENOSYS; /* not implemented yet */
    return -1;
}
