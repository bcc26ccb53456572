/* check_faults.c -- targeted faults, beyond the reruns of check_echo.c and
 * check_upper_greet.c (which repeat every test with all calls short and interrupted):
 * accept failing with EINTR and ECONNABORTED, ECONNRESET or EPIPE on one connection
 * (it must cost only that client), short transfers and EINTR at random from fixed
 * seeds, a faulted client's reset, and upper_server's one recv cut short. The shim is
 * tests/fault_inject.so (see fault_inject.c).
 *
 * fault_injection(RULES) comes before the programs a test starts: those started after
 * it run under the shim (Check runs each test in its own process). A test that wants
 * only the client faulted starts the server first. */
#include "harness.h"

#include <check.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Short transfers and EINTR at random, for the seeded runs. */
#define RANDOM_FAULTS "io:short@p=0.6;io+accept:eintr@p=0.25"

/* Under valgrind everything is 20-50 times slower: the big transfers get smaller. */
static size_t big(size_t len)
{
    return getenv("RUN_UNDER") != NULL ? len / 4 : len;
}

/* Every test here needs the shim: where it cannot be preloaded (not Linux, or
 * KIT_HIDE=preload), the test is skipped with one line saying why. */
#define NEEDS_SHIM() SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD, for the fault shim)")

/* Wait up to TIMEOUT_MS for NEEDLE in the stderr of C (a server writes its note about a
 * connection after it has closed it, so after the client saw the end); the test fails
 * if it never came. */
static void assert_note(const struct child *c, const char *needle, int timeout_ms)
{
    if (!wait_for_stderr(c, needle, timeout_ms)) {
        char *err = child_stderr(c);
        ck_abort_msg("no '%s' in:\n%s", needle, err);
        free(err);
    }
}

/* echo_server: 256 KiB of random bytes and all 256 byte values come back; after the
 * client closes, the server's note counts every byte. */
static void echo_served(const struct server *s)
{
    size_t len = big(256 * 1024);
    char *data = malloc(len), note[96];
    fill_random(data, len, 11);
    for (size_t i = 0; i < 256; i++)
        data[i] = (char)i;
    int fd = connect_or_fail(s);
    assert_echo(fd, data, len);
    close(fd);
    free(data);
    snprintf(note, sizeof note, " after echoing %zu bytes\n", len);
    assert_note(&s->child, note, 5000);
}

/* upper_server: a request, stripped and upper-cased, then the server closes. */
static void upper_served(const struct server *s)
{
    size_t len;
    int fd = connect_or_fail(s);
    ck_assert_int_eq(send_all(fd, "  hello World\t\xff\0z\r\n", 19), 0);
    char *back = recv_until_eof(fd, &len, 30000);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(len, 15);
    ck_assert_int_eq(memcmp(back, "HELLO WORLD\t\xff\0Z", 15), 0);
    free(back);
    close(fd);
}

/* greet_server: the 24 bytes of the greeting, then the server closes. */
static void greet_served(const struct server *s)
{
    size_t len;
    int fd = connect_or_fail(s);
    char *back = recv_until_eof(fd, &len, 30000);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(len, 24);
    ck_assert_str_eq(back, "Thank you for connecting");
    free(back);
    close(fd);
}

static const struct server_kind {
    const char *program;
    void (*assert_served)(const struct server *s);
} kinds[] = {
    {"./echo_server", echo_served},
    {"./upper_server", upper_served},
    {"./greet_server", greet_served},
};
#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

static void start(struct server *s, const char *program)
{
    ck_assert_int_eq(server_start(s, (const char *const[]){program, "-p", "0", NULL}), 0);
}

/* --- Every server -------------------------------------------------------------------- */

/* accept() interrupted (EINTR) every second call, and failing with ECONNABORTED (a
 * client that reset while queued) every third: each is retried at once, without a
 * word on stderr, and six clients in a row are served. */
