/* check_mixin_server.c -- mixin_server, lecture 001's socketserver: the same handler and
 * the same replies in its three modes (serial, thread, fork), and the robustness list in
 * each: most tests run once per mode (a Check loop test; _i is the mode). */
#include "harness.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PREFIX     "INI DATA BALASAN : "
#define PREFIX_LEN (sizeof PREFIX - 1)

static const char *const modes[] = {"serial", "thread", "fork"};
enum { SERIAL, THREAD, FORK, MODES };

static void start(struct server *s, int mode)
{
    const char *argv[] = {"./mixin_server", "-p", "0", "-q", "-m", modes[mode], NULL};
    ck_assert_msg(server_start(s, argv) == 0, "mixin_server -m %s did not start", modes[mode]);
}

static void stop(struct server *s, int mode)
{
    int code = server_stop(s);
    ck_assert_msg(code == 0, "-m %s: exit code %d after SIGTERM", modes[mode], code);
}

/* One request on a connection: send LEN bytes (then shut down writing when HALF_CLOSE)
 * and return everything until the server closes (malloc'd, *REPLY_LEN bytes). */
static char *request(const struct server *s, const void *data, size_t len, bool half_close,
                     size_t *reply_len)
{
    int fd = connect_or_fail(s);
    ck_assert_int_eq(send_all(fd, data, len), 0);
    if (half_close)
        ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    char *reply = recv_until_eof(fd, reply_len, 3000);
    ck_assert_msg(reply != NULL, "no reply then EOF");
    close(fd);
    return reply;
}

/* Assert that REPLY is exactly the prefix followed by DATA. */
static void assert_reply(const char *reply, size_t reply_len, const void *data, size_t len)
{
    ck_assert_uint_eq(reply_len, PREFIX_LEN + len);
    ck_assert_mem_eq(reply, PREFIX, PREFIX_LEN);
    ck_assert_mem_eq(reply + PREFIX_LEN, data, len);
}

/* The three mix-ins answer every kind of request with the same bytes: text, every byte
 * value with NULs, an empty request (half-close at once), and more than 1024 bytes (one
 * recv: only the first 1024 are answered). */
START_TEST(three_modes_give_the_same_replies)
{
    unsigned char binary[256], big[2000];
    for (int i = 0; i < 256; i++)
        binary[i] = (unsigned char)(255 - i);
    fill_random(big, sizeof big, 1);
    struct {
        const void *data;
        size_t len, answered;
        bool half_close;
    } cases[] = {
        {"halo", 4, 4, false},
        {binary, sizeof binary, sizeof binary, false},
        {"", 0, 0, true},
        {"last words", 10, 10, true},
        {big, sizeof big, 1024, false},
    };
    char *replies[MODES][5];
    size_t lens[MODES][5];
    for (int mode = 0; mode < MODES; mode++) {
        struct server s;
        start(&s, mode);
        for (int c = 0; c < 5; c++) {
            replies[mode][c] =
                request(&s, cases[c].data, cases[c].len, cases[c].half_close, &lens[mode][c]);
            assert_reply(replies[mode][c], lens[mode][c], cases[c].data, cases[c].answered);
        }
        stop(&s, mode);
    }
    for (int c = 0; c < 5; c++) {
        for (int mode = 1; mode < MODES; mode++) {
            ck_assert_uint_eq(lens[mode][c], lens[0][c]);
            ck_assert_mem_eq(replies[mode][c], replies[0][c], lens[0][c]);
        }
        for (int mode = 0; mode < MODES; mode++)
            free(replies[mode][c]);
    }
}
END_TEST

/* Client A connects and says nothing. With threads or processes, B is answered at once;
 * the serial server (TCPServer alone) makes B wait until A's request is done. */
START_TEST(idle_client_blocks_only_the_serial_mode)
{
    struct server s;
    start(&s, _i);
    int a = connect_or_fail(&s);
    int b = connect_or_fail(&s);
    ck_assert_int_eq(send_all(b, "B", 1), 0);
    char reply[PREFIX_LEN + 1];
    if (_i == SERIAL) {
        ck_assert(nothing_arrives(b, 300));
        ck_assert_int_eq(send_all(a, "A", 1), 0);
        ck_assert_int_eq(recv_exact(a, reply, sizeof reply, 3000), (ssize_t)sizeof reply);
        ck_assert_mem_eq(reply, PREFIX "A", sizeof reply);
    }
    ck_assert_int_eq(recv_exact(b, reply, sizeof reply, 3000), (ssize_t)sizeof reply);
    ck_assert_mem_eq(reply, PREFIX "B", sizeof reply);
    close(a);
    close(b);
    stop(&s, _i);
}
END_TEST

