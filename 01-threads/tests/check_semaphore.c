/* check_semaphore.c -- the counting semaphore (semaphore.c): it lets at most K in. */
#include "../semaphore.h"
#include "harness.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* Exactly K units: K try_acquires succeed, the next fails, a release gives one back. */
START_TEST(try_acquire_counts_exactly)
{
    struct semaphore s;
    ck_assert_int_eq(semaphore_init(&s, 3), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(semaphore_try_acquire(&s), "unit %d of 3 refused", i + 1);
    ck_assert_msg(!semaphore_try_acquire(&s), "a fourth unit was handed out");
    semaphore_release(&s);
    ck_assert(semaphore_try_acquire(&s));
    ck_assert(!semaphore_try_acquire(&s));
    semaphore_destroy(&s);
}
END_TEST

static void *acquire_then_mark(void *arg)
{
    struct semaphore *s = arg;
    semaphore_acquire(s); /* blocks: the count is 0 */
    return (void *)1;
}

/* acquire() on an empty semaphore sleeps until release(), then goes on. */
START_TEST(acquire_blocks_until_release)
{
    struct semaphore s;
    pthread_t thread;
    void *result = NULL;
    ck_assert_int_eq(semaphore_init(&s, 0), 0);
    ck_assert_int_eq(pthread_create(&thread, NULL, acquire_then_mark, &s), 0);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    /* Still blocked: the unit is not there to take. */
    ck_assert(!semaphore_try_acquire(&s));
    semaphore_release(&s);
    pthread_join(thread, &result); /* would hang (test timeout) if not woken */
    ck_assert_ptr_eq(result, (void *)1);
    ck_assert(!semaphore_try_acquire(&s)); /* the thread took the one unit */
    semaphore_destroy(&s);
}
END_TEST

enum { LIMIT = 3, WORKERS = 16, ROUNDS = 40 };
static struct semaphore limit;
static pthread_mutex_t stats = PTHREAD_MUTEX_INITIALIZER;
static int inside, high_water;

static void *stress_worker(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) {
        semaphore_acquire(&limit);
        pthread_mutex_lock(&stats);
        if (++inside > high_water)
            high_water = inside;
        pthread_mutex_unlock(&stats);
        /* Hold the unit a moment, asleep, so that the others run and try to (wrongly)
         * get in. A sleep, not sched_yield(): a yield on a busy machine hands the CPU
         * to every other program, and 640 of them took seconds. */
        struct timespec moment = {0, 100 * 1000};
        nanosleep(&moment, NULL);
        pthread_mutex_lock(&stats);
        inside--;
        pthread_mutex_unlock(&stats);
        semaphore_release(&limit);
    }
    return NULL;
}

/* Many threads hammering a Semaphore(3): the high-water mark never exceeds 3. */
START_TEST(never_more_than_k_inside)
{
    pthread_t threads[WORKERS];
    ck_assert_int_eq(semaphore_init(&limit, LIMIT), 0);
    for (int i = 0; i < WORKERS; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, stress_worker, NULL), 0);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(threads[i], NULL);
    ck_assert_int_le(high_water, LIMIT);
    ck_assert_int_ge(high_water, 1);
    ck_assert_int_eq(inside, 0);
    /* Every unit came back. */
    for (int i = 0; i < LIMIT; i++)
        ck_assert(semaphore_try_acquire(&limit));
    ck_assert(!semaphore_try_acquire(&limit));
    semaphore_destroy(&limit);
}
END_TEST

static Suite *semaphore_suite(void)
{
    Suite *s = suite_create("semaphore");
    TCase *tc = tcase_create("semaphore");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, try_acquire_counts_exactly);
    tcase_add_test(tc, acquire_blocks_until_release);
    tcase_add_test(tc, never_more_than_k_inside);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(semaphore_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
