/* threaded_server.c -- an echo server with one thread per connection.
 *
 * Translates lecture 002's "Server - Client esimerkki Thread -muodolla":
 *
 *     def receive_data(conn, addr):
 *         with conn:
 *             print('Connected by', addr)
 *             while True:
 *                 data = conn.recv(1024)
 *                 if not data:
 *                     break
 *                 conn.sendall(data)
 *     ...
 *     while True:
 *         conn, addr = s.accept()
 *         Thread(target=receive_data, args=(conn, addr)).start()
 *
 * The main thread only accepts; each client gets a thread of its own that echoes until
 * the client closes. A slow or idle client blocks only its own thread: everyone else is
 * served (compare 02-tcp-echo's echo_server, where the second client waits for the first).
 *
 * What the Python version leaves out, and a C server must do itself:
 * - Every thread is joined: a finished thread puts itself on a "finished" list and the
 *   main thread joins those after each accept, so a million connections in a row leave
 *   no thread and no stack behind.
 * - The connected clients are kept in a list under a mutex. On SIGINT/SIGTERM the server
 *   stops accepting, shutdown()s every client socket (each thread's recv returns at once),
 *   waits for every thread, frees everything and exits 0.
 * - Signals are blocked in the client threads: they go to the main thread, whose handler
 *   writes to the self-pipe that its poll() watches (net.c).
 * - pthread_create can fail (EAGAIN: no memory for one more stack, too many threads).
 *   That costs the one client, with a log line; the server goes on. `-s` sets the stack
 *   size: try an absurd one to see that path.
 * - Each client holds a descriptor, and a shell may start us with a soft limit of 256
 *   (macOS) or 1024 (Linux) open files under a much higher hard limit: the server raises
 *   its soft limit to the hard one at start (net_raise_fd_limit, as Redis does to fit its
 *   maxclients), so that it is the hard limit that says how many clients fit.
 *
 * The socket calls are in net.c: net_server_start() (getaddrinfo, socket, SO_REUSEADDR,
 * bind, listen, the stop pipe, the listening line), net_accept() (poll on the listener
 * and the stop pipe, then accept; EMFILE waits without spinning), net_send_all().
 *
 * Usage: threaded_server [-H HOST] [-p PORT] [-q] [-s STACK_KIB]
 *        (defaults 127.0.0.1 and 50007, lecture 002's port; 256 KiB stacks)
 *
 * Try:   terminal 1: ./threaded_server
 *        terminal 2: ./multi_client -n 5         five clients at once, all echoed
 *        terminal 3: nc 127.0.0.1 50007          stays idle: nobody else minds
 *        ./threaded_server -p 0 -s 1000000000000  every pthread_create fails; the server lives
 * See also: forking_server.c (a process per client), pool_server.c (a fixed set of
 *           threads), 02-tcp-echo/echo_server.c (one client at a time).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "threaded_server"
#define USAGE                                                                                      \
    "Usage: threaded_server [-H HOST] [-p PORT] [-q] [-s STACK_KIB]   (default port 50007)"

/* One connected client and the thread that serves it. */
struct client {
    pthread_t thread;
    int fd;
    char peer[NET_ADDRESS_SIZE];
    struct server *server;
    struct client *prev, *next; /* in server->connected, then in server->finished */
};

struct server {
    int listener;
    bool quiet;
    pthread_attr_t thread_attr; /* the client threads' stack size */
    pthread_mutex_t lock;       /* guards the two lists below */
    pthread_cond_t client_left; /* signalled each time a client moves to `finished` */
    struct client *connected;   /* being served: their sockets get shutdown() on stop */
    struct client *finished;    /* thread returned, waiting for pthread_join */
};

/* Take CLIENT out of the `connected` list. The caller holds server->lock. */
static void unlink_connected(struct server *server, struct client *client)
{
    if (client->prev != NULL)
        client->prev->next = client->next;
    else
        server->connected = client->next;
    if (client->next != NULL)
        client->next->prev = client->prev;
}

/* Move CLIENT from `connected` to `finished`. Called by its own thread, as its last act:
 * after this the main thread may join it and free it at any moment. */
static void client_finished(struct client *client)
{
    struct server *server = client->server;
    pthread_mutex_lock(&server->lock);
    unlink_connected(server, client);
    client->next = server->finished;
    server->finished = client;
    pthread_cond_signal(&server->client_left);
    pthread_mutex_unlock(&server->lock);
}