/* Fifty clients connected at the same time all get their own answer (thread and fork). */
START_TEST(fifty_clients_at_once)
{
    ck_assert_int_ne(_i, SERIAL);
    struct server s;
    start(&s, _i);
    int fds[50];
    for (int i = 0; i < 50; i++)
        fds[i] = connect_or_fail(&s);
    for (int i = 49; i >= 0; i--) { /* the last to connect speaks first */
        char message[16];
        snprintf(message, sizeof message, "client %d", i);
        ck_assert_int_eq(send_all(fds[i], message, strlen(message)), 0);
    }
    for (int i = 0; i < 50; i++) {
        char message[16], expected[64];
        snprintf(message, sizeof message, "client %d", i);
        int len = snprintf(expected, sizeof expected, PREFIX "%s", message);
        size_t got_len;
        char *got = recv_until_eof(fds[i], &got_len, 5000);
        ck_assert_ptr_nonnull(got);
        ck_assert_uint_eq(got_len, (size_t)len);
        ck_assert_mem_eq(got, expected, got_len);
        free(got);
        close(fds[i]);
    }
    stop(&s, _i);
}
END_TEST

/* Clients that reset (before sending, or after half a message) cost nothing to others. */
START_TEST(resets_disturb_nobody)
{
    struct server s;
    start(&s, _i);
    for (int i = 0; i < 10; i++) {
        int a = connect_or_fail(&s);
        if (i % 2)
            ck_assert_int_eq(send_all(a, "half", 4), 0);
        close_with_reset(a);
    }
    size_t len;
    char *reply = request(&s, "still fine", 10, false, &len);
    assert_reply(reply, len, "still fine", 10);
    free(reply);
    stop(&s, _i);
}
END_TEST

/* 1000 requests in a row leave descriptors, threads and child processes as they were
 * (fork mode reaps within its 0.5 s poll interval, like socketserver; under valgrind it
 * forks 100 times: see servers.h). */
START_TEST(requests_in_a_row_leave_no_trace)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    struct server s;
    start(&s, _i);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid);
    ck_assert_int_gt(fds, 3);
    int threads = 1 + (_i == THREAD ? SANITIZER_THREADS : 0);
    int in_a_row = under_valgrind() && _i == FORK ? 100 : 1000;
    for (int i = 0; i < in_a_row; i++) {
        size_t len;
        char *reply = request(&s, "x", 1, false, &len);
        assert_reply(reply, len, "x", 1);
        free(reply);
    }
    ASSERT_BACK_TO(pid, fds, threads, 5000);
    stop(&s, _i);
}
END_TEST

/* How many clients at once the crowd tests use: 200, but 50 in fork mode under valgrind
 * (there every child is a whole valgrind process). The test process holds them all, and a
 * few descriptors of its own: CROWD_FDS. */
#define CROWD_FDS    232 /* 200 + 32 */
#define NO_CROWD_FDS "needs 232 descriptors, and the hard limit (ulimit -Hn) is lower"
static int crowd(int mode)
{
    return under_valgrind() && mode == FORK ? 50 : 200;
}

/* Connect N clients that send nothing, and wait until the server has taken them in: a
 * handler each, waiting in its recv (thread: N threads more; fork: N children; serial:
 * the first one only, the others wait in the listen queue). */
static void connect_idle_crowd(const struct server *s, int mode, int *fds, int n)
{
    pid_t pid = s->child.pid;
    int threads = 1 + (mode == THREAD ? SANITIZER_THREADS : 0);
    for (int i = 0; i < n; i++)
        fds[i] = connect_or_fail(s);
    if (mode == THREAD)
        ck_assert_int_eq(wait_for_count(count_threads, pid, threads + n, 10000), threads + n);
    else if (mode == FORK)
        ck_assert_int_eq(wait_for_count(count_children, pid, n, 10000), n);
}

/* Threads and processes: while 200 idle clients wait in their handlers, a normal request
 * is answered within a second, three times over. The serial mode serves one client at a
 * time by design, so there the 200 idle clients connect and then close; the normal
 * request is answered after them, and no trace of them is left in any mode. */
START_TEST(idle_crowd_does_not_delay_a_normal_request)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CROWD_FDS), NO_CROWD_FDS);
    struct server s;
    start(&s, _i);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid), n = crowd(_i), idle[200];
    int threads = 1 + (_i == THREAD ? SANITIZER_THREADS : 0);
    connect_idle_crowd(&s, _i, idle, n);
    if (_i == SERIAL)
        for (int i = 0; i < n; i++)
            close(idle[i]);
    for (int k = 0; k < 3; k++) {
        long long t0 = monotonic_ms();
        size_t len;
        char *reply = request(&s, "normal", 6, false, &len);
        long long took = monotonic_ms() - t0;
        assert_reply(reply, len, "normal", 6);
        free(reply);
        if (_i != SERIAL)
            ck_assert_msg(took < scaled_ms(1000), "-m %s: a request took %lld ms beside %d idle",
                          modes[_i], took, n);
    }
    if (_i != SERIAL) {
        ck_assert_int_eq(send_all(idle[n - 1], "late", 4), 0); /* the idle are served too */
        char reply[PREFIX_LEN + 4];
        ck_assert_int_eq(recv_exact(idle[n - 1], reply, sizeof reply, 3000), (ssize_t)sizeof reply);
        ck_assert_mem_eq(reply, PREFIX "late", sizeof reply);
        for (int i = 0; i < n; i++)
            close(idle[i]);
    }
    ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds, 10000), fds);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    ck_assert_int_eq(wait_for_count(count_children, pid, 0, 5000), 0);
    stop(&s, _i);
}
END_TEST

