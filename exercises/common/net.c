/* net.c -- listening, connecting, accepting, sending, and the stop pipe (see net.h).
 *
 * master: 02-tcp-echo/net.c; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Three names that POSIX.1-2008 does not have, each with its fallback. PORTABLE=1
 * (KIT_PORTABLE) switches all three off on Linux too, so that the fallbacks a Mac runs
 * (macOS hides MSG_DONTWAIT and SO_NOSIGPIPE under _POSIX_C_SOURCE) are tested here.
 * - MSG_NOSIGNAL (Linux, most BSDs) keeps a send to a closed connection from raising
 *   SIGPIPE. Without it, SO_NOSIGPIPE on each socket where that exists, else SIGPIPE is
 *   ignored for the whole process (no_sigpipe): the send fails with EPIPE either way.
 * - MSG_DONTWAIT makes one send or recv non-blocking, leaving the socket as it is.
 *   Without it, the socket itself is made non-blocking (O_NONBLOCK) for the call and put
 *   back after (net_send_all), or for good when it is about to be closed
 *   (net_close_gracefully).
 * - SO_NOSIGPIPE (macOS, the BSDs): see no_sigpipe. */
#if defined(MSG_NOSIGNAL) && !defined(KIT_PORTABLE)
#define NO_SIGPIPE MSG_NOSIGNAL
#else
#define NO_SIGPIPE 0
#endif
#if defined(MSG_DONTWAIT) && !defined(KIT_PORTABLE)
#define DONT_WAIT MSG_DONTWAIT
#else
#define DONT_WAIT 0
#endif

/* How long accept waits before trying again when the process has no descriptor left. */
#define ACCEPT_RETRY_MS 100
/* The most descriptors net_raise_fd_limit asks for: enough for any server of the kit. */
#define NET_FD_LIMIT_MAX ((rlim_t)1 << 20)

/* --- Addresses ------------------------------------------------------------------------ */

