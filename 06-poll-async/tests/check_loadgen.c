/* check_loadgen.c -- loadgen, baseline_echo and bench.sh: loadgen's line against good
 * servers, and its verdict against bad ones that the test plays itself (one that
 * corrupts a byte, one that resets, one that is not there). loadgen runs on the best
 * backend of this build (LOOP_DEFAULT_BACKEND: epoll on Linux); baseline_echo and the
 * bench runs that use it exist only with epoll, and are skipped, saying so, elsewhere. */
#include "backends.h"
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct result {
    int conns, errors, mismatches;
    long rps, p50, p99;
};

/* Parse loadgen's one line; assert it has exactly the documented shape. */
static struct result parse_line(const char *out)
{
    struct result r;
    int used = 0;
    int n = sscanf(out, "conns=%d rps=%ld p50_us=%ld p99_us=%ld errors=%d mismatches=%d\n%n",
                   &r.conns, &r.rps, &r.p50, &r.p99, &r.errors, &r.mismatches, &used);
    ck_assert_msg(n == 6 && out[used] == '\0', "not loadgen's line: '%s'", out);
    return r;
}

/* Run loadgen against PORT with the given options; return its parsed line. */
static struct result run_loadgen(int port, const char *conns, const char *size, const char *backend,
                                 int expected_code)
{
    char port_text[16], seconds[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    /* 0.3 s of load; under valgrind 3 s, so that even 1 MiB round trips complete. */
    snprintf(seconds, sizeof seconds, "%.1f",
             scaled_ms(300) > 3000 ? 3.0 : scaled_ms(300) / 1000.0);
    struct run r;
    const char *argv[] = {"./loadgen", "-p", port_text, "-c", conns,   "-s",
                          size,        "-d", seconds,   "-b", backend, NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 20000, argv, 0), 0);
    ck_assert_msg(r.code == expected_code, "exit %d, expected %d; stderr:\n%s", r.code,
                  expected_code, r.err);
    struct result result = parse_line(r.out);
    run_free(&r);
    return result;
}

/* Against async_echo, with each loadgen backend and several sizes (1 MiB needs many
 * partial sends): round trips happen, latencies are ordered, no error, no mismatch. */
