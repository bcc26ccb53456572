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
 * - SIGINT and SIGTERM write to another pipe (the self-pipe trick); the worker threads have
 *   them blocked (pthread_sigmask before pthread_create), so only the main thread is ever
 *   interrupted. To stop, the main thread shuts down every client socket (shutdown(2) makes a
 *   blocked recv() or send() in the worker return at once), then joins every thread.
 * - a slot's socket is closed by its own thread, under the lock, and the main thread only
 *   calls shutdown() on sockets of running slots, under the same lock: it can never shut down
 *   a descriptor number that has been closed and reused meanwhile.
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
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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
    char address[ADDRESS_TEXT_SIZE];
};

struct server {
    pthread_mutex_t lock;
    struct slot *slots;
    int max_clients;
    int wake[2];     /* SIGINT/SIGTERM: the handler writes, the main thread polls */
    int finished[2]; /* a worker writes when it is done, so that it is joined at once */
    bool quiet;
};

static int wake_fd = -1;

static void on_signal(int signal_number)
{
    (void)signal_number;
    int saved = errno;
    if (write(wake_fd, "!", 1) < 0) {
        /* The pipe is full: a wake-up is already waiting. */
    }
    errno = saved;
}

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void note(const struct server *server, const char *what, const char *address)
{
    if (!server->quiet)
        fprintf(stderr, "%s %s\n", what, address); /* one call: lines never mix */
}

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A worker: echo until the client closes (or the server shuts the socket down), then hand
 * the slot back. */
static void *serve_client(void *arg)
{
    struct slot *slot = arg;
    struct server *server = slot->server;
    char buffer[16384];

    for (;;) {
        ssize_t n = recv(slot->fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || send_all(slot->fd, buffer, (size_t)n) != 0)
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

/* Serve FD in a free slot, or tell it "busy" and close it. */
static void admit(struct server *server, int fd)
{
    char address[ADDRESS_TEXT_SIZE];
    struct slot *slot = NULL;

    peer_address(fd, address, sizeof address);
    pthread_mutex_lock(&server->lock); /* the workers write their slot's state */
    for (int i = 0; i < server->max_clients && slot == NULL; i++)
        if (server->slots[i].state == SLOT_FREE)
            slot = &server->slots[i];
    pthread_mutex_unlock(&server->lock);
    if (slot != NULL) {
        /* The worker starts with SIGINT and SIGTERM blocked (it inherits our mask). */
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        pthread_mutex_lock(&server->lock);
        slot->fd = fd;
        slot->state = SLOT_RUNNING;
        pthread_mutex_unlock(&server->lock);
        snprintf(slot->address, sizeof slot->address, "%s", address);
        int rc = pthread_create(&slot->thread, NULL, serve_client, slot);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
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
     * in a new socket's buffer (and MSG_DONTWAIT makes sure). */
    note(server, "busy", address);
    if (send(fd, "busy\n", 5, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* The client is already gone: nothing to tell it. */
    }
    shutdown(fd, SHUT_WR);
    close(fd);
}

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The main thread: accept, admit or refuse, reap, until a signal. Returns at the signal. */
static void run(struct server *server, int listener)
{
    long long rest_until = 0; /* after EMFILE: leave the listener alone until then */

    for (;;) {
        long long left = rest_until - now_ms();
        if (left <= 0)
            rest_until = 0;
        struct pollfd p[3] = {
            {.fd = server->wake[0], .events = POLLIN},
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
            int fd = accept(listener, NULL, NULL);
            if (fd >= 0) {
                admit(server, fd);
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: the waiting connection stays in the queue, so poll()
                 * would report the listener at once, forever. Rest 100 ms instead of
                 * spinning (or less, if a client leaves and frees a descriptor). */
                if (!server->quiet)
                    fprintf(stderr, "%s: accept: %s (resting 100 ms)\n", PROGRAM, strerror(errno));
                rest_until = now_ms() + 100;
            }
            break; /* EAGAIN: nobody else is waiting (ECONNABORTED, EINTR: next round) */
        }
    }
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"max-clients", required_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *host = "127.0.0.1";
    int port = 50007, opt;
    long max_clients = 4;
    struct server server = {.wake = {-1, -1}, .finished = {-1, -1}};
    char error[256];

    while ((opt = getopt_long(argc, argv, "H:p:k:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'H':
            host = optarg;
            break;
        case 'p':
            if (parse_port(optarg, 0, &port) != 0)
                return usage_error(PROGRAM, USAGE, "bad port '%s': expected 0..65535", optarg);
            break;
        case 'k':
            if (parse_long(optarg, 1, 10000, &max_clients) != 0)
                return usage_error(PROGRAM, USAGE, "bad client count '%s': expected 1..10000",
                                   optarg);
            break;
        case 'q':
            server.quiet = true;
            break;
        case 'h':
            puts(USAGE);
            return 0;
        default:
            return usage_error(PROGRAM, USAGE, NULL);
        }
    }
    if (optind < argc)
        return usage_error(PROGRAM, USAGE, "unexpected argument '%s'", argv[optind]);

    signal(SIGPIPE, SIG_IGN); /* a client gone while we send costs only that client */
    server.max_clients = (int)max_clients;
    server.slots = calloc((size_t)max_clients, sizeof *server.slots);
    if (server.slots == NULL || pipe(server.wake) < 0 || pipe(server.finished) < 0 ||
        set_nonblocking(server.wake[1]) < 0 || set_nonblocking(server.finished[0]) < 0 ||
        set_nonblocking(server.finished[1]) < 0) {
        fprintf(stderr, "%s: setting up: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    pthread_mutex_init(&server.lock, NULL);
    for (int i = 0; i < server.max_clients; i++) {
        server.slots[i].server = &server;
        server.slots[i].fd = -1;
    }
    wake_fd = server.wake[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    int status = 1;
    int listener = tcp_listen(host, port, error, sizeof error);
    if (listener < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
    } else if (set_nonblocking(listener) < 0) {
        fprintf(stderr, "%s: fcntl: %s\n", PROGRAM, strerror(errno));
    } else if (print_listening(listener, error, sizeof error) < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
    } else {
        run(&server, listener);
        status = 0;
    }

    /* Stop: no new clients; wake every worker (shutdown makes its recv or send return),
     * then join them all. */
    if (listener >= 0)
        close(listener);
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
    pthread_mutex_destroy(&server.lock);
    free(server.slots);
    for (int i = 0; i < 2; i++) {
        close(server.wake[i]);
        close(server.finished[i]);
    }
    return status;
}
