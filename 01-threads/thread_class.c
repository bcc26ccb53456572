/* thread_class.c -- a thread as an object with its own run function.
 *
 * Translates lecture 000, "Contoh Thread 1: Class Inheritance":
 *
 *     class ThreadClass(threading.Thread):
 *         def run(self):
 *             now = datetime.datetime.now()
 *             print("%s says Hello World at time: %s" % (self.getName(), now))
 *     for i in range(5):
 *         t = ThreadClass(); t.start()
 *
 * C has no classes, but the idea survives: an "object" is a struct, and "overriding
 * run()" means storing a pointer to our own run function in it. pthread_create wants a
 * plain `void *(*)(void *)`, so a small trampoline turns the struct pointer back into
 * an object and calls its run function: that is what Python's Thread.start() does for
 * you behind the scenes.
 *
 * Usage: thread_class [-n COUNT]        (COUNT threads, default 5, as the lecture)
 *
 * Try:   ./thread_class -n 10           the lines come out in an order nobody chose
 * See also: thread_object_args.c (an object with its own arguments).
 */
#include "cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM     "thread_class"
#define USAGE       "Usage: thread_class [-n COUNT]   (start COUNT threads, default 5)"
#define MAX_THREADS 1000

/* The "class": its data (a name, like Thread.getName()) and its "method" run. */
struct thread_object {
    pthread_t handle;
    char name[32];
    void (*run)(struct thread_object *self);
};

/* Our override of run(): say hello with the current local time, like datetime.now(). */
static void say_hello(struct thread_object *self)
{
    struct timespec now;
    struct tm local;
    char stamp[32];

    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &local); /* localtime() shares one buffer: not thread-safe */
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    /* One printf per line: POSIX locks stdout for each call, so lines never mix. */
    printf("%s says Hello World at time: %s.%06ld\n", self->name, stamp, now.tv_nsec / 1000);
}

/* What Thread.start() does inside: run the object's own run function in the thread. */
static void *trampoline(void *arg)
{
    struct thread_object *self = arg;
    self->run(self);
    return NULL;
}

static int thread_start(struct thread_object *t)
{
    return pthread_create(&t->handle, NULL, trampoline, t);
}

int main(int argc, char *argv[])
{
    long count = 5;
    const struct cli_option options[] = {
        {'n', "count", CLI_LONG, &count, "count", 1, MAX_THREADS, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    struct thread_object *threads = calloc((size_t)count, sizeof *threads);
    if (threads == NULL) {
        fprintf(stderr, "%s: calloc: out of memory\n", PROGRAM);
        return 1;
    }
    /* Load the time zone once, before any thread exists: localtime_r() need not do
     * it (POSIX), and glibc's lazy loading in each thread is what race detectors
     * flag. */
    tzset();
    long started = 0;
    for (long i = 0; i < count; i++) {
        /* Python names its threads Thread-1, Thread-2, ...: so do we. */
        snprintf(threads[i].name, sizeof threads[i].name, "Thread-%ld", i + 1);
        threads[i].run = say_hello;
        int rc = thread_start(&threads[i]);
        if (rc != 0) { /* pthread functions return the error instead of setting errno */
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    /* Python waits for its (non-daemon) threads before the program ends. In C,
     * returning from main ends the whole process, threads included: we must join. */
    for (long i = 0; i < started; i++)
        pthread_join(threads[i].handle, NULL);
    free(threads);
    return started == count ? 0 : 1;
}
