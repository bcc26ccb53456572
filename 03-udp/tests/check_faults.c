/* check_faults.c -- udp_server and udp_client again, under the fault injection shim
 * (tests/fault_inject.so, see fault_inject.c): sendto, recvfrom and recvmsg fail with
 * EINTR, and with EAGAIN (both programs' sockets are non-blocking), on a schedule; the
 * client's standard input and output (pipes) get short reads and writes and EINTR too.
 * A datagram is never "short": the shim only makes datagram calls fail, nothing is
 * lost by the kernel. So no fault may cost a datagram: every one is echoed exactly
 * once, in order, and the client never has to send again (nothing on its stderr).
 *
 * fault_injection(RULES) comes before the programs a test starts: those started after
 * it run under the shim (Check runs each test in its own process). */
#include "../text.h"
#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The schedules: interrupted calls; calls that find nothing to do (EAGAIN, a
 * spurious wake-up); both at random; and short transfers plus EINTR on everything,
 * which on the sockets means EINTR only. */
static const char *const rules[] = {
    "send+recv:eintr@every=2",
    "send+recv:eagain@every=2",
    "send+recv:eintr@p=0.3;send+recv:eagain@p=0.3",
    "io:short;io:eintr@every=3",
};
#define N_RULES ((int)(sizeof rules / sizeof rules[0]))

/* Every test here needs the shim: where it cannot be preloaded (not Linux, or
 * KIT_HIDE=preload), the test is skipped with one line saying why. */
#define NEEDS_SHIM() SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD, for the fault shim)")

static void start(struct server *s)
{
    ck_assert_int_eq(server_start(s, (const char *const[]){"./udp_server", "-p", "0", NULL}), 0);
}

/* Send LEN bytes to the server from FD and assert the same bytes come back, from the
 * server's port. */
static void assert_datagram_echo(int fd, const struct server *s, const void *data, size_t len)
{
    static char back[70000];
    struct sockaddr_in from;
    ck_assert_int_eq(send_datagram(fd, data, len, s->port), 0);
    ck_assert_int_eq(recv_datagram(fd, back, sizeof back, 10000, &from), (ssize_t)len);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    ck_assert_int_eq(ntohs(from.sin_port), s->port);
}

/* How many times NEEDLE occurs in TEXT. */
static int occurrences(const char *text, const char *needle)
{
    int n = 0;
    for (const char *at = text; (at = strstr(at, needle)) != NULL; at++)
        n++;
    return n;
}

/* udp_server under each schedule: a 0-byte datagram, all 256 byte values, the
 * largest datagram (65507 bytes), and 100 small ones, each echoed exactly once (no
 * reply lost to a fault, none doubled), then exit 0 on SIGTERM. */
START_TEST(server_echoes_every_datagram_once)
{
    NEEDS_SHIM();
    static char big[65507];
    char values[256], text[32];
    struct server s;
    int port, fd = udp_socket(&port);
    setenv("FAULT_SEED", "77", 1);
    fault_injection(rules[_i]);
    start(&s);
    assert_datagram_echo(fd, &s, "", 0);
    for (int i = 0; i < 256; i++)
        values[i] = (char)i;
    assert_datagram_echo(fd, &s, values, sizeof values);
    fill_random(big, sizeof big, 21);
    assert_datagram_echo(fd, &s, big, sizeof big);
    for (int i = 0; i < 100; i++) {
        int len = snprintf(text, sizeof text, "datagram %d", i);
        assert_datagram_echo(fd, &s, text, (size_t)len);
    }
    ck_assert_int_eq(recv_datagram(fd, big, sizeof big, 50, NULL), -1); /* nothing more */
    char *err = child_stderr(&s.child);
    ck_assert_int_eq(occurrences(err, "received "), 103);
    ck_assert_msg(strstr(err, "udp_server:") == NULL, "stderr:\n%.2000s", err);
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* udp_client (socket, stdin and stdout) and udp_server, both under each schedule:
 * words, the lecture's "TEST", an empty datagram, and 40 lines of standard input
 * (empty ones, long ones, bytes to escape) each get their Received line, and the
 * client never had to send again (its stderr is empty). */
START_TEST(client_gets_every_reply_first_time)
{
    NEEDS_SHIM();
    struct server s;
    struct child c;
    char *out, *err;
    setenv("FAULT_SEED", "78", 1);
    fault_injection(rules[_i]);
    ck_assert_int_eq(server_start(&s, (const char *const[]){"./udp_server", "-p", "0", "-q", NULL}),
                     0);
    const char *const words[][3] = {{"hello", "there", NULL}, {NULL}, {"", NULL}};
    const char *const expected[] = {"Received 'hello there'\n", "Received 'TEST'\n",
                                    "Received ''\n"};
    for (int i = 0; i < 3; i++) {
        const char *args[5] = {"-t", "5"}; /* a lost reply would show on stderr first */
        for (int w = 0; words[i][w] != NULL; w++)
            args[2 + w] = words[i][w];
        ck_assert_int_eq(client_start(&c, "./udp_client", s.port, args), 0);
        ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 0);
        ck_assert_str_eq(out, expected[i]);
        ck_assert_str_eq(err, "");
        free(out);
        free(err);
    }

    /* 40 lines through `-`, written in one go: the client reads them in pieces */
    size_t in_len = 0, want_len = 0;
    char *input = malloc(40 * 1100), *want = malloc(40 * (ESCAPED_SIZE(1100) + 16));
    for (int i = 0; i < 40; i++) {
        char line[1100];
        size_t len = (size_t)snprintf(line, sizeof line, "line %d\t'%c'", i, 'a' + i % 26);
        if (i % 7 == 3)
            len = 0; /* an empty line is an empty datagram */
        if (i % 10 == 9) {
            memset(line, 'x', 1000);
            len = 1000;
        }
        memcpy(input + in_len, line, len);
        in_len += len;
        input[in_len++] = '\n';
        want_len += (size_t)sprintf(want + want_len, "Received '");
        want_len += escape_bytes(line, len, want + want_len);
        want_len += (size_t)sprintf(want + want_len, "'\n");
    }
    ck_assert_int_eq(
        client_start(&c, "./udp_client", s.port, (const char *const[]){"-t", "5", "-", NULL}), 0);
    ck_assert_int_eq(write(c.in, input, in_len), (ssize_t)in_len);
    close(c.in);
    c.in = -1;
    ck_assert_int_eq(child_finish(&c, &out, &err, 30000), 0);
    ck_assert_str_eq(out, want);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    free(input);
    free(want);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("03-udp under injected faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, server_echoes_every_datagram_once, 0, N_RULES);
    tcase_add_loop_test(tc, client_gets_every_reply_first_time, 0, N_RULES);
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
