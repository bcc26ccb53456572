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

#include <getopt.h>
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
    static const struct option options[] = {
        {"count", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    long count = 5;
    int opt;

    while ((opt = getopt_long(argc, argv, "n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (parse_long(optarg, 1, MAX_THREADS, &count) != 0)
                return usage_error(PROGRAM, USAGE, "bad count '%s': expected 1 to %d", optarg,
                                   MAX_THREADS);
            break;
        case 'h':
            puts(USAGE);
            return 0;
        default: /* getopt has printed what was wrong */
            return usage_error(PROGRAM, USAGE, NULL);
        }
    }
    if (optind < argc)
        return usage_error(PROGRAM, USAGE, "unexpected argument '%s'", argv[optind]);

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
