/* check_executor.c -- the thread-pool executor (executor.c): results, failures,
 * timeouts, map's order, as_completed's order, cancelling, and shutdown. */
#include "../executor.h"
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0)
        ;
}

/* What the tasks of these tests share: how many ran, in which order they ended. */
static pthread_mutex_t book_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t book_changed = PTHREAD_COND_INITIALIZER; /* a task finished */
static int ran, running, most_running, finish_order[64], finished;

/* One task's input. */
struct job {
    long value;
    int sleep_ms;
    int fail; /* 0: succeed; -1: fail with a message; other: fail silently with it */
    int index;
    int after; /* finish only once this many tasks have finished (an order, not a time) */
};

/* The test task: sleeps, then returns value squared, or fails as told. */
static int square(void *arg, void **result, char *error, size_t error_size)
{
    struct job *job = arg;
    pthread_mutex_lock(&book_lock);
    ran++;
    running++;
    most_running = running > most_running ? running : most_running;
    pthread_mutex_unlock(&book_lock);
    if (job->sleep_ms > 0)
        pause_ms(job->sleep_ms);
    pthread_mutex_lock(&book_lock);
    while (finished < job->after)
        pthread_cond_wait(&book_changed, &book_lock);
    running--;
    if (finished < 64)
        finish_order[finished++] = job->index;
    pthread_cond_broadcast(&book_changed);
    pthread_mutex_unlock(&book_lock);
    if (job->fail == -1) {
        snprintf(error, error_size, "cannot square %ld: told to fail", job->value);
        return -1;
    }
    if (job->fail != 0)
        return job->fail;
    *result = (void *)(intptr_t)(job->value * job->value);
    return 0;
}

/* Every submitted task's future gives back that task's own result. */
START_TEST(results_match_inputs)
{
    struct executor *ex = executor_create(4);
    struct job jobs[50];
    struct future *futures[50];
    ck_assert_ptr_nonnull(ex);
    for (int i = 0; i < 50; i++) {
        jobs[i] = (struct job){.value = i - 25, .sleep_ms = i % 3};
        futures[i] = executor_submit(ex, square, &jobs[i]);
        ck_assert_ptr_nonnull(futures[i]);
    }
    for (int i = 0; i < 50; i++) {
        void *result = NULL;
        ck_assert_int_eq(future_result(futures[i], -1, &result), FUTURE_DONE);
        ck_assert_int_eq((intptr_t)result, (long)(i - 25) * (i - 25));
        ck_assert_int_eq(future_state(futures[i]), FUTURE_DONE);
        ck_assert_str_eq(future_error(futures[i]), "");
        future_release(futures[i]);
    }
    executor_destroy(ex);
    ck_assert_int_eq(ran, 50);
}
END_TEST

/* N workers run N tasks at the same time: 4 tasks of 200 ms take about 200 ms. */
START_TEST(workers_run_in_parallel)
{
    struct executor *ex = executor_create(4);
    struct job jobs[4];
    struct future *futures[4];
    ck_assert_ptr_nonnull(ex);
    long long start = monotonic_ms();
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct job){.value = i, .sleep_ms = 200};
        futures[i] = executor_submit(ex, square, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(future_result(futures[i], -1, NULL), FUTURE_DONE);
        future_release(futures[i]);
    }
    ck_assert_int_lt(monotonic_ms() - start, 200 + scaled_ms(150));
    ck_assert_int_eq(most_running, 4);
    executor_destroy(ex);
}
END_TEST

/* result(timeout) gives up no earlier than the timeout and not much later while the
 * task runs on; the task still finishes and can be waited for again. */
