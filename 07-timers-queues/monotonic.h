/* monotonic.h -- timed waits on CLOCK_MONOTONIC, shared by timer.c, queue.c and
 * executor.c.
 *
 * Python's timeouts (Timer(5.0, f), q.get(timeout=0.2), future.result(timeout=1))
 * are durations. pthread_cond_timedwait() wants an absolute deadline instead, and
 * measures it by default on CLOCK_REALTIME, the wall clock, which jumps when NTP or
 * a user sets the date: a 5 s wait could then last an hour or no time at all. These
 * helpers make condition variables use CLOCK_MONOTONIC (it never jumps) and turn a
 * duration into a deadline once, so that re-waiting after a spurious wake-up does
 * not restart the clock.
 */
#ifndef MONOTONIC_H
#define MONOTONIC_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* pthread_cond_init() with CLOCK_MONOTONIC for its timed waits. Returns 0 or an
 * error number (pthread style). */
int monotonic_cond_init(pthread_cond_t *cond);

/* The monotonic time SECONDS from now (negative SECONDS count as 0). */
struct timespec monotonic_deadline(double seconds);

/* Wait on COND (MUTEX held) until woken or DEADLINE passes; a NULL DEADLINE waits
 * without limit. Returns false when the deadline has passed, true otherwise (woken,
 * perhaps spuriously: the caller re-checks its condition in a loop). */
bool monotonic_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *deadline);

#endif