START_TEST(server_retries_accept_eintr_and_econnaborted)
{
    NEEDS_SHIM();
    const struct server_kind *kind = &kinds[_i];
    struct server s;
    fault_injection("accept:eintr@every=2;accept:econnreset@every=3");
    start(&s, kind->program);
    for (int i = 0; i < 6; i++)
        kind->assert_served(&s);
    char *err = child_stderr(&s.child);
    ck_assert_msg(strstr(err, "accept") == NULL, "stderr:\n%s", err);
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* The first connection's first recv fails with ECONNRESET, or its first send with
 * EPIPE, as when a client resets: that client gets nothing (greet_server: it had its
 * greeting before it read anything), and the next client is served in full. */
static const struct reset_case {
    int kind;
    const char *rule;
    size_t victim_gets; /* bytes the first client still receives */
    const char *note;   /* what the server says about it on stderr */
} reset_cases[] = {
    {0, "recv:econnreset@nth=1", 0, "after echoing 0 bytes: Connection reset by peer"},
    {0, "send:epipe@nth=1", 0, "after echoing 0 bytes: Broken pipe"},
    {1, "recv:econnreset@nth=1", 0, "127.0.0.1: recv: Connection reset by peer"},
    {1, "send:epipe@nth=1", 0, "127.0.0.1: send: Broken pipe"},
    {2, "recv:econnreset@nth=1", 24, "Got connection from"},
    {2, "send:epipe@nth=1", 0, ": send: Broken pipe"},
};

START_TEST(one_reset_costs_only_that_client)
{
    NEEDS_SHIM();
    const struct reset_case *c = &reset_cases[_i];
    const struct server_kind *kind = &kinds[c->kind];
    struct server s;
    char buf[64];
    fault_injection(c->rule);
    start(&s, kind->program);
    int victim = connect_or_fail(&s);
    ck_assert_int_eq(send_all(victim, "hello", 5), 0);
    ssize_t got = recv_exact(victim, buf, sizeof buf, 10000); /* until EOF (or a reset) */
    ck_assert_int_eq(got < 0 ? 0 : got, (ssize_t)c->victim_gets);
    close(victim);
    kind->assert_served(&s);
    assert_note(&s.child, c->note, 5000);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* Faults at random (short transfers, EINTR), from four different seeds: the echo
 * server still gets every byte of three clients back to them. */
START_TEST(echo_server_under_random_faults)
{
    NEEDS_SHIM();
    char seed[16];
    struct server s;
    snprintf(seed, sizeof seed, "%d", 1000 + _i);
    setenv("FAULT_SEED", seed, 1);
    fault_injection(RANDOM_FAULTS);
    start(&s, "./echo_server");
    size_t len = big(256 * 1024);
    char *data = malloc(len);
    for (int i = 0; i < 3; i++) {
        int fd = connect_or_fail(&s);
        fill_random(data, len, (unsigned)(i + 20 * _i));
        assert_echo(fd, data, len);
        close(fd);
    }
    free(data);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* upper_server's protocol is the lecture's ONE recv: when that recv is short, only
 * the first part of the request is answered. Under `recv:short` the reply is always a
 * non-empty, upper-cased beginning of the request: documented, not a bug. */
START_TEST(upper_short_recv_cuts_the_request)
{
    NEEDS_SHIM();
    struct server s;
    fault_injection("recv:short");
    start(&s, "./upper_server");
    for (int i = 0; i < 5; i++) {
        size_t len;
        int fd = connect_or_fail(&s);
        ck_assert_int_eq(send_all(fd, "hello world", 11), 0);
        char *back = recv_until_eof(fd, &len, 10000);
        ck_assert_ptr_nonnull(back);
        ck_assert_uint_ge(len, 1);
        ck_assert_uint_le(len, 11);
        ck_assert_int_eq(strncmp(back, "HELLO WORLD", len), 0);
        free(back);
        close(fd);
    }
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- The clients ---------------------------------------------------------------------- */

/* `producer | echo_client - | consumer` with the client (stdin, stdout and socket)
 * and the server under short transfers and EINTR at random, from two seeds: 4 MiB of
 * random bytes come out byte for byte. */
START_TEST(echo_client_streams_under_random_faults)
{
    NEEDS_SHIM();
    size_t len = big(4 << 20);
    char *data = malloc(len), port[16], seed[16];
    fill_random(data, len, 14 + (unsigned)_i);
    snprintf(seed, sizeof seed, "%d", 2000 + _i);
    setenv("FAULT_SEED", seed, 1);
    fault_injection(RANDOM_FAULTS);
    struct server s;
    struct run r;
    start(&s, "./echo_server");
    snprintf(port, sizeof port, "%d", s.port);
    ck_assert_int_eq(run_program(&r, data, len, 60000,
                                 (const char *const[]){"./echo_client", "-p", port, "-", NULL}, 0),
                     0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_uint_eq(r.out_len, len);
    ck_assert_int_eq(memcmp(r.out, data, len), 0);
    ck_assert_str_eq(r.err, "");
    run_free(&r);
    ck_assert_int_eq(server_stop(&s), 0);
    free(data);
}
END_TEST

/* A client whose recv gets ECONNRESET (or whose send gets EPIPE) exits 1 with one
 * line naming it; the server (not faulted) serves the next client as if nothing
 * happened. */
START_TEST(echo_client_reset_or_epipe_is_one_line)
{
    NEEDS_SHIM();
    struct server s;
    struct run r;
    char port[16], expected[128];
    start(&s, "./echo_server");
    snprintf(port, sizeof port, "%d", s.port);
    const char *const argv[] = {"./echo_client", "-p", port, "hello", NULL};

    fault_injection(_i == 0 ? "recv:econnreset@nth=1" : "send:epipe@nth=1");
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000, argv, 0), 0);
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected, "echo_client: %s 127.0.0.1:%d: %s\n",
             _i == 0 ? "recv" : "send", s.port,
             _i == 0 ? "Connection reset by peer" : "Broken pipe");
    ck_assert_str_eq(r.err, expected);
    ck_assert_str_eq(r.out, "");
    run_free(&r);

    fault_injection(NULL);
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000, argv, 0), 0);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "Received 'hello'\n");
    run_free(&r);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* greet_client whose recv gets ECONNRESET: exit 1 and one line. */
