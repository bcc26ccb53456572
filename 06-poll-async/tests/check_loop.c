/* check_loop.c -- the event loop (loop.c with loop_poll.c and loop_epoll.c): every
 * test runs once per backend, on socket pairs, and asserts which callbacks ran. A build
 * without epoll (not Linux, or PORTABLE=1) skips the epoll runs, saying so. */
#include "../loop.h"
#include "backends.h"
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char *const backends[] = {"poll", "epoll"};

/* What the callbacks saw. */
struct seen {
    int calls;
    int fd;
    int events;
};

static void record(struct loop *loop, int fd, int events, void *data)
{
    struct seen *seen = data;
    (void)loop;
    seen->calls++;
    seen->fd = fd;
    seen->events |= events;
}

static void make_pair(int pair[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
}

/* Each backend exists under its name; an unknown name is refused with EINVAL. */
START_TEST(create_by_name)
{
    NEED_EPOLL_IF(_i == 1);
    struct loop *loop = loop_create(backends[_i]);
    ck_assert_ptr_nonnull(loop);
    ck_assert_str_eq(loop_backend(loop), backends[_i]);
    loop_destroy(loop);
    errno = 0;
    ck_assert_ptr_null(loop_create("kqueue"));
    ck_assert_int_eq(errno, EINVAL);
    loop = loop_create(NULL); /* the best available: epoll on Linux */
    ck_assert_ptr_nonnull(loop);
    ck_assert_str_eq(loop_backend(loop), LOOP_DEFAULT_BACKEND);
#if defined(__linux__) && !defined(KIT_PORTABLE)
    ck_assert_str_eq(loop_backend(loop), "epoll");
#endif
    loop_destroy(loop);
}
END_TEST

/* The names a -b option offers are exactly the backends this build has, in the order
 * of the usage line; without epoll, asking for it is refused like any unknown name. */
START_TEST(backend_names_match_the_build)
{
    int n = 0;
    for (; loop_backend_names[n] != NULL; n++) {
        struct loop *loop = loop_create(loop_backend_names[n]);
        ck_assert_ptr_nonnull(loop);
        ck_assert_str_eq(loop_backend(loop), loop_backend_names[n]);
        loop_destroy(loop);
    }
#ifdef LOOP_HAVE_EPOLL
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(LOOP_BACKENDS, "poll|epoll");
#else
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(LOOP_BACKENDS, "poll");
    errno = 0;
    ck_assert_ptr_null(loop_create("epoll"));
    ck_assert_int_eq(errno, EINVAL);
#endif
    ck_assert_str_eq(loop_backend_names[0], "poll");
}
END_TEST

/* Nothing ready: run_once waits out its timeout and calls nobody. Data arrives:
 * exactly that fd's callback runs, with LOOP_READABLE, once per round while unread. */
START_TEST(readable_after_data_only)
{
    NEED_EPOLL_IF(_i == 1);
    struct loop *loop = loop_create(backends[_i]);
    int pair[2];
    struct seen seen = {0};
    make_pair(pair);
    ck_assert_int_eq(loop_watch(loop, pair[0], LOOP_READABLE, record, &seen), 0);
    long long start = monotonic_ms();
    ck_assert_int_eq(loop_run_once(loop, 50), 0);
    ck_assert_int_ge(monotonic_ms() - start, 45);
    ck_assert_int_eq(seen.calls, 0);

    ck_assert_int_eq(write(pair[1], "x", 1), 1);
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), 1);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.fd, pair[0]);
    ck_assert_int_eq(seen.events, LOOP_READABLE);
    /* Level-triggered: still unread, so reported again. */
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), 1);
    ck_assert_int_eq(seen.calls, 2);
    loop_destroy(loop);
    close(pair[0]);
    close(pair[1]);
}
END_TEST

/* Write interest is reported while asked for, and no longer once it is dropped:
 * watching again changes the interest (Python's poll_object.modify). */
START_TEST(changing_interest)
{
    NEED_EPOLL_IF(_i == 1);
    struct loop *loop = loop_create(backends[_i]);
    int pair[2];
    struct seen seen = {0};
    make_pair(pair);
    ck_assert_int_eq(loop_watch(loop, pair[0], LOOP_READABLE | LOOP_WRITABLE, record, &seen), 0);
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), 1);
    ck_assert_int_eq(seen.events, LOOP_WRITABLE);
    ck_assert_int_eq(loop_watch(loop, pair[0], LOOP_READABLE, record, &seen), 0);
    seen = (struct seen){0};
    ck_assert_int_eq(loop_run_once(loop, 50), 0);
    ck_assert_int_eq(seen.calls, 0);
    /* Bad requests are refused. */
    ck_assert_int_eq(loop_watch(loop, pair[0], 0, record, &seen), -1);
    ck_assert_int_eq(loop_watch(loop, -1, LOOP_READABLE, record, &seen), -1);
    loop_unwatch(loop, pair[0]);
    loop_unwatch(loop, pair[0]); /* twice is harmless */
    loop_destroy(loop);
    close(pair[0]);
    close(pair[1]);
}
END_TEST

