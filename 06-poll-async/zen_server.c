/* zen_server.c -- the lecture's asynchronous server: one thread, poll(), many clients.
 *
 * Translates lecture 000, "Asynchronous Server" (fopnp chapter07 srv_async.py):
 *
 *     def all_events_forever(poll_object):
 *         while True:
 *             for fd, event in poll_object.poll():
 *                 yield fd, event
 *
 *     def serve(listener):
 *         sockets = {listener.fileno(): listener}
 *         addresses = {}
 *         bytes_received = {}
 *         bytes_to_send = {}
 *         poll_object = select.poll()
 *         poll_object.register(listener, select.POLLIN)
 *         for fd, event in all_events_forever(poll_object):
 *             sock = sockets[fd]
 *             if event & (select.POLLHUP | select.POLLERR | select.POLLNVAL): ... forget it
 *             elif sock is listener: accept, setblocking(False), register(sock, POLLIN)
 *             elif event & select.POLLIN: recv(4096); a whole question? answer it and
 *                                         poll_object.modify(sock, select.POLLOUT)
 *             elif event & select.POLLOUT: send; all sent? modify(sock, select.POLLIN)
 *
 * The same design in C: a table from fd to the connection's state (the four
 * dictionaries become one struct connection), POLLIN while reading, POLLOUT while an
 * answer is pending, a partial send kept for the next POLLOUT. It speaks the zen
 * protocol (zen.h): "Beautiful is better than?" -> "Ugly.", and so on.
 *
 * Where it differs from the Python, and why:
 * - The Python closes a socket and leaves the cleanup to a later POLLNVAL
 *   ("next poll() will POLLNVAL, and thus clean up"). But accept() hands out the
 *   lowest free fd number: a new client gets the number first, and the stale POLLNVAL
 *   then tears down the NEW connection (sockets[fd] is the new socket by then). Under
 *   load the Python loses clients this way. Here a connection is forgotten and closed
 *   at once, in one place (close_connection), and its poll entry is disabled so that
 *   nothing left in this round's results can reach the number's next owner.
 * - Two questions in one segment get two answers (the Python's endswith(b'?') merges
 *   them into one unknown question); a question of 4096 bytes with no '?' closes that
 *   client (the Python would buffer forever).
 * - listen() backlog SOMAXCONN (the Python's 64 drops connections in a burst), at
 *   most 64 accepts per round (a connect storm cannot starve the connected clients),
 *   and accept() failing for lack of file descriptors pauses accepting instead of
 *   spinning. SIGTERM/SIGINT stop it cleanly through a self-pipe.
 * - Room for many clients: at start the soft limit on descriptors (RLIMIT_NOFILE) is
 *   raised as far as the hard limit allows (net.c: net_raise_fd_limit). Shells start programs with 1024
 *   (Linux) or 256 (macOS), which would refuse clients with EMFILE long before the
 *   system runs out.
 *
 * The socket calls are in net.c: net_server_start (getaddrinfo, socket, bind, listen,
 * a non-blocking listener, the self-pipe for SIGINT and SIGTERM, the listening line)
 * and net_accept_one (accept, non-blocking, the client's address as text). SIGPIPE is
 * ignored there, so a send to a client that is gone fails with EPIPE instead.
 *
 * Usage: zen_server [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 1060)
 *
 * Try:   terminal 1: ./zen_server
 *        terminal 2: ./zen_client            (three questions, three answers)
 *                    ./zen_client -e        (terminal 1 logs a close mid-question)
 *                    printf 'Simple is better than?Explicit is better than?' | nc -q1 127.0.0.1 1060
 * See also: zen.c (the protocol), async_echo.c (the same loop behind an interface).
 */
#include "cli.h"
#include "net.h"
#include "room.h"
#include "zen.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "zen_server"
#define USAGE   "Usage: zen_server [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 1060)"

enum {
    RECV_SIZE = 4096,       /* sock.recv(4096), as in the lecture */
    ACCEPTS_PER_EVENT = 64, /* then serve the clients: a connect storm cannot starve them */
    ACCEPT_PAUSE_MS = 100,  /* out of fds: try accept() again this much later */
    LISTENER_SLOT = 0,      /* fixed places in the poll set */
    STOP_SLOT = 1,
};

/* Everything the lecture keeps in its four dictionaries, for one client. */
struct connection {
    bool in_use;
    int slot;                       /* where its fd sits in the pollfd array */
    char address[NET_ADDRESS_SIZE]; /* addresses[sock] */
    struct zen_conversation talk;   /* bytes_received[sock] and bytes_to_send[sock] */
};

struct server {
    struct pollfd *fds; /* the poll set: listener, self-pipe, clients */
    int nfds, fds_size;
    struct connection *connections; /* connections[fd]: sockets[fd] in the lecture */
    int connections_size;
    bool quiet, accept_paused, closed_since_pause;
    long long resume_ms;
};

/* Write up to 40 bytes of a client's data into TEXT (at least 4 * 40 + 4 bytes) with
 * anything unprintable escaped: the log is a terminal, and a client's bytes must not
 * drive it. */
