/* check_udp.c -- udp_server over real UDP sockets, and udp_client against it and
 * against a test that plays the server: one that loses datagrams, one that never
 * answers, and a stranger that replies first. */
#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void start(struct server *s, const char *option1, const char *option2)
{
    ck_assert_int_eq(
        server_start(s, (const char *const[]){"./udp_server", "-p", "0", option1, option2, NULL}),
        0);
}

/* Send LEN bytes to the server from FD and assert the same bytes come back, from the
 * server's own address. */
static void assert_datagram_echo(int fd, const struct server *s, const void *data, size_t len)
{
    static char back[70000];
    struct sockaddr_in from;
    ck_assert_int_eq(send_datagram(fd, data, len, s->port), 0);
    ck_assert_int_eq(recv_datagram(fd, back, sizeof back, 5000, &from), (ssize_t)len);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    ck_assert_int_eq(ntohs(from.sin_port), s->port);
}

/* The reply matches, comes from the server's port, and the datagram is logged. */
START_TEST(server_echoes_and_logs)
{
    struct server s;
    int port, fd = udp_socket(&port);
    char expected[128];
    start(&s, NULL, NULL);
    assert_datagram_echo(fd, &s, "hello", 5);
    assert_datagram_echo(fd, &s, "x", 1);
    char *err = child_stderr(&s.child);
    snprintf(expected, sizeof expected,
             "received 5 bytes from 127.0.0.1:%d: 'hello'\nreceived 1 byte from 127.0.0.1:%d: "
             "'x'\n",
             port, port);
    ck_assert_str_eq(err, expected);
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* A 0-byte datagram is echoed as a 0-byte datagram (and does not stop the server,
 * unlike the lecture's `if not data: break`). */
START_TEST(server_zero_byte_datagram)
{
    struct server s;
    int port, fd = udp_socket(&port);
    start(&s, NULL, NULL);
    assert_datagram_echo(fd, &s, "", 0);
    assert_datagram_echo(fd, &s, "", 0);
    assert_datagram_echo(fd, &s, "still here", 10);
    char *err = child_stderr(&s.child);
    ck_assert_int_eq(strncmp(err, "received 0 bytes from 127.0.0.1:", 32), 0);
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* 2000 bytes and the largest IPv4 datagram, 65507 bytes, come back whole; the log
 * shows the first 200 bytes and counts the rest. */
START_TEST(server_big_datagrams)
{
    static char data[65507];
    struct server s;
    int port, fd = udp_socket(&port);
    char expected[128];
    fill_random(data, sizeof data, 7);
    memset(data, 'a', 2000);
    start(&s, NULL, NULL);
    assert_datagram_echo(fd, &s, data, 2000);
    fill_random(data, sizeof data, 8);
    assert_datagram_echo(fd, &s, data, sizeof data);
    char *err = child_stderr(&s.child);
    snprintf(expected, sizeof expected, "received 2000 bytes from 127.0.0.1:%d: 'aaa", port);
    ck_assert_int_eq(strncmp(err, expected, strlen(expected)), 0);
    ck_assert_ptr_nonnull(strstr(err, "aaa'... (1800 more bytes)\n"));
    snprintf(expected, sizeof expected, "received 65507 bytes from 127.0.0.1:%d: '", port);
    ck_assert_ptr_nonnull(strstr(err, expected));
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* Binary: all 256 byte values come back; the log escapes them like Python's repr. */
START_TEST(server_binary_and_nul)
{
    char data[256];
    for (int i = 0; i < 256; i++)
        data[i] = (char)i;
    struct server s;
    int port, fd = udp_socket(&port);
    start(&s, NULL, NULL);
    assert_datagram_echo(fd, &s, data, sizeof data);
    assert_datagram_echo(fd, &s, "it's\t\\", 6);
    char *err = child_stderr(&s.child);
    ck_assert_ptr_nonnull(strstr(err, ": '\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n"));
    ck_assert_ptr_nonnull(strstr(err, ": 'it\\'s\\t\\\\'\n"));
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* -u replies upper-cased (a-z only); -q logs nothing. */
START_TEST(server_upper_and_quiet)
{
    struct server s;
    int port, fd = udp_socket(&port);
    char back[64];
    start(&s, "-u", "-q");
    ck_assert_int_eq(send_datagram(fd, "Hello, world \xc3\xa9", 15, s.port), 0);
    ck_assert_int_eq(recv_datagram(fd, back, sizeof back, 5000, NULL), 15);
    ck_assert_int_eq(memcmp(back, "HELLO, WORLD \xc3\xa9", 15), 0);
    char *err = child_stderr(&s.child);
    ck_assert_str_eq(err, "");
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* With -b 1000 a 2000-byte datagram does not fit: the server reports the truncation
 * (with the real size) and does not echo the damaged datagram; 1000 bytes still fit. */
START_TEST(server_reports_truncation)
{
    static char data[2000];
    struct server s;
    int port, fd = udp_socket(&port);
    char back[2000], expected[160];
    memset(data, 'z', sizeof data);
    start(&s, "-b", "1000");
    ck_assert_int_eq(send_datagram(fd, data, 2000, s.port), 0);
    assert_datagram_echo(fd, &s, data, 1000); /* the first reply is this one: none for the 2000 */
    ck_assert_int_eq(recv_datagram(fd, back, sizeof back, 100, NULL), -1);
    char *err = child_stderr(&s.child);
#if defined(__linux__) && !defined(KIT_PORTABLE)
    snprintf(expected, sizeof expected,
             "received 2000 bytes from 127.0.0.1:%d: TRUNCATED to the 1000-byte buffer (-b), "
             "not echoed: 'zzz",
             port);
#else /* POSIX: only the MSG_TRUNC flag, not the real size (udp_server.c, REAL_LENGTH) */
    snprintf(expected, sizeof expected,
             "received more than 1000 bytes from 127.0.0.1:%d: TRUNCATED to the buffer (-b), "
             "not echoed: 'zzz",
             port);
#endif
    ck_assert_msg(strncmp(err, expected, strlen(expected)) == 0, "stderr: %.300s", err);
    ck_assert_ptr_nonnull(strstr(err, "zzz'...\nreceived 1000 bytes from 127.0.0.1:"));
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* Two clients interleaved each get their own replies (the reply goes to the sender);
 * 1000 datagrams in a row leave the server's fd count as it was. */
START_TEST(server_replies_to_each_sender)
{
    struct server s;
    SKIP_UNLESS(have_proc(), "needs /proc (the server's descriptor count)");
    int port_a, a = udp_socket(&port_a), port_b, b = udp_socket(&port_b);
    start(&s, "-q", NULL);
    int fds = count_open_fds(s.child.pid);
    for (int i = 0; i < 500; i++) {
        char text[32];
        int len = snprintf(text, sizeof text, "a%d", i);
        assert_datagram_echo(a, &s, text, (size_t)len);
        len = snprintf(text, sizeof text, "b%d", i);
        assert_datagram_echo(b, &s, text, (size_t)len);
    }
    ck_assert_int_eq(count_open_fds(s.child.pid), fds);
    ck_assert_int_eq(server_stop(&s), 0);
    close(a);
    close(b);
}
END_TEST

/* SIGTERM and SIGINT: exit 0 within 2 s, valgrind-clean under make memcheck. */
START_TEST(server_stops_on_signals)
{
    struct server s;
    int port, fd = udp_socket(&port);
    start(&s, NULL, NULL);
    assert_datagram_echo(fd, &s, "hi", 2);
    long long start_ms = monotonic_ms();
    ck_assert_int_eq(server_stop(&s), 0);
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(2000));
    start(&s, NULL, NULL);
    ck_assert_int_eq(child_stop(&s.child, SIGINT, 2000), 0);
    child_close(&s.child);
    close(fd);
}
END_TEST

/* A port already taken (by a test socket, or by another udp_server): exit 1, one line. */
START_TEST(server_address_in_use)
{
    struct server s;
    struct run r;
    int port, fd = udp_socket(&port);
    char port_text[16], expected[128];
    snprintf(port_text, sizeof port_text, "%d", port);
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000,
                                 (const char *const[]){"./udp_server", "-p", port_text, NULL}, 0),
                     0);
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected, "udp_server: bind 127.0.0.1:%d: Address already in use\n",
             port);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);
    close(fd);

    start(&s, NULL, NULL);
    snprintf(port_text, sizeof port_text, "%d", s.port);
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000,
                                 (const char *const[]){"./udp_server", "-p", port_text, NULL}, 0),
                     0);
    ck_assert_int_eq(r.code, 1); /* no SO_REUSEADDR: no silent sharing of the port */
    run_free(&r);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* -H ::1: the listening line is `listening on [::1]:PORT` and datagrams are echoed
 * over IPv6 (where the machine has no IPv6: exit 1 with one line, checked instead). */
START_TEST(server_over_ipv6)
{
    const char *const argv[] = {"./udp_server", "-H", "::1", "-p", "0", "-q", NULL};
    struct sockaddr_in6 self = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof self) < 0) { /* no IPv6 here */
        struct run r;
        ck_assert_int_eq(run_program(&r, NULL, 0, 10000, argv, 0), 0);
        ck_assert_int_eq(r.code, 1);
        ck_assert_int_eq(strncmp(r.err, "udp_server: bind [::1]:0: ", 26), 0);
        run_free(&r);
        if (fd >= 0)
            close(fd);
        return;
    }
    struct child c;
    char line[128], back[16];
    ck_assert_int_eq(child_start(&c, argv, 0), 0);
    ck_assert_int_gt(read_line(c.out, line, sizeof line, 5000), 0);
    ck_assert_msg(strncmp(line, "listening on [::1]:", 19) == 0, "line: %s", line);
    struct sockaddr_in6 to = self;
    to.sin6_port = htons((uint16_t)atoi(line + 19));
    ck_assert_int_eq(sendto(fd, "over IPv6", 9, 0, (struct sockaddr *)&to, sizeof to), 9);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, scaled_ms(5000)), 1);
    ck_assert_int_eq(recv(fd, back, sizeof back, 0), 9);
    ck_assert_int_eq(memcmp(back, "over IPv6", 9), 0);
    ck_assert_int_eq(child_stop(&c, SIGTERM, 2000), 0);
    child_close(&c);
    close(fd);
}
END_TEST

