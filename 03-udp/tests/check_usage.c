/* check_usage.c -- both programs of 03-udp answers -h with its usage (exit 0)
 * and bad command lines with one line naming the problem plus the usage (exit 2). */
#include "harness.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const programs[] = {"./udp_server", "./udp_client"};
#define N_PROGRAMS (sizeof programs / sizeof programs[0])

static int total_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* Run ARGV, which must be refused: exit 2, nothing on stdout, stderr = one line
 * naming the problem (containing PROBLEM when not NULL), then "Usage: ...". */
static void assert_refused(const char *const argv[], const char *problem)
{
    struct run r;
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000, argv, 0), 0);
    ck_assert_msg(r.code == 2, "%s %s %s: exit %d, stderr %s", argv[0], argv[1],
                  argv[2] ? argv[2] : "", r.code, r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(total_lines(r.err) == 2, "%s: stderr '%s'", argv[0], r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "\nUsage: "));
    if (problem != NULL)
        ck_assert_msg(strstr(r.err, problem) != NULL, "no '%s' in '%s'", problem, r.err);
    run_free(&r);
}

/* -h and --help print the usage on stdout and exit 0. */
START_TEST(help_prints_usage)
{
    const char *program = programs[_i];
    for (int i = 0; i < 2; i++) {
        struct run r;
        const char *const argv[] = {program, i == 0 ? "-h" : "--help", NULL};
        ck_assert_int_eq(run_program(&r, NULL, 0, 10000, argv, 0), 0);
        ck_assert_int_eq(r.code, 0);
        ck_assert_int_eq(strncmp(r.out, "Usage: ", 7), 0);
        ck_assert_ptr_nonnull(strstr(r.out, program + 2)); /* it names itself */
        ck_assert_int_eq(total_lines(r.out), 1);
        ck_assert_str_eq(r.err, "");
        run_free(&r);
    }
}
END_TEST

/* Unknown options, missing values and bad ports are refused by every program:
 * "abc", "70000", "-1", "" (and 0 for the clients, which must name a real port). */
START_TEST(bad_options_and_ports_are_refused)
{
    const char *program = programs[_i];
    assert_refused((const char *const[]){program, "--no-such-option", NULL}, NULL);
    assert_refused((const char *const[]){program, "-p", NULL}, NULL);
    assert_refused((const char *const[]){program, "-x", NULL}, NULL);
    const char *bad_ports[] = {"abc", "70000", "-1", "", "65536", "+80", " 80"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        char problem[64];
        snprintf(problem, sizeof problem, "bad port '%s'", bad_ports[i]);
        assert_refused((const char *const[]){program, "-p", bad_ports[i], NULL}, problem);
    }
    if (strstr(program, "server") == NULL) /* clients (and netinfo's -p) */
        assert_refused((const char *const[]){program, "-p", "0", NULL}, "expected 1 to 65535");
}
END_TEST

/* What is special to each program: the server takes no arguments, and its buffer
 * size is 1 to 65536; the client's '-' goes alone, its timeout is above 0 and its
 * tries 1 to 100; neither takes the other's options. */
START_TEST(program_specific_refusals)
{
    assert_refused((const char *const[]){"./udp_server", "extra", NULL},
                   "udp_server: unexpected argument 'extra'");
    assert_refused((const char *const[]){"./udp_server", "-b", "0", NULL},
                   "udp_server: bad buffer size '0': expected 1 to 65536");
    assert_refused((const char *const[]){"./udp_server", "-b", "65537", NULL}, "bad buffer size");
    assert_refused((const char *const[]){"./udp_server", "-b", "1k", NULL}, "bad buffer size");
    assert_refused((const char *const[]){"./udp_server", "-t", "1", NULL}, NULL);
    assert_refused((const char *const[]){"./udp_server", "-r", "1", NULL}, NULL);
    assert_refused((const char *const[]){"./udp_client", "-u", NULL}, NULL);
    assert_refused((const char *const[]){"./udp_client", "-b", "10", NULL}, NULL);
    assert_refused((const char *const[]){"./udp_client", "-", "words", NULL},
                   "udp_client: '-' (standard input) cannot go with words");
    const char *bad_timeouts[] = {"0", "-1", "x", "", "nan"};
    for (size_t i = 0; i < sizeof bad_timeouts / sizeof bad_timeouts[0]; i++)
        assert_refused((const char *const[]){"./udp_client", "-t", bad_timeouts[i], NULL},
                       "bad timeout");
    const char *bad_tries[] = {"0", "101", "-3", "two"};
    for (size_t i = 0; i < sizeof bad_tries / sizeof bad_tries[0]; i++)
        assert_refused((const char *const[]){"./udp_client", "-r", bad_tries[i], NULL},
                       "expected 1 to 100");
    /* the exact text, once */
    struct run r;
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000,
                                 (const char *const[]){"./udp_client", "-p", "70000", NULL}, 0),
                     0);
    ck_assert_str_eq(r.err, "udp_client: bad port '70000': expected 1 to 65535\n"
                            "Usage: udp_client [-H HOST] [-p PORT] [-t SECONDS] [-r TRIES] "
                            "[WORD... | -]   (default 127.0.0.1:20000, 1 s, 3 tries, 'TEST')\n");
    run_free(&r);
}
END_TEST

