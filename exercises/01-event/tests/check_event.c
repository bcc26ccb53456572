/* check_event.c -- the graded tests of exercise 01-event: the Event of event.h. The table
 * at the end gives each test's points. */
#include "event.h"
#include "graded.h"

#include <pthread.h>
#include <stdlib.h>

/* A fresh event is not set, set() sets it (twice is harmless), clear() clears it. */
START_TEST(set_clear_is_set)
{
    struct event e;
    assert_ok(event_init(&e), "event_init");
    ck_assert_msg(!event_is_set(&e), "a new event is already set");
    event_set(&e);
    ck_assert_msg(event_is_set(&e), "is_set() is false after set()");
    event_set(&e);
    ck_assert_msg(event_is_set(&e), "is_set() is false after a second set()");
    event_clear(&e);
    ck_assert_msg(!event_is_set(&e), "is_set() is true after clear()");
    event_destroy(&e);
}
END_TEST

/* wait() on a set event returns true at once, with a long timeout and with none. */
START_TEST(wait_on_set_event_returns_at_once)
{
    struct event e;
    assert_ok(event_init(&e), "event_init");
    event_set(&e);
    long long start = monotonic_ms();
    ck_assert_msg(event_wait(&e, 10.0), "wait(10) on a set event returned false");
    ck_assert_msg(event_wait(&e, -1), "wait(-1) on a set event returned false");
    long long took = monotonic_ms() - start;
    ck_assert_msg(took < scaled_ms(1000), "waiting on a set event took %lld ms", took);
    event_destroy(&e);
}
END_TEST

/* wait(0.2) on an unset event returns false, no earlier than 0.2 s and not much later. */
START_TEST(wait_times_out)
{
    struct event e;
    assert_ok(event_init(&e), "event_init");
    long long start = monotonic_ms();
    ck_assert_msg(!event_wait(&e, 0.2), "wait(0.2) on an unset event returned true");
    long long took = monotonic_ms() - start;
    ck_assert_msg(took >= 200, "wait(0.2) returned after %lld ms, before its timeout", took);
    ck_assert_msg(took < 200 + scaled_ms(500), "wait(0.2) returned after %lld ms", took);
    event_destroy(&e);
}
END_TEST

/* wait(0) only looks: false at once on an unset event, true on a set one. */
START_TEST(zero_timeout_only_looks)
{
    struct event e;
    assert_ok(event_init(&e), "event_init");
    long long start = monotonic_ms();
    ck_assert_msg(!event_wait(&e, 0), "wait(0) on an unset event returned true");
    ck_assert_msg(monotonic_ms() - start < scaled_ms(500), "wait(0) waited");
    event_set(&e);
    ck_assert_msg(event_wait(&e, 0), "wait(0) on a set event returned false");
    event_destroy(&e);
}
END_TEST

/* After set() and clear(), waiting blocks again until the timeout. */
START_TEST(clear_makes_wait_block_again)
{
    struct event e;
    assert_ok(event_init(&e), "event_init");
    event_set(&e);
    event_clear(&e);
    long long start = monotonic_ms();
    ck_assert_msg(!event_wait(&e, 0.1), "wait(0.1) after clear() returned true");
    ck_assert_msg(monotonic_ms() - start >= 100, "wait(0.1) after clear() did not wait");
    event_destroy(&e);
}
END_TEST

struct waiter {
    struct event *event;
    double timeout;
    pthread_mutex_t *lock;
    int *ready; /* waiters that have started, under *lock */
    bool result;
    long long woke_at;
};

static void *wait_for_event(void *arg)
{
    struct waiter *w = arg;
    pthread_mutex_lock(w->lock);
    (*w->ready)++;
    pthread_mutex_unlock(w->lock);
    w->result = event_wait(w->event, w->timeout);
    w->woke_at = monotonic_ms();
    return NULL;
}

/* Start N threads waiting on E with TIMEOUT, let them fall asleep, set E, and check that
 * each one returns true within half a second of the set. */
