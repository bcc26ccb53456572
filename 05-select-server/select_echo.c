/* select_echo.c -- an echo server in ONE thread: select() watches the listener and every
 * client at once.
 *
 * Lecture 000 uses select.select for the listener and stdin only, and gives each client a
 * thread (select_server.c). Its next step, the "Async Server" (fopnp chapter 7), puts the
 * clients in the multiplexer too, so that one thread serves everyone:
 *
 *     input_ready, output_ready, _ = select.select(inputs, outputs, [])
 *
 * Nothing may block, ever: one blocking call and every client waits. So every socket is
 * non-blocking, and each client has an output buffer (a byte_queue): what we read from a
 * client we send back at once, what its socket does not take now goes to the buffer, and
 * select() tells us when the client can take more (the write set). A client that sends but
 * never reads would make that buffer grow without end: once it holds OUTPUT_LIMIT bytes we
 * stop reading from that client (it leaves the read set) until it has read some. The
 * kernel's buffers then fill up and the client's own send blocks: back-pressure, and our
 * memory stays bounded.
 *
 * (The code calls pselect(), select with a signal mask for the time of the wait:
 * pselect_setup.h.)
 *
 * select() has a hard limit: an fd_set holds descriptors 0 .. FD_SETSIZE-1 (1024 on
 * Linux), and FD_SET of a larger one writes out of bounds. A client whose descriptor is
 * beyond that is refused: closed at once, with a line on stderr; everyone else is served
 * on. (poll and epoll have no such limit: see 06-poll-async.) `-m N` lowers the limit to N,
 * so you can see the refusal without opening a thousand connections. And so that it is
 * FD_SETSIZE that limits the server, not a shell's low default limit on open files
 * (macOS: 256), the server raises its soft limit to the hard one at start, as Redis does
 * to fit its maxclients: beyond FD_SETSIZE a client is then refused at once, rather than
 * left waiting in the listen queue by an accept that fails with EMFILE.
 *
 * The socket calls are in net.c: net_server_start() (getaddrinfo, socket, SO_REUSEADDR,
 * bind, listen, the stop pipe, the listening line) called by pselect_server_start() in
 * pselect_setup.c (the signal mask, the FD_SETSIZE check), net_accept_one() (accept
 * without waiting). pselect(), and the non-blocking recv and send, are here.
 *
 * Usage: select_echo [-H HOST] [-p PORT] [-q] [-m MAX_FD]
 *        (defaults 127.0.0.1, 5000 as lecture 000, MAX_FD = FD_SETSIZE)
 *
 * Try:   terminal 1: ./select_echo -m 8
 *        terminal 2: nc 127.0.0.1 5000      (several of them: from the third on, refused)
 * See also: select_server.c (a thread per client), 06-poll-async/async_echo.c (poll, epoll).
 */
#include "byte_queue.h"
#include "cli.h"
#include "net.h"
#include "pselect_setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "select_echo"
#define USAGE   "Usage: select_echo [-H HOST] [-p PORT] [-q] [-m MAX_FD]   (default port 5000)"

/* Stop reading from a client once this much of its echo waits to be sent. */
#define OUTPUT_LIMIT (256 * 1024)
/* How much one recv may bring. The output queue holds at most OUTPUT_LIMIT + READ_CHUNK. */
#define READ_CHUNK (64 * 1024)
/* How many clients one wake-up of the listener may accept: enough to drain a burst, not so
 * many that the clients already connected wait long. */
#define ACCEPT_BURST 64

struct client {
    int fd;
    char address[NET_ADDRESS_SIZE];
    struct byte_queue output; /* echo not yet sent */
    bool input_closed;        /* the client sent EOF: finish sending, then close */
};

struct server {
    int listener;
    bool quiet;
    int max_fd;                         /* clients must have a descriptor below this */
    struct client *clients[FD_SETSIZE]; /* indexed by descriptor */
    int highest;                        /* the highest descriptor in clients[], or -1 */
    unsigned long closed;               /* clients closed so far */
};

