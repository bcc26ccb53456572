/* queue.c -- queue.Queue on one mutex and three condition variables (see queue.h). */
#include "queue.h"

#include "monotonic.h"

#include <errno.h>
#include <stdlib.h>

#define INITIAL_CAPACITY 16 /* for unbounded queues; they grow from here */

int queue_init(struct queue *q, size_t maxsize)
{
    int rc;

    *q = (struct queue){.maxsize = maxsize};
    q->capacity = maxsize > 0 ? maxsize : INITIAL_CAPACITY;
    q->items = malloc(q->capacity * sizeof *q->items);
    if (q->items == NULL)
        return ENOMEM;
    rc = pthread_mutex_init(&q->lock, NULL);
    if (rc != 0)
        goto fail_items;
    rc = monotonic_cond_init(&q->not_empty);
    if (rc != 0)
        goto fail_lock;
    rc = monotonic_cond_init(&q->not_full);
    if (rc != 0)
        goto fail_not_empty;
    rc = monotonic_cond_init(&q->all_tasks_done);
    if (rc != 0)
        goto fail_not_full;
    return 0;

fail_not_full:
    pthread_cond_destroy(&q->not_full);
fail_not_empty:
    pthread_cond_destroy(&q->not_empty);
fail_lock:
    pthread_mutex_destroy(&q->lock);
fail_items:
    free(q->items);
    q->items = NULL;
    return rc;
}

void queue_destroy(struct queue *q)
{
    pthread_cond_destroy(&q->all_tasks_done);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    free(q->items);
    q->items = NULL;
}

/* Double the ring buffer of an unbounded queue (lock held). The items are copied so
 * that they start at index 0 again. Returns false when out of memory. */
static bool grow(struct queue *q)
{
    size_t capacity = q->capacity * 2;
    void **items = malloc(capacity * sizeof *items);
    if (items == NULL)
        return false;
    for (size_t i = 0; i < q->count; i++)
        items[i] = q->items[(q->head + i) % q->capacity];
    free(q->items);
    q->items = items;
    q->capacity = capacity;
    q->head = 0;
    return true;
}

/* A deadline for TIMEOUT seconds, or NULL for "no limit" (TIMEOUT < 0). */
static const struct timespec *deadline_for(double timeout, struct timespec *storage)
{
    if (timeout < 0)
        return NULL;
    *storage = monotonic_deadline(timeout);
    return storage;
}

enum queue_status queue_put(struct queue *q, void *item, double timeout)
{
    struct timespec storage;
    const struct timespec *deadline = deadline_for(timeout, &storage);
    enum queue_status status = QUEUE_OK;

    pthread_mutex_lock(&q->lock);
    /* A while, never an if: after any wake-up another putter may have taken the slot
     * first, or the wake-up may be spurious. */
    while (!q->closed && q->maxsize > 0 && q->count == q->maxsize) {
        q->putters_waiting++;
        bool woken = timeout != 0 && monotonic_wait(&q->not_full, &q->lock, deadline);
        q->putters_waiting--;
        if (!woken) {
            /* Time is up, but a slot may have freed at the very last moment. */
            if (q->count == q->maxsize)
                status = QUEUE_FULL;
            break;
        }
    }
    if (status == QUEUE_OK && q->closed)
        status = QUEUE_CLOSED;
    if (status == QUEUE_OK && q->count == q->capacity && !grow(q))
        status = QUEUE_FULL; /* unbounded, and out of memory */
    if (status == QUEUE_OK) {
        q->items[(q->head + q->count) % q->capacity] = item;
        q->count++;
        q->unfinished++;
        /* One new item: one getter can have it. Signal, not broadcast: waking every
         * getter for one item makes all but one go back to sleep (a thundering herd).
         * And only when someone sleeps: the count is kept under the same lock, so no
         * sleeper can be missed, and a busy queue saves a system call per item. */
        if (q->getters_waiting > 0)
            pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->lock);
    return status;
}

enum queue_status queue_get(struct queue *q, void **item, double timeout)
{
    struct timespec storage;
    const struct timespec *deadline = deadline_for(timeout, &storage);
    enum queue_status status = QUEUE_OK;

    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed) {
        q->getters_waiting++;
        bool woken = timeout != 0 && monotonic_wait(&q->not_empty, &q->lock, deadline);
        q->getters_waiting--;
        if (!woken) {
            if (q->count == 0 && !q->closed)
                status = QUEUE_EMPTY;
            break;
        }
    }
    if (status == QUEUE_OK && q->count == 0)
        status = QUEUE_CLOSED; /* closed, and nothing left: the end of the stream */
    if (status == QUEUE_OK) {
        *item = q->items[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        if (q->putters_waiting > 0)
            pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return status;
}

int queue_task_done(struct queue *q)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (q->unfinished == 0) {
        rc = -1; /* Python: ValueError('task_done() called too many times') */
    } else if (--q->unfinished == 0) {
        pthread_cond_broadcast(&q->all_tasks_done); /* every joiner may go */
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void queue_join(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->unfinished > 0)
        pthread_cond_wait(&q->all_tasks_done, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    /* Broadcast: here EVERY sleeper must wake, see the flag and leave. */
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

size_t queue_size(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t count = q->count;
    pthread_mutex_unlock(&q->lock);
    return count;
}

bool queue_is_empty(struct queue *q)
{
    return queue_size(q) == 0;
}

bool queue_is_full(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    bool full = q->maxsize > 0 && q->count == q->maxsize;
    pthread_mutex_unlock(&q->lock);
    return full;
}

const char *queue_status_name(enum queue_status status)
{
    switch (status) {
    case QUEUE_OK:
        return "OK";
    case QUEUE_FULL:
        return "Full";
    case QUEUE_EMPTY:
        return "Empty";
    case QUEUE_CLOSED:
        return "Closed";
    }
    return "?";
}
