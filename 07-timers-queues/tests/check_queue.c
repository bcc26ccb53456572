/* check_queue.c -- the Queue (queue.c): FIFO order, Full and Empty, blocking and
 * timed put/get, task_done/join, close, and many producers and consumers losing or
 * duplicating nothing. */
#include "../queue.h"
#include "harness.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void pause_ms(int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0)
        ;
}

#define ITEM(n)  ((void *)(uintptr_t)(n))
#define VALUE(p) ((uintptr_t)(p))

/* Items come out in the order they went in: in an unbounded queue that grows, and
 * in a small bounded one whose ring buffer wraps around many times. */
START_TEST(fifo_order)
{
    struct queue q;
    void *item;
    ck_assert_int_eq(queue_init(&q, 0), 0);
    for (uintptr_t i = 1; i <= 1000; i++)
        ck_assert_int_eq(queue_put(&q, ITEM(i), -1), QUEUE_OK);
    ck_assert_uint_eq(queue_size(&q), 1000);
    ck_assert(!queue_is_full(&q)); /* unbounded: never full */
    for (uintptr_t i = 1; i <= 1000; i++) {
        ck_assert_int_eq(queue_get(&q, &item, -1), QUEUE_OK);
        ck_assert_uint_eq(VALUE(item), i);
    }
    ck_assert(queue_is_empty(&q));
    queue_destroy(&q);

    ck_assert_int_eq(queue_init(&q, 3), 0);
    uintptr_t next_in = 1, next_out = 1;
    for (int round = 0; round < 500; round++) {
        while (queue_put(&q, ITEM(next_in), 0) == QUEUE_OK)
            next_in++;
        for (int k = 0; k <= round % 3; k++) {
            ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_OK);
            ck_assert_uint_eq(VALUE(item), next_out++);
        }
    }
    queue_destroy(&q);
}
END_TEST

/* put_nowait on a full queue says Full, get_nowait on an empty one says Empty, at
 * once (Python raises queue.Full and queue.Empty). */
START_TEST(full_and_empty_without_waiting)
{
    struct queue q;
    void *item = ITEM(99);
    ck_assert_int_eq(queue_init(&q, 2), 0);
    ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_EMPTY);
    ck_assert_uint_eq(VALUE(item), 99); /* untouched */
    ck_assert_int_eq(queue_put(&q, ITEM(1), 0), QUEUE_OK);
    ck_assert_int_eq(queue_put(&q, ITEM(2), 0), QUEUE_OK);
    ck_assert(queue_is_full(&q));
    long long start = monotonic_ms();
    ck_assert_int_eq(queue_put(&q, ITEM(3), 0), QUEUE_FULL);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(50));
    ck_assert_uint_eq(queue_size(&q), 2);
    ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_OK);
    ck_assert_uint_eq(VALUE(item), 1);
    ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_OK);
    ck_assert_uint_eq(VALUE(item), 2);
    ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_EMPTY);
    ck_assert_str_eq(queue_status_name(QUEUE_FULL), "Full");
    ck_assert_str_eq(queue_status_name(QUEUE_EMPTY), "Empty");
    queue_destroy(&q);
}
END_TEST

/* get(timeout) on an empty queue and put(timeout) on a full one give up no earlier
 * than the timeout and not much later. */
START_TEST(timeouts_expire_within_bounds)
{
    struct queue q;
    void *item;
    ck_assert_int_eq(queue_init(&q, 1), 0);
    long long start = monotonic_ms();
    ck_assert_int_eq(queue_get(&q, &item, 0.2), QUEUE_EMPTY);
    long long took = monotonic_ms() - start;
    ck_assert_int_ge(took, 200);
    ck_assert_int_lt(took, 200 + scaled_ms(150));

    ck_assert_int_eq(queue_put(&q, ITEM(1), 0.2), QUEUE_OK); /* room: no wait */
    start = monotonic_ms();
    ck_assert_int_eq(queue_put(&q, ITEM(2), 0.15), QUEUE_FULL);
    took = monotonic_ms() - start;
    ck_assert_int_ge(took, 150);
    ck_assert_int_lt(took, 150 + scaled_ms(150));
    queue_destroy(&q);
}
END_TEST

