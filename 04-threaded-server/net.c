/* net.c -- listening, addresses, send_all, accept without spinning, and the self-pipe
 * that turns SIGINT/SIGTERM into something poll() can wait for (see net.h). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* MSG_NOSIGNAL is Linux and most BSDs; where it is missing, the programs' SIG_IGN for
 * SIGPIPE does the same job. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* How long a server waits before trying accept again when it has no descriptor left. */
#define ACCEPT_RETRY_MS 100

/* --- Stopping on a signal ----------------------------------------------------------------- */

static int stop_pipe[2] = {-1, -1};

/* Async-signal-safe: only write(2), and errno is put back for the code we interrupted. */
static void on_stop_signal(int signal_number)
{
    int saved_errno = errno;
    (void)signal_number;
    /* A full pipe (EAGAIN) is fine: one byte already in it is all that matters. EINTR
     * (another signal came first) is not: the byte is not there, and the stop would be
     * lost. The fault-injection tests found that: try again. */
    while (write(stop_pipe[1], "", 1) < 0 && errno == EINTR)
        ;
    errno = saved_errno;
}

static int set_flag(int fd, int get, int set, int flag)
{
    int flags = fcntl(fd, get);
    return flags < 0 ? -1 : fcntl(fd, set, flags | flag);
}

int stop_signals_install(void)
{
    if (pipe(stop_pipe) < 0)
        return -1;
    /* The handler must never block on a full pipe, and a child we exec (none here, but
     * habits matter) must not inherit it. */
    for (int i = 0; i < 2; i++)
        if (set_flag(stop_pipe[i], F_GETFL, F_SETFL, O_NONBLOCK) < 0 ||
            set_flag(stop_pipe[i], F_GETFD, F_SETFD, FD_CLOEXEC) < 0)
            goto fail;

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: accept, poll and recv return EINTR */
    if (sigaction(SIGINT, &action, NULL) < 0 || sigaction(SIGTERM, &action, NULL) < 0)
        goto fail;
    return 0;

fail:;
    int saved = errno;
    stop_signals_uninstall();
    errno = saved;
    return -1;
}

int stop_fd(void)
{
    return stop_pipe[0];
}

bool stop_requested(void)
{
    struct pollfd p = {.fd = stop_pipe[0], .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

void stop_signals_uninstall(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        stop_pipe[i] = -1;
    }
}

int signals_block(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGCHLD);
    return pthread_sigmask(SIG_BLOCK, &block, old);
}

void signals_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* --- Starting and ending a server --------------------------------------------------------- */

int server_open(const char *program, const char *host, const char *port, bool nonblocking,
                bool announce)
{
    char error[256];
    signal(SIGPIPE, SIG_IGN);
    if (stop_signals_install() < 0) {
        fprintf(stderr, "%s: signal setup: %s\n", program, strerror(errno));
        return -1;
    }
    int listener = tcp_listen(host, port, error, sizeof error);
    if (listener < 0) {
        fprintf(stderr, "%s: %s\n", program, error);
        stop_signals_uninstall();
        return -1;
    }
    if ((nonblocking && set_blocking(listener, false) < 0) ||
        (announce && print_listening(listener) < 0)) {
        fprintf(stderr, "%s: listener setup: %s\n", program, strerror(errno));
        close(listener);
        stop_signals_uninstall();
        return -1;
    }
    return listener;
}

/* --- Sockets ---------------------------------------------------------------------------- */

int tcp_listen(const char *host, const char *port, char *error, size_t error_size)
{
    struct addrinfo hints, *list;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever HOST is */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;

    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        snprintf(error, error_size, "getaddrinfo %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int listener = -1;
    for (struct addrinfo *ai = list; ai != NULL && listener < 0; ai = ai->ai_next) {
        char where[ADDRESS_SIZE];
        const char *step = "socket";
        int one = 1;
        address_text(ai->ai_addr, where, sizeof where);
        listener = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (listener < 0)
            goto next;
        /* SO_REUSEADDR: restart at once on the same port, even while old connections of
         * the previous run linger in TIME_WAIT (Python: allow_reuse_address = True). */
        step = "setsockopt SO_REUSEADDR";
        if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
            goto next;
        step = "bind";
        if (bind(listener, ai->ai_addr, ai->ai_addrlen) < 0)
            goto next;
        /* SOMAXCONN, not the lectures' 1 or 5: a burst of clients waits in the kernel's
         * queue instead of being refused while the server is busy accepting. */
        step = "listen";
        if (listen(listener, SOMAXCONN) < 0)
            goto next;
        continue;
    next:
        snprintf(error, error_size, "%s %s: %s", step, where, strerror(errno));
        if (listener >= 0)
            close(listener);
        listener = -1;
    }
    freeaddrinfo(list);
    return listener;
}

int print_listening(int listener)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    char text[ADDRESS_SIZE];

    if (getsockname(listener, (struct sockaddr *)&address, &length) < 0)
        return -1;
    address_text((struct sockaddr *)&address, text, sizeof text);
    printf("listening on %s\n", text);
    return fflush(stdout) == 0 ? 0 : -1;
}

void address_text(const struct sockaddr *address, char *text, size_t size)
{
    char host[INET6_ADDRSTRLEN], port[8];
    socklen_t length =
        address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(address, length, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(text, size, "?");
    else if (address->sa_family == AF_INET6)
        snprintf(text, size, "[%s]:%s", host, port);
    else
        snprintf(text, size, "%s:%s", host, port);
}

int set_blocking(int fd, bool blocking)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    flags = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t sent = send(fd, p, len, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0)
            return -1;
        p += sent;
        len -= (size_t)sent;
    }
    return 0;
}

int wait_for_input(int fd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n = poll(p, 2, timeout_ms); /* poll skips an entry whose fd is -1 */
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    if (p[0].revents != 0)
        return -1;
    return n > 0 ? 1 : 0;
}

int accept_client(int listener, char *peer, size_t peer_size, const char *program, int timeout_ms)
{
    bool waiting_for_resources = false;

    for (;;) {
        int ready = waiting_for_resources ? wait_for_input(-1, ACCEPT_RETRY_MS)
                                          : wait_for_input(listener, timeout_ms);
        if (ready < 0)
            return ACCEPT_STOP;
        if (ready == 0 && !waiting_for_resources) {
            if (timeout_ms >= 0)
                return ACCEPT_TIMEOUT;
            continue; /* EINTR: a signal (SIGCHLD...) interrupted the wait; retry */
        }

        struct sockaddr_storage address;
        socklen_t length = sizeof address;
        int fd = accept(listener, (struct sockaddr *)&address, &length);
        if (fd >= 0) {
            /* Linux does not pass the listener's O_NONBLOCK on, BSD does: say what we want. */
            if (set_blocking(fd, true) < 0) {
                close(fd);
                continue;
            }
            address_text((struct sockaddr *)&address, peer, peer_size);
            return fd;
        }
        switch (errno) {
        case EINTR:  /* a signal arrived during accept: retry */
        case EAGAIN: /* another thread or process took it, or it left: wait again */
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case ECONNABORTED: /* the client reset before we accepted it: its problem only */
        case EPROTO:
            waiting_for_resources = false;
            continue;
        default:
            /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending client stays in the queue and
             * the listener readable. Say it once, then retry at a calm pace. */
            if (!waiting_for_resources)
                fprintf(stderr, "%s: accept: %s (retrying every %d ms)\n", program, strerror(errno),
                        ACCEPT_RETRY_MS);
            waiting_for_resources = true;
        }
    }
}
