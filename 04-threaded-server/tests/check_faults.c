/* check_faults.c -- every program of 04-threaded-server again, this time under the fault
 * shim (tests/fault_inject.so, LD_PRELOAD: fault_inject.c says what the rules mean). The
 * network makes send and recv return short counts and EINTR, accept fail with EINTR,
 * ECONNABORTED and EAGAIN, and a client's connection break with ECONNRESET or EPIPE at any
 * moment: each program must still deliver every byte, cost a broken client nobody else,
 * and exit 0 on SIGTERM. The test process itself runs without the shim: only the programs
 * it starts after fault_injection() have it (forking_server's children inherit it, which
 * is what we want: they do the serving).
 *
 * The echo servers run once per kind (a Check loop test), mixin_server once per mode. */
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

#define PREFIX     "INI DATA BALASAN : "
#define PREFIX_LEN (sizeof PREFIX - 1)

struct kind {
    const char *name;
    const char *argv[8];
    bool forks; /* a process per client: each child counts its own calls */
};

static const struct kind kinds[] = {
    {"threaded_server", {"./threaded_server", "-p", "0", "-q", NULL}, false},
    {"forking_server", {"./forking_server", "-p", "0", "-q", NULL}, true},
    {"pool_server", {"./pool_server", "-p", "0", "-q", "-n", "8", NULL}, false},
};
#define KINDS ((int)(sizeof kinds / sizeof kinds[0]))

static const char *const modes[] = {"serial", "thread", "fork"};
enum { SERIAL, THREAD, FORK, MODES };

static void start(struct server *s, int kind)
{
    ck_assert_msg(server_start(s, kinds[kind].argv) == 0, "%s did not start", kinds[kind].name);
}