static void close_client(struct server *server, struct client *client, const char *why)
{
    if (!server->quiet)
        fprintf(stderr, "closed %s%s%s\n", client->address, why ? ": " : "", why ? why : "");
    server->clients[client->fd] = NULL;
    server->closed++;
    while (server->highest >= 0 && server->clients[server->highest] == NULL)
        server->highest--;
    close(client->fd);
    byte_queue_free(&client->output);
    free(client);
}

/* Send what the kernel will take of CLIENT's output, without blocking (the socket is
 * non-blocking). A client that has gone costs an EPIPE, not the process: SIGPIPE is
 * ignored (net_server_start). Returns false when the client is gone (closed here). */
static bool flush_output(struct server *server, struct client *client)
{
    while (byte_queue_length(&client->output) > 0) {
        ssize_t sent = send(client->fd, byte_queue_data(&client->output),
                            byte_queue_length(&client->output), 0);
        if (sent > 0) {
            byte_queue_consume(&client->output, (size_t)sent);
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true; /* its buffer is full: select will say when it has room */
        close_client(server, client, strerror(errno));
        return false;
    }
    if (client->input_closed) { /* all echoed after its EOF: done */
        close_client(server, client, NULL);
        return false;
    }
    return true;
}

/* CLIENT's socket is readable: echo what arrived. Most of the time the kernel takes it all
 * at once and nothing is queued; what it does not take goes to the client's output queue,
 * after anything already waiting there (the order of the bytes must not change). */
static void read_input(struct server *server, struct client *client)
{
    static char buffer[READ_CHUNK]; /* one thread: one buffer serves every client */
    ssize_t n = recv(client->fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n < 0) {
        close_client(server, client, strerror(errno)); /* e.g. a reset: only this client */
        return;
    }
    if (n == 0)
        client->input_closed = true; /* half-close: the echo still goes out, then EOF */
    size_t sent = 0;
    if (byte_queue_length(&client->output) == 0 && n > 0) {
        ssize_t put = send(client->fd, buffer, (size_t)n, 0);
        if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            close_client(server, client, strerror(errno));
            return;
        }
        sent = put > 0 ? (size_t)put : 0;
    }
    if ((size_t)n > sent) {
        char *room = byte_queue_reserve(&client->output, (size_t)n - sent);
        if (room == NULL) {
            close_client(server, client, "out of memory");
            return;
        }
        memcpy(room, buffer + sent, (size_t)n - sent);
        byte_queue_commit(&client->output, (size_t)n - sent);
    }
    flush_output(server, client); /* sends the queue if any; closes after a half-close */
}

/* Accept what is waiting (up to ACCEPT_BURST). Returns false when out of descriptors or
 * memory: the caller then leaves the listener alone for a while. */
static bool accept_clients(struct server *server)
{
    for (int i = 0; i < ACCEPT_BURST; i++) {
        char address[NET_ADDRESS_SIZE];
        int fd = net_accept_one(server->listener, false, address, sizeof address);
        if (fd < 0)
            return errno == EAGAIN;
        if (fd >= server->max_fd) {
            /* Logged even with -q: it means the server is full, not a routine event. */
            fprintf(stderr,
                    "%s: refused %s: descriptor %d is beyond what select can watch "
                    "(%d)\n",
                    PROGRAM, address, fd, server->max_fd);
            close(fd);
            continue;
        }
        struct client *client = calloc(1, sizeof *client);
        if (client == NULL) {
            close(fd);
            return false;
        }
        client->fd = fd;
        snprintf(client->address, sizeof client->address, "%s", address);
        server->clients[fd] = client;
        if (fd > server->highest)
            server->highest = fd;
        if (!server->quiet)
            fprintf(stderr, "connected %s\n", address);
    }
    return true;
}

/* The loop: one select, then serve whatever is ready. Returns on SIGINT/SIGTERM (0), or on
 * an error of select itself (1: a bug, not a client's doing). SIGINT and SIGTERM are
 * blocked except inside pselect (WAIT_MASK), so their handler runs only there
 * (pselect_setup.h). */
