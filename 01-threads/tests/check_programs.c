/* check_programs.c -- every program of 01-threads, run as a user runs it: each test
 * asserts what the program teaches, not only that it ran. */
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run a program (10 s deadline) and keep its results in *R. */
static void run(struct run *r, int flags, const char *const argv[])
{
    ck_assert_int_eq(run_program(r, NULL, 0, 10000, argv, flags), 0);
    ck_assert_msg(r->code != -1, "%s did not finish in time", argv[0]);
}
#define RUN(r, ...) run(r, 0, (const char *const[]){__VA_ARGS__, NULL})
/* Assert the exit code, showing the program's stderr when it is not the one expected. */
#define ASSERT_EXIT(r, expected)                                                                   \
    ck_assert_msg((r).code == (expected), "exit code %d, expected %d; stderr:\n%s", (r).code,      \
                  (expected), (r).err)

/* Line number (0-based) of the first line equal to LINE, or -1. */
static int line_index(const char *text, const char *line)
{
    size_t len = strlen(line);
    int index = 0;
    for (const char *p = text; *p != '\0'; index++) {
        const char *end = strchr(p, '\n');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, line, len) == 0)
            return index;
        p += n + (end != NULL);
    }
    return -1;
}

static int total_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* Every thread of thread_class runs its own run() once, printing its name and time. */
START_TEST(thread_class_each_object_runs_once)
{
    struct run r;
    RUN(&r, "./thread_class", "-n", "5");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(total_lines(r.out), 5);
    for (int i = 1; i <= 5; i++) {
        char name[64], *line;
        snprintf(name, sizeof name, "Thread-%d says Hello World at time: ", i);
        line = strstr(r.out, name);
        ck_assert_msg(line != NULL, "no line from Thread-%d in:\n%s", i, r.out);
        ck_assert_msg(strstr(line + 1, name) == NULL, "Thread-%d ran twice", i);
        int y, mo, d, h, mi, s, us;
        ck_assert_int_eq(sscanf(line + strlen(name), "%4d-%2d-%2d %2d:%2d:%2d.%6d", &y, &mo, &d, &h,
                                &mi, &s, &us),
                         7);
        ck_assert(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
    }
    run_free(&r);
}
END_TEST

/* The target function runs once per thread. */
START_TEST(thread_target_runs_worker_per_thread)
{
    struct run r;
    RUN(&r, "./thread_target", "-n", "7");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(count_lines(r.out, "Worker"), 7);
    ck_assert_int_eq(total_lines(r.out), 7);
    run_free(&r);
}
END_TEST

/* With its own copy of the argument, every thread prints a different number 0..4. */
START_TEST(thread_args_each_thread_gets_its_own_value)
{
    struct run r;
    RUN(&r, "./thread_args");
    ASSERT_EXIT(r, 0);
    for (int i = 0; i < 5; i++) {
        char line[32];
        snprintf(line, sizeof line, "Worker: %d", i);
        ck_assert_msg(count_lines(r.out, line) == 1, "'%s' not exactly once in:\n%s", line, r.out);
    }
    ck_assert_int_eq(total_lines(r.out), 5);
    run_free(&r);
}
END_TEST

/* --pitfall passes &i: every thread reads the loop variable after the loop, 5. */
START_TEST(thread_args_pitfall_shows_shared_loop_variable)
{
    struct run r;
    RUN(&r, "./thread_args", "--pitfall");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(count_lines(r.out, "Worker: 5"), 5);
    ck_assert_int_eq(total_lines(r.out), 5);
    ck_assert_ptr_nonnull(strstr(r.err, "&i"));
    run_free(&r);
}
END_TEST

/* Each thread logs under its own name, in Python's "(%(threadName)-10s) %(message)s". */
START_TEST(thread_logging_names_each_thread)
{
    struct run r;
    RUN(&r, "./thread_logging", "-n", "3");
    ASSERT_EXIT(r, 0);
    ck_assert_str_eq(r.out, ""); /* logging goes to stderr */
    ck_assert_int_eq(count_lines(r.err, "(Thread-1  ) 0 running"), 1);
    ck_assert_int_eq(count_lines(r.err, "(Thread-2  ) 1 running"), 1);
    ck_assert_int_eq(count_lines(r.err, "(Thread-3  ) 2 running"), 1);
    ck_assert_int_eq(count_lines(r.err, "(MainThread) starting 3 threads"), 1);
    ck_assert_int_eq(line_index(r.err, "(MainThread) all threads finished"), 4);
    run_free(&r);
}
END_TEST

/* -o FILE writes the same log to the file, and nothing to stderr. */
START_TEST(thread_logging_writes_to_a_file)
{
    char path[] = "/tmp/kit-log-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct run r;
    RUN(&r, "./thread_logging", "-n", "2", "-o", path);
    ASSERT_EXIT(r, 0);
    ck_assert_str_eq(r.err, "");
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    ck_assert_int_eq(count_lines(text, "(Thread-1  ) 0 running"), 1);
    ck_assert_int_eq(count_lines(text, "(Thread-2  ) 1 running"), 1);
    ck_assert_int_eq(total_lines(text), 4);
    run_free(&r);

    /* A file that cannot be opened: one line, exit 1. */
    RUN(&r, "./thread_logging", "-o", "/nonexistent/dir/log");
    ASSERT_EXIT(r, 1);
    ck_assert_str_eq(r.err,
                     "thread_logging: open /nonexistent/dir/log: No such file or directory\n");
    run_free(&r);
}
END_TEST

/* Each MyThread(times, delay) counts its own counter down from TIMES to 1. */
START_TEST(thread_object_args_each_object_counts_down)
{
    struct run r;
    RUN(&r, "./thread_object_args", "-n", "2", "-t", "3", "-d", "0.01");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(total_lines(r.out), 6);
    for (int t = 1; t <= 2; t++) {
        int previous = -1;
        for (int k = 3; k >= 1; k--) {
            char line[64];
            snprintf(line, sizeof line, "Thread-%d - Iterating: %d", t, k);
            int at = line_index(r.out, line);
            ck_assert_msg(at > previous, "'%s' missing or out of order in:\n%s", line, r.out);
            previous = at;
        }
    }
    run_free(&r);
}
END_TEST

/* The lecture's join example: values in sleep order, joins in list order, and join k+1
 * is only announced once thread k has printed (join waited for it). */
START_TEST(thread_join_finishes_in_sleep_order)
{
    struct run r;
    RUN(&r, "./thread_join", "-s", "0.2");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(total_lines(r.out), 11);
    for (int i = 0; i < 5; i++) {
        char value[8], joining[32], next[32];
        snprintf(value, sizeof value, "%d", i);
        snprintf(joining, sizeof joining, "Joining thread %d", i);
        snprintf(next, sizeof next, "%d", i + 1);
        ck_assert_int_ge(line_index(r.out, value), 0);
        ck_assert_int_ge(line_index(r.out, joining), 0);
        if (i < 4) /* thread i sleeps less than thread i + 1: it prints first */
            ck_assert_int_lt(line_index(r.out, value), line_index(r.out, next));
        if (i > 0) { /* "Joining thread i" only after join(i - 1) returned */
            snprintf(value, sizeof value, "%d", i - 1);
            ck_assert_msg(line_index(r.out, value) < line_index(r.out, joining),
                          "'%s' came before thread %d ended:\n%s", joining, i - 1, r.out);
        }
    }
    ck_assert_int_eq(line_index(r.out, "All other threads are finished"), 10);
    run_free(&r);
}
END_TEST

/* -r (the lecture's "try 5 - val"): thread 0 sleeps longest, so every other value is
 * printed while main still waits in the first join. */
START_TEST(thread_join_reverse_waits_at_first_join)
{
    struct run r;
    RUN(&r, "./thread_join", "-s", "0.2", "-r");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(line_index(r.out, "Joining thread 0"), 0);
    for (int i = 4; i > 0; i--) {
        char value[8], lower[8];
        snprintf(value, sizeof value, "%d", i);
        snprintf(lower, sizeof lower, "%d", i - 1);
        ck_assert_int_lt(line_index(r.out, value), line_index(r.out, lower));
    }
    ck_assert_int_lt(line_index(r.out, "0"), line_index(r.out, "Joining thread 1"));
    ck_assert_int_eq(line_index(r.out, "All other threads are finished"), 10);
    run_free(&r);
}
END_TEST

/* One thread alone never loses an update; the arithmetic of the report is right. */
START_TEST(race_counter_single_thread_is_exact)
{
    struct run r;
    run(&r, CHILD_RACE_DEMO,
        (const char *const[]){"./race_counter", "-n", "1", "-i", "100000", NULL});
    ASSERT_EXIT(r, 0);
    ck_assert_str_eq(r.out, "expected 100000, got 100000 (lost 0)\n");
    run_free(&r);
}
END_TEST

/* Threads that share a counter without a lock lose updates (the lesson). -y widens the
 * load-to-store window with a moment of work, so the loss shows on any machine, busy or
 * not, one core or many, and under valgrind: the assertion does not depend on luck. The
 * work is fixed, so a busy machine does not make the run slow (a yield there took 25 s). */
START_TEST(race_counter_loses_updates)
{
    struct run r;
    run(&r, CHILD_RACE_DEMO,
        (const char *const[]){"./race_counter", "-n", "4", "-i", "20000", "-y", NULL});
    ASSERT_EXIT(r, 0);
    long expected, got, missing;
    ck_assert_int_eq(sscanf(r.out, "expected %ld, got %ld (lost %ld)", &expected, &got, &missing),
                     3);
    ck_assert_int_eq(expected, 80000);
    ck_assert_int_eq(expected - got, missing);
    ck_assert_int_gt(got, 0);
    ck_assert_msg(missing > 0, "4 threads x 20000 increments with a yield inside lost nothing");
    run_free(&r);

    /* The plain loop: the report is consistent and never counts more than was added. */
    run(&r, CHILD_RACE_DEMO, (const char *const[]){"./race_counter", "-i", "100000", NULL});
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(sscanf(r.out, "expected %ld, got %ld (lost %ld)", &expected, &got, &missing),
                     3);
    ck_assert_int_eq(expected, 400000);
    ck_assert_int_eq(expected - got, missing);
    ck_assert_int_le(got, expected);
    run_free(&r);
}
END_TEST

/* The mutex makes the total exact, run after run; so does the atomic. */
START_TEST(counter_mutex_is_exact_every_run)
{
    struct run r;
    RUN(&r, "./counter_mutex", "-n", "4", "-i", "50000", "-r", "10");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(count_lines(r.out, "run 7: expected 200000, got 200000"), 1);
    ck_assert_int_eq(count_lines(r.out, "10 of 10 runs exact (mutex)"), 1);
    run_free(&r);
    RUN(&r, "./counter_mutex", "-n", "4", "-i", "50000", "-r", "10", "-a");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(count_lines(r.out, "10 of 10 runs exact (atomic)"), 1);
    run_free(&r);
}
END_TEST

/* threaded() returns at once (main goes on first) and each call gets its own copy
 * of its arguments, though main reused one stack variable for all three. */
START_TEST(threaded_helper_runs_in_background_with_copied_args)
{
    struct run r;
    RUN(&r, "./threaded_helper");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(line_index(r.out, "main: started 3 calls and carried on without waiting"), 0);
    ck_assert_int_eq(count_lines(r.out, "minha_funcao(1, \"ana\") finished after 0.3 s"), 1);
    ck_assert_int_eq(count_lines(r.out, "minha_funcao(2, \"bruno\") finished after 0.2 s"), 1);
    ck_assert_int_eq(count_lines(r.out, "minha_funcao(3, \"carla\") finished after 0.1 s"), 1);
    ck_assert_int_eq(line_index(r.out, "main: all calls finished"), 4);
    run_free(&r);
}
END_TEST

/* The Event stops the thread at once, though its interval is 5 s. */
START_TEST(stop_event_stops_thread_within_bound)
{
    struct run r;
    long long start = monotonic_ms();
    RUN(&r, "./stop_event", "-t", "0.2", "-i", "5");
    ASSERT_EXIT(r, 0);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(3000));
    long iterations;
    double ms;
    const char *last = strstr(r.out, "stopped after");
    ck_assert_ptr_nonnull(last);
    ck_assert_int_eq(
        sscanf(last, "stopped after %ld iterations; it took %lf ms to stop", &iterations, &ms), 2);
    ck_assert_int_eq(iterations, 1);
    ck_assert_msg(ms < scaled_ms(500), "stopping took %.1f ms (the interval is 5000 ms)", ms);
    ck_assert_int_eq(count_lines(r.out, "0 executing"), 1);
    run_free(&r);

    /* With the lecture's 0.1 s interval it iterates about run-time / interval times. */
    RUN(&r, "./stop_event", "-t", "0.5", "-i", "0.1");
    ASSERT_EXIT(r, 0);
    last = strstr(r.out, "stopped after");
    ck_assert_ptr_nonnull(last);
    ck_assert_int_eq(sscanf(last, "stopped after %ld", &iterations), 1);
    ck_assert_int_ge(iterations, 2);
    ck_assert_int_le(iterations, 6);
    run_free(&r);
}
END_TEST

