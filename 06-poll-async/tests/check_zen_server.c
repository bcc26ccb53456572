/* check_zen_server.c -- zen_server and zen_client, run as a user runs them: the zen
 * protocol byte for byte, split and coalesced questions, clients that close, reset,
 * half-close, flood or idle, 200 clients at once, and the server's own limits
 * (4096-byte questions, file descriptors, the port in use). Every test ends with
 * SIGTERM and asserts exit 0 (under make memcheck: and valgrind-clean). */
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVER(...) ((const char *const[]){"./zen_server", "-p", "0", __VA_ARGS__ NULL})

static void start(struct server *s, const char *const argv[])
{
    ck_assert_msg(server_start(s, argv) == 0, "zen_server did not start");
}

static void stop(struct server *s)
{
    ck_assert_int_eq(server_stop(s), 0);
}

/* Send the N bytes of QUESTION and assert that exactly ANSWER comes back. */
static void ask_bytes(int fd, const char *question, size_t n, const char *answer)
{
    char got[64] = "";
    size_t len = strlen(answer);
    ck_assert_int_eq(send_all(fd, question, n), 0);
    ck_assert_int_eq(recv_exact(fd, got, len, 5000), (ssize_t)len);
    ck_assert_mem_eq(got, answer, len);
}

static void ask(int fd, const char *question, const char *answer)
{
    ask_bytes(fd, question, strlen(question), answer);
}

static int total_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* After the client's shutdown(SHUT_WR), nothing more arrives, then EOF: proves no
 * extra bytes were sent after the answers. */
static void assert_nothing_more(int fd)
{
    size_t len;
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    char *rest = recv_until_eof(fd, &len, 5000);
    ck_assert_ptr_nonnull(rest);
    ck_assert_msg(len == 0, "unexpected extra bytes: '%s'", rest);
    free(rest);
}

/* The three aphorisms and an unknown question, on one connection: byte-exact answers,
 * the connection stays open between them, and nothing else is sent. */
START_TEST(protocol_is_byte_exact)
{
    struct server s;
    start(&s, SERVER());
    int fd = connect_or_fail(&s);
    ask(fd, "Beautiful is better than?", "Ugly.");
    ask(fd, "Explicit is better than?", "Implicit.");
    ask(fd, "Simple is better than?", "Complex.");
    ask(fd, "Is this a question?", "Error: unknown aphorism.");
    ask(fd, "Simple is better than?", "Complex."); /* still open, still right */
    assert_nothing_more(fd);
    close(fd);
    stop(&s);
}
END_TEST

/* A question sent one byte per segment (TCP_NODELAY, a pause between bytes) gets one
 * answer, and only once the '?' has come. */
START_TEST(question_split_into_single_bytes)
{
    struct server s;
    start(&s, SERVER());
    int fd = connect_or_fail(&s), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const char *question = "Explicit is better than?";
    for (const char *p = question; *p != '?'; p++) {
        ck_assert_int_eq(send_all(fd, p, 1), 0);
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    char byte;
    ck_assert_int_eq(recv_exact(fd, &byte, 1, 100), -1); /* no answer before the '?' */
    ask(fd, "?", "Implicit.");
    assert_nothing_more(fd);
    close(fd);
    stop(&s);
}
END_TEST

/* Three questions in one send: three answers, in order. */
START_TEST(three_questions_in_one_send)
{
    struct server s;
    start(&s, SERVER());
    int fd = connect_or_fail(&s);
    ask(fd, "Simple is better than?Beautiful is better than?Explicit is better than?",
        "Complex.Ugly.Implicit.");
    assert_nothing_more(fd);
    close(fd);
    stop(&s);
}
END_TEST

/* A client that closes mid-question is logged as such, and costs only itself. */
START_TEST(client_closing_mid_question_is_logged)
{
    struct server s;
    start(&s, SERVER());
    int fd = connect_or_fail(&s);
    ck_assert_int_eq(send_all(fd, "Beautiful is", 12), 0);
    close(fd);
    ck_assert(
        wait_for_stderr(&s.child, "closed mid-question after 12 bytes: 'Beautiful is'", 5000));
    fd = connect_or_fail(&s);
    ask(fd, "Beautiful is better than?", "Ugly.");
    close(fd);
    stop(&s);
}
END_TEST

/* zen_client asks all three questions, in some order, and prints each with its
 * answer; zen_client -e makes the server log a close mid-question. */
START_TEST(zen_client_asks_three_questions)
{
    struct server s;
    start(&s, SERVER());
    char port[16];
    snprintf(port, sizeof port, "%d", s.port);
    struct run r;
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 10000, (const char *const[]){"./zen_client", "-p", port, NULL}, 0),
        0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_int_eq(count_lines(r.out, "Beautiful is better than? Ugly."), 1);
    ck_assert_int_eq(count_lines(r.out, "Explicit is better than? Implicit."), 1);
    ck_assert_int_eq(count_lines(r.out, "Simple is better than? Complex."), 1);
    ck_assert_uint_eq(strlen(r.out), 32 + 35 + 32);
    run_free(&r);

    ck_assert_int_eq(run_program(&r, NULL, 0, 10000,
                                 (const char *const[]){"./zen_client", "-p", port, "-e", NULL}, 0),
                     0);
    ck_assert_int_eq(r.code, 0);
    run_free(&r);
    ck_assert(wait_for_stderr(&s.child, "closed mid-question after 24 bytes", 5000));
    stop(&s);
}
END_TEST

