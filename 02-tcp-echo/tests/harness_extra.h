/* harness_extra.h -- what the 02-tcp-echo suites need beyond harness.c.
 *
 * harness.[ch] are the kit's shared test harness, copied verbatim from 01-threads;
 * everything this folder adds lives here instead, so the copy stays identical:
 * - a test playing a (misbehaving) server for the clients: test_listener(),
 *   accept_within(), unused_port();
 * - exchange(): send and receive at once (an echo of 1 MiB deadlocks otherwise);
 * - connect_to(), assert_echo(): the same two steps in every echo test, failing the
 *   Check test on error;
 * - run_with_files(): a program with a regular file as stdin and stdout, like
 *   `echo_client - < big.bin > out.bin`;
 * - a look at a running server: its CPU time, memory, lowest free fd, and changing
 *   its limit on open files (to make its accept() fail with EMFILE).
 * Every wait has a deadline scaled by CK_TIMEOUT_MULTIPLIER, like harness.c's.
 */
#ifndef HARNESS_EXTRA_H
#define HARNESS_EXTRA_H

#include <stddef.h>
#include <sys/types.h>

/* The fault injection rules the suites rerun their tests under (fault_injection() in
 * harness.h, the shim tests/fault_inject.c): every send, recv, read and write short,
 * and every third call of those and of accept interrupted (EINTR). */
#define SHORT_AND_EINTR "io:short;io+accept:eintr@every=3"

/* A TCP listener on 127.0.0.1, port chosen by the kernel (stored in *PORT). -1 on error. */
int test_listener(int *port);
/* accept() one connection within TIMEOUT_MS. Returns it, or -1. */
int accept_within(int listener, int timeout_ms);
/* A port on 127.0.0.1 where nothing listens: bound, then closed again. */
int unused_port(void);

/* Send LEN bytes of OUT and receive LEN bytes into IN at the same time, within
 * TIMEOUT_MS. Returns how many bytes came back (LEN when all did), or -1 on error or
 * timeout. */
ssize_t exchange(int fd, const void *out, void *in, size_t len, int timeout_ms);

/* For Check tests (they fail the test rather than return an error): connect to the
 * server S (harness.h), and send LEN bytes of DATA on FD and assert that exactly they
 * come back (within 30 s, scaled). */
struct server;
int connect_to(const struct server *s);
void assert_echo(int fd, const void *data, size_t len);

/* Fill BUF with LEN bytes from a fixed pseudo-random sequence (same SEED, same bytes). */
void fill_random(void *buf, size_t len, unsigned seed);

struct child;
/* Start PROGRAM -p PORT ARGS... (ARGS ends with NULL) with a pipe on its stdin, the
 * way a test starts a client against its own peer. Returns child_start()'s result. */
int client_start(struct child *c, const char *program, int port, const char *const args[]);
/* Wait for a child to end: its whole stdout (read until EOF) in *OUT and its stderr
 * in *ERR, both malloc'd and NUL-terminated; then child_close(). Returns its exit
 * code (harness.h's convention). */
int child_finish(struct child *c, char **out, char **err, int timeout_ms);

/* Read a pipe until EOF within TIMEOUT_MS. Returns a malloc'd NUL-terminated buffer
 * (*LEN bytes), or NULL on error or timeout. */
char *read_until_eof(int fd, size_t *len, int timeout_ms);

struct run;
/* run_program() for big streams: feed INPUT to ARGV's stdin and collect its stdout
 * into *R at the same time, within TIMEOUT_MS. (harness.c's run_program writes to the
 * child's stdin with one blocking write of everything left: once a program such as
 * `echo_client -` echoes more than the pipes and sockets in between can hold, it
 * waits for us to read its stdout while we wait for it to read its stdin. Here the
 * stdin pipe is non-blocking.) Returns 0 (free with run_free) or -1. */
int run_streaming(struct run *r, const char *input, size_t input_len, int timeout_ms,
                  const char *const argv[]);

/* Run ARGV (RUN_UNDER honoured, like harness.c) with stdin read from IN_PATH and
 * stdout written to OUT_PATH, within TIMEOUT_MS. Returns the exit code (harness.h's
 * convention); its stderr, malloc'd, in *ERR. */
int run_with_files(const char *const argv[], const char *in_path, const char *out_path,
                   int timeout_ms, char **err);

/* --- Looking at (and limiting) a running process: Linux /proc and prlimit ---------- */
long cpu_time_ms(pid_t pid);   /* user + system CPU time so far, or -1 */
long resident_kb(pid_t pid);   /* VmRSS, or -1 */
int lowest_free_fd(pid_t pid); /* the fd number its next open() or accept() would get */
/* Set its soft limit on open files to SOFT (the hard limit stays). Returns the old
 * soft limit, or -1. */
long set_fd_limit(pid_t pid, long soft);
/* Wait until count_open_fds(PID) is EXPECTED, for at most TIMEOUT_MS. Returns the last
 * count seen. */
int wait_fd_count(pid_t pid, int expected, int timeout_ms);

#endif
