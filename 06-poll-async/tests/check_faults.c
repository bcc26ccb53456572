/* check_faults.c -- the folder's programs under injected faults (tests/fault_inject.c,
 * preloaded into every program a test case starts): the socket calls of the server or
 * client under test return short counts, EINTR, spurious EAGAIN, ECONNABORTED,
 * ECONNRESET or EPIPE on a schedule, and every byte must still arrive, every answer
 * still be right, and SIGTERM still end the server with exit 0 (under make memcheck:
 * valgrind-clean too). The test process itself talks over plain sockets.
 *
 * Servers: zen_server (the zen protocol) and async_echo -b poll and -b epoll (echo).
 * Clients: zen_client and loadgen, against a server that runs without faults.
 * Not here: baseline_echo, the benchmark's deliberately minimal loop. It closes a
 * connection on any short write by design (its header and the README say why), so a
 * fault test could only confirm that it does what it says it does not handle.
 *
 * The shim is preloaded (LD_PRELOAD) and the tests wait for a server to be idle by
 * counting its fds (/proc): where either is missing, every test here is skipped, saying
 * so; so are the epoll runs in a build without epoll.
 */
#include "backends.h"
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The servers, by test loop index % 3. */
enum { ZEN, ECHO_POLL, ECHO_EPOLL, SERVERS };
static const char *const names[SERVERS] = {"zen_server", "async_echo -b poll",
                                           "async_echo -b epoll"};

/* Short transfers and EINTR everywhere (every data call short, every third data call
 * or accept interrupted), and spurious EAGAIN on the non-blocking sockets: a call after
 * poll/epoll said "ready" finds nothing, and the loop must just wait for the next event. */
static const char *const profiles[] = {
    "io:short;io+accept:eintr@every=3",
    "io:short;recv+send+accept:eagain@every=2",
};
enum { PROFILES = sizeof profiles / sizeof profiles[0] };

/* The first line of every test here. */
#define NEED_SHIM_AND_PROC()                                                                       \
    do {                                                                                           \
        SKIP_UNLESS(have_proc(), "needs Linux (/proc: waiting for the server to be idle)");        \
        SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD: the fault shim)");                   \
    } while (0)

static void start(struct server *s, int which)
{
    static const char *const argv[SERVERS][6] = {
        {"./zen_server", "-p", "0", NULL},
        {"./async_echo", "-b", "poll", "-p", "0", NULL},
        {"./async_echo", "-b", "epoll", "-p", "0", NULL},
    };
    ck_assert_msg(server_start(s, argv[which]) == 0, "%s did not start", names[which]);
}

/* Stop the server once it is idle again: its fd count is back to BEFORE (every client
 * it had is closed), so the SIGTERM finds it waiting in poll/epoll_wait. (The shim takes
 * a lock in every call it intercepts, the signal handler's write() included: a signal
 * landing inside an intercepted call could deadlock on it. That is the shim's limit,
 * not the server's; waiting for the idle server keeps the tests clear of it.) */
static void stop_when_idle(struct server *s, int before)
{
    ck_assert_int_eq(wait_for_count(count_open_fds, s->child.pid, before, 10000), before);
    ck_assert_int_eq(server_stop(s), 0);
}

/* Under valgrind every call is slow and short transfers make many more of them: the
 * big transfers shrink there. */
static size_t big_size(void)
{
    return under_valgrind() ? 256 * 1024 : 1024 * 1024;
}

/* Send DATA and assert that exactly EXPECTED comes back (sent and received at once). */
static void assert_reply(int fd, const char *data, size_t len, const char *expected,
                         size_t expected_len)
{
    char *got = malloc(expected_len + 1);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(exchange(fd, data, len, got, expected_len, 20000), "%zu reply bytes did not come",
                  expected_len);
    ck_assert_msg(memcmp(got, expected, expected_len) == 0, "the reply is not the one expected");
    free(got);
}

/* Half-close: send DATA, shutdown(SHUT_WR), and assert that exactly EXPECTED comes
 * back, then EOF. */
