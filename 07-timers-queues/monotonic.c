/* monotonic.c -- timed waits on CLOCK_MONOTONIC (see monotonic.h). */
#include "monotonic.h"

#include <errno.h>
#include <math.h>

int monotonic_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

struct timespec monotonic_deadline(double seconds)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (!(seconds > 0)) /* also catches NaN */
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
