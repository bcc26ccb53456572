/* pool_server.c -- an echo server with a fixed pool of N threads, each accepting on the
 * shared listening socket.
 *
 * Translates lecture 000's second architecture, "Satu proses, banyak server thread"
 * (one process, many server threads), whose code the lecture takes from fopnp chapter 7,
 * srv_threaded.py:
 *
 *     def start_threads(listener, workers=4):
 *         t = (listener,)
 *         for i in range(workers):
 *             Thread(target=zen_utils.accept_connections_forever, args=t).start()
 *
 * There is no accepting main loop: N threads wait for a client on the same listening
 * socket, the kernel hands each new connection to one of them, and that thread serves the
 * client until it leaves, then accepts again. The threads exist before any client
 * arrives, so a connection costs no thread creation; but at most N clients are served at
 * once: the N+1th is accepted by the kernel (it waits in the listen queue) and served
 * only when one of the N leaves. Try it: `./pool_server -n 2` and three clients.
 *
 * Stopping: a thread blocked inside accept() is hard to wake. A signal cannot reach it
 * (the threads block SIGTERM, and one that took it would see EINTR only once), and
 * shutdown(listener) wakes a blocked accept on Linux only (on BSD and macOS it fails with
 * ENOTCONN and wakes nobody). So the threads never block inside accept(): each one waits
 * in poll() on the listener AND the stop pipe (net_accept in net.c), then accepts without
 * blocking (the listener is non-blocking). SIGINT or SIGTERM writes a byte into the pipe,
 * which wakes every waiting thread at once, on every POSIX system. The price: a new
 * client wakes every idle thread, one of them gets it, and the others find nothing
 * (EAGAIN) and wait again, a few microseconds each. A thread serving a client is woken by
 * the main thread, which shuts that client's socket down, so that its recv() returns.
 * Then the main thread joins the N threads.
 *
 * Each client holds a descriptor while it is served: the server raises its soft limit on
 * open files to the hard one at start (net_raise_fd_limit, as Redis does for its
 * maxclients), so that `-n 1000` works under a shell's low default (macOS: 256).
 *
 * The socket calls are in net.c: net_server_start() (getaddrinfo, socket, SO_REUSEADDR,
 * bind, listen, the stop pipe, the listening line), net_accept() (poll on the listener
 * and the stop pipe, then accept; EMFILE waits without spinning), net_send_all().
 *
 * Usage: pool_server [-H HOST] [-p PORT] [-n THREADS] [-q]
 *        (defaults 127.0.0.1, 1060 as in fopnp, 4 threads)
 *
 * Try:   terminal 1: ./pool_server -n 4
 *        terminal 2: ./multi_client -p 1060 -n 5     four echoes; the fifth times out
 *        terminal 2: ./multi_client -p 1060 -n 5 -i  all five: each leaves when done
 * See also: threaded_server.c (a new thread per client, no limit),
 *           06-poll-async (one thread, any number of clients).
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

#define PROGRAM "pool_server"
#define USAGE                                                                                      \
    "Usage: pool_server [-H HOST] [-p PORT] [-n THREADS] [-q]   (default port 1060, 4 threads)"

struct pool;

/* One server thread of the pool. */
struct pool_thread {
    pthread_t handle;
    int number;    /* 1..N, for the log */
    int client_fd; /* the socket it serves, or -1 while in accept(); under pool->lock */
    struct pool *pool;
};

struct pool {
    int listener; /* non-blocking: the threads wait in poll(), then accept() */
    bool quiet;
    pthread_mutex_t lock; /* guards `stopping` and every thread's client_fd */
    bool stopping;
    struct pool_thread *threads;
    long count;
};

/* Echo on FD until the client closes. Returns NULL or why it ended early. */
static const char *echo(int fd)
{
    char buffer[16384];
    for (;;) {
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n == 0)
            return NULL;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || net_send_all(fd, buffer, (size_t)n) < 0)
            return strerror(errno);
    }
}

