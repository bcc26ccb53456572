/* chat_server.c -- REFERENCE SOLUTION of exercise 05-chat-server: a chat server in one
 * thread, with poll(2).
 *
 * Lecture 002 ends with "Tehtävä 2: Toteuttaa chatti serverin" (task 2: write the chat
 * server for the chat clients of task 1). This is it, the way lecture 000's "Asynchronous
 * Server" does things: one thread, one poll() over the listener and every client.
 *
 * The protocol (README.md has it byte for byte): every complete line a client sends goes
 * to every OTHER client as "HOST:PORT: line\n", HOST:PORT being the sender's address as the
 * server sees it; "* HOST:PORT joined\n" and "* HOST:PORT left\n" go to every client but the
 * one concerned. A partial line waits for its '\n'; a line over 4096 bytes disconnects its
 * sender; a client that does not read (1 MiB waiting for it) is disconnected, so that it
 * never holds up the others and memory stays bounded.
 *
 * What makes it work:
 * - every client socket is non-blocking and has its own output queue: a send() that would
 *   block leaves the rest queued, and poll() says (POLLOUT) when to go on. A slow client
 *   therefore only ever delays itself.
 * - clients are never freed in the middle of a round of poll events: a client that must go
 *   is marked, and the round ends with a sweep that closes the marked ones and announces
 *   their departure (which may mark others, whose queues overflow: the sweep repeats).
 * - SIGINT and SIGTERM write a byte to a pipe that poll() watches (the self-pipe trick: the
 *   kit's stop pipe, net_stop_fd()), so a signal can never slip in between a check of a
 *   flag and the wait.
 * - at EMFILE (no descriptor left for accept) the listener is left out of poll() for 100 ms:
 *   without that, poll() would report it readable at once, forever, and burn a CPU.
 * - at start it raises its soft limit on open descriptors to the hard limit
 *   (net_raise_fd_limit()): every client costs one, and a shell's soft limit is 1024 on
 *   Linux and 256 on macOS.
 *
 * The socket calls of the set-up are in ../common/net.c: net_server_start() (the stop pipe,
 * which also ignores SIGPIPE; getaddrinfo, socket, setsockopt SO_REUSEADDR, bind, listen,
 * made non-blocking; the "listening on" line) and net_accept_one() (accept, the client's
 * address, its socket made non-blocking); poll, recv, send and close are here. The command
 * line is one table read by parse_net_options() (../common/cli.c).
 *
 * Usage: chat_server [-H HOST] [-p PORT] [-q]      (default 127.0.0.1:65432)
 * Try:   ./chat_server                                      (terminal 1)
 *        ./chat_client        and another ./chat_client     (terminals 2 and 3, 06-chat-client)
 * See also: chat_frame.c (where a line ends), 05-select-server and 06-poll-async (the
 *           lecture folders' select and poll servers).
 */
#include "chat_frame.h"
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "chat_server"
#define USAGE   "Usage: chat_server [-H HOST] [-p PORT] [-q]   (default 127.0.0.1:65432)"

/* The most bytes that may wait for one client; past it the client is too slow and goes. */
#define MAX_QUEUED (1024 * 1024)

struct client {
    int fd;
    char address[NET_ADDRESS_SIZE]; /* as the server sees it: "127.0.0.1:53122" */
    char in[CHAT_MAX_LINE + 1];     /* received, not yet relayed: at most one unfinished line */
    size_t in_len;
    char *out; /* queued for this client: out[sent..len) still to send */
    size_t out_sent, out_len, out_cap;
    bool gone; /* marked for the sweep: closed at the end of the round */
};

struct chat {
    int listener;
    struct client **clients;
    size_t count, cap;
    struct pollfd *polled;  /* one per client plus two, rebuilt each round */
    long long paused_until; /* monotonic ms until which accept() rests (EMFILE), or 0 */
    bool quiet;
};

static void note(const struct chat *chat, const char *format, const char *address)
{
    if (!chat->quiet) {
        fprintf(stderr, format, address);
        fputc('\n', stderr);
    }
}