char *net_format_address(const struct sockaddr *address, char *text, size_t size)
{
    char host[NET_ADDRESS_SIZE - 8], port[8];
    socklen_t length =
        address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_in plain;

    /* ::ffff:127.0.0.1 is an IPv4 peer seen through an IPv6 socket: show it as IPv4.
     * (Compared by hand: IN6_IS_ADDR_V4MAPPED is in POSIX only as part of an option.) */
    if (address->sa_family == AF_INET6) {
        static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        const struct sockaddr_in6 *six = (const struct sockaddr_in6 *)address;
        if (memcmp(six->sin6_addr.s6_addr, v4_mapped, sizeof v4_mapped) == 0) {
            memset(&plain, 0, sizeof plain);
            plain.sin_family = AF_INET;
            plain.sin_port = six->sin6_port;
            memcpy(&plain.sin_addr, &six->sin6_addr.s6_addr[12], 4);
            address = (const struct sockaddr *)&plain;
            length = sizeof plain;
        }
    }
    /* NI_NUMERICHOST: the address as digits, never a (slow) reverse DNS lookup. */
    if ((address->sa_family != AF_INET && address->sa_family != AF_INET6) ||
        getnameinfo(address, length, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(text, size, "?");
    else
        snprintf(text, size, address->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    return text;
}

char *net_peer_address(int fd, char *text, size_t size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof address;

    if (getpeername(fd, (struct sockaddr *)&address, &length) != 0) {
        snprintf(text, size, "?"); /* already reset by the peer: ENOTCONN */
        return text;
    }
    return net_format_address((struct sockaddr *)&address, text, size);
}

struct addrinfo *net_resolve(const char *host, int port, int socktype, int flags, char *error,
                             size_t error_size)
{
    struct addrinfo hints, *list;
    char service[8];

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever HOST is */
    hints.ai_socktype = socktype;
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

/* fcntl's read-modify-write of one flag: F_GETFL/F_SETFL (O_NONBLOCK) or F_GETFD/F_SETFD
 * (FD_CLOEXEC). */
static int set_flag(int fd, int get, int set, int flag, bool on)
{
    int flags = fcntl(fd, get);
    if (flags < 0)
        return -1;
    return fcntl(fd, set, on ? flags | flag : flags & ~flag);
}

int net_set_blocking(int fd, bool blocking)
{
    return set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, !blocking);
}

/* For each new connection: a send on it must never raise SIGPIPE, even in a program that
 * forgot to ignore it (net_send_all promises so). MSG_NOSIGNAL does that per call; without
 * it, SO_NOSIGPIPE (macOS, the BSDs) does it per socket; with neither, SIGPIPE is ignored
 * for the whole process, the one way POSIX has. */
static void no_sigpipe(int fd)
{
#if defined(SO_NOSIGPIPE) && !defined(KIT_PORTABLE)
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#else
    (void)fd;
    if (NO_SIGPIPE == 0)
        net_ignore_sigpipe();
#endif
}

/* --- Listening ------------------------------------------------------------------------ */

int net_listen(const char *host, int port, char *error, size_t error_size)
{
    struct addrinfo *list = net_resolve(host, port, SOCK_STREAM, AI_PASSIVE, error, error_size);
    int fd = -1;

    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[NET_ADDRESS_SIZE];
        const char *step = "socket";
        const int on = 1;

        net_format_address(ai->ai_addr, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            goto next;
        /* SO_REUSEADDR: restart at once on the same port, even while connections of the
         * last run linger in TIME_WAIT (without it: "Address already in use"). */
        step = "setsockopt SO_REUSEADDR";
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
            goto next;
        step = "bind";
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
            goto next;
        /* SOMAXCONN, not the lectures' listen(1) or listen(5): a burst of clients waits in
         * the kernel's queue while the server is busy, instead of being held back. */
        step = "listen";
        if (listen(fd, SOMAXCONN) < 0)
            goto next;
        step = "fcntl FD_CLOEXEC";
        if (set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, true) < 0)
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

int net_print_listening(int listener, char *error, size_t error_size)
{
    struct sockaddr_storage self;
    socklen_t length = sizeof self;
    char text[NET_ADDRESS_SIZE];

    if (getsockname(listener, (struct sockaddr *)&self, &length) < 0) {
        snprintf(error, error_size, "getsockname: %s", strerror(errno));
        return -1;
    }
    net_format_address((struct sockaddr *)&self, text, sizeof text);
    /* Straight to the descriptor, not through printf's buffer: stdout is a pipe when a
     * test or a script reads it, and the reader waits for this line now. (net_write_all
     * also survives what stdio does not: a write interrupted by a signal, EINTR, makes
     * glibc's stdio drop its buffer.) */
    char line[sizeof "listening on \n" + NET_ADDRESS_SIZE];
    int line_length = snprintf(line, sizeof line, "listening on %s\n", text);
    if (net_write_all(STDOUT_FILENO, line, (size_t)line_length) < 0) {
        snprintf(error, error_size, "write stdout: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int net_server_start(const char *program, const char *host, int port)
{
    char error[256];

    if (net_stop_install() < 0) {
        fprintf(stderr, "%s: installing signal handlers: %s\n", program, strerror(errno));
        return -1;
    }
    int listener = net_listen(host, port, error, sizeof error);
    if (listener >= 0 && net_set_blocking(listener, false) < 0) {
        snprintf(error, sizeof error, "fcntl O_NONBLOCK: %s", strerror(errno));
    } else if (listener >= 0 && net_print_listening(listener, error, sizeof error) == 0) {
        return listener;
    }
    fprintf(stderr, "%s: %s\n", program, error);
    if (listener >= 0)
        close(listener);
    net_stop_remove();
    return -1;
}

void net_server_end(int listener)
{
    close(listener);
    net_stop_remove();
}

long net_raise_fd_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return -1;
    rlim_t want = limit.rlim_max, had = limit.rlim_cur;
    if (want == RLIM_INFINITY || want > NET_FD_LIMIT_MAX)
        want = NET_FD_LIMIT_MAX; /* "unlimited" is no number of descriptors to allocate */
    /* macOS refuses a soft limit above OPEN_MAX (10240) even under an unlimited hard one:
     * halve the wish until the system takes it. */
    for (; want > had && had != RLIM_INFINITY; want /= 2) {
        limit.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &limit) == 0)
            return (long)want;
    }
    return had == RLIM_INFINITY ? (long)NET_FD_LIMIT_MAX : (long)had;
}

/* --- Connecting ----------------------------------------------------------------------- */

/* Connect a new socket to AI until DEADLINE (a net_monotonic_ms value, or -1: no limit).
 * Returns the connected socket, in blocking mode, or -1 with errno set (ETIMEDOUT when
 * time ran out, ECANCELED on a stop). */
static int connect_one(const struct addrinfo *ai, long long deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    no_sigpipe(fd);
    if (net_set_blocking(fd, false) < 0)
        goto fail;
    /* Non-blocking connect: done at once (loopback may be), or EINPROGRESS while the
     * handshake goes on. EINTR means the same here: the attempt goes on in the kernel. */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR)
            goto fail;
        for (;;) {
            long long left = deadline < 0 ? -1 : deadline - net_monotonic_ms();
            if (deadline >= 0 && left <= 0) {
                errno = ETIMEDOUT;
                goto fail;
            }
            int ready = net_wait(fd, POLLOUT, (int)left);
            if (ready < 0)
                goto fail; /* a stop: ECANCELED */
            if (ready > 0)
                break; /* writable, or an error: SO_ERROR tells which */
        }
        int error = 0;
        socklen_t length = sizeof error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
            goto fail;
        if (error != 0) {
            errno = error;
            goto fail;
        }
    }
    if (net_set_blocking(fd, true) < 0) /* back to blocking, as the caller expects */
        goto fail;
    return fd;

fail:;
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return -1;
}

int net_connect(const char *host, int port, double timeout, char *peer, size_t peer_size,
                char *error, size_t error_size)
{
    long long deadline = timeout > 0 ? net_monotonic_ms() + (long long)(timeout * 1000 + 0.5) : -1;
    struct addrinfo *list = net_resolve(host, port, SOCK_STREAM, 0, error, error_size);
    int fd = -1, saved_errno = EHOSTUNREACH;

    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[NET_ADDRESS_SIZE];
        net_format_address(ai->ai_addr, where, sizeof where);
        if (peer != NULL)
            snprintf(peer, peer_size, "%s", where);
        fd = connect_one(ai, deadline);
        if (fd >= 0)
            break;
        saved_errno = errno;
        snprintf(error, error_size, "connect %s: %s", where,
                 errno == ETIMEDOUT   ? "timed out"
                 : errno == ECANCELED ? "stopped"
                                      : strerror(errno));
        if (errno == ETIMEDOUT || errno == ECANCELED)
            break; /* no time left for the other addresses, or told to stop */
    }
    if (list != NULL)
        freeaddrinfo(list);
    if (fd < 0)
        errno = saved_errno;
    return fd;
}

const char *net_reason(const char *error)
{
    const char *reason = error;
    for (const char *p = strstr(error, ": "); p != NULL; p = strstr(p + 1, ": "))
        reason = p + 2;
    return reason;
}

int net_udp_client(const char *host, int port, struct sockaddr_storage *address, socklen_t *length,
                   char *error, size_t error_size)
{
    struct addrinfo *list = net_resolve(host, port, SOCK_DGRAM, 0, error, error_size);
    int fd = -1;

    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            snprintf(error, error_size, "socket: %s", strerror(errno));
            continue;
        }
        memcpy(address, ai->ai_addr, ai->ai_addrlen);
        *length = ai->ai_addrlen;
    }
    if (list != NULL)
        freeaddrinfo(list);
    return fd;
}