/* Two fds ready in one round; whichever callback runs first unwatches and closes
 * the other: the other's event, already collected, must not be delivered. */
struct closer {
    struct seen seen;
    int *other_fd;
};

static void close_the_other(struct loop *loop, int fd, int events, void *data)
{
    struct closer *self = data;
    record(loop, fd, events, &self->seen);
    if (*self->other_fd >= 0) {
        loop_unwatch(loop, *self->other_fd);
        close(*self->other_fd);
        *self->other_fd = -1;
    }
}

START_TEST(unwatched_during_round_is_skipped)
{
    NEED_EPOLL_IF(_i == 1);
    struct loop *loop = loop_create(backends[_i]);
    int a[2], b[2];
    make_pair(a);
    make_pair(b);
    struct closer ca = {.other_fd = &b[0]}, cb = {.other_fd = &a[0]};
    ck_assert_int_eq(loop_watch(loop, a[0], LOOP_READABLE, close_the_other, &ca), 0);
    ck_assert_int_eq(loop_watch(loop, b[0], LOOP_READABLE, close_the_other, &cb), 0);
    ck_assert_int_eq(write(a[1], "x", 1), 1);
    ck_assert_int_eq(write(b[1], "x", 1), 1);
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), 1);
    ck_assert_int_eq(ca.seen.calls + cb.seen.calls, 1);
    loop_destroy(loop);
    for (int i = 0; i < 2; i++) {
        if (a[i] >= 0)
            close(a[i]);
        if (b[i] >= 0)
            close(b[i]);
    }
}
END_TEST

/* The lecture's bug, in miniature: a callback closes another ready fd and a new
 * socket takes the same number (dup2 forces it; accept would pick it too) and is
 * watched. The old fd's event from this round must not reach the new owner. */
struct reuser {
    struct seen seen;
    int victim, replacement_source;
    struct seen *new_owner;
};

static void close_and_reuse(struct loop *loop, int fd, int events, void *data)
{
    struct reuser *self = data;
    record(loop, fd, events, &self->seen);
    if (self->victim >= 0) {
        loop_unwatch(loop, self->victim);
        close(self->victim);
        ck_assert_int_eq(dup2(self->replacement_source, self->victim), self->victim);
        ck_assert_int_eq(loop_watch(loop, self->victim, LOOP_READABLE, record, self->new_owner), 0);
        self->victim = -1;
    }
}

START_TEST(reused_fd_number_gets_no_stale_event)
{
    NEED_EPOLL_IF(_i == 1);
    struct loop *loop = loop_create(backends[_i]);
    int a[2], b[2], fresh[2];
    make_pair(a);
    make_pair(b);
    make_pair(fresh); /* fresh[0]: nothing to read, ever */
    struct seen new_owner = {0};
    struct reuser ra = {.victim = b[0], .replacement_source = fresh[0], .new_owner = &new_owner};
    struct reuser rb = {.victim = a[0], .replacement_source = fresh[0], .new_owner = &new_owner};
    ck_assert_int_eq(loop_watch(loop, a[0], LOOP_READABLE, close_and_reuse, &ra), 0);
    ck_assert_int_eq(loop_watch(loop, b[0], LOOP_READABLE, close_and_reuse, &rb), 0);
    ck_assert_int_eq(write(a[1], "x", 1), 1);
    ck_assert_int_eq(write(b[1], "x", 1), 1);
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), 1);
    ck_assert_int_eq(new_owner.calls, 0); /* the stale "readable" was not passed on */
    /* Next round: the survivor (its byte still unread) is reported again; the new
     * owner stays quiet, as it really has nothing to read. */
    ck_assert_int_eq(loop_run_once(loop, 50), 1);
    ck_assert_int_eq(ra.seen.calls + rb.seen.calls, 2);
    ck_assert_int_eq(new_owner.calls, 0);
    loop_destroy(loop);
    close(a[0]);
    close(b[0]);
    close(a[1]);
    close(b[1]);
    close(fresh[0]);
    close(fresh[1]);
}
END_TEST

