/* async_echo.c -- an echo server on an event loop, with poll or epoll underneath.
 *
 * Lecture 000, "Asynchronous Server", drives poll() by hand (zen_server.c is that
 * translation). Here the same idea sits on loop.h, a small event loop with two
 * backends chosen at run time, as Redis does with ae.c and ae_epoll.c:
 *
 *     poll_object = select.poll()                     loop = loop_create("poll")
 *     poll_object.register(sock, select.POLLIN)       loop_watch(loop, fd, LOOP_READABLE,
 *                                                                on_client, connection)
 *     for fd, event in all_events_forever(...):       while (!stopping)
 *                                                         loop_run_once(loop, timeout)
 *
 * What a real event-loop server needs beyond the lecture's loop:
 * - Per-connection output buffers and write interest only while bytes are pending.
 *   A received chunk is sent at once; only what the kernel refuses is copied to the
 *   connection's buffer, and only then does it ask for LOOP_WRITABLE (asking all the
 *   time would wake the loop for every idle socket, since sockets are almost always
 *   writable).
 * - A bound on that buffer (-m): a client that sends but never reads would make it
 *   grow without limit. Past the bound the client is dropped.
 * - accept() failing with EMFILE (out of file descriptors). The listener stays
 *   readable while clients wait in the backlog, so a level-triggered loop that
 *   simply returns would call accept again at once, forever: 100% CPU. We stop
 *   watching the listener until a connection closes or 100 ms have passed.
 * - Room for thousands of clients: at start the soft limit on descriptors
 *   (RLIMIT_NOFILE) is raised as far as the hard limit allows (net.c: net_raise_fd_limit). Shells start
 *   programs with 1024 (Linux) or 256 (macOS), far below what the system would let
 *   this one loop serve, as Redis raises its own limit to fit maxclients.
 * - SIGTERM/SIGINT through a self-pipe watched like any socket: clean exit 0.
 *
 * The socket calls are in net.c: net_server_start (the stop pipe, a non-blocking
 * listener, the listening line) and net_accept_one (accept a client, non-blocking,
 * with its address as text). SIGPIPE is ignored there (net_stop_install), so a send to
 * a client that is gone fails with EPIPE instead of killing the server.
 *
 * Usage: async_echo [-H HOST] [-p PORT] [-b poll|epoll] [-m BYTES] [-q]
 *        (-b epoll only on Linux: the usage says which backends a build has)
 *
 * Try:   terminal 1: ./async_echo -b poll
 *        terminal 2: ../02-tcp-echo/echo_client -p 50007 hello     (or: nc 127.0.0.1 50007)
 *        ./loadgen -p 50007 -c 100 -d 3     (then again with the server on -b epoll)
 * See also: loop.h (the interface), loop_poll.c and loop_epoll.c (the backends),
 *           zen_server.c (poll by hand), ../05-select-server (select), make bench.
 */
#include "cli.h"
#include "loop.h"
#include "net.h"
#include "room.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "async_echo"
#define USAGE                                                                                      \
    "Usage: async_echo [-H HOST] [-p PORT] [-b " LOOP_BACKENDS "] [-m BYTES] [-q]   (defaults "    \
    "127.0.0.1, 50007, " LOOP_DEFAULT_BACKEND ", 1048576)"

enum {
    READ_CHUNK = 65536,     /* one recv at most this much: one call per readiness event */
    ACCEPTS_PER_EVENT = 64, /* then let the clients run: a connect storm cannot starve them */
    ACCEPT_PAUSE_MS = 100,  /* after EMFILE, try accept again this much later */
};

struct connection {
    struct server *server;
    int fd;
    bool eof;  /* the client shut its side down: close once the output is sent */
    char *out; /* bytes received but not yet echoed: out[out_start .. out_start+out_len) */
    size_t out_start, out_len, out_cap;
    char address[NET_ADDRESS_SIZE]; /* for the log */
};

struct server {
    struct loop *loop;
    int listener;
    bool quiet, stopping;
    size_t max_pending;              /* -m: the bound on a connection's output buffer */
    struct connection **connections; /* connections[fd], for the shutdown */
    int connections_size;
    int open;                /* connections open now */
    bool accept_paused;      /* out of fds: listener not watched for a while */
    bool closed_since_pause; /* an fd was freed: worth trying accept again */
    long long resume_ms;     /* when to try accept again anyway */
    /* Shared by every recv: data is copied to a connection only when the kernel does
     * not take all of it at once. */
    char chunk[READ_CHUNK];
};

static void on_client(struct loop *loop, int fd, int events, void *data);

/* Forget the connection at once: unwatch, close, free. Nothing about it is left for
 * a later event to trip over, even if accept() hands out the same fd number in the
 * very next call. */
