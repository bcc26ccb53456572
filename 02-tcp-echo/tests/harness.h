/* harness.h -- what this folder's Check suites share: running the kit's programs the
 * way a user does, and never waiting for anything without a deadline.
 *
 * - run_program() runs a program to completion with some standard input, collecting
 *   its stdout and stderr and its exit code.
 * - child_start() starts one and leaves it running (a server, or a program a test
 *   talks to); server_start() also reads its "listening on HOST:PORT" line, which is
 *   how a test learns the port a server got from `-p 0`. Nobody sleeps to wait.
 * - tcp_connect(), send_all(), recv_exact(), recv_until_eof() talk to servers.
 *
 * Every wait has a deadline, given in milliseconds and multiplied by
 * CK_TIMEOUT_MULTIPLIER (make memcheck sets it: under valgrind everything is slower).
 * RUN_UNDER, when set, is a command prefix for every program started
 * ("valgrind --error-exitcode=99 ..."): that is how make memcheck checks the programs
 * themselves, not only the tests. A program's exit code then includes valgrind's
 * verdict, so "exit code 0" means "worked and valgrind-clean".
 *
 * Exit codes are reported the way a shell does: 0-255 for exit(), 128 + N for death
 * by signal N, and -1 when the program had to be killed because its deadline passed.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* MS milliseconds, scaled by CK_TIMEOUT_MULTIPLIER. */
int scaled_ms(int ms);
/* Milliseconds on CLOCK_MONOTONIC, for measuring how long something took. */
long long monotonic_ms(void);

/* --- Running programs -------------------------------------------------------------- */

enum child_flags {
    CHILD_STDIN_PIPE = 1, /* give the test a pipe to the child's stdin (else /dev/null) */
    CHILD_RACE_DEMO = 2,  /* the deliberate race demo: never run under a race detector */
};

struct child {
    pid_t pid;
    int in;  /* write end of its stdin, or -1 */
    int out; /* read end of its stdout */
    int err; /* a temporary file holding everything it wrote to stderr */
};

/* Start ARGV (ARGV[0] is a path such as "./echo_server") with stdout on a pipe and
 * stderr in a temporary file (a server logging thousands of lines never blocks on a
 * pipe nobody reads). Returns 0, or -1 with errno set. */
int child_start(struct child *c, const char *const argv[], int flags);
/* Wait up to TIMEOUT_MS for it to exit; on timeout kill it with SIGKILL. Returns the
 * exit code (see above). Closes nothing: call child_close() after. */
int child_wait(struct child *c, int timeout_ms);
/* Send SIGNAL, then child_wait(). */
int child_stop(struct child *c, int signal, int timeout_ms);
/* Close the test's ends of its pipes and its stderr file. */
void child_close(struct child *c);
/* Everything it wrote to stderr so far, NUL-terminated; free() it. Never NULL. */
char *child_stderr(const struct child *c);

/* Read one line (without its '\n') from FD within TIMEOUT_MS. Returns its length, or
 * -1 on timeout, error, or EOF before a newline. The line is NUL-terminated and cut to
 * SIZE - 1 bytes. Reads one byte at a time so nothing after the line is consumed. */
ssize_t read_line(int fd, char *line, size_t size, int timeout_ms);

struct run {
    int code;  /* exit code, as above */
    char *out; /* stdout, NUL-terminated (may also contain NULs: see out_len) */
    size_t out_len;
    char *err; /* stderr, NUL-terminated */
};

/* Run ARGV to completion with INPUT (INPUT_LEN bytes; NULL for none) on its stdin,
 * within TIMEOUT_MS. Returns 0 (results in *R, free with run_free) or -1. */
int run_program(struct run *r, const char *input, size_t input_len, int timeout_ms,
                const char *const argv[], int flags);
void run_free(struct run *r);

/* How many lines of TEXT are exactly LINE. */
int count_lines(const char *text, const char *line);

/* Run every program started from now on (by this test process) under the fault
 * injection shim tests/fault_inject.so with these FAULT_INJECT rules (fault_inject.c
 * says what they mean: short transfers, EINTR, EAGAIN, resets, on a schedule). NULL
 * turns it off. Aborts the test when the folder has no built shim. Check runs every
 * test case in its own process, so this never leaks into the next test case. */
void fault_injection(const char *rules);

/* --- Servers and sockets ------------------------------------------------------------ */

struct server {
    struct child child;
    char host[64]; /* as printed in the listening line (brackets of [::1] removed) */
    int port;
};

/* Start a server (ARGV should ask for port 0) and read its "listening on HOST:PORT"
 * line. Returns 0, or -1 when it did not say it was listening in time (it is then
 * killed; its stderr is printed to help find out why). */
int server_start(struct server *s, const char *const argv[]);
/* SIGTERM, wait up to 2 s (scaled), close. Returns its exit code. */
int server_stop(struct server *s);

/* Connect to HOST:PORT over TCP. Returns a blocking socket, or -1. */
int tcp_connect(const char *host, int port);
/* Send all LEN bytes (looping over short sends). Returns 0 or -1. Never SIGPIPE. */
int send_all(int fd, const void *buf, size_t len);
/* Receive exactly LEN bytes within TIMEOUT_MS. Returns how many arrived before EOF
 * (LEN when all did), or -1 on error or timeout. */
ssize_t recv_exact(int fd, void *buf, size_t len, int timeout_ms);
/* Receive until the peer closes, within TIMEOUT_MS. Returns a malloc'd buffer with
 * *LEN bytes (NUL-terminated), or NULL on error or timeout. */
char *recv_until_eof(int fd, size_t *len, int timeout_ms);
/* Close FD with a TCP reset instead of a normal close (SO_LINGER 0). */
void close_with_reset(int fd);

/* --- Looking at a running process (Linux /proc) ------------------------------------- */
int count_open_fds(pid_t pid); /* entries of /proc/PID/fd, or -1 */
int count_threads(pid_t pid);  /* "Threads:" of /proc/PID/status, or -1 */
int count_children(pid_t pid); /* processes whose parent is PID (zombies too), or -1 */

#endif