static void set_wakes_waiters(int n, double timeout)
{
    struct event e;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int ready = 0;
    pthread_t threads[16];
    struct waiter waiters[16];

    assert_ok(event_init(&e), "event_init");
    for (int i = 0; i < n; i++) {
        waiters[i] =
            (struct waiter){.event = &e, .timeout = timeout, .lock = &lock, .ready = &ready};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, wait_for_event, &waiters[i]), 0);
    }
    for (int started = 0; started < n; sleep_ms(1)) {
        pthread_mutex_lock(&lock);
        started = ready;
        pthread_mutex_unlock(&lock);
    }
    /* Set only once they all sleep in event_wait: set() must wake every one. (A set that
     * came first would find nobody asleep, and let a set() that wakes only one pass.) A
     * waiter that spins instead of sleeping is not waited for past a second. */
    wait_until_others_asleep(1000);
    long long set_at = monotonic_ms();
    event_set(&e);
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(waiters[i].result, "waiter %d of %d: event_wait returned false after set()",
                      i + 1, n);
        ck_assert_msg(waiters[i].woke_at - set_at < scaled_ms(1000),
                      "waiter %d of %d woke %lld ms after set()", i + 1, n,
                      waiters[i].woke_at - set_at);
    }
    event_destroy(&e);
}

/* A thread waiting forever, wait(-1), wakes up when another thread sets the event. */
START_TEST(set_wakes_a_thread_waiting_forever)
{
    set_wakes_waiters(1, -1);
}
END_TEST

/* A thread in a timed wait, wait(30), wakes up at once when another thread sets the event,
 * and returns true. */
START_TEST(set_wakes_a_thread_in_a_timed_wait)
{
    set_wakes_waiters(1, 30.0);
}
END_TEST

/* One set() wakes every waiter (broadcast, not signal), forever ones and timed ones. */
START_TEST(one_set_wakes_every_waiter)
{
    set_wakes_waiters(8, 30.0);
    set_wakes_waiters(8, -1);
}
END_TEST

struct ping_pong {
    struct event ping, pong;
    int rounds;
    int missed; /* rounds where the other side never answered */
};

static void *ponger(void *arg)
{
    struct ping_pong *p = arg;
    for (int i = 0; i < p->rounds; i++) {
        if (!event_wait(&p->ping, 5.0))
            return NULL;
        event_clear(&p->ping);
        event_set(&p->pong);
    }
    return NULL;
}

/* Two threads hand a turn back and forth 2000 times with two events: no wake-up is lost
 * (a lost one would leave a waiter asleep until its 5 s timeout). */
START_TEST(ping_pong_loses_no_wakeup)
{
    struct ping_pong p = {.rounds = 2000};
    pthread_t thread;

    assert_ok(event_init(&p.ping), "event_init");
    assert_ok(event_init(&p.pong), "event_init");
    ck_assert_int_eq(pthread_create(&thread, NULL, ponger, &p), 0);
    int answered = 0;
    for (int i = 0; i < p.rounds; i++) {
        event_set(&p.ping);
        if (!event_wait(&p.pong, 5.0))
            break;
        event_clear(&p.pong);
        answered++;
    }
    event_set(&p.ping); /* release the ponger if it is still waiting */
    pthread_join(thread, NULL);
    ck_assert_msg(answered == p.rounds, "round %d of %d: no answer within 5 s (a lost wake-up)",
                  answered + 1, p.rounds);
    event_destroy(&p.ping);
    event_destroy(&p.pong);
}
END_TEST

int main(void)
{
    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(set_clear_is_set, 2, 5),
        GRADED(wait_on_set_event_returns_at_once, 2, 5),
        GRADED(wait_times_out, 2, 5),
        GRADED(zero_timeout_only_looks, 1, 5),
        GRADED(clear_makes_wait_block_again, 1, 5),
        GRADED(set_wakes_a_thread_waiting_forever, 2, 5),
        GRADED(set_wakes_a_thread_in_a_timed_wait, 2, 5),
        GRADED(one_set_wakes_every_waiter, 3, 10),
        GRADED(ping_pong_loses_no_wakeup, 3, 20),
    };
    return graded_main("01-event", tests, sizeof tests / sizeof tests[0]);
}
