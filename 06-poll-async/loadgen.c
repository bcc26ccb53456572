/* loadgen.c -- an asynchronous client: many echo connections from one thread.
 *
 * The lecture's async server serves many clients from one thread; this is the same
 * idea turned around, and the tool behind `make bench`. It opens -c connections to an
 * echo server; each one sends a message of -s bytes, waits for the whole echo, checks
 * every byte, and sends the next, for -d seconds. Then it prints one line:
 *
 *     conns=100 rps=41250 p50_us=2310 p99_us=4120 errors=0 mismatches=0
 *
 * rps is round trips per second (all connections together), p50/p99 the median and
 * 99th percentile of one round trip's latency in microseconds, errors the connections
 * that failed (refused, reset, closed early), mismatches the echoes that came back
 * wrong. Exit status 1 if either is not 0. Connections that stayed open but never
 * got an echo in the measured time (a server serving one client at a time) are not
 * errors; a line on stderr counts them.
 *
 * How it measures: connections are opened (at most 256 connecting at once, so the
 * server's backlog is not flooded) and start at once; the clock starts when all are
 * connected (or after 2 s, for a server that cannot take them all: the iterative
 * one) and runs for -d seconds; only round trips that start and end inside count.
 * Each message differs from the one before (a window onto a fixed random tape holding
 * every byte value, NUL included), so a server echoing stale bytes is caught.
 *
 * It uses the same event loop as async_echo (loop.h, -b poll|epoll). The read
 * interest of a connection never changes; write interest is asked for only when a
 * send is partial. That keeps it to one send and one recv per round trip, which
 * matters: on a 2-core machine loadgen and the server share the CPUs.
 *
 * -i IDLE opens that many more connections that connect and stay silent, the load of
 * a chat or push server: poll() must look at every one of them at every call, epoll
 * does not (README: the numbers).
 *
 * The connections are its own lesson, so their calls are here: getaddrinfo once, then
 * for each a non-blocking socket and connect() (net_set_blocking, from net.c), done
 * when the loop says it is writable. SIGPIPE is ignored (net_ignore_sigpipe): a send
 * to a server that is gone fails with EPIPE and counts as an error. The soft limit on
 * descriptors is raised to fit CONNS + IDLE (net_raise_fd_limit).
 *
 * Usage: loadgen -p PORT [-H HOST] [-c CONNS] [-s BYTES] [-d SECONDS] [-i IDLE]
 *                [-b poll|epoll]   (-b epoll only on Linux)
 *
 * Try:   terminal 1: ./async_echo -p 0 -q            (note its port)
 *        terminal 2: ./loadgen -p PORT -c 1000 -d 3
 * See also: bench.sh (runs it against every echo server of the kit), async_echo.c.
 */
#include "cli.h"
#include "loop.h"
#include "net.h"
#include "room.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "loadgen"
#define USAGE                                                                                      \
    "Usage: loadgen -p PORT [-H HOST] [-c CONNS] [-s BYTES] [-d SECONDS] [-i IDLE] "               \
    "[-b " LOOP_BACKENDS "]   (defaults 127.0.0.1, 1, 64, 3, 0, " LOOP_DEFAULT_BACKEND ")"

enum {
    TAPE_PERIOD = 65536,  /* messages are windows onto a tape of this many random bytes */
    MAX_CONNECTING = 256, /* connections in the middle of connect() at once */
    WARMUP_MAX_MS = 2000, /* the clock starts after this even if not all are connected */
    MAX_REPORTED = 5,     /* error messages printed (the rest are only counted) */
};

enum state { CONNECTING, RUNNING, IDLE, DONE };

struct connection {
    struct generator *gen;
    int fd, id;
    enum state state;
    bool want_write;       /* write interest asked for (a partial send) */
    unsigned long round;   /* which message: chooses where it starts on the tape */
    size_t sent, received; /* bytes of the current message */
    long long started_us;  /* when its first byte was sent */
    unsigned long counted; /* round trips it completed inside the measured window */
};

struct generator {
    struct loop *loop;
    struct addrinfo *address;
    struct connection *connections;
    int count, idle, total; /* -c active and -i idle connections: total = count + idle */
    int next_to_open, connecting, running;
    size_t size;
    long long window_start_us, window_end_us; /* 0 until the clock starts */
    unsigned long errors, mismatches, reported;
    uint32_t *latencies; /* microseconds of each round trip counted */
    size_t latencies_len, latencies_cap;
    bool out_of_memory;
    char tape[TAPE_PERIOD * 2]; /* twice over: any window of a period is contiguous */
    char scratch[65536];        /* what recv returns, before it is compared */
};

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Where byte POS of connection C's current message sits on the tape, and how many
 * bytes of the message follow it contiguously there (at most LEFT). */
