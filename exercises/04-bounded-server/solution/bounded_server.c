/* bounded_server.c -- REFERENCE SOLUTION of exercise 04-bounded-server: a thread per
 * connection echo server that serves at most K clients at once.
 *
 * Lecture 002's threaded echo server starts a thread for every connection, however many
 * come: a thousand clients, a thousand threads (and a thousand stacks). This one keeps K
 * slots; the client that finds them all taken is told "busy\n" and closed at once, instead of
 * waiting unseen in the listen queue.
 *
 * How it never leaks a thread, and how it stops:
 * - every thread has a slot; when its client leaves it closes the socket, marks its slot
 *   finished and writes a byte to a pipe. The main thread, which polls that pipe with the
 *   listener, joins finished threads at once: the slot is free again, the stack returned.
 * - SIGINT and SIGTERM write to another pipe, the kit's stop pipe (the self-pipe trick,
 *   net_server_start() sets it up); the worker threads have them blocked
 *   (net_block_signals() around pthread_create), so only the main thread is ever
 *   interrupted. To stop, the main thread shuts down every client socket (shutdown(2) makes
 *   a blocked recv() in the worker return at once; net_send_all() returns at the stop by
 *   itself), then joins every thread.
 * - a slot's socket is closed by its own thread, under the lock, and the main thread only
 *   calls shutdown() on sockets of running slots, under the same lock: it can never shut down
 *   a descriptor number that has been closed and reused meanwhile.
 * - at start it raises its soft limit on open descriptors to the hard limit
 *   (net_raise_fd_limit()): every client costs one, and up to 10000 may be served at once,
 *   while a shell's soft limit is 1024 on Linux and 256 on macOS.
 *
 * The socket calls of the set-up are in ../common/net.c: net_server_start() (the stop pipe,
 * which also ignores SIGPIPE; getaddrinfo, socket, setsockopt SO_REUSEADDR, bind, listen,
 * made non-blocking; the "listening on" line), net_accept_one() (accept and the client's
 * address) and net_send_all() (the send loop); recv, poll, shutdown and close are here. The
 * command line is one table read by parse_net_options() (../common/cli.c).
 *
 * Usage: bounded_server [-H HOST] [-p PORT] [-k MAX_CLIENTS] [-q]
 *        (default 127.0.0.1:50007, 4 clients)
 * Try:   ./bounded_server -k 2                              (terminal 1)
 *        ../06-chat-client/chat_client -p 50007     in three more terminals: the third is busy
 * See also: 04-threaded-server (threaded_server, pool_server), 01-threads (pthreads).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "bounded_server"
#define USAGE                                                                                      \
    "Usage: bounded_server [-H HOST] [-p PORT] [-k MAX_CLIENTS] [-q]   (default "                  \
    "127.0.0.1:50007, 4 clients)"

enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_FINISHED };

struct server;

struct slot {
    struct server *server;
    pthread_t thread;
    enum slot_state state; /* under server->lock */
    int fd;                /* the client's socket while running, else -1; under the lock */
    char address[NET_ADDRESS_SIZE];
};

struct server {
    pthread_mutex_t lock;
    struct slot *slots;
    int max_clients;
    int finished[2]; /* a worker writes when it is done, so that it is joined at once */
    bool quiet;
};

static void note(const struct server *server, const char *what, const char *address)
{
    if (!server->quiet)
        fprintf(stderr, "%s %s\n", what, address); /* one call: lines never mix */
}

/* A worker: echo until the client closes (or the server shuts the socket down, or stops:
 * net_send_all gives up at a stop), then hand the slot back. */
static void *serve_client(void *arg)
{
    struct slot *slot = arg;
    struct server *server = slot->server;
    char buffer[16384];

    for (;;) {
        ssize_t n = recv(slot->fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || net_send_all(slot->fd, buffer, (size_t)n) != 0)
            break;
    }
    note(server, "closed", slot->address);
    pthread_mutex_lock(&server->lock);
    close(slot->fd);
    slot->fd = -1;
    slot->state = SLOT_FINISHED;
    pthread_mutex_unlock(&server->lock);
    if (write(server->finished[1], "x", 1) < 0) {
        /* Full pipe: the main thread already has bytes to read, and joins every finished
         * slot whenever it reads any. */
    }
    return NULL;
}

/* Join every finished worker: its slot is free again. */
static void reap(struct server *server)
{
    char drain[64];
    while (read(server->finished[0], drain, sizeof drain) > 0)
        ;
    for (int i = 0; i < server->max_clients; i++) {
        struct slot *slot = &server->slots[i];
        pthread_mutex_lock(&server->lock);
        bool finished = slot->state == SLOT_FINISHED;
        pthread_mutex_unlock(&server->lock);
        if (finished) {
            pthread_join(slot->thread, NULL);
            pthread_mutex_lock(&server->lock);
            slot->state = SLOT_FREE;
            pthread_mutex_unlock(&server->lock);
        }
    }
}