/* zen_client checks the answers: a server that answers wrong, or hangs up instead
 * of answering, makes it exit 1 with a line saying so (the test plays the server). */
START_TEST(zen_client_detects_wrong_answers)
{
    for (int wrong = 0; wrong < 2; wrong++) {
        int port, listener = test_listener(64, &port);
        ck_assert_int_ge(listener, 0);
        char port_text[16];
        snprintf(port_text, sizeof port_text, "%d", port);
        struct child c;
        ck_assert_int_eq(
            child_start(&c, (const char *const[]){"./zen_client", "-p", port_text, NULL}, 0), 0);
        int fd = accept_within(listener, 5000);
        ck_assert_int_ge(fd, 0);
        char question[64];
        ck_assert_int_gt(recv(fd, question, sizeof question, 0), 0);
        if (wrong == 0)
            ck_assert_int_eq(send_all(fd, "Beautiful.", 10), 0);
        close(fd);
        ck_assert_int_eq(child_wait(&c, 10000), 1);
        char *err = child_stderr(&c);
        ck_assert_msg(strstr(err, wrong == 0 ? "wrong answer" : "closed the connection") != NULL,
                      "stderr: %s", err);
        free(err);
        child_close(&c);
        close(listener);
    }
}
END_TEST

/* 200 clients at once, 5 rounds, two questions each: every connection is answered
 * right (the Python original loses some of them to its late POLLNVAL cleanup). */
START_TEST(two_hundred_clients_at_once)
{
    enum { CLIENTS = 200, ROUNDS = 5 };
    struct server s;
    start(&s, SERVER("-q", ));
    int failed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int fds[CLIENTS];
        for (int i = 0; i < CLIENTS; i++)
            fds[i] = tcp_connect(s.host, s.port);
        const char *questions[2] = {"Beautiful is better than?", "Simple is better than?"};
        const char *answers[2] = {"Ugly.", "Complex."};
        for (int q = 0; q < 2; q++) {
            for (int i = 0; i < CLIENTS; i++) /* everyone asks, then everyone reads */
                if (fds[i] >= 0 && send_all(fds[i], questions[q], strlen(questions[q])) < 0)
                    fds[i] = (close(fds[i]), -1);
            for (int i = 0; i < CLIENTS; i++) {
                char got[16];
                size_t len = strlen(answers[q]);
                if (fds[i] >= 0 && (recv_exact(fds[i], got, len, 10000) != (ssize_t)len ||
                                    memcmp(got, answers[q], len) != 0))
                    fds[i] = (close(fds[i]), -1);
            }
        }
        for (int i = 0; i < CLIENTS; i++) {
            if (fds[i] < 0)
                failed++;
            else
                close(fds[i]);
        }
    }
    ck_assert_int_eq(failed, 0);
    stop(&s);
}
END_TEST

/* A client that floods questions and never reads gets stuck alone: the server stops
 * reading it while answers wait, so however much it pushes (over a megabyte of
 * questions, as much as the kernel's buffers take) the server's peak memory stays
 * bounded, and others are served at once. */
