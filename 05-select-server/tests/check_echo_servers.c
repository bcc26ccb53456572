/* check_echo_servers.c -- the robustness list of the kit, proved for both echo servers of
 * this folder: select_server (a thread per client) and select_echo (one thread for all).
 * Every test runs once per server (a Check loop test): the server is started with -p 0
 * (select_server with standard input on /dev/null: not watched), fed real sockets, and must
 * end with exit status 0 on SIGTERM (under make memcheck: and valgrind-clean). */
#include "harness.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct kind {
    const char *name;
    const char *argv[8];
    bool has_threads; /* a thread per client (select_server); select_echo has one thread */
};

static const struct kind kinds[] = {
    {"select_server", {"./select_server", "-p", "0", "-q", NULL}, true},
    {"select_echo", {"./select_echo", "-p", "0", "-q", NULL}, false},
};
#define KINDS ((int)(sizeof kinds / sizeof kinds[0]))

static void start(struct server *s, int kind)
{
    ck_assert_msg(server_start(s, kinds[kind].argv) == 0, "%s did not start", kinds[kind].name);
}

static void stop(struct server *s, int kind)
{
    int code = server_stop(s);
    ck_assert_msg(code == 0, "%s: exit code %d after SIGTERM, expected 0", kinds[kind].name, code);
}

/* A line in three pieces comes back in order; two lines in one send come back whole;
 * every byte value, NUL included, comes back unchanged. */
START_TEST(partial_coalesced_and_binary)
{
    struct server s;
    start(&s, _i);
    int fd = connect_or_fail(&s);
    char got[16];
    const char *pieces[] = {"hel", "lo w", "orld\n"};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(pieces[i]);
        ck_assert_int_eq(send_all(fd, pieces[i], len), 0);
        ck_assert_int_eq(recv_exact(fd, got, len, 2000), (ssize_t)len);
        ck_assert_mem_eq(got, pieces[i], len);
    }
    ck_assert_int_eq(echo_round_trip(fd, "one\ntwo\n", 8, 2000), 0);
    unsigned char all[512];
    for (int i = 0; i < 512; i++)
        all[i] = (unsigned char)(i % 256);
    ck_assert_int_eq(echo_round_trip(fd, all, sizeof all, 2000), 0);
    ck_assert_int_eq(echo_round_trip(fd, "\0\0\0", 3, 2000), 0);
    close(fd);
    stop(&s, _i);
}
END_TEST

/* Client A connects and sends nothing; client B is served from start to end meanwhile,
 * and A is still served afterwards. */
START_TEST(idle_client_does_not_block_others)
{
    struct server s;
    start(&s, _i);
    int a = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(a, "A", 1, 2000), 0); /* A is surely being served */
    int b = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(b, "B says hi\n", 10, 2000), 0);
    close(b);
    ck_assert_int_eq(echo_once(&s, "C too\n", 2000), 0);
    ck_assert_int_eq(echo_round_trip(a, "A again\n", 8, 2000), 0);
    close(a);
    stop(&s, _i);
}
END_TEST

/* Fifty clients connected at the same time each get their own echo. */
START_TEST(fifty_clients_at_once)
{
    struct server s;
    start(&s, _i);
    ck_assert_int_eq(clients_at_once(&s, 50, 5000), 50);
    if (!kinds[_i].has_threads && have_proc()) /* select_echo did it all in its one thread */
        ck_assert_int_eq(count_threads(s.child.pid), 1);
    stop(&s, _i);
}
END_TEST

/* A client that resets in the middle of a message costs nothing to the others. */
START_TEST(reset_mid_message_disturbs_nobody)
{
    struct server s;
    start(&s, _i);
    int b = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(b, "before\n", 7, 2000), 0);
    for (int i = 0; i < 20; i++) {
        int a = connect_or_fail(&s);
        ck_assert_int_eq(send_all(a, "half a li", 9), 0);
        close_with_reset(a);
    }
    ck_assert_int_eq(echo_round_trip(b, "after\n", 6, 2000), 0);
    ck_assert_int_eq(echo_once(&s, "new client\n", 2000), 0);
    close(b);
    stop(&s, _i);
}
END_TEST