START_TEST(result_timeout_within_bounds)
{
    struct executor *ex = executor_create(1);
    struct job job = {.value = 9, .sleep_ms = 300};
    struct future *f = executor_submit(ex, square, &job);
    void *result = NULL;
    ck_assert_ptr_nonnull(f);
    /* Until the worker has taken the task: on a busy machine it may start late, and a
     * task still pending could be cancelled (the test asserts that it cannot). */
    while (future_state(f) == FUTURE_PENDING)
        pause_ms(1);
    long long start = monotonic_ms();
    ck_assert_int_eq(future_result(f, 0.1, &result), FUTURE_TIMEOUT);
    long long took = monotonic_ms() - start;
    ck_assert_int_ge(took, 100);
    ck_assert_int_lt(took, 100 + scaled_ms(150));
    ck_assert_ptr_null(result);
    ck_assert_int_eq(future_state(f), FUTURE_RUNNING);
    ck_assert(!future_cancel(f)); /* running: too late to cancel */
    ck_assert_int_eq(future_result(f, -1, &result), FUTURE_DONE);
    ck_assert_int_eq((intptr_t)result, 81);
    future_release(f);
    executor_destroy(ex);
}
END_TEST

/* A task that "raises" is FUTURE_FAILED with its message; one that fails without a
 * word gets a message too; the other tasks are not affected. */
START_TEST(failing_task_is_reported)
{
    struct executor *ex = executor_create(2);
    struct job ok = {.value = 3}, loud = {.value = 7, .fail = -1}, quiet = {.value = 1, .fail = 5};
    struct future *f_ok = executor_submit(ex, square, &ok);
    struct future *f_loud = executor_submit(ex, square, &loud);
    struct future *f_quiet = executor_submit(ex, square, &quiet);
    void *result = NULL;

    ck_assert_int_eq(future_result(f_loud, -1, &result), FUTURE_FAILED);
    ck_assert_ptr_null(result);
    ck_assert_str_eq(future_error(f_loud), "cannot square 7: told to fail");
    ck_assert_int_eq(future_result(f_quiet, -1, NULL), FUTURE_FAILED);
    ck_assert_str_eq(future_error(f_quiet), "task failed with status 5");
    ck_assert_int_eq(future_result(f_ok, -1, &result), FUTURE_DONE);
    ck_assert_int_eq((intptr_t)result, 9);
    ck_assert_str_eq(future_state_name(FUTURE_FAILED), "FAILED");
    future_release(f_ok);
    future_release(f_loud);
    future_release(f_quiet);
    executor_destroy(ex);
}
END_TEST

/* map returns results in input order although the tasks finish in reverse order: task
 * i finishes only after the N - 1 - i tasks after it (a condition: with sleeps of
 * different lengths instead, a worker that starts late on a busy machine changed the
 * order). The N tasks run at once on N workers, so none waits for a task not begun. */
START_TEST(map_keeps_input_order)
{
    enum { N = 8 };
    struct executor *ex = executor_create(N);
    struct job jobs[N];
    void *results[N];
    size_t failed = 99;
    char error[64];
    for (int i = 0; i < N; i++) /* the first input takes longest */
        jobs[i] = (struct job){.value = 10 + i, .index = i, .after = N - 1 - i};
    ck_assert_int_eq(
        executor_map(ex, square, jobs, sizeof jobs[0], N, results, &failed, error, sizeof error),
        FUTURE_DONE);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq((intptr_t)results[i], (long)(10 + i) * (10 + i));
    ck_assert_int_eq(failed, 99); /* untouched on success */
    /* They really finished in another order: the last input first. */
    ck_assert_int_eq(finished, N);
    ck_assert_int_eq(finish_order[0], N - 1);
    ck_assert_int_eq(finish_order[N - 1], 0);
    executor_destroy(ex);
}
END_TEST

/* map stops at the first failure in input order: it reports that one (index and
 * message), cancels what has not started, and returns only when the started tasks
 * have finished. */
