/* graded.h -- what the exercises' test suites share on top of harness.h (which is a
 * verbatim copy of 01-threads/tests/harness.h).
 *
 * Grading. Each suite ends with a table of its graded tests, one test case each:
 *
 *     const struct graded_test tests[] = {
 *         GRADED(set_clear_is_set, 2, 5),       test name, points, timeout in seconds
 *         ...
 *     };
 *     return graded_main("01-event", tests, sizeof tests / sizeof tests[0]);
 *
 * graded_main() builds one Check test case per row, named after the test, with the row's
 * timeout (Check scales it by CK_TIMEOUT_MULTIPLIER). The graders (grading/score.c) read
 * the same rows from the source text for the points: keep one GRADED(...) per line.
 * Check writes a TAP log when CK_TAP_LOG_FILE_NAME is set, and XML for
 * CK_XML_LOG_FILE_NAME; CK_RUN_CASE=NAME runs one test alone.
 *
 * Helpers. The rest are helpers the network exercises' tests need: starting a server and
 * failing with its own words when it does not start (the stubs say "not implemented"),
 * reading lines from a socket with a deadline, a listener for tests that play the server,
 * and looking at a process's CPU time and memory.
 */
#ifndef GRADED_H
#define GRADED_H

#include "harness.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

struct graded_test {
    const TTest *test;
    int points;
    int timeout; /* seconds, before CK_TIMEOUT_MULTIPLIER */
};
#define GRADED(test, points, timeout)                                                              \
    {                                                                                              \
        test, points, timeout                                                                      \
    }

/* Run every row of TESTS as its own test case in fork mode (a crash or a hang costs one
 * test, not the run); Check's verbosity comes from CK_VERBOSITY. Ignores SIGPIPE in the
 * tests (a test writing to a program that died gets EPIPE, not death). Returns the exit
 * status for main: 0 when every test passed. */
int graded_main(const char *suite_name, const struct graded_test *tests, size_t count);

/* For library exercises: fail unless RC (a pthread-style error number returned by CALL,
 * a string) is 0, saying "not implemented yet" when it is ENOSYS, which the stubs return.
 * A macro, so that Check reports the test's own line. */
#define assert_ok(rc, call)                                                                        \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        ck_assert_msg(rc_ == 0, "%s returned %d (%s)%s", call, rc_, strerror(rc_),                 \
                      rc_ == ENOSYS ? ": not implemented yet" : "");                               \
    } while (0)

/* --- Programs ------------------------------------------------------------------------ */

/* These are macros around functions that take the caller's file and line, so that a
 * failure is reported at the test's line, not at a line of graded.c. */

/* Start a server (ARGV asks for port 0) and read its "listening on HOST:PORT" line. On
 * failure the test fails with the program's exit status and stderr (a stub says "not
 * implemented" there), at once when it exits instead of listening. */
#define start_server(s, argv) start_server_at(__FILE__, __LINE__, s, argv)
/* SIGTERM it and fail unless it exits with status 0 within 2 s (scaled); the message
 * holds its stderr (a valgrind report under make memcheck). */
#define stop_server(s) stop_server_at(__FILE__, __LINE__, s)
/* Stop the server with SIGNAL_NUMBER (SIGINT or SIGTERM): it must exit 0 within 2 s
 * (scaled) having written nothing to stdout after its listening line. */
#define expect_only_listening_line(s, signal_number)                                               \
    expect_only_listening_line_at(__FILE__, __LINE__, s, signal_number)
/* Fail the test, quoting the end of C's stderr, with WHAT before it. */
#define fail_with_stderr(c, what) fail_with_stderr_at(__FILE__, __LINE__, c, what)

void start_server_at(const char *file, int line, struct server *s, const char *const argv[]);
void stop_server_at(const char *file, int line, struct server *s);
void fail_with_stderr_at(const char *file, int line, const struct child *c, const char *what);
void expect_only_listening_line_at(const char *file, int line, struct server *s, int signal_number);

/* Is the child still running (not exited, not reaped)? Does not reap it. */
bool child_running(const struct child *c);

/* The command line every program shares: `PROGRAM -h` exits 0 and prints "Usage: ..." on
 * stdout; `PROGRAM OPTION VALUE` exits 2 with the usage on stderr, for each of the N pairs
 * in BAD (such as {"-p", "70000"}). */
