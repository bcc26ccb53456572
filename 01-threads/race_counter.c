/* race_counter.c -- DELIBERATE DATA RACE: threads lose updates to a shared counter.
 *
 * This program is wrong on purpose. It is the one program of the kit that the race
 * detectors (make helgrind, SANITIZE=thread) are told to skip. counter_mutex.c is
 * the fix.
 *
 * Translates lecture 003's "Criando objetos thread":
 *
 *     var = 1
 *     class MinhaThread(threading.Thread):
 *         def run(self):
 *             global var
 *             print('Thread %d' % var)
 *             var += 1
 *
 * `var += 1` looks like one step but is three: load var, add 1, store var. When two
 * threads interleave those steps, both load the same old value and both store
 * old + 1: one increment is lost. In CPython the GIL makes this rare; in C, on two
 * cores, it happens all the time. Here THREADS threads each add 1 to a shared
 * counter INCREMENTS times, and the total comes out short.
 *
 * `volatile` below does NOT make anything thread-safe. It only stops the compiler
 * from turning our loop of increments into one big addition, which would hide the
 * race (the race would still be there, only rarer).
 *
 * -y writes the three steps out and yields the CPU between the load and the store,
 * as the lecture's print() between reading var and `var += 1` does. The window is
 * then wide enough to lose updates even on one core or a busy machine, where the
 * plain loop may (by luck of scheduling) lose nothing: luck is not correctness.
 *
 * Usage: race_counter [-n THREADS] [-i INCREMENTS] [-y]   (defaults 4 and 1000000)
 *
 * Try:   ./race_counter               expected 4000000, got 2178331 (lost 1821669)
 *        ./race_counter -y -i 10000   the same race with a wide window: most are lost
 *        ./race_counter -n 1          one thread alone never loses anything
 * See also: counter_mutex.c (the fix), make helgrind (the detector that sees it).
 */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PROGRAM     "race_counter"
#define USAGE       "Usage: race_counter [-n THREADS] [-i INCREMENTS] [-y]   (defaults 4 and 1000000)"
#define MAX_THREADS 64

static volatile long counter; /* shared by every thread, protected by nothing */
static long increments;
static bool wide_window; /* -y; set before the threads start, only read after */

static void *add_many(void *unused)
{
    (void)unused;
    for (long i = 0; i < increments; i++) {
        if (wide_window) {
            long seen = counter; /* load */
            sched_yield();       /* let another thread load the same old value */
            counter = seen + 1;  /* add, store: overwrites what the others stored */
        } else {
            counter++; /* load, add, store: another thread can run in between */
        }
    }
    return NULL;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"threads", required_argument, NULL, 'n'},
        {"increments", required_argument, NULL, 'i'},
        {"yield", no_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    long nthreads = 4;
    int opt;

    increments = 1000000;
    while ((opt = getopt_long(argc, argv, "n:i:yh", options, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (parse_long(optarg, 1, MAX_THREADS, &nthreads) != 0)
                return usage_error(PROGRAM, USAGE, "bad thread count '%s': expected 1 to %d",
                                   optarg, MAX_THREADS);
            break;
        case 'i':
            if (parse_long(optarg, 0, 100000000, &increments) != 0)
                return usage_error(PROGRAM, USAGE, "bad increments '%s': expected 0 to 100000000",
                                   optarg);
            break;
        case 'y':
            wide_window = true;
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

    pthread_t threads[MAX_THREADS];
    long started = 0;
    for (long i = 0; i < nthreads; i++) {
        int rc = pthread_create(&threads[i], NULL, add_many, NULL);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    for (long i = 0; i < started; i++)
        pthread_join(threads[i], NULL);

    long expected = started * increments;
    printf("expected %ld, got %ld (lost %ld)\n", expected, counter, expected - counter);
    return started == nthreads ? 0 : 1;
}
