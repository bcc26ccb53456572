/* multi_client.c -- N echo clients at once, one thread each.
 *
 * Translates lecture 002's threaded echo client:
 *
 *     def make_connection(index):
 *         with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
 *             s.connect((HOST, PORT))
 *             s.sendall(bytes(f'Hello, world ({index})', 'utf-8'))
 *             data = s.recv(1024)
 *             print('Received', repr(data))
 *     Thread(target=make_connection, args=(1,)).start()
 *     Thread(target=make_connection, args=(2,)).start()
 *
 * Client i (1..N) connects, sends `Hello, world (i)`, waits for exactly those bytes to come
 * back and prints `Received b'Hello, world (i)'`, one line per client in the order they
 * finish. The exit status says whether every client got its own message back: 0 if all N
 * did, 1 if any did not (each failure has its line on stderr).
 *
 * It is also a test of the server: all N threads start together (a gate opens once every
 * thread exists), and by default every client keeps its connection open until all N have
 * their echo. So all N connections are open at the same time, and a server that serves
 * one client at a time (02-tcp-echo's echo_server), or four (pool_server -n 4), cannot
 * answer them all: the clients it never reaches time out (-t, default 5 s) and fail.
 * With -i each client closes as soon as it has its echo, as in the lecture: then a
 * serial server gets through them one after the other.
 *
 * The socket calls are in net.c: net_connect() (getaddrinfo, socket, connect, within the
 * timeout) and net_send_all(); the recv loop is here.
 *
 * Usage: multi_client [-H HOST] [-p PORT] [-n CLIENTS] [-t SECONDS] [-i] [WORD...]
 *        (defaults 127.0.0.1, 50007, 2 clients, 5 s; WORDs replace "Hello, world")
 *
 * Try:   ./threaded_server & ./multi_client -n 50
 *        ./pool_server -n 4 -p 1060 & ./multi_client -p 1060 -n 5     the 5th fails
 *        ./multi_client -p 1060 -n 5 -i                                all 5 succeed
 * See also: threaded_server.c, 06-poll-async/loadgen.c (a load generator without threads).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define PROGRAM "multi_client"
#define USAGE                                                                                      \
    "Usage: multi_client [-H HOST] [-p PORT] [-n CLIENTS] [-t SECONDS] [-i] [WORD...]"             \
    "   (default port 50007, 2 clients)"

/* What every client shares: the server's address and two gates. */
struct shared {
    const char *host;
    int port;
    const char *words;
    double timeout;
    bool independent;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    long clients;
    long started;  /* threads that reached the start gate */
    long finished; /* clients whose exchange is over, well or badly */
};

struct client {
    pthread_t thread;
    long index;
    bool ok;
    struct shared *shared;
};

/* Wait under the lock until *COUNTER reaches the number of clients. */
static void wait_for_all(struct shared *shared, long *counter)
{
    pthread_mutex_lock(&shared->lock);
    (*counter)++;
    pthread_cond_broadcast(&shared->changed);
    while (*counter < shared->clients)
        pthread_cond_wait(&shared->changed, &shared->lock);
    pthread_mutex_unlock(&shared->lock);
}

/* Receive exactly LEN bytes (the echo may come back in pieces). Returns how many came
 * before EOF, or -1 on error; a timeout is an error (EAGAIN) through SO_RCVTIMEO. */
static ssize_t recv_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Python's repr() of bytes, for the report: b'Hello, world (1)'. */
static void bytes_repr(const char *data, size_t len, char *text, size_t size)
{
    size_t at = (size_t)snprintf(text, size, "b'");
    for (size_t i = 0; i < len && at + 6 < size; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\\' || c == '\'')
            at += (size_t)snprintf(text + at, size - at, "\\%c", c);
        else if (c == '\n')
            at += (size_t)snprintf(text + at, size - at, "\\n");
        else if (c >= 32 && c < 127)
            text[at++] = (char)c;
        else
            at += (size_t)snprintf(text + at, size - at, "\\x%02x", c);
    }
    snprintf(text + at, size - at, "'");
}

/* make_connection(index) of the lecture. Sets client->ok. Returns the socket, still
 * open, or -1. */