/* --- Forged sources ------------------------------------------------------------------ */

/* Send a datagram to the server S that says it comes from 127.0.0.1:FROM_PORT. Returns
 * false (after a note) where raw sockets are not allowed (no CAP_NET_RAW): the rule
 * itself is then still checked by check_text's udp_reply_would_loop test. */
static bool spoof(const struct server *s, int from_port, const void *data, size_t len)
{
    struct sockaddr_in from = loopback(from_port), to = loopback(s->port);
    if (send_spoofed(&from, &to, data, len) == 0)
        return true;
    ck_assert_msg(errno == EPERM || errno == EACCES, "raw socket: %s", strerror(errno));
    note_skip("needs raw sockets (root, CAP_NET_RAW) to forge a source; check_text checks "
              "the rule itself");
    return false;
}

/* How many lines of TEXT contain NEEDLE. */
static int count_containing(const char *text, const char *needle)
{
    int n = 0;
    for (const char *at = text; (at = strstr(at, needle)) != NULL; at++)
        n++;
    return n;
}

/* A datagram forged as coming from the server's own port: answering it would send
 * the echo to the server itself, which would answer that, forever. It is logged once
 * and not answered (one "received" line after a pause, not thousands), and the server
 * goes on serving. The same for ports 7 (echo) and 19 (chargen), where system services
 * would play the other end of the loop. */
