/* check_faults.c -- both servers of 05-select-server again, this time under the fault
 * shim (tests/fault_inject.so, LD_PRELOAD: fault_inject.c says what the rules mean). The
 * network makes send and recv return short counts, EINTR, and (select_echo's sockets are
 * non-blocking) EAGAIN though select said "ready"; accept fails with EINTR, ECONNABORTED
 * and EAGAIN; a client's connection breaks with ECONNRESET or EPIPE at any moment. Each
 * server must still deliver every byte, cost a broken client nobody else, and exit 0 on
 * SIGTERM. The test process itself runs without the shim: only the programs it starts
 * after fault_injection() have it. Every test runs once per server (a Check loop test). */
#include "harness.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* accept interrupted, aborted (a client that reset while queued), or with nothing there. */
#define ACCEPT_FAULTS "accept:eintr@every=2;accept:econnreset@every=3;accept:eagain@every=5"

struct kind {
    const char *name;
    const char *argv[8];
};

/* select_server's standard input is /dev/null here: not watched (check_select_server). */
static const struct kind kinds[] = {
    {"select_server", {"./select_server", "-p", "0", "-q", NULL}},
    {"select_echo", {"./select_echo", "-p", "0", "-q", NULL}},
};
#define KINDS ((int)(sizeof kinds / sizeof kinds[0]))

static void start(struct server *s, int kind)
{
    ck_assert_msg(server_start(s, kinds[kind].argv) == 0, "%s did not start", kinds[kind].name);
}

/* SIGTERM: exit status 0, and (all run with -q) nothing on stderr: no complaint about a
 * retried accept, no child that ended abnormally. */
static void stop_quietly(struct server *s, const char *name)
{
    char *err;
    int code = server_stop_keep_stderr(s, &err);
    ck_assert_msg(code == 0, "%s: exit code %d after SIGTERM", name, code);
    ck_assert_msg(err[0] == '\0', "%s said: %s", name, err);
    free(err);
}