/* Half-close: after shutdown(SHUT_WR) the client still gets the whole echo, then EOF. */
START_TEST(half_close_gets_rest_then_eof)
{
    struct server s;
    start(&s, _i);
    int fd = connect_or_fail(&s);
    ck_assert_int_eq(send_all(fd, "last words", 10), 0);
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    size_t len;
    char *all = recv_until_eof(fd, &len, 3000);
    ck_assert_ptr_nonnull(all);
    ck_assert_uint_eq(len, 10);
    ck_assert_mem_eq(all, "last words", 10);
    free(all);
    close(fd);
    stop(&s, _i);
}
END_TEST

/* 1 MiB of binary data without a single newline comes back byte for byte. */
START_TEST(one_mib_without_newline)
{
    struct server s;
    start(&s, _i);
    size_t len = 1 << 20;
    char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    fill_random(data, len, 1);
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            data[i] = ' ';
    int fd = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(fd, data, len, 10000), 0);
    close(fd);
    free(data);
    stop(&s, _i);
}
END_TEST

/* A client that sends without ever reading while the server has megabytes of echo for
 * it: the server stops reading from it once the buffers are full, keeps serving the
 * others, and still stops on SIGTERM though it has echo left for that client. Memory stays
 * bounded: resident memory, now and at its peak (VmRSS, VmHWM), stays within 16 MiB of
 * what it was, though the client pushed up to 64 MiB. What bounds it: select_server's
 * client thread blocks in send once the kernel's socket buffers are full and calls recv no
 * more (one 1 KiB buffer in use); select_echo stops watching a client for input once
 * 256 KiB of its echo wait in its output queue (at most 256 + 64 KiB per client). The rest
 * waits in the kernel's socket buffers, and the client's own send blocks. */
START_TEST(never_reading_client_is_contained)
{
    struct server s;
    start(&s, _i);
    long before = resident_kib(s.child.pid);
    int x = connect_or_fail(&s);
    size_t total = (size_t)64 << 20;
    size_t sent = send_until_stalled(x, total, 300, 15000);
    ck_assert_msg(sent < total, "%s read all 64 MiB from a client that never reads",
                  kinds[_i].name);
    ck_assert_uint_gt(sent, 1u << 20); /* it did take megabytes before it stalled */
    ck_assert_int_eq(echo_once(&s, "still here\n", 2000), 0);
    if (MEMORY_MEASURABLE && have_proc()) { /* VmRSS and VmHWM: Linux's /proc */
        long now = resident_kib(s.child.pid), peak = peak_resident_kib(s.child.pid);
        ck_assert_msg(now >= 0 && now - before < 16 * 1024, "resident memory grew by %ld KiB",
                      now - before);
        ck_assert_msg(peak >= 0 && peak - before < 16 * 1024, "peak memory grew by %ld KiB",
                      peak - before);
    }
    stop(&s, _i);
    close(x);
}
END_TEST

/* 1000 connections opened and closed in a row leave the server's descriptors and threads
 * exactly as they were. */
START_TEST(connections_in_a_row_leave_no_trace)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    struct server s;
    start(&s, _i);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid);
    int threads = 1 + (kinds[_i].has_threads ? SANITIZER_THREADS : 0);
    ck_assert_int_gt(fds, 3);
    ck_assert_int_eq(echo_once(&s, "warm up\n", 2000), 0);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds, 5000), fds);
    for (int i = 0; i < 1000; i++)
        ck_assert_msg(echo_once(&s, "x", 2000) == 0, "connection %d was not echoed", i);
    ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds, 5000), fds);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    stop(&s, _i);
}
END_TEST

/* SIGTERM: exit status 0, and (both run with -q) nothing on stderr. */
static void stop_quietly(struct server *s, int kind)
{
    char *err;
    int code = server_stop_keep_stderr(s, &err);
    ck_assert_msg(code == 0, "%s: exit code %d after SIGTERM", kinds[kind].name, code);
    ck_assert_msg(err[0] == '\0', "%s said: %s", kinds[kind].name, err);
    free(err);
}