/* A burst of simultaneous disconnects: 200 clients waiting in their handlers all reset at
 * the same moment (serial: one handler, the rest queued). Every thread is joined, every
 * child reaped (no zombie), the next request is answered, exit status 0. */
START_TEST(burst_of_resets_leaves_no_trace)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CROWD_FDS), NO_CROWD_FDS);
    struct server s;
    start(&s, _i);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid), n = crowd(_i), clients[200];
    int threads = 1 + (_i == THREAD ? SANITIZER_THREADS : 0);
    connect_idle_crowd(&s, _i, clients, n);
    for (int i = 0; i < n; i++)
        close_with_reset(clients[i]);
    ASSERT_BACK_TO(pid, fds, threads, 10000);
    size_t len;
    char *reply = request(&s, "after", 5, false, &len);
    assert_reply(reply, len, "after", 5);
    free(reply);
    stop(&s, _i);
}
END_TEST

/* SIGTERM with idle clients connected (a handler waiting in recv, in every mode): exit 0
 * within 2 s, the clients see their connection end. */
START_TEST(sigterm_with_idle_clients)
{
    struct server s;
    start(&s, _i);
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = connect_or_fail(&s);
    if (!have_proc()) {
        /* Without /proc we cannot see the handlers start: at least the stop is tested. */
    } else if (_i == THREAD) { /* make sure each is inside its handler */
        int threads = 4 + SANITIZER_THREADS;
        ck_assert_int_eq(wait_for_count(count_threads, s.child.pid, threads, 3000), threads);
    } else if (_i == FORK) {
        ck_assert_int_eq(wait_for_count(count_children, s.child.pid, 3, 3000), 3);
    }
    long long t0 = monotonic_ms();
    stop(&s, _i);
    ck_assert_int_lt(monotonic_ms() - t0, scaled_ms(2000));
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(!nothing_arrives(fds[i], scaled_ms(2000)), "client %d still connected", i);
        close(fds[i]);
    }
}
END_TEST

/* 1 MiB without a newline (send_until_stalled sends 'x's): one recv takes 1024 bytes, the
 * answer carries exactly those, and the server serves the next client as usual. */
START_TEST(one_mib_request)
{
    struct server s;
    start(&s, _i);
    int fd = connect_or_fail(&s);
    ck_assert_uint_gt(send_until_stalled(fd, 1 << 20, 500, 5000), 1024);
    char reply[PREFIX_LEN + 1024], xs[1024];
    memset(xs, 'x', sizeof xs);
    ssize_t got = recv_exact(fd, reply, sizeof reply, 3000);
    /* The server closes with our unread megabyte in its buffer: that is a reset, which
     * may even overtake the answer. Whatever arrived must be the start of the answer. */
    if (got > 0) {
        ck_assert_mem_eq(reply, PREFIX, (size_t)got < PREFIX_LEN ? (size_t)got : PREFIX_LEN);
        if ((size_t)got > PREFIX_LEN)
            ck_assert_mem_eq(reply + PREFIX_LEN, xs, (size_t)got - PREFIX_LEN);
    }
    close(fd);
    size_t reply_len;
    char *next = request(&s, "next", 4, false, &reply_len);
    assert_reply(next, reply_len, "next", 4);
    free(next);
    stop(&s, _i);
}
END_TEST

/* EMFILE in thread mode: idle clients exhaust the descriptors (limit 32); the server says
 * so once, does not spin, and answers the queued client once the idle ones leave. */
