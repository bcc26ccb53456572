/* net.c -- listening, connecting, accepting, sending, and the stop pipe (see net.h). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
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

/* getaddrinfo for HOST:PORT (numeric port), filling ERROR when it fails. */
static struct addrinfo *resolve(const char *host, int port, int flags, char *error,
                                size_t error_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list;
    char service[8];

    hints.ai_flags = flags | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &list);
    if (rc != 0) {
        /* getaddrinfo reports its own error codes; EAI_SYSTEM means "see errno". */
        snprintf(error, error_size, "getaddrinfo %s: %s", host,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return NULL;
    }
    return list;
}

int listen_tcp(const char *host, int port, int backlog, char *error, size_t error_size)
{
    struct addrinfo *list = resolve(host, port, AI_PASSIVE, error, error_size);
    int fd = -1;

    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[ADDRESS_TEXT_SIZE];
        const char *step = "socket";
        const int on = 1;

        format_address(ai->ai_addr, where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            goto next;
        /* SO_REUSEADDR: restart at once on the same port, even while connections of
         * the last run linger in TIME_WAIT (without it: "Address already in use"). */
        step = "setsockopt SO_REUSEADDR";
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
            goto next;
        step = "bind";
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
            goto next;
        step = "listen";
        if (listen(fd, backlog) < 0)
            goto next;
        /* Non-blocking, because poll() saying "a client is waiting" does not promise
         * that accept() will find one: the client may have reset in between, and a
         * blocking accept() would then wait for the next client, deaf to signals. */
        step = "fcntl O_NONBLOCK";
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
            goto next;
        continue;
    next:
        snprintf(error, error_size, "%s %s: %s", step, where, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    if (list != NULL)
        freeaddrinfo(list);
    return fd;
}

int print_listening(int listener, char *error, size_t error_size)
{
    struct sockaddr_storage self;
    socklen_t len = sizeof self;
    char text[ADDRESS_TEXT_SIZE];

    if (getsockname(listener, (struct sockaddr *)&self, &len) < 0) {
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

int start_server(const char *program, const char *host, int port, int *stop_fd)
{
    char error[256];

    *stop_fd = stop_signals_install();
    if (*stop_fd < 0) {
        fprintf(stderr, "%s: installing signal handlers: %s\n", program, strerror(errno));
        return -1;
    }
    int listener = listen_tcp(host, port, SOMAXCONN, error, sizeof error);
    if (listener >= 0 && print_listening(listener, error, sizeof error) == 0)
        return listener;
    fprintf(stderr, "%s: %s\n", program, error);
    if (listener >= 0)
        close(listener);
    stop_signals_remove();
    return -1;
}

void stop_server(int listener)
{
    close(listener);
    stop_signals_remove();
}

int connect_tcp(const char *host, int port, char peer[ADDRESS_TEXT_SIZE], char *error,
                size_t error_size)
{
    struct addrinfo *list = resolve(host, port, 0, error, error_size);
    int fd = -1;

    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        format_address(ai->ai_addr, peer);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            snprintf(error, error_size, "socket: %s", strerror(errno));
            continue;
        }
        int rc;
        while ((rc = connect(fd, ai->ai_addr, ai->ai_addrlen)) < 0 && errno == EINTR)
            ; /* (on Linux an interrupted connect goes on in the background: retrying
               * then says EALREADY or EISCONN; our clients set no signal handlers) */
        if (rc < 0) {
            snprintf(error, error_size, "connect %s: %s", peer, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    if (list != NULL)
        freeaddrinfo(list);
    return fd;
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

/* --- Waiting, sending, accepting, closing -------------------------------------------- */

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

int send_all(int fd, const void *data, size_t len, int stop_fd)
{
    const char *next = data;

    while (len > 0) {
        /* MSG_DONTWAIT: take what fits now; when nothing fits, wait for room (or a
         * stop) in wait_for, rather than block inside send() where no signal is seen. */
        ssize_t n = send(fd, next, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            next += n;
            len -= (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_for(fd, POLLOUT, stop_fd, -1) < 0)
                return -1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
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

int accept_client(int listener, int stop_fd, char peer[ADDRESS_TEXT_SIZE], const char *program)
{
    static bool warned; /* say "out of descriptors" once, not ten times a second */

    for (;;) {
        struct sockaddr_storage address;
        socklen_t len = sizeof address;

        if (wait_for(listener, POLLIN, stop_fd, -1) < 0)
            return -1;
        int fd = accept(listener, (struct sockaddr *)&address, &len);
        if (fd >= 0) {
            warned = false;
            format_address((struct sockaddr *)&address, peer);
            return fd;
        }
        switch (errno) {
        case EAGAIN:       /* (EWOULDBLOCK is the same number on Linux) */
        case ECONNABORTED: /* the client reset while it waited in the queue */
        case EPROTO:
        case EPERM: /* a firewall said no */
        case EINTR:
            continue;
        case EMFILE: /* out of file descriptors: this process, ... */
        case ENFILE: /* ... or the whole system */
        case ENOBUFS:
        case ENOMEM:
            if (!warned)
                fprintf(stderr, "%s: accept: %s (the client waits; trying every 100 ms)\n", program,
                        strerror(errno));
            warned = true;
            /* The client is still queued, so the listener stays readable: polling it
             * now would return at once, forever (a busy loop). Wait on the stop pipe
             * alone for a while instead. */
            if (wait_for(-1, 0, stop_fd, 100) < 0)
                return -1;
            continue;
        default: {
            int saved_errno = errno;
            fprintf(stderr, "%s: accept: %s\n", program, strerror(errno));
            errno = saved_errno;
            return -1;
        }
        }
    }
}

void close_gracefully(int fd, int stop_fd, int linger_ms)
{
    long long deadline = monotonic_ms() + linger_ms;
    char discard[4096];

    shutdown(fd, SHUT_WR);
    for (;;) {
        ssize_t n = recv(fd, discard, sizeof discard, MSG_DONTWAIT);
        long long left = deadline - monotonic_ms();
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            break;     /* EOF (the polite end) or an error such as a reset */
        if (left <= 0) /* a client that sends forever gets a reset after all */
            break;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            wait_for(fd, POLLIN, stop_fd, (int)left) != 1)
            break;
    }
    close(fd);
}
