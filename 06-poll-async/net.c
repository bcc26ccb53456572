/* net.c -- socket plumbing for the 06-poll-async servers (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int net_listen(const char *host, const char *port, char *error, size_t error_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE},
                    *list;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        snprintf(error, error_size, "getaddrinfo %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[NET_ADDRESS_SIZE];
        const char *step = "socket";
        int one = 1;
        net_format_address(ai->ai_addr, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0) {
            /* SO_REUSEADDR: restart at once even while old connections sit in TIME_WAIT. */
            if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
                step = "setsockopt SO_REUSEADDR";
            else if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
                step = "bind";
            else if (listen(fd, SOMAXCONN) < 0) /* Python's listen(64) drops bursts */
                step = "listen";
            else if (net_set_nonblocking(fd) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                step = "fcntl";
            else
                step = NULL;
        }
        if (step != NULL) { /* remember why this address failed; try the next */
            snprintf(error, error_size, "%s %s: %s", step, where, strerror(errno));
            if (fd >= 0)
                close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    return fd;
}

int net_announce(int fd)
{
    struct sockaddr_storage address;
    socklen_t len = sizeof address;
    char text[NET_ADDRESS_SIZE];

    if (getsockname(fd, (struct sockaddr *)&address, &len) < 0)
        return -1;
    net_format_address((struct sockaddr *)&address, text, sizeof text);
    printf("listening on %s\n", text);
    return fflush(stdout) == 0 ? 0 : -1;
}

void net_format_address(const struct sockaddr *address, char *text, size_t size)
{
    char host[INET6_ADDRSTRLEN];

    if (address->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)address;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(text, size, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(text, size, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(text, size, "?");
    }
}

void net_peer_name(int fd, char *text, size_t size)
{
    struct sockaddr_storage address;
    socklen_t len = sizeof address;

    if (getpeername(fd, (struct sockaddr *)&address, &len) < 0)
        snprintf(text, size, "?"); /* already reset by the peer: ENOTCONN */
    else
        net_format_address((struct sockaddr *)&address, text, size);
}

int net_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* --- The self-pipe ------------------------------------------------------------------- */

static int stop_pipe[2] = {-1, -1};

/* Only async-signal-safe work here: write(2), errno kept for the code we
 * interrupted. A full pipe (EAGAIN) already holds a byte that wakes the loop: losing
 * this one costs nothing. But a byte lost to EINTR (another signal landing in this
 * very write) would leave the loop asleep with nobody to wake it: retry that. */
static void on_stop_signal(int signal_number)
{
    int saved = errno;
    char byte = (char)signal_number;
    while (write(stop_pipe[1], &byte, 1) < 0 && errno == EINTR)
        ;
    errno = saved;
}

int net_stop_pipe_open(void)
{
    struct sigaction action;

    if (pipe(stop_pipe) < 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (net_set_nonblocking(stop_pipe[i]) < 0 || fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC) < 0)
            goto fail;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) < 0 || sigaction(SIGTERM, &action, NULL) < 0)
        goto fail;
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        goto fail;
    return stop_pipe[0];

fail:;
    int saved = errno;
    net_stop_pipe_close();
    errno = saved;
    return -1;
}

void net_stop_pipe_close(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        stop_pipe[i] = -1;
    }
}