START_TEST(loadgen_against_async_echo)
{
    struct server s;
    const char *argv[] = {"./async_echo", "-q", "-p", "0", NULL};
    ck_assert_int_eq(server_start(&s, argv), 0);
    const char *cases[][3] = {{"1", "64", LOOP_DEFAULT_BACKEND},
                              {"50", "64", "poll"},
                              {"2", "1048576", LOOP_DEFAULT_BACKEND}};
    for (int i = 0; i < 3; i++) {
        struct result r = run_loadgen(s.port, cases[i][0], cases[i][1], cases[i][2], 0);
        ck_assert_int_eq(r.conns, atoi(cases[i][0]));
        ck_assert_int_gt(r.rps, 0);
        ck_assert_int_gt(r.p50, 0);
        ck_assert_int_ge(r.p99, r.p50);
        ck_assert_int_eq(r.errors, 0);
        ck_assert_int_eq(r.mismatches, 0);
    }
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* -i adds silent connections beside the busy ones: the server sees them all (it logs
 * each accept), they cause no error, and they are not counted in conns=. */
START_TEST(loadgen_idle_connections)
{
    struct server s;
    const char *argv[] = {"./async_echo", "-p", "0", NULL};
    ck_assert_int_eq(server_start(&s, argv), 0);
    char port[16];
    snprintf(port, sizeof port, "%d", s.port);
    struct run r;
    const char *gen[] = {"./loadgen", "-p", port, "-c", "2", "-i", "30", "-d", "0.3", NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 20000, gen, 0), 0);
    ck_assert_msg(r.code == 0, "exit %d; stderr:\n%s", r.code, r.err);
    struct result result = parse_line(r.out);
    ck_assert_int_eq(result.conns, 2);
    ck_assert_int_gt(result.rps, 0);
    ck_assert_int_eq(result.errors + result.mismatches, 0);
    ck_assert_ptr_null(strstr(r.err, "no round trip")); /* the idle ones are not "starved" */
    run_free(&r);
    ck_assert(wait_for_stderr(&s.child, "closed", 5000));
    char *log = child_stderr(&s.child);
    int accepted = 0;
    for (char *p = log; (p = strstr(p, "accepted ")) != NULL; p++)
        accepted++;
    free(log);
    ck_assert_int_eq(accepted, 32);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* The baseline loop echoes too, and stops on SIGTERM with exit 0. */
START_TEST(baseline_echo_works)
{
    NEED_EPOLL_IF(true);
    struct server s;
    const char *argv[] = {"./baseline_echo", "-p", "0", NULL};
    ck_assert_int_eq(server_start(&s, argv), 0);
    int fd = tcp_connect(s.host, s.port);
    ck_assert_int_ge(fd, 0);
    char got[8];
    ck_assert_int_eq(send_all(fd, "bytes\0!", 7), 0);
    ck_assert_int_eq(recv_exact(fd, got, 7, 5000), 7);
    ck_assert_mem_eq(got, "bytes\0!", 7);
    struct result r = run_loadgen(s.port, "20", "64", LOOP_DEFAULT_BACKEND, 0);
    ck_assert_int_gt(r.rps, 0);
    ck_assert_int_eq(r.errors + r.mismatches, 0);
    close(fd);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* The test plays a server that echoes a message with one byte changed: loadgen
 * counts a mismatch and exits 1. (CORRUPT 0: a server that resets instead, which
 * loadgen counts as an error.) */
static void bad_server(bool corrupt)
{
    int port, listener = test_listener(64, &port);
    ck_assert_int_ge(listener, 0);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    struct child c;
    const char *argv[] = {"./loadgen", "-p", port_text, "-c", "1", "-s", "64", "-d", "5", NULL};
    ck_assert_int_eq(child_start(&c, argv, 0), 0);
    int fd = accept_within(listener, 5000);
    ck_assert_int_ge(fd, 0);
    char message[64];
    /* A first round echoed right, so loadgen is past its warm-up, then the bad one. */
    ck_assert_int_eq(recv_exact(fd, message, 64, 5000), 64);
    ck_assert_int_eq(send_all(fd, message, 64), 0);
    ck_assert_int_eq(recv_exact(fd, message, 64, 5000), 64);
    if (corrupt) {
        message[37] ^= 0x20;
        ck_assert_int_eq(send_all(fd, message, 64), 0);
        close(fd);
    } else {
        close_with_reset(fd);
    }
    /* loadgen's only connection is gone: it stops early, well before -d 5. */
    ck_assert_int_eq(child_wait(&c, 4000), 1);
    char line[256];
    ck_assert_int_ge(read_line(c.out, line, sizeof line, 1000), 0);
    strcat(line, "\n");
    struct result r = parse_line(line);
    ck_assert_int_eq(r.conns, 1);
    ck_assert_int_eq(r.mismatches, corrupt ? 1 : 0);
    ck_assert_int_eq(r.errors, corrupt ? 0 : 1);
    char *err = child_stderr(&c);
    ck_assert_msg(strstr(err, corrupt ? "differs" : "reset") != NULL, "stderr: %s", err);
    free(err);
    child_close(&c);
    close(listener);
}

/* One byte changed in an echo: mismatches=1, exit 1. */
START_TEST(loadgen_reports_a_corrupted_byte)
{
    bad_server(true);
}
END_TEST

/* A server that resets the connection: errors=1, exit 1. */
START_TEST(loadgen_reports_a_reset)
{
    bad_server(false);
}
END_TEST

/* A server that takes connections but never answers (the test's listener, which never
 * accepts: the kernel completes the handshakes): no error, no round trip, and a line
 * on stderr counting the connections that were never served. */
START_TEST(loadgen_counts_starved_connections)
{
    int port, listener = test_listener(64, &port);
    ck_assert_int_ge(listener, 0);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    struct run r;
    const char *argv[] = {"./loadgen", "-p", port_text, "-c", "3", "-d", "0.3", NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 20000, argv, 0), 0);
    ck_assert_msg(r.code == 0, "exit %d; stderr:\n%s", r.code, r.err);
    struct result result = parse_line(r.out);
    ck_assert_int_eq(result.rps, 0);
    ck_assert_int_eq(result.errors + result.mismatches, 0);
    ck_assert_ptr_nonnull(strstr(r.err, "3 of 3 connections completed no round trip"));
    run_free(&r);
    close(listener);
}
END_TEST

/* Nobody listening: every connection is an error, exit 1 (the port was just freed). */
START_TEST(loadgen_reports_refused_connections)
{
    int port, listener = test_listener(64, &port);
    ck_assert_int_ge(listener, 0);
    close(listener);
    struct result r = run_loadgen(port, "5", "64", LOOP_DEFAULT_BACKEND, 1);
    ck_assert_int_eq(r.conns, 5);
    ck_assert_int_eq(r.errors, 5);
    ck_assert_int_eq(r.rps, 0);
}
END_TEST

/* bench.sh runs the models it has, reports a model whose program is not built as
 * skipped (the other folders may not be built yet), prints the table with the
 * ratio to the baseline, and writes the CSV. Run without valgrind (it is a shell
 * script; loadgen and the servers are checked under valgrind by the other tests). */
START_TEST(bench_skips_missing_models)
{
    NEED_EPOLL_IF(true); /* baseline_echo */
    unsetenv("RUN_UNDER");
    char dir[] = "/tmp/kit-bench-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct run r;
    const char *argv[] = {"./bench.sh",
                          "-d",
                          "0.2",
                          "-o",
                          dir,
                          "baseline:1,2:./baseline_echo",
                          "not built:1:./no_such_server",
                          "epoll:2:./async_echo -b epoll",
                          NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 30000, argv, 0), 0);
    ck_assert_msg(r.code == 0, "exit %d; stderr:\n%s", r.code, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "skipped: not built (./no_such_server is not built)"));
    ck_assert_ptr_nonnull(strstr(r.out, "model "));
    char csv_path[64], csv[4096] = "";
    snprintf(csv_path, sizeof csv_path, "%s/bench.csv", dir);
    FILE *f = fopen(csv_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(csv, 1, sizeof csv - 1, f);
    csv[n] = '\0';
    fclose(f);
    /* A header and three rows (baseline at 1 and 2, epoll at 2), in level order. */
    ck_assert_ptr_nonnull(strstr(csv, "model,conns,rps,p50_us,p99_us,errors,mismatches,"));
    ck_assert_ptr_nonnull(strstr(csv, "\n\"baseline\",1,"));
    ck_assert_ptr_nonnull(strstr(csv, "\n\"baseline\",2,"));
    ck_assert_ptr_nonnull(strstr(csv, "\n\"epoll\",2,"));
    ck_assert_ptr_null(strstr(csv, "not built"));
    ck_assert_int_eq(count_lines(csv, ""), 0); /* no empty line */
    int rows = 0;
    for (char *p = csv; (p = strchr(p, '\n')) != NULL; p++)
        rows++;
    ck_assert_int_eq(rows, 4);
    /* Every model worked: 0 errors, 0 mismatches, ratio 1.00 for the baseline. */
    ck_assert_ptr_nonnull(strstr(csv, ",0,0,"));
    ck_assert_ptr_nonnull(strstr(csv, ",1.00,"));
    ck_assert_ptr_nonnull(strstr(csv, ",server_switches_per_round_trip,ratio_to_baseline,"));
    run_free(&r);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(command), 0);
}
END_TEST