START_TEST(server_does_not_answer_into_a_loop)
{
    struct server s;
    int port, fd = udp_socket(&port);
    char note[128];
    start(&s, NULL, NULL);
    const int ports[] = {s.port, 7, 19};
    for (int i = 0; i < 3; i++) {
        if (!spoof(&s, ports[i], "ping", 4))
            break;
        assert_datagram_echo(fd, &s, "still here", 10); /* the forged one was handled before this */
        snprintf(note, sizeof note,
                 "udp_server: not answering 127.0.0.1:%d: a reply there could loop forever\n",
                 ports[i]);
        char *err = child_stderr(&s.child);
        ck_assert_msg(strstr(err, note) != NULL, "no '%s' in:\n%.1000s", note, err);
        free(err);
    }
    poll(NULL, 0, 200); /* a loop would fill its log meanwhile */
    char *err = child_stderr(&s.child);
    ck_assert_int_le(count_containing(err, "received 4 bytes from 127.0.0.1:"), 3);
    ck_assert_int_le(count_containing(err, "not answering"), 3);
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
    close(fd);
}
END_TEST

/* A datagram forged as coming from a victim's address is answered to the victim: that
 * is UDP reflection, and why real UDP protocols check who asks (a cookie, a
 * handshake). At least there is no amplification: the victim gets exactly the bytes
 * sent, 1000 or the largest datagram, 65507, once; the forger gets nothing. */
