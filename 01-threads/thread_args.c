/* thread_args.c -- a target function with an argument, and the classic &i pitfall.
 *
 * Translates lecture 000, "Contoh Thread 3: Target Function with Args":
 *
 *     def worker(num):
 *         print('Worker: %s' % num)
 *     for i in range(5):
 *         t = threading.Thread(target=worker, args=(i,)); t.start()
 *
 * Python copies the value of i into the tuple (i,) when the thread is created. C
 * passes one void *, and the tempting translation is pthread_create(..., &i): the
 * ADDRESS of the loop variable. Every thread then reads the same variable whenever
 * it happens to run, by which time the loop has usually moved on: you see
 * "Worker: 3" twice, "Worker: 5" (a number the loop never gave), or anything else.
 *
 * The fix: give each thread its own copy that lives until the thread is done
 * (here an array args[i], one slot per thread).
 *
 * --pitfall shows the bug. Real timing makes it random (and is a data race, which
 * ThreadSanitizer reports); to show it the same way every time and race-free, the
 * workers wait at a gate until the loop has finished, so every one of them reads
 * the final value of i: "Worker: 5" five times.
 *
 * Usage: thread_args [-n COUNT] [--pitfall]
 *
 * Try:   ./thread_args              Worker: 0 .. Worker: 4, in some order
 *        ./thread_args --pitfall    Worker: 5, five times
 * See also: thread_target.c, thread_object_args.c.
 */
#include "cli.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM     "thread_args"
#define USAGE       "Usage: thread_args [-n COUNT] [--pitfall]   (COUNT threads, default 5)"
#define MAX_THREADS 1000

/* The target: its argument is a pointer to the number it should print. */
static void *worker(void *arg)
{
    const int *num = arg;
    printf("Worker: %d\n", *num);
    return NULL;
}

/* --- only for --pitfall: a gate that holds the workers until the loop is over --- */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_opened = PTHREAD_COND_INITIALIZER;
static bool gate_open = false;

static void *worker_behind_gate(void *arg)
{
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate_opened, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return worker(arg); /* reads *arg now: long after the loop changed it */
}

int main(int argc, char *argv[])
{
    long count = 5;
    bool pitfall = false;
    const struct cli_option options[] = {
        {'n', "count", CLI_LONG, &count, "count", 1, MAX_THREADS, NULL, NULL},
        {0, "pitfall", CLI_FLAG, &pitfall, "pitfall", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    pthread_t *threads = calloc((size_t)count, sizeof *threads);
    int *args = calloc((size_t)count, sizeof *args); /* one argument slot per thread */
    if (threads == NULL || args == NULL) {
        fprintf(stderr, "%s: calloc: out of memory\n", PROGRAM);
        free(threads);
        free(args);
        return 1;
    }

    int i; /* declared outside the loop so that &i stays valid after it (pitfall) */
    int started = 0;
    for (i = 0; i < count; i++) {
        int rc;
        if (pitfall) {
            rc = pthread_create(&threads[i], NULL, worker_behind_gate, &i); /* WRONG */
        } else {
            args[i] = i; /* the copy Python's args=(i,) makes for us */
            rc = pthread_create(&threads[i], NULL, worker, &args[i]); /* right */
        }
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    if (pitfall) {
        /* The loop is over and i == count: let the workers look at it now. The mutex
         * also makes our last write of i visible to them (no data race). */
        pthread_mutex_lock(&gate_lock);
        gate_open = true;
        pthread_cond_broadcast(&gate_opened);
        pthread_mutex_unlock(&gate_lock);
    }
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    if (pitfall)
        fprintf(stderr,
                "%s: every thread got &i and read i after the loop ended; "
                "run without --pitfall to see each thread get its own copy\n",
                PROGRAM);
    free(threads);
    free(args);
    return started == count ? 0 : 1;
}