/* --- Stopping on SIGINT and SIGTERM: the self-pipe -------------------------------------- */

static int stop_pipe[2] = {-1, -1};

/* The whole signal handler: one write(), which is async-signal-safe, and errno put back
 * for the code it interrupted. The write end is non-blocking, so even a flood of signals
 * never blocks the handler: a full pipe (EAGAIN) already holds a byte, which is all that
 * matters. A byte lost to EINTR (another signal landing in this very write) would be a
 * lost stop: that is retried (the fault-injection tests found it). */
static void on_stop_signal(int signal_number)
{
    int saved_errno = errno;
    char byte = (char)signal_number;
    while (write(stop_pipe[1], &byte, 1) < 0 && errno == EINTR)
        ;
    errno = saved_errno;
}

int net_stop_install(void)
{
    struct sigaction action;

    if (pipe(stop_pipe) < 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (set_flag(stop_pipe[i], F_GETFL, F_SETFL, O_NONBLOCK, true) < 0 ||
            set_flag(stop_pipe[i], F_GETFD, F_SETFD, FD_CLOEXEC, true) < 0)
            goto fail;
    if (net_ignore_sigpipe() < 0)
        goto fail;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_stop_signal;
    /* SA_RESTART: a write of a log line that the signal interrupts goes on by itself;
     * every wait polls the pipe, and poll and select return EINTR even so. */
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) < 0 || sigaction(SIGTERM, &action, NULL) < 0)
        goto fail;
    return stop_pipe[0];

