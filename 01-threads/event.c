/* event.c -- threading.Event on a mutex and a condition variable (see event.h). */
#include "event.h"
#include "monotonic.h"

int event_init(struct event *e)
{
    e->is_set = false;
    int rc = pthread_mutex_init(&e->lock, NULL);
    if (rc != 0)
        return rc;
    /* Timed waits measure against CLOCK_MONOTONIC, which never jumps (monotonic.c;
     * where a condition variable cannot be given a clock, the documented fallback). */
    rc = monotonic_cond_init(&e->changed);
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
    /* The deadline is absolute: computed once, so that spurious wake-ups (allowed by
     * POSIX) and re-waits do not restart the timeout. */
    struct timespec deadline = monotonic_deadline(timeout);

    pthread_mutex_lock(&e->lock);
    /* Always wait in a loop that re-checks the condition: a wake-up only says
     * "something may have changed". */
    while (!e->is_set) {
        if (!monotonic_wait(&e->changed, &e->lock, timeout < 0 ? NULL : &deadline))
            break; /* the time ran out */
    }
    bool set = e->is_set;
    pthread_mutex_unlock(&e->lock);
    return set;
}