/* accept_connections_forever(listener) of fopnp's zen_utils: accept, serve, repeat. */
static void *pool_thread_run(void *arg)
{
    struct pool_thread *self = arg;
    struct pool *pool = self->pool;
    char name[48], peer[NET_ADDRESS_SIZE];

    /* net_accept's messages name the thread: "pool_server: thread 3: accept: ..." */
    snprintf(name, sizeof name, "%s: thread %d", PROGRAM, self->number);
    for (;;) {
        /* Returns a client, or -1 on a stop (or an error it has reported). Out of
         * descriptors it says so once and tries again every 100 ms, without spinning. */
        int fd = net_accept(pool->listener, -1, peer, sizeof peer, name);
        if (fd < 0)
            break;

        /* Publish the socket so that a stop can shut it down; a stop that came first
         * means this client is not served at all. */
        pthread_mutex_lock(&pool->lock);
        bool stopping = pool->stopping;
        if (!stopping)
            self->client_fd = fd;
        pthread_mutex_unlock(&pool->lock);
        if (stopping) {
            close(fd);
            break;
        }

        if (!pool->quiet)
            fprintf(stderr, "thread %d: connected %s\n", self->number, peer);
        const char *why = echo(fd);
        if (!pool->quiet)
            fprintf(stderr, "thread %d: closed %s%s%s\n", self->number, peer, why ? ": " : "",
                    why ? why : "");

        pthread_mutex_lock(&pool->lock);
        self->client_fd = -1; /* before close: a stop must never shut down a reused number */
        pthread_mutex_unlock(&pool->lock);
        close(fd);
    }
    return NULL;
}

/* Wake every thread that is serving a client by shutting that client's socket down (its
 * recv returns 0). The threads waiting for a client have been woken by the stop pipe. */
static void wake_serving_threads(struct pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    for (long i = 0; i < pool->count; i++)
        if (pool->threads[i].client_fd >= 0)
            shutdown(pool->threads[i].client_fd, SHUT_RDWR);
    pthread_mutex_unlock(&pool->lock);
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 1060, .min_port = 0};
    struct pool pool = {.count = 4};
    const struct cli_option options[] = {
        {'n', "threads", CLI_LONG, &pool.count, "thread count", 1, 1000, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", options, false, &net);
    if (status >= 0)
        return status;
    pool.quiet = net.quiet;

    net_raise_fd_limit(); /* one descriptor per client served: let the hard limit decide */
    /* The listener comes non-blocking: two threads may both see a client in poll(), and
     * the one that loses the race must get EAGAIN from accept(), not block in it. */
    pool.listener = net_server_start(PROGRAM, net.host, net.port);
    if (pool.listener < 0)
        return 1;
    pool.threads = calloc((size_t)pool.count, sizeof *pool.threads);
    if (pool.threads == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        net_server_end(pool.listener);
        return 1;
    }
    pthread_mutex_init(&pool.lock, NULL);

    /* The threads block SIGINT and SIGTERM (inherited mask): the main thread takes them. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sigset_t old;
    net_block_signals(&old);
    long started = 0;
    for (; started < pool.count; started++) {
        struct pool_thread *t = &pool.threads[started];
        t->number = (int)started + 1;
        t->client_fd = -1;
        t->pool = &pool;
        int rc = pthread_create(&t->handle, &attr, pool_thread_run, t);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s (running with %ld threads)\n", PROGRAM,
                    strerror(rc), started);
            break;
        }
    }
    net_restore_signals(&old);
    pthread_attr_destroy(&attr);

    /* The main thread has nothing to do but wait for the stop (net_wait returns -1 then).
     * Without a single thread there is no server: exit 1 at once. */
    while (started > 0 && net_wait(-1, 0, -1) >= 0)
        ;
    pool.count = started;
    wake_serving_threads(&pool);
    for (long i = 0; i < started; i++)
        pthread_join(pool.threads[i].handle, NULL);

    net_server_end(pool.listener);
    pthread_mutex_destroy(&pool.lock);
    free(pool.threads);
    return started > 0 ? 0 : 1;
}
