/* monotonic.c -- timed waits on CLOCK_MONOTONIC (see monotonic.h).
 *
 * master: 01-threads/monotonic.c; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 */
#include "monotonic.h"

#include <errno.h>
#include <math.h>
#include <unistd.h> /* _POSIX_CLOCK_SELECTION */

/* The clock of the timed waits. Telling a condition variable its clock
 * (pthread_condattr_setclock, POSIX's "clock selection" option) is not everywhere:
 * macOS lacks it. There, and in a PORTABLE=1 build (KIT_PORTABLE: how the kit tests
 * this fallback on Linux), the waits stay on the condition variable's default clock,
 * CLOCK_REALTIME, the documented fallback (monotonic.h), and so do the deadlines. */
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0 && !defined(KIT_PORTABLE)
#define WAIT_ON_MONOTONIC 1
#define WAIT_CLOCK        CLOCK_MONOTONIC
#else
#define WAIT_ON_MONOTONIC 0
#define WAIT_CLOCK        CLOCK_REALTIME
#endif

int monotonic_cond_init(pthread_cond_t *cond)
{
#if WAIT_ON_MONOTONIC
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
#else
    return pthread_cond_init(cond, NULL); /* its default clock: CLOCK_REALTIME */
#endif
}

struct timespec monotonic_deadline(double seconds)
{
    struct timespec deadline;
    clock_gettime(WAIT_CLOCK, &deadline); /* the clock the condition variables wait on */
    if (!(seconds > 0))                   /* also catches NaN */
        return deadline;
    if (seconds > 1e9) /* about 30 years: "forever" without overflowing time_t */
        seconds = 1e9;
    double whole = floor(seconds);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((seconds - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

bool monotonic_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *deadline)
{
    if (deadline == NULL) {
        pthread_cond_wait(cond, mutex);
        return true;
    }
    /* ETIMEDOUT means the clock has passed the deadline: POSIX never lets a timed
     * wait give up early, so whoever waits "0.2 s" waits at least 0.2 s. */
    return pthread_cond_timedwait(cond, mutex, deadline) != ETIMEDOUT;
}
