/* echo_server.c -- the lecture's echo server: one client at a time, every byte back.
 *
 * Translates lecture 002, "Echo Esimerkki" (Python's socket documentation example):
 *
 *     HOST = '127.0.0.1'
 *     PORT = 50007
 *     with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
 *         s.bind((HOST, PORT))
 *         s.listen(1)
 *         conn, addr = s.accept()
 *         with conn:
 *             print('Connected by', addr)
 *             while True:
 *                 data = conn.recv(1024)
 *                 if not data:
 *                     break
 *                 conn.sendall(data)
 *
 * What it teaches: the server's life cycle, every call of it in this file, each under
 * the lecture line it translates: getaddrinfo (the address), socket, setsockopt
 * (SO_REUSEADDR), bind, listen, accept, the recv/send loop, close. And that TCP is a
 * byte stream: recv returns whatever has arrived, 1 byte or 64 KiB, never "one message";
 * recv returning 0 means the client closed (or only half-closed: shutdown(SHUT_WR), "I
 * have sent everything") its side.
 *
 * Like the lecture it is ITERATIVE: it serves one client until that client closes,
 * and only then accepts the next. Unlike the lecture it does not end after its first
 * client: it loops back to accept() (the lecture's threaded variant does the same).
 * A second client meanwhile is not refused: the kernel completes its connection and
 * queues it (the listen backlog) and its bytes wait in the kernel until our accept().
 *
 * What a C server must add, and takes from net.c (the kit's socket helpers, net.h):
 * stopping on Ctrl-C (SIGINT) and SIGTERM. Python raises KeyboardInterrupt; here a
 * signal handler writes a byte into a pipe (net_stop_install), and every wait polls
 * that pipe beside the socket (net_wait), so the server notices at once wherever it
 * waits. net_send_all is Python's sendall (a loop of send, waiting with net_wait when
 * the client does not read); net_format_address writes an address as text,
 * net_print_listening the "listening on HOST:PORT" line.
 *
 * Usage: echo_server [-H HOST] [-p PORT] [-q]     (default 127.0.0.1:50007)
 *
 * Try:   ./echo_server                  (terminal 1)
 *        ./echo_client hello there      (terminal 2)  -> Received 'hello there'
 *        nc 127.0.0.1 50007             (terminal 2 and 3: the second waits its turn)
 * See also: echo_client.c; 04-threaded-server (many clients at once).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "echo_server"
#define USAGE   "Usage: echo_server [-H HOST] [-p PORT] [-q]   (default 127.0.0.1:50007)"

/* When accept() finds no descriptor left, how long we wait before trying again. */
#define RETRY_MS 100

/* HOST, PORT = '127.0.0.1', 50007; s = socket.socket(...); s.bind((HOST, PORT));
 * s.listen(1). Returns the listening socket, or -1 after one line on stderr
 * ("echo_server: bind 127.0.0.1:50007: Address already in use"). */
static int open_listener(const char *host, int port)
{
    /* (HOST, PORT) -> a socket address. getaddrinfo gives one for each way to reach
     * HOST: IPv4 for 127.0.0.1, IPv6 for ::1, maybe both for localhost. AI_PASSIVE: an
     * address to bind to; AI_NUMERICSERV: the port is a number, not a service name. */
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *addresses;
    char service[8], where[NET_ADDRESS_SIZE], error[256] = "";
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &addresses);
    if (rc != 0) { /* its own error codes; EAI_SYSTEM means "see errno" */
        fprintf(stderr, "%s: getaddrinfo %s: %s\n", PROGRAM, host,
                rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    int s = -1;
    for (struct addrinfo *ai = addresses; ai != NULL && s < 0; ai = ai->ai_next) {
        const int on = 1;
        const char *step = "socket";
        net_format_address(ai->ai_addr, where, sizeof where);
        /* socket.socket(socket.AF_INET, socket.SOCK_STREAM): the family is the
         * address's (AF_INET or AF_INET6), SOCK_STREAM is TCP. */
        s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s < 0)
            goto failed;
        /* s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1) (lecture 003): a restarted server
         * gets its port back at once, even while the last run's connections linger in
         * TIME_WAIT (without it: "Address already in use" for a minute or two). */
        step = "setsockopt SO_REUSEADDR";
        if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
            goto failed;
        /* s.bind((HOST, PORT)): port 0 lets the kernel pick a free one. */
        step = "bind";
        if (bind(s, ai->ai_addr, ai->ai_addrlen) < 0)
            goto failed;
        /* s.listen(1): from now on the kernel completes clients' connections by itself
         * and queues them for accept(). SOMAXCONN, not 1: a burst of clients waits in
         * the queue while we serve one, instead of being turned away. */
        step = "listen";
        if (listen(s, SOMAXCONN) < 0)
            goto failed;
        break;
    failed:
        snprintf(error, sizeof error, "%s %s: %s", step, where, strerror(errno));
        if (s >= 0)
            close(s);
        s = -1;
    }
    freeaddrinfo(addresses);
    /* Non-blocking: poll may say "a client is waiting" and the client reset before our
     * accept(); a blocking accept would then wait for the next client, deaf to signals.
     * Then the one line on stdout, with the port the kernel gave (getsockname). */
    if (s >= 0 && net_set_blocking(s, false) < 0)
        snprintf(error, sizeof error, "fcntl O_NONBLOCK: %s", strerror(errno));
    else if (s >= 0 && net_print_listening(s, error, sizeof error) == 0)
        return s;
    fprintf(stderr, "%s: %s\n", PROGRAM, error);
    if (s >= 0)
        close(s);
    return -1;
}

