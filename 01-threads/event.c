/* event.c -- threading.Event on a mutex and a condition variable (see event.h). */
#include "event.h"

#include <errno.h>
#include <math.h>
#include <time.h>

int event_init(struct event *e)
{
    pthread_condattr_t attr;
    int rc;

    e->is_set = false;
    rc = pthread_mutex_init(&e->lock, NULL);
    if (rc != 0)
        return rc;
    /* Timed waits measure against CLOCK_MONOTONIC: it never jumps. The default,
     * CLOCK_REALTIME, jumps when someone sets the clock. */
    rc = pthread_condattr_init(&attr);
    if (rc == 0) {
        rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = pthread_cond_init(&e->changed, &attr);
        pthread_condattr_destroy(&attr);
    }
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
    clock_gettime(CLOCK_MONOTONIC, &deadline);
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
