/* queue.h -- Python's queue.Queue in C: a FIFO that many threads put into and get
 * from, bounded or not, with task_done/join and a way to close it.
 *
 *   Python                              C
 *   q = queue.Queue(maxsize=8)          struct queue q; queue_init(&q, 8);   (0: no bound)
 *   q.put(item)                         queue_put(&q, item, -1)              (blocks while full)
 *   q.put(item, timeout=0.5)            queue_put(&q, item, 0.5)  -> QUEUE_FULL after 0.5 s
 *   q.put_nowait(item)   (raises Full)  queue_put(&q, item, 0)    -> QUEUE_FULL at once
 *   item = q.get()                      queue_get(&q, &item, -1)             (blocks while empty)
 *   q.get(timeout=0.5)                  queue_get(&q, &item, 0.5) -> QUEUE_EMPTY after 0.5 s
 *   q.get_nowait()      (raises Empty)  queue_get(&q, &item, 0)   -> QUEUE_EMPTY at once
 *   q.task_done()                       queue_task_done(&q)
 *   q.join()                            queue_join(&q)
 *   q.qsize(), q.empty(), q.full()      queue_size(&q), ...  (a snapshot, as in Python)
 *   q.shutdown()  (Python 3.13)         queue_close(&q)
 *
 * Python raises the exceptions queue.Full and queue.Empty; C returns a status that
 * the caller checks: enum queue_status. Items are void pointers: the queue stores
 * them and hands them back, it never looks at or frees what they point to.
 *
 * Inside: one mutex and three condition variables, exactly as CPython's queue.py:
 * not_empty (getters sleep on it), not_full (putters sleep on it) and
 * all_tasks_done (join sleeps on it), on CLOCK_MONOTONIC. The items live in a ring
 * buffer (an array used circularly), so put and get never move other items.
 *
 * Costs: put and get are O(1): one lock, one copy of a pointer, one signal (a few
 * hundred ns without contention; a context switch when a sleeper must wake). An
 * unbounded queue (maxsize 0) doubles its array when it is full: O(1) amortised,
 * and memory grows as long as producers outrun consumers -- which is why the
 * workers of a real server use a bound: a full queue slows the producers down.
 *
 * Closing: after queue_close() every put returns QUEUE_CLOSED; gets still return the
 * items already queued, and QUEUE_CLOSED once it is empty. Every thread sleeping in
 * put or get wakes up at once, so workers blocked on an empty queue leave cleanly.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

enum queue_status {
    QUEUE_OK = 0,
    QUEUE_FULL,   /* put: still full when the timeout ran out (Python: queue.Full) */
    QUEUE_EMPTY,  /* get: still empty when the timeout ran out (Python: queue.Empty) */
    QUEUE_CLOSED, /* put after close; get after close once the queue is empty */
};

struct queue {
    pthread_mutex_t lock;          /* protects everything below */
    pthread_cond_t not_empty;      /* an item arrived, or the queue closed */
    pthread_cond_t not_full;       /* a slot freed, or the queue closed */
    pthread_cond_t all_tasks_done; /* unfinished reached 0 */
    void **items;                  /* ring buffer of CAPACITY slots */
    size_t capacity;               /* slots allocated */
    size_t maxsize;                /* 0: unbounded (the array grows) */
    size_t head;                   /* index of the oldest item */
    size_t count;                  /* items queued now */
    size_t unfinished;             /* items put and not yet task_done()'d */
    unsigned getters_waiting;      /* threads asleep in get: signal only if any */
    unsigned putters_waiting;      /* threads asleep in put */
    bool closed;
};

/* Initialise Q holding at most MAXSIZE items (0: no limit). Returns 0 or an error
 * number (ENOMEM, or what pthread_*_init returned). */
int queue_init(struct queue *q, size_t maxsize);
/* Free Q's resources. No thread may be using it any more. Items still queued are
 * dropped (not freed: the queue does not own what they point to). */
void queue_destroy(struct queue *q);

/* Append ITEM, waiting while the queue is full: TIMEOUT < 0 waits as long as needed,
 * 0 does not wait, > 0 waits at most that many seconds. Returns QUEUE_OK, QUEUE_FULL
 * (no room in time; also when an unbounded queue cannot grow: out of memory) or
 * QUEUE_CLOSED (ITEM was not added). */
enum queue_status queue_put(struct queue *q, void *item, double timeout);

/* Take the oldest item into *ITEM, waiting while the queue is empty (TIMEOUT as for
 * queue_put). Returns QUEUE_OK, QUEUE_EMPTY (nothing in time) or QUEUE_CLOSED
 * (closed and empty: nothing more will ever come). */
enum queue_status queue_get(struct queue *q, void **item, double timeout);

/* A consumer says it has finished with an item it got. Returns 0, or -1 when called
 * more times than items were put (Python raises ValueError). */
int queue_task_done(struct queue *q);

/* Wait until every item ever put has been task_done()'d. */
void queue_join(struct queue *q);

/* Refuse further puts and wake every thread waiting in put or get (see above). */
void queue_close(struct queue *q);

/* Snapshots: by the time the caller looks, another thread may have changed them. */
size_t queue_size(struct queue *q);
bool queue_is_empty(struct queue *q);
bool queue_is_full(struct queue *q);

/* A name for a status, for messages: "OK", "Full", "Empty", "Closed". */
const char *queue_status_name(enum queue_status status);

#endif