/* bench.sh's sw/rt means what it says: with one connection, the event loop sleeps in
 * epoll_wait once per message, so about 1 (a little less when a message is already
 * there, a little more when a busy machine preempts the server). "-" means the count
 * could not be taken in time (a busy machine again): then the run is tried again, up to
 * three times in all. */
START_TEST(bench_counts_context_switches)
{
    NEED_EPOLL_IF(true); /* baseline_echo */
    unsetenv("RUN_UNDER");
    char dir[] = "/tmp/kit-bench-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char csv_path[64], csv[2048] = "", field[16] = "-";
    snprintf(csv_path, sizeof csv_path, "%s/bench.csv", dir);
    const char *argv[] = {"./bench.sh", "-d", "2", "-o", dir, "baseline:1:./baseline_echo", NULL};
    for (int attempt = 0; attempt < 3 && strcmp(field, "-") == 0; attempt++) {
        struct run r;
        ck_assert_int_eq(run_program(&r, NULL, 0, 30000, argv, 0), 0);
        ck_assert_msg(r.code == 0, "exit %d; stderr:\n%s", r.code, r.err);
        run_free(&r);
        FILE *f = fopen(csv_path, "r");
        ck_assert_ptr_nonnull(f);
        size_t n = fread(csv, 1, sizeof csv - 1, f);
        csv[n] = '\0';
        fclose(f);
        /* Column 13 of the one row: server_switches_per_round_trip. */
        const char *at = strstr(csv, "\n\"baseline\",1,");
        ck_assert_ptr_nonnull(at);
        for (int column = 1; column < 13; column++)
            ck_assert_ptr_nonnull(at = strchr(at + 1, ','));
        size_t len = strcspn(at + 1, ",");
        ck_assert_uint_lt(len, sizeof field);
        memcpy(field, at + 1, len);
        field[len] = '\0';
    }
    char *end;
    double switches = strtod(field, &end);
    ck_assert_msg(end != field && switches >= 0.5 && switches <= 2.0,
                  "switches per round trip: %s\n%s", field, csv);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(command), 0);
}
END_TEST

