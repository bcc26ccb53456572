/* thread_target.c -- a thread that runs a target function.
 *
 * Translates lecture 000, "Contoh Thread 2: Target Function":
 *
 *     def worker():
 *         print('Worker')
 *     for i in range(5):
 *         t = threading.Thread(target=worker); threads.append(t); t.start()
 *
 * threading.Thread(target=worker) is pthread_create(&t, NULL, worker, NULL): the
 * target is any function taking a void * and returning a void *. No class needed.
 *
 * Usage: thread_target [-n COUNT]        (COUNT threads, default 5)
 *
 * Try:   ./thread_target -n 3
 * See also: thread_args.c (a target with arguments), thread_class.c.
 */
#include "cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM     "thread_target"
#define USAGE       "Usage: thread_target [-n COUNT]   (start COUNT threads, default 5)"
#define MAX_THREADS 1000

/* The target. pthreads fixes its shape: one void * in, one void * out. */
static void *worker(void *unused)
{
    (void)unused;
    printf("Worker\n");
    return NULL;
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

    pthread_t *threads = calloc((size_t)count, sizeof *threads); /* the list `threads` */
    if (threads == NULL) {
        fprintf(stderr, "%s: calloc: out of memory\n", PROGRAM);
        return 1;
    }
    long started = 0;
    for (long i = 0; i < count; i++) {
        int rc = pthread_create(&threads[i], NULL, worker, NULL);
        if (rc != 0) { /* pthread functions return the error instead of setting errno */
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    /* Python waits for its (non-daemon) threads before the program ends. In C,
     * returning from main ends the whole process, threads included: we must join. */
    for (long i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    return started == count ? 0 : 1;
}