/* The test process holds the 200 clients of the crowd tests, and a few descriptors of its
 * own. */
#define CROWD_FDS    232 /* 200 + 32 */
#define NO_CROWD_FDS "needs 232 descriptors, and the hard limit (ulimit -Hn) is lower"

/* The server's threads with no client (after a first one: ThreadSanitizer starts a thread
 * of its own with the first pthread_create). */
static int idle_threads(int kind)
{
    return 1 + (kinds[kind].has_threads ? SANITIZER_THREADS : 0);
}

/* 200 idle clients (connected, never sending; select_server: a thread each) while a
 * normal client connects and is served within a second, three times over; the idle ones
 * are still served when they do speak, and once they all leave, the server's descriptors
 * and threads are as before. */
START_TEST(idle_crowd_does_not_delay_a_normal_client)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CROWD_FDS), NO_CROWD_FDS);
    struct server s;
    start(&s, _i);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid), threads = idle_threads(_i), idle[200];
    ck_assert_int_eq(echo_once(&s, "warm up\n", 2000), 0);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    for (int i = 0; i < 200; i++)
        idle[i] = connect_or_fail(&s);
    ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds + 200, 10000), fds + 200);
    for (int k = 0; k < 3; k++) {
        long long t0 = monotonic_ms();
        ck_assert_int_eq(echo_once(&s, "a normal client\n", 2000), 0);
        long long took = monotonic_ms() - t0;
        ck_assert_msg(took < scaled_ms(1000), "a normal client took %lld ms beside 200 idle ones",
                      took);
    }
    ck_assert_int_eq(echo_round_trip(idle[0], "first idle\n", 11, 2000), 0);
    ck_assert_int_eq(echo_round_trip(idle[199], "last idle\n", 10, 2000), 0);
    for (int i = 0; i < 200; i++)
        close(idle[i]);
    ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds, 5000), fds);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    stop_quietly(&s, _i);
}
END_TEST

/* A burst of simultaneous disconnects: 200 clients, each being served (echoed once), all
 * reset at the same moment. Descriptors and threads come back, accept goes on working,
 * and the server exits 0. */
START_TEST(burst_of_resets_leaves_no_trace)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CROWD_FDS), NO_CROWD_FDS);
    struct server s;
    start(&s, _i);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid), threads = idle_threads(_i), clients[200];
    ck_assert_int_eq(echo_once(&s, "warm up\n", 2000), 0);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    for (int i = 0; i < 200; i++) {
        clients[i] = connect_or_fail(&s);
        ck_assert_msg(echo_round_trip(clients[i], "b", 1, 3000) == 0, "client %d not served", i);
    }
    for (int i = 0; i < 200; i++)
        close_with_reset(clients[i]);
    ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds, 10000), fds);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 10000), threads);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(echo_once(&s, "after the burst\n", 2000), 0);
    stop_quietly(&s, _i);
}
END_TEST

/* SIGTERM with clients connected (idle, mid-line, done): exit 0 within 2 s, and every
 * client sees its connection end. */
START_TEST(sigterm_with_clients_connected)
{
    struct server s;
    start(&s, _i);
    int idle = connect_or_fail(&s), partial = connect_or_fail(&s), done = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(idle, "i", 1, 2000), 0);
    ck_assert_int_eq(echo_round_trip(partial, "no newline yet", 14, 2000), 0);
    ck_assert_int_eq(echo_round_trip(done, "done\n", 5, 2000), 0);
    long long start_ms = monotonic_ms();
    stop(&s, _i);
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(2000));
    int fds[] = {idle, partial, done};
    for (int i = 0; i < 3; i++) {
        char byte;
        ck_assert_msg(!nothing_arrives(fds[i], scaled_ms(2000)), "client %d not disconnected", i);
        ck_assert_int_le(recv(fds[i], &byte, 1, 0), 0); /* EOF or reset, no data */
        close(fds[i]);
    }
}
END_TEST

/* EMFILE: with its descriptor limit lowered to 32, idle clients exhaust the server's
 * descriptors. It says so once, does not spin (CPU time stays low), and serves again as
 * soon as clients leave. */
