/* net.c -- connect with a timeout: non-blocking connect() + poll() (see net.h). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec / 1e9;
}

/* Try one address until DEADLINE. Returns the connected socket, or -1 with errno
 * set (ETIMEDOUT when time ran out, ECANCELED when STOP_FD became readable). */
static int connect_one(const struct addrinfo *ai, double deadline, int stop_fd)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        goto fail;

    /* Non-blocking connect: done at once (loopback may be), or EINPROGRESS. EINTR
     * means the same as EINPROGRESS here: the attempt goes on in the kernel. */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR)
            goto fail;
        for (;;) {
            struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = stop_fd, .events = POLLIN}};
            double left = deadline - now_seconds();
            if (left <= 0) {
                errno = ETIMEDOUT;
                goto fail;
            }
            int n = poll(p, stop_fd >= 0 ? 2 : 1, (int)(left * 1000) + 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                goto fail;
            if (stop_fd >= 0 && (p[1].revents & POLLIN)) {
                errno = ECANCELED;
                goto fail;
            }
            if (p[0].revents != 0)
                break; /* writable, or an error: SO_ERROR tells which */
        }
        int error = 0;
        socklen_t len = sizeof error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
            goto fail;
        if (error != 0) {
            errno = error;
            goto fail;
        }
    }
    if (fcntl(fd, F_SETFL, flags) < 0) /* back to blocking, as the caller expects */
        goto fail;
    return fd;

fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int net_connect(const char *host, const char *port, double timeout, int stop_fd, char *why,
                size_t why_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list;
    double deadline = now_seconds() + timeout;
    int fd = -1, error = 0;

    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        snprintf(why, why_size, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, deadline, stop_fd);
        if (fd < 0) {
            error = errno;
            if (error == ETIMEDOUT || error == ECANCELED)
                break; /* no time left for other addresses, or told to stop */
        }
    }
    freeaddrinfo(list);
    if (fd < 0)
        snprintf(why, why_size, "%s",
                 error == ETIMEDOUT   ? "timed out"
                 : error == ECANCELED ? "stopped"
                                      : strerror(error));
    return fd;
}