START_TEST(non_reader_does_not_stall_others)
{
    struct server s;
    start(&s, SERVER("-q", ));
    /* The memory is measured where /proc shows it; the rest is checked everywhere. */
    bool measure = have_proc() && !under_valgrind() && MEMORY_MEASURABLE;
    long rss_before = measure ? resident_kib(s.child.pid) : 0;
    if (measure)
        ck_assert_int_gt(rss_before, 0);
    int flood = connect_or_fail(&s);
    ck_assert_int_eq(set_nonblocking(flood), 0);
    static char burst[65536];
    for (size_t i = 0; i + 22 <= sizeof burst; i += 22)
        memcpy(burst + i, "Simple is better than?", 22);
    size_t pushed = 0;
    long long deadline = monotonic_ms() + scaled_ms(3000);
    /* Push until the kernel's buffers on both sides are full (send says EAGAIN for a
     * while): the server has stopped reading this client. */
    int idle_rounds = 0;
    while (idle_rounds < 20 && monotonic_ms() < deadline) {
        ssize_t n = send(flood, burst, sizeof burst - sizeof burst % 22, MSG_NOSIGNAL);
        if (n > 0) {
            pushed += (size_t)n;
            idle_rounds = 0;
        } else {
            ck_assert_int_eq(errno, EAGAIN);
            idle_rounds++;
            struct pollfd p = {.fd = flood, .events = POLLOUT};
            poll(&p, 1, 10);
        }
    }
    ck_assert_uint_gt(pushed, 1 << 20);
    long long start_ms = monotonic_ms();
    int other = connect_or_fail(&s);
    ask(other, "Explicit is better than?", "Implicit.");
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(1000));
    if (measure) {
        long peak = peak_resident_kib(s.child.pid);
        ck_assert_msg(peak - rss_before < 1024,
                      "peak memory %ld KiB, from %ld KiB, after %zu bytes", peak, rss_before,
                      pushed);
    }
    close(other);
    close_with_reset(flood);
    stop(&s);
}
END_TEST

/* 4095 bytes and a '?' is a (wrong) question; 4096 bytes without a '?' closes that
 * client only; so does 1 MiB with no '?' at all. */
START_TEST(question_limit_closes_only_that_client)
{
    struct server s;
    start(&s, SERVER());
    static char big[1 << 20];
    memset(big, 'x', sizeof big);
    int bystander = connect_or_fail(&s);

    int fd = connect_or_fail(&s);
    big[4095] = '?';
    ask_bytes(fd, big, 4096, "Error: unknown aphorism.");
    close(fd);

    big[4095] = 'x';
    const size_t sizes[] = {4096, sizeof big};
    for (int i = 0; i < 2; i++) {
        fd = connect_or_fail(&s);
        send_all(fd, big, sizes[i]); /* may fail half-way: the server hangs up */
        size_t len;
        char *rest = recv_until_eof(fd, &len, 5000);
        ck_assert_msg(rest != NULL || errno == ECONNRESET, "still open after %zu bytes", sizes[i]);
        if (rest != NULL)
            ck_assert_uint_eq(len, 0); /* no answer, just the end */
        free(rest);
        close(fd);
    }
    ck_assert(wait_for_stderr(&s.child, "4096 bytes and no '?'", 5000));
    ask(bystander, "Simple is better than?", "Complex.");
    close(bystander);
    stop(&s);
}
END_TEST

/* Binary and NUL bytes are just bytes: unknown questions, and the next question on
 * the same connection is answered normally. */
START_TEST(binary_and_nul_bytes)
{
    struct server s;
    start(&s, SERVER());
    int fd = connect_or_fail(&s);
    char question[258];
    for (int i = 0; i < 256; i++)
        question[i] = (char)(i == '?' ? 0 : i);
    question[256] = '?';
    ck_assert_int_eq(send_all(fd, question, 257), 0);
    char got[24];
    ck_assert_int_eq(recv_exact(fd, got, 24, 5000), 24);
    ck_assert_mem_eq(got, "Error: unknown aphorism.", 24);
    ck_assert_int_eq(send_all(fd, "Simple\0is better than?", 22), 0);
    ck_assert_int_eq(recv_exact(fd, got, 24, 5000), 24);
    ck_assert_mem_eq(got, "Error: unknown aphorism.", 24);
    ask(fd, "Beautiful is better than?", "Ugly.");
    close(fd);
    stop(&s);
}
END_TEST

/* A client that resets in the middle of a question (or with answers pending) costs
 * only itself. */
START_TEST(reset_mid_message)
{
    struct server s;
    start(&s, SERVER());
    int fd = connect_or_fail(&s);
    ck_assert_int_eq(send_all(fd, "Explicit is", 11), 0);
    close_with_reset(fd);
    fd = connect_or_fail(&s);
    ck_assert_int_eq(send_all(fd, "Simple is better than?Simple is better than?Simp", 48), 0);
    close_with_reset(fd);
    fd = connect_or_fail(&s);
    ask(fd, "Simple is better than?", "Complex.");
    close(fd);
    stop(&s);
}
END_TEST

