/* check_net.c -- connect with a timeout (the kit's net.c, net_connect): success,
 * refusal, a timeout within bounds, a stop (SIGTERM through the stop pipe), every
 * address of a name, resolver errors; each failure's reason as port_monitor shows it
 * (net_reason) and its errno. */
#include "../net.h"
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A listener on 127.0.0.1 (BACKLOG); its port in *PORT. */
static int listen_here(int backlog, int *port)
{
    int fd = test_listener(backlog, port);
    ck_assert_int_ge(fd, 0);
    return fd;
}

/* A listener that never answers: backlog 0, and its one queue slot taken by a
 * connection nobody accepts, so the kernel ignores every further SYN. */
struct full_listener {
    int fd;
    int fillers[2];
    int port;
};

static void open_full_listener(struct full_listener *l)
{
    char error[128];
    l->fd = listen_here(0, &l->port);
    for (int i = 0; i < 2; i++) /* the second may itself time out: fine */
        l->fillers[i] = net_connect("127.0.0.1", l->port, 0.1, NULL, 0, error, sizeof error);
}

static void close_full_listener(struct full_listener *l)
{
    for (int i = 0; i < 2; i++)
        if (l->fillers[i] >= 0)
            close(l->fillers[i]);
    close(l->fd);
}

/* A port with a listener connects, the socket comes back in blocking mode, and PEER
 * says where it went. */
START_TEST(connects_to_a_listener)
{
    char peer[NET_ADDRESS_SIZE] = "", error[128] = "", expected[NET_ADDRESS_SIZE];
    int port, listener = listen_here(8, &port);
    int fd = net_connect("127.0.0.1", port, 1.0, peer, sizeof peer, error, sizeof error);
    ck_assert_msg(fd >= 0, "connect failed: %s", error);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    snprintf(expected, sizeof expected, "127.0.0.1:%d", port);
    ck_assert_str_eq(peer, expected);
    ck_assert_int_eq(accept_and_close_all(listener), 1);
    close(fd);
    close(listener);
}
END_TEST

/* "localhost" may resolve to ::1 first: with a listener on 127.0.0.1 only, the
 * refused IPv6 address is skipped and the IPv4 one connects. */
START_TEST(tries_every_address_of_a_name)
{
    char peer[NET_ADDRESS_SIZE] = "", error[128] = "", expected[NET_ADDRESS_SIZE];
    int port, listener = listen_here(8, &port);
    int fd = net_connect("localhost", port, 1.0, peer, sizeof peer, error, sizeof error);
    ck_assert_msg(fd >= 0, "connect failed: %s", error);
    snprintf(expected, sizeof expected, "127.0.0.1:%d", port);
    ck_assert_str_eq(peer, expected);
    close(fd);
    close(listener);
}
END_TEST

/* A port nobody listens on is refused, at once. */
START_TEST(refused_port_fails_at_once)
{
    char error[128] = "", expected[128];
    int port;
    close(listen_here(8, &port)); /* now nobody listens there */
    long long start = monotonic_ms();
    errno = 0;
    ck_assert_int_eq(net_connect("127.0.0.1", port, 5.0, NULL, 0, error, sizeof error), -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
    snprintf(expected, sizeof expected, "connect 127.0.0.1:%d: Connection refused", port);
    ck_assert_str_eq(error, expected);
    ck_assert_str_eq(net_reason(error), "Connection refused");
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(500));
}
END_TEST

/* A listener whose backlog is full ignores our SYN: the connect gives up after the
 * timeout, no earlier and not much later, with "timed out". */
START_TEST(unanswered_connect_times_out_within_bounds)
{
    struct full_listener full;
    char error[128] = "";
    open_full_listener(&full);
    long long start = monotonic_ms();
    errno = 0;
    ck_assert_int_eq(net_connect("127.0.0.1", full.port, 0.3, NULL, 0, error, sizeof error), -1);
    long long took = monotonic_ms() - start;
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_str_eq(net_reason(error), "timed out");
    ck_assert_int_ge(took, 300);
    ck_assert_int_lt(took, 300 + scaled_ms(200));
    close_full_listener(&full);
}
END_TEST

/* After a while, SIGTERM to this process: what a user's kill does. */
static void *terminate_later(void *arg)
{
    int after_ms = *(const int *)arg;
    struct timespec pause = {0, (long)after_ms * 1000000L};
    nanosleep(&pause, NULL); /* lets time pass: the connect is waiting meanwhile */
    if (kill(getpid(), SIGTERM) != 0)
        abort();
    return NULL;
}

/* A connect that would wait 10 s stops as soon as a SIGTERM comes (its handler writes
 * to the stop pipe, which the connect's wait watches), with "stopped". */
START_TEST(stop_ends_the_wait)
{
    struct full_listener full;
    char error[128] = "";
    open_full_listener(&full);
    ck_assert_int_ge(net_stop_install(), 0);
    int after_ms = 100;
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, terminate_later, &after_ms), 0);
    long long start = monotonic_ms();
    errno = 0;
    ck_assert_int_eq(net_connect("127.0.0.1", full.port, 10.0, NULL, 0, error, sizeof error), -1);
    int saved_errno = errno;
    long long took = monotonic_ms() - start;
    pthread_join(thread, NULL);
    ck_assert_int_eq(saved_errno, ECANCELED);
    ck_assert_str_eq(net_reason(error), "stopped");
    ck_assert(net_stop_requested());
    ck_assert_int_ge(took, 90);
    ck_assert_int_lt(took, 100 + scaled_ms(300));
    /* Once stopped, stopped for good: the next connect gives up at once. */
    ck_assert_int_eq(net_connect("127.0.0.1", full.port, 10.0, NULL, 0, error, sizeof error), -1);
    ck_assert_str_eq(net_reason(error), "stopped");
    net_stop_remove();
    close_full_listener(&full);
}
END_TEST

/* What getaddrinfo refuses comes back as its own message. No network needed: a name
 * with an empty label ("no..such") is refused by the resolver before it asks DNS. */
START_TEST(resolver_errors_are_reported)
{
    char error[128] = "";
    ck_assert_int_eq(net_connect("no..such", 80, 1.0, NULL, 0, error, sizeof error), -1);
    ck_assert_msg(strncmp(error, "getaddrinfo no..such: ", 22) == 0, "error: %s", error);
    ck_assert_str_ne(net_reason(error), "");
    ck_assert_str_ne(net_reason(error), "timed out");
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("net");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, connects_to_a_listener);
    tcase_add_test(tc, tries_every_address_of_a_name);
    tcase_add_test(tc, refused_port_fails_at_once);
    tcase_add_test(tc, unanswered_connect_times_out_within_bounds);
    tcase_add_test(tc, stop_ends_the_wait);
    tcase_add_test(tc, resolver_errors_are_reported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(net_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