static void assert_reply_then_eof(int fd, const char *data, size_t len, const char *expected,
                                  size_t expected_len)
{
    ck_assert_int_eq(send_all(fd, data, len), 0);
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    size_t got_len;
    char *got = recv_until_eof(fd, &got_len, 20000);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(got_len, expected_len);
    ck_assert(memcmp(got, expected, expected_len) == 0);
    free(got);
}

/* zen_server's core: a question in pieces, three in one send, binary and NUL bytes,
 * 1 MiB of questions with no newline anywhere, and a half-close with answers due. */
static void zen_core(const struct server *s)
{
    int fd = connect_or_fail(s);
    const char *pieces[] = {"Beauti", "ful is better", " than?"};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(send_all(fd, pieces[i], strlen(pieces[i])), 0);
    char got[32];
    ck_assert_int_eq(recv_exact(fd, got, 5, 10000), 5);
    ck_assert_mem_eq(got, "Ugly.", 5);

    const char *three = "Simple is better than?Beautiful is better than?Explicit is better than?";
    assert_reply(fd, three, strlen(three), "Complex.Ugly.Implicit.", 22);

    char binary[257];
    for (int i = 0; i < 256; i++)
        binary[i] = (char)(i == '?' ? 0 : i);
    binary[256] = '?';
    assert_reply(fd, binary, sizeof binary, "Error: unknown aphorism.", 24);

    /* 1 MiB: "Simple is better than?" over and over (22 bytes, 8 back each). */
    size_t count = big_size() / 22;
    char *questions = malloc(count * 22), *answers = malloc(count * 8);
    ck_assert(questions != NULL && answers != NULL);
    for (size_t i = 0; i < count; i++) {
        memcpy(questions + i * 22, "Simple is better than?", 22);
        memcpy(answers + i * 8, "Complex.", 8);
    }
    assert_reply(fd, questions, count * 22, answers, count * 8);
    close(fd);

    fd = connect_or_fail(s);
    assert_reply_then_eof(fd, questions, 1000 * 22, answers, 1000 * 8);
    close(fd);
    free(questions);
    free(answers);
}

/* async_echo's core: a line in pieces, all 256 byte values, 1 MiB with no newline,
 * and a half-close with 256 KiB still to echo. */
static void echo_core(const struct server *s)
{
    int fd = connect_or_fail(s);
    ck_assert_int_eq(send_all(fd, "hel", 3), 0);
    ck_assert_int_eq(send_all(fd, "lo wor", 6), 0);
    ck_assert_int_eq(send_all(fd, "ld\n", 3), 0);
    char got[16];
    ck_assert_int_eq(recv_exact(fd, got, 12, 10000), 12);
    ck_assert_mem_eq(got, "hello world\n", 12);

    char every[256];
    for (int i = 0; i < 256; i++)
        every[i] = (char)i;
    assert_reply(fd, every, sizeof every, every, sizeof every);

    size_t size = big_size();
    char *data = malloc(size);
    ck_assert_ptr_nonnull(data);
    unsigned x = 2024;
    for (size_t i = 0; i < size; i++) {
        data[i] = (char)((x = x * 1103515245 + 12345) >> 16);
        if (data[i] == '\n')
            data[i] = 'n';
    }
    assert_reply(fd, data, size, data, size);
    close(fd);

    fd = connect_or_fail(s);
    assert_reply_then_eof(fd, data, 256 * 1024, data, 256 * 1024);
    close(fd);
    free(data);
}

/* Under short transfers, EINTR and spurious EAGAIN, each server still delivers every
 * byte of its core exchange (pieces, coalesced, binary, 1 MiB, half-close) and exits 0
 * on SIGTERM. */
START_TEST(core_exchange_under_faults)
{
    int which = _i % SERVERS;
    NEED_EPOLL_IF(which == ECHO_EPOLL);
    NEED_SHIM_AND_PROC();
    ck_assert(fault_injection(profiles[_i / SERVERS]));
    struct server s;
    start(&s, which);
    int before = count_open_fds(s.child.pid);
    if (which == ZEN)
        zen_core(&s);
    else
        echo_core(&s);
    stop_when_idle(&s, before);
}
END_TEST