static void close_connection(struct server *server, struct connection *c, const char *why)
{
    if (!server->quiet)
        fprintf(stderr, "%s %s%s%s\n", why[0] == '\0' ? "closed" : "dropped", c->address,
                why[0] == '\0' ? "" : ": ", why);
    loop_unwatch(server->loop, c->fd); /* before close: see loop.h */
    close(c->fd);
    server->connections[c->fd] = NULL;
    server->open--;
    server->closed_since_pause = true;
    free(c->out);
    free(c);
}

/* Keep the LEN bytes at DATA that the kernel did not take, after those already
 * waiting. Returns 0, -1 when that would pass the bound, -2 when memory runs out
 * (either way the caller drops the client). */
static int keep_output(struct server *server, struct connection *c, const char *data, size_t len)
{
    if (c->out_len + len > server->max_pending)
        return -1;
    if (c->out_start + c->out_len + len > c->out_cap) {
        /* Slide what is left to the front before growing: the buffer is a queue. */
        if (c->out_start > 0)
            memmove(c->out, c->out + c->out_start, c->out_len);
        c->out_start = 0;
        if (c->out_len + len > c->out_cap) {
            size_t cap = c->out_cap ? c->out_cap : 4096;
            while (cap < c->out_len + len)
                cap *= 2;
            char *bigger = realloc(c->out, cap);
            if (bigger == NULL)
                return -2;
            c->out = bigger;
            c->out_cap = cap;
        }
    }
    memcpy(c->out + c->out_start + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

/* The socket is readable: one recv, then echo what came. */
static void read_client(struct server *server, struct connection *c)
{
    ssize_t n = recv(c->fd, server->chunk, sizeof server->chunk, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return; /* a spurious wake-up: try again at the next event */
        close_connection(server, c, strerror(errno)); /* e.g. reset by the client */
        return;
    }
    if (n == 0) { /* the client is done sending (close, or shutdown(SHUT_WR)) */
        if (c->out_len == 0) {
            close_connection(server, c, "");
            return;
        }
        /* Half-close: it may still read. Send the rest, then close (write_client). */
        c->eof = true;
        if (loop_watch(server->loop, c->fd, LOOP_WRITABLE, on_client, c) < 0)
            close_connection(server, c, strerror(errno));
        return;
    }
    size_t sent = 0;
    if (c->out_len == 0) { /* nothing queued before: the bytes can go out at once */
        ssize_t put = send(c->fd, server->chunk, (size_t)n, 0); /* a gone client: EPIPE */
        if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            close_connection(server, c, strerror(errno));
            return;
        }
        sent = put > 0 ? (size_t)put : 0;
        if (sent == (size_t)n)
            return; /* the common case: no copy, no change of interest */
    }
    bool was_idle = c->out_len == 0;
    int kept = keep_output(server, c, server->chunk + sent, (size_t)n - sent);
    if (kept < 0) {
        char why[128];
        snprintf(why, sizeof why, "more than %zu bytes waiting for it to read (-m)",
                 server->max_pending);
        close_connection(server, c, kept == -1 ? why : "out of memory for its output");
        return;
    }
    if (was_idle &&
        loop_watch(server->loop, c->fd, LOOP_READABLE | LOOP_WRITABLE, on_client, c) < 0)
        close_connection(server, c, strerror(errno));
}

/* The socket is writable and bytes are waiting: send as many as it takes. */
static void write_client(struct server *server, struct connection *c)
{
    ssize_t put = send(c->fd, c->out + c->out_start, c->out_len, 0);
    if (put < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            close_connection(server, c, strerror(errno)); /* EPIPE, ECONNRESET */
        return;
    }
    c->out_start += (size_t)put;
    c->out_len -= (size_t)put;
    if (c->out_len > 0)
        return; /* still more: keep LOOP_WRITABLE */
    /* All sent: give the memory back (a burst should not pin it) and stop asking
     * for writability, or every idle connection would wake the loop. */
    free(c->out);
    c->out = NULL;
    c->out_start = c->out_cap = 0;
    if (c->eof)
        close_connection(server, c, "");
    else if (loop_watch(server->loop, c->fd, LOOP_READABLE, on_client, c) < 0)
        close_connection(server, c, strerror(errno));
}

/* Events on a client socket. Readable first: with a hang-up, data may still wait. */
static void on_client(struct loop *loop, int fd, int events, void *data)
{
    struct connection *c = data;
    struct server *server = c->server;
    (void)loop;
    if ((events & LOOP_READABLE) && !c->eof) {
        read_client(server, c);
        if (server->connections[fd] != c)
            return; /* closed and freed: c must not be touched again */
    }
    if ((events & LOOP_WRITABLE) && c->out_len > 0)
        write_client(server, c);
}

/* Out of fds (or kernel memory): stop watching the listener for a while. The clients
 * wait in the kernel's backlog and are accepted once an fd is free. */
static void pause_accepting(struct server *server, int error)
{
    if (!server->quiet)
        fprintf(stderr, "accept: %s: pausing accept (%d connections open)\n", strerror(error),
                server->open);
    loop_unwatch(server->loop, server->listener);
    server->accept_paused = true;
    server->closed_since_pause = false;
    server->resume_ms = net_monotonic_ms() + ACCEPT_PAUSE_MS;
}

static void on_listener(struct loop *loop, int fd, int events, void *data);

static void resume_accepting(struct server *server)
{
    server->accept_paused = false;
    if (loop_watch(server->loop, server->listener, LOOP_READABLE, on_listener, server) < 0)
        pause_accepting(server, errno); /* try again later */
}

/* The listener is readable: accept the waiting clients (a bounded number per event). */
static void on_listener(struct loop *loop, int fd, int events, void *data)
{
    struct server *server = data;
    (void)events;
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        char address[NET_ADDRESS_SIZE];
        int client = net_accept_one(fd, false, address, sizeof address);
        if (client < 0) {
            /* EAGAIN: nobody else waits (or that one gave up, or a signal came); if somebody
             * still does, the level-triggered loop reports the listener again. Anything
             * else (EMFILE, ENFILE, ENOBUFS, ENOMEM): returning alone would make the loop
             * call us again at once, forever. Pause. */
            if (errno != EAGAIN)
                pause_accepting(server, errno);
            return;
        }
        /* connections[client] (room.c: the table doubles when the fd is past its end) */
        struct connection **table =
            make_room(server->connections, &server->connections_size, sizeof *table, client);
        if (table != NULL)
            server->connections = table;
        struct connection *c = calloc(1, sizeof *c);
        if (c == NULL || table == NULL ||
            loop_watch(loop, client, LOOP_READABLE, on_client, c) < 0) {
            if (!server->quiet)
                fprintf(stderr, "%s: cannot take a client: %s\n", PROGRAM, strerror(errno));
            free(c);
            close(client);
            continue;
        }
        c->server = server;
        c->fd = client;
        memcpy(c->address, address, sizeof c->address);
        server->connections[client] = c;
        server->open++;
        if (!server->quiet)
            fprintf(stderr, "accepted %s\n", c->address);
    }
}