START_TEST(map_reports_first_failure_and_cancels_the_rest)
{
    enum { N = 10 };
    struct executor *ex = executor_create(1);
    struct job jobs[N];
    size_t failed = 99;
    char error[64];
    for (int i = 0; i < N; i++)
        jobs[i] = (struct job){.value = i, .sleep_ms = 50, .fail = i == 1 || i == 5 ? -1 : 0};
    ck_assert_int_eq(
        executor_map(ex, square, jobs, sizeof jobs[0], N, NULL, &failed, error, sizeof error),
        FUTURE_FAILED);
    ck_assert_int_eq(failed, 1);
    ck_assert_str_eq(error, "cannot square 1: told to fail");
    pthread_mutex_lock(&book_lock);
    ck_assert_int_eq(running, 0); /* nothing still runs on JOBS */
    ck_assert_msg(ran >= 2 && ran < N, "%d tasks ran: none was cancelled", ran);
    pthread_mutex_unlock(&book_lock);
    executor_destroy(ex);
}
END_TEST

/* as_completed yields futures in the order they finish (the delays say which),
 * failed ones included, and leaves the array in that order. */
START_TEST(as_completed_gives_completion_order)
{
    enum { N = 5 };
    static const int delays[N] = {400, 100, 300, 0, 200};
    static const int expected[N] = {3, 1, 4, 2, 0};
    struct executor *ex = executor_create(N);
    struct job jobs[N];
    struct future *futures[N];
    struct as_completed it;
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct job){.value = i, .sleep_ms = delays[i], .index = i, .fail = -(i == 2)};
        futures[i] = executor_submit(ex, square, &jobs[i]);
        ck_assert_ptr_nonnull(futures[i]);
    }
    as_completed_init(&it, futures, N, -1);
    for (int k = 0; k < N; k++) {
        struct future *f = as_completed_next(&it);
        ck_assert_ptr_nonnull(f);
        int index = -1;
        for (int i = 0; i < N; i++)
            if (f == futures[i])
                index = i;
        ck_assert_int_eq(index, k); /* moved to the front */
        ck_assert_int_eq(future_state(f), expected[k] == 2 ? FUTURE_FAILED : FUTURE_DONE);
        void *result = NULL;
        if (future_result(f, 0, &result) == FUTURE_DONE)
            ck_assert_int_eq((intptr_t)result, (long)expected[k] * expected[k]);
    }
    ck_assert_ptr_null(as_completed_next(&it));
    ck_assert(!it.timed_out);
    for (int k = 0; k < N; k++) /* futures[k] is now the k-th to finish */
        future_release(futures[k]);
    for (int k = 0; k < N; k++)
        ck_assert_int_eq(finish_order[k], expected[k]);
    executor_destroy(ex);
}
END_TEST

/* as_completed with a timeout gives up (NULL, timed_out) when nothing finishes in
 * time; futures finished before the deadline still come out. */
START_TEST(as_completed_times_out)
{
    struct executor *ex = executor_create(2);
    struct job quick = {.value = 2}, slow = {.value = 3, .sleep_ms = 400};
    struct future *futures[2] = {executor_submit(ex, square, &slow),
                                 executor_submit(ex, square, &quick)};
    struct as_completed it;
    long long start = monotonic_ms();
    as_completed_init(&it, futures, 2, 0.15);
    struct future *first = as_completed_next(&it);
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(future_state(first), FUTURE_DONE);
    ck_assert_ptr_null(as_completed_next(&it));
    ck_assert(it.timed_out);
    long long took = monotonic_ms() - start;
    ck_assert_int_ge(took, 150);
    ck_assert_int_lt(took, 150 + scaled_ms(150));
    future_release(futures[0]);
    future_release(futures[1]);
    executor_destroy(ex); /* waits for the slow one */
}
END_TEST

/* A pending future can be cancelled: it never runs, reports CANCELLED (as_completed
 * yields it too); a running or finished one cannot. */
