/* check_queue.c -- the graded tests of exercise 07-bounded-queue: the queue of queue.h.
 * The table at the end gives each test's points. */
#include "graded.h"
#include "queue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* Items are small numbers dressed as pointers (never dereferenced). */
#define ITEM(n)   ((void *)(uintptr_t)(n))
#define NUMBER(p) ((long)(uintptr_t)(p))

static const char *result_name(int result)
{
    switch (result) {
    case QUEUE_OK:
        return "QUEUE_OK";
    case QUEUE_FULL:
        return "QUEUE_FULL";
    case QUEUE_EMPTY:
        return "QUEUE_EMPTY";
    case QUEUE_ERROR:
        return "QUEUE_ERROR";
    default:
        return "an unknown result";
    }
}

#define ASSERT_RESULT(call, expected)                                                              \
    do {                                                                                           \
        int got_ = (call);                                                                         \
        ck_assert_msg(got_ == (expected), "%s returned %s, expected %s", #call, result_name(got_), \
                      result_name(expected));                                                      \
    } while (0)

/* Items come out in the order they went in, queue_size counts them, and a capacity of 0
 * is refused with EINVAL. */
START_TEST(fifo_order_and_size)
{
    struct queue q;
    void *item = NULL;
    assert_ok(queue_init(&q, 4), "queue_init(4)");
    ck_assert_msg(queue_size(&q) == 0, "a new queue has size %zu", queue_size(&q));
    for (long i = 1; i <= 3; i++)
        ASSERT_RESULT(queue_put(&q, ITEM(i), -1), QUEUE_OK);
    ck_assert_msg(queue_size(&q) == 3, "size %zu after 3 puts", queue_size(&q));
    /* Around the ring more than once: 40 items through 4 slots. */
    for (long i = 1; i <= 40; i++) {
        ASSERT_RESULT(queue_get(&q, &item, -1), QUEUE_OK);
        ck_assert_msg(NUMBER(item) == i, "get number %ld returned item %ld", i, NUMBER(item));
        ASSERT_RESULT(queue_put(&q, ITEM(i + 3), -1), QUEUE_OK);
    }
    ck_assert_msg(queue_size(&q) == 3, "size %zu, expected 3", queue_size(&q));
    queue_destroy(&q);

    struct queue zero;
    int rc = queue_init(&zero, 0);
    ck_assert_msg(rc == EINVAL, "queue_init(0) returned %d (%s), expected EINVAL", rc,
                  strerror(rc));
}
END_TEST

/* put with timeout 0 on a full queue returns QUEUE_FULL at once and adds nothing. */
START_TEST(put_nowait_on_full_queue)
{
    struct queue q;
    void *item;
    assert_ok(queue_init(&q, 2), "queue_init(2)");
    ASSERT_RESULT(queue_put(&q, ITEM(1), 0), QUEUE_OK);
    ASSERT_RESULT(queue_put(&q, ITEM(2), 0), QUEUE_OK);
    long long start = monotonic_ms();
    ASSERT_RESULT(queue_put(&q, ITEM(3), 0), QUEUE_FULL);
    ck_assert_msg(monotonic_ms() - start < scaled_ms(500), "put with timeout 0 waited");
    ck_assert_msg(queue_size(&q) == 2, "size %zu after a refused put", queue_size(&q));
    ASSERT_RESULT(queue_get(&q, &item, 0), QUEUE_OK);
    ck_assert_int_eq(NUMBER(item), 1);
    ASSERT_RESULT(queue_get(&q, &item, 0), QUEUE_OK);
    ck_assert_int_eq(NUMBER(item), 2);
    queue_destroy(&q);
}
END_TEST

/* get with timeout 0 on an empty queue returns QUEUE_EMPTY at once and leaves *item alone. */
START_TEST(get_nowait_on_empty_queue)
{
    struct queue q;
    void *item = ITEM(77);
    assert_ok(queue_init(&q, 2), "queue_init(2)");
    long long start = monotonic_ms();
    ASSERT_RESULT(queue_get(&q, &item, 0), QUEUE_EMPTY);
    ck_assert_msg(monotonic_ms() - start < scaled_ms(500), "get with timeout 0 waited");
    ck_assert_msg(NUMBER(item) == 77, "a failed get changed *item");
    queue_destroy(&q);
}
END_TEST

