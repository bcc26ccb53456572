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
 * -y writes the three steps out and does a moment of work between the load and the
 * store, as the lecture's print() between reading var and `var += 1` does. The window
 * is then wide enough to lose updates even on one core or a busy machine, where the
 * plain loop may (by luck of scheduling) lose nothing: luck is not correctness. On two
 * cores two threads are in the window at once; on one core the scheduler preempts a
 * thread inside it (nearly all of its time is spent there), and the others' updates
 * made meanwhile are overwritten when it stores.
 *
 * The moment is a fixed amount of work (WINDOW_STEPS turns of an empty loop, about a
 * microsecond), not sched_yield(): a yield hands the CPU to whatever else is runnable,
 * so on a busy machine each of the 80000 yields of `-n 4 -i 20000 -y` waited for
 * another program's time slice, and the run took 24-28 s instead of 34-41 ms. Fixed
 * work costs the same CPU time however busy the machine is.
 *
 * Measured on the kit's 2-CPU machine (shared with other work), the wall time of
 * `./race_counter -n 4 -i 20000 -y` over 50 runs, idle and then beside two
 * `sh -c 'while :; do :; done'` (both CPUs busy): idle 52-102 ms (median 60), busy
 * 81-131 ms (median 92); every run lost updates (at least 50000 of 80000), and so did
 * 30 runs on one core (taskset -c 0) and runs under valgrind (about 2 s).
 *
 * Usage: race_counter [-n THREADS] [-i INCREMENTS] [-y]   (defaults 4 and 1000000)
 *
 * Try:   ./race_counter               expected 4000000, got 2178331 (lost 1821669)
 *        ./race_counter -y -i 20000   the same race with a wide window: most are lost
 *        ./race_counter -n 1          one thread alone never loses anything
 * See also: counter_mutex.c (the fix), make helgrind (the detector that sees it).
 */
#include "cli.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PROGRAM      "race_counter"
#define USAGE        "Usage: race_counter [-n THREADS] [-i INCREMENTS] [-y]   (defaults 4 and 1000000)"
#define MAX_THREADS  64
#define WINDOW_STEPS 500 /* the moment between load and store (-y): about 1 us */

static volatile long counter; /* shared by every thread, protected by nothing */
static long increments;
static bool wide_window; /* -y; set before the threads start, only read after */

/* The work between the load and the store (-y): a fixed number of steps, so its cost
 * is CPU time, the same on an idle machine as on a busy one. `volatile` keeps the
 * compiler from deleting a loop that computes nothing. */
static void take_a_moment(void)
{
    for (volatile int step = 0; step < WINDOW_STEPS; step++)
        ;
}

static void *add_many(void *unused)
{
    (void)unused;
    for (long i = 0; i < increments; i++) {
        if (wide_window) {
            long seen = counter; /* load */
            take_a_moment();     /* meanwhile another thread loads the same old value */
            counter = seen + 1;  /* add, store: overwrites what the others stored */
        } else {
            counter++; /* load, add, store: another thread can run in between */
        }
    }
    return NULL;
}

int main(int argc, char *argv[])
{
    long nthreads = 4;
    const struct cli_option options[] = {
        {'n', "threads", CLI_LONG, &nthreads, "thread count", 1, MAX_THREADS, NULL, NULL},
        {'i', "increments", CLI_LONG, &increments, "increments", 0, 100000000, NULL, NULL},
        {'y', "wide-window", CLI_FLAG, &wide_window, "wide-window", 0, 0, NULL, NULL},
        {0, "yield", CLI_FLAG, &wide_window, "yield", 0, 0, NULL, NULL}, /* its old name */
        {0},
    };
    increments = 1000000;
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

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
