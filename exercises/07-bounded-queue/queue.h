/* queue.h -- Python's queue.Queue(maxsize) in C: a bounded, blocking, thread-safe FIFO of
 * pointers. (Given: the functions below are the contract the tests check. The struct's
 * fields are a suggestion: change them if your design needs others.)
 *
 *   Python                              C
 *   q = queue.Queue(maxsize=8)          struct queue q; queue_init(&q, 8);
 *   q.put(item)                         queue_put(&q, item, -1)
 *   q.put(item, timeout=0.5)            queue_put(&q, item, 0.5)   QUEUE_FULL: queue.Full
 *   q.put_nowait(item)                  queue_put(&q, item, 0)
 *   item = q.get()                      queue_get(&q, &item, -1)
 *   item = q.get(timeout=0.5)           queue_get(&q, &item, 0.5)  QUEUE_EMPTY: queue.Empty
 *   item = q.get_nowait()               queue_get(&q, &item, 0)
 *   q.task_done()                       queue_task_done(&q)        QUEUE_ERROR: ValueError
 *   q.join()                            queue_join(&q)
 *   q.qsize()                           queue_size(&q)
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <pthread.h>
#include <stddef.h>

enum queue_result {
    QUEUE_OK = 0,
    QUEUE_FULL = 1,  /* put: still full when the timeout ran out (Python's queue.Full) */
    QUEUE_EMPTY = 2, /* get: still empty when the timeout ran out (queue.Empty) */
    QUEUE_ERROR = 3, /* task_done called more times than items were put (ValueError) */
};

struct queue {
    pthread_mutex_t lock;     /* protects everything below */
    pthread_cond_t not_empty; /* a getter waits here until an item arrives */
    pthread_cond_t not_full;  /* a putter waits here until there is room */
    pthread_cond_t all_done;  /* join waits here until unfinished is 0 */
    void **items;             /* a ring of CAPACITY slots */
    size_t capacity;
    size_t head;       /* the slot of the oldest item */
    size_t count;      /* items in the queue */
    size_t unfinished; /* items put and not yet marked done (task_done) */
};

/* Initialise Q for at most CAPACITY items (at least 1). Returns 0, or an error number:
 * EINVAL for a capacity of 0, ENOMEM, or a pthread error. */
int queue_init(struct queue *q, size_t capacity);
/* Free what queue_init took. No thread may be using Q any more. */
void queue_destroy(struct queue *q);

/* Append ITEM, waiting while the queue is full: TIMEOUT < 0 waits as long as it takes,
 * TIMEOUT == 0 does not wait, TIMEOUT > 0 waits at most that many seconds. Returns QUEUE_OK,
 * or QUEUE_FULL when there was no room in time (nothing was added). */
int queue_put(struct queue *q, void *item, double timeout);

/* Remove the oldest item and store it in *ITEM, waiting while the queue is empty (TIMEOUT as
 * for queue_put). Returns QUEUE_OK, or QUEUE_EMPTY when nothing came in time (*ITEM is left
 * alone). */
int queue_get(struct queue *q, void **item, double timeout);

/* Say that one item taken with queue_get has been dealt with. Returns QUEUE_OK, or
 * QUEUE_ERROR when every item put has already been marked done. */
int queue_task_done(struct queue *q);

/* Wait until every item ever put has been marked done with queue_task_done (at once when
 * none is unfinished). */
void queue_join(struct queue *q);

/* How many items are in the queue right now. */
size_t queue_size(struct queue *q);

#endif