static int exchange(struct client *client)
{
    struct shared *shared = client->shared;
    char message[512], echo[512], text[2200];

    int len = snprintf(message, sizeof message, "%s (%ld)", shared->words, client->index);
    if (len < 0 || (size_t)len >= sizeof message)
        len = (int)sizeof message - 1;
    char error[256];
    int fd = net_connect(shared->host, shared->port, shared->timeout, NULL, 0, error, sizeof error);
    if (fd < 0) { /* "connect 127.0.0.1:50007: Connection refused" */
        fprintf(stderr, "%s: client %ld: %s\n", PROGRAM, client->index, error);
        return -1;
    }
    struct timeval timeout = {.tv_sec = (time_t)shared->timeout};
    timeout.tv_usec = (suseconds_t)((shared->timeout - (double)timeout.tv_sec) * 1e6);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    ssize_t got = -1;
    if (net_send_all(fd, message, (size_t)len) < 0) { /* a few bytes: they always fit */
        fprintf(stderr, "%s: client %ld: send: %s\n", PROGRAM, client->index, strerror(errno));
    } else if ((got = recv_all(fd, echo, (size_t)len)) < 0) {
        fprintf(stderr, "%s: client %ld: recv: %s\n", PROGRAM, client->index,
                errno == EAGAIN || errno == EWOULDBLOCK ? "no echo before the timeout"
                                                        : strerror(errno));
    } else if (got != len || memcmp(echo, message, (size_t)len) != 0) {
        bytes_repr(echo, (size_t)got, text, sizeof text);
        fprintf(stderr, "%s: client %ld: wrong echo %s\n", PROGRAM, client->index, text);
    } else {
        bytes_repr(echo, (size_t)got, text, sizeof text);
        printf("Received %s\n", text); /* one printf: stdio keeps the line whole */
        fflush(stdout);
        client->ok = true;
    }
    return fd;
}

static void *client_thread(void *arg)
{
    struct client *client = arg;
    wait_for_all(client->shared, &client->shared->started); /* the start gate */
    int fd = exchange(client);
    /* Hold the connection until every client is through (well or badly), unless -i. */
    if (!client->shared->independent)
        wait_for_all(client->shared, &client->shared->finished);
    if (fd >= 0)
        close(fd);
    return NULL;
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 50007, .min_port = 1};
    struct shared shared = {.words = "Hello, world", .timeout = 5.0, .clients = 2};
    const struct cli_option options[] = {
        {'n', "clients", CLI_LONG, &shared.clients, "client count", 1, 5000, NULL, NULL},
        {'t', "timeout", CLI_SECONDS, &shared.timeout, "timeout", 0.001, 0, "seconds", NULL},
        {'i', "independent", CLI_FLAG, &shared.independent, "independent", 0, 0, NULL, NULL},
        {0},
    };
    int rc = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", options, true, &net);
    if (rc >= 0)
        return rc;
    shared.host = net.host;
    shared.port = net.port;

    /* The words, joined by spaces, replace "Hello, world". */
    char words[400] = "";
    for (int i = optind; i < argc; i++) {
        size_t used = strlen(words);
        snprintf(words + used, sizeof words - used, "%s%s", i > optind ? " " : "", argv[i]);
    }
    if (optind < argc)
        shared.words = words;

    net_ignore_sigpipe(); /* a server that closes on us costs an EPIPE, not the process */
    struct client *clients = calloc((size_t)shared.clients, sizeof *clients);
    if (clients == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        return 1;
    }
    pthread_mutex_init(&shared.lock, NULL);
    pthread_cond_init(&shared.changed, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024); /* a client needs little: many fit */

    long requested = shared.clients, created = 0;
    for (; created < requested; created++) {
        clients[created].index = created + 1;
        clients[created].shared = &shared;
        rc = pthread_create(&clients[created].thread, &attr, client_thread, &clients[created]);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            /* The gates wait for all N: lower the count so those started are not stuck. */
            pthread_mutex_lock(&shared.lock);
            shared.clients = created;
            pthread_cond_broadcast(&shared.changed);
            pthread_mutex_unlock(&shared.lock);
            break;
        }
    }
    long ok = 0;
    for (long i = 0; i < created; i++) {
        pthread_join(clients[i].thread, NULL);
        ok += clients[i].ok;
    }
    if (ok != requested)
        fprintf(stderr, "%s: %ld of %ld clients got their echo\n", PROGRAM, ok, requested);

    pthread_attr_destroy(&attr);
    pthread_cond_destroy(&shared.changed);
    pthread_mutex_destroy(&shared.lock);
    free(clients);
    return ok == requested ? 0 : 1;
}