/* Lock refuses re-entry (EBUSY), RLock re-enters and excludes others, Semaphore(K)
 * never lets more than K in. */
START_TEST(lock_types_show_each_lock)
{
    struct run r;
    RUN(&r, "./lock_types", "-n", "8", "-k", "3");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(
        count_lines(
            r.out,
            "Lock: the thread holding it asks again and is refused: Device or resource busy"),
        1);
    ck_assert_int_eq(
        count_lines(r.out, "RLock: one thread took it 6 times over (recursion), then released it"),
        1);
    ck_assert_int_eq(count_lines(r.out, "RLock: while one thread holds it, another thread's "
                                        "trylock says: Device or resource busy"),
                     1);
    int k, n, high;
    const char *sem = strstr(r.out, "Semaphore(");
    ck_assert_ptr_nonnull(sem);
    ck_assert_int_eq(
        sscanf(sem, "Semaphore(%d): %d threads, at most %d inside at once", &k, &n, &high), 3);
    ck_assert_int_eq(k, 3);
    ck_assert_int_eq(n, 8);
    ck_assert_int_ge(high, 1);
    ck_assert_int_le(high, 3);
    run_free(&r);

    RUN(&r, "./lock_types", "-n", "6", "-k", "1");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(count_lines(r.out, "Semaphore(1): 6 threads, at most 1 inside at once"), 1);
    run_free(&r);
}
END_TEST