static void escape(const char *data, size_t len, char *text)
{
    for (size_t i = 0; i < len && i < 40; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch >= 32 && ch < 127 && ch != '\\' && ch != '\'')
            *text++ = (char)ch;
        else
            text += sprintf(text, "\\x%02x", ch);
    }
    strcpy(text, len > 40 ? "..." : "");
}

/* Forget a client AT ONCE: close the socket, clear its table entry, and disable its
 * poll entry (fd -1 makes poll() and the rest of this round skip it). This is the
 * rule the Python breaks. If we closed now and cleaned up at some later event, the
 * next accept() could reuse the fd number first, and the late cleanup would hit the
 * new client. The disabled entries are squeezed out after the round (compact). */
static void close_connection(struct server *server, int fd, const char *why)
{
    struct connection *c = &server->connections[fd];
    if (!server->quiet) {
        if (why != NULL) { /* the lecture's three kinds of goodbye, plus errors */
            fprintf(stderr, "Client %s: %s\n", c->address, why);
        } else if (c->talk.received_len > 0) {
            char text[4 * 40 + 4];
            escape(c->talk.received, c->talk.received_len, text);
            fprintf(stderr, "Client %s closed mid-question after %zu bytes: '%s'\n", c->address,
                    c->talk.received_len, text);
        } else if (c->talk.to_send_len > 0) {
            fprintf(stderr, "Client %s closed before we sent %zu bytes\n", c->address,
                    c->talk.to_send_len);
        } else {
            fprintf(stderr, "Client %s closed socket normally\n", c->address);
        }
    }
    close(fd);
    server->fds[c->slot].fd = -1;
    zen_conversation_free(&c->talk);
    c->in_use = false;
    server->closed_since_pause = true;
}

/* Squeeze the disabled entries out of the poll set (after a round, never during:
 * moving entries while walking the array would skip some or visit some twice). */
static void compact(struct server *server)
{
    int kept = 0;
    for (int i = 0; i < server->nfds; i++) {
        if (i > STOP_SLOT && server->fds[i].fd < 0)
            continue; /* closed during the round */
        server->fds[kept] = server->fds[i];
        if (i > STOP_SLOT)
            server->connections[server->fds[kept].fd].slot = kept;
        kept++;
    }
    server->nfds = kept;
}

/* Make room for one more poll entry, fds[nfds], and for connections[FD] (room.c: each
 * table doubles when the index is past its end). Returns 0 or -1. */
static int make_room_for(struct server *server, int fd)
{
    struct pollfd *fds = make_room(server->fds, &server->fds_size, sizeof *fds, server->nfds);
    if (fds == NULL)
        return -1;
    server->fds = fds;
    struct connection *connections =
        make_room(server->connections, &server->connections_size, sizeof *connections, fd);
    if (connections == NULL)
        return -1;
    server->connections = connections;
    return 0;
}

/* The lecture's "elif sock is listener": accept, non-blocking, register for POLLIN.
 * New entries go to the end of the poll set; this round does not look at them. At
 * most ACCEPTS_PER_EVENT at a time, failures included: whoever still waits is taken
 * at the next round (poll reports the listener again), after the others are served. */
static void accept_clients(struct server *server)
{
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        char address[NET_ADDRESS_SIZE];
        int fd = net_accept_one(server->fds[LISTENER_SLOT].fd, false, address, sizeof address);
        if (fd < 0) {
            /* EAGAIN: nobody waiting (or that client gave up, or a signal came): poll()
             * reports the listener again at the next round if somebody still is. */
            if (errno == EAGAIN)
                return;
            /* EMFILE and friends: the listener stays readable while clients wait in
             * the backlog, so poll() would wake us at once, forever. Stop listening
             * until a client leaves or 100 ms pass; the waiting clients keep. */
            if (!server->quiet)
                fprintf(stderr, "accept: %s: pausing accept\n", strerror(errno));
            server->fds[LISTENER_SLOT].events = 0;
            server->accept_paused = true;
            server->closed_since_pause = false;
            server->resume_ms = net_monotonic_ms() + ACCEPT_PAUSE_MS;
            return;
        }
        if (make_room_for(server, fd) < 0) {
            fprintf(stderr, "%s: cannot take a client: %s\n", PROGRAM, strerror(errno));
            close(fd);
            continue;
        }
        struct connection *c = &server->connections[fd];
        c->in_use = true;
        c->slot = server->nfds;
        memcpy(c->address, address, sizeof c->address);
        zen_conversation_init(&c->talk);
        server->fds[server->nfds++] = (struct pollfd){.fd = fd, .events = POLLIN};
        if (!server->quiet)
            fprintf(stderr, "Accepted connection from %s\n", c->address);
    }
}

/* The lecture's "elif event & select.POLLIN": one recv, answer whatever questions
 * are now complete, and switch to POLLOUT if there is something to send. */