/* A peer that closes or resets is reported to whatever the fd watches, so that the
 * caller's recv sees the EOF or the error. */
START_TEST(hangup_is_reported)
{
    NEED_EPOLL_IF(_i == 1);
    struct loop *loop = loop_create(backends[_i]);
    int pair[2];
    struct seen seen = {0};
    make_pair(pair);
    ck_assert_int_eq(loop_watch(loop, pair[0], LOOP_READABLE, record, &seen), 0);
    close(pair[1]);
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), 1);
    ck_assert_int_eq(seen.events, LOOP_READABLE);
    char byte;
    ck_assert_int_eq(read(pair[0], &byte, 1), 0); /* the EOF */
    loop_destroy(loop);
    close(pair[0]);
}
END_TEST

/* Hundreds of fds (past every initial table size): each ready one is reported once.
 * 600 descriptors and more: past the 256 a Mac's shell allows, so the test raises its own
 * soft limit, and is skipped (saying so) only where the hard limit is too low. */
START_TEST(many_fds)
{
    enum { PAIRS = 300 };
    NEED_EPOLL_IF(_i == 1);
    SKIP_UNLESS(need_fds(2 * PAIRS + 64), "needs 664 descriptors; the hard limit is lower");
    struct loop *loop = loop_create(backends[_i]);
    static int pairs[PAIRS][2];
    static struct seen seen[PAIRS];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < PAIRS; i++) {
        make_pair(pairs[i]);
        ck_assert_int_eq(loop_watch(loop, pairs[i][0], LOOP_READABLE, record, &seen[i]), 0);
    }
    for (int i = 0; i < PAIRS; i += 3)
        ck_assert_int_eq(write(pairs[i][1], "x", 1), 1);
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), (PAIRS + 2) / 3);
    for (int i = 0; i < PAIRS; i++)
        ck_assert_int_eq(seen[i].calls, i % 3 == 0 ? 1 : 0);
    /* Unwatch every other one (the poll backend moves entries around): the rest
     * still report correctly. */
    for (int i = 0; i < PAIRS; i += 2)
        loop_unwatch(loop, pairs[i][0]);
    memset(seen, 0, sizeof seen);
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(1000)), PAIRS / 6);
    for (int i = 0; i < PAIRS; i++)
        ck_assert_int_eq(seen[i].calls, i % 6 == 3 ? 1 : 0);
    loop_destroy(loop);
    for (int i = 0; i < PAIRS; i++) {
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
}
END_TEST

static void on_alarm(int signal_number)
{
    (void)signal_number;
}

/* A signal during the wait ends it early with 0 (no error): the caller gets to look
 * at its flags at once. */
START_TEST(signal_interrupts_wait)
{
    NEED_EPOLL_IF(_i == 1);
    struct loop *loop = loop_create(backends[_i]);
    int pair[2];
    struct seen seen = {0};
    make_pair(pair);
    ck_assert_int_eq(loop_watch(loop, pair[0], LOOP_READABLE, record, &seen), 0);
    struct sigaction action = {.sa_handler = on_alarm}; /* no SA_RESTART */
    sigemptyset(&action.sa_mask);
    ck_assert_int_eq(sigaction(SIGALRM, &action, NULL), 0);
    struct itimerval timer = {.it_value = {.tv_usec = 50000}};
    ck_assert_int_eq(setitimer(ITIMER_REAL, &timer, NULL), 0);
    long long start = monotonic_ms();
    ck_assert_int_eq(loop_run_once(loop, scaled_ms(5000)), 0);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(2000));
    ck_assert_int_eq(seen.calls, 0);
    loop_destroy(loop);
    close(pair[0]);
    close(pair[1]);
}
END_TEST

static Suite *loop_suite(void)
{
    Suite *s = suite_create("loop");
    TCase *tc = tcase_create("backends");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, create_by_name, 0, 2);
    tcase_add_test(tc, backend_names_match_the_build);
    tcase_add_loop_test(tc, readable_after_data_only, 0, 2);
    tcase_add_loop_test(tc, changing_interest, 0, 2);
    tcase_add_loop_test(tc, unwatched_during_round_is_skipped, 0, 2);
    tcase_add_loop_test(tc, reused_fd_number_gets_no_stale_event, 0, 2);
    tcase_add_loop_test(tc, hangup_is_reported, 0, 2);
    tcase_add_loop_test(tc, many_fds, 0, 2);
    tcase_add_loop_test(tc, signal_interrupts_wait, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(loop_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