/* Bad command lines: exit 2 with the usage; -h: usage on stdout, exit 0. */
START_TEST(loadgen_bad_usage)
{
    static const char *const bad[][5] = {
        {"./loadgen"}, /* no port */
        {"./loadgen", "-p", "0"},
        {"./loadgen", "-p", "99999"},
        {"./loadgen", "-p1", "-c", "0"},
        {"./loadgen", "-p1", "-s", "0"},
        {"./loadgen", "-p1", "-d", "0"},
        {"./loadgen", "-p1", "-d", "x"},
        {"./loadgen", "-p1", "-b", "select"},
        {"./loadgen", "-p1", "-i", "-1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run r;
        ck_assert_int_eq(run_program(&r, NULL, 0, 10000, bad[i], 0), 0);
        ck_assert_msg(r.code == 2, "case %zu: exit %d", i, r.code);
        ck_assert_ptr_nonnull(strstr(r.err, "Usage: loadgen"));
        ck_assert_str_eq(r.out, "");
        run_free(&r);
    }
    struct run r;
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 10000, (const char *const[]){"./loadgen", "-h", NULL}, 0), 0);
    ck_assert_int_eq(r.code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "Usage: loadgen"));
    run_free(&r);
}
END_TEST

static Suite *loadgen_suite(void)
{
    Suite *s = suite_create("loadgen");
    TCase *tc = tcase_create("loadgen");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, loadgen_against_async_echo);
    tcase_add_test(tc, loadgen_idle_connections);
    tcase_add_test(tc, baseline_echo_works);
    tcase_add_test(tc, loadgen_reports_a_corrupted_byte);
    tcase_add_test(tc, loadgen_reports_a_reset);
    tcase_add_test(tc, loadgen_reports_refused_connections);
    tcase_add_test(tc, loadgen_counts_starved_connections);
    tcase_add_test(tc, loadgen_bad_usage);
    tcase_add_test(tc, bench_skips_missing_models);
    tcase_add_test(tc, bench_counts_context_switches);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(loadgen_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