#define expect_usage_errors(program, bad, n)                                                       \
    expect_usage_errors_at(__FILE__, __LINE__, program, bad, n)
void expect_usage_errors_at(const char *file, int line, const char *program,
                            const char *const (*bad)[2], int n);
/* A second server on the PORT of a running one must exit 1 with exactly
 * "NAME: bind 127.0.0.1:PORT: Address already in use" on stderr (NAME: PROGRAM without
 * its directory). */
#define expect_address_in_use(program, port)                                                       \
    expect_address_in_use_at(__FILE__, __LINE__, program, port)
void expect_address_in_use_at(const char *file, int line, const char *program, int port);

/* --- Sockets ------------------------------------------------------------------------- */

/* Connect to the server; fail the test when it cannot. */
#define connect_to(s) connect_to_at(__FILE__, __LINE__, s)
int connect_to_at(const char *file, int line, const struct server *s);
/* The address of FD's own end (local) or of its peer, as "HOST:PORT" ("[::1]:PORT" for
 * IPv6), the way the exercises' servers print addresses. Returns TEXT. */
char *socket_address(int fd, bool local, char *text, size_t size);

/* A TCP listener on 127.0.0.1 with a kernel-chosen port (stored in *PORT), for tests that
 * play the server. Fails the test when it cannot. */
int listen_local(int *port);
/* Accept one connection on LISTENER within TIMEOUT_MS (scaled) while C runs; returns
 * the socket, or -1 at once when C exits first, or on timeout. */
int accept_from(int listener, const struct child *c, int timeout_ms);

/* A socket with a read buffer, for reading lines and streams with deadlines. */
struct conn {
    int fd;
    size_t start, end; /* buffer[start..end) received, not yet returned */
    char buffer[65536];
};
/* Allocate one for FD (free() it; closing FD is the caller's). */
struct conn *conn_new(int fd);
/* Read one line, with its '\n', within TIMEOUT_MS (scaled). Returns its length (LINE is
 * NUL-terminated and cut to SIZE - 1 bytes, the rest of the line is dropped), 0 at the end
 * of the stream or a reset (with nothing pending), -1 on timeout or error. */
ssize_t conn_line(struct conn *c, char *line, size_t size, int timeout_ms);
/* Read exactly LEN bytes within TIMEOUT_MS (scaled). Returns true when all arrived. */
bool conn_exact(struct conn *c, void *out, size_t len, int timeout_ms);
/* Does nothing arrive within MS milliseconds (not scaled: the wait is the point)? */
bool conn_quiet(struct conn *c, int ms);
/* Read and drop everything until the peer closes or resets, within TIMEOUT_MS (scaled).
 * Returns true when it did; stores how many bytes were dropped in *DROPPED (may be NULL). */
bool conn_closed(struct conn *c, int timeout_ms, size_t *dropped);

/* Read exactly LEN bytes from FD (a pipe, such as a program's stdout) within TIMEOUT_MS
 * (scaled). Returns how many arrived before the end, the deadline or an error. */
size_t read_exact(int fd, void *buf, size_t len, int timeout_ms);

/* --- Processes (Linux /proc) ------------------------------------------------------------ */

/* How much CPU PID uses in half a second, once it has settled: measures half seconds until
 * one uses less than LIMIT_MS, or 3 s (scaled) have passed. Returns the last measure (-1 if
 * /proc cannot tell): below LIMIT_MS for a process that waits, at or above it for one that
 * spins (a spinning process uses a whole CPU in every half second). */
long settled_cpu_ms(pid_t pid, long limit_ms);
/* --- Fault injection ------------------------------------------------------------------ */

/* Run the programs this test starts from now on under the fault-injection library
 * tests/fault_inject.so (LD_PRELOAD) with these rules (fault_inject.c explains them: short
 * transfers, EINTR, EAGAIN... on a schedule), each injected fault noted on the program's
 * stderr ("fault_inject: fd 5: EINTR"); NULL turns it off. A thin layer over harness.h's
 * fault_injection(). */
void start_faults(const char *rules);
/* How many faults of KIND ("short", "EINTR", "EAGAIN") C's stderr says were injected;
 * fault_notes() counts them in a program's stderr already read (struct run's err). */
int faults_injected(const struct child *c, const char *kind);
int fault_notes(const char *stderr_text, const char *kind);
/* TEXT without the library's "fault_inject: ..." lines (in place); returns TEXT. */
char *without_fault_notes(char *text);

#endif
