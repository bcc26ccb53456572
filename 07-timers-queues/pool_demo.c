/* pool_demo.c -- ThreadPoolExecutor: submit and result, map, and as_completed over
 * "pages" that fail in different ways.
 *
 * Translates lecture 002's executor examples:
 *
 *     with ThreadPoolExecutor(max_workers=1) as executor:
 *         future = executor.submit(pow, 323, 1235)
 *         print(future.result())
 *
 *     with ThreadPoolExecutor(max_workers=n) as executor:
 *         executor.map(function_to_execute, iterable_first_arg, iterable_second_arg, ...)
 *
 *     def load_url(url, timeout):
 *         with urllib.request.urlopen(url, timeout=timeout) as conn:
 *             return conn.read()
 *     with concurrent.futures.ThreadPoolExecutor(max_workers=5) as executor:
 *         future_to_url = {executor.submit(load_url, url, 60): url for url in URLS}
 *         for future in concurrent.futures.as_completed(future_to_url):
 *             url = future_to_url[future]
 *             try:
 *                 data = future.result()
 *             except Exception as exc:
 *                 print('%r generated an exception: %s' % (url, exc))
 *             else:
 *                 print('%r page is %d bytes' % (url, len(data)))
 *
 * 1. pow(323, 1235) is a 3099-digit number: Python has big integers, C does not.
 *    The task computes what C can compute exactly without them: the number of digits
 *    (from logarithms), the first digits (10 to the fractional part of the
 *    logarithm), the last nine digits (power modulo 10^9), and Python's three-
 *    argument pow(323, 1235, 1000000007) (square-and-multiply modulo a prime, every
 *    product < 2^64). `python3 -c 'print(pow(323, 1235))'` confirms each part.
 * 2. map with two input lists, as the lecture writes it: pow over (2, 10), (3, 9),
 *    ...; the first call is made the slowest, so they finish in reverse order, and
 *    the results still come back in input order.
 * 3. as_completed with the lecture's five URLs replaced by TCP services on loopback
 *    that this program starts itself (no Internet needed, same outcome every run):
 *    two answer with some bytes after a delay, one is too slow for the 1 s timeout,
 *    one resets the connection, and for the made-up domain nobody listens. Results
 *    print in the order the loads finish, not the order of the list.
 *
 * A task reports failure by returning non-zero with a message (C has no exceptions):
 * future_result() says FUTURE_FAILED and future_error() gives the message -- the
 * `except Exception as exc` branch. See executor.h.
 *
 * The socket calls are in net.c: net_listen (each service's socket, bind and listen),
 * net_accept (its accept), net_connect (load_url's connect with a timeout), net_wait
 * (poll with a timeout) and net_send_all (send, looped, never raising SIGPIPE).
 *
 * Usage: pool_demo [-s SCALE] [-w WORKERS]
 *
 * Try:   ./pool_demo               all three examples
 *        ./pool_demo -w 1          one worker: the loads take turns; slower, same lines
 *        ./pool_demo -s 3          slower: watch the 'pages' arrive one by one
 * See also: executor.c (the pool), net.c (connect with a timeout), port_monitor.c.
 */
#include "cli.h"
#include "executor.h"
#include "net.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "pool_demo"
#define USAGE   "Usage: pool_demo [-s SCALE] [-w WORKERS]   (SCALE multiplies every delay)"

/* SECONDS as the milliseconds net_wait takes (rounded up: never a wait cut short). */
static int to_ms(double seconds)
{
    return seconds > 0 ? (int)(seconds * 1000) + 1 : 0;
}

/* --- 1. submit(pow, 323, 1235) ---------------------------------------------------------- */

/* BASE^EXPONENT modulo MODULUS (< 2^32, so every product fits in 64 bits): square
 * and multiply, one step per bit of the exponent. */
static uint64_t power_mod(uint64_t base, uint64_t exponent, uint64_t modulus)
{
    uint64_t result = 1 % modulus;
    base %= modulus;
    for (; exponent > 0; exponent >>= 1) {
        if (exponent & 1)
            result = result * base % modulus;
        base = base * base % modulus;
    }
    return result;
}