/* The thread of one client: receive_data() of the lecture. */
static void *client_thread(void *arg)
{
    struct client *client = arg;
    int fd = client->fd;
    char buffer[16384];
    const char *why = NULL;

    /* The hot path: no logging, no locking, just recv and send until the client closes. */
    for (;;) {
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n == 0)
            break; /* the client closed (or the server shut the socket down) */
        if (n < 0) {
            if (errno == EINTR)
                continue;
            why = strerror(errno); /* e.g. Connection reset by peer: its loss only */
            break;
        }
        if (net_send_all(fd, buffer, (size_t)n) < 0) {
            why = strerror(errno);
            break;
        }
    }
    if (!client->server->quiet)
        fprintf(stderr, "closed %s%s%s\n", client->peer, why ? ": " : "", why ? why : "");
    client_finished(client);
    /* `client` may be freed from here on: only the local copy of fd is used. The main
     * thread never touches the fd of a finished client, so the number cannot be reused
     * under its feet before this close. */
    close(fd);
    return NULL;
}

/* Join the threads that have finished and free their records. Costs one lock, and one
 * pthread_join (which returns at once) per finished thread. */
static void join_finished(struct server *server)
{
    pthread_mutex_lock(&server->lock);
    struct client *list = server->finished;
    server->finished = NULL;
    pthread_mutex_unlock(&server->lock);
    while (list != NULL) {
        struct client *next = list->next;
        pthread_join(list->thread, NULL);
        free(list);
        list = next;
    }
}

/* Start a thread for the client on FD. On failure the client is dropped, not the server. */
static void start_client(struct server *server, int fd, const char *peer)
{
    struct client *client = calloc(1, sizeof *client);
    if (client == NULL) {
        fprintf(stderr, "%s: out of memory: dropping %s\n", PROGRAM, peer);
        close(fd);
        return;
    }
    client->fd = fd;
    client->server = server;
    snprintf(client->peer, sizeof client->peer, "%s", peer);

    /* Into the list before the thread exists: the thread will take itself out. */
    pthread_mutex_lock(&server->lock);
    client->next = server->connected;
    if (server->connected != NULL)
        server->connected->prev = client;
    server->connected = client;
    pthread_mutex_unlock(&server->lock);

    /* The new thread inherits the blocked signals: SIGTERM is for the main thread. */
    sigset_t old;
    net_block_signals(&old);
    int rc = pthread_create(&client->thread, &server->thread_attr, client_thread, client);
    net_restore_signals(&old);
    if (rc == 0)
        return;

    fprintf(stderr, "%s: pthread_create: %s: dropping %s\n", PROGRAM, strerror(rc), peer);
    pthread_mutex_lock(&server->lock);
    unlink_connected(server, client);
    pthread_mutex_unlock(&server->lock);
    close(fd);
    free(client);
}

/* Stop: shut every client socket down so that its thread's recv (or send, to a client
 * that never reads) returns at once, wait until every thread has left, join them all. */
static void stop_clients(struct server *server)
{
    pthread_mutex_lock(&server->lock);
    for (struct client *c = server->connected; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (server->connected != NULL)
        pthread_cond_wait(&server->client_left, &server->lock);
    pthread_mutex_unlock(&server->lock);
    join_finished(server);
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 50007, .min_port = 0};
    long stack_kib = 256;
    /* Up to 2^40 KiB (1 PiB): more than any machine has, on purpose (see above). */
    const struct cli_option options[] = {
        {'s', "stack", CLI_LONG, &stack_kib, "stack size", 64, 1L << 40, "64 to 1099511627776 KiB",
         NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", options, false, &net);
    if (status >= 0)
        return status;

    struct server server = {.quiet = net.quiet};
    net_raise_fd_limit(); /* one descriptor per client: let the hard limit decide */
    server.listener = net_server_start(PROGRAM, net.host, net.port);
    if (server.listener < 0)
        return 1;
    pthread_mutex_init(&server.lock, NULL);
    pthread_cond_init(&server.client_left, NULL);
    pthread_attr_init(&server.thread_attr);
    /* A thread's stack is reserved address space (8 MiB by default on Linux); an echo
     * thread needs a few KiB. Small stacks let thousands of clients fit. */
    int rc = pthread_attr_setstacksize(&server.thread_attr, (size_t)stack_kib * 1024);
    if (rc != 0)
        fprintf(stderr, "%s: stack size %ld KiB: %s (keeping the default)\n", PROGRAM, stack_kib,
                strerror(rc));

    char peer[NET_ADDRESS_SIZE];
    int fd;
    while ((fd = net_accept(server.listener, -1, peer, sizeof peer, PROGRAM)) >= 0) {
        if (!server.quiet)
            fprintf(stderr, "connected %s\n", peer);
        start_client(&server, fd, peer);
        join_finished(&server);
    }

    /* A stop, or an accept that failed for good (net_accept said why: exit 1). From the
     * close on, a new client's connection attempt is refused. */
    status = errno == ECANCELED ? 0 : 1;
    close(server.listener);
    stop_clients(&server);
    pthread_attr_destroy(&server.thread_attr);
    pthread_cond_destroy(&server.client_left);
    pthread_mutex_destroy(&server.lock);
    net_stop_remove();
    return status;
}
