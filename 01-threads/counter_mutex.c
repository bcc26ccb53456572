/* counter_mutex.c -- the shared counter made exact with a mutex (or an atomic).
 *
 * The fix for race_counter.c (lecture 003's `var += 1` from many threads). A mutex
 * (Python: threading.Lock) lets one thread at a time run the load-add-store, so no
 * increment is lost:
 *
 *     lock = threading.Lock()              pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
 *     with lock:                           pthread_mutex_lock(&lock);
 *         var += 1                         counter++;
 *                                          pthread_mutex_unlock(&lock);
 *
 * With -a the counter is a C11 atomic instead: atomic_fetch_add does the three steps
 * as one indivisible step in hardware. No lock, and usually faster for a lone counter;
 * a mutex is what you need as soon as more than one variable must change together.
 *
 * The experiment runs RUNS times (-r) and the program exits 0 only if every run gave
 * the exact total.
 *
 * Usage: counter_mutex [-n THREADS] [-i INCREMENTS] [-r RUNS] [-a]
 *
 * Try:   ./counter_mutex -r 5         exact five times
 *        time ./counter_mutex; time ./counter_mutex -a      the cost of the lock
 * See also: race_counter.c (the bug), lock_types.c (other locks).
 */
#include "cli.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PROGRAM     "counter_mutex"
#define USAGE       "Usage: counter_mutex [-n THREADS] [-i INCREMENTS] [-r RUNS] [-a]"
#define MAX_THREADS 64

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;               /* protected by counter_lock */
static atomic_long atomic_counter; /* needs no lock: every access is atomic */
static long increments;

static void *add_many_locked(void *unused)
{
    (void)unused;
    for (long i = 0; i < increments; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++; /* only one thread at a time gets here */
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

static void *add_many_atomic(void *unused)
{
    (void)unused;
    for (long i = 0; i < increments; i++)
        atomic_fetch_add(&atomic_counter, 1);
    return NULL;
}

/* One experiment: start the threads, wait for them, return the final count or -1. */
static long run_once(long nthreads, bool use_atomic)
{
    pthread_t threads[MAX_THREADS];
    long started = 0;

    counter = 0; /* no other thread is running now: no lock needed */
    atomic_store(&atomic_counter, 0);
    for (long i = 0; i < nthreads; i++) {
        int rc =
            pthread_create(&threads[i], NULL, use_atomic ? add_many_atomic : add_many_locked, NULL);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    /* pthread_join also makes the threads' writes visible to us: reading counter
     * after the joins is safe without the lock. */
    for (long i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (started != nthreads)
        return -1;
    return use_atomic ? atomic_load(&atomic_counter) : counter;
}

int main(int argc, char *argv[])
{
    long nthreads = 4, runs = 1;
    bool use_atomic = false;
    const struct cli_option options[] = {
        {'n', "threads", CLI_LONG, &nthreads, "thread count", 1, MAX_THREADS, NULL, NULL},
        {'i', "increments", CLI_LONG, &increments, "increments", 0, 100000000, NULL, NULL},
        {'r', "runs", CLI_LONG, &runs, "runs", 1, 1000, NULL, NULL},
        {'a', "atomic", CLI_FLAG, &use_atomic, "atomic", 0, 0, NULL, NULL},
        {0},
    };
    increments = 1000000;
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    long expected = nthreads * increments;
    long exact = 0;
    for (long run = 1; run <= runs; run++) {
        long got = run_once(nthreads, use_atomic);
        if (got < 0)
            return 1;
        printf("run %ld: expected %ld, got %ld%s\n", run, expected, got,
               got == expected ? "" : " (WRONG)");
        exact += got == expected;
    }
    printf("%ld of %ld runs exact (%s)\n", exact, runs, use_atomic ? "atomic" : "mutex");
    return exact == runs ? 0 : 1;
}