/* One rule for numbers, the kit's (cli.c, the same file in every folder): a port is 1
 * to 5 digits, so "0050007" (a typo for 50007, or for 5000) and "000080" are refused;
 * a count is a sign and digits, so strtol's leading blanks are refused (before the one
 * cli.c, udp_server took "-b ' 8'" and udp_client "-r ' 2'"); seconds are a plain
 * decimal, so strtod's blanks, sign and hexadecimal are refused ("-t 0x10" was 16 s). */
START_TEST(one_rule_for_numbers)
{
    const char *program = programs[_i];
    const char *bad_ports[] = {"0050007", "000080", "0000000"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        char problem[64];
        snprintf(problem, sizeof problem, "bad port '%s': expected %d to 65535", bad_ports[i],
                 strstr(program, "server") != NULL ? 0 : 1);
        assert_refused((const char *const[]){program, "-p", bad_ports[i], NULL}, problem);
    }
    /* Each refusal is followed by -p 1: the old code, which took the number, would then
     * go on quickly (a bind or a datagram to port 1) instead of touching a real port. */
    const char *const server_cases[][3] = {
        {"-b", " 8", "bad buffer size ' 8': expected 1 to 65536"},
        {"-b", "\t8", "bad buffer size '\t8': expected 1 to 65536"},
        {"-b", "+ 8", "bad buffer size '+ 8': expected 1 to 65536"},
    };
    const char *const client_cases[][3] = {
        {"-r", " 2", "bad tries ' 2': expected 1 to 100"},
        {"-t", "0x10", "bad timeout '0x10': expected seconds above 0"},
        {"-t", " 1", "bad timeout ' 1': expected seconds above 0"},
        {"-t", "+1", "bad timeout '+1': expected seconds above 0"},
    };
    bool server = strstr(program, "server") != NULL;
    size_t n = server ? sizeof server_cases / sizeof server_cases[0]
                      : sizeof client_cases / sizeof client_cases[0];
    for (size_t i = 0; i < n; i++) {
        const char *const *c = server ? server_cases[i] : client_cases[i];
        assert_refused((const char *const[]){program, c[0], c[1], "-p", "1", NULL}, c[2]);
    }
}
END_TEST

/* A host that does not resolve: exit 1 and one line, for servers and clients. */
START_TEST(unknown_host_exits_1)
{
    const char *program = programs[_i];
    struct run r;
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 20000,
                    (const char *const[]){program, "-H", "nosuch.invalid", "-p", "1", NULL}, 0),
        0);
    ck_assert_int_eq(r.code, 1);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: getaddrinfo nosuch.invalid: ", program + 2);
    ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0, "stderr: %s", r.err);
    ck_assert_int_eq(total_lines(r.err), 1);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
}
END_TEST

static Suite *usage_suite(void)
{
    Suite *s = suite_create("03-udp command lines");
    TCase *tc = tcase_create("usage");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, help_prints_usage, 0, N_PROGRAMS);
    tcase_add_loop_test(tc, bad_options_and_ports_are_refused, 0, N_PROGRAMS);
    tcase_add_test(tc, program_specific_refusals);
    tcase_add_loop_test(tc, one_rule_for_numbers, 0, N_PROGRAMS);
    tcase_add_loop_test(tc, unknown_host_exits_1, 0, N_PROGRAMS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(usage_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