struct blocked_call {
    struct queue *q;
    bool is_put;
    double timeout;
    void *item;
    enum queue_status status;
    long long returned_at;
};

/* How many blocked_call threads have begun, so that a test waits for them to be
 * running (a condition) before it gives them a moment to fall asleep in put or get:
 * on a busy machine a thread can start much later than a fixed pause expects. */
static pthread_mutex_t begun_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t begun_changed = PTHREAD_COND_INITIALIZER;
static int begun;

/* Wait until COUNT blocked_call threads in all have begun, then pause MS: the little
 * way left from there into the wait takes microseconds. */
static void wait_until_begun(int count, int ms)
{
    pthread_mutex_lock(&begun_lock);
    while (begun < count)
        pthread_cond_wait(&begun_changed, &begun_lock);
    pthread_mutex_unlock(&begun_lock);
    pause_ms(ms);
}

static void *blocked_call_run(void *arg)
{
    struct blocked_call *c = arg;
    pthread_mutex_lock(&begun_lock);
    begun++;
    pthread_cond_broadcast(&begun_changed);
    pthread_mutex_unlock(&begun_lock);
    c->status =
        c->is_put ? queue_put(c->q, c->item, c->timeout) : queue_get(c->q, &c->item, c->timeout);
    c->returned_at = monotonic_ms();
    return NULL;
}

/* A get blocked on an empty queue wakes when an item arrives and gets that item; a
 * put blocked on a full queue wakes when a slot frees. Both promptly. Timed waits
 * too: an item arriving before the timeout is taken, not Empty. */
START_TEST(blocking_put_and_get_wake_up)
{
    struct queue q;
    void *item;
    pthread_t thread;
    ck_assert_int_eq(queue_init(&q, 1), 0);
    begun = 0; /* (no other thread yet) */

    for (int timed = 0; timed < 2; timed++) {
        struct blocked_call get = {.q = &q, .timeout = timed ? 5.0 : -1};
        ck_assert_int_eq(pthread_create(&thread, NULL, blocked_call_run, &get), 0);
        wait_until_begun(2 * timed + 1, 50); /* let it block */
        long long put_at = monotonic_ms();
        ck_assert_int_eq(queue_put(&q, ITEM(42), 0), QUEUE_OK);
        pthread_join(thread, NULL);
        ck_assert_int_eq(get.status, QUEUE_OK);
        ck_assert_uint_eq(VALUE(get.item), 42);
        ck_assert_int_lt(get.returned_at - put_at, scaled_ms(200));

        ck_assert_int_eq(queue_put(&q, ITEM(1), 0), QUEUE_OK); /* now full */
        struct blocked_call put = {
            .q = &q, .is_put = true, .item = ITEM(2), .timeout = timed ? 5.0 : -1};
        ck_assert_int_eq(pthread_create(&thread, NULL, blocked_call_run, &put), 0);
        wait_until_begun(2 * timed + 2, 50);
        long long got_at = monotonic_ms();
        ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_OK);
        ck_assert_uint_eq(VALUE(item), 1);
        pthread_join(thread, NULL);
        ck_assert_int_eq(put.status, QUEUE_OK);
        ck_assert_int_lt(put.returned_at - got_at, scaled_ms(200));
        ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_OK);
        ck_assert_uint_eq(VALUE(item), 2);
    }
    queue_destroy(&q);
}
END_TEST

/* --- 8 producers x 8 consumers ------------------------------------------------------- */

enum { PRODUCERS = 8, CONSUMERS = 8 };

struct stress {
    struct queue q;
    uintptr_t per_producer;
};

struct producer {
    struct stress *s;
    uintptr_t id;
};

struct consumer {
    struct stress *s;
    uint64_t count, sum;
    unsigned char *seen;       /* one byte per item value: how often this consumer got it */
    uintptr_t last[PRODUCERS]; /* the last sequence number seen from each producer */
    bool order_ok;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    /* Item values are 1 .. PRODUCERS * per_producer: producer P sends P * n + 1 ...
     * in increasing order. */
    for (uintptr_t i = 1; i <= p->s->per_producer; i++)
        if (queue_put(&p->s->q, ITEM(p->id * p->s->per_producer + i), -1) != QUEUE_OK)
            abort();
    return NULL;
}