/* The self-pipe is readable: a signal asked us to stop. (Its byte stays there: net.h.) */
static void on_stop(struct loop *loop, int fd, int events, void *data)
{
    struct server *server = data;
    (void)loop;
    (void)fd;
    (void)events;
    server->stopping = true;
}

int main(int argc, char *argv[])
{
    static struct server server = {.listener = -1};
    struct net_options net = {.host = "127.0.0.1", .port = 50007, .min_port = 0};
    int backend = -1; /* -b: an index into loop_backend_names; -1: the default */
    long max_pending = 1 << 20;
    const struct cli_option options[] = {
        {'b', "backend", CLI_CHOICE, &backend, "backend", 0, 0, LOOP_BACKENDS_EXPECTED,
         loop_backend_names},
        {'m', "max-pending", CLI_LONG, &max_pending, "size", 1, 1L << 30, "1 to 1073741824 bytes",
         NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", options, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */
    server.quiet = net.quiet;
    server.max_pending = (size_t)max_pending;

    net_raise_fd_limit(); /* as many clients as the system allows: see above */
    server.loop = loop_create(backend < 0 ? NULL : loop_backend_names[backend]);
    if (server.loop == NULL) {
        fprintf(stderr, "%s: %s backend: %s\n", PROGRAM,
                backend < 0 ? LOOP_DEFAULT_BACKEND : loop_backend_names[backend], strerror(errno));
        return 1;
    }
    server.listener = net_server_start(PROGRAM, net.host, net.port);
    if (server.listener < 0) {
        loop_destroy(server.loop);
        return 1; /* net_server_start said why */
    }
    status = 0;
    if (loop_watch(server.loop, net_stop_fd(), LOOP_READABLE, on_stop, &server) < 0 ||
        loop_watch(server.loop, server.listener, LOOP_READABLE, on_listener, &server) < 0) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, loop_backend(server.loop), strerror(errno));
        status = 1;
        server.stopping = true;
    }

    while (!server.stopping) {
        int timeout = -1;
        if (server.accept_paused) {
            long long left = server.resume_ms - net_monotonic_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        if (loop_run_once(server.loop, timeout) < 0) {
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, loop_backend(server.loop), strerror(errno));
            status = 1;
            break;
        }
        if (server.accept_paused &&
            (server.closed_since_pause || net_monotonic_ms() >= server.resume_ms))
            resume_accepting(&server);
    }

    /* Stop: close every client, free everything (valgrind checks), exit 0. */
    for (int fd = 0; fd < server.connections_size; fd++)
        if (server.connections[fd] != NULL)
            close_connection(&server, server.connections[fd], "");
    free(server.connections);
    loop_destroy(server.loop); /* before the listener and the pipe are closed */
    net_server_end(server.listener);
    return status;
}