START_TEST(out_of_descriptors_then_recovers)
{
    SKIP_UNLESS(have_prlimit() && have_proc(), "needs Linux (prlimit, /proc)");
    struct server s;
    start(&s, _i);
    ck_assert_int_gt(set_fd_limit(s.child.pid, 32), 0);
    int idle[100], served, waiting;
    /* Idle clients, each served once, until the server has no descriptor left; then one
     * more, which it cannot accept: it waits in the queue, unanswered. */
    served = fill_descriptors(&s, 32, idle, 100);
    waiting = connect_or_fail(&s);
    ck_assert_int_eq(send_all(waiting, "i", 1), 0);
    ck_assert_msg(nothing_arrives(waiting, scaled_ms(300)), "served beyond its limit");
    ck_assert_int_ge(served, 10);
    ck_assert_int_le(served, 32);
    ck_assert_msg(wait_for_stderr(&s.child, "accept: Too many open files", 5000),
                  "the server did not report EMFILE");
    double share = cpu_share(s.child.pid, 500);
    ck_assert_msg(share >= 0 && share < 0.2, "%.0f%% of a CPU while at EMFILE", share * 100);
    ck_assert_int_eq(echo_round_trip(idle[0], "old clients are still served", 28, 2000), 0);

    for (int i = 0; i < served; i++)
        close(idle[i]);
    char got;
    ck_assert_int_eq(recv_exact(waiting, &got, 1, 5000), 1);
    ck_assert_int_eq(got, 'i');
    ck_assert_int_eq(echo_once(&s, "and new ones\n", 2000), 0);
    close(waiting);
    stop(&s, _i);
}
END_TEST

/* The client threads block SIGINT and SIGTERM: only the main thread takes them. */
START_TEST(client_threads_block_stop_signals)
{
    ck_assert(kinds[_i].has_threads);
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    struct server s;
    start(&s, _i);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = connect_or_fail(&s);
        ck_assert_int_eq(echo_round_trip(fds[i], "t", 1, 2000), 0);
    }
    ck_assert_int_ge(count_threads(s.child.pid), 4);
    ck_assert_int_eq(threads_accepting_signal(s.child.pid, SIGTERM), 0);
    ck_assert_int_eq(threads_accepting_signal(s.child.pid, SIGINT), 0);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    stop(&s, _i);
}
END_TEST

/* A second server on a port in use: one line naming bind, the address and the reason,
 * exit status 1; the first server is unharmed. */
START_TEST(address_in_use_exits_1)
{
    struct server s;
    start(&s, _i);
    char port[16], expected[128];
    snprintf(port, sizeof port, "%d", s.port);
    const char *argv[] = {kinds[_i].argv[0], "-p", port, NULL};
    struct run r;
    ck_assert_int_eq(run_program(&r, NULL, 0, 5000, argv, 0), 0);
    snprintf(expected, sizeof expected, "%s: bind 127.0.0.1:%d: Address already in use\n",
             kinds[_i].name, s.port);
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.err, expected);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    ck_assert_int_eq(echo_once(&s, "unharmed\n", 2000), 0);
    stop(&s, _i);
}
END_TEST

/* Both servers raise their soft limit on open files to the hard one at start (as Redis
 * does): started with a soft limit of 64 (as a shell may start them: macOS's default is
 * 256), each holds 100 clients at once and serves the last and the first of them. (The
 * old servers, which kept the limit, left the last one queued.) */
START_TEST(servers_raise_their_descriptor_limit)
{
    enum { LOW = 64, CLIENTS = 100 };
    SKIP_UNLESS(need_fds(CLIENTS + 64), "needs 164 descriptors, and the hard limit is lower");
    struct server s;
    ck_assert_msg(server_start_with_fd_limit(&s, kinds[_i].argv, LOW) == 0, "%s did not start",
                  kinds[_i].name);
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = connect_or_fail(&s);
    ck_assert_msg(echo_round_trip(fds[CLIENTS - 1], "last\n", 5, 3000) == 0,
                  "%s did not serve client %d", kinds[_i].name, CLIENTS);
    ck_assert_int_eq(echo_round_trip(fds[0], "first\n", 6, 3000), 0);
    for (int i = 0; i < CLIENTS; i++)
        close(fds[i]);
    stop(&s, _i);
}
END_TEST