static const char *const programs[] = {"thread_class",   "thread_target",      "thread_args",
                                       "thread_logging", "thread_object_args", "thread_join",
                                       "race_counter",   "counter_mutex",      "threaded_helper",
                                       "stop_event",     "lock_types"};

/* -h prints the usage to stdout and exits 0; bad usage prints one line naming the
 * problem, then the usage line, and exits 2. */
START_TEST(every_program_handles_bad_usage)
{
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char path[64];
        struct run r;
        snprintf(path, sizeof path, "./%s", programs[i]);

        run(&r, CHILD_RACE_DEMO, (const char *const[]){path, "-h", NULL});
        ck_assert_msg(r.code == 0, "%s -h: exit %d", path, r.code);
        ck_assert_msg(strncmp(r.out, "Usage: ", 7) == 0, "%s -h printed '%s'", path, r.out);
        run_free(&r);

        run(&r, CHILD_RACE_DEMO, (const char *const[]){path, "--no-such-option", NULL});
        ck_assert_msg(r.code == 2, "%s --no-such-option: exit %d", path, r.code);
        ck_assert_int_eq(total_lines(r.err), 2);
        ck_assert_ptr_nonnull(strstr(r.err, "\nUsage: "));
        ck_assert_str_eq(r.out, "");
        run_free(&r);

        run(&r, CHILD_RACE_DEMO, (const char *const[]){path, "unexpected", NULL});
        ck_assert_msg(r.code == 2, "%s unexpected: exit %d", path, r.code);
        ck_assert_int_eq(total_lines(r.err), 2);
        run_free(&r);
    }
    /* Bad values are named. */
    struct run r;
    RUN(&r, "./thread_class", "-n", "abc");
    ASSERT_EXIT(r, 2);
    ck_assert_str_eq(r.err, "thread_class: bad count 'abc': expected 1 to 1000\n"
                            "Usage: thread_class [-n COUNT]   (start COUNT threads, default 5)\n");
    run_free(&r);
    /* The option tables name each bad value as the getopt blocks they replaced did. */
    const char *const named[][4] = {
        {"./counter_mutex", "-n", "0", "counter_mutex: bad thread count '0': expected 1 to 64\n"},
        {"./race_counter", "-i", "-5",
         "race_counter: bad increments '-5': expected 0 to 100000000\n"},
        {"./thread_join", "-s", "x", "thread_join: bad scale 'x': expected e.g. 1 or 0.05\n"},
        {"./thread_object_args", "-d", "1s",
         "thread_object_args: bad delay '1s': expected "
         "seconds, e.g. 0.5\n"},
        {"./stop_event", "-i", "-1", "stop_event: bad interval '-1': expected seconds\n"},
        {"./lock_types", "-k", "0", "lock_types: bad limit '0': expected 1 to 256\n"},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        run(&r, CHILD_RACE_DEMO,
            (const char *const[]){named[i][0], named[i][1], named[i][2], NULL});
        ck_assert_msg(r.code == 2, "%s %s %s: exit %d", named[i][0], named[i][1], named[i][2],
                      r.code);
        ck_assert_msg(strncmp(r.err, named[i][3], strlen(named[i][3])) == 0, "%s %s %s said:\n%s",
                      named[i][0], named[i][1], named[i][2], r.err);
        run_free(&r);
    }
    const char *const bad[][4] = {
        {"./thread_target", "-n", "0"},     {"./thread_args", "-n", "-3"},
        {"./thread_join", "-s", "x"},       {"./thread_join", "-s", "nan"},
        {"./counter_mutex", "-r", "99999"}, {"./stop_event", "-t", "-1"},
        {"./lock_types", "-k", "1e3"},      {"./thread_object_args", "-d", ""},
        {"./thread_class", "-n", "5x"},     {"./thread_target", "-n"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run(&r, 0, bad[i]);
        ck_assert_msg(r.code == 2, "%s %s %s: exit %d", bad[i][0], bad[i][1],
                      bad[i][2] ? bad[i][2] : "", r.code);
        ck_assert_int_eq(total_lines(r.err), 2);
        run_free(&r);
    }
}
END_TEST

static Suite *programs_suite(void)
{
    Suite *s = suite_create("01-threads programs");
    TCase *tc = tcase_create("programs");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, thread_class_each_object_runs_once);
    tcase_add_test(tc, thread_target_runs_worker_per_thread);
    tcase_add_test(tc, thread_args_each_thread_gets_its_own_value);
    tcase_add_test(tc, thread_args_pitfall_shows_shared_loop_variable);
    tcase_add_test(tc, thread_logging_names_each_thread);
    tcase_add_test(tc, thread_logging_writes_to_a_file);
    tcase_add_test(tc, thread_object_args_each_object_counts_down);
    tcase_add_test(tc, thread_join_finishes_in_sleep_order);
    tcase_add_test(tc, thread_join_reverse_waits_at_first_join);
    tcase_add_test(tc, race_counter_single_thread_is_exact);
    tcase_add_test(tc, race_counter_loses_updates);
    tcase_add_test(tc, counter_mutex_is_exact_every_run);
    tcase_add_test(tc, threaded_helper_runs_in_background_with_copied_args);
    tcase_add_test(tc, stop_event_stops_thread_within_bound);
    tcase_add_test(tc, lock_types_show_each_lock);
    tcase_add_test(tc, every_program_handles_bad_usage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(programs_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