static int serve(struct server *server, const sigset_t *wait_mask)
{
    /* Out of descriptors, the listener stays readable (its client is still queued), so
     * watching it would wake us at once, forever. Then we leave it out of the set and try
     * again 100 ms later, or as soon as a client leaves (that frees a descriptor). */
    long long retry_accept_at = -1; /* -1: the listener is watched */
    for (;;) {
        fd_set readable, writable;
        FD_ZERO(&readable);
        FD_ZERO(&writable);
        FD_SET(net_stop_fd(), &readable);
        int nfds = net_stop_fd() + 1;
        if (retry_accept_at < 0) {
            FD_SET(server->listener, &readable);
            nfds = server->listener >= nfds ? server->listener + 1 : nfds;
        }
        for (int fd = 0; fd <= server->highest; fd++) {
            struct client *client = server->clients[fd];
            if (client == NULL)
                continue;
            /* Read only while its echo backlog is small: this is the memory bound. */
            if (!client->input_closed && byte_queue_length(&client->output) < OUTPUT_LIMIT)
                FD_SET(fd, &readable);
            if (byte_queue_length(&client->output) > 0)
                FD_SET(fd, &writable);
            nfds = fd >= nfds ? fd + 1 : nfds;
        }

        struct timespec timeout = {0, 0};
        if (retry_accept_at >= 0) {
            long long wait = retry_accept_at - net_monotonic_ms();
            timeout.tv_nsec = wait > 0 ? (long)(wait * 1000 * 1000) : 0;
        }
        int ready = pselect(nfds, &readable, &writable, NULL,
                            retry_accept_at >= 0 ? &timeout : NULL, wait_mask);
        if (ready < 0 && errno == EINTR) {
            if (net_stop_requested()) /* a signal interrupted the wait: SIGINT or SIGTERM? */
                return 0;
            continue;
        }
        if (ready < 0) {
            fprintf(stderr, "%s: select: %s\n", PROGRAM, strerror(errno));
            return 1;
        }
        if (FD_ISSET(net_stop_fd(), &readable))
            return 0;

        unsigned long closed_before = server->closed;
        /* A client may be closed while we walk: look it up again at each step. */
        for (int fd = 0; fd <= server->highest; fd++) {
            if (server->clients[fd] != NULL && FD_ISSET(fd, &readable))
                read_input(server, server->clients[fd]);
            if (server->clients[fd] != NULL && FD_ISSET(fd, &writable))
                flush_output(server, server->clients[fd]);
        }

        bool try_accept = retry_accept_at < 0 ? FD_ISSET(server->listener, &readable)
                                              : net_monotonic_ms() >= retry_accept_at ||
                                                    server->closed != closed_before;
        if (try_accept) {
            if (accept_clients(server)) {
                retry_accept_at = -1;
            } else {
                if (retry_accept_at < 0) /* say it once per episode, not ten times a second */
                    fprintf(stderr, "%s: accept: %s (retrying every 100 ms)\n", PROGRAM,
                            strerror(errno));
                retry_accept_at = net_monotonic_ms() + 100;
            }
        }
    }
}

int main(int argc, char *argv[])
{
    static struct server server; /* static: clients[] is 8 KiB of pointers */
    struct net_options net = {.host = "127.0.0.1", .port = 5000, .min_port = 0};
    server.max_fd = FD_SETSIZE;
    server.highest = -1;
    const struct cli_option options[] = {
        {'m', "max-fd", CLI_INT, &server.max_fd, "descriptor limit", 1, FD_SETSIZE, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", options, false, &net);
    if (status >= 0)
        return status;
    server.quiet = net.quiet;

    sigset_t wait_mask;
    server.listener = pselect_server_start(PROGRAM, net.host, net.port, &wait_mask);
    if (server.listener < 0)
        return 1;

    status = serve(&server, &wait_mask);

    /* Stop: close every client (what was not sent is lost, as with any server killed
     * while busy), then the listener. */
    for (int fd = server.highest; fd >= 0; fd--)
        if (server.clients[fd] != NULL)
            close_client(&server, server.clients[fd], NULL);
    net_server_end(server.listener);
    return status;
}