/* Is FD closed by the server (EOF or reset, and no data) within MS? */
static bool closed_by_server(int fd, int ms)
{
    if (nothing_arrives(fd, ms))
        return false;
    char byte;
    return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

/* The core of every echo test: a line in three pieces, all 256 byte values twice, and
 * 1 MiB of random bytes (256 KiB under valgrind, where the shim's thousands of short
 * transfers cost seconds), each echoed exactly. */
static void echo_core(int fd)
{
    const char *pieces[] = {"hel", "lo w", "orld\n"};
    for (int i = 0; i < 3; i++) {
        char got[8];
        size_t len = strlen(pieces[i]);
        ck_assert_int_eq(send_all(fd, pieces[i], len), 0);
        ck_assert_int_eq(recv_exact(fd, got, len, 3000), (ssize_t)len);
        ck_assert_mem_eq(got, pieces[i], len);
    }
    unsigned char all[512];
    for (int i = 0; i < 512; i++)
        all[i] = (unsigned char)i;
    ck_assert_int_eq(echo_round_trip(fd, all, sizeof all, 3000), 0);
    size_t len = under_valgrind() ? 256u << 10 : 1u << 20;
    char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    fill_random(data, len, 1);
    ck_assert_msg(echo_round_trip(fd, data, len, 15000) == 0, "the big echo was not exact");
    free(data);
}

/* Two clients connected at once: the first is echoed a byte, then each gets the echo
 * core back while the other stays connected. */
static void two_clients_get_every_byte(const struct server *s)
{
    int a = connect_or_fail(s), b = connect_or_fail(s);
    ck_assert_int_eq(echo_round_trip(a, "a", 1, 3000), 0);
    echo_core(b);
    echo_core(a);
    close(a);
    close(b);
}

/* Short reads and writes and EINTR everywhere: two clients at once each get every byte
 * back (a line in pieces, all byte values, 1 MiB), and SIGTERM still gives exit 0. */
START_TEST(echo_servers_deliver_every_byte_under_short_io_and_eintr)
{
    SKIP_UNLESS(fault_injection(SHORT_AND_EINTR), "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    two_clients_get_every_byte(&s);
    ck_assert_int_eq(echo_once(&s, "and a third\n", 3000), 0);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* select_echo's sockets are non-blocking: recv and send also fail with EAGAIN (every
 * other call) though select said they were ready, on top of short transfers and EINTR.
 * The echo still comes back whole (select_server: only its listener is non-blocking).
 * (EAGAIN goes to the socket calls only, not to write(): the signal handler's write to its
 * non-blocking self-pipe rightly takes EAGAIN as "the pipe is full, a byte is there".) */
START_TEST(echo_servers_deliver_every_byte_under_eagain)
{
    SKIP_UNLESS(fault_injection("send+recv+accept:eagain@every=2;io:short;io:eintr@every=5"),
                "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    two_clients_get_every_byte(&s);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(echo_once(&s, "and more\n", 3000), 0);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* SIGTERM's handler writes a byte to the self-pipe; that write meets EINTR first (the
 * server's first write() call): the handler tries again, and the stop is not lost. */
START_TEST(stop_is_not_lost_when_the_self_pipe_write_is_interrupted)
{
    SKIP_UNLESS(fault_injection("write:eintr@nth=1"), "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    ck_assert_int_eq(echo_once(&s, "x", 3000), 0);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* accept fails with EINTR, ECONNABORTED and EAGAIN on a schedule: every failure is
 * retried without a word, and each of twenty clients in a row is served. */
START_TEST(accept_faults_are_retried)
{
    SKIP_UNLESS(fault_injection(ACCEPT_FAULTS), "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    for (int i = 0; i < 20; i++)
        ck_assert_msg(echo_once(&s, "accepted\n", 3000) == 0, "client %d not served", i);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* The server's second recv fails with
 * ECONNRESET: that client's connection is closed and nobody else notices. The victim is
 * echoed once, then dropped; a client connected all along and a new one are served. */
START_TEST(econnreset_costs_only_that_client)
{
    SKIP_UNLESS(fault_injection("recv:econnreset@nth=2"), "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    int victim = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(victim, "v", 1, 3000), 0); /* recv 1 */
    ck_assert_int_eq(send_all(victim, "w", 1), 0);              /* recv 2: reset */
    ck_assert_msg(closed_by_server(victim, scaled_ms(3000)), "the victim was not dropped");
    close(victim);
    int other = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(other, "still served\n", 13, 3000), 0);
    ck_assert_int_eq(echo_round_trip(other, "and again\n", 10, 3000), 0);
    ck_assert_int_eq(echo_once(&s, "new\n", 3000), 0);
    close(other);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* The server's second send fails with EPIPE:
 * that client is dropped without its echo; a client connected before it goes on being
 * served, and so does a new one. */
START_TEST(epipe_costs_only_that_client)
{
    SKIP_UNLESS(fault_injection("send:epipe@nth=2"), "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    int other = connect_or_fail(&s), victim;
    ck_assert_int_eq(echo_round_trip(other, "o", 1, 3000), 0); /* send 1 */
    victim = connect_or_fail(&s);
    ck_assert_int_eq(send_all(victim, "lost", 4), 0);
    ck_assert_msg(closed_by_server(victim, scaled_ms(3000)), "the victim was not dropped");
    close(victim);
    ck_assert_int_eq(echo_round_trip(other, "still served\n", 13, 3000), 0);
    ck_assert_int_eq(echo_once(&s, "new\n", 3000), 0);
    close(other);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* select_server's standard input is a pipe too: its reads are short and interrupted.
 * Half a line does not stop the server, which serves a client meanwhile; the rest of the
 * line does, with exit status 0. */
START_TEST(select_server_reads_its_stdin_line_under_faults)
{
    ck_assert_str_eq(kinds[_i].name, "select_server");
    SKIP_UNLESS(fault_injection("read:short;io:eintr@every=2"), "needs Linux (LD_PRELOAD)");
    struct server s;
    const char *argv[] = {"./select_server", "-p", "0", "-q", NULL};
    ck_assert_int_eq(server_start_flags(&s, argv, CHILD_STDIN_PIPE), 0);
    ck_assert_int_eq(write(s.child.in, "not a line yet", 14), 14);
    ck_assert_int_eq(echo_once(&s, "still serving\n", 3000), 0);
    ck_assert(nothing_arrives(s.child.out, 200)); /* not stopped: no EOF on its stdout */
    ck_assert_int_eq(write(s.child.in, ", now it is\n", 13), 13);
    int code = child_wait(&s.child, scaled_ms(2000));
    ck_assert_int_eq(code, 0);
    child_close(&s.child);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("05-select-server under injected faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, echo_servers_deliver_every_byte_under_short_io_and_eintr, 0, KINDS);
    tcase_add_loop_test(tc, echo_servers_deliver_every_byte_under_eagain, 0, KINDS);
    tcase_add_loop_test(tc, stop_is_not_lost_when_the_self_pipe_write_is_interrupted, 0, KINDS);
    tcase_add_loop_test(tc, accept_faults_are_retried, 0, KINDS);
    tcase_add_loop_test(tc, econnreset_costs_only_that_client, 0, KINDS);
    tcase_add_loop_test(tc, epipe_costs_only_that_client, 0, KINDS);
    /* Only select_server (0) reads its standard input. */
    tcase_add_loop_test(tc, select_server_reads_its_stdin_line_under_faults, 0, 1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    SRunner *runner = srunner_create(faults_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
