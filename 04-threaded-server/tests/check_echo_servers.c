/* check_echo_servers.c -- the robustness list of the kit, proved for each concurrent echo
 * server of this folder: threaded_server, forking_server and pool_server. Every test runs
 * once per server (a Check loop test): the server is started with -p 0, fed real sockets,
 * and must end with exit status 0 on SIGTERM (under make memcheck: and valgrind-clean). */
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
    int in_a_row;     /* sequential connections for the "no trace" test */
    int idle_threads; /* threads of the server with no client */
    bool has_threads; /* client threads in the server process itself */
    bool forks;       /* a process per client: the child holds the connection */
};

/* pool_server gets 8 threads (the tests below want up to 4 clients at once, and a few
 * more threads than clients), and more in the tests that need more (see start_many). */
static const struct kind kinds[] = {
    {"threaded_server", {"./threaded_server", "-p", "0", "-q", NULL}, 2000, 1, true, false},
    {"forking_server", {"./forking_server", "-p", "0", "-q", NULL}, 1000, 1, false, true},
    {"pool_server", {"./pool_server", "-p", "0", "-q", "-n", "8", NULL}, 1000, 9, true, false},
};
#define KINDS ((int)(sizeof kinds / sizeof kinds[0]))

static void start(struct server *s, int kind)
{
    ck_assert_msg(server_start(s, kinds[kind].argv) == 0, "%s did not start", kinds[kind].name);
}

static bool is_pool(int kind)
{
    return strcmp(kinds[kind].name, "pool_server") == 0;
}

/* start(), with room for THREADS clients at once: pool_server -n THREADS. */
static void start_many(struct server *s, int kind, const char *threads)
{
    const char *const pool[] = {"./pool_server", "-p", "0", "-q", "-n", threads, NULL};
    if (!is_pool(kind))
        start(s, kind);
    else
        ck_assert_msg(server_start(s, pool) == 0, "pool_server -n %s did not start", threads);
}

/* The threads of a server started by start_many(THREADS) that has no client (after its
 * first client: ThreadSanitizer starts a thread of its own with the first pthread_create). */
static int idle_threads(int kind, const char *threads)
{
    int base = is_pool(kind) ? atoi(threads) + 1 : kinds[kind].idle_threads;
    return base + (kinds[kind].has_threads ? SANITIZER_THREADS : 0);
}

/* SIGTERM: exit status 0, and (all run with -q) nothing on stderr: in forking_server's
 * case no "child processes ended abnormally". */
static void stop_quietly(struct server *s, int kind)
{
    char *err;
    int code = server_stop_keep_stderr(s, &err);
    ck_assert_msg(code == 0, "%s: exit code %d after SIGTERM", kinds[kind].name, code);
    ck_assert_msg(err[0] == '\0', "%s said: %s", kinds[kind].name, err);
    free(err);
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

/* multi_client -n 50: fifty clients connected at the same time, each gets its own echo. */
START_TEST(fifty_clients_at_once)
{
    struct server s;
    start_many(&s, _i, "64");
    char port[16];
    snprintf(port, sizeof port, "%d", s.port);
    struct run r;
    const char *argv[] = {"./multi_client", "-p", port, "-n", "50", NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 20000, argv, 0), 0);
    ck_assert_msg(r.code == 0, "multi_client exit %d; stderr:\n%s", r.code, r.err);
    for (int i = 1; i <= 50; i++) {
        char line[64];
        snprintf(line, sizeof line, "Received b'Hello, world (%d)'", i);
        ck_assert_msg(count_lines(r.out, line) == 1, "'%s' not exactly once", line);
    }
    run_free(&r);
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
 * others, and still stops on SIGTERM though its thread (process) is blocked sending to
 * that client. Memory stays bounded: the resident memory of the process that serves it,
 * now and at its peak (VmRSS, VmHWM), stays within 16 MiB of the server's at the start,
 * though the client pushed up to 64 MiB. What bounds it: the thread (in forking_server
 * the child) that serves the client blocks in send once the kernel's socket buffers are
 * full, so it calls recv no more; it only ever uses its one 16 KiB buffer, the rest waits
 * in the kernel's socket buffers (bounded by their sizes), and the client's send blocks. */
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
    ck_assert_uint_gt(sent, 1u << 20);      /* it did take megabytes before it stalled */
    if (MEMORY_MEASURABLE && have_proc()) { /* VmRSS and VmHWM: Linux's /proc */
        pid_t serving = s.child.pid;
        if (kinds[_i].forks) /* the child serving x, the only one */
            ck_assert_int_eq(child_pids(s.child.pid, &serving, 1), 1);
        long now = resident_kib(serving), peak = peak_resident_kib(serving);
        ck_assert_msg(now >= 0 && now - before < 16 * 1024, "resident memory grew by %ld KiB",
                      now - before);
        ck_assert_msg(peak >= 0 && peak - before < 16 * 1024, "peak memory grew by %ld KiB",
                      peak - before);
    }
    ck_assert_int_eq(echo_once(&s, "still here\n", 2000), 0);
    stop(&s, _i);
    close(x);
}
END_TEST

