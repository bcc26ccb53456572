/* check_select_echo.c -- what is particular to select_echo, one thread for every client:
 * clients beyond what select can watch are refused and the server lives on (with -m and at
 * the real FD_SETSIZE); a client that never reads while 8 MiB wait for it stalls nobody
 * and loses nothing; a half-close with a big backlog still gets every byte, then EOF. */
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define REFUSED "beyond what select can watch"

/* Is FD closed by the server (EOF or reset) within MS? */
static bool closed_by_server(int fd, int ms)
{
    if (nothing_arrives(fd, ms))
        return false;
    char byte;
    return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

/* select_echo -m 10: clients are served until the first one whose descriptor would be 10
 * or more; that one is closed at once with a line on stderr, and the server serves on:
 * the earlier clients, and a new one as soon as a descriptor below 10 is free. */
START_TEST(refuses_beyond_its_limit_and_serves_on)
{
    struct server s;
    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./select_echo", "-p", "0", "-q", "-m", "10", NULL}),
        0);
    int fds[10], served = 0, refused = -1;
    while (served < 10) {
        int fd = connect_or_fail(&s);
        if (echo_round_trip(fd, "in?", 3, 2000) == 0) {
            fds[served++] = fd;
            continue;
        }
        ck_assert(closed_by_server(fd, 0));
        refused = fd;
        break;
    }
    ck_assert_int_ge(refused, 0);
    ck_assert_int_ge(served, 1);
    ck_assert(wait_for_stderr(&s.child, "select_echo: refused 127.0.0.1:", 2000));
    ck_assert(wait_for_stderr(&s.child, ": descriptor 10 is " REFUSED " (10)\n", 0));
    close(refused);
    for (int i = 0; i < served; i++)
        ck_assert_int_eq(echo_round_trip(fds[i], "still", 5, 2000), 0);
    close(fds[0]);
    /* Its number is free again (the server notices fds[0] closing first or soon after). */
    bool again = false;
    for (int attempt = 0; attempt < 20 && !again; attempt++) {
        int fd = connect_or_fail(&s);
        again = echo_round_trip(fd, "again", 5, 2000) == 0;
        close(fd);
    }
    ck_assert(again);
    for (int i = 1; i < served; i++)
        close(fds[i]);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* The real limit: with enough descriptors allowed (the server raises its soft limit to the
 * hard one at start), FD_SETSIZE + 10 clients connect; those whose descriptor would be
 * FD_SETSIZE or more are refused at once, the others are served, and the server serves
 * new clients when old ones leave. */
START_TEST(refuses_beyond_fd_setsize_and_serves_on)
{
    enum { CLIENTS = FD_SETSIZE + 10 };
    /* The test itself holds the sockets too; the server inherits the hard limit. */
    SKIP_UNLESS(need_fds(CLIENTS + 64), "needs 1098 descriptors, and the hard limit is lower "
                                        "(the -m test covers the refusal)");
    struct server s;
    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./select_echo", "-p", "0", "-q", NULL}), 0);
    static int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = connect_or_fail(&s);
    /* The last ones got descriptors >= FD_SETSIZE in the server: closed at once. */
    for (int i = CLIENTS - 5; i < CLIENTS; i++)
        ck_assert_msg(closed_by_server(fds[i], scaled_ms(3000)), "client %d not refused", i);
    char line[96];
    snprintf(line, sizeof line, ": descriptor %d is " REFUSED " (%d)\n", FD_SETSIZE, FD_SETSIZE);
    ck_assert(wait_for_stderr(&s.child, line, 2000));
    ck_assert_int_eq(echo_round_trip(fds[0], "first", 5, 2000), 0);
    ck_assert_int_eq(echo_round_trip(fds[FD_SETSIZE / 2], "middle", 6, 2000), 0);
    if (have_proc()) /* one thread did it all */
        ck_assert_int_eq(count_threads(s.child.pid), 1);
    for (int i = 0; i < 20; i++)
        close(fds[i]);
    bool again = false;
    for (int attempt = 0; attempt < 20 && !again; attempt++) {
        int fd = connect_or_fail(&s);
        again = echo_round_trip(fd, "room again", 10, 2000) == 0;
        close(fd);
    }
    ck_assert(again);
    for (int i = 20; i < CLIENTS; i++)
        close(fds[i]);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* The harness's clients_at_once() holds N clients at the same time: against select_echo
 * -m 9, which can watch only descriptors 6, 7 and 8 (0-2 are stdio, 3-4 the stop pipe, 5
 * the listener), exactly 3 of 6 clients get their echo, the others are refused; one after
 * the other, all 6 are served. (So a clients_at_once that did not keep every client
 * connected, or that counted a client without its own echo, would fail here.) */
START_TEST(clients_at_once_counts_those_served_together)
{
    struct server s;
    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./select_echo", "-p", "0", "-q", "-m", "9", NULL}),
        0);
    ck_assert_int_eq(clients_at_once(&s, 6, 3000), 3);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(echo_once(&s, "one at a time", 3000), 0);
    ck_assert_int_eq(clients_at_once(&s, 3, 3000), 3);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* A client sends 8 MiB and reads nothing: the others are served all along, and when it
 * finally reads it gets every byte of its echo, in order. */
START_TEST(never_reading_client_stalls_nobody_and_loses_nothing)
{
    struct server s;
    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./select_echo", "-p", "0", "-q", NULL}), 0);
    int hog = connect_or_fail(&s);
    size_t sent = send_until_stalled(hog, (size_t)8 << 20, 300, 10000);
    ck_assert_uint_gt(sent, 1u << 20);
    for (int i = 0; i < 5; i++) {
        long long t0 = monotonic_ms();
        ck_assert_int_eq(echo_once(&s, "not stalled\n", 2000), 0);
        ck_assert_int_lt(monotonic_ms() - t0, scaled_ms(500));
    }
    /* Now read it all (sending the rest of the 8 MiB meanwhile). */
    size_t received = 0, total = (size_t)8 << 20;
    long long deadline = monotonic_ms() + scaled_ms(10000);
    static char chunk[65536], xs[65536];
    memset(xs, 'x', sizeof xs);
    while (received < total && monotonic_ms() < deadline) {
        struct pollfd p = {.fd = hog, .events = POLLIN | (sent < total ? POLLOUT : 0)};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        if (p.revents & POLLOUT) {
            size_t want = total - sent < sizeof xs ? total - sent : sizeof xs;
            ssize_t n = send(hog, xs, want, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                sent += (size_t)n;
        }
        if (p.revents & POLLIN) {
            ssize_t n = recv(hog, chunk, sizeof chunk, MSG_DONTWAIT);
            ck_assert_int_gt(n, 0);
            ck_assert_mem_eq(chunk, xs, (size_t)n);
            received += (size_t)n;
        }
    }
    ck_assert_uint_eq(received, total);
    close(hog);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* Half-close after 1 MiB: the server has most of the echo still to send when it sees the
 * EOF; it sends every byte, then closes. */
START_TEST(half_close_with_a_big_backlog)
{
    struct server s;
    ck_assert_int_eq(
        server_start(&s, (const char *const[]){"./select_echo", "-p", "0", "-q", NULL}), 0);
    int fd = connect_or_fail(&s);
    size_t total = 1 << 20, sent = 0, received = 0;
    char *data = malloc(total), *back = malloc(total + 1);
    ck_assert(data != NULL && back != NULL);
    fill_random(data, total, 1);
    /* Send everything first, reading only once the server stops taking more. */
    long long deadline = monotonic_ms() + scaled_ms(10000);
    bool shut = false, eof = false;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (!eof && monotonic_ms() < deadline) {
        if (sent == total && !shut) {
            ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
            shut = true;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0)};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        if ((p.revents & POLLOUT) && sent < total) {
            ssize_t n = send(fd, data + sent, total - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            ssize_t n = recv(fd, back + received, total + 1 - received, 0);
            if (n == 0)
                eof = true;
            else if (n > 0)
                received += (size_t)n;
            else
                ck_assert_int_eq(errno, EAGAIN);
        }
    }
    ck_assert(eof);
    ck_assert_uint_eq(received, total);
    ck_assert_mem_eq(back, data, total);
    free(data);
    free(back);
    close(fd);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

static Suite *select_echo_suite(void)
{
    Suite *s = suite_create("05-select-server select_echo");
    TCase *tc = tcase_create("select_echo");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, refuses_beyond_its_limit_and_serves_on);
    tcase_add_test(tc, refuses_beyond_fd_setsize_and_serves_on);
    tcase_add_test(tc, clients_at_once_counts_those_served_together);
    tcase_add_test(tc, never_reading_client_stalls_nobody_and_loses_nothing);
    tcase_add_test(tc, half_close_with_a_big_backlog);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    SRunner *runner = srunner_create(select_echo_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