START_TEST(out_of_descriptors_then_recovers)
{
    SKIP_UNLESS(have_prlimit() && have_proc(), "needs Linux (prlimit, /proc)");
    struct server s;
    start(&s, THREAD);
    ck_assert_int_gt(set_fd_limit(s.child.pid, 32), 0);
    int idle[40];
    for (int i = 0; i < 40; i++)
        idle[i] = connect_or_fail(&s);
    ck_assert(wait_for_stderr(&s.child, "mixin_server: accept: Too many open files", 5000));
    int waiting = connect_or_fail(&s);
    ck_assert_int_eq(send_all(waiting, "queued", 6), 0);
    ck_assert(nothing_arrives(waiting, 200));
    double share = cpu_share(s.child.pid, 500);
    ck_assert_msg(share >= 0 && share < 0.2, "%.0f%% of a CPU while at EMFILE", share * 100);
    for (int i = 0; i < 40; i++)
        close(idle[i]);
    size_t len;
    char *reply = recv_until_eof(waiting, &len, 5000);
    ck_assert_ptr_nonnull(reply);
    assert_reply(reply, len, "queued", 6);
    free(reply);
    close(waiting);
    stop(&s, THREAD);
}
END_TEST

/* No descriptor left, in every mode: the limit set to the server's lowest free descriptor
 * number makes its next accept fail with EMFILE (in thread mode idle clients get it there,
 * above; serial and fork modes hold at most one client's descriptor, so only this way).
 * It says so once, does not spin, and answers the queued client once descriptors are back. */
START_TEST(no_descriptor_left_then_recovers)
{
    SKIP_UNLESS(have_prlimit() && have_proc(), "needs Linux (prlimit, /proc)");
    struct server s;
    start(&s, _i);
    int limit = lowest_free_fd(s.child.pid);
    ck_assert_int_gt(limit, 3);
    long previous = set_fd_limit(s.child.pid, limit);
    ck_assert_int_gt(previous, limit);
    int waiting = connect_or_fail(&s);
    ck_assert_int_eq(send_all(waiting, "queued", 6), 0);
    ck_assert_msg(wait_for_stderr(&s.child, "mixin_server: accept: Too many open files", 5000),
                  "-m %s did not report EMFILE", modes[_i]);
    ck_assert(nothing_arrives(waiting, 200));
    double share = cpu_share(s.child.pid, 500);
    ck_assert_msg(share >= 0 && share < 0.2, "-m %s: %.0f%% of a CPU while at EMFILE", modes[_i],
                  share * 100);
    ck_assert_int_eq(set_fd_limit(s.child.pid, previous), limit);
    size_t len;
    char *reply = recv_until_eof(waiting, &len, 5000);
    ck_assert_ptr_nonnull(reply);
    assert_reply(reply, len, "queued", 6);
    free(reply);
    close(waiting);
    stop(&s, _i);
}
END_TEST

/* The request threads block SIGINT and SIGTERM; the port in use gives exit 1. */
START_TEST(threads_block_signals_and_port_in_use)
{
    struct server s;
    start(&s, THREAD);
    int fds[2] = {connect_or_fail(&s), connect_or_fail(&s)};
    int threads = 3 + SANITIZER_THREADS;
    if (have_proc()) { /* the threads' signal masks: Linux's /proc */
        ck_assert_int_eq(wait_for_count(count_threads, s.child.pid, threads, 3000), threads);
        ck_assert_int_eq(threads_accepting_signal(s.child.pid, SIGTERM), 0);
        ck_assert_int_eq(threads_accepting_signal(s.child.pid, SIGINT), 0);
    } else {
        note_skip("the signal masks need Linux (/proc): only the port in use is tested");
    }
    char port[16], expected[128];
    snprintf(port, sizeof port, "%d", s.port);
    struct run r;
    const char *argv[] = {"./mixin_server", "-p", port, NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 5000, argv, 0), 0);
    snprintf(expected, sizeof expected, "mixin_server: bind 127.0.0.1:%d: Address already in use\n",
             s.port);
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);
    close(fds[0]);
    close(fds[1]);
    stop(&s, THREAD);
}
END_TEST

static Suite *mixin_suite(void)
{
    Suite *s = suite_create("04-threaded-server mixin_server");
    TCase *tc = tcase_create("mixin");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, three_modes_give_the_same_replies);
    tcase_add_loop_test(tc, idle_client_blocks_only_the_serial_mode, 0, MODES);
    tcase_add_loop_test(tc, fifty_clients_at_once, THREAD, MODES); /* not serial: by design */
    tcase_add_loop_test(tc, resets_disturb_nobody, 0, MODES);
    tcase_add_loop_test(tc, requests_in_a_row_leave_no_trace, 0, MODES);
    tcase_add_loop_test(tc, idle_crowd_does_not_delay_a_normal_request, 0, MODES);
    tcase_add_loop_test(tc, burst_of_resets_leaves_no_trace, 0, MODES);
    tcase_add_loop_test(tc, sigterm_with_idle_clients, 0, MODES);
    tcase_add_loop_test(tc, one_mib_request, 0, MODES);
    tcase_add_test(tc, out_of_descriptors_then_recovers);
    tcase_add_loop_test(tc, no_descriptor_left_then_recovers, 0, MODES);
    tcase_add_test(tc, threads_block_signals_and_port_in_use);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    SRunner *runner = srunner_create(mixin_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