/* Many connections opened and closed in a row leave the server's descriptors, threads and
 * child processes exactly as they were (threaded_server: 2000, the others 1000; under
 * valgrind forking_server: 100). */
START_TEST(connections_in_a_row_leave_no_trace)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    struct server s;
    start(&s, _i);
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid);
    int threads = kinds[_i].idle_threads + (kinds[_i].has_threads ? SANITIZER_THREADS : 0);
    ck_assert_int_gt(fds, 3);
    ck_assert_int_eq(echo_once(&s, "warm up\n", 2000), 0);
    ASSERT_BACK_TO(pid, fds, threads, 5000);
    int in_a_row = kinds[_i].in_a_row;
    if (under_valgrind() && !kinds[_i].has_threads)
        in_a_row = 100; /* a fork under valgrind costs ~40 ms: see servers.h */
    for (int i = 0; i < in_a_row; i++)
        ck_assert_msg(echo_once(&s, "x", 2000) == 0, "connection %d was not echoed", i);
    ASSERT_BACK_TO(pid, fds, threads, 5000);
    stop(&s, _i);
}
END_TEST

/* How many clients at once the crowd tests use: 200, but 50 for forking_server under
 * valgrind (there every child is a whole valgrind process). The test process holds them
 * all, and a few descriptors of its own: CROWD_FDS. */
#define CROWD_FDS    232 /* 200 + 32 */
#define NO_CROWD_FDS "needs 232 descriptors, and the hard limit (ulimit -Hn) is lower"
static int crowd(int kind)
{
    return under_valgrind() && kinds[kind].forks ? 50 : 200;
}

/* Wait until the server holds N more connections than FDS (forking_server: N children).
 * Returns true if it did in time. */
static bool holds_connections(const struct server *s, int kind, int fds, int n)
{
    if (kinds[kind].forks)
        return wait_for_count(count_children, s->child.pid, n, 10000) == n;
    return wait_for_count(count_open_fds, s->child.pid, fds + n, 10000) == fds + n;
}

/* 200 idle clients (connected, never sending) hold their threads (processes) while a
 * normal client connects and is served within a second, three times over; the idle ones
 * are still served when they do speak, and once they all leave, the server's descriptors,
 * threads and children are as before. (pool_server gets 256 threads: with fewer than 201,
 * client 201 waits by design, see check_programs.) */
START_TEST(idle_crowd_does_not_delay_a_normal_client)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CROWD_FDS), NO_CROWD_FDS);
    struct server s;
    start_many(&s, _i, "256");
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid), threads = idle_threads(_i, "256"), n = crowd(_i);
    ck_assert_int_eq(echo_once(&s, "warm up\n", 2000), 0);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    ck_assert_int_eq(wait_for_count(count_children, pid, 0, 5000), 0);
    int idle[200];
    for (int i = 0; i < n; i++)
        idle[i] = connect_or_fail(&s);
    ck_assert_msg(holds_connections(&s, _i, fds, n), "%s did not take %d clients in",
                  kinds[_i].name, n);
    for (int k = 0; k < 3; k++) {
        long long t0 = monotonic_ms();
        ck_assert_int_eq(echo_once(&s, "a normal client\n", 2000), 0);
        long long took = monotonic_ms() - t0;
        ck_assert_msg(took < scaled_ms(1000), "a normal client took %lld ms beside %d idle ones",
                      took, n);
    }
    ck_assert_int_eq(echo_round_trip(idle[0], "first idle\n", 11, 2000), 0);
    ck_assert_int_eq(echo_round_trip(idle[n - 1], "last idle\n", 10, 2000), 0);
    for (int i = 0; i < n; i++)
        close(idle[i]);
    ASSERT_BACK_TO(pid, fds, threads, 5000);
    stop_quietly(&s, _i);
}
END_TEST

/* A burst of simultaneous disconnects: 200 clients, each being served (echoed once), all
 * reset at the same moment. No zombie is left behind (forking_server's SIGCHLDs coalesce,
 * its handler reaps them all), descriptors and threads come back, accept goes on working,
 * no child ends abnormally, and the server exits 0. */