/* Half-close: questions, then shutdown(SHUT_WR); every answer still comes, then EOF. */
START_TEST(half_close_gets_answers_then_eof)
{
    struct server s;
    start(&s, SERVER());
    int fd = connect_or_fail(&s);
    const char *questions = "Beautiful is better than?Explicit is better than?";
    ck_assert_int_eq(send_all(fd, questions, strlen(questions)), 0);
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    size_t len;
    char *got = recv_until_eof(fd, &len, 5000);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "Ugly.Implicit.");
    free(got);
    close(fd);
    stop(&s);
}
END_TEST

/* 200 clients that connect and never send do not hold up one that asks: it is
 * answered within a second. */
START_TEST(idle_clients_do_not_block_others)
{
    enum { IDLE = 200 };
    struct server s;
    start(&s, SERVER("-q", ));
    int idle[IDLE];
    for (int i = 0; i < IDLE; i++)
        idle[i] = connect_or_fail(&s);
    long long start_ms = monotonic_ms();
    int fd = connect_or_fail(&s);
    ask(fd, "Beautiful is better than?", "Ugly.");
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(1000));
    close(fd);
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);
    stop(&s);
}
END_TEST

/* 1000 connections opened, used and closed one after the other: the server's open
 * fds come back to what they were (each closed at once, none left behind), and it
 * is still one thread. */
START_TEST(thousand_connections_leave_no_fd)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc: the server's fds and threads)");
    struct server s;
    start(&s, SERVER("-q", ));
    int before = count_open_fds(s.child.pid), threads = count_threads(s.child.pid);
    ck_assert_int_gt(before, 0);
    ck_assert_int_gt(threads, 0);
    int n = under_valgrind() ? 200 : 1000;
    for (int i = 0; i < n; i++) {
        int fd = connect_or_fail(&s);
        ask(fd, "Simple is better than?", "Complex.");
        if (i % 2)
            close(fd);
        else
            close_with_reset(fd);
    }
    ck_assert_int_eq(wait_for_count(count_open_fds, s.child.pid, before, 5000), before);
    ck_assert_int_eq(count_threads(s.child.pid), threads);
    stop(&s);
}
END_TEST

/* Out of file descriptors (RLIMIT_NOFILE of the running server lowered to 32): accept
 * fails with EMFILE, the server does not spin (little CPU while clients wait in the
 * backlog), keeps serving those it has, and takes the waiting ones once fds free. */
START_TEST(emfile_pauses_without_spinning)
{
    enum { LIMIT = 32, CLIENTS = 40 };
    SKIP_UNLESS(have_prlimit(), "needs Linux (prlimit: the server's fd limit)");
    SKIP_UNLESS(have_proc(), "needs Linux (/proc: the server's CPU time)");
    struct server s;
    start(&s, SERVER());
    ck_assert_int_ge(set_fd_limit(s.child.pid, LIMIT), 0);
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = connect_or_fail(&s); /* the kernel completes these: the backlog */
    ck_assert(wait_for_stderr(&s.child, "Too many open files", 5000));
    long cpu = (long)(cpu_share(s.child.pid, 500) * 100);
    ck_assert_msg(cpu >= 0 && cpu < 25, "%ld%% of a CPU while out of fds: spinning", cpu);
    ask(fds[0], "Simple is better than?", "Complex."); /* accepted before the limit */
    for (int i = 0; i < 20; i++)                       /* more than are waiting */
        close(fds[i]);
    ask(fds[CLIENTS - 1], "Explicit is better than?", "Implicit."); /* waited, now served */
    for (int i = 20; i < CLIENTS; i++)
        close(fds[i]);
    stop(&s);
}
END_TEST

/* SIGTERM with clients connected, one in the middle of a question: exit 0. */
START_TEST(sigterm_with_clients_connected)
{
    struct server s;
    start(&s, SERVER());
    int a = connect_or_fail(&s), b = connect_or_fail(&s);
    ask(a, "Simple is better than?", "Complex.");
    ck_assert_int_eq(send_all(b, "Simple is", 9), 0);
    ck_assert(wait_for_stderr(&s.child, "Accepted", 5000));
    long long start_ms = monotonic_ms();
    stop(&s);
    ck_assert_int_lt(monotonic_ms() - start_ms, scaled_ms(2000));
    size_t len;
    char *rest = recv_until_eof(a, &len, 5000); /* the server closed its side */
    ck_assert_ptr_nonnull(rest);
    free(rest);
    close(a);
    close(b);
}
END_TEST