/* -h prints the usage on stdout, exit 0; an unknown option, an extra argument and every
 * kind of bad port give one line naming the problem, the usage line, and exit 2. */
START_TEST(bad_usage_exits_2)
{
    struct run r;
    const char *path = kinds[_i].argv[0];
    ck_assert_int_eq(run_program(&r, NULL, 0, 5000, (const char *const[]){path, "-h", NULL}, 0), 0);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strncmp(r.out, "Usage: ", 7) == 0, "-h printed '%s'", r.out);
    run_free(&r);
    /* Bad usage exits before anything is allocated: valgrind (a second per start) would
     * only slow make memcheck down. The -h run above had it. */
    unsetenv("RUN_UNDER");
    const char *const bad[][4] = {
        {path, "--no-such-option"}, {path, "-p", "abc"},  {path, "-p", "70000"},
        {path, "-p", "-1"},         {path, "-p", ""},     {path, "-p", " 5"},
        {path, "-p", "0050007"},    {path, "-p"},         {path, "unexpected"},
        {path, "-m", "0"},          {path, "-m", "99999"}};
    int cases = strcmp(kinds[_i].name, "select_echo") == 0 ? 11 : 9;
    for (int k = 0; k < cases; k++) {
        ck_assert_int_eq(run_program(&r, NULL, 0, 5000, bad[k], 0), 0);
        ck_assert_msg(r.code == 2, "%s %s %s: exit %d", path, bad[k][1], bad[k][2] ? bad[k][2] : "",
                      r.code);
        int lines = 0;
        for (const char *p = r.err; *p; p++)
            lines += *p == '\n';
        ck_assert_msg(lines == 2, "%s %s: stderr '%s'", path, bad[k][1], r.err);
        ck_assert_ptr_nonnull(strstr(r.err, "\nUsage: "));
        ck_assert_str_eq(r.out, "");
        run_free(&r);
    }
    char expected[256];
    snprintf(expected, sizeof expected, "%s: bad port 'abc': expected 0 to 65535\n",
             kinds[_i].name);
    ck_assert_int_eq(run_program(&r, NULL, 0, 5000, bad[1], 0), 0);
    ck_assert_ptr_eq(strstr(r.err, expected), r.err);
    run_free(&r);
}
END_TEST

static Suite *echo_servers_suite(void)
{
    Suite *s = suite_create("05-select-server echo servers");
    TCase *tc = tcase_create("robustness");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, partial_coalesced_and_binary, 0, KINDS);
    tcase_add_loop_test(tc, idle_client_does_not_block_others, 0, KINDS);
    tcase_add_loop_test(tc, fifty_clients_at_once, 0, KINDS);
    tcase_add_loop_test(tc, reset_mid_message_disturbs_nobody, 0, KINDS);
    tcase_add_loop_test(tc, half_close_gets_rest_then_eof, 0, KINDS);
    tcase_add_loop_test(tc, one_mib_without_newline, 0, KINDS);
    tcase_add_loop_test(tc, never_reading_client_is_contained, 0, KINDS);
    tcase_add_loop_test(tc, connections_in_a_row_leave_no_trace, 0, KINDS);
    tcase_add_loop_test(tc, idle_crowd_does_not_delay_a_normal_client, 0, KINDS);
    tcase_add_loop_test(tc, burst_of_resets_leaves_no_trace, 0, KINDS);
    tcase_add_loop_test(tc, sigterm_with_clients_connected, 0, KINDS);
    tcase_add_loop_test(tc, out_of_descriptors_then_recovers, 0, KINDS);
    /* Only select_server (0) has client threads. */
    tcase_add_loop_test(tc, client_threads_block_stop_signals, 0, 1);
    tcase_add_loop_test(tc, address_in_use_exits_1, 0, KINDS);
    tcase_add_loop_test(tc, bad_usage_exits_2, 0, KINDS);
    tcase_add_loop_test(tc, servers_raise_their_descriptor_limit, 0, KINDS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    SRunner *runner = srunner_create(echo_servers_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