/* put(0.2) on a full queue waits 0.2 s (not less, not much more), then QUEUE_FULL. */
START_TEST(put_times_out_on_full_queue)
{
    struct queue q;
    assert_ok(queue_init(&q, 1), "queue_init(1)");
    ASSERT_RESULT(queue_put(&q, ITEM(1), -1), QUEUE_OK);
    long long start = monotonic_ms();
    ASSERT_RESULT(queue_put(&q, ITEM(2), 0.2), QUEUE_FULL);
    long long took = monotonic_ms() - start;
    ck_assert_msg(took >= 200, "put(0.2) gave up after %lld ms, before its timeout", took);
    ck_assert_msg(took < 200 + scaled_ms(500), "put(0.2) gave up after %lld ms", took);
    ck_assert_msg(queue_size(&q) == 1, "size %zu after a put that timed out", queue_size(&q));
    queue_destroy(&q);
}
END_TEST

/* get(0.2) on an empty queue waits 0.2 s (not less, not much more), then QUEUE_EMPTY. */
START_TEST(get_times_out_on_empty_queue)
{
    struct queue q;
    void *item;
    assert_ok(queue_init(&q, 1), "queue_init(1)");
    long long start = monotonic_ms();
    ASSERT_RESULT(queue_get(&q, &item, 0.2), QUEUE_EMPTY);
    long long took = monotonic_ms() - start;
    ck_assert_msg(took >= 200, "get(0.2) gave up after %lld ms, before its timeout", took);
    ck_assert_msg(took < 200 + scaled_ms(500), "get(0.2) gave up after %lld ms", took);
    queue_destroy(&q);
}
END_TEST

struct helper {
    struct queue *q;
    long value;
    int result;
    long long done_at;
};

static void *put_forever(void *arg)
{
    struct helper *h = arg;
    h->result = queue_put(h->q, ITEM(h->value), -1);
    h->done_at = monotonic_ms();
    return NULL;
}

static void *get_with_timeout(void *arg)
{
    struct helper *h = arg;
    void *item = NULL;
    h->result = queue_get(h->q, &item, 10.0);
    h->value = NUMBER(item);
    h->done_at = monotonic_ms();
    return NULL;
}

/* A put blocked on a full queue goes through as soon as another thread takes an item. */
START_TEST(blocked_put_resumes_after_get)
{
    struct queue q;
    void *item;
    pthread_t thread;
    assert_ok(queue_init(&q, 1), "queue_init(1)");
    ASSERT_RESULT(queue_put(&q, ITEM(1), -1), QUEUE_OK);
    struct helper h = {.q = &q, .value = 2, .result = -1};
    ck_assert_int_eq(pthread_create(&thread, NULL, put_forever, &h), 0);
    wait_until_others_asleep(1000); /* it is blocked now: the queue is full */
    ck_assert_msg(queue_size(&q) == 1, "a put into a full queue did not wait");
    long long got_at = monotonic_ms();
    ASSERT_RESULT(queue_get(&q, &item, -1), QUEUE_OK);
    ck_assert_int_eq(NUMBER(item), 1);
    pthread_join(thread, NULL);
    ASSERT_RESULT(h.result, QUEUE_OK);
    ck_assert_msg(h.done_at - got_at < scaled_ms(1000), "the blocked put took %lld ms to resume",
                  h.done_at - got_at);
    ASSERT_RESULT(queue_get(&q, &item, 0), QUEUE_OK);
    ck_assert_int_eq(NUMBER(item), 2);
    queue_destroy(&q);
}
END_TEST

/* A get blocked on an empty queue returns the item as soon as another thread puts one. */
START_TEST(blocked_get_resumes_after_put)
{
    struct queue q;
    pthread_t thread;
    assert_ok(queue_init(&q, 1), "queue_init(1)");
    struct helper h = {.q = &q, .result = -1};
    ck_assert_int_eq(pthread_create(&thread, NULL, get_with_timeout, &h), 0);
    wait_until_others_asleep(1000); /* it is blocked now: the queue is empty */
    long long put_at = monotonic_ms();
    ASSERT_RESULT(queue_put(&q, ITEM(42), -1), QUEUE_OK);
    pthread_join(thread, NULL);
    ASSERT_RESULT(h.result, QUEUE_OK);
    ck_assert_int_eq(h.value, 42);
    ck_assert_msg(h.done_at - put_at < scaled_ms(1000), "the blocked get took %lld ms to resume",
                  h.done_at - put_at);
    queue_destroy(&q);
}
END_TEST

enum { PRODUCERS = 4, CONSUMERS = 4, PER_PRODUCER = 5000, CAPACITY = 8 };

