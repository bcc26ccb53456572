/* check_usage.c -- every program of 02-tcp-echo answers -h with its usage (exit 0)
 * and bad command lines with one line naming the problem plus the usage (exit 2). */
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const programs[] = {"./echo_server",  "./echo_client",  "./upper_server",
                                       "./greet_server", "./greet_client", "./netinfo"};
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

/* What is special to each program: servers and greet_client take no arguments,
 * echo_client's '-' goes alone, timeouts are seconds, servers take no -t. */
START_TEST(program_specific_refusals)
{
    assert_refused((const char *const[]){"./echo_server", "extra", NULL},
                   "echo_server: unexpected argument 'extra'");
    assert_refused((const char *const[]){"./upper_server", "extra", NULL}, "unexpected argument");
    assert_refused((const char *const[]){"./greet_server", "extra", NULL}, "unexpected argument");
    assert_refused((const char *const[]){"./greet_client", "extra", NULL}, "unexpected argument");
    assert_refused((const char *const[]){"./echo_server", "-t", "1", NULL}, NULL);
    assert_refused((const char *const[]){"./netinfo", "-q", NULL}, NULL);
    assert_refused((const char *const[]){"./echo_client", "-", "words", NULL},
                   "echo_client: '-' (standard input) cannot go with words");
    assert_refused((const char *const[]){"./echo_client", "-t", "soon", NULL},
                   "echo_client: bad timeout 'soon': expected seconds");
    assert_refused((const char *const[]){"./greet_client", "-t", "-1", NULL}, "bad timeout");
    /* the exact text, once */
    struct run r;
    ck_assert_int_eq(run_program(&r, NULL, 0, 10000,
                                 (const char *const[]){"./echo_server", "-p", "abc", NULL}, 0),
                     0);
    ck_assert_str_eq(r.err, "echo_server: bad port 'abc': expected 0 to 65535\n"
                            "Usage: echo_server [-H HOST] [-p PORT] [-q]   (default "
                            "127.0.0.1:50007)\n");
    run_free(&r);
}
END_TEST

/* One rule for numbers, the kit's (cli.c, the same file in every folder): a port is 1
 * to 5 digits, so "0050007" (a typo for 50007, or for 5000) and "000080" are refused;
 * seconds are a plain decimal, so strtod's blanks, sign, hexadecimal and infinity are
 * refused too (before the one cli.c, echo_client and greet_client took "-t 0x10" as 16
 * seconds, and " 1" and "+1" as 1). */
START_TEST(one_rule_for_ports_and_seconds)
{
    const char *program = programs[_i];
    const char *bad_ports[] = {"0050007", "000080", "0000000"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        char problem[64];
        snprintf(problem, sizeof problem, "bad port '%s': expected %d to 65535", bad_ports[i],
                 strstr(program, "server") != NULL ? 0 : 1);
        assert_refused((const char *const[]){program, "-p", bad_ports[i], NULL}, problem);
    }
    if (strcmp(program, "./echo_client") != 0 && strcmp(program, "./greet_client") != 0)
        return; /* the clients take -t SECONDS */
    const char *bad_seconds[] = {"0x10", " 1", "+1", "1 ", "inf", "1e5"};
    for (size_t i = 0; i < sizeof bad_seconds / sizeof bad_seconds[0]; i++) {
        char problem[64];
        snprintf(problem, sizeof problem, "bad timeout '%s': expected seconds", bad_seconds[i]);
        assert_refused((const char *const[]){program, "-t", bad_seconds[i], "-p", "1", NULL},
                       problem);
    }
}
END_TEST

/* A host that does not resolve: exit 1 and one line, for servers and clients. */
START_TEST(unknown_host_exits_1)
{
    const char *program = programs[_i];
    struct run r;
    if (strcmp(program, "./netinfo") == 0)
        return; /* (netinfo reports names; its -H failure is in check_netinfo.c) */
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
    Suite *s = suite_create("02-tcp-echo command lines");
    TCase *tc = tcase_create("usage");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, help_prints_usage, 0, N_PROGRAMS);
    tcase_add_loop_test(tc, bad_options_and_ports_are_refused, 0, N_PROGRAMS);
    tcase_add_test(tc, program_specific_refusals);
    tcase_add_loop_test(tc, one_rule_for_ports_and_seconds, 0, N_PROGRAMS);
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