/* accept() interrupted (EINTR), failing for a client that gave up while it waited
 * (ECONNABORTED), or finding nobody after all (EAGAIN): every client is still taken,
 * those waiting together and those coming one by one. */
START_TEST(accept_faults_are_retried)
{
    enum { CLIENTS = 12 };
    NEED_EPOLL_IF(_i == ECHO_EPOLL);
    NEED_SHIM_AND_PROC();
    ck_assert(
        fault_injection("accept:eintr@every=2;accept:econnreset@every=3;accept:eagain@every=5"));
    struct server s;
    start(&s, _i);
    int before = count_open_fds(s.child.pid);
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) /* all waiting in the backlog at once */
        fds[i] = connect_or_fail(&s);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < CLIENTS; i++) {
            if (_i == ZEN)
                assert_reply(fds[i], "Explicit is better than?", 24, "Implicit.", 9);
            else
                assert_reply(fds[i], "accepted?", 9, "accepted?", 9);
            close(fds[i]);
            if (round == 1)
                continue;
            fds[i] = connect_or_fail(&s); /* and again, one at a time */
        }
    }
    stop_when_idle(&s, before);
}
END_TEST

/* The server's first recv() fails with ECONNRESET, or its first send() with EPIPE (as
 * after a reset by the client): that client is dropped and logged, and a bystander
 * connected before it and a client coming after are served as if nothing happened. */
START_TEST(reset_costs_only_that_client)
{
    int which = _i % SERVERS;
    bool on_send = _i >= SERVERS;
    NEED_EPOLL_IF(which == ECHO_EPOLL);
    NEED_SHIM_AND_PROC();
    ck_assert(fault_injection(on_send ? "send:epipe@nth=1" : "recv:econnreset@nth=1"));
    struct server s;
    start(&s, which);
    int before = count_open_fds(s.child.pid);
    int bystander = connect_or_fail(&s); /* connected, silent for now: no recv for it yet */
    int victim = connect_or_fail(&s);
    const char *question = "Simple is better than?";
    ck_assert_int_eq(send_all(victim, question, 22), 0);
    /* No reply, then the end: EOF, or a reset (its bytes may be unread when it closes). */
    size_t len;
    char *rest = recv_until_eof(victim, &len, 10000);
    ck_assert_msg(rest != NULL || errno == ECONNRESET, "victim still connected: %s",
                  strerror(errno));
    if (rest != NULL)
        ck_assert_uint_eq(len, 0);
    free(rest);
    close(victim);
    const char *expected =
        which == ZEN ? (on_send ? "closed before we sent 8 bytes" : "Connection reset by peer")
                     : (on_send ? "Broken pipe" : "Connection reset by peer");
    ck_assert(wait_for_stderr(&s.child, expected, 10000));
    const char *reply = which == ZEN ? "Complex." : question;
    size_t reply_len = strlen(reply);
    assert_reply(bystander, question, 22, reply, reply_len);
    int late = connect_or_fail(&s);
    assert_reply(late, question, 22, reply, reply_len);
    assert_reply(bystander, question, 22, reply, reply_len);
    close(late);
    close(bystander);
    stop_when_idle(&s, before);
}
END_TEST

/* The signal handler's own write() to the self-pipe is interrupted (EINTR): the
 * server must still stop, exit 0, and promptly. */
START_TEST(sigterm_when_the_wakeup_write_is_interrupted)
{
    NEED_EPOLL_IF(_i == ECHO_EPOLL);
    NEED_SHIM_AND_PROC();
    ck_assert(fault_injection("write:eintr@nth=1"));
    struct server s;
    start(&s, _i);
    int before = count_open_fds(s.child.pid);
    int fd = connect_or_fail(&s);
    if (_i == ZEN)
        assert_reply(fd, "Beautiful is better than?", 25, "Ugly.", 5);
    else
        assert_reply(fd, "ping", 4, "ping", 4);
    close(fd);
    long long start_ms = monotonic_ms();
    stop_when_idle(&s, before);
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(2000));
}
END_TEST

/* zen_client under short sends and receives and EINTR: three questions, three right
 * answers (it checks them itself: exit 0), and -e still sends its 24 bytes. */