struct power {
    uint64_t base, exponent; /* the arguments */
    long digits;             /* the results */
    uint64_t first_digits, last_digits, mod_prime;
};

/* The task: what can be known of BASE^EXPONENT without big integers. */
static int power_task(void *arg, void **result, char *error, size_t error_size)
{
    struct power *p = arg;
    (void)result;
    if (p->base < 2 || p->exponent < 1) {
        snprintf(error, error_size, "pow(%lu, %lu): nothing to show", (unsigned long)p->base,
                 (unsigned long)p->exponent);
        return -1;
    }
    double log10_value = (double)p->exponent * log10((double)p->base);
    p->digits = (long)floor(log10_value) + 1;
    /* 10^(fractional part) is 7.330187419...: times 10^8, the first nine digits. */
    p->first_digits = (uint64_t)floor(pow(10.0, log10_value - floor(log10_value) + 8));
    p->last_digits = power_mod(p->base, p->exponent, 1000000000u);
    p->mod_prime = power_mod(p->base, p->exponent, 1000000007u);
    return 0;
}

static int submit_example(void)
{
    printf("--- executor.submit(pow, 323, 1235) with max_workers=1\n");
    struct executor *ex = executor_create(1);
    if (ex == NULL) {
        fprintf(stderr, "%s: executor_create: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    struct power p = {.base = 323, .exponent = 1235};
    struct future *future = executor_submit(ex, power_task, &p);
    enum future_state state = future ? future_result(future, -1, NULL) : FUTURE_FAILED;
    if (state == FUTURE_DONE) {
        printf("pow(323, 1235) = %09lu...%09lu (%ld digits)\n", (unsigned long)p.first_digits,
               (unsigned long)p.last_digits, p.digits);
        printf("pow(323, 1235, 1000000007) = %lu\n", (unsigned long)p.mod_prime);
    } else {
        fprintf(stderr, "%s: submit: %s\n", PROGRAM,
                future ? future_error(future) : strerror(errno));
    }
    if (future != NULL)
        future_release(future);
    executor_destroy(ex);
    return state == FUTURE_DONE ? 0 : 1;
}

/* --- 2. map(pow, bases, exponents) ------------------------------------------------------- */

struct pow_call {
    uint64_t base, exponent;
    /* When the call finishes (net_monotonic_ms): the first one last. A moment fixed for
     * each call, not a sleep from whenever its worker took it: a worker that starts late
     * (a busy machine) does not change the order. */
    long long finish_at_ms;
};

static int pow_task(void *arg, void **result, char *error, size_t error_size)
{
    struct pow_call *call = arg;
    (void)error;
    (void)error_size;
    long long left_ms = call->finish_at_ms - net_monotonic_ms();
    if (left_ms > 0)
        sleep_seconds((double)left_ms / 1000);
    uint64_t value = 1;
    for (uint64_t i = 0; i < call->exponent; i++)
        value *= call->base; /* small here: 6^6 at most */
    printf("    pow(%lu, %lu) finished\n", (unsigned long)call->base,
           (unsigned long)call->exponent);
    fflush(stdout);
    *result = (void *)(uintptr_t)value;
    return 0;
}

static int map_example(double scale)
{
    enum { N = 5 };
    struct pow_call calls[N];
    void *results[N];
    size_t failed;
    char error[256];

    printf("--- executor.map(pow, [2, 3, 4, 5, 6], [10, 9, 8, 7, 6]) with max_workers=%d\n", N);
    struct executor *ex = executor_create(N);
    if (ex == NULL) {
        fprintf(stderr, "%s: executor_create: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    long long now = net_monotonic_ms();
    for (int i = 0; i < N; i++) /* call i finishes (N - i) * 0.1 * SCALE s from now */
        calls[i] = (struct pow_call){.base = (uint64_t)i + 2,
                                     .exponent = (uint64_t)(10 - i),
                                     .finish_at_ms = now + (long long)((N - i) * 100 * scale)};
    enum future_state state = executor_map(ex, pow_task, calls, sizeof calls[0], N, results,
                                           &failed, error, sizeof error);
    executor_destroy(ex);
    if (state != FUTURE_DONE) {
        fprintf(stderr, "%s: map: call %zu: %s\n", PROGRAM, failed, error);
        return 1;
    }
    printf("results, in input order: [");
    for (int i = 0; i < N; i++)
        printf("%s%lu", i ? ", " : "", (unsigned long)(uintptr_t)results[i]);
    printf("]\n");
    return 0;
}

/* --- 3. as_completed over local "pages" ---------------------------------------------------- */

enum behaviour { ANSWERS, RESETS, REFUSES };

/* One local service standing in for one of the lecture's URLs. */
struct service {
    const char *name;
    enum behaviour behaviour;
    size_t bytes; /* ANSWERS: how many bytes, after DELAY seconds */
    double delay;
    int listener; /* -1 for REFUSES */
    int port;
    pthread_t thread;
    double load_timeout; /* the client side: load_url(url, timeout) */
};

/* A listening socket on 127.0.0.1 with a port the kernel picks. For REFUSES the
 * socket is closed again at once: connecting to that port is refused. Returns 0, or
 * -1 after printing why. */
static int open_service(struct service *s)
{
    struct sockaddr_in address;
    socklen_t len = sizeof address;
    char error[256];
    int fd = net_listen("127.0.0.1", 0, error, sizeof error);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&address, &len) < 0) {
        fprintf(stderr, "%s: getsockname: %s\n", PROGRAM, strerror(errno));
        close(fd);
        return -1;
    }
    s->port = ntohs(address.sin_port);
    if (s->behaviour == REFUSES) {
        close(fd);
        fd = -1;
    }
    s->listener = fd;
    return 0;
}

/* The service's thread: accept one client, then do what this "page" does. */
static void *serve(void *arg)
{
    struct service *s = arg;
    char peer[NET_ADDRESS_SIZE];
    /* Bounded: if the client never came, give up after a while. net_accept waits
     * again when accept() is interrupted by a signal (EINTR) or finds the connection
     * already reset (ECONNABORTED). (The fault-injection test found that an
     * interrupted accept left its client waiting until it timed out.) */
    int client = net_accept(s->listener, to_ms(s->delay + 10), peer, sizeof peer, PROGRAM);
    if (client < 0)
        return NULL;
    if (s->behaviour == RESETS) {
        struct linger reset = {.l_onoff = 1, .l_linger = 0}; /* close() sends RST */
        setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        close(client);
        return NULL;
    }
    /* Wait DELAY seconds before answering -- or less, if the client gives up first
     * (its close makes our socket readable: EOF). */
    if (net_wait(client, POLLIN, to_ms(s->delay)) == 0) {
        char page[4096];
        memset(page, 'x', sizeof page);
        for (size_t sent = 0; sent < s->bytes;) {
            size_t chunk = s->bytes - sent < sizeof page ? s->bytes - sent : sizeof page;
            if (net_send_all(client, page, chunk) < 0) /* no SIGPIPE if it left */
                break;
            sent += chunk;
        }
    }
    close(client);
    return NULL;
}

/* load_url(url, timeout): connect, read until the server closes, all within the
 * timeout. The result is the page's size; failures "raise" with their reason. */
static int load_url(void *arg, void **result, char *error, size_t error_size)
{
    struct service *s = arg;
    long long deadline = net_monotonic_ms() + to_ms(s->load_timeout);
    int fd = net_connect("127.0.0.1", s->port, s->load_timeout, NULL, 0, error, error_size);
    if (fd < 0) {
        /* Python's str(exc) is the reason alone: "Connection refused" */
        memmove(error, net_reason(error), strlen(net_reason(error)) + 1);
        return -1;
    }
    size_t total = 0;
    for (;;) {
        char buffer[16384];
        long long left = deadline - net_monotonic_ms();
        int ready = net_wait(fd, POLLIN, left > 0 ? (int)left : 0);
        if (ready == 0) {
            snprintf(error, error_size, "timed out"); /* Python: socket.timeout */
            break;
        }
        ssize_t n = ready < 0 ? -1 : recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(error, error_size, "%s", strerror(errno));
            break;
        }
        if (n == 0) { /* EOF: the whole page */
            close(fd);
            *result = (void *)(uintptr_t)total;
            return 0;
        }
        total += (size_t)n;
    }
    close(fd);
    return -1;
}

static int as_completed_example(double scale, long workers)
{
    struct service services[] = {
        {.name = "foxnews", .behaviour = ANSWERS, .bytes = 102400, .delay = 0.1 * scale},
        {.name = "cnn", .behaviour = ANSWERS, .bytes = 3450, .delay = 0.5 * scale},
        /* slower than the 1 s timeout: */
        {.name = "wsj", .behaviour = ANSWERS, .bytes = 100, .delay = 3.0 * scale},
        {.name = "bbc", .behaviour = RESETS},
        {.name = "some-made-up-domain", .behaviour = REFUSES},
    };
    enum { N = sizeof services / sizeof services[0] };
    struct future *future_to_url[N], *in_completion_order[N];
    size_t started = 0;
    int status = 0;

    printf(
        "--- as_completed: %d 'pages' from local TCP services, max_workers=%ld, timeout %.2f s\n",
        N, workers, 1.0 * scale);
    for (; started < N; started++) {
        struct service *s = &services[started];
        s->load_timeout = 1.0 * scale; /* the lecture's load_url(url, 60) */
        if (open_service(s) < 0) {
            status = 1;
            break;
        }
        if (s->behaviour == ANSWERS)
            printf("    '%s' on 127.0.0.1:%d: %zu bytes after %.2f s\n", s->name, s->port, s->bytes,
                   s->delay);
        else if (s->behaviour == RESETS)
            printf("    '%s' on 127.0.0.1:%d: accepts, then resets the connection\n", s->name,
                   s->port);
        else
            printf("    '%s' on 127.0.0.1:%d: nobody listens\n", s->name, s->port);
        if (s->listener >= 0) {
            int rc = pthread_create(&s->thread, NULL, serve, s);
            if (rc != 0) {
                fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
                close(s->listener);
                status = 1;
                break;
            }
        }
    }
    fflush(stdout);

    struct executor *ex = status == 0 ? executor_create((size_t)workers) : NULL;
    if (status == 0 && ex == NULL) {
        fprintf(stderr, "%s: executor_create: %s\n", PROGRAM, strerror(errno));
        status = 1;
    }
    size_t submitted = 0;
    /* future_to_url = {executor.submit(load_url, url, 60): url for url in URLS} */
    for (; ex != NULL && submitted < N; submitted++) {
        future_to_url[submitted] = executor_submit(ex, load_url, &services[submitted]);
        if (future_to_url[submitted] == NULL) {
            fprintf(stderr, "%s: submit: %s\n", PROGRAM, strerror(errno));
            status = 1;
            break;
        }
    }
    /* for future in as_completed(future_to_url): (it reorders its array: a copy) */
    memcpy(in_completion_order, future_to_url, sizeof future_to_url);
    struct as_completed it;
    as_completed_init(&it, in_completion_order, submitted, -1);
    for (struct future *f; (f = as_completed_next(&it)) != NULL;) {
        /* url = future_to_url[future] */
        const char *url = "?";
        for (size_t i = 0; i < submitted; i++)
            if (future_to_url[i] == f)
                url = services[i].name;
        void *size = NULL;
        if (future_result(f, -1, &size) == FUTURE_DONE) /* data = future.result() */
            printf("'%s' page is %zu bytes\n", url, (size_t)(uintptr_t)size);
        else /* except Exception as exc: */
            printf("'%s' generated an exception: %s\n", url, future_error(f));
        fflush(stdout);
    }
    for (size_t i = 0; i < submitted; i++)
        future_release(future_to_url[i]);
    if (ex != NULL)
        executor_destroy(ex);
    for (size_t i = 0; i < started; i++) {
        if (services[i].listener >= 0) {
            pthread_join(services[i].thread, NULL);
            close(services[i].listener);
        }
    }
    return status;
}

int main(int argc, char *argv[])
{
    double scale = 1.0;
    long workers = 5;
    const struct cli_option options[] = {
        {'s', "scale", CLI_SECONDS, &scale, "scale", 0.01, 100, "0.01 to 100", NULL},
        {'w', "workers", CLI_LONG, &workers, "worker count", 1, 100, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    status = submit_example();
    printf("\n");
    status |= map_example(scale);
    printf("\n");
    status |= as_completed_example(scale, workers);
    return status;
}