/* Send as much of C's queue as the socket takes now. A failure (the peer reset, or went
 * away: EPIPE, as SIGPIPE is ignored) marks C gone. */
static void flush(struct client *c)
{
    while (!c->gone && c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* the socket is full: poll() will say POLLOUT when it has room */
        if (n < 0) {
            c->gone = true;
            return;
        }
        c->out_sent += (size_t)n;
    }
    c->out_sent = c->out_len = 0; /* all sent: start the queue from the front again */
}

/* Queue the bytes HEAD then BODY for C and try to send them. A client whose queue would pass
 * MAX_QUEUED is not reading: it is marked gone instead (costing memory for nobody). */
static void enqueue(struct chat *chat, struct client *c, const char *head, size_t head_len,
                    const char *body, size_t body_len)
{
    size_t waiting = c->out_len - c->out_sent, need = head_len + body_len;

    if (c->gone)
        return;
    if (waiting + need > MAX_QUEUED) {
        note(chat, "%s: too slow (1 MiB waiting), disconnected", c->address);
        c->gone = true;
        return;
    }
    if (c->out_sent > 0) { /* move what is left to the front */
        memmove(c->out, c->out + c->out_sent, waiting);
        c->out_sent = 0;
        c->out_len = waiting;
    }
    if (c->out_len + need > c->out_cap) {
        size_t cap = c->out_cap > 0 ? c->out_cap : 4096;
        while (cap < c->out_len + need)
            cap *= 2;
        char *grown = realloc(c->out, cap);
        if (grown == NULL) {
            c->gone = true; /* no memory for this client: it goes, the others stay */
            return;
        }
        c->out = grown;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, head, head_len);
    memcpy(c->out + c->out_len + head_len, body, body_len);
    c->out_len += need;
    flush(c);
}

/* Send HEAD + BODY to every client but EXCEPT. */
static void broadcast(struct chat *chat, const struct client *except, const char *head,
                      size_t head_len, const char *body, size_t body_len)
{
    for (size_t i = 0; i < chat->count; i++)
        if (chat->clients[i] != except)
            enqueue(chat, chat->clients[i], head, head_len, body, body_len);
}

/* "* HOST:PORT joined\n" or "left" to every client but C. */
static void announce(struct chat *chat, const struct client *c, const char *what)
{
    char text[NET_ADDRESS_SIZE + 16];
    int n = snprintf(text, sizeof text, "* %s %s\n", c->address, what);
    broadcast(chat, c, text, (size_t)n, "", 0);
}

/* Accept every waiting connection. At EMFILE and its kin, rest for 100 ms. */
static void accept_clients(struct chat *chat)
{
    for (;;) {
        char address[NET_ADDRESS_SIZE];
        int fd = net_accept_one(chat->listener, false, address, sizeof address);
        if (fd < 0) {
            if (errno != EAGAIN) { /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
                note(chat, "accept: %s (resting 100 ms)", strerror(errno));
                chat->paused_until = net_monotonic_ms() + 100;
            }
            return; /* EAGAIN: no one else is waiting (or one left: poll says next round) */
        }
        if (chat->count == chat->cap) {
            size_t cap = chat->cap * 2 + 8;
            struct client **grown = realloc(chat->clients, cap * sizeof *grown);
            if (grown == NULL) { /* no memory for one more: refuse this one, keep the rest */
                close(fd);
                continue;
            }
            chat->clients = grown;
            chat->cap = cap;
        }
        struct client *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd; /* non-blocking: a send or recv that would wait returns EAGAIN */
        snprintf(c->address, sizeof c->address, "%s", address);
        chat->clients[chat->count++] = c;
        note(chat, "connected %s", c->address);
        announce(chat, c, "joined");
    }
}

/* Read what C has sent, relay its complete lines, and mark it gone at the end of its
 * stream, at an error, or at a line over CHAT_MAX_LINE bytes. */
