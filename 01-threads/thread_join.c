/* thread_join.c -- start several threads, then join them in order.
 *
 * Translates lecture 002's threading example:
 *
 *     def testfunc(val):
 *         time.sleep(val)     # Kokeile 5-val  (try 5-val)
 *         print(val)
 *     for i in range(5):
 *         t = Thread(target=testfunc, args=(i,)); threads.append(t); t.start()
 *     for index, t in enumerate(threads):
 *         print(f'Joining thread {index}')
 *         t.join()
 *     print("All other threads are finished")
 *
 * join() waits for one thread to end. Joining in list order means "Joining thread 2"
 * cannot be printed before thread 1 has finished, but threads still finish in their
 * own order: with -r (the lecture's "try 5-val") thread 0 sleeps longest, so the
 * main thread waits at the first join while all the others print.
 *
 * -s SCALE multiplies every sleep (1 = seconds as in the lecture; the tests use 0.05
 * so that they run in a fraction of a second).
 *
 * Usage: thread_join [-n COUNT] [-s SCALE] [-r]
 *
 * Try:   ./thread_join            0, Joining thread 0, ..., one line a second
 *        ./thread_join -r         the same threads, sleeping 5 - val seconds
 * See also: thread_target.c, 07-timers-queues/pool_demo.c (a pool instead).
 */
#include "cli.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM     "thread_join"
#define USAGE       "Usage: thread_join [-n COUNT] [-s SCALE] [-r]   (COUNT threads, default 5)"
#define MAX_THREADS 1000

struct test_args {
    long val;       /* what to print */
    double seconds; /* how long to sleep first */
};

static void *testfunc(void *arg)
{
    const struct test_args *args = arg;
    sleep_seconds(args->seconds);
    printf("%ld\n", args->val);
    fflush(stdout); /* show it now, even when stdout is a pipe */
    return NULL;
}

int main(int argc, char *argv[])
{
    long count = 5;
    double scale = 1.0;
    bool reverse = false;
    const struct cli_option options[] = {
        {'n', "count", CLI_LONG, &count, "count", 1, MAX_THREADS, NULL, NULL},
        {'s', "scale", CLI_SECONDS, &scale, "scale", 0, 0, "e.g. 1 or 0.05", NULL},
        {'r', "reverse", CLI_FLAG, &reverse, "reverse", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    pthread_t *threads = calloc((size_t)count, sizeof *threads);
    struct test_args *args = calloc((size_t)count, sizeof *args);
    if (threads == NULL || args == NULL) {
        fprintf(stderr, "%s: calloc: out of memory\n", PROGRAM);
        free(threads);
        free(args);
        return 1;
    }
    long started = 0;
    for (long i = 0; i < count; i++) {
        args[i].val = i;
        args[i].seconds = scale * (double)(reverse ? count - i : i);
        int rc = pthread_create(&threads[i], NULL, testfunc, &args[i]);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    for (long i = 0; i < started; i++) {
        printf("Joining thread %ld\n", i);
        fflush(stdout);
        pthread_join(threads[i], NULL); /* t.join(): wait until thread i has ended */
    }
    printf("All other threads are finished\n");
    free(threads);
    free(args);
    return started == count ? 0 : 1;
}
