/* udp.c -- addresses, binding, and the stop pipe for the 03-udp programs (see udp.h). */
#include "udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void format_address(const struct sockaddr *address, char text[ADDRESS_TEXT_SIZE])
{
    char host[ADDRESS_TEXT_SIZE - 8], port[8];
    socklen_t len =
        address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

    /* NI_NUMERICHOST: the address as digits, never a (slow) reverse DNS lookup. */
    if (getnameinfo(address, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(text, ADDRESS_TEXT_SIZE, "(unknown address)");
        return;
    }
    snprintf(text, ADDRESS_TEXT_SIZE, address->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
             port);
}

/* The port of an IPv4 or IPv6 address, in host byte order; -1 for another family. */
static int port_of(const struct sockaddr *address)
{
    if (address->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)address)->sin_port);
    if (address->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)address)->sin6_port);
    return -1;
}

bool reply_would_loop(const struct sockaddr *sender, const struct sockaddr *self)
{
    int port = port_of(sender);
    return port < 1024 || port == port_of(self);
}

bool same_address(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

/* getaddrinfo for HOST:PORT (numeric port, UDP), filling ERROR when it fails. */
static struct addrinfo *resolve(const char *host, int port, int flags, char *error,
                                size_t error_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
    struct addrinfo *list;
    char service[8];

    hints.ai_flags = flags | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &list);
    if (rc != 0) {
        snprintf(error, error_size, "getaddrinfo %s: %s", host,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return NULL;
    }
    return list;
}

int resolve_udp(const char *host, int port, struct sockaddr_storage *address, socklen_t *len,
                char *error, size_t error_size)
{
    struct addrinfo *list = resolve(host, port, 0, error, error_size);
    if (list == NULL)
        return -1;
    memcpy(address, list->ai_addr, list->ai_addrlen);
    *len = list->ai_addrlen;
    freeaddrinfo(list);
    return 0;
}

int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ? -1 : 0;
}

int bind_udp(const char *host, int port, char *error, size_t error_size)
{
    struct addrinfo *list = resolve(host, port, AI_PASSIVE, error, error_size);
    int fd = -1;

    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[ADDRESS_TEXT_SIZE];
        format_address(ai->ai_addr, where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            snprintf(error, error_size, "socket: %s", strerror(errno));
        } else if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            snprintf(error, error_size, "bind %s: %s", where, strerror(errno));
            close(fd);
            fd = -1;
        } else if (set_nonblocking(fd) < 0) {
            snprintf(error, error_size, "fcntl O_NONBLOCK: %s", strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    if (list != NULL)
        freeaddrinfo(list);
    return fd;
}

int print_listening(int sock, char *error, size_t error_size)
{
    struct sockaddr_storage self;
    socklen_t len = sizeof self;
    char text[ADDRESS_TEXT_SIZE];

    if (getsockname(sock, (struct sockaddr *)&self, &len) < 0) {
        snprintf(error, error_size, "getsockname: %s", strerror(errno));
        return -1;
    }
    format_address((struct sockaddr *)&self, text);
    /* Straight to the descriptor, not through printf's buffer: stdout is a pipe when a
     * test or a script reads it, and the reader waits for this line now. (write_all
     * also survives what stdio does not: a write interrupted by a signal, EINTR,
     * makes glibc's stdio drop its buffer.) */
    char line[sizeof "listening on " + ADDRESS_TEXT_SIZE];
    int line_len = snprintf(line, sizeof line, "listening on %s\n", text);
    if (write_all(STDOUT_FILENO, line, (size_t)line_len) < 0) {
        snprintf(error, error_size, "write stdout: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* --- Stopping on SIGINT and SIGTERM ---------------------------------------------------- */

static int stop_pipe[2] = {-1, -1};

/* The whole signal handler: one write(), which is async-signal-safe. The write end is
 * non-blocking, so even a flood of signals can never block the handler. */
static void on_stop_signal(int signal_number)
{
    int saved_errno = errno; /* the interrupted code may be about to read errno */
    char byte = (char)signal_number;
    /* Retried on EINTR (another signal in between): a lost byte would be a lost stop.
     * Any other failure (EAGAIN: the pipe is full) means a byte is already there. */
    while (write(stop_pipe[1], &byte, 1) < 0 && errno == EINTR)
        ;
    errno = saved_errno;
}

int stop_signals_install(void)
{
    struct sigaction action;

    if (pipe(stop_pipe) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int flags = fcntl(stop_pipe[i], F_GETFL);
        if (flags < 0 || fcntl(stop_pipe[i], F_SETFL, flags | O_NONBLOCK) < 0)
            goto fail;
    }
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        goto fail;
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESTART; /* every wait polls the pipe: no need for EINTR */
    if (sigaction(SIGINT, &action, NULL) < 0 || sigaction(SIGTERM, &action, NULL) < 0)
        goto fail;
    return stop_pipe[0];
fail:;
    int saved_errno = errno;
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
    errno = saved_errno;
    return -1;
}

void stop_signals_remove(void)
{
    /* Ignore first: a late signal must not write into a closed (or reused) fd. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        stop_pipe[i] = -1;
    }
}

/* --- Waiting ---------------------------------------------------------------------------- */

long long monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int wait_for(int fd, short events, int stop_fd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = stop_fd, .events = POLLIN}};
    long long deadline = monotonic_ms() + timeout_ms;

    for (;;) {
        long long left = timeout_ms < 0 ? -1 : deadline - monotonic_ms();
        int n = poll(p, 2, left < 0 && timeout_ms >= 0 ? 0 : (int)left); /* fd -1: skipped */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (p[1].revents != 0) { /* a stop wins over everything else */
            errno = ECANCELED;
            return -1;
        }
        return n > 0 ? 1 : 0;
    }
}

/* --- Sending ---------------------------------------------------------------------------- */

int udp_send(int sock, const void *data, size_t len, const struct sockaddr *to, socklen_t to_len,
             int stop_fd, int wait_ms)
{
    long long deadline = monotonic_ms() + wait_ms;

    for (;;) {
        if (sendto(sock, data, len, 0, to, to_len) >= 0)
            return 0; /* a datagram goes whole or not at all: no short sends */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        long long left = deadline - monotonic_ms();
        if (left <= 0)
            return -1; /* still no room: errno is EAGAIN */
        int ready = wait_for(sock, POLLOUT, stop_fd, (int)left);
        if (ready < 0)
            return -1; /* a stop (ECANCELED) or a poll error */
        if (ready == 0) {
            errno = EAGAIN;
            return -1;
        }
    }
}

int write_all(int fd, const void *data, size_t len)
{
    const char *next = data;

    while (len > 0) {
        ssize_t n = write(fd, next, len);
        if (n >= 0) {
            next += n;
            len -= (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_for(fd, POLLOUT, -1, -1) < 0)
                return -1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}