static void receive_questions(struct server *server, int fd)
{
    struct connection *c = &server->connections[fd];
    char data[RECV_SIZE];
    ssize_t n = recv(fd, data, sizeof data, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            close_connection(server, fd, strerror(errno));
        return;
    }
    if (n == 0) { /* end-of-file: the client closed */
        close_connection(server, fd, NULL);
        return;
    }
    switch (zen_receive(&c->talk, data, (size_t)n)) {
    case ZEN_OK:
        break;
    case ZEN_TOO_LONG:
        close_connection(server, fd, "4096 bytes and no '?': not a question, closing");
        return;
    case ZEN_NO_MEMORY:
        close_connection(server, fd, "out of memory for its answers; closing");
        return;
    }
    /* While answers are pending we only wait to send (as the lecture does): a client
     * that asks without reading stops being read, so what we hold for it stays
     * bounded (one recv's worth of answers), and it stalls nobody else. */
    if (c->talk.to_send_len > 0)
        server->fds[c->slot].events = POLLOUT;
}

/* The lecture's "elif event & select.POLLOUT": send what the socket takes, keep the
 * rest (data[n:]) for the next POLLOUT; all sent: back to POLLIN. */
static void send_answers(struct server *server, int fd)
{
    struct connection *c = &server->connections[fd];
    ssize_t n = send(fd, c->talk.to_send, c->talk.to_send_len, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            close_connection(server, fd, NULL); /* EPIPE/ECONNRESET: it left early */
        return;
    }
    zen_sent(&c->talk, (size_t)n);
    if (c->talk.to_send_len == 0)
        server->fds[c->slot].events = POLLIN;
}

/* One client's events. The order matters:
 * - POLLERR: the connection is broken (reset): nothing more can be read or sent.
 * - POLLNVAL: an fd that is not open. It cannot happen here (we never leave a closed
 *   fd in the set, that is the point); if it did, forget the entry, never close(fd):
 *   the number may belong to someone else by now.
 * - POLLHUP may come WITH data still to read (POLLIN too): read first, and recv()
 *   returns 0 once the data is gone. Closing at once, as the Python does, could drop
 *   a last question. */
static void serve_client(struct server *server, int slot)
{
    int fd = server->fds[slot].fd;
    short revents = server->fds[slot].revents;
    struct connection *c = &server->connections[fd];

    if (revents & POLLNVAL) {
        fprintf(stderr, "%s: fd %d is not open (a bug): forgetting it\n", PROGRAM, fd);
        server->fds[slot].fd = -1;
        zen_conversation_free(&c->talk);
        c->in_use = false;
    } else if (revents & POLLERR) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        close_connection(server, fd, error ? strerror(error) : "socket error");
    } else if (server->fds[slot].events == POLLIN && (revents & (POLLIN | POLLHUP))) {
        receive_questions(server, fd);
    } else if (server->fds[slot].events == POLLOUT && (revents & (POLLOUT | POLLHUP))) {
        send_answers(server, fd); /* after a hang-up, send fails and closes it */
    }
}

/* all_events_forever() and serve() in one loop: wait, then look at each entry that
 * poll() marked. Only the first N entries are looked at: those accepted during the
 * round were not part of this poll() call. */
static int serve(struct server *server)
{
    for (;;) {
        int timeout = -1;
        if (server->accept_paused) {
            long long left = server->resume_ms - net_monotonic_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        int n = server->nfds;
        int ready = poll(server->fds, (nfds_t)n, timeout);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            fprintf(stderr, "%s: poll: %s\n", PROGRAM, strerror(errno));
            return 1;
        }
        if (server->fds[STOP_SLOT].revents != 0)
            return 0; /* SIGTERM or SIGINT: the self-pipe has a byte */
        for (int i = STOP_SLOT + 1; i < n; i++)
            if (server->fds[i].fd >= 0 && server->fds[i].revents != 0)
                serve_client(server, i);
        if (server->fds[LISTENER_SLOT].revents & POLLIN)
            accept_clients(server);
        compact(server);
        if (server->accept_paused &&
            (server->closed_since_pause || net_monotonic_ms() >= server->resume_ms)) {
            server->accept_paused = false;
            server->fds[LISTENER_SLOT].events = POLLIN;
        }
    }
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 1060, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    net_raise_fd_limit(); /* as many clients as the system allows: see above */
    struct server server = {.quiet = net.quiet};
    if (make_room_for(&server, 0) < 0) { /* both tables, 64 zeroed entries each */
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        return 1;
    }
    int listener = net_server_start(PROGRAM, net.host, net.port);
    if (listener >= 0) {
        /* poll_object.register(listener, select.POLLIN), and the self-pipe beside it */
        server.fds[LISTENER_SLOT] = (struct pollfd){.fd = listener, .events = POLLIN};
        server.fds[STOP_SLOT] = (struct pollfd){.fd = net_stop_fd(), .events = POLLIN};
        server.nfds = 2;
        status = serve(&server);
    } else {
        status = 1; /* net_server_start said why */
    }

    /* Stop: close every client, free everything (valgrind checks), exit 0. */
    for (int i = STOP_SLOT + 1; i < server.nfds; i++)
        if (server.fds[i].fd >= 0)
            close_connection(&server, server.fds[i].fd, "server stopping");
    free(server.fds);
    free(server.connections);
    if (listener >= 0)
        net_server_end(listener);
    return status;
}
