/* check_net.c -- the kit's socket helpers (net.c, whose master is this folder's),
 * called directly: addresses as text, net_send_all (whole, never blocking past a stop,
 * never raising SIGPIPE, leaving the socket as it found it) and net_close_gracefully.
 * `make test PORTABLE=1` runs the same checks against the fallbacks for what POSIX does
 * not have (MSG_DONTWAIT, MSG_NOSIGNAL): see the top of net.c. */
#include "../net.h"
#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connected pair over loopback, made with net.c itself: *CLIENT from net_connect,
 * *SERVER from net_accept (both blocking, as those helpers promise). */
static void connected_pair(int *client, int *server)
{
    char error[256], peer[NET_ADDRESS_SIZE];
    struct sockaddr_in self;
    socklen_t len = sizeof self;
    int listener = net_listen("127.0.0.1", 0, error, sizeof error);
    ck_assert_msg(listener >= 0, "%s", error);
    ck_assert_int_eq(getsockname(listener, (struct sockaddr *)&self, &len), 0);
    *client =
        net_connect("127.0.0.1", ntohs(self.sin_port), 5, peer, sizeof peer, error, sizeof error);
    ck_assert_msg(*client >= 0, "%s", error);
    *server = net_accept(listener, scaled_ms(5000), peer, sizeof peer, "check_net");
    ck_assert_int_ge(*server, 0);
    close(listener);
}

static bool is_blocking(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0;
}

/* IPv4 as 1.2.3.4:PORT, IPv6 in brackets, an IPv4 peer seen through an IPv6 socket
 * (::ffff:127.0.0.1) as IPv4, anything else as "?". */
START_TEST(format_address_forms)
{
    char text[NET_ADDRESS_SIZE];
    struct sockaddr_in four = {.sin_family = AF_INET, .sin_port = htons(50007)};
    four.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_str_eq(net_format_address((struct sockaddr *)&four, text, sizeof text),
                     "127.0.0.1:50007");

    struct sockaddr_in6 six = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
    six.sin6_addr = in6addr_loopback;
    ck_assert_str_eq(net_format_address((struct sockaddr *)&six, text, sizeof text), "[::1]:80");
    ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.1", &six.sin6_addr), 1);
    ck_assert_str_eq(net_format_address((struct sockaddr *)&six, text, sizeof text),
                     "127.0.0.1:80");
    ck_assert_int_eq(inet_pton(AF_INET6, "::fffe:127.0.0.1", &six.sin6_addr), 1); /* not mapped */
    ck_assert_str_eq(net_format_address((struct sockaddr *)&six, text, sizeof text),
                     "[::fffe:7f00:1]:80");

    struct sockaddr other = {.sa_family = AF_UNIX};
    ck_assert_str_eq(net_format_address(&other, text, sizeof text), "?");
    ck_assert_str_eq(net_reason("connect 127.0.0.1:1: Connection refused"), "Connection refused");
}
END_TEST

/* net_send_all sends everything, and leaves the socket as it found it: a blocking
 * socket blocking (the fallback without MSG_DONTWAIT makes it non-blocking for the call
 * only), a non-blocking one non-blocking. */
START_TEST(send_all_leaves_the_socket_as_it_was)
{
    static char data[200000], back[200000];
    int client, server;
    fill_random(data, sizeof data, 31);
    connected_pair(&client, &server);
    ck_assert(is_blocking(server));
    ck_assert_int_eq(net_send_all(server, data, 1000), 0);
    ck_assert(is_blocking(server));
    ck_assert_int_eq(recv_exact(client, back, 1000, 5000), 1000);
    ck_assert_int_eq(memcmp(back, data, 1000), 0);

    ck_assert_int_eq(net_set_blocking(server, false), 0);
    ck_assert_int_eq(net_send_all(server, data, 1000), 0);
    ck_assert(!is_blocking(server));
    ck_assert_int_eq(recv_exact(client, back, 1000, 5000), 1000);
    close(client);
    close(server);
}
END_TEST

/* A stop (SIGTERM, through the stop pipe) ends a net_send_all that waits for room (the
 * peer never reads): -1 with ECANCELED, at once, the socket still blocking after. */
START_TEST(send_all_ends_on_a_stop)
{
    size_t len = 32 << 20; /* more than any socket buffers hold */
    char *data = calloc(1, len);
    int client, server;
    connected_pair(&client, &server);
    ck_assert_int_ge(net_stop_install(), 0);
    ck_assert_int_eq(raise(SIGTERM), 0); /* the handler writes into the pipe */
    ck_assert(net_stop_requested());
    long long start = monotonic_ms();
    errno = 0;
    ck_assert_int_eq(net_send_all(server, data, len), -1);
    ck_assert_int_eq(errno, ECANCELED);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(2000));
    ck_assert(is_blocking(server));
    net_stop_remove();
    close(client);
    close(server);
    free(data);
}
END_TEST

/* A send that cannot go out (here: after our own shutdown(SHUT_WR), which makes every
 * send fail with EPIPE, as a peer that has gone does) fails with EPIPE and never raises
 * SIGPIPE, even in a program that left SIGPIPE at its default (death): MSG_NOSIGNAL
 * where it exists, else net_connect and net_accept made the process ignore it. */
START_TEST(send_all_never_raises_sigpipe)
{
    int client, server;
    ck_assert(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
    connected_pair(&client, &server);
    ck_assert_int_eq(shutdown(server, SHUT_WR), 0);
    errno = 0;
    ck_assert_int_eq(net_send_all(server, "x", 1), -1);
    ck_assert_int_eq(errno, EPIPE);
    close(client);
    close(server);
}
END_TEST

/* net_close_gracefully: the peer reads everything we sent, then a clean EOF (no
 * reset), though it had sent us bytes we never read. */
START_TEST(close_gracefully_gives_eof_not_reset)
{
    static char data[100000];
    int client, server;
    size_t len;
    fill_random(data, sizeof data, 32);
    connected_pair(&client, &server);
    ck_assert_int_eq(send_all(client, "unread", 6), 0);
    ck_assert_int_eq(net_send_all(server, data, sizeof data), 0);
    ck_assert_int_eq(shutdown(client, SHUT_WR), 0); /* the peer's EOF ends the linger */
    net_close_gracefully(server, scaled_ms(5000));
    char *back = recv_until_eof(client, &len, 5000);
    ck_assert_ptr_nonnull(back); /* NULL on a reset */
    ck_assert_uint_eq(len, sizeof data);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    free(back);
    close(client);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("02-tcp-echo net.c");
    TCase *tc = tcase_create("net");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, format_address_forms);
    tcase_add_test(tc, send_all_leaves_the_socket_as_it_was);
    tcase_add_test(tc, send_all_ends_on_a_stop);
    tcase_add_test(tc, send_all_never_raises_sigpipe);
    tcase_add_test(tc, close_gracefully_gives_eof_not_reset);
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
