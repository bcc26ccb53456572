/* check_event.c -- the Event (event.c): set, clear, is_set, timed waits, and many
 * waiters woken by one set. */
#include "../event.h"
#include "harness.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* A fresh event is not set, set() sets it, clear() clears it. */
START_TEST(set_clear_is_set)
{
    struct event e;
    ck_assert_int_eq(event_init(&e), 0);
    ck_assert(!event_is_set(&e));
    event_set(&e);
    ck_assert(event_is_set(&e));
    event_set(&e); /* setting twice is harmless */
    ck_assert(event_is_set(&e));
    event_clear(&e);
    ck_assert(!event_is_set(&e));
    event_destroy(&e);
}
END_TEST

/* wait() on a set event returns true at once, even with a long timeout. */
START_TEST(wait_on_set_event_returns_at_once)
{
    struct event e;
    ck_assert_int_eq(event_init(&e), 0);
    event_set(&e);
    long long start = monotonic_ms();
    ck_assert(event_wait(&e, 10.0));
    ck_assert(event_wait(&e, -1)); /* "forever" too */
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(1000));
    event_destroy(&e);
}
END_TEST

/* wait(timeout) on an unset event returns false, no earlier than the timeout and
 * not much later. */
START_TEST(wait_times_out_within_bounds)
{
    struct event e;
    ck_assert_int_eq(event_init(&e), 0);
    long long start = monotonic_ms();
    ck_assert(!event_wait(&e, 0.2));
    long long took = monotonic_ms() - start;
    ck_assert_int_ge(took, 200);
    ck_assert_int_lt(took, 200 + scaled_ms(1000));
    /* A zero timeout only looks. */
    start = monotonic_ms();
    ck_assert(!event_wait(&e, 0));
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(500));
    event_destroy(&e);
}
END_TEST

/* After clear(), waiting blocks again until the timeout. */
START_TEST(clear_makes_wait_block_again)
{
    struct event e;
    ck_assert_int_eq(event_init(&e), 0);
    event_set(&e);
    event_clear(&e);
    long long start = monotonic_ms();
    ck_assert(!event_wait(&e, 0.1));
    ck_assert_int_ge(monotonic_ms() - start, 100);
    event_destroy(&e);
}
END_TEST

/* How many of the test's threads have started: the test waits on it (a condition
 * variable, not a loop of sched_yield() calls, which on a busy machine hands the CPU
 * to every other program before the threads get it). */
struct started {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int count;
};

static void say_started(struct started *s)
{
    pthread_mutex_lock(&s->lock);
    s->count++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

static void wait_until_started(struct started *s, int count)
{
    pthread_mutex_lock(&s->lock);
    while (s->count < count)
        pthread_cond_wait(&s->changed, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

struct waiter {
    struct event *event;
    struct started *started;
    bool result;
    long long woke_at;
};

static void *wait_long(void *arg)
{
    struct waiter *w = arg;
    say_started(w->started);
    w->result = event_wait(w->event, 30.0);
    w->woke_at = monotonic_ms();
    return NULL;
}

/* One set() wakes every waiter (broadcast, not signal), promptly. */
START_TEST(one_set_wakes_every_waiter)
{
    enum { WAITERS = 8 };
    struct event e;
    struct started started = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t threads[WAITERS];
    struct waiter waiters[WAITERS];

    ck_assert_int_eq(event_init(&e), 0);
    for (int i = 0; i < WAITERS; i++) {
        waiters[i] = (struct waiter){.event = &e, .started = &started};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, wait_long, &waiters[i]), 0);
    }
    /* Let them get into event_wait; whether or not each is already asleep, set()
     * must release it. */
    wait_until_started(&started, WAITERS);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL); /* most are now asleep in pthread_cond_timedwait */
    long long set_at = monotonic_ms();
    event_set(&e);
    for (int i = 0; i < WAITERS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(waiters[i].result, "waiter %d was not woken by set()", i);
        ck_assert_int_lt(waiters[i].woke_at - set_at, scaled_ms(1000)); /* of 30 s */
    }
    event_destroy(&e);
}
END_TEST

struct stoppable {
    struct event stop;
    struct started started;
    long iterations;
};

static void *loop_until_stopped(void *arg)
{
    struct stoppable *s = arg;
    while (!event_is_set(&s->stop)) {
        s->iterations++;
        if (s->iterations == 1)
            say_started(&s->started);
        event_wait(&s->stop, 10.0); /* a long "sleep" that stop() cuts short */
    }
    return NULL;
}

/* The stop_event pattern: a thread sleeping in event_wait(10 s) stops within a
 * fraction of a second of set(), not after its 10 s. */
START_TEST(event_stops_a_thread_within_bound)
{
    struct stoppable s = {.started = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0},
                          .iterations = 0};
    pthread_t thread;
    ck_assert_int_eq(event_init(&s.stop), 0);
    ck_assert_int_eq(pthread_create(&thread, NULL, loop_until_stopped, &s), 0);
    /* Wait until its loop has begun (on a busy machine the thread may start late; a
     * set() before it begins would end the loop before its first iteration), then
     * give it a moment to fall asleep in its wait: asleep or not, set() must end it. */
    wait_until_started(&s.started, 1);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    long long start = monotonic_ms();
    event_set(&s.stop);
    pthread_join(thread, NULL);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(1000)); /* it was in a 10 s wait */
    ck_assert_int_eq(s.iterations, 1);
    event_destroy(&s.stop);
}
END_TEST

static Suite *event_suite(void)
{
    Suite *s = suite_create("event");
    TCase *tc = tcase_create("event");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, set_clear_is_set);
    tcase_add_test(tc, wait_on_set_event_returns_at_once);
    tcase_add_test(tc, wait_times_out_within_bounds);
    tcase_add_test(tc, clear_makes_wait_block_again);
    tcase_add_test(tc, one_set_wakes_every_waiter);
    tcase_add_test(tc, event_stops_a_thread_within_bound);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(event_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
