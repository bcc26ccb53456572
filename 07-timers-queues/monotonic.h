/* monotonic.h -- timed waits on CLOCK_MONOTONIC: 01's Event (event.c) and 07's timer.c,
 * queue.c and executor.c wait with them.
 *
 * master: 01-threads/monotonic.h; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * Python's timeouts (Event.wait(0.1), Timer(5.0, f), q.get(timeout=0.2)) are
 * durations. pthread_cond_timedwait() wants an absolute deadline instead, and
 * measures it by default on CLOCK_REALTIME, the wall clock, which jumps when NTP or
 * a user sets the date: a 5 s wait could then last an hour or no time at all. These
 * helpers make condition variables use CLOCK_MONOTONIC (it never jumps) and turn a
 * duration into a deadline once, so that re-waiting after a spurious wake-up does
 * not restart the clock.
 *
 * Where a condition variable cannot be given a clock (macOS has no
 * pthread_condattr_setclock; `make PORTABLE=1` builds the same way on Linux), the
 * waits and their deadlines fall back to CLOCK_REALTIME: right unless the date is set
 * during a wait. A deadline is only ever handed to monotonic_wait().
 */
#ifndef MONOTONIC_H
#define MONOTONIC_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* pthread_cond_init() with CLOCK_MONOTONIC for its timed waits. Returns 0 or an
 * error number (pthread style). */
int monotonic_cond_init(pthread_cond_t *cond);

/* The time SECONDS from now on the waits' clock (negative SECONDS count as 0), for
 * monotonic_wait(). */
struct timespec monotonic_deadline(double seconds);

/* Wait on COND (MUTEX held) until woken or DEADLINE passes; a NULL DEADLINE waits
 * without limit. Returns false when the deadline has passed, true otherwise (woken,
 * perhaps spuriously: the caller re-checks its condition in a loop). */
bool monotonic_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *deadline);

#endif