static const char *message_at(struct connection *c, size_t pos, size_t left, size_t *len)
{
    size_t start = ((size_t)c->id * 97 + c->round * 31) % 256; /* differs every round */
    size_t offset = (start + pos) % TAPE_PERIOD;
    *len = left < TAPE_PERIOD ? left : TAPE_PERIOD;
    return c->gen->tape + offset;
}

static void on_connection(struct loop *loop, int fd, int events, void *data);

/* Connection C failed: count it, say why (the first few times), close it. */
static void fail(struct connection *c, bool mismatch, const char *what, int error)
{
    struct generator *gen = c->gen;
    if (mismatch)
        gen->mismatches++;
    else
        gen->errors++;
    if (gen->reported++ < MAX_REPORTED)
        fprintf(stderr, "%s: connection %d: %s%s%s\n", PROGRAM, c->id, what, error ? ": " : "",
                error ? strerror(error) : "");
    if (c->state == CONNECTING)
        gen->connecting--;
    else if (c->state == RUNNING)
        gen->running--;
    /* (an IDLE one was never counted as running) */
    c->state = DONE;
    loop_unwatch(gen->loop, c->fd);
    close(c->fd);
    c->fd = -1;
}

/* Ask for exactly the events C needs: readable always, writable while a send is
 * unfinished. Returns false (and fails C) if the loop refuses. */
static bool set_interest(struct connection *c, bool want_write)
{
    if (c->want_write == want_write)
        return true;
    c->want_write = want_write;
    int events = LOOP_READABLE | (want_write ? LOOP_WRITABLE : 0);
    if (loop_watch(c->gen->loop, c->fd, events, on_connection, c) == 0)
        return true;
    fail(c, false, "watch", errno);
    return false;
}

/* Send as much of the current message as the socket takes. */
static void send_more(struct connection *c)
{
    size_t size = c->gen->size;
    while (c->sent < size) {
        size_t len;
        const char *bytes = message_at(c, c->sent, size - c->sent, &len);
        ssize_t n = send(c->fd, bytes, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_interest(c, true); /* the rest when the socket is writable */
            return;
        }
        if (n < 0) {
            fail(c, false, "send", errno);
            return;
        }
        c->sent += (size_t)n;
    }
    set_interest(c, false);
}

static void start_round(struct connection *c, long long now)
{
    c->round++;
    c->sent = c->received = 0;
    c->started_us = now;
    send_more(c);
}

/* The whole echo of the current message is back: record it, start the next. */
static void finish_round(struct connection *c)
{
    struct generator *gen = c->gen;
    long long now = now_us();
    if (gen->window_start_us != 0 && c->started_us >= gen->window_start_us &&
        now <= gen->window_end_us) {
        if (gen->latencies_len == gen->latencies_cap) {
            size_t cap = gen->latencies_cap ? gen->latencies_cap * 2 : 65536;
            uint32_t *bigger = realloc(gen->latencies, cap * sizeof *bigger);
            if (bigger == NULL) {
                gen->out_of_memory = true;
                return;
            }
            gen->latencies = bigger;
            gen->latencies_cap = cap;
        }
        long long took = now - c->started_us;
        c->counted++;
        gen->latencies[gen->latencies_len++] = took > UINT32_MAX ? UINT32_MAX : (uint32_t)took;
    }
    start_round(c, now);
}

/* Readable: take what has come of the echo (never more than this message) and
 * compare it byte for byte with what was sent. */
static void receive_echo(struct connection *c)
{
    struct generator *gen = c->gen;
    size_t want = gen->size - c->received;
    ssize_t n =
        recv(c->fd, gen->scratch, want < sizeof gen->scratch ? want : sizeof gen->scratch, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(c, false, "recv", errno); /* ECONNRESET: the server reset us */
        return;
    }
    if (n == 0) {
        fail(c, false, "the server closed the connection in the middle of an echo", 0);
        return;
    }
    for (size_t done = 0; done < (size_t)n;) {
        size_t len;
        const char *expected = message_at(c, c->received + done, (size_t)n - done, &len);
        if (memcmp(gen->scratch + done, expected, len) != 0) {
            fail(c, true, "the echo differs from what was sent", 0);
            return;
        }
        done += len;
    }
    c->received += (size_t)n;
    if (c->received == gen->size)
        finish_round(c);
}