START_TEST(server_reflects_forged_source_without_amplification)
{
    static char data[65507], back[70000];
    struct server s;
    struct sockaddr_in from;
    int victim_port, victim = udp_socket(&victim_port), forger_port,
                     forger = udp_socket(&forger_port);
    fill_random(data, sizeof data, 9);
    start(&s, "-q", NULL);
    const size_t sizes[] = {1000, sizeof data};
    for (int i = 0; i < 2; i++) {
        if (!spoof(&s, victim_port, data, sizes[i]))
            break;
        ck_assert_int_eq(recv_datagram(victim, back, sizeof back, 5000, &from), (ssize_t)sizes[i]);
        ck_assert_int_eq(memcmp(back, data, sizes[i]), 0);
        ck_assert_int_eq(ntohs(from.sin_port), s.port);
    }
    ck_assert_int_eq(recv_datagram(victim, back, sizeof back, 100, NULL), -1); /* once each */
    ck_assert_int_eq(recv_datagram(forger, back, sizeof back, 0, NULL), -1);
    ck_assert_int_eq(server_stop(&s), 0);
    close(victim);
    close(forger);
}
END_TEST

/* --- udp_client ------------------------------------------------------------------- */

/* Start udp_client -p PORT ARGS... with a pipe on its stdin. */
#define START_CLIENT(c, port, ...)                                                                 \
    ck_assert_int_eq(                                                                              \
        client_start(c, "./udp_client", port, (const char *const[]){__VA_ARGS__, NULL}), 0)

/* A client timeout that a prompt test server always beats: 1 s, scaled like every
 * deadline (under valgrind everything is slower), as text for -t. */
static const char *reply_timeout(void)
{
    static char text[16];
    snprintf(text, sizeof text, "%.3g", scaled_ms(1000) / 1000.0);
    return text;
}

/* Against udp_server: words, the lecture's default "TEST", an empty datagram, and
 * stdin lines, each answered with one 'Received' line. */
START_TEST(client_against_server)
{
    struct server s;
    struct child c;
    char *out, *err;
    start(&s, "-q", NULL);
    START_CLIENT(&c, s.port, "hello", "there");
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 0);
    ck_assert_str_eq(out, "Received 'hello there'\n");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);

    START_CLIENT(&c, s.port, NULL);
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 0);
    ck_assert_str_eq(out, "Received 'TEST'\n");
    free(out);
    free(err);

    START_CLIENT(&c, s.port, "");
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 0);
    ck_assert_str_eq(out, "Received ''\n");
    free(out);
    free(err);

    START_CLIENT(&c, s.port, "-");
    ck_assert_int_eq(write(c.in, "one\n\ntab\there\nlast", 18), 18);
    close(c.in);
    c.in = -1;
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 0);
    ck_assert_str_eq(out, "Received 'one'\nReceived ''\nReceived 'tab\\there'\nReceived 'last'\n");
    free(out);
    free(err);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* A stranger's datagram (from another port) that comes first is ignored, and noted;
 * the client waits on for the server's own reply. */
START_TEST(client_ignores_spoofed_reply)
{
    struct child c;
    struct sockaddr_in client;
    char buf[64], *out, *err, expected[160];
    int port, server = udp_socket(&port), stranger_port, stranger = udp_socket(&stranger_port);
    START_CLIENT(&c, port, "-t", "10", "-r", "1", "hello");
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 5000, &client), 5);
    /* The stranger answers first, with what the client would like to hear. */
    ck_assert_int_eq(sendto(stranger, "hello", 5, 0, (struct sockaddr *)&client, sizeof client), 5);
    size_t len;
    ck_assert_ptr_null(recv_until_eof(c.out, &len, 300)); /* still waiting: nothing printed */
    ck_assert_int_eq(sendto(server, "HELLO", 5, 0, (struct sockaddr *)&client, sizeof client), 5);
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 0);
    ck_assert_str_eq(out, "Received 'HELLO'\n");
    snprintf(expected, sizeof expected,
             "udp_client: ignored a datagram from 127.0.0.1:%d (not 127.0.0.1:%d)\n", stranger_port,
             port);
    ck_assert_str_eq(err, expected);
    free(out);
    free(err);
    close(server);
    close(stranger);
}
END_TEST

/* Loss: the test server drops the first datagram; the client sends again after its
 * timeout and prints the reply to the second. Exactly two datagrams were sent. */
START_TEST(client_retries_after_loss)
{
    struct child c;
    struct sockaddr_in client;
    char buf[64], *out, *err;
    int port, server = udp_socket(&port);
    char expected[128];
    long long start_ms = monotonic_ms();
    START_CLIENT(&c, port, "-t", reply_timeout(), "hello");
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 5000, NULL), 5); /* dropped */
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 5000, &client), 5);
    ck_assert_int_ge(monotonic_ms() - start_ms, scaled_ms(1000)); /* not before the timeout */
    ck_assert_int_eq(sendto(server, buf, 5, 0, (struct sockaddr *)&client, sizeof client), 5);
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 0);
    ck_assert_str_eq(out, "Received 'hello'\n");
    snprintf(expected, sizeof expected,
             "udp_client: no reply within %s s, sending again (try 2 of 3)\n", reply_timeout());
    ck_assert_str_eq(err, expected);
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 0, NULL), -1); /* no third */
    free(out);
    free(err);
    close(server);
}
END_TEST