/* Echo everything CONN sends until it closes, resets, or a stop signal comes.
 * Returns the number of bytes echoed; a problem is described in *WHY (else ""). */
static long long serve_client(int conn, const char **why)
{
    /* One buffer, reused: memory stays the same whatever the client does. The lecture
     * reads 1024 bytes at a time; 64 KiB means fewer system calls for big transfers. */
    static char data[65536];
    long long echoed = 0;

    *why = "";
    for (;;) {
        /* data = conn.recv(1024): wait for data (or a stop), then take what is there. */
        if (net_wait(conn, POLLIN, -1) < 0) {
            *why = errno == ECANCELED ? "server stopping" : strerror(errno);
            return echoed;
        }
        ssize_t n = recv(conn, data, sizeof data, 0);
        if (n == 0) /* if not data: break -- the client closed or half-closed */
            return echoed;
        if (n < 0) {
            /* EINTR: a signal came first (net_wait sees a stop); EAGAIN: nothing after
             * all (on BSD the socket inherits the listener's O_NONBLOCK). */
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            *why = strerror(errno); /* typically "Connection reset by peer" */
            return echoed;
        }
        /* conn.sendall(data): every byte, however many send() calls that takes. A
         * client that never reads makes this wait (for room, or for a stop signal):
         * memory stays bounded because we read no more until this is sent. */
        if (net_send_all(conn, data, (size_t)n) < 0) {
            *why = errno == ECANCELED ? "server stopping" : strerror(errno);
            return echoed;
        }
        echoed += n;
    }
}

/* The accept loop, until a stop signal (exit status 0) or an error (reported: 1). */
static int serve_forever(int s, bool quiet)
{
    bool out_of_fds = false; /* said once, not ten times a second */

    for (;;) {
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof addr;
        char peer[NET_ADDRESS_SIZE];
        const char *why;

        /* conn, addr = s.accept(): wait for a client (or a stop), then take it. */
        if (net_wait(s, POLLIN, -1) < 0) {
            if (errno == ECANCELED)
                return 0; /* a stop signal: the end of the server */
            fprintf(stderr, "%s: poll: %s\n", PROGRAM, strerror(errno));
            return 1;
        }
        int conn = accept(s, (struct sockaddr *)&addr, &addr_len);
        if (conn < 0 && (errno == EMFILE || errno == ENFILE)) {
            /* Out of descriptors: the client stays queued, the listener stays readable,
             * and polling it again would return at once, forever (a busy loop). Say so
             * once, then wait on the stop pipe alone, and try again. */
            if (!out_of_fds)
                fprintf(stderr, "%s: accept: %s (the client waits; trying every %d ms)\n", PROGRAM,
                        strerror(errno), RETRY_MS);
            out_of_fds = true;
            if (net_wait(-1, 0, RETRY_MS) < 0)
                return 0; /* a stop */
            continue;
        }
        if (conn < 0) {
            /* A signal (EINTR), or a client that gave up while queued (ECONNABORTED,
             * EPROTO), or no client after all (EAGAIN): nothing lost, wait again. */
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EAGAIN ||
                errno == EWOULDBLOCK)
                continue;
            fprintf(stderr, "%s: accept: %s\n", PROGRAM, strerror(errno));
            return 1;
        }
        out_of_fds = false;
        net_format_address((struct sockaddr *)&addr, peer, sizeof peer);
        if (!quiet)
            fprintf(stderr, "connected %s\n", peer); /* print('Connected by', addr) */
        long long echoed = serve_client(conn, &why);
        close(conn); /* the `with conn:` block ends */
        if (!quiet)
            fprintf(stderr, "closed %s after echoing %lld bytes%s%s\n", peer, echoed,
                    *why ? ": " : "", why);
    }
}

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 50007, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &options);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    /* Ctrl-C and SIGTERM write to the stop pipe from now on (and SIGPIPE is ignored: a
     * send to a client that is gone fails with EPIPE instead of killing us). */
    if (net_stop_install() < 0) {
        fprintf(stderr, "%s: installing signal handlers: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    int s = open_listener(options.host, options.port);
    if (s >= 0) {
        status = serve_forever(s, options.quiet);
        close(s); /* the `with socket.socket(...) as s:` block ends */
    }
    net_stop_remove();
    return s >= 0 ? status : 1;
}