static void start_mixin(struct server *s, int mode)
{
    const char *argv[] = {"./mixin_server", "-p", "0", "-q", "-m", modes[mode], NULL};
    ck_assert_msg(server_start(s, argv) == 0, "mixin_server -m %s did not start", modes[mode]);
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

/* Short reads and writes and EINTR everywhere: two clients at once each get every byte
 * back (a line in pieces, all byte values, 1 MiB), and SIGTERM still gives exit 0. */
START_TEST(echo_servers_deliver_every_byte_under_short_io_and_eintr)
{
    SKIP_UNLESS(fault_injection(SHORT_AND_EINTR), "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    int a = connect_or_fail(&s), b = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(a, "a", 1, 3000), 0);
    echo_core(b);
    echo_core(a);
    close(a);
    close(b);
    ck_assert_int_eq(echo_once(&s, "and a third\n", 3000), 0);
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

/* The server's second recv (in a forking server: each child's second) fails with
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
    if (!kinds[_i].forks) /* a forked child would fail its own second recv too */
        ck_assert_int_eq(echo_round_trip(other, "and again\n", 10, 3000), 0);
    ck_assert_int_eq(echo_once(&s, "new\n", 3000), 0);
    close(other);
    if (have_proc())
        ck_assert_int_eq(wait_for_count(count_children, s.child.pid, 0, 5000), 0);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* The server's second send (in a forking server: each child's second) fails with EPIPE:
 * that client is dropped without its echo; a client connected before it goes on being
 * served, and so does a new one. */
START_TEST(epipe_costs_only_that_client)
{
    SKIP_UNLESS(fault_injection("send:epipe@nth=2"), "needs Linux (LD_PRELOAD)");
    struct server s;
    start(&s, _i);
    int other = connect_or_fail(&s), victim;
    ck_assert_int_eq(echo_round_trip(other, "o", 1, 3000), 0); /* send 1 (its own child's 1) */
    victim = connect_or_fail(&s);
    if (kinds[_i].forks) /* the victim's child: send 1 works, send 2 fails */
        ck_assert_int_eq(echo_round_trip(victim, "v", 1, 3000), 0);
    ck_assert_int_eq(send_all(victim, "lost", 4), 0);
    ck_assert_msg(closed_by_server(victim, scaled_ms(3000)), "the victim was not dropped");
    close(victim);
    if (!kinds[_i].forks)
        ck_assert_int_eq(echo_round_trip(other, "still served\n", 13, 3000), 0);
    else
        ck_assert(nothing_arrives(other, 100)); /* still connected */
    ck_assert_int_eq(echo_once(&s, "new\n", 3000), 0);
    close(other);
    stop_quietly(&s, kinds[_i].name);
}
END_TEST

/* One mixin request: send LEN bytes, shut down writing, return the reply (until EOF). */
static char *mixin_request(const struct server *s, const void *data, size_t len, size_t *reply_len)
{
    int fd = connect_or_fail(s);
    ck_assert_int_eq(send_all(fd, data, len), 0);
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    char *reply = recv_until_eof(fd, reply_len, 5000);
    ck_assert_msg(reply != NULL, "no reply then EOF");
    close(fd);
    return reply;
}

/* mixin_server in each mode, with short sends, EINTR everywhere and the accept faults:
 * every reply is whole (the prefix and every byte of the request, all 256 values too). Its
 * one recv must not be short here: a short recv answers fewer bytes (next test). */
START_TEST(mixin_replies_whole_under_short_sends_and_eintr)
{
    SKIP_UNLESS(fault_injection("send:short;io:eintr@every=3;" ACCEPT_FAULTS),
                "needs Linux (LD_PRELOAD)");
    struct server s;
    start_mixin(&s, _i);
    unsigned char binary[256];
    for (int i = 0; i < 256; i++)
        binary[i] = (unsigned char)(255 - i);
    for (int round = 0; round < 10; round++) {
        size_t len;
        const void *data = round % 2 ? (const void *)binary : "halo, dunia";
        size_t data_len = round % 2 ? sizeof binary : 11;
        char *reply = mixin_request(&s, data, data_len, &len);
        ck_assert_uint_eq(len, PREFIX_LEN + data_len);
        ck_assert_mem_eq(reply, PREFIX, PREFIX_LEN);
        ck_assert_mem_eq(reply + PREFIX_LEN, data, data_len);
        free(reply);
    }
    stop_quietly(&s, modes[_i]);
}
END_TEST

/* Read from FD into BUF (SIZE bytes) until EOF, a reset or MS pass; returns the count. */
static size_t recv_until_end(int fd, char *buf, size_t size, int ms)
{
    size_t got = 0;
    while (got < size && !nothing_arrives(fd, ms)) {
        ssize_t n = recv(fd, buf + got, size - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* The lecture's handler does ONE recv: when it is short (at most 512 of the 1024 bytes it
 * asks for), the reply carries exactly the bytes that recv returned, a non-empty start of
 * the 1000-byte request, like a request that the network split. (The server then closes
 * with the rest unread: that is a reset, after the reply.) */
START_TEST(mixin_short_recv_answers_what_arrived)
{
    SKIP_UNLESS(fault_injection("recv:short"), "needs Linux (LD_PRELOAD)");
    struct server s;
    start_mixin(&s, _i);
    char request[1000], reply[PREFIX_LEN + sizeof request];
    fill_random(request, sizeof request, 1);
    int fd = connect_or_fail(&s);
    ck_assert_int_eq(send_all(fd, request, sizeof request), 0);
    size_t len = recv_until_end(fd, reply, sizeof reply, scaled_ms(3000));
    close(fd);
    ck_assert_uint_gt(len, PREFIX_LEN);
    ck_assert_uint_le(len, PREFIX_LEN + 512);
    ck_assert_mem_eq(reply, PREFIX, PREFIX_LEN);
    ck_assert_mem_eq(reply + PREFIX_LEN, request, len - PREFIX_LEN);
    stop_quietly(&s, modes[_i]);
}
END_TEST

/* The first request's recv fails with ECONNRESET (in fork mode: every child's first, so
 * every request): that request gets no reply and ends; the server serves the next one
 * (serial, thread), reaps every child (fork) and exits 0. */
START_TEST(mixin_econnreset_costs_only_that_request)
{
    SKIP_UNLESS(fault_injection("recv:econnreset@nth=1"), "needs Linux (LD_PRELOAD)");
    struct server s;
    start_mixin(&s, _i);
    for (int i = 0; i < 3; i++) {
        if (i == 0 || _i == FORK) { /* dropped without a word (a reset: "data" unread) */
            int fd = connect_or_fail(&s);
            ck_assert_int_eq(send_all(fd, "data", 4), 0);
            ck_assert_msg(closed_by_server(fd, scaled_ms(3000)), "request %d answered", i);
            close(fd);
            continue;
        }
        size_t len;
        char *reply = mixin_request(&s, "data", 4, &len);
        ck_assert_uint_eq(len, PREFIX_LEN + 4);
        ck_assert_mem_eq(reply, PREFIX "data", len);
        free(reply);
    }
    if (have_proc())
        ck_assert_int_eq(wait_for_count(count_children, s.child.pid, 0, 5000), 0);
    stop_quietly(&s, modes[_i]);
}
END_TEST

/* Run multi_client -n 20 against PORT; returns its results. */
static void run_twenty_clients(struct run *r, int port)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    const char *argv[] = {"./multi_client", "-p", port_text, "-n", "20", "-t", "10", NULL};
    ck_assert_int_eq(run_program(r, NULL, 0, 30000, argv, 0), 0);
}

/* multi_client and threaded_server both under short reads and writes and EINTR: all
 * twenty clients get their own echo, exit 0; the server exits 0 too. */
START_TEST(multi_client_gets_every_echo_under_short_io_and_eintr)
{
    SKIP_UNLESS(fault_injection(SHORT_AND_EINTR), "needs Linux (LD_PRELOAD)");
    struct server s;
    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./threaded_server", "-p", "0", "-q", NULL}), 0);
    struct run r;
    run_twenty_clients(&r, s.port);
    ck_assert_msg(r.code == 0, "multi_client exit %d; stderr:\n%s", r.code, r.err);
    for (int i = 1; i <= 20; i++) {
        char line[64];
        snprintf(line, sizeof line, "Received b'Hello, world (%d)'", i);
        ck_assert_msg(count_lines(r.out, line) == 1, "'%s' not exactly once", line);
    }
    ck_assert_str_eq(r.err, "");
    run_free(&r);
    stop_quietly(&s, "threaded_server");
}
END_TEST

/* One of multi_client's twenty connections breaks (its first recv: ECONNRESET; or its
 * first send: EPIPE): that client reports it, the other nineteen get their echo, and the
 * exit status says that not all did. The server runs without faults. */
START_TEST(multi_client_counts_a_broken_client_as_one_failure)
{
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    struct server s;
    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./threaded_server", "-p", "0", "-q", NULL}), 0);
    const char *rules[] = {"recv:econnreset@nth=1", "send:epipe@nth=1"};
    const char *reasons[] = {"recv: Connection reset by peer", "send: Broken pipe"};
    for (int k = 0; k < 2; k++) {
        fault_injection(rules[k]);
        struct run r;
        run_twenty_clients(&r, s.port);
        ck_assert_int_eq(r.code, 1);
        int received = 0, broken = 0;
        for (int i = 1; i <= 20; i++) {
            char line[96];
            snprintf(line, sizeof line, "Received b'Hello, world (%d)'", i);
            received += count_lines(r.out, line);
            snprintf(line, sizeof line, "multi_client: client %d: %s", i, reasons[k]);
            broken += count_lines(r.err, line);
        }
        ck_assert_int_eq(received, 19);
        ck_assert_int_eq(broken, 1);
        ck_assert_int_eq(count_lines(r.err, "multi_client: 19 of 20 clients got their echo"), 1);
        run_free(&r);
    }
    fault_injection(NULL);
    ck_assert_int_eq(echo_once(&s, "the server is fine\n", 3000), 0);
    stop_quietly(&s, "threaded_server");
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("04-threaded-server under injected faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, echo_servers_deliver_every_byte_under_short_io_and_eintr, 0, KINDS);
    tcase_add_loop_test(tc, stop_is_not_lost_when_the_self_pipe_write_is_interrupted, 0, KINDS);
    tcase_add_loop_test(tc, accept_faults_are_retried, 0, KINDS);
    tcase_add_loop_test(tc, econnreset_costs_only_that_client, 0, KINDS);
    tcase_add_loop_test(tc, epipe_costs_only_that_client, 0, KINDS);
    tcase_add_loop_test(tc, mixin_replies_whole_under_short_sends_and_eintr, 0, MODES);
    tcase_add_loop_test(tc, mixin_short_recv_answers_what_arrived, 0, MODES);
    tcase_add_loop_test(tc, mixin_econnreset_costs_only_that_request, 0, MODES);
    tcase_add_test(tc, multi_client_gets_every_echo_under_short_io_and_eintr);
    tcase_add_test(tc, multi_client_counts_a_broken_client_as_one_failure);
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
