/* check_echo.c -- echo_server over real sockets, and echo_client against it and
 * against a test peer that misbehaves; then every test again with the programs under
 * the fault injection shim: short sends, receives, reads and writes, and EINTR. */
#include "harness.h"

#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERVER(s)                                                                                  \
    ck_assert_int_eq(server_start(s, (const char *const[]){"./echo_server", "-p", "0", NULL}), 0)

/* One byte comes back as one byte. */
START_TEST(echo_one_byte)
{
    struct server s;
    SERVER(&s);
    int fd = connect_or_fail(&s);
    assert_echo(fd, "x", 1);
    close(fd);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* 1 MiB of random bytes with no newline comes back identical (the server echoes
 * while we are still sending). */
START_TEST(echo_one_mebibyte)
{
    size_t len = 1 << 20;
    char *data = malloc(len);
    fill_random(data, len, 1);
    struct server s;
    SERVER(&s);
    int fd = connect_or_fail(&s);
    assert_echo(fd, data, len);
    close(fd);
    ck_assert_int_eq(server_stop(&s), 0);
    free(data);
}
END_TEST

/* Every byte value 0..255, NUL included, comes back unchanged. */
START_TEST(echo_all_byte_values)
{
    char data[512];
    for (int i = 0; i < 512; i++)
        data[i] = (char)(i % 256);
    struct server s;
    SERVER(&s);
    int fd = connect_or_fail(&s);
    assert_echo(fd, data, sizeof data);
    close(fd);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* A line sent in 3 pieces: each piece is echoed as it arrives (the server does not
 * wait for a newline); two lines in one send come back as they were. */
START_TEST(echo_partial_and_coalesced)
{
    struct server s;
    SERVER(&s);
    int fd = connect_or_fail(&s);
    assert_echo(fd, "hel", 3);
    assert_echo(fd, "lo wo", 5);
    assert_echo(fd, "rld\n", 4);
    assert_echo(fd, "one\ntwo\n", 8);
    close(fd);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* Two clients one after the other are both served (the server does not end after
 * its first client, as the lecture's does). */
START_TEST(echo_two_clients_one_after_the_other)
{
    struct server s;
    SERVER(&s);
    int a = connect_or_fail(&s);
    assert_echo(a, "first", 5);
    close(a);
    int b = connect_or_fail(&s);
    assert_echo(b, "second", 6);
    close(b);
    char *err = child_stderr(&s.child);
    ck_assert_int_eq(strstr(err, "closed 127.0.0.1:") != NULL, 1);
    ck_assert_ptr_nonnull(strstr(err, "after echoing 5 bytes\n"));
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* The iterative server: B's connection is queued by the kernel while A is served, B
 * gets no echo until A closes, then B is served. */
START_TEST(echo_second_client_waits_for_the_first)
{
    struct server s;
    char c;
    SERVER(&s);
    int a = connect_or_fail(&s);
    assert_echo(a, "A", 1);
    int b = connect_or_fail(&s); /* connect succeeds: the kernel completes it (backlog) */
    ck_assert_int_eq(send_all(b, "B", 1), 0);
    ck_assert_int_eq(recv_exact(b, &c, 1, 300), -1); /* nothing while A is connected */
    assert_echo(a, "A2", 2);                         /* A is still served */
    close(a);
    ck_assert_int_eq(recv_exact(b, &c, 1, 5000), 1); /* now B's byte comes back */
    ck_assert_int_eq(c, 'B');
    close(b);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* A client that resets in the middle of a message (100 KB sent, echo not read) costs
 * only itself: the next client is served. */
START_TEST(echo_reset_mid_message_then_next_client)
{
    static char data[100000];
    fill_random(data, sizeof data, 2);
    struct server s;
    SERVER(&s);
    int bad = connect_or_fail(&s);
    ck_assert_int_eq(send_all(bad, data, sizeof data / 2), 0);
    close_with_reset(bad);
    int good = connect_or_fail(&s);
    assert_echo(good, "still here", 10);
    close(good);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* Half-close: after shutdown(SHUT_WR) the client still gets the rest of the echo,
 * then EOF. */
START_TEST(echo_half_close)
{
    static char data[200000];
    fill_random(data, sizeof data, 3);
    struct server s;
    SERVER(&s);
    int fd = connect_or_fail(&s);
    /* 200 KB: part of the echo is still on its way when we half-close */
    ck_assert_int_eq(send_all(fd, data, sizeof data), 0);
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    size_t len;
    char *back = recv_until_eof(fd, &len, 10000);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(len, sizeof data);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    free(back);
    close(fd);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* SIGTERM while a client is connected (and SIGINT while idle): exit 0, promptly, and
 * the client sees its connection end. */
START_TEST(echo_stops_on_sigterm_and_sigint)
{
    struct server s;
    SERVER(&s);
    int fd = connect_or_fail(&s);
    assert_echo(fd, "hi", 2);
    long long start = monotonic_ms();
    ck_assert_int_eq(server_stop(&s), 0);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(2000));
    char c;
    ck_assert_int_le(recv_exact(fd, &c, 1, 2000), 0); /* EOF (0) or reset (-1) */
    close(fd);

    SERVER(&s);
    ck_assert_int_eq(child_stop(&s.child, SIGINT, 2000), 0);
    child_close(&s.child);
}
END_TEST

/* -H ::1: the listening line is `listening on [::1]:PORT` and the echo works over
 * IPv6 (where the machine has no IPv6: exit 1 with one line, checked instead). */
START_TEST(echo_over_ipv6)
{
    struct run r;
    const char *const argv[] = {"./echo_server", "-H", "::1", "-p", "0", NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000,
                                 (const char *const[]){"./netinfo", "-H", "::1", "::1", NULL}, 0),
                     0);
    bool have_ipv6 = r.code == 0;
    run_free(&r);
    if (!have_ipv6) {
        ck_assert_int_eq(run_program(&r, NULL, 0, 10000, argv, 0), 0);
        ck_assert_int_eq(r.code, 1);
        ck_assert_int_eq(strncmp(r.err, "echo_server: bind [::1]:0: ", 27), 0);
        run_free(&r);
        return;
    }
    struct child c;
    char line[128];
    ck_assert_int_eq(child_start(&c, argv, 0), 0);
    ck_assert_int_gt(read_line(c.out, line, sizeof line, 5000), 0);
    ck_assert_msg(strncmp(line, "listening on [::1]:", 19) == 0, "line: %s", line);
    int fd = tcp_connect("::1", atoi(line + 19));
    ck_assert_int_ge(fd, 0);
    assert_echo(fd, "over IPv6", 9);
    close(fd);
    ck_assert_int_eq(child_stop(&c, SIGTERM, 2000), 0);
    child_close(&c);
}
END_TEST

/* --- echo_client ------------------------------------------------------------------- */

/* Run echo_client with ARGS against PORT (stdin INPUT), results in *R. */
static void run_client(struct run *r, int port, const char *input, size_t input_len,
                       const char *const args[])
{
    char port_text[16];
    const char *argv[16] = {"./echo_client", "-p", port_text};
    int n = 3;
    snprintf(port_text, sizeof port_text, "%d", port);
    for (int i = 0; args[i] != NULL && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    ck_assert_int_eq(run_program(r, input, input_len, 30000, argv, 0), 0);
}
#define CLIENT(r, port, ...) run_client(r, port, NULL, 0, (const char *const[]){__VA_ARGS__, NULL})

/* Without words it sends the lecture's 'Hello, world'; words are joined by spaces;
 * unprintable bytes are shown as Python's repr shows them. */
START_TEST(client_prints_received_text)
{
    struct server s;
    struct run r;
    SERVER(&s);
    CLIENT(&r, s.port, NULL);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "Received 'Hello, world'\n");
    ck_assert_str_eq(r.err, "");
    run_free(&r);
    CLIENT(&r, s.port, "a", "b c", "it's", "tab\there", "caf\xc3\xa9\x01");
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "Received 'a b c it\\'s tab\\there caf\\xc3\\xa9\\x01'\n");
    run_free(&r);
    CLIENT(&r, s.port, ""); /* an empty message: nothing to send, nothing to wait for */
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "Received ''\n");
    run_free(&r);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* `echo_client - < big.bin > out.bin`: 16 MiB of random bytes, stdin and stdout
 * regular files, come back identical. */
START_TEST(client_streams_16_mib_file)
{
    char in_path[] = "/tmp/kit-big-XXXXXX", out_path[] = "/tmp/kit-out-XXXXXX";
    size_t len = 16 << 20;
    char *data = malloc(len), *back = malloc(len + 1);
    int in = mkstemp(in_path), out = mkstemp(out_path);
    ck_assert(in >= 0 && out >= 0);
    fill_random(data, len, 4);
    ck_assert_int_eq(write(in, data, len), (ssize_t)len);
    close(in);

    struct server s;
    SERVER(&s);
    char port[16], *err;
    snprintf(port, sizeof port, "%d", s.port);
    int code = run_with_files((const char *const[]){"./echo_client", "-p", port, "-", NULL},
                              in_path, out_path, 60000, &err);
    ck_assert_msg(code == 0, "exit %d: %s", code, err);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(pread(out, back, len + 1, 0), (ssize_t)len);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    ck_assert_int_eq(server_stop(&s), 0);
    unlink(in_path);
    unlink(out_path);
    close(out);
    free(err);
    free(data);
    free(back);
}
END_TEST

/* Through pipes (`producer | echo_client - | cmp`): 4 MiB, every byte value (16 MiB
 * go through files above; through pipes they cost half a minute under valgrind). */
START_TEST(client_streams_through_pipes)
{
    size_t len = 4 << 20;
    char *data = malloc(len);
    fill_random(data, len, 5);
    struct server s;
    struct run r;
    SERVER(&s);
    char port[16];
    snprintf(port, sizeof port, "%d", s.port);
    ck_assert_int_eq(run_program(&r, data, len, 60000,
                                 (const char *const[]){"./echo_client", "-p", port, "-", NULL}, 0),
                     0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_uint_eq(r.out_len, len);
    ck_assert_int_eq(memcmp(r.out, data, len), 0);
    run_free(&r);
    /* empty input: half-close at once, the server closes, nothing printed, exit 0 */
    run_client(&r, s.port, "", 0, (const char *const[]){"-", NULL});
    ck_assert_int_eq(r.code, 0);
    ck_assert_uint_eq(r.out_len, 0);
    run_free(&r);
    ck_assert_int_eq(server_stop(&s), 0);
    free(data);
}
END_TEST

/* Start echo_client ARGS against a test peer listening on PORT. */
static void start_client(struct child *c, int port, const char *const args[])
{
    ck_assert_int_eq(client_start(c, "./echo_client", port, args), 0);
}

/* The echo is complete only when all bytes are back: a peer that answers in two
 * pieces, 100 ms apart, still gives one 'Received' line with everything. */
START_TEST(client_waits_for_the_whole_echo)
{
    int port, listener = test_listener(16, &port);
    struct child c;
    char buf[5], *out, *err;
    start_client(&c, port, (const char *const[]){"Hello", NULL});
    int peer = accept_within(listener, 5000);
    ck_assert_int_ge(peer, 0);
    ck_assert_int_eq(recv_exact(peer, buf, 5, 5000), 5);
    ck_assert_int_eq(send_all(peer, "He", 2), 0);
    poll(NULL, 0, 100);
    ck_assert_int_eq(send_all(peer, "llo", 3), 0);
    ck_assert_int_eq(child_finish(&c, &out, &err, 10000), 0);
    ck_assert_str_eq(out, "Received 'Hello'\n");
    free(out);
    free(err);
    close(peer);
    close(listener);
}
END_TEST

/* A peer that sends a short reply and closes: exit 1, what came back is named. */
START_TEST(client_against_peer_closing_early)
{
    int port, listener = test_listener(16, &port);
    struct child c;
    char buf[5], *out, *err, expected[128];
    start_client(&c, port, (const char *const[]){"Hello", NULL});
    int peer = accept_within(listener, 5000);
    ck_assert_int_eq(recv_exact(peer, buf, 5, 5000), 5);
    ck_assert_int_eq(send_all(peer, "He", 2), 0);
    close(peer);
    ck_assert_int_eq(child_finish(&c, &out, &err, 10000), 1);
    ck_assert_str_eq(out, "");
    snprintf(expected, sizeof expected,
             "echo_client: 127.0.0.1:%d closed the connection early (2 of 5 bytes came back: "
             "'He')\n",
             port);
    ck_assert_str_eq(err, expected);
    free(out);
    free(err);
    close(listener);
}
END_TEST

/* A peer that resets, and a peer that never answers (with -t): exit 1 and one line. */
START_TEST(client_against_peer_resetting_or_silent)
{
    int port, listener = test_listener(16, &port);
    struct child c;
    char *out, *err, expected[160];
    start_client(&c, port, (const char *const[]){"Hello", NULL});
    int peer = accept_within(listener, 5000);
    char buf[5];
    ck_assert_int_eq(recv_exact(peer, buf, 5, 5000), 5);
    close_with_reset(peer);
    ck_assert_int_eq(child_finish(&c, &out, &err, 10000), 1);
    snprintf(expected, sizeof expected,
             "echo_client: recv 127.0.0.1:%d: Connection reset by peer\n", port);
    ck_assert_str_eq(err, expected);
    free(out);
    free(err);

    long long start = monotonic_ms();
    start_client(&c, port, (const char *const[]){"-t", "0.3", "Hello", NULL});
    peer = accept_within(listener, 5000);
    ck_assert_int_eq(child_finish(&c, &out, &err, 10000), 1);
    ck_assert_int_ge(monotonic_ms() - start, 300);
    snprintf(expected, sizeof expected,
             "echo_client: no complete echo from 127.0.0.1:%d within 0.3 s (0 of 5 bytes came "
             "back: '')\n",
             port);
    ck_assert_str_eq(err, expected);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    close(peer);
    close(listener);
}
END_TEST

/* Streaming: the client half-closes after its input (the peer reads EOF while the
 * connection is still open), then prints the echo that comes after. */
START_TEST(client_half_closes_then_reads_the_rest)
{
    int port, listener = test_listener(16, &port);
    struct child c;
    char buf[64], *out, *err;
    start_client(&c, port, (const char *const[]){"-", NULL});
    ck_assert_int_eq(write(c.in, "abc\n", 4), 4);
    close(c.in);
    c.in = -1;
    int peer = accept_within(listener, 5000);
    size_t len;
    char *got = recv_until_eof(peer, &len, 5000); /* EOF: the client half-closed */
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, 4);
    ck_assert_int_eq(memcmp(got, "abc\n", 4), 0);
    free(got);
    ck_assert_int_eq(send_all(peer, "ab", 2), 0); /* the echo comes after the EOF */
    poll(NULL, 0, 50);
    ck_assert_int_eq(send_all(peer, "c\n", 2), 0);
    close(peer);
    ck_assert_int_eq(child_finish(&c, &out, &err, 10000), 0);
    ck_assert_str_eq(out, "abc\n");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);

    /* A peer that reads a little and closes without echoing: exit 1, named. */
    start_client(&c, port, (const char *const[]){"-", NULL});
    ck_assert_int_eq(write(c.in, "0123456789", 10), 10);
    peer = accept_within(listener, 5000);
    ck_assert_int_eq(recv_exact(peer, buf, 10, 5000), 10);
    close(peer);
    close(c.in); /* (after the peer closed: the client cannot finish its input) */
    c.in = -1;
    ck_assert_int_eq(child_finish(&c, &out, &err, 10000), 1);
    /* "before the end of standard input" or "after echoing 0 of 10 bytes", depending
     * on whether the client saw its EOF on stdin first: one line either way */
    char prefix[96];
    snprintf(prefix, sizeof prefix, "echo_client: 127.0.0.1:%d closed the connection ", port);
    ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "stderr: %s", err);
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
    free(out);
    free(err);
    close(listener);
}
END_TEST

/* Nobody listening: exit 1, `echo_client: connect 127.0.0.1:PORT: Connection refused`. */
START_TEST(client_connection_refused)
{
    struct run r;
    char expected[128];
    int port = unused_port();
    CLIENT(&r, port, "hi");
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected, "echo_client: connect 127.0.0.1:%d: Connection refused\n",
             port);
    ck_assert_str_eq(r.err, expected);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
}
END_TEST

/* The fault-injection reruns: every test of a tcase again, with the programs it starts
 * under SHORT_AND_EINTR (see harness.h). A checked fixture runs in each test's own
 * process, before the test. Where the shim cannot be preloaded (not Linux, or
 * KIT_HIDE=preload) each test of the rerun is skipped with one line saying why. */
static void server_faults(void)
{
    fault_injection_or_skip(SHORT_AND_EINTR, "echo_server under short I/O and EINTR");
}

static void client_faults(void)
{
    fault_injection_or_skip(SHORT_AND_EINTR, "echo_client under short I/O and EINTR");
}

static void add_server_tests(TCase *tc)
{
    tcase_add_test(tc, echo_one_byte);
    tcase_add_test(tc, echo_one_mebibyte);
    tcase_add_test(tc, echo_all_byte_values);
    tcase_add_test(tc, echo_partial_and_coalesced);
    tcase_add_test(tc, echo_two_clients_one_after_the_other);
    tcase_add_test(tc, echo_second_client_waits_for_the_first);
    tcase_add_test(tc, echo_reset_mid_message_then_next_client);
    tcase_add_test(tc, echo_half_close);
    tcase_add_test(tc, echo_stops_on_sigterm_and_sigint);
    tcase_add_test(tc, echo_over_ipv6);
}

static void add_client_tests(TCase *tc)
{
    tcase_add_test(tc, client_prints_received_text);
    tcase_add_test(tc, client_streams_16_mib_file);
    tcase_add_test(tc, client_streams_through_pipes);
    tcase_add_test(tc, client_waits_for_the_whole_echo);
    tcase_add_test(tc, client_against_peer_closing_early);
    tcase_add_test(tc, client_against_peer_resetting_or_silent);
    tcase_add_test(tc, client_half_closes_then_reads_the_rest);
    tcase_add_test(tc, client_connection_refused);
}

static Suite *echo_suite(void)
{
    Suite *s = suite_create("02-tcp-echo echo_server and echo_client");
    TCase *server = tcase_create("echo_server");
    tcase_set_timeout(server, 30);
    add_server_tests(server);
    suite_add_tcase(s, server);

    TCase *client = tcase_create("echo_client");
    tcase_set_timeout(client, 60);
    add_client_tests(client);
    suite_add_tcase(s, client);

    TCase *server_faulted = tcase_create("echo_server under short I/O and EINTR");
    tcase_set_timeout(server_faulted, 30);
    tcase_add_checked_fixture(server_faulted, server_faults, NULL);
    add_server_tests(server_faulted);
    suite_add_tcase(s, server_faulted);

    TCase *client_faulted = tcase_create("echo_client under short I/O and EINTR");
    tcase_set_timeout(client_faulted, 60);
    tcase_add_checked_fixture(client_faulted, client_faults, NULL);
    add_client_tests(client_faulted);
    suite_add_tcase(s, client_faulted);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(echo_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
