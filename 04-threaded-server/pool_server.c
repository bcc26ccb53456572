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
 * There is no accepting main loop: N threads block in accept() on the same socket, the
 * kernel hands each new connection to one of them, and that thread serves the client
 * until it leaves, then accepts again. The threads exist before any client arrives, so a
 * connection costs no thread creation; but at most N clients are served at once: the
 * N+1th is accepted by the kernel (it waits in the listen queue) and served only when one
 * of the N leaves. Try it: `./pool_server -n 2` and three clients.
 *
 * Stopping: the threads sit in accept(), which a signal cannot reach (they block SIGTERM,
 * and even a thread that took it would only see EINTR once). The main thread, which only
 * waits for the stop request, then calls shutdown(listener, SHUT_RDWR): on Linux every
 * accept() blocked on it returns EINVAL at once. It also shuts down the socket of every
 * client being served, so that no thread stays in recv(). Then it joins the N threads.
 * (On BSD and macOS shutdown() of a listening socket fails with ENOTCONN and wakes
 * nobody: there, poll the listener together with the self-pipe instead.)
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
#include <getopt.h>
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
    int listener; /* blocking: the threads wait inside accept() */
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
        if (n < 0 || send_all(fd, buffer, (size_t)n) < 0)
            return strerror(errno);
    }
}

/* accept_connections_forever(listener) of fopnp's zen_utils: accept, serve, repeat. */
static void *pool_thread_run(void *arg)
{
    struct pool_thread *self = arg;
    struct pool *pool = self->pool;

    bool out_of_resources = false;
    for (;;) {
        struct sockaddr_storage address;
        socklen_t length = sizeof address;
        int fd = accept(pool->listener, (struct sockaddr *)&address, &length);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            pthread_mutex_lock(&pool->lock);
            bool stopping = pool->stopping;
            pthread_mutex_unlock(&pool->lock);
            if (stopping)
                break; /* shutdown(listener) woke us: EINVAL */
            /* Out of descriptors (EMFILE) or memory: the client stays queued. Wait 100 ms
             * (or for the stop) instead of spinning on an accept that fails at once. */
            if (!out_of_resources)
                fprintf(stderr, "%s: thread %d: accept: %s (retrying every 100 ms)\n", PROGRAM,
                        self->number, strerror(errno));
            out_of_resources = true;
            wait_for_input(-1, 100);
            continue;
        }
        out_of_resources = false;
        char peer[ADDRESS_SIZE];
        address_text((struct sockaddr *)&address, peer, sizeof peer);

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

/* Wake every thread: the ones in accept() through the listener, the ones serving a
 * client through that client's socket. */
static void wake_all_threads(struct pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    for (long i = 0; i < pool->count; i++)
        if (pool->threads[i].client_fd >= 0)
            shutdown(pool->threads[i].client_fd, SHUT_RDWR);
    pthread_mutex_unlock(&pool->lock);
    if (shutdown(pool->listener, SHUT_RDWR) < 0)
        fprintf(stderr, "%s: shutdown of the listener: %s\n", PROGRAM, strerror(errno));
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'},    {"port", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 'n'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {0},
    };
    const char *host = "127.0.0.1", *port = "1060";
    struct pool pool = {.count = 4};
    long number;
    int opt;

    while ((opt = getopt_long(argc, argv, "H:p:n:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'H':
            host = optarg;
            break;
        case 'p':
            if (parse_port(optarg, 0, &number) != 0)
                return usage_error(PROGRAM, USAGE, "bad port '%s': expected 0 to 65535", optarg);
            port = optarg;
            break;
        case 'n':
            if (parse_long(optarg, 1, 1000, &pool.count) != 0)
                return usage_error(PROGRAM, USAGE, "bad thread count '%s': expected 1 to 1000",
                                   optarg);
            break;
        case 'q':
            pool.quiet = true;
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

    /* Blocking listener: the threads wait inside accept(). The listening line comes once
     * the pool is complete. */
    pool.listener = server_open(PROGRAM, host, port, false, false);
    if (pool.listener < 0)
        return 1;
    pool.threads = calloc((size_t)pool.count, sizeof *pool.threads);
    if (pool.threads == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        close(pool.listener);
        stop_signals_uninstall();
        return 1;
    }
    pthread_mutex_init(&pool.lock, NULL);

    /* The threads block SIGINT and SIGTERM (inherited mask): the main thread takes them. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sigset_t old;
    signals_block(&old);
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
    signals_restore(&old);
    pthread_attr_destroy(&attr);

    /* Say we are listening once the pool is complete. The main thread then has nothing to
     * do but wait for the stop request. */
    bool listening = started > 0 && print_listening(pool.listener) == 0;
    if (started > 0 && !listening)
        fprintf(stderr, "%s: stdout: %s\n", PROGRAM, strerror(errno));
    while (listening && wait_for_input(-1, -1) >= 0)
        ;
    pool.count = started;
    wake_all_threads(&pool);
    for (long i = 0; i < started; i++)
        pthread_join(pool.threads[i].handle, NULL);

    close(pool.listener);
    pthread_mutex_destroy(&pool.lock);
    free(pool.threads);
    stop_signals_uninstall();
    return listening ? 0 : 1;
}