static void *consume(void *arg)
{
    struct consumer *c = arg;
    uintptr_t n = c->s->per_producer;
    void *item;
    c->order_ok = true;
    while (queue_get(&c->s->q, &item, -1) == QUEUE_OK) {
        uintptr_t value = VALUE(item), producer = (value - 1) / n, seq = (value - 1) % n + 1;
        c->count++;
        c->sum += value;
        if (value >= 1 && value <= PRODUCERS * n && c->seen[value - 1] < 255)
            c->seen[value - 1]++;
        /* FIFO per producer: one producer's items reach any consumer in order. */
        if (producer < PRODUCERS) {
            if (seq <= c->last[producer])
                c->order_ok = false;
            c->last[producer] = seq;
        }
        queue_task_done(&c->s->q);
    }
    return NULL;
}

/* 8 producers and 8 consumers pass 100000 items each through one bounded queue: every
 * item arrives exactly once (counts, sums, and a per-value tally), each producer's
 * items in order; join returns once all are done, close ends the consumers. Under
 * valgrind (which runs threads one at a time, 50x slower) 2000 items each. */
START_TEST(many_producers_many_consumers)
{
    struct stress s = {.per_producer = scaled_ms(1) == 1 ? 100000 : 2000};
    struct producer producers[PRODUCERS];
    struct consumer consumers[CONSUMERS];
    pthread_t threads[PRODUCERS + CONSUMERS];
    uint64_t total = PRODUCERS * s.per_producer;

    ck_assert_int_eq(queue_init(&s.q, 256), 0);
    for (int i = 0; i < CONSUMERS; i++) {
        consumers[i] = (struct consumer){.s = &s, .seen = calloc(total, 1)};
        ck_assert_ptr_nonnull(consumers[i].seen);
        ck_assert_int_eq(pthread_create(&threads[i], NULL, consume, &consumers[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        producers[i] = (struct producer){.s = &s, .id = (uintptr_t)i};
        ck_assert_int_eq(pthread_create(&threads[CONSUMERS + i], NULL, produce, &producers[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(threads[CONSUMERS + i], NULL);
    queue_join(&s.q); /* every item put has been task_done()'d */
    ck_assert(queue_is_empty(&s.q));
    queue_close(&s.q);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(threads[i], NULL);

    uint64_t count = 0, sum = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        count += consumers[i].count;
        sum += consumers[i].sum;
        ck_assert_msg(consumers[i].order_ok, "consumer %d got a producer's items out of order", i);
    }
    ck_assert_uint_eq(count, total);
    ck_assert_uint_eq(sum, total * (total + 1) / 2);
    for (uint64_t v = 0; v < total; v++) {
        int times = 0;
        for (int i = 0; i < CONSUMERS; i++)
            times += consumers[i].seen[v];
        ck_assert_msg(times == 1, "item %llu arrived %d times", (unsigned long long)v + 1, times);
    }
    for (int i = 0; i < CONSUMERS; i++)
        free(consumers[i].seen);
    queue_destroy(&s.q);
}
END_TEST

/* --- task_done and join ---------------------------------------------------------------- */

struct joiner {
    struct queue *q;
    pthread_mutex_t lock;
    bool last_task_done; /* set just before the last task_done() */
    bool returned;       /* join() returned */
    bool returned_after_last;
};

static void *join_queue(void *arg)
{
    struct joiner *j = arg;
    queue_join(j->q);
    pthread_mutex_lock(&j->lock);
    j->returned = true;
    j->returned_after_last = j->last_task_done;
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

/* join() waits while any item is not task_done()'d -- taking the items out is not
 * enough -- and returns after the last task_done(). Too many task_done()s fail. */
START_TEST(join_waits_for_every_task_done)
{
    struct queue q;
    struct joiner j = {.q = &q, .lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_t thread;
    void *item;

    ck_assert_int_eq(queue_init(&q, 0), 0);
    queue_join(&q); /* nothing was put: returns at once */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(queue_put(&q, ITEM(i + 1), 0), QUEUE_OK);
    ck_assert_int_eq(pthread_create(&thread, NULL, join_queue, &j), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(queue_get(&q, &item, 0), QUEUE_OK);
    ck_assert_int_eq(queue_task_done(&q), 0);
    ck_assert_int_eq(queue_task_done(&q), 0);
    pause_ms(100); /* queue empty, one task unfinished: join must still wait */
    pthread_mutex_lock(&j.lock);
    ck_assert_msg(!j.returned, "join returned with a task not done");
    j.last_task_done = true;
    pthread_mutex_unlock(&j.lock);
    ck_assert_int_eq(queue_task_done(&q), 0);
    pthread_join(thread, NULL);
    ck_assert(j.returned_after_last);
    ck_assert_int_eq(queue_task_done(&q), -1); /* one too many: Python's ValueError */
    queue_destroy(&q);
}
END_TEST

/* --- close ----------------------------------------------------------------------------- */

/* close() wakes every thread blocked in get (empty queue) or put (full queue); each
 * returns QUEUE_CLOSED promptly. Items already queued can still be taken, then get
 * says Closed; put says Closed at once. */
START_TEST(close_wakes_every_blocked_worker)
{
    enum { GETTERS = 6, PUTTERS = 4 };
    struct queue empty, full;
    struct blocked_call calls[GETTERS + PUTTERS];
    pthread_t threads[GETTERS + PUTTERS];
    void *item;

    ck_assert_int_eq(queue_init(&empty, 4), 0);
    ck_assert_int_eq(queue_init(&full, 1), 0);
    ck_assert_int_eq(queue_put(&full, ITEM(7), 0), QUEUE_OK);
    begun = 0; /* (no other thread yet) */
    for (int i = 0; i < GETTERS + PUTTERS; i++) {
        bool is_put = i >= GETTERS;
        calls[i] = (struct blocked_call){.q = is_put ? &full : &empty,
                                         .is_put = is_put,
                                         .timeout = i % 2 ? 30.0 : -1,
                                         .item = ITEM(100 + i)};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, blocked_call_run, &calls[i]), 0);
    }
    wait_until_begun(GETTERS + PUTTERS, 100); /* let them all block */
    long long closed_at = monotonic_ms();
    queue_close(&empty);
    queue_close(&full);
    for (int i = 0; i < GETTERS + PUTTERS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(calls[i].status == QUEUE_CLOSED, "call %d returned %s", i,
                      queue_status_name(calls[i].status));
        ck_assert_int_lt(calls[i].returned_at - closed_at, scaled_ms(300));
    }
    ck_assert_int_eq(queue_put(&empty, ITEM(1), 0), QUEUE_CLOSED);
    ck_assert_int_eq(queue_get(&empty, &item, -1), QUEUE_CLOSED); /* no wait */
    ck_assert_int_eq(queue_get(&full, &item, -1), QUEUE_OK);      /* what was queued */
    ck_assert_uint_eq(VALUE(item), 7);
    ck_assert_int_eq(queue_get(&full, &item, 1.0), QUEUE_CLOSED);
    queue_destroy(&empty);
    queue_destroy(&full);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, fifo_order);
    tcase_add_test(tc, full_and_empty_without_waiting);
    tcase_add_test(tc, timeouts_expire_within_bounds);
    tcase_add_test(tc, blocking_put_and_get_wake_up);
    tcase_add_test(tc, join_waits_for_every_task_done);
    tcase_add_test(tc, close_wakes_every_blocked_worker);
    suite_add_tcase(s, tc);
    /* The stress test has its own, longer, timeout: ThreadSanitizer slows it down. */
    TCase *stress = tcase_create("stress");
    tcase_set_timeout(stress, 60);
    tcase_add_test(stress, many_producers_many_consumers);
    suite_add_tcase(s, stress);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(queue_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