fail:;
    int saved_errno = errno;
    net_stop_forget();
    errno = saved_errno;
    return -1;
}

int net_stop_fd(void)
{
    return stop_pipe[0];
}

bool net_stop_requested(void)
{
    struct pollfd p = {.fd = stop_pipe[0], .events = POLLIN};
    int n;
    /* A signal interrupting this look (EINTR) says nothing about the pipe: look again.
     * (Under the fault shim's poll:eintr@every=2, a loop whose other waits made the count
     * even always lost this look, and port_monitor never saw its SIGTERM.) */
    while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
        ;
    return stop_pipe[0] >= 0 && n == 1;
}

/* Close both ends of the pipe. */
static void close_stop_pipe(void)
{
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        stop_pipe[i] = -1;
    }
}

void net_stop_remove(void)
{
    /* Ignore first: a late signal must not write into a closed (or reused) descriptor. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    close_stop_pipe();
}

void net_stop_forget(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close_stop_pipe();
}

int net_block_signals(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGCHLD);
    return pthread_sigmask(SIG_BLOCK, &block, old);
}

void net_restore_signals(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

int net_ignore_sigpipe(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &action, NULL);
}

/* --- Waiting, sending, accepting, closing ---------------------------------------------- */

long long net_monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int net_wait(int fd, short events, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = stop_pipe[0], .events = POLLIN}};
    long long deadline = net_monotonic_ms() + timeout_ms;

    for (;;) {
        long long left = timeout_ms < 0 ? -1 : deadline - net_monotonic_ms();
        /* poll skips an entry whose fd is -1: no socket, or no stop pipe */
        int n = poll(p, 2, timeout_ms < 0 ? -1 : left < 0 ? 0 : (int)left);
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

int net_send_all(int fd, const void *data, size_t len)
{
    const char *next = data;
    int status = 0, blocking_flags = -1; /* the flags to put back, when we changed them */

    /* Without MSG_DONTWAIT: the socket itself non-blocking until we are done (see the top
     * of this file). O_NONBLOCK belongs to the socket, not to this call: another thread
     * reading the same socket meanwhile may see EAGAIN (the kit's readers wait for data
     * with net_wait first, and take EAGAIN as "wait again"). */
    if (DONT_WAIT == 0) {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0)
            return -1;
        if ((flags & O_NONBLOCK) == 0) {
            if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -1;
            blocking_flags = flags;
        }
    }
    while (len > 0 && status == 0) {
        /* Non-blocking: take what fits now; when nothing fits, wait for room (or a stop)
         * in net_wait, rather than block inside send() where no signal is seen. */
        ssize_t n = send(fd, next, len, NO_SIGPIPE | DONT_WAIT);
        if (n >= 0) {
            next += n;
            len -= (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            status = net_wait(fd, POLLOUT, -1) < 0 ? -1 : 0;
        } else if (errno != EINTR) {
            status = -1;
        }
    }
    if (blocking_flags >= 0) {
        int saved_errno = errno;
        fcntl(fd, F_SETFL, blocking_flags);
        errno = saved_errno;
    }
    return status;
}

int net_write_all(int fd, const void *data, size_t len)
{
    const char *next = data;

    while (len > 0) {
        ssize_t n = write(fd, next, len);
        if (n >= 0) {
            next += n;
            len -= (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, -1) < 0 && errno != EINTR)
                return -1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

/* Does an accept() error concern one client (or nothing), not the listener? Besides a
 * client that reset while queued (ECONNABORTED, EPROTO) and a signal (EINTR), Linux's
 * accept() passes on a network error already pending on the new connection; its manual
 * says to treat those as EAGAIN for TCP: ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
 * EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH (and ETIMEDOUT, a handshake that timed out). */
static bool about_one_client(int error)
{
    switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case EINTR:
    case EWOULDBLOCK:
#if EAGAIN != EWOULDBLOCK
    case EAGAIN:
#endif
    case ENETDOWN:
    case ENOPROTOOPT:
#ifdef EHOSTDOWN /* not POSIX, nor ENONET: Linux has them */
    case EHOSTDOWN:
#endif
#ifdef ENONET
    case ENONET:
#endif
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case ETIMEDOUT:
        return true;
    default:
        return false;
    }
}

int net_accept_one(int listener, bool blocking, char *peer, size_t peer_size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    int fd = accept(listener, (struct sockaddr *)&address, &length);
    if (fd < 0) {
        if (about_one_client(errno))
            errno = EAGAIN;
        return -1;
    }
    no_sigpipe(fd);
    if (net_set_blocking(fd, blocking) < 0) {
        close(fd);
        errno = EAGAIN; /* cannot happen on a fresh socket; treat it as "no client" */
        return -1;
    }
    net_format_address((struct sockaddr *)&address, peer, peer_size);
    return fd;
}

int net_accept(int listener, int timeout_ms, char *peer, size_t peer_size, const char *program)
{
    long long deadline = net_monotonic_ms() + timeout_ms;
    bool warned = false; /* say "out of descriptors" once, not ten times a second */

    for (;;) {
        long long left = timeout_ms < 0 ? -1 : deadline - net_monotonic_ms();
        int ready = net_wait(listener, POLLIN, timeout_ms < 0 ? -1 : left < 0 ? 0 : (int)left);
        if (ready < 0)
            return -1; /* a stop (ECANCELED) */
        if (ready == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        int fd = net_accept_one(listener, true, peer, peer_size);
        if (fd >= 0 || errno == EAGAIN) {
            if (fd >= 0)
                return fd;
            continue; /* the client left, or another thread took it: wait again */
        }
        if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM) {
            int saved_errno = errno;
            fprintf(stderr, "%s: accept: %s\n", program, strerror(errno));
            errno = saved_errno;
            return -1;
        }
        if (!warned)
            fprintf(stderr, "%s: accept: %s (the client waits; trying every %d ms)\n", program,
                    strerror(errno), ACCEPT_RETRY_MS);
        warned = true;
        /* The client is still queued, so the listener stays readable: polling it now would
         * return at once, forever (a busy loop). Wait on the stop pipe alone for a while. */
        if (net_wait(-1, 0, ACCEPT_RETRY_MS) < 0)
            return -1;
    }
}

void net_close_gracefully(int fd, int linger_ms)
{
    long long deadline = net_monotonic_ms() + linger_ms;
    char discard[4096];

    shutdown(fd, SHUT_WR);
    if (DONT_WAIT == 0) /* (see the top of this file; the socket is ours until close) */
        net_set_blocking(fd, false);
    for (;;) {
        ssize_t n = recv(fd, discard, sizeof discard, DONT_WAIT);
        long long left = deadline - net_monotonic_ms();
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            break;     /* EOF (the polite end) or an error such as a reset */
        if (left <= 0) /* a client that sends forever gets a reset after all */
            break;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            net_wait(fd, POLLIN, (int)left) != 1)
            break;
    }
    close(fd);
}