/* A connect() in progress has finished: did it work? */
static void connected(struct connection *c)
{
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
        error = errno;
    if (error != 0) {
        fail(c, false, "connect", error);
        return;
    }
    c->gen->connecting--;
    if (c->id >= c->gen->count) { /* one of the -i idle ones: connected, and silent */
        c->state = IDLE;
        if (loop_watch(c->gen->loop, c->fd, LOOP_READABLE, on_connection, c) < 0)
            fail(c, false, "watch", errno);
        return;
    }
    c->gen->running++;
    c->state = RUNNING;
    /* From now on always readable (an echo may start while we still send); writable
     * until the first message is out, then send_more drops it. */
    c->want_write = true;
    if (loop_watch(c->gen->loop, c->fd, LOOP_READABLE | LOOP_WRITABLE, on_connection, c) < 0) {
        fail(c, false, "watch", errno);
        return;
    }
    start_round(c, now_us());
}

/* An idle connection is readable: it should never be (we sent nothing). */
static void check_idle(struct connection *c)
{
    char byte;
    ssize_t n = recv(c->fd, &byte, 1, 0);
    if (n > 0)
        fail(c, true, "the server sent bytes on an idle connection", 0);
    else if (n == 0)
        fail(c, false, "the server closed an idle connection", 0);
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        fail(c, false, "recv on an idle connection", errno);
}

static void on_connection(struct loop *loop, int fd, int events, void *data)
{
    struct connection *c = data;
    (void)loop;
    (void)fd;
    if (c->state == CONNECTING) {
        connected(c);
        return;
    }
    if (c->state == IDLE) {
        check_idle(c);
        return;
    }
    if ((events & LOOP_WRITABLE) && c->sent < c->gen->size)
        send_more(c);
    if ((events & LOOP_READABLE) && c->state == RUNNING)
        receive_echo(c);
}

/* Start connecting more connections, keeping at most MAX_CONNECTING in progress. */
static void open_more(struct generator *gen)
{
    while (gen->next_to_open < gen->total && gen->connecting < MAX_CONNECTING) {
        struct connection *c = &gen->connections[gen->next_to_open++];
        struct addrinfo *ai = gen->address;
        c->gen = gen;
        c->state = CONNECTING;
        gen->connecting++;
        c->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (c->fd < 0) {
            c->state = DONE;
            gen->connecting--;
            gen->errors++;
            if (gen->reported++ < MAX_REPORTED)
                fprintf(stderr, "%s: socket: %s\n", PROGRAM, strerror(errno));
            continue;
        }
        /* Non-blocking connect: EINPROGRESS now, writable when it is done. */
        if (net_set_blocking(c->fd, false) < 0) {
            fail(c, false, "fcntl", errno);
            continue;
        }
        int rc = connect(c->fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno != EINPROGRESS) {
            fail(c, false, "connect", errno);
            continue;
        }
        if (loop_watch(gen->loop, c->fd, LOOP_WRITABLE, on_connection, c) < 0) {
            fail(c, false, "watch", errno);
            continue;
        }
        if (rc == 0) /* connected at once (it happens on loopback) */
            connected(c);
    }
}

