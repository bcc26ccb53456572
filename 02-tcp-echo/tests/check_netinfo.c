/* check_netinfo.c -- netinfo: gethostname, getaddrinfo, and the two ends of a live
 * connection, checked against what the test itself sees. */
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void run_netinfo(struct run *r, const char *const argv[])
{
    ck_assert_int_eq(run_program(r, NULL, 0, 20000, argv, 0), 0);
}

/* The text after "LABEL  getsockname() " (or "getpeername() ") on the line starting
 * with "  LABEL", copied into OUT. */
static void find_end(const char *text, const char *label, const char *call, char *out, size_t size)
{
    char start[32];
    snprintf(start, sizeof start, "\n  %-8s  ", label);
    const char *line = strstr(text, start);
    ck_assert_msg(line != NULL, "no line for '%s' in:\n%s", label, text);
    const char *end = strchr(line + 1, '\n');
    const char *at = strstr(line, call);
    ck_assert_msg(at != NULL && (end == NULL || at < end), "no %s for %s in:\n%s", call, label,
                  text);
    at += strlen(call) + 1;
    size_t n = strcspn(at, " \n");
    ck_assert_uint_lt(n, size);
    memcpy(out, at, n);
    out[n] = '\0';
}

/* By default: this host's name (as the test's own gethostname sees it), what
 * localhost resolves to, and a connection to itself whose two ends mirror each other. */
START_TEST(netinfo_default_report)
{
    struct run r;
    char hostname[256], line[300];
    ck_assert_int_eq(gethostname(hostname, sizeof hostname), 0);
    run_netinfo(&r, (const char *const[]){"./netinfo", NULL});
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    snprintf(line, sizeof line, "gethostname(): %s", hostname);
    ck_assert_int_eq(count_lines(r.out, line), 1);
    ck_assert_int_eq(count_lines(r.out, "getaddrinfo(\"localhost\"): canonical name \"localhost\""),
                     1);
    /* whatever else localhost has, 127.0.0.1 or ::1 is there, for TCP */
    ck_assert(count_lines(r.out, "  AF_INET   SOCK_STREAM  127.0.0.1") +
                  count_lines(r.out, "  AF_INET6  SOCK_STREAM  ::1") >=
              1);

    char listener[80], client_self[80], client_peer[80], accepted_self[80], accepted_peer[80];
    find_end(r.out, "listener", "getsockname()", listener, sizeof listener);
    find_end(r.out, "client", "getsockname()", client_self, sizeof client_self);
    find_end(r.out, "client", "getpeername()", client_peer, sizeof client_peer);
    find_end(r.out, "accepted", "getsockname()", accepted_self, sizeof accepted_self);
    find_end(r.out, "accepted", "getpeername()", accepted_peer, sizeof accepted_peer);
    ck_assert_str_eq(client_peer, listener);      /* the client reached the listener's port */
    ck_assert_str_eq(accepted_self, listener);    /* the accepted socket shares it */
    ck_assert_str_eq(accepted_peer, client_self); /* and sees the client's own end */
    ck_assert_int_eq(strncmp(listener, "127.0.0.1:", 10), 0);
    ck_assert_str_ne(listener, "127.0.0.1:0"); /* port 0 became a real port */
    ck_assert_str_ne(client_self, listener);
    ck_assert_str_eq(r.err, "");
    run_free(&r);
}
END_TEST

/* Names given: one that does not resolve is reported (no crash, exit 0); a numeric
 * IPv4 address has no IPv6 address, and that is said too. */
START_TEST(netinfo_names_that_do_not_resolve)
{
    struct run r;
    run_netinfo(&r, (const char *const[]){"./netinfo", "nosuch.invalid", "127.0.0.1", NULL});
    ck_assert_int_eq(r.code, 0);
    ck_assert_ptr_nonnull(
        strstr(r.out, "getaddrinfo(\"nosuch.invalid\"): does not resolve here: "));
    ck_assert_int_eq(count_lines(r.out, "  AF_INET   SOCK_STREAM  127.0.0.1"), 1);
    ck_assert_int_eq(count_lines(r.out, "  AF_INET   SOCK_DGRAM   127.0.0.1"), 1);
    ck_assert_int_eq(count_lines(r.out, "  (no IPv6 address)"), 1);
    ck_assert_ptr_null(strstr(r.out, "getaddrinfo(\"localhost\")")); /* only the names given */
    run_free(&r);
}
END_TEST

/* -p PORT: the ends of a connection to a server we run (the test's listener). */
START_TEST(netinfo_connects_to_a_given_port)
{
    struct run r;
    int port, listener = test_listener(16, &port);
    char port_text[16], expected[64], peer[80];
    snprintf(port_text, sizeof port_text, "%d", port);
    run_netinfo(&r, (const char *const[]){"./netinfo", "-p", port_text, "localhost", NULL});
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    snprintf(expected, sizeof expected, "a live connection to 127.0.0.1:%d", port);
    ck_assert_int_eq(count_lines(r.out, expected), 1);
    find_end(r.out, "client", "getpeername()", peer, sizeof peer);
    ck_assert_str_eq(peer, expected + strlen("a live connection to "));
    run_free(&r);
    close(listener);

    /* nobody there: exit 1, one line */
    run_netinfo(&r, (const char *const[]){"./netinfo", "-p", port_text, "localhost", NULL});
    ck_assert_int_eq(r.code, 1);
    snprintf(expected, sizeof expected, "netinfo: connect 127.0.0.1:%d: Connection refused\n",
             port);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);
}
END_TEST

/* -H ::1: the live connection over IPv6 where the machine has it; where it has not,
 * a clear one-line failure (exit 1), not a crash. */
START_TEST(netinfo_ipv6_or_a_clear_no)
{
    struct run r;
    run_netinfo(&r, (const char *const[]){"./netinfo", "-H", "::1", "::1", NULL});
    if (r.code == 0) {
        char listener[80];
        find_end(r.out, "listener", "getsockname()", listener, sizeof listener);
        ck_assert_int_eq(strncmp(listener, "[::1]:", 6), 0);
        ck_assert_int_eq(count_lines(r.out, "  AF_INET6  SOCK_STREAM  ::1"), 1);
        ck_assert_int_eq(count_lines(r.out, "  (no IPv4 address)"), 1);
    } else {
        ck_assert_int_eq(r.code, 1);
        ck_assert_int_eq(strncmp(r.err, "netinfo: ", 9), 0);
        ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    }
    run_free(&r);
}
END_TEST

static Suite *netinfo_suite(void)
{
    Suite *s = suite_create("02-tcp-echo netinfo");
    TCase *tc = tcase_create("netinfo");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, netinfo_default_report);
    tcase_add_test(tc, netinfo_names_that_do_not_resolve);
    tcase_add_test(tc, netinfo_connects_to_a_given_port);
    tcase_add_test(tc, netinfo_ipv6_or_a_clear_no);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(netinfo_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