/* IPv6: -H ::1 listens on [::1] and answers there (skipped without IPv6). */
START_TEST(ipv6_loopback)
{
    struct server s;
    SKIP_UNLESS(
        server_start(&s, (const char *const[]){"./zen_server", "-H", "::1", "-p", "0", NULL}) == 0,
        "needs IPv6 (zen_server -H ::1 did not start)");
    ck_assert_str_eq(s.host, "::1");
    int fd = connect_or_fail(&s);
    ask(fd, "Beautiful is better than?", "Ugly.");
    close(fd);
    stop(&s);
}
END_TEST

/* A port in use: one line naming the address and the reason, exit 1. A refused
 * connection: zen_client says so, exit 1. */
START_TEST(port_in_use_and_refused)
{
    struct server s;
    start(&s, SERVER());
    char port[16], expected[128];
    snprintf(port, sizeof port, "%d", s.port);
    struct run r;
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 10000, (const char *const[]){"./zen_server", "-p", port, NULL}, 0),
        0);
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected, "zen_server: bind 127.0.0.1:%s: Address already in use\n",
             port);
    ck_assert_str_eq(r.err, expected);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    stop(&s);

    ck_assert_int_eq(
        run_program(&r, NULL, 0, 10000, (const char *const[]){"./zen_client", "-p", port, NULL}, 0),
        0);
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected, "zen_client: connect 127.0.0.1:%s: Connection refused\n",
             port);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);
}
END_TEST

/* Bad command lines: one line naming the problem plus the usage, exit 2; -h: usage
 * on stdout, exit 0. */
START_TEST(bad_usage)
{
    static const char *const bad[][4] = {
        {"./zen_server", "-p", "abc"}, {"./zen_server", "-p", "70000"},
        {"./zen_server", "-p", "-1"},  {"./zen_server", "-p", ""},
        {"./zen_server", "-x"},        {"./zen_server", "extra"},
        {"./zen_client", "-p", "0"},   {"./zen_client", "-p", "abc"},
        {"./zen_client", "-p"},        {"./zen_client", "stray"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run r;
        ck_assert_int_eq(run_program(&r, NULL, 0, 10000, bad[i], 0), 0);
        ck_assert_msg(r.code == 2, "%s %s %s: exit %d", bad[i][0], bad[i][1],
                      bad[i][2] ? bad[i][2] : "", r.code);
        ck_assert_int_eq(total_lines(r.err), 2); /* the problem, then the usage */
        ck_assert_ptr_nonnull(strstr(r.err, "Usage: "));
        ck_assert_str_eq(r.out, "");
        run_free(&r);
    }
    const char *programs[] = {"./zen_server", "./zen_client"};
    for (int i = 0; i < 2; i++) {
        struct run r;
        ck_assert_int_eq(
            run_program(&r, NULL, 0, 10000, (const char *const[]){programs[i], "-h", NULL}, 0), 0);
        ck_assert_int_eq(r.code, 0);
        ck_assert_ptr_nonnull(strstr(r.out, "Usage: "));
        ck_assert_ptr_nonnull(strstr(r.out, "1060"));
        run_free(&r);
    }
}
END_TEST

static Suite *zen_server_suite(void)
{
    Suite *s = suite_create("zen_server");
    TCase *tc = tcase_create("protocol");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, protocol_is_byte_exact);
    tcase_add_test(tc, question_split_into_single_bytes);
    tcase_add_test(tc, three_questions_in_one_send);
    tcase_add_test(tc, client_closing_mid_question_is_logged);
    tcase_add_test(tc, zen_client_asks_three_questions);
    tcase_add_test(tc, zen_client_detects_wrong_answers);
    suite_add_tcase(s, tc);

    tc = tcase_create("robustness");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, two_hundred_clients_at_once);
    tcase_add_test(tc, non_reader_does_not_stall_others);
    tcase_add_test(tc, question_limit_closes_only_that_client);
    tcase_add_test(tc, binary_and_nul_bytes);
    tcase_add_test(tc, reset_mid_message);
    tcase_add_test(tc, half_close_gets_answers_then_eof);
    tcase_add_test(tc, idle_clients_do_not_block_others);
    tcase_add_test(tc, thousand_connections_leave_no_fd);
    tcase_add_test(tc, emfile_pauses_without_spinning);
    tcase_add_test(tc, sigterm_with_clients_connected);
    suite_add_tcase(s, tc);

    tc = tcase_create("command line");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, ipv6_loopback);
    tcase_add_test(tc, port_in_use_and_refused);
    tcase_add_test(tc, bad_usage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(zen_server_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