static int compare_latency(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The P-th percentile (nearest rank) of the sorted latencies, 0 if none. */
static uint32_t percentile(const struct generator *gen, int p)
{
    if (gen->latencies_len == 0)
        return 0;
    size_t rank = (gen->latencies_len * (size_t)p + 99) / 100;
    return gen->latencies[rank > 0 ? rank - 1 : 0];
}

/* Make sure COUNT connections fit under RLIMIT_NOFILE, raising the soft limit up to
 * the hard one if needed (net.c). Returns 0, or -1 after saying why not. */
static int enough_descriptors(int count)
{
    long need = (long)count + 16; /* stdin, stdout, stderr, the loop's own fds */
    long limit = net_raise_fd_limit();
    if (limit >= 0 && limit < need) {
        fprintf(stderr, "%s: -c %d needs %ld file descriptors, the limit is %ld (ulimit -Hn)\n",
                PROGRAM, count, need, limit);
        return -1;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    static struct generator gen = {.count = 1, .size = 64};
    struct net_options net = {.host = "127.0.0.1", .port = 0, .min_port = 1};
    int backend = -1; /* -b: an index into loop_backend_names; -1: the default */
    long size = 64;
    double seconds = 3;
    const struct cli_option options[] = {
        {'c', "connections", CLI_INT, &gen.count, "count", 1, 100000, NULL, NULL},
        {'s', "size", CLI_LONG, &size, "size", 1, 16L << 20, "1 to 16777216 bytes", NULL},
        {'d', "duration", CLI_SECONDS, &seconds, "duration", 0.001, 0, NULL, NULL},
        {'i', "idle", CLI_INT, &gen.idle, "count", 0, 100000, NULL, NULL},
        {'b', "backend", CLI_CHOICE, &backend, "backend", 0, 0, LOOP_BACKENDS_EXPECTED,
         loop_backend_names},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", options, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */
    if (net.port == 0) /* -p has no default: which server to load is the caller's choice */
        return usage_error(PROGRAM, USAGE, "which port? (-p PORT)");
    gen.size = (size_t)size;
    gen.total = gen.count + gen.idle;
    if (enough_descriptors(gen.total) < 0)
        return 1;

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    char port[8];
    snprintf(port, sizeof port, "%d", net.port);
    int rc = getaddrinfo(net.host, port, &hints, &gen.address);
    if (rc != 0) {
        fprintf(stderr, "%s: getaddrinfo %s: %s\n", PROGRAM, net.host, gai_strerror(rc));
        return 1;
    }
    net_ignore_sigpipe(); /* a server gone away: send fails with EPIPE, counted */
    /* The tape: xorshift32, fixed seed. Every byte value occurs, NUL included. */
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < TAPE_PERIOD; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        gen.tape[i] = gen.tape[i + TAPE_PERIOD] = (char)(x >> 24);
    }
    gen.connections = calloc((size_t)gen.total, sizeof *gen.connections);
    gen.loop = loop_create(backend < 0 ? NULL : loop_backend_names[backend]);
    if (gen.connections == NULL || gen.loop == NULL) {
        fprintf(stderr, "%s: setup: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    for (int i = 0; i < gen.total; i++)
        gen.connections[i] = (struct connection){.gen = &gen, .fd = -1, .id = i, .state = DONE};

    long long start = now_us();
    for (;;) {
        open_more(&gen);
        long long now = now_us();
        /* The clock starts when everyone is connected, or at the end of the warm-up. */
        if (gen.window_start_us == 0 && ((gen.next_to_open == gen.total && gen.connecting == 0) ||
                                         now - start >= WARMUP_MAX_MS * 1000LL)) {
            gen.window_start_us = now;
            gen.window_end_us = now + (long long)(seconds * 1e6);
        }
        if (gen.window_start_us != 0 && now >= gen.window_end_us)
            break;
        if (gen.next_to_open == gen.total && gen.connecting == 0 && gen.running == 0)
            break; /* every active one failed: nothing left to measure */
        long long until = gen.window_start_us ? gen.window_end_us : start + WARMUP_MAX_MS * 1000LL;
        int timeout = (int)((until - now + 999) / 1000);
        if (loop_run_once(gen.loop, timeout < 1 ? 1 : timeout) < 0) {
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, loop_backend(gen.loop), strerror(errno));
            return 1;
        }
    }
    long long end =
        gen.window_end_us && now_us() >= gen.window_end_us ? gen.window_end_us : now_us();
    double measured = gen.window_start_us ? (double)(end - gen.window_start_us) / 1e6 : 0;

    int starved = 0; /* alive, but never served in the window: a server that serves
                      * one client at a time leaves all but one waiting */
    for (int i = 0; i < gen.total; i++) {
        if (gen.connections[i].fd >= 0) {
            starved += i < gen.count && gen.connections[i].counted == 0;
            loop_unwatch(gen.loop, gen.connections[i].fd);
            close(gen.connections[i].fd);
        }
    }
    if (starved > 0 && measured > 0)
        fprintf(stderr, "%s: %d of %d connections completed no round trip in the measured %.1f s\n",
                PROGRAM, starved, gen.count, measured);
    if (gen.reported > MAX_REPORTED)
        fprintf(stderr, "%s: (%lu more failures not shown)\n", PROGRAM,
                gen.reported - MAX_REPORTED);
    if (gen.latencies_len > 0) /* qsort(NULL, 0, ...) is undefined behaviour */
        qsort(gen.latencies, gen.latencies_len, sizeof *gen.latencies, compare_latency);
    printf("conns=%d rps=%.0f p50_us=%u p99_us=%u errors=%lu mismatches=%lu\n", gen.count,
           measured > 0 ? (double)gen.latencies_len / measured : 0.0, percentile(&gen, 50),
           percentile(&gen, 99), gen.errors, gen.mismatches);
    if (gen.out_of_memory)
        fprintf(stderr, "%s: out of memory for latencies: the figures are incomplete\n", PROGRAM);
    free(gen.latencies);
    free(gen.connections);
    freeaddrinfo(gen.address);
    loop_destroy(gen.loop);
    return gen.errors > 0 || gen.mismatches > 0 ? 1 : 0;
}