START_TEST(zen_client_under_faults)
{
    NEED_SHIM_AND_PROC();
    struct server s;
    start(&s, ZEN); /* the server without faults: only the client is tested */
    int before = count_open_fds(s.child.pid);
    ck_assert(fault_injection(profiles[0]));
    char port[16];
    snprintf(port, sizeof port, "%d", s.port);
    for (int i = 0; i < 3; i++) {
        struct run r;
        const char *argv[] = {"./zen_client", "-p", port, NULL};
        ck_assert_int_eq(run_program(&r, NULL, 0, 20000, argv, 0), 0);
        ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
        ck_assert_int_eq(count_lines(r.out, "Beautiful is better than? Ugly."), 1);
        ck_assert_int_eq(count_lines(r.out, "Explicit is better than? Implicit."), 1);
        ck_assert_int_eq(count_lines(r.out, "Simple is better than? Complex."), 1);
        run_free(&r);
    }
    struct run r;
    const char *argv[] = {"./zen_client", "-p", port, "-e", NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 20000, argv, 0), 0);
    ck_assert_int_eq(r.code, 0);
    run_free(&r);
    ck_assert(wait_for_stderr(&s.child, "closed mid-question after 24 bytes", 10000));
    fault_injection(NULL);
    stop_when_idle(&s, before);
}
END_TEST

/* loadgen (both backends, small and 100 kB messages) under short transfers, EINTR and
 * spurious EAGAIN: it still checks every byte of every echo, finds no mismatch, no
 * error, and completes round trips. */
START_TEST(loadgen_under_faults)
{
    static const char *const cases[][2] = {
        {"poll", "64"}, {"epoll", "100000"}, {"poll", "100000"}, {"epoll", "64"}};
    const char *backend = cases[_i][0], *size = cases[_i][1], *profile = profiles[_i / 2];
    NEED_EPOLL_IF(strcmp(backend, "epoll") == 0);
    NEED_SHIM_AND_PROC();
    struct server s;
    const char *argv[] = {"./async_echo", "-q", "-p", "0", NULL};
    ck_assert_int_eq(server_start(&s, argv), 0);
    int before = count_open_fds(s.child.pid);
    ck_assert(fault_injection(profile));
    char port[16], seconds[16];
    snprintf(port, sizeof port, "%d", s.port);
    snprintf(seconds, sizeof seconds, "%.1f",
             scaled_ms(200) > 3000 ? 3.0 : scaled_ms(200) / 1000.0);
    const char *gen[] = {"./loadgen", "-p", port,    "-c", "10",    "-s",
                         size,        "-d", seconds, "-b", backend, NULL};
    struct run r;
    ck_assert_int_eq(run_program(&r, NULL, 0, 30000, gen, 0), 0);
    ck_assert_msg(r.code == 0, "loadgen -b %s -s %s under '%s': exit %d\n%s", backend, size,
                  profile, r.code, r.err);
    int conns = -1, errors = -1, mismatches = -1;
    long rps = -1;
    ck_assert_int_eq(sscanf(r.out, "conns=%d rps=%ld p50_us=%*d p99_us=%*d errors=%d mismatches=%d",
                            &conns, &rps, &errors, &mismatches),
                     4);
    ck_assert_int_eq(conns, 10);
    ck_assert_int_gt(rps, 0);
    ck_assert_int_eq(errors, 0);
    ck_assert_int_eq(mismatches, 0);
    run_free(&r);
    fault_injection(NULL);
    stop_when_idle(&s, before);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("servers");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, core_exchange_under_faults, 0, SERVERS * PROFILES);
    tcase_add_loop_test(tc, accept_faults_are_retried, 0, SERVERS);
    tcase_add_loop_test(tc, reset_costs_only_that_client, 0, SERVERS * 2);
    tcase_add_loop_test(tc, sigterm_when_the_wakeup_write_is_interrupted, 0, SERVERS);
    suite_add_tcase(s, tc);

    tc = tcase_create("clients");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, zen_client_under_faults);
    tcase_add_loop_test(tc, loadgen_under_faults, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(faults_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