START_TEST(burst_of_resets_leaves_no_trace)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CROWD_FDS), NO_CROWD_FDS);
    struct server s;
    start_many(&s, _i, "256");
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid), threads = idle_threads(_i, "256"), n = crowd(_i);
    ck_assert_int_eq(echo_once(&s, "warm up\n", 2000), 0);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 5000), threads);
    ck_assert_int_eq(wait_for_count(count_children, pid, 0, 5000), 0);
    int clients[200];
    for (int i = 0; i < n; i++) {
        clients[i] = connect_or_fail(&s);
        ck_assert_msg(echo_round_trip(clients[i], "b", 1, 3000) == 0, "client %d not served", i);
    }
    if (kinds[_i].forks)
        ck_assert_int_eq(count_children(pid), n);
    for (int i = 0; i < n; i++)
        close_with_reset(clients[i]);
    ck_assert_int_eq(wait_for_count(count_children, pid, 0, 10000), 0); /* zombies too */
    ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds, 10000), fds);
    ck_assert_int_eq(wait_for_count(count_threads, pid, threads, 10000), threads);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(echo_once(&s, "after the burst\n", 2000), 0);
    ck_assert_int_eq(wait_for_count(count_children, pid, 0, 5000), 0);
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

/* Has every pool thread 1..COUNT said "connected" or "accept: ..." on stderr? */
static bool every_thread_spoke(const struct server *s, int count)
{
    char *err = child_stderr(&s->child);
    int spoke = 0;
    for (int k = 1; k <= count; k++) {
        char connected[32], failed[32];
        snprintf(connected, sizeof connected, "thread %d: connected", k);
        snprintf(failed, sizeof failed, "thread %d: accept: ", k);
        spoke += strstr(err, connected) != NULL || strstr(err, failed) != NULL;
    }
    free(err);
    return spoke == count;
}

/* EMFILE: with its descriptor limit lowered to 32, idle clients exhaust the server's
 * descriptors. It says so once, does not spin (CPU time stays low), and serves again as
 * soon as clients leave. (forking_server's parent holds no client's descriptor: its test,
 * in check_programs.c, takes every descriptor away instead.) */
START_TEST(out_of_descriptors_then_recovers)
{
    ck_assert(kinds[_i].has_threads);
    SKIP_UNLESS(have_prlimit() && have_proc(), "needs Linux (prlimit, /proc)");
    struct server s;
    bool pool = is_pool(_i);
    /* The pool logs (no -q): the first step below reads what each thread said. */
    const char *const pool_argv[] = {"./pool_server", "-p", "0", "-n", "64", NULL};
    ck_assert_int_eq(server_start(&s, pool ? pool_argv : kinds[_i].argv), 0);
    int base_fds = count_open_fds(s.child.pid);
    ck_assert_int_gt(set_fd_limit(s.child.pid, 32), 0);
    int idle[100], served, waiting;
    if (pool) {
        /* Every one of the 64 threads meets the new limit: 64 clients, more than the
         * descriptors left, and each idle thread that sees one waiting (every idle thread
         * polls the listener) either takes it or fails with EMFILE. Keep the clients until
         * every thread has said one or the other, then close them all: each thread is
         * back to waiting, and each has shown that EMFILE costs it nothing. */
        for (int i = 0; i < 64; i++) {
            idle[i] = connect_or_fail(&s);
            ck_assert_int_eq(send_all(idle[i], "c", 1), 0);
        }
        long long deadline = monotonic_ms() + scaled_ms(10000);
        while (!every_thread_spoke(&s, 64) && monotonic_ms() < deadline)
            nothing_arrives(s.child.out, 5); /* a 5 ms pause */
        ck_assert_msg(every_thread_spoke(&s, 64), "not every pool thread accepted or failed");
        for (int i = 0; i < 64; i++)
            close(idle[i]);
        ck_assert_int_eq(wait_for_count(count_open_fds, s.child.pid, base_fds, 5000), base_fds);
    }
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

static Suite *echo_servers_suite(void)
{
    Suite *s = suite_create("04-threaded-server echo servers");
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
    /* These two concern the client threads of the server process: threaded_server (0)
     * and pool_server (2). forking_server's EMFILE test is in check_programs.c. */
    tcase_add_loop_test(tc, out_of_descriptors_then_recovers, 0, 1);
    tcase_add_loop_test(tc, out_of_descriptors_then_recovers, 2, 3);
    tcase_add_loop_test(tc, client_threads_block_stop_signals, 0, 1);
    tcase_add_loop_test(tc, client_threads_block_stop_signals, 2, 3);
    tcase_add_loop_test(tc, address_in_use_exits_1, 0, KINDS);
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