static void receive(struct chat *chat, struct client *c)
{
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) { /* closed (its unfinished line, if any, is dropped), or reset */
        c->gone = true;
        return;
    }
    c->in_len += (size_t)n;

    size_t done = 0, line_len;
    enum frame_result result;
    char head[NET_ADDRESS_SIZE + 4];
    int head_len = snprintf(head, sizeof head, "%s: ", c->address);
    while ((result = frame_line(c->in + done, c->in_len - done, CHAT_MAX_LINE, &line_len)) ==
           FRAME_LINE) {
        broadcast(chat, c, head, (size_t)head_len, c->in + done, line_len);
        done += line_len;
    }
    if (result == FRAME_TOO_LONG) {
        note(chat, "%s: line over 4096 bytes, disconnected", c->address);
        c->gone = true;
        return;
    }
    memmove(c->in, c->in + done, c->in_len - done); /* keep the unfinished line */
    c->in_len -= done;
}

static void free_client(struct client *c)
{
    close(c->fd);
    free(c->out);
    free(c);
}

/* Close and free every client marked gone, and tell the others. Telling them may mark more
 * (their queues overflow), so repeat until none is left. */
static void sweep(struct chat *chat)
{
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = 0; i < chat->count;) {
            struct client *c = chat->clients[i];
            if (!c->gone) {
                i++;
                continue;
            }
            /* Take it out first (the last one fills its place), then tell the rest. */
            chat->clients[i] = chat->clients[--chat->count];
            note(chat, "left %s", c->address);
            announce(chat, c, "left");
            free_client(c);
            again = true;
        }
    }
}

/* One round: wait for events, then deal with them. Returns false when it is time to stop. */
static bool serve_round(struct chat *chat)
{
    size_t n = chat->count;
    struct pollfd *p = realloc(chat->polled, (n + 2) * sizeof *p);
    if (p == NULL)
        return true; /* try again next round */
    chat->polled = p;

    int timeout = -1;
    if (chat->paused_until != 0) {
        long long left = chat->paused_until - net_monotonic_ms();
        if (left <= 0)
            chat->paused_until = 0;
        else
            timeout = (int)left;
    }
    p[0] = (struct pollfd){.fd = net_stop_fd(), .events = POLLIN};
    /* A negative fd is ignored by poll(): that is how the listener rests. */
    p[1] = (struct pollfd){.fd = chat->paused_until ? -1 : chat->listener, .events = POLLIN};
    for (size_t i = 0; i < n; i++) {
        struct client *c = chat->clients[i];
        p[i + 2] = (struct pollfd){.fd = c->fd, .events = POLLIN};
        if (c->out_sent < c->out_len)
            p[i + 2].events |= POLLOUT;
    }
    if (poll(p, n + 2, timeout) < 0)
        return errno == EINTR; /* EINTR: a signal; the pipe tells which next round */
    if (p[0].revents & POLLIN)
        return false;

    /* The clients first, by their index in this round's array: accepting may append new
     * ones, which this round's pollfds do not cover. POLLHUP and POLLERR are read too:
     * recv() then says what happened (and returns the last bytes first). */
    for (size_t i = 0; i < n; i++) {
        struct client *c = chat->clients[i];
        if (!c->gone && (p[i + 2].revents & (POLLIN | POLLHUP | POLLERR)))
            receive(chat, c);
        if (!c->gone && (p[i + 2].revents & POLLOUT))
            flush(c);
    }
    if (p[1].revents & POLLIN)
        accept_clients(chat);
    sweep(chat);
    return true;
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 65432, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    struct chat chat = {.quiet = net.quiet};
    net_raise_fd_limit(); /* a descriptor per client: see the header */
    /* The stop pipe (SIGINT, SIGTERM; SIGPIPE ignored: a client that goes away while we
     * send costs only that client), the non-blocking listener and the "listening on" line;
     * on failure it has said why ("bind ...: Address already in use"). */
    chat.listener = net_server_start(PROGRAM, net.host, net.port);
    if (chat.listener < 0)
        return 1;
    while (serve_round(&chat))
        ;

    /* Stop: close every client (each sees the end of the stream), free everything. */
    for (size_t i = 0; i < chat.count; i++)
        free_client(chat.clients[i]);
    free(chat.clients);
    free(chat.polled);
    net_server_end(chat.listener);
    return 0;
}
