/* event.c -- threading.Event on a mutex and a condition variable (see event.h). */
#include "event.h"

#include <errno.h>
#include <math.h>
#include <time.h>
#include <unistd.h> /* _POSIX_CLOCK_SELECTION */

/* The clock of the timed waits. CLOCK_MONOTONIC never jumps; the default of a
 * condition variable, CLOCK_REALTIME, jumps when someone sets the date, and a wait
 * measured on it then lasts longer or shorter. Telling a condition variable its clock
 * (pthread_condattr_setclock, POSIX's "clock selection" option) is not everywhere:
 * macOS lacks it. There, and in a PORTABLE=1 build (KIT_PORTABLE: how the kit tests
 * this fallback on Linux), the waits stay on CLOCK_REALTIME, the documented fallback. */
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0 && !defined(KIT_PORTABLE)
#define WAIT_ON_MONOTONIC 1
#define WAIT_CLOCK        CLOCK_MONOTONIC
#else
#define WAIT_ON_MONOTONIC 0
#define WAIT_CLOCK        CLOCK_REALTIME
#endif

/* pthread_cond_init() with WAIT_CLOCK for its timed waits. Returns 0 or an error. */
static int cond_init_on_wait_clock(pthread_cond_t *cond)
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

int event_init(struct event *e)
{
    e->is_set = false;
    int rc = pthread_mutex_init(&e->lock, NULL);
    if (rc != 0)
        return rc;
    rc = cond_init_on_wait_clock(&e->changed);
    if (rc != 0)
        pthread_mutex_destroy(&e->lock);
    return rc;
}

void event_destroy(struct event *e)
{
    pthread_cond_destroy(&e->changed);
    pthread_mutex_destroy(&e->lock);
}

void event_set(struct event *e)
{
    pthread_mutex_lock(&e->lock);
    e->is_set = true;
    /* broadcast, not signal: every waiter must wake, as with Python's Event. */
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
}

void event_clear(struct event *e)
{
    pthread_mutex_lock(&e->lock);
    e->is_set = false;
    pthread_mutex_unlock(&e->lock);
}

bool event_is_set(struct event *e)
{
    pthread_mutex_lock(&e->lock);
    bool set = e->is_set;
    pthread_mutex_unlock(&e->lock);
    return set;
}

bool event_wait(struct event *e, double timeout)
{
    struct timespec deadline;

    /* The deadline is absolute: computed once, so that spurious wake-ups (allowed by
     * POSIX) and re-waits do not restart the timeout. */
    clock_gettime(WAIT_CLOCK, &deadline); /* the clock the condition variable waits on */
    if (timeout >= 0) {
        double whole = floor(timeout);
        deadline.tv_sec += (time_t)whole;
        deadline.tv_nsec += (long)((timeout - whole) * 1e9);
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec += 1;
            deadline.tv_nsec -= 1000000000L;
        }
    }

    pthread_mutex_lock(&e->lock);
    /* Always wait in a loop that re-checks the condition: a wake-up only says
     * "something may have changed". */
    while (!e->is_set) {
        if (timeout < 0) {
            pthread_cond_wait(&e->changed, &e->lock);
        } else if (pthread_cond_timedwait(&e->changed, &e->lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    bool set = e->is_set;
    pthread_mutex_unlock(&e->lock);
    return set;
}