struct shared {
    struct queue q;
    pthread_mutex_t lock;
    int seen[PRODUCERS * PER_PRODUCER]; /* how many times each item came out */
    size_t largest;                     /* the largest queue_size seen */
    int failures;                       /* puts or gets that returned an error */
};

struct producer_arg {
    struct shared *shared;
    long index; /* producer number: it puts items index * PER_PRODUCER + 1 and up */
};

static void *producer(void *arg)
{
    struct producer_arg *p = arg;
    struct shared *s = p->shared;
    for (long i = 0; i < PER_PRODUCER; i++)
        if (queue_put(&s->q, ITEM(p->index * PER_PRODUCER + i + 1), 10.0) != QUEUE_OK) {
            pthread_mutex_lock(&s->lock);
            s->failures++;
            pthread_mutex_unlock(&s->lock);
        }
    return NULL;
}

static void *consumer(void *arg)
{
    struct shared *s = arg;
    for (;;) {
        void *item;
        if (queue_get(&s->q, &item, 10.0) != QUEUE_OK) {
            pthread_mutex_lock(&s->lock);
            s->failures++;
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        long n = NUMBER(item);
        if (n == 0) /* the end marker */
            return NULL;
        size_t size = queue_size(&s->q);
        pthread_mutex_lock(&s->lock);
        if (n >= 1 && n <= PRODUCERS * PER_PRODUCER)
            s->seen[n - 1]++;
        if (size > s->largest)
            s->largest = size;
        pthread_mutex_unlock(&s->lock);
        queue_task_done(&s->q);
    }
}

/* 4 producers put 20000 items through a queue of 8 while 4 consumers take them: every item
 * comes out exactly once, and the queue never holds more than its capacity. */
START_TEST(producers_and_consumers_exactly_once)
{
    struct shared *s = calloc(1, sizeof *s);
    pthread_t producers[PRODUCERS], consumers[CONSUMERS];
    struct producer_arg args[PRODUCERS];

    ck_assert_ptr_nonnull(s);
    assert_ok(queue_init(&s->q, CAPACITY), "queue_init(8)");
    pthread_mutex_init(&s->lock, NULL);
    for (int i = 0; i < CONSUMERS; i++)
        ck_assert_int_eq(pthread_create(&consumers[i], NULL, consumer, s), 0);
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (struct producer_arg){.shared = s, .index = i};
        ck_assert_int_eq(pthread_create(&producers[i], NULL, producer, &args[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(producers[i], NULL);
    for (int i = 0; i < CONSUMERS; i++)
        queue_put(&s->q, ITEM(0), 10.0);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(consumers[i], NULL);

    ck_assert_msg(s->failures == 0, "%d puts or gets timed out (10 s): a lost wake-up?",
                  s->failures);
    for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++)
        ck_assert_msg(s->seen[n] == 1, "item %d came out %d times", n + 1, s->seen[n]);
    ck_assert_msg(s->largest <= CAPACITY, "queue_size was %zu in a queue of capacity %d",
                  s->largest, CAPACITY);
    queue_destroy(&s->q);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
END_TEST

struct worker {
    struct queue *q;
    int delay_ms; /* the "work" per item */
};

/* The lecture's worker: get an item, work on it, task_done, forever (until item 0). */
static void *worker(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        void *item;
        if (queue_get(w->q, &item, 10.0) != QUEUE_OK)
            return NULL;
        sleep_ms(w->delay_ms);
        queue_task_done(w->q);
        if (NUMBER(item) == 0)
            return NULL;
    }
}

/* join() blocks until task_done was called for every item put, then returns, as in the
 * lecture's `q.join()`: 3 workers, 20 items of 20 ms each. */
START_TEST(join_waits_for_every_task_done)
{
    struct queue q;
    struct worker w = {.q = &q, .delay_ms = 20};
    pthread_t workers[3];

    assert_ok(queue_init(&q, 4), "queue_init(4)");
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&workers[i], NULL, worker, &w), 0);
    long long start = monotonic_ms();
    for (long i = 1; i <= 20; i++)
        ASSERT_RESULT(queue_put(&q, ITEM(i), 10.0), QUEUE_OK);
    queue_join(&q);
    long long took = monotonic_ms() - start;
    /* 20 items of 20 ms on 3 workers: at least 7 rounds, 140 ms. */
    ck_assert_msg(took >= 140, "join returned after %lld ms, before the work could be done", took);
    ck_assert_msg(queue_size(&q) == 0, "join returned with %zu items still queued", queue_size(&q));
    for (int i = 0; i < 3; i++)
        ASSERT_RESULT(queue_put(&q, ITEM(0), 10.0), QUEUE_OK);
    for (int i = 0; i < 3; i++)
        pthread_join(workers[i], NULL);
    queue_join(&q); /* all done again: returns at once */
    queue_destroy(&q);
}
END_TEST

/* join() on a queue with nothing unfinished returns at once, also after items were put,
 * taken and marked done. */
START_TEST(join_returns_at_once_when_nothing_is_unfinished)
{
    struct queue q;
    void *item;
    assert_ok(queue_init(&q, 2), "queue_init(2)");
    long long start = monotonic_ms();
    queue_join(&q);
    ASSERT_RESULT(queue_put(&q, ITEM(1), 0), QUEUE_OK);
    ASSERT_RESULT(queue_get(&q, &item, 0), QUEUE_OK);
    ASSERT_RESULT(queue_task_done(&q), QUEUE_OK);
    queue_join(&q);
    ck_assert_msg(monotonic_ms() - start < scaled_ms(1000), "join waited with nothing unfinished");
    queue_destroy(&q);
}
END_TEST

/* task_done() more times than items were put is an error (Python's ValueError). */
START_TEST(too_many_task_done_is_an_error)
{
    struct queue q;
    void *item;
    assert_ok(queue_init(&q, 2), "queue_init(2)");
    ASSERT_RESULT(queue_task_done(&q), QUEUE_ERROR);
    ASSERT_RESULT(queue_put(&q, ITEM(1), 0), QUEUE_OK);
    ASSERT_RESULT(queue_get(&q, &item, 0), QUEUE_OK);
    ASSERT_RESULT(queue_task_done(&q), QUEUE_OK);
    ASSERT_RESULT(queue_task_done(&q), QUEUE_ERROR);
    queue_destroy(&q);
}
END_TEST

struct relay {
    struct queue *q;
    long items;
    long bad; /* gets or puts that failed */
};

static void *relay_put(void *arg)
{
    struct relay *r = arg;
    for (long i = 1; i <= r->items; i++)
        if (queue_put(r->q, ITEM(i), 5.0) != QUEUE_OK)
            r->bad++;
    return NULL;
}

static void *relay_get(void *arg)
{
    struct relay *r = arg;
    for (long i = 1; i <= r->items; i++) {
        void *item;
        if (queue_get(r->q, &item, 5.0) != QUEUE_OK)
            r->bad++;
    }
    return NULL;
}

/* A queue of capacity 1 with 2 producers and 2 consumers, 20000 items: every hand-over
 * needs a wake-up, none may be lost (a lost one stalls a thread for its 5 s timeout). */
START_TEST(capacity_one_loses_no_wakeup)
{
    struct queue q;
    pthread_t threads[4];
    struct relay relays[4];
    assert_ok(queue_init(&q, 1), "queue_init(1)");
    for (int i = 0; i < 4; i++) {
        relays[i] = (struct relay){.q = &q, .items = 5000};
        ck_assert_int_eq(
            pthread_create(&threads[i], NULL, i < 2 ? relay_put : relay_get, &relays[i]), 0);
    }
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        bad += relays[i].bad;
    }
    ck_assert_msg(bad == 0, "%ld puts or gets timed out after 5 s: a lost wake-up", bad);
    ck_assert_msg(queue_size(&q) == 0, "%zu items left over", queue_size(&q));
    queue_destroy(&q);
}
END_TEST

int main(void)
{
    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(fifo_order_and_size, 2, 5),
        GRADED(put_nowait_on_full_queue, 2, 5),
        GRADED(get_nowait_on_empty_queue, 1, 5),
        GRADED(put_times_out_on_full_queue, 2, 5),
        GRADED(get_times_out_on_empty_queue, 2, 5),
        GRADED(blocked_put_resumes_after_get, 2, 5),
        GRADED(blocked_get_resumes_after_put, 2, 5),
        GRADED(producers_and_consumers_exactly_once, 3, 30),
        GRADED(join_waits_for_every_task_done, 3, 10),
        GRADED(join_returns_at_once_when_nothing_is_unfinished, 1, 5),
        GRADED(too_many_task_done_is_an_error, 1, 5),
        GRADED(capacity_one_loses_no_wakeup, 2, 30),
    };
    return graded_main("07-bounded-queue", tests, sizeof tests / sizeof tests[0]);
}
