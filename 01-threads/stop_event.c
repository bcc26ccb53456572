/* stop_event.c -- stopping a thread politely with an Event.
 *
 * Translates lecture 003, "Controlando Threads" / "Finalizando objetos thread":
 *
 *     class NovaThread(Thread):
 *         def __init__(self):
 *             Thread.__init__(self)
 *             self.__stop_thread_event = Event()
 *         def stop(self):
 *             self.__stop_thread_event.set()
 *         def run(self):
 *             i = 0
 *             while not self.__stop_thread_event.isSet():
 *                 print "%d executing" % i
 *                 i += 1
 *                 time.sleep(0.1)
 *
 * There is no "kill this thread" in Python, and pthread_cancel in C is a trap (the
 * thread may die holding a lock or half-way through a write). A thread stops by
 * returning from its function; the Event is how we ask it to.
 *
 * One improvement over the lecture: the thread waits with event_wait(stop, 0.1)
 * instead of time.sleep(0.1). The wait ends the moment stop() is called, so the
 * thread stops at once instead of finishing its nap (try -i 5: still instant).
 *
 * Usage: stop_event [-t SECONDS] [-i INTERVAL]   (run 1 s, print every 0.1 s)
 *
 * Try:   ./stop_event -t 0.5
 *        ./stop_event -t 0.3 -i 5       the stop is still immediate
 * See also: event.c (how the Event works), 05-select-server (stopping servers).
 */
#include "cli.h"
#include "event.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PROGRAM "stop_event"
#define USAGE   "Usage: stop_event [-t SECONDS] [-i INTERVAL]   (defaults 1 and 0.1)"

struct nova_thread {
    pthread_t handle;
    struct event stop_event;
    double interval;
    long iterations;
};

static void *nova_thread_run(void *arg)
{
    struct nova_thread *self = arg;
    long i = 0;
    while (!event_is_set(&self->stop_event)) {
        printf("%ld executing\n", i);
        fflush(stdout);
        i += 1;
        event_wait(&self->stop_event, self->interval); /* sleep, unless told to stop */
    }
    self->iterations = i; /* read by main only after pthread_join: no race */
    return NULL;
}

/* NovaThread.stop(): ask, do not force. */
static void nova_thread_stop(struct nova_thread *self)
{
    event_set(&self->stop_event);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char *argv[])
{
    double run_for = 1.0;
    struct nova_thread thread = {.interval = 0.1};
    const struct cli_option options[] = {
        {'t', "time", CLI_SECONDS, &run_for, "time", 0, 0, NULL, NULL},
        {'i', "interval", CLI_SECONDS, &thread.interval, "interval", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    int rc = event_init(&thread.stop_event);
    if (rc != 0) {
        fprintf(stderr, "%s: event_init: %s\n", PROGRAM, strerror(rc));
        return 1;
    }
    rc = pthread_create(&thread.handle, NULL, nova_thread_run, &thread);
    if (rc != 0) {
        fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
        event_destroy(&thread.stop_event);
        return 1;
    }
    sleep_seconds(run_for);

    struct timespec asked;
    clock_gettime(CLOCK_MONOTONIC, &asked);
    nova_thread_stop(&thread);
    pthread_join(thread.handle, NULL);
    printf("stopped after %ld iterations; it took %.1f ms to stop\n", thread.iterations,
           seconds_since(&asked) * 1000.0);
    event_destroy(&thread.stop_event);
    return 0;
}