/* Serve FD (from ADDRESS) in a free slot, or tell it "busy" and close it. */
static void admit(struct server *server, int fd, const char *address)
{
    struct slot *slot = NULL;

    pthread_mutex_lock(&server->lock); /* the workers write their slot's state */
    for (int i = 0; i < server->max_clients && slot == NULL; i++)
        if (server->slots[i].state == SLOT_FREE)
            slot = &server->slots[i];
    pthread_mutex_unlock(&server->lock);
    if (slot != NULL) {
        /* The worker starts with SIGINT and SIGTERM blocked (it inherits our mask). */
        sigset_t old;
        net_block_signals(&old);
        pthread_mutex_lock(&server->lock);
        slot->fd = fd;
        slot->state = SLOT_RUNNING;
        pthread_mutex_unlock(&server->lock);
        snprintf(slot->address, sizeof slot->address, "%s", address);
        int rc = pthread_create(&slot->thread, NULL, serve_client, slot);
        net_restore_signals(&old);
        if (rc == 0) {
            note(server, "connected", address);
            return;
        }
        fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
        pthread_mutex_lock(&server->lock);
        slot->fd = -1;
        slot->state = SLOT_FREE;
        pthread_mutex_unlock(&server->lock);
    }
    /* No slot (or no thread): say so, and close. The send cannot block: 5 bytes always fit
     * in a new socket's buffer (and MSG_DONTWAIT makes sure). SIGPIPE is ignored (the stop
     * pipe's set-up did it), so a client already gone costs only EPIPE. */
    note(server, "busy", address);
    if (send(fd, "busy\n", 5, MSG_DONTWAIT) < 0) {
        /* The client is already gone: nothing to tell it. */
    }
    shutdown(fd, SHUT_WR);
    close(fd);
}

/* The main thread: accept, admit or refuse, reap, until a signal. Returns at the signal. */
static void run(struct server *server, int listener)
{
    long long rest_until = 0; /* after EMFILE: leave the listener alone until then */

    for (;;) {
        long long left = rest_until - net_monotonic_ms();
        if (left <= 0)
            rest_until = 0;
        struct pollfd p[3] = {
            {.fd = net_stop_fd(), .events = POLLIN},
            {.fd = server->finished[0], .events = POLLIN},
            {.fd = rest_until != 0 ? -1 : listener, .events = POLLIN}, /* -1: not watched */
        };
        int n = poll(p, 3, rest_until != 0 ? (int)left : -1);
        if (n < 0 && errno != EINTR)
            return;
        if (n <= 0)
            continue; /* a signal (the pipe says which), or the rest is over */
        if (p[0].revents & POLLIN)
            return;
        if (p[1].revents & POLLIN) {
            reap(server);   /* before accepting: the slots it frees are for the newcomers */
            rest_until = 0; /* and so are the descriptors: try accept() again now */
        }
        if (!(p[2].revents & POLLIN))
            continue;
        for (;;) {
            char address[NET_ADDRESS_SIZE];
            int fd = net_accept_one(listener, true, address, sizeof address);
            if (fd >= 0) {
                admit(server, fd, address);
                continue;
            }
            if (errno != EAGAIN) { /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
                /* Out of descriptors: the waiting connection stays in the queue, so poll()
                 * would report the listener at once, forever. Rest 100 ms instead of
                 * spinning (or less, if a client leaves and frees a descriptor). */
                if (!server->quiet)
                    fprintf(stderr, "%s: accept: %s (resting 100 ms)\n", PROGRAM, strerror(errno));
                rest_until = net_monotonic_ms() + 100;
            }
            break; /* EAGAIN: nobody else is waiting (or a client that left: next round) */
        }
    }
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 50007, .min_port = 0};
    int max_clients = 4;
    const struct cli_option options[] = {
        {'k', "max-clients", CLI_INT, &max_clients, "client count", 1, 10000, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", options, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    struct server server = {.max_clients = max_clients, .finished = {-1, -1}, .quiet = net.quiet};
    net_raise_fd_limit(); /* a descriptor per client: see the header */
    server.slots = calloc((size_t)max_clients, sizeof *server.slots);
    if (server.slots == NULL || pipe(server.finished) < 0 ||
        net_set_blocking(server.finished[0], false) < 0 ||
        net_set_blocking(server.finished[1], false) < 0) {
        fprintf(stderr, "%s: setting up: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    pthread_mutex_init(&server.lock, NULL);
    for (int i = 0; i < server.max_clients; i++) {
        server.slots[i].server = &server;
        server.slots[i].fd = -1;
    }

    /* The stop pipe (SIGINT, SIGTERM; SIGPIPE ignored), the non-blocking listener and the
     * "listening on" line; on failure it has said why ("bind ...: Address already in use"). */
    int listener = net_server_start(PROGRAM, net.host, net.port);
    if (listener >= 0)
        run(&server, listener);

    /* Stop: wake every worker (shutdown makes its recv return, and the stop ends its
     * net_send_all), join them all, and only then close the listener and the stop pipe,
     * which the workers' net_send_all may still be watching. */
    pthread_mutex_lock(&server.lock);
    for (int i = 0; i < server.max_clients; i++)
        if (server.slots[i].state == SLOT_RUNNING)
            shutdown(server.slots[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&server.lock);
    for (int i = 0; i < server.max_clients; i++) {
        pthread_mutex_lock(&server.lock);
        bool started = server.slots[i].state != SLOT_FREE; /* running or finished */
        pthread_mutex_unlock(&server.lock);
        if (started)
            pthread_join(server.slots[i].thread, NULL);
    }
    if (listener >= 0)
        net_server_end(listener);
    pthread_mutex_destroy(&server.lock);
    free(server.slots);
    close(server.finished[0]);
    close(server.finished[1]);
    return listener >= 0 ? 0 : 1;
}
