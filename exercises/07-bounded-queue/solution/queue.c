/* queue.c -- REFERENCE SOLUTION of exercise 07-bounded-queue: Python's queue.Queue(maxsize)
 * on one mutex and three condition variables (see ../queue.h for the contract).
 *
 * - One mutex guards the ring and both counters: every function takes it.
 * - Two conditions, not one: putters wait for room (not_full), getters for items
 *   (not_empty). A put wakes one getter, a get wakes one putter: signal is enough because
 *   each wake-up is for exactly one item or one slot, and every waiter waits for the same
 *   thing. join waits on a third (all_done), broadcast: every joiner must wake.
 * - Every wait is in a loop that re-checks its condition (spurious wake-ups, and another
 *   thread may take the item first), against one absolute deadline, so that re-waiting
 *   never restarts the timeout; on CLOCK_MONOTONIC, which never jumps, wherever the system
 *   lets a condition variable use it (see WAIT_CLOCK below).
 */
#include "queue.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h> /* _POSIX_CLOCK_SELECTION */

/* The clock of the timed waits. pthread_condattr_setclock() (POSIX's "clock selection",
 * which Linux and the BSDs have) puts a condition variable on CLOCK_MONOTONIC, a clock
 * that never jumps. macOS has no pthread_condattr_setclock: there, and with PORTABLE=1
 * (KIT_PORTABLE, which builds as a Mac would), the deadline is on CLOCK_REALTIME, the
 * condition variable's default, and a change of the date (by hand, or by a time service)
 * stretches or cuts the waits that are going on: the documented price of the fallback. */
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0 && !defined(KIT_PORTABLE)
#define MONOTONIC_WAITS 1
#define WAIT_CLOCK      CLOCK_MONOTONIC
#else
#define MONOTONIC_WAITS 0
#define WAIT_CLOCK      CLOCK_REALTIME
#endif

/* pthread_cond_init on WAIT_CLOCK. Returns 0 or an error number. */
static int cond_init_on_wait_clock(pthread_cond_t *cond)
{
#if MONOTONIC_WAITS
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, WAIT_CLOCK);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
#else
    return pthread_cond_init(cond, NULL); /* the default clock: CLOCK_REALTIME */
#endif
}

int queue_init(struct queue *q, size_t capacity)
{
    int rc;

    if (capacity == 0)
        return EINVAL;
    q->items = malloc(capacity * sizeof *q->items);
    if (q->items == NULL)
        return ENOMEM;
    q->capacity = capacity;
    q->head = q->count = q->unfinished = 0;

    rc = pthread_mutex_init(&q->lock, NULL);
    if (rc != 0)
        goto no_mutex;
    rc = cond_init_on_wait_clock(&q->not_empty);
    if (rc != 0)
        goto no_not_empty;
    rc = cond_init_on_wait_clock(&q->not_full);
    if (rc != 0)
        goto no_not_full;
    rc = cond_init_on_wait_clock(&q->all_done);
    if (rc != 0)
        goto no_all_done;
    return 0;

no_all_done:
    pthread_cond_destroy(&q->not_full);
no_not_full:
    pthread_cond_destroy(&q->not_empty);
no_not_empty:
    pthread_mutex_destroy(&q->lock);
no_mutex:
    free(q->items);
    return rc;
}

void queue_destroy(struct queue *q)
{
    pthread_cond_destroy(&q->all_done);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    free(q->items);
}

/* The absolute WAIT_CLOCK time TIMEOUT seconds from now. */
static struct timespec deadline_in(double timeout)
{
    struct timespec deadline;
    clock_gettime(WAIT_CLOCK, &deadline);
    double whole = floor(timeout);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((timeout - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

/* Wait on COND (Q's mutex held) until BUSY says no more, or the time is up. Returns true
 * when BUSY became false. */
static bool wait_while(struct queue *q, pthread_cond_t *cond, const size_t *value, size_t busy,
                       double timeout)
{
    struct timespec deadline = deadline_in(timeout > 0 ? timeout : 0);
    while (*value == busy) {
        if (timeout < 0)
            pthread_cond_wait(cond, &q->lock);
        else if (timeout == 0 || pthread_cond_timedwait(cond, &q->lock, &deadline) == ETIMEDOUT)
            return *value != busy;
    }
    return true;
}

int queue_put(struct queue *q, void *item, double timeout)
{
    pthread_mutex_lock(&q->lock);
    /* Wait while count == capacity, i.e. while full. */
    if (!wait_while(q, &q->not_full, &q->count, q->capacity, timeout)) {
        pthread_mutex_unlock(&q->lock);
        return QUEUE_FULL;
    }
    q->items[(q->head + q->count) % q->capacity] = item;
    q->count++;
    q->unfinished++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    return QUEUE_OK;
}

int queue_get(struct queue *q, void **item, double timeout)
{
    pthread_mutex_lock(&q->lock);
    /* Wait while count == 0, i.e. while empty. */
    if (!wait_while(q, &q->not_empty, &q->count, 0, timeout)) {
        pthread_mutex_unlock(&q->lock);
        return QUEUE_EMPTY;
    }
    *item = q->items[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return QUEUE_OK;
}

int queue_task_done(struct queue *q)
{
    int result = QUEUE_OK;
    pthread_mutex_lock(&q->lock);
    if (q->unfinished == 0) {
        result = QUEUE_ERROR;
    } else if (--q->unfinished == 0) {
        pthread_cond_broadcast(&q->all_done);
    }
    pthread_mutex_unlock(&q->lock);
    return result;
}

void queue_join(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->unfinished > 0)
        pthread_cond_wait(&q->all_done, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

size_t queue_size(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
