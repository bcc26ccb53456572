/* timer.h -- Python's threading.Timer in C, and the lecture's self-re-arming timer.
 *
 *   Python                                   C
 *   t = threading.Timer(5.0, f)              struct timer *t = timer_start(5.0, f, arg);
 *   t.start()                                (part of timer_start: it starts at once)
 *   t.cancel()                               timer_cancel(t)   (returns whether f is stopped)
 *   t.join()                                 timer_join(t)     (also frees t)
 *
 *   def set_timer():                         r = recurring_start(0, 5.0, RUNS, set_timer, arg);
 *       threading.Timer(5.0, set_timer)...   ...
 *       sleep(randint(5, 10))                recurring_stop(r)  or  recurring_join(r)
 *
 * A timer is one thread that sleeps on a condition variable until its deadline
 * (CLOCK_MONOTONIC: changing the date does not move it; no busy waiting) and then
 * calls the function, in that thread, as Python's Timer does. Cancel and fire are
 * decided under the timer's mutex, so exactly one of them wins: a cancel that returns
 * true guarantees the function never runs; one that returns false means it already
 * started (it cannot be taken back; it may still be running).
 *
 * Costs: a timer is a whole thread (about 10-20 us to create, 8 MiB of reserved,
 * mostly untouched, stack). Fine for a handful of timers, as in the lecture; a
 * program with thousands of timers keeps them in one sorted structure served by one
 * thread or event loop instead (Redis ae.c, libuv's timer heap).
 *
 * Threads are never left behind: every timer_start() is matched by one timer_join(),
 * and the recurring timer joins every thread it started before recurring_stop() or
 * recurring_join() returns. Timer threads inherit the signal mask of the thread that
 * starts them: block SIGINT/SIGTERM first if the main thread is to handle them.
 */
#ifndef TIMER_H
#define TIMER_H

#include <stdbool.h>

typedef void (*timer_fn)(void *arg);

struct timer; /* opaque: only the functions below touch it */

/* Start a thread that calls FN(ARG) once DELAY seconds have passed (DELAY <= 0: at
 * once), unless cancelled before. Returns the timer, or NULL with errno set (EAGAIN:
 * no more threads; ENOMEM). */
struct timer *timer_start(double delay, timer_fn fn, void *arg);

/* Stop T from firing. Returns true when FN did not run and never will (cancelled now,
 * or by an earlier cancel); false when the deadline had already passed and FN has
 * started (it may still be running: timer_join waits for it). Never blocks on FN. */
bool timer_cancel(struct timer *t);

/* Whether T's deadline passed and FN was started (false while waiting, or cancelled). */
bool timer_fired(struct timer *t);

/* Wait for T's thread to end (FN returned, or cancelled), then free T. T must not be
 * used afterwards. Without a cancel this waits for the deadline and for FN. */
void timer_join(struct timer *t);

/* --- The recurring timer ------------------------------------------------------------
 * The lecture's set_timer() starts a new Timer for its next run before it sleeps, so
 * runs overlap: run 2 starts 5 s after run 1 even if run 1 still sleeps. Here each
 * run's thread arms the next timer (INTERVAL seconds later) first, then calls FN:
 * exactly that pattern, plus the bookkeeping C needs to join every thread.
 * Runs are counted from the moment each one starts, so delays add up as in the
 * lecture (run k starts a little after FIRST_DELAY + (k-1) * INTERVAL). */
struct recurring_timer;

/* First run after FIRST_DELAY seconds, then every INTERVAL seconds, MAX_RUNS runs in
 * all (0: until recurring_stop). Returns NULL with errno set on failure. */
struct recurring_timer *recurring_start(double first_delay, double interval, long max_runs,
                                        timer_fn fn, void *arg);

/* How many runs have started so far. */
long recurring_runs(struct recurring_timer *r);

/* No more runs: cancel the armed timer, wait for the runs in progress to return,
 * join every thread, free R. Returns how many runs started in all. */
long recurring_stop(struct recurring_timer *r);

/* Wait until all MAX_RUNS runs have started and returned, join every thread, free R.
 * Returns the number of runs (MAX_RUNS, or fewer if a thread could not be created).
 * Only for MAX_RUNS > 0: with 0 it would wait forever. */
long recurring_join(struct recurring_timer *r);

#endif