START_TEST(greet_client_reset_is_one_line)
{
    NEEDS_SHIM();
    struct server s;
    struct run r;
    char port[16], expected[128];
    start(&s, "./greet_server");
    snprintf(port, sizeof port, "%d", s.port);
    fault_injection("recv:econnreset@nth=1");
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000,
                                 (const char *const[]){"./greet_client", "-p", port, NULL}, 0),
                     0);
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected,
             "greet_client: recv 127.0.0.1:%d: Connection reset by peer\n", s.port);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* netinfo's own accept (of its connection to itself) interrupted, then aborted: it
 * retries and reports the live connection, exit 0. */
START_TEST(netinfo_retries_accept)
{
    NEEDS_SHIM();
    struct run r;
    fault_injection("accept:eintr@nth=1;accept:econnreset@nth=2");
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 20000, (const char *const[]){"./netinfo", "127.0.0.1", NULL}, 0),
        0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\na live connection: listening on 127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n  accepted  getsockname() 127.0.0.1:"));
    ck_assert_str_eq(r.err, "");
    run_free(&r);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("02-tcp-echo under injected faults");
    TCase *servers = tcase_create("servers");
    tcase_set_timeout(servers, 60);
    tcase_add_loop_test(servers, server_retries_accept_eintr_and_econnaborted, 0, N_KINDS);
    tcase_add_loop_test(servers, one_reset_costs_only_that_client, 0,
                        (int)(sizeof reset_cases / sizeof reset_cases[0]));
    tcase_add_loop_test(servers, echo_server_under_random_faults, 0, 4);
    tcase_add_test(servers, upper_short_recv_cuts_the_request);
    suite_add_tcase(s, servers);

    TCase *clients = tcase_create("clients");
    tcase_set_timeout(clients, 60);
    tcase_add_loop_test(clients, echo_client_streams_under_random_faults, 0, 2);
    tcase_add_loop_test(clients, echo_client_reset_or_epipe_is_one_line, 0, 2);
    tcase_add_test(clients, greet_client_reset_is_one_line);
    tcase_add_test(clients, netinfo_retries_accept);
    suite_add_tcase(s, clients);
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
