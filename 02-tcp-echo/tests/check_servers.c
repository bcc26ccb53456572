/* check_servers.c -- the kit's robustness list, proven for each TCP server of the
 * folder (echo_server, upper_server, greet_server): every test runs once per server.
 * What is special to one server is in check_echo.c and check_upper_greet.c. */
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL /* (Linux, most BSDs; elsewhere main ignores SIGPIPE) */
#define MSG_NOSIGNAL 0
#endif

/* echo: "ping" comes back. */
static void echo_serves(int fd)
{
    char back[4];
    ck_assert(exchange(fd, "ping", 4, back, 4, 10000));
    ck_assert_int_eq(memcmp(back, "ping", 4), 0);
}

/* upper: "ping" comes back as "PING", then the server closes. */
static void upper_serves(int fd)
{
    size_t len;
    ck_assert_int_eq(send_all(fd, "ping", 4), 0);
    char *back = recv_until_eof(fd, &len, 10000);
    ck_assert_ptr_nonnull(back);
    ck_assert_str_eq(back, "PING");
    free(back);
}

/* greet: the greeting, then the server closes. */
static void greet_serves(int fd)
{
    size_t len;
    char *back = recv_until_eof(fd, &len, 10000);
    ck_assert_ptr_nonnull(back);
    ck_assert_str_eq(back, "Thank you for connecting");
    free(back);
}

static const struct server_kind {
    const char *program; /* "./echo_server" */
    const char *name;    /* "echo_server" */
    bool holds_idle_client;
    void (*assert_served)(int fd); /* what a served client sees */
} kinds[] = {
    {"./echo_server", "echo_server", true, echo_serves},
    {"./upper_server", "upper_server", true, upper_serves},
    {"./greet_server", "greet_server", false, greet_serves},
};

static void start(struct server *s, const struct server_kind *kind)
{
    ck_assert_int_eq(server_start(s, (const char *const[]){kind->program, "-p", "0", NULL}), 0);
}

/* A new client of S is served. */
static void assert_new_client_served(const struct server *s, const struct server_kind *kind)
{
    int fd = tcp_connect(s->host, s->port);
    ck_assert_int_ge(fd, 0);
    kind->assert_served(fd);
    close(fd);
}

/* SIGTERM while a client is connected (echo, upper: accepted and waiting for its
 * data), and SIGINT: exit 0 within 2 s (valgrind-clean under make memcheck). */
START_TEST(stops_cleanly_with_a_client_connected)
{
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    if (kind->holds_idle_client) /* to see that it has accepted us */
        SKIP_UNLESS(have_proc(), "needs /proc (the server's descriptor count)");
    start(&s, kind);
    int idle_fds = count_open_fds(s.child.pid);
    int fd = tcp_connect(s.host, s.port);
    ck_assert_int_ge(fd, 0);
    if (kind->holds_idle_client) /* it has accepted us and waits for our data */
        ck_assert_int_eq(wait_for_count(count_open_fds, s.child.pid, idle_fds + 1, 5000),
                         idle_fds + 1);
    long long start_ms = monotonic_ms();
    ck_assert_int_eq(server_stop(&s), 0);
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(2000));
    close(fd);

    start(&s, kind);
    assert_new_client_served(&s, kind);
    ck_assert_int_eq(child_stop(&s.child, SIGINT, 2000), 0);
    child_close(&s.child);
}
END_TEST

/* A second server on the same port: exit 1 with one clear line; the first one
 * keeps serving. */
START_TEST(address_in_use_exits_1)
{
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    struct run r;
    char port[16], expected[128];
    start(&s, kind);
    snprintf(port, sizeof port, "%d", s.port);
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 10000, (const char *const[]){kind->program, "-p", port, NULL}, 0),
        0);
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected, "%s: bind 127.0.0.1:%d: Address already in use\n",
             kind->name, s.port);
    ck_assert_str_eq(r.err, expected);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    assert_new_client_served(&s, kind);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* 1000 connections opened and closed in a row: afterwards the server still serves,
 * and its open fds and threads are what they were before. */
