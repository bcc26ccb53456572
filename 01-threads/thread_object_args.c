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
    long count = 2, times = 3;
    double delay = 0.5;
    const struct cli_option options[] = {
        {'n', "count", CLI_LONG, &count, "count", 1, MAX_THREADS, NULL, NULL},
        {'t', "times", CLI_LONG, &times, "times", 0, 1000000, NULL, NULL},
        {'d', "delay", CLI_SECONDS, &delay, "delay", 0, 0, "seconds, e.g. 0.5", NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

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
