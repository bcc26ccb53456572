/* check_select_server.c -- what is particular to select_server, lecture 000's "Satu Server":
 * a line (or end of file) on standard input stops it, clients connected or not; standard
 * input that cannot bring a line (/dev/null) is not watched; each client thread prints
 * what it received, as the lecture's print does. */
#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOT_WATCHING "select_server: standard input is not a terminal or a pipe"

/* Start select_server with its standard input on a pipe (s->child.in). */
static void start_with_stdin(struct server *s, bool quiet)
{
    const char *argv[] = {"./select_server", "-p", "0", quiet ? "-q" : NULL, NULL};
    ck_assert_int_eq(server_start_flags(s, argv, CHILD_STDIN_PIPE), 0);
}

/* Wait for the server to end by itself (no signal sent); returns its exit code. */
static int wait_for_exit(struct server *s, int timeout_ms)
{
    int code = child_wait(&s->child, timeout_ms);
    if (code != 0) {
        char *err = child_stderr(&s->child);
        fprintf(stderr, "select_server exit code %d; stderr:\n%s\n", code, err);
        free(err);
    }
    child_close(&s->child);
    return code;
}

/* Three clients (idle, mid-line, one that never reads while the server is blocked
 * sending to it), then Enter on standard input: the server closes the listener, shuts
 * the clients down, joins every thread and exits 0 within 2 s; each client sees its end. */
START_TEST(a_line_on_stdin_stops_it_with_clients_connected)
{
    struct server s;
    start_with_stdin(&s, true);
    int idle = connect_or_fail(&s), partial = connect_or_fail(&s), hog = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(idle, "i", 1, 2000), 0);
    ck_assert_int_eq(echo_round_trip(partial, "half a li", 9, 2000), 0);
    ck_assert_uint_gt(send_until_stalled(hog, (size_t)64 << 20, 300, 10000), 0);
    if (have_proc()) /* the three client threads are there (and the hog's is stuck) */
        ck_assert_int_eq(wait_for_count(count_threads, s.child.pid, 4 + SANITIZER_THREADS, 2000),
                         4 + SANITIZER_THREADS);

    long long t0 = monotonic_ms();
    ck_assert_int_eq(write(s.child.in, "\n", 1), 1);
    ck_assert_int_eq(wait_for_exit(&s, 2000), 0);
    ck_assert_int_lt(monotonic_ms() - t0, scaled_ms(2000));
    int fds[] = {idle, partial};
    for (int i = 0; i < 2; i++) {
        size_t len;
        char *rest = recv_until_eof(fds[i], &len, 2000);
        ck_assert_msg(rest != NULL && len == 0, "client %d: not a clean EOF", i);
        free(rest);
        close(fds[i]);
    }
    close(hog);
    /* The listener is closed: nobody can connect any more. */
    ck_assert_int_lt(server_connect(&s), 0);
}
END_TEST

/* End of file on standard input (the writer closes the pipe) stops it too. */
START_TEST(end_of_stdin_stops_it)
{
    struct server s;
    start_with_stdin(&s, true);
    int fd = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(fd, "eof next\n", 9, 2000), 0);
    close(s.child.in);
    s.child.in = -1;
    ck_assert_int_eq(wait_for_exit(&s, 2000), 0);
    close(fd);
}
END_TEST

/* Text without a newline is not a line yet: the server goes on until the Enter. */
START_TEST(half_a_line_does_not_stop_it)
{
    struct server s;
    start_with_stdin(&s, true);
    ck_assert_int_eq(write(s.child.in, "not yet", 7), 7);
    /* Had it stopped, its stdout would have reached EOF (readable) within 200 ms. */
    ck_assert(nothing_arrives(s.child.out, 200));
    ck_assert_int_eq(echo_once(&s, "still serving\n", 2000), 0);
    ck_assert_int_eq(write(s.child.in, " now\n", 5), 5);
    ck_assert_int_eq(wait_for_exit(&s, 2000), 0);
}
END_TEST

/* Standard input on /dev/null (a test harness, a service): end of file at once, so it is
 * not watched; a note says so (not with -q); the server serves until SIGTERM, exit 0. */
START_TEST(dev_null_stdin_is_not_watched)
{
    struct server s;
    ck_assert_int_eq(server_start(&s, (const char *const[]){"./select_server", "-p", "0", NULL}),
                     0);
    ck_assert(wait_for_stderr(&s.child, NOT_WATCHING, 2000));
    ck_assert_int_eq(echo_once(&s, "served\n", 2000), 0);
    char *err;
    ck_assert_int_eq(server_stop_keep_stderr(&s, &err), 0);
    ck_assert_int_eq(
        count_lines(err, NOT_WATCHING ": not watching it; stop with Ctrl-C or SIGTERM"), 1);
    free(err);

    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./select_server", "-p", "0", "-q", NULL}), 0);
    ck_assert_int_eq(echo_once(&s, "quiet\n", 2000), 0);
    ck_assert_int_eq(server_stop_keep_stderr(&s, &err), 0);
    ck_assert_str_eq(err, "");
    free(err);
}
END_TEST

/* Each client thread prints what it received as the lecture does, Python's repr of the
 * bytes (b'...'), the empty b'' when the client closes; "connected" first. */
START_TEST(client_threads_print_what_they_received)
{
    struct server s;
    start_with_stdin(&s, false);
    int fd = connect_or_fail(&s);
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &len), 0);
    char expected[128];
    ck_assert_int_eq(echo_round_trip(fd, "hello\n", 6, 2000), 0);
    snprintf(expected, sizeof expected, "received: 127.0.0.1:%d b'hello\\n'\n", ntohs(me.sin_port));
    ck_assert(wait_for_stderr(&s.child, expected, 2000));
    ck_assert_int_eq(echo_round_trip(fd, "\0\xff'", 3, 2000), 0);
    snprintf(expected, sizeof expected, "received: 127.0.0.1:%d b\"\\x00\\xff'\"\n",
             ntohs(me.sin_port));
    ck_assert(wait_for_stderr(&s.child, expected, 2000));
    close(fd);
    snprintf(expected, sizeof expected, "received: 127.0.0.1:%d b''\n", ntohs(me.sin_port));
    ck_assert(wait_for_stderr(&s.child, expected, 2000));
    snprintf(expected, sizeof expected, "connected 127.0.0.1:%d\n", ntohs(me.sin_port));
    char *err = child_stderr(&s.child);
    ck_assert_ptr_eq(strstr(err, expected), err); /* the first line; and no "not watching" */
    free(err);
    ck_assert_int_eq(write(s.child.in, "\n", 1), 1);
    ck_assert_int_eq(wait_for_exit(&s, 2000), 0);
}
END_TEST

static Suite *select_server_suite(void)
{
    Suite *s = suite_create("05-select-server select_server");
    TCase *tc = tcase_create("select_server");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, a_line_on_stdin_stops_it_with_clients_connected);
    tcase_add_test(tc, end_of_stdin_stops_it);
    tcase_add_test(tc, half_a_line_does_not_stop_it);
    tcase_add_test(tc, dev_null_stdin_is_not_watched);
    tcase_add_test(tc, client_threads_print_what_they_received);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    SRunner *runner = srunner_create(select_server_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