START_TEST(thousand_connections_leave_no_trace)
{
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    SKIP_UNLESS(have_proc(), "needs /proc (the server's descriptor and thread counts)");
    start(&s, kind);
    int fds = count_open_fds(s.child.pid), threads = count_threads(s.child.pid);
    ck_assert_int_gt(fds, 0);
    for (int i = 0; i < 1000; i++) {
        int fd = tcp_connect(s.host, s.port);
        ck_assert_msg(fd >= 0, "connection %d failed", i);
        close(fd);
    }
    assert_new_client_served(&s, kind); /* served after all 1000 (one at a time) */
    ck_assert_int_eq(wait_for_count(count_open_fds, s.child.pid, fds, 5000), fds);
    ck_assert_int_eq(count_threads(s.child.pid), threads);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* A client that resets in the middle of a request costs only itself. */
START_TEST(reset_mid_message_costs_only_that_client)
{
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    start(&s, kind);
    int fd = tcp_connect(s.host, s.port);
    ck_assert_int_eq(send_all(fd, "half a mess", 11), 0);
    close_with_reset(fd);
    assert_new_client_served(&s, kind);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* A client that sends and sends and never reads: the server's memory stays flat
 * (echo_server waits for room to send, with the kernel's buffers full: more than
 * 256 KiB went out), and SIGTERM still ends it at once with exit 0. */
START_TEST(client_that_never_reads_costs_no_memory)
{
    static char chunk[65536];
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    SKIP_UNLESS(have_proc(), "needs /proc (the server's resident memory)");
    start(&s, kind);
    long before = resident_kib(s.child.pid);
    int fd = tcp_connect(s.host, s.port);
    ck_assert_int_ge(fd, 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    /* Push until nothing more fits: more than 256 KiB out and then nothing for 100 ms
     * (the buffers are full), or the server closed on us (upper and greet: their
     * protocol is done). The test waits for that, not for a fixed time: on a busy
     * machine the server may take longer to fill its side. */
    long long sent = 0, last_progress = monotonic_ms(), deadline = last_progress + scaled_ms(10000);
    while (monotonic_ms() < deadline) {
        ssize_t n = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            last_progress = monotonic_ms();
        } else if (n < 0 && errno != EAGAIN) {
            break; /* upper and greet close on us */
        } else if (sent > 256 * 1024 && monotonic_ms() - last_progress >= 100) {
            break; /* full: the server waits for us to read */
        } else {
            poll(NULL, 0, 10);
        }
    }
    long after = resident_kib(s.child.pid);
    if (kind->assert_served == echo_serves)
        ck_assert_int_gt(sent, 256 * 1024); /* the kernel buffered a lot... */
    ck_assert_msg(after - before < 4096, "%s grew from %ld to %ld kB after %lld bytes", kind->name,
                  before, after, sent); /* ...but the server did not */
    long long start_ms = monotonic_ms();
    ck_assert_int_eq(server_stop(&s), 0);
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(2000));
    close(fd);
}
END_TEST

/* Out of file descriptors (EMFILE) on accept: the server says so once, does not spin
 * (little CPU in a whole second), and serves the waiting client as soon as
 * descriptors are available again. */
START_TEST(emfile_on_accept_waits_without_spinning)
{
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    SKIP_UNLESS(have_proc() && have_prlimit(), "needs Linux (/proc and prlimit)");
    start(&s, kind);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid);
    /* With the limit at its lowest free descriptor, the next accept() fails. */
    long old_limit = set_fd_limit(pid, lowest_free_fd(pid));
    ck_assert_int_gt(old_limit, 0);
    int fd = tcp_connect(s.host, s.port); /* the kernel queues the connection */
    ck_assert_int_ge(fd, 0);
    /* First the server's note (it has tried accept and failed: waited for, not slept
     * for), then a second of measurement while it retries. */
    char note[128];
    snprintf(note, sizeof note, "%s: accept: Too many open files", kind->name);
    ck_assert_msg(wait_for_stderr(&s.child, note, 5000), "no '%s' in its stderr", note);

    long cpu_before = cpu_time_ms(pid);
    sleep_ms(1000); /* a measurement window, not a wait for readiness */
    long cpu_used = cpu_time_ms(pid) - cpu_before;
    ck_assert_msg(cpu_used < 300, "%ld ms of CPU in 1 s while out of fds: a busy loop", cpu_used);
    ck_assert_int_eq(count_open_fds(pid), fds); /* nothing accepted */
    char *err = child_stderr(&s.child);
    char *first = strstr(err, note);
    ck_assert_msg(first != NULL, "no '%s' in stderr:\n%s", note, err);
    ck_assert_ptr_null(strstr(first + 1, note)); /* said once, not every 100 ms */
    free(err);

    ck_assert_int_ge(set_fd_limit(pid, old_limit), 0);
    kind->assert_served(fd); /* the waiting client is served now */
    close(fd);
    assert_new_client_served(&s, kind);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* 200 clients connect and send nothing. These servers are iterative (one client at a
 * time, by design): echo_server and upper_server wait for the first idle one's data,
 * so a normal client cannot be served while they stay; once they close, the server
 * works through their 200 connections and serves the normal client within a second,
 * with its fds back where they were. greet_server never waits for a client's data:
 * it serves the normal client within a second while all 200 are still connected. */
START_TEST(two_hundred_idle_connections)
{
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    int idle[200];
    SKIP_UNLESS(have_proc(), "needs /proc (the server's descriptor count)");
    /* the 200, and the test's own (stdio, Check's pipe, the server's pipe and log, the
     * normal client: 208 in all, measured), with room to spare */
    SKIP_UNLESS(need_fds(200 + 20), "needs 220 descriptors (ulimit -n)");
    start(&s, kind);
    int fds = count_open_fds(s.child.pid);
    for (int i = 0; i < 200; i++) {
        idle[i] = tcp_connect(s.host, s.port);
        ck_assert_msg(idle[i] >= 0, "idle connection %d failed", i);
    }
    if (kind->holds_idle_client) {
        /* it has accepted the first and waits for its data; the rest wait in the queue */
        ck_assert_int_eq(wait_for_count(count_open_fds, s.child.pid, fds + 1, 5000), fds + 1);
        for (int i = 0; i < 200; i++)
            close(idle[i]);
    }
    long long start_ms = monotonic_ms();
    assert_new_client_served(&s, kind);
    long long took = monotonic_ms() - start_ms;
    ck_assert_msg(took < scaled_ms(1000), "%s took %lld ms", kind->name, took);
    if (!kind->holds_idle_client)
        for (int i = 0; i < 200; i++)
            close(idle[i]);
    ck_assert_int_eq(wait_for_count(count_open_fds, s.child.pid, fds, 5000), fds);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

static Suite *servers_suite(void)
{
    Suite *s = suite_create("02-tcp-echo robustness of every server");
    TCase *tc = tcase_create("servers");
    int n = sizeof kinds / sizeof kinds[0];
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, stops_cleanly_with_a_client_connected, 0, n);
    tcase_add_loop_test(tc, address_in_use_exits_1, 0, n);
    tcase_add_loop_test(tc, thousand_connections_leave_no_trace, 0, n);
    tcase_add_loop_test(tc, reset_mid_message_costs_only_that_client, 0, n);
    tcase_add_loop_test(tc, client_that_never_reads_costs_no_memory, 0, n);
    tcase_add_loop_test(tc, emfile_on_accept_waits_without_spinning, 0, n);
    tcase_add_loop_test(tc, two_hundred_idle_connections, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* a send to a server that closed fails with EPIPE */
    SRunner *runner = srunner_create(servers_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
