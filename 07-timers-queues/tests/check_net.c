/* check_net.c -- connect with a timeout (net.c): success, refusal, a timeout within
 * bounds, a stop through the self-pipe, every address of a name, resolver errors. */
#include "../net.h"
#include "harness.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A listener on 127.0.0.1 (BACKLOG), its port as text in SERVICE for net_connect. */
static int listen_here(int backlog, char service[8])
{
    int port, fd = test_listener(backlog, &port);
    ck_assert_int_ge(fd, 0);
    snprintf(service, 8, "%d", port);
    return fd;
}

/* A listener that never answers: backlog 0, and its one queue slot taken by a
 * connection nobody accepts, so the kernel ignores every further SYN. */
struct full_listener {
    int fd;
    int fillers[2];
    char service[8];
};

static void open_full_listener(struct full_listener *l)
{
    char why[128];
    l->fd = listen_here(0, l->service);
    for (int i = 0; i < 2; i++) /* the second may itself time out: fine */
        l->fillers[i] = net_connect("127.0.0.1", l->service, 0.1, -1, why, sizeof why);
}

static void close_full_listener(struct full_listener *l)
{
    for (int i = 0; i < 2; i++)
        if (l->fillers[i] >= 0)
            close(l->fillers[i]);
    close(l->fd);
}

/* A port with a listener connects, and the socket comes back in blocking mode. */
START_TEST(connects_to_a_listener)
{
    char service[8], why[128] = "";
    int listener = listen_here(8, service);
    int fd = net_connect("127.0.0.1", service, 1.0, -1, why, sizeof why);
    ck_assert_msg(fd >= 0, "connect failed: %s", why);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    ck_assert_int_eq(accept_and_close_all(listener), 1);
    close(fd);
    close(listener);
}
END_TEST

/* "localhost" may resolve to ::1 first: with a listener on 127.0.0.1 only, the
 * refused IPv6 address is skipped and the IPv4 one connects. */
START_TEST(tries_every_address_of_a_name)
{
    char service[8], why[128] = "";
    int listener = listen_here(8, service);
    int fd = net_connect("localhost", service, 1.0, -1, why, sizeof why);
    ck_assert_msg(fd >= 0, "connect failed: %s", why);
    close(fd);
    close(listener);
}
END_TEST

/* A port nobody listens on is refused, at once. */
START_TEST(refused_port_fails_at_once)
{
    char service[8], why[128] = "";
    close(listen_here(8, service)); /* now nobody listens there */
    long long start = monotonic_ms();
    ck_assert_int_eq(net_connect("127.0.0.1", service, 5.0, -1, why, sizeof why), -1);
    ck_assert_str_eq(why, "Connection refused");
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(500));
}
END_TEST

/* A listener whose backlog is full ignores our SYN: the connect gives up after the
 * timeout, no earlier and not much later, with "timed out". */
START_TEST(unanswered_connect_times_out_within_bounds)
{
    struct full_listener full;
    char why[128] = "";
    open_full_listener(&full);
    long long start = monotonic_ms();
    ck_assert_int_eq(net_connect("127.0.0.1", full.service, 0.3, -1, why, sizeof why), -1);
    long long took = monotonic_ms() - start;
    ck_assert_str_eq(why, "timed out");
    ck_assert_int_ge(took, 300);
    ck_assert_int_lt(took, 300 + scaled_ms(200));
    close_full_listener(&full);
}
END_TEST

struct delayed_write {
    int fd;
    int after_ms;
};

static void *write_later(void *arg)
{
    struct delayed_write *w = arg;
    struct timespec pause = {0, (long)w->after_ms * 1000000L};
    nanosleep(&pause, NULL);
    if (write(w->fd, "s", 1) != 1)
        abort();
    return NULL;
}

/* A connect that would wait 10 s stops as soon as the stop pipe becomes readable
 * (what a SIGTERM handler does), with "stopped". */
START_TEST(stop_pipe_ends_the_wait)
{
    struct full_listener full;
    char why[128] = "";
    int stop[2];
    open_full_listener(&full);
    ck_assert_int_eq(pipe(stop), 0);
    struct delayed_write w = {stop[1], 100};
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, write_later, &w), 0);
    long long start = monotonic_ms();
    ck_assert_int_eq(net_connect("127.0.0.1", full.service, 10.0, stop[0], why, sizeof why), -1);
    long long took = monotonic_ms() - start;
    pthread_join(thread, NULL);
    ck_assert_str_eq(why, "stopped");
    ck_assert_int_ge(took, 90);
    ck_assert_int_lt(took, 100 + scaled_ms(300));
    close(stop[0]);
    close(stop[1]);
    close_full_listener(&full);
}
END_TEST

/* What getaddrinfo refuses comes back as its own message (no network needed: an
 * unknown service name). */
START_TEST(resolver_errors_are_reported)
{
    char why[128] = "";
    ck_assert_int_eq(net_connect("127.0.0.1", "no-such-service", 1.0, -1, why, sizeof why), -1);
    ck_assert_str_ne(why, "");
    ck_assert_str_ne(why, "timed out");
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
    tcase_add_test(tc, stop_pipe_ends_the_wait);
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
