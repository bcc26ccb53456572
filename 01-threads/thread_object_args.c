/* thread_object_args.c -- a thread object with its own arguments.
 *
 * Translates lecture 003, "Thread - Básico" (thread1.py):
 *
 *     class MyThread(threading.Thread):
 *         def __init__(self, times, delay):
 *             threading.Thread.__init__(self)
 *             self.counter = times
 *             self.delay = delay
 *         def run(self):
 *             while self.counter:
 *                 print("{} - Iterating: {}".format(self.getName(), self.counter))
 *                 time.sleep(self.delay)
 *                 self.counter -= 1
 *
 * The constructor's arguments become fields of the struct, filled in before the
 * thread starts. Each thread owns its struct: no other thread touches its counter,
 * so no lock is needed (the "share nothing" way to avoid races).
 *
 * Thread k (k = 1..COUNT) gets TIMES iterations and a delay of k * DELAY seconds, so
 * the slower threads fall behind and the lines interleave.
 *
 * Usage: thread_object_args [-n COUNT] [-t TIMES] [-d DELAY]   (defaults 2, 3, 0.5)
 *
 * Try:   ./thread_object_args -n 3 -t 4 -d 0.2
 * See also: thread_class.c, thread_logging.c.
 */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM     "thread_object_args"
#define USAGE       "Usage: thread_object_args [-n COUNT] [-t TIMES] [-d DELAY]   (defaults 2, 3, 0.5)"
#define MAX_THREADS 1000

struct my_thread {
    pthread_t handle;
    char name[32];
    long counter; /* self.counter = times */
    double delay; /* self.delay = delay */
};

/* MyThread.__init__(times, delay) */
static void my_thread_init(struct my_thread *self, long number, long times, double delay)
{
    snprintf(self->name, sizeof self->name, "Thread-%ld", number);
    self->counter = times;
    self->delay = delay;
}

/* MyThread.run() */
static void *my_thread_run(void *arg)
{
    struct my_thread *self = arg;
    while (self->counter) {
        printf("%s - Iterating: %ld\n", self->name, self->counter);
        fflush(stdout); /* show each line when it happens, even into a pipe */
        sleep_seconds(self->delay);
        self->counter -= 1;
    }
    return NULL;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"count", required_argument, NULL, 'n'},
        {"times", required_argument, NULL, 't'},
        {"delay", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    long count = 2, times = 3;
    double delay = 0.5;
    int opt;

    while ((opt = getopt_long(argc, argv, "n:t:d:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (parse_long(optarg, 1, MAX_THREADS, &count) != 0)
                return usage_error(PROGRAM, USAGE, "bad count '%s': expected 1 to %d", optarg,
                                   MAX_THREADS);
            break;
        case 't':
            if (parse_long(optarg, 0, 1000000, &times) != 0)
                return usage_error(PROGRAM, USAGE, "bad times '%s': expected 0 to 1000000", optarg);
            break;
        case 'd':
            if (parse_seconds(optarg, &delay) != 0)
                return usage_error(PROGRAM, USAGE, "bad delay '%s': expected seconds, e.g. 0.5",
                                   optarg);
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

    struct my_thread *threads = calloc((size_t)count, sizeof *threads);
    if (threads == NULL) {
        fprintf(stderr, "%s: calloc: out of memory\n", PROGRAM);
        return 1;
    }
    long started = 0;
    for (long i = 0; i < count; i++) {
        my_thread_init(&threads[i], i + 1, times, delay * (double)(i + 1));
        int rc = pthread_create(&threads[i].handle, NULL, my_thread_run, &threads[i]);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    for (long i = 0; i < started; i++)
        pthread_join(threads[i].handle, NULL);
    free(threads);
    return started == count ? 0 : 1;
}