/* Nobody answers: -r 3 datagrams, -t apart, then `no reply after 3 tries`, exit 1. */
START_TEST(client_gives_up_after_n_tries)
{
    struct child c;
    char buf[64], *out, *err;
    int port, server = udp_socket(&port);
    long long start_ms = monotonic_ms();
    START_CLIENT(&c, port, "-t", "0.1", "-r", "3", "anyone?");
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 1);
    ck_assert_int_ge(monotonic_ms() - start_ms, 300);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "udp_client: no reply within 0.1 s, sending again (try 2 of 3)\n"
                          "udp_client: no reply within 0.1 s, sending again (try 3 of 3)\n"
                          "udp_client: no reply after 3 tries\n");
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 1000, NULL), 7);
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 0, NULL), -1);
    free(out);
    free(err);
    close(server);

    /* Nobody even listening: the same (an unconnected UDP socket hears no "refused"). */
    START_CLIENT(&c, unused_udp_port(), "-t", "0.05", "-r", "1", "x");
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 1);
    ck_assert_str_eq(err, "udp_client: no reply after 1 tries\n");
    free(out);
    free(err);
}
END_TEST

/* Lines from stdin: the first line without a reply ends the program (exit 1) after
 * the replies that did come were printed. */
START_TEST(client_lines_stop_at_first_loss)
{
    struct child c;
    struct sockaddr_in client;
    char buf[64], *out, *err;
    int port, server = udp_socket(&port);
    START_CLIENT(&c, port, "-t", reply_timeout(), "-r", "1", "-");
    ck_assert_int_eq(write(c.in, "first\nsecond\nthird\n", 19), 19);
    close(c.in);
    c.in = -1;
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 5000, &client), 5);
    ck_assert_int_eq(sendto(server, buf, 5, 0, (struct sockaddr *)&client, sizeof client), 5);
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 5000, NULL), 6); /* unanswered */
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 1);
    ck_assert_str_eq(out, "Received 'first'\n");
    ck_assert_str_eq(err, "udp_client: no reply after 1 tries\n");
    ck_assert_int_eq(recv_datagram(server, buf, sizeof buf, 0, NULL), -1); /* no "third" */
    free(out);
    free(err);
    close(server);
}
END_TEST

/* A message bigger than the largest datagram: exit 1 with sendto's reason. */
START_TEST(client_message_too_long)
{
    static char word[65509];
    struct child c;
    char *out, *err, expected[128];
    int port, server = udp_socket(&port);
    memset(word, 'w', sizeof word - 1);
    START_CLIENT(&c, port, word);
    ck_assert_int_eq(child_finish(&c, &out, &err, 20000), 1);
    snprintf(expected, sizeof expected, "udp_client: sendto 127.0.0.1:%d: Message too long\n",
             port);
    ck_assert_str_eq(err, expected);
    free(out);
    free(err);
    close(server);
}
END_TEST

static Suite *udp_suite(void)
{
    Suite *s = suite_create("03-udp udp_server and udp_client");
    TCase *server = tcase_create("udp_server");
    tcase_set_timeout(server, 30);
    tcase_add_test(server, server_echoes_and_logs);
    tcase_add_test(server, server_zero_byte_datagram);
    tcase_add_test(server, server_big_datagrams);
    tcase_add_test(server, server_binary_and_nul);
    tcase_add_test(server, server_upper_and_quiet);
    tcase_add_test(server, server_reports_truncation);
    tcase_add_test(server, server_replies_to_each_sender);
    tcase_add_test(server, server_stops_on_signals);
    tcase_add_test(server, server_address_in_use);
    tcase_add_test(server, server_over_ipv6);
    tcase_add_test(server, server_does_not_answer_into_a_loop);
    tcase_add_test(server, server_reflects_forged_source_without_amplification);
    suite_add_tcase(s, server);

    TCase *client = tcase_create("udp_client");
    tcase_set_timeout(client, 30);
    tcase_add_test(client, client_against_server);
    tcase_add_test(client, client_ignores_spoofed_reply);
    tcase_add_test(client, client_retries_after_loss);
    tcase_add_test(client, client_gives_up_after_n_tries);
    tcase_add_test(client, client_lines_stop_at_first_loss);
    tcase_add_test(client, client_message_too_long);
    suite_add_tcase(s, client);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(udp_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
