/* queue_demo.c -- worker threads consuming a Queue that the main thread fills;
 * join() waits until every item is processed. With -e: Full and Empty.
 *
 * Translates lecture 003, "Threads - Filas (Queue)":
 *
 *     @threaded
 *     def func():
 *         while 1:
 *             item = q.get()
 *             operacao(item)
 *             q.task_done()
 *
 *     q = Queue()
 *     for i in range(5):
 *         func()
 *
 *     for item in source():
 *         q.put(item)
 *     q.join() # Bloqueia a fifo até que tudo seja processado
 *
 * The queue is the only thing the threads share: main puts, the workers get, and
 * the queue's lock makes every item go to exactly one worker. task_done() counts the
 * items processed; join() sleeps until that count reaches the number put.
 *
 * Where C differs: the lecture's workers loop forever (`while 1`), so the Python
 * program never ends after join() -- the threads are still blocked in q.get(). C
 * has to join its threads before main returns, so after join() the queue is closed:
 * every worker blocked in get() wakes with QUEUE_CLOSED, leaves its loop, and is
 * joined. (Python 3.13 added the same: Queue.shutdown().)
 *
 * -m MAXSIZE bounds the queue (the lecture's Queue() has no bound): main then blocks
 * in put() whenever the workers fall behind. -e shows lecture 003's other point,
 * "when full it raises Full, when empty it raises Empty", with put/get that do not
 * wait or wait a little.
 *
 * Usage: queue_demo [-w WORKERS] [-n ITEMS] [-m MAXSIZE] [-d SECONDS] [-e]
 *
 * Try:   ./queue_demo                  5 workers share 20 items
 *        ./queue_demo -w 1             one worker: strictly in order
 *        ./queue_demo -m 2 -d 0.2      a small queue: main waits for room
 *        ./queue_demo -e               Full and Empty
 * See also: queue.c (the Queue), executor.c (a pool built on it), 01-threads.
 */
#include "cli.h"
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM     "queue_demo"
#define USAGE       "Usage: queue_demo [-w WORKERS] [-n ITEMS] [-m MAXSIZE] [-d SECONDS] [-e]"
#define MAX_WORKERS 100

/* One worker thread: its name, and how many items it processed. */
struct worker {
    pthread_t thread;
    char name[32];
    struct queue *q;
    double delay; /* how long operacao() takes */
    long processed;
};

/* One line of output, prefixed with the thread's name as lecture 003's logging does:
 * format='(%(threadName)-10s) %(message)s'. printf locks stdout for the call: the
 * lines of different threads never mix. */
#define SAY(name, ...)                                                                             \
    do {                                                                                           \
        char message_[128];                                                                        \
        snprintf(message_, sizeof message_, __VA_ARGS__);                                          \
        printf("(%-10s) %s\n", (name), message_);                                                  \
        fflush(stdout);                                                                            \
    } while (0)

/* operacao(item): the work. Here: say so, and take DELAY seconds. */
static void operacao(struct worker *self, uintptr_t item)
{
    SAY(self->name, "operacao(%lu)", (unsigned long)item);
    sleep_seconds(self->delay);
}

/* func(): the lecture's worker loop, with a way out. */
static void *func(void *arg)
{
    struct worker *self = arg;
    void *item;
    while (queue_get(self->q, &item, -1) == QUEUE_OK) { /* item = q.get() */
        operacao(self, (uintptr_t)item);
        self->processed++;
        queue_task_done(self->q); /* q.task_done() */
    }
    /* QUEUE_CLOSED: main closed the queue and it is empty. */
    return NULL;
}

/* -e: Full and Empty, the lecture's exceptions, as return values. */
static int full_and_empty(void)
{
    struct queue q;
    void *item;
    int rc = queue_init(&q, 2);
    if (rc != 0) {
        fprintf(stderr, "%s: queue_init: %s\n", PROGRAM, strerror(rc));
        return 1;
    }
    printf("q = Queue(maxsize=2)\n");
    for (uintptr_t i = 1; i <= 3; i++) {
        enum queue_status status = queue_put(&q, (void *)i, 0);
        printf("q.put_nowait(%lu) -> %s%s\n", (unsigned long)i, queue_status_name(status),
               status == QUEUE_FULL ? "   (Python raises queue.Full)" : "");
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    enum queue_status status = queue_put(&q, (void *)4, 0.2);
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("q.put(4, timeout=0.2) -> %s after %.1f s\n", queue_status_name(status),
           (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    for (int i = 0; i < 3; i++) {
        status = queue_get(&q, &item, 0);
        if (status == QUEUE_OK)
            printf("q.get_nowait() -> %lu\n", (unsigned long)(uintptr_t)item);
        else
            printf("q.get_nowait() -> %s   (Python raises queue.Empty)\n",
                   queue_status_name(status));
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    status = queue_get(&q, &item, 0.2);
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("q.get(timeout=0.2) -> %s after %.1f s\n", queue_status_name(status),
           (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    queue_destroy(&q);
    return 0;
}

int main(int argc, char *argv[])
{
    long worker_count = 5, items = 20, maxsize = 0;
    double delay = 0.05;
    bool exceptions = false;
    const struct cli_option options[] = {
        {'w', "workers", CLI_LONG, &worker_count, "worker count", 1, MAX_WORKERS, NULL, NULL},
        {'n', "items", CLI_LONG, &items, "item count", 0, 1000000, NULL, NULL},
        {'m', "maxsize", CLI_LONG, &maxsize, "maxsize", 0, 1000000, NULL, NULL},
        {'d', "delay", CLI_SECONDS, &delay, "delay", 0, 0, NULL, NULL},
        {'e', "full-empty", CLI_FLAG, &exceptions, "full-empty", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */
    if (exceptions)
        return full_and_empty();

    struct queue q; /* q = Queue() */
    struct worker workers[MAX_WORKERS];
    int rc = queue_init(&q, (size_t)maxsize);
    if (rc != 0) {
        fprintf(stderr, "%s: queue_init: %s\n", PROGRAM, strerror(rc));
        return 1;
    }
    long started = 0;
    for (; started < worker_count; started++) { /* for i in range(5): func() */
        struct worker *w = &workers[started];
        *w = (struct worker){.q = &q, .delay = delay};
        snprintf(w->name, sizeof w->name, "Thread-%ld", started + 1);
        rc = pthread_create(&w->thread, NULL, func, w);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
    }
    if (started == worker_count) {
        SAY("MainThread", "putting %ld items into the queue", items);
        for (long item = 1; item <= items; item++) /* for item in source(): q.put(item) */
            queue_put(&q, (void *)(uintptr_t)item, -1);
        SAY("MainThread", "all items put; q.join() waits until each is task_done()");
        queue_join(&q);
        SAY("MainThread", "q.join() returned: %ld items processed", items);
    }
    /* The C-only step: close the queue so the workers, blocked in get(), leave. */
    queue_close(&q);
    long total = 0;
    for (long i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].processed;
    }
    if (started == worker_count) {
        SAY("MainThread", "queue closed; %ld workers joined", started);
        for (long i = 0; i < started; i++)
            SAY("MainThread", "%s processed %ld items", workers[i].name, workers[i].processed);
    }
    queue_destroy(&q);
    return started == worker_count && total == items ? 0 : 1;
}