START_TEST(cancel_pending_future)
{
    struct executor *ex = executor_create(1);
    struct job busy = {.value = 1, .sleep_ms = 200}, waiting = {.value = 2};
    struct future *f_busy = executor_submit(ex, square, &busy);
    struct future *f_waiting = executor_submit(ex, square, &waiting);
    ck_assert(future_cancel(f_waiting));
    ck_assert(future_cancel(f_waiting)); /* still cancelled */
    ck_assert_int_eq(future_result(f_waiting, 0, NULL), FUTURE_CANCELLED);
    ck_assert_str_eq(future_error(f_waiting), "cancelled");
    struct future *both[2] = {f_busy, f_waiting};
    struct as_completed it;
    as_completed_init(&it, both, 2, -1);
    ck_assert_ptr_eq(as_completed_next(&it), f_waiting); /* cancelled counts as finished */
    ck_assert_ptr_eq(as_completed_next(&it), f_busy);
    ck_assert(!future_cancel(f_busy));
    future_release(f_busy);
    future_release(f_waiting);
    executor_destroy(ex);
    ck_assert_int_eq(ran, 1);
}
END_TEST

/* shutdown(wait) runs every task already submitted, joins every worker (the thread
 * count returns to where it was), and refuses later submits. */
START_TEST(shutdown_joins_every_worker)
{
    bool counts = have_proc(); /* counting threads needs Linux (/proc) */
    int baseline = thread_baseline();
    struct executor *ex = executor_create(4);
    struct job jobs[8];
    struct future *futures[8];
    ck_assert_ptr_nonnull(ex);
    if (counts)
        ck_assert_int_eq(count_threads(getpid()), baseline + 4);
    for (int i = 0; i < 8; i++) {
        jobs[i] = (struct job){.value = i, .sleep_ms = 30};
        futures[i] = executor_submit(ex, square, &jobs[i]);
    }
    executor_shutdown(ex, false);
    ck_assert_int_eq(threads_back_to(baseline), baseline);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(future_state(futures[i]), FUTURE_DONE); /* no waiting needed */
        future_release(futures[i]);
    }
    ck_assert_int_eq(ran, 8);
    errno = 0;
    ck_assert_ptr_null(executor_submit(ex, square, &jobs[0]));
    ck_assert_int_eq(errno, ECANCELED);
    executor_shutdown(ex, false); /* twice: harmless */
    executor_destroy(ex);
    if (!counts)
        note_skip("its thread counts: needs Linux (/proc)");
}
END_TEST

/* shutdown(cancel_pending) cancels what has not started; the running task finishes;
 * every worker is joined. */
START_TEST(shutdown_cancels_pending_tasks)
{
    int baseline = thread_baseline();
    struct executor *ex = executor_create(1);
    struct job jobs[6];
    struct future *futures[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (struct job){.value = i, .sleep_ms = i == 0 ? 200 : 0};
        futures[i] = executor_submit(ex, square, &jobs[i]);
    }
    while (future_state(futures[0]) == FUTURE_PENDING)
        pause_ms(1);
    executor_shutdown(ex, true);
    ck_assert_int_eq(threads_back_to(baseline), baseline);
    ck_assert_int_eq(future_state(futures[0]), FUTURE_DONE);
    for (int i = 1; i < 6; i++) {
        ck_assert_int_eq(future_result(futures[i], 0, NULL), FUTURE_CANCELLED);
        ck_assert_str_eq(future_error(futures[i]), "cancelled");
    }
    ck_assert_int_eq(ran, 1);
    /* Futures may outlive their executor: destroy first, release after. */
    executor_destroy(ex);
    for (int i = 0; i < 6; i++)
        future_release(futures[i]);
}
END_TEST

static Suite *executor_suite(void)
{
    Suite *s = suite_create("executor");
    TCase *tc = tcase_create("executor");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, results_match_inputs);
    tcase_add_test(tc, workers_run_in_parallel);
    tcase_add_test(tc, result_timeout_within_bounds);
    tcase_add_test(tc, failing_task_is_reported);
    tcase_add_test(tc, map_keeps_input_order);
    tcase_add_test(tc, map_reports_first_failure_and_cancels_the_rest);
    tcase_add_test(tc, as_completed_gives_completion_order);
    tcase_add_test(tc, as_completed_times_out);
    tcase_add_test(tc, cancel_pending_future);
    tcase_add_test(tc, shutdown_joins_every_worker);
    tcase_add_test(tc, shutdown_cancels_pending_tasks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(executor_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
