/* queue.c -- YOUR CODE: a bounded blocking queue (Python's queue.Queue) on a mutex and
 * condition variables.
 *
 * Exercise 07-bounded-queue. README.md has the task, the exact specification and hints;
 * queue.h has the contract of each function. Replace the body of every function below,
 * then run `make test` to see which graded checks pass and your score.
 *
 * The stubs below compile and run, but do nothing: queue_init() says ENOSYS ("Function
 * not implemented"), so every test fails at once and says so.
 */
#include "queue.h"

#include <errno.h>

int queue_init(struct queue *q, size_t capacity)
{
    (void)q;
    (void)capacity;
    return ENOSYS; /* not implemented yet */
}

void queue_destroy(struct queue *q)
{
    (void)q;
}

int queue_put(struct queue *q, void *item, double timeout)
{
    (void)q;
    (void)item;
    (void)timeout;
    return QUEUE_FULL;
}

int queue_get(struct queue *q, void **item, double timeout)
{
    (void)q;
    (void)item;
    (void)timeout;
    return QUEUE_EMPTY;
}

int queue_task_done(struct queue *q)
{
    (void)q;
    return QUEUE_ERROR;
}

void queue_join(struct queue *q)
{
    (void)q;
}

size_t queue_size(struct queue *q)
{
    (void)q;
    return 0;
}
