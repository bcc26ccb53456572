/* harness.h -- what every Check suite of the kit shares: running the kit's programs the
 * way a user does, talking to them over real sockets, looking at them while they run,
 * and never waiting for anything without a deadline.
 *
 * master: 01-threads/tests/harness.h; edit there, then run `make sync` at the top of the
 * kit (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * - run_program() runs a program to completion with some standard input, collecting
 *   its stdout and stderr and its exit code.
 * - child_start() starts one and leaves it running (a server, or a program a test
 *   talks to); server_start() also reads its "listening on HOST:PORT" line, which is
 *   how a test learns the port a server got from `-p 0`. Nobody sleeps to wait.
 * - tcp_connect(), send_all(), recv_exact(), exchange() talk to servers;
 *   test_listener() and udp_socket() let a test play the server for a client.
 * - count_open_fds(), count_threads(), resident_kib(), ... look at a running process
 *   (Linux /proc), and set_fd_limit() changes its limit on open files (prlimit).
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

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* --- Deadlines, and what kind of build this is -------------------------------------- */

/* MS milliseconds, scaled by CK_TIMEOUT_MULTIPLIER. */
int scaled_ms(int ms);
/* Milliseconds on CLOCK_MONOTONIC, for measuring how long something took. */
long long monotonic_ms(void);
/* Sleep MS milliseconds (not scaled), resuming after signals. Only for the bounded
 * polling loops below and for a test that must let time pass, never to wait for a
 * program to be ready. */
void sleep_ms(int ms);

/* Are the programs run under valgrind (RUN_UNDER set: make memcheck, make helgrind)?
 * There everything is 10-50 times slower and a fork costs some 40 ms, so a test that
 * opens a thousand connections may open a hundred instead. */
bool under_valgrind(void);

/* ThreadSanitizer runs one thread of its own in every program that has created a thread;
 * the sanitizers also make memory use (shadow memory, quarantine) meaningless to measure.
 * The tests are built with the same SANITIZE flags as the programs, so they know. */
#if defined(__SANITIZE_THREAD__)
#define TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifdef TSAN_BUILD
#define SANITIZER_THREADS 1 /* threads a TSan program has beyond its own */
#else
#define SANITIZER_THREADS 0
#endif
#if defined(TSAN_BUILD) || defined(ASAN_BUILD)
#define MEMORY_MEASURABLE 0
#else
#define MEMORY_MEASURABLE 1
#endif

/* --- What this system has --------------------------------------------------------------
 * Some checks need Linux: /proc (to look at a running process), prlimit (to change another
 * process's limits) or LD_PRELOAD (the fault shim). Where one is missing, a test that needs
 * it is skipped with one line that says why, never failed. KIT_HIDE=proc,prlimit,preload
 * hides them on Linux too, so that this path is tested here. */
bool have_proc(void);
bool have_prlimit(void);
bool have_preload(void);
/* Make sure this test process may have N descriptors open, raising its soft RLIMIT_NOFILE
 * toward the hard limit (macOS starts shells with 256). False when the hard limit is too
 * low: the test should then be skipped, with the reason. */
bool need_fds(long n);
/* Say that the running test is skipped and why ("needs Linux (/proc)"): one line on
 * stderr, "skipped: TEST: REASON", also appended to the file $KIT_SKIP_LOG names (the
 * summary of make test and the grader count them). SKIP_UNLESS then returns from the test,
 * which passes: a missing facility never costs a point. */
void note_skip(const char *reason);
#define SKIP_UNLESS(condition, reason)                                                             \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            note_skip(reason);                                                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

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
/* Wait up to TIMEOUT_MS until the child's stderr contains TEXT. Returns whether it did. */
bool wait_for_stderr(const struct child *c, const char *text, int timeout_ms);

/* Start PROGRAM -p PORT ARGS... (ARGS ends with NULL) with a pipe on its stdin, the
 * way a test starts a client against its own peer. Returns child_start()'s result. */
int client_start(struct child *c, const char *program, int port, const char *const args[]);
/* Wait for a child to end: its whole stdout (read until EOF) in *OUT and its stderr
 * in *ERR, both malloc'd and NUL-terminated; then child_close(). Returns its exit
 * code (the convention above). */
int child_finish(struct child *c, char **out, char **err, int timeout_ms);

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
 * within TIMEOUT_MS. Standard input is fed while standard output is drained, so a
 * program that echoes megabytes never deadlocks against the test. Returns 0 (results
 * in *R, free with run_free) or -1. */
int run_program(struct run *r, const char *input, size_t input_len, int timeout_ms,
                const char *const argv[], int flags);
void run_free(struct run *r);

/* Run ARGV (RUN_UNDER honoured) with stdin read from IN_PATH and stdout written to
 * OUT_PATH, like `echo_client - < big.bin > out.bin`, within TIMEOUT_MS. Returns the
 * exit code (the convention above); its stderr, malloc'd, in *ERR. */
int run_with_files(const char *const argv[], const char *in_path, const char *out_path,
                   int timeout_ms, char **err);

/* How many lines of TEXT are exactly LINE. */
int count_lines(const char *text, const char *line);

/* Run every program started from now on (by this test process) under the fault
 * injection shim tests/fault_inject.so with these FAULT_INJECT rules (fault_inject.c
 * says what they mean: short transfers, EINTR, EAGAIN, resets, on a schedule). NULL
 * turns it off. Returns false where LD_PRELOAD is not there (have_preload): the test is
 * then skipped, `SKIP_UNLESS(fault_injection(RULES), "needs Linux (LD_PRELOAD)")`.
 * Aborts the test when the folder has no built shim. Check runs every test case in its
 * own process, so this never leaks into the next test case. */
bool fault_injection(const char *rules);
/* For a checked fixture that reruns a whole tcase under the shim: fault_injection(RULES);
 * where the shim cannot be preloaded, one line "skipped: RERUN: needs Linux (LD_PRELOAD,
 * for the fault shim)" (RERUN names the tcase: a fixture runs before its test has a
 * name), and the test's process ends with success before the test runs (Check's fork
 * mode, which the kit keeps on, counts that as passed). */
void fault_injection_or_skip(const char *rules, const char *rerun);
/* The rules most suites rerun their tests under: every send, recv, read and write
 * short, and every third call of those and of accept interrupted (EINTR). */
#define SHORT_AND_EINTR "io:short;io+accept:eintr@every=3"

/* --- Servers ----------------------------------------------------------------------- */

struct server {
    struct child child;
    char host[64]; /* as printed in the listening line (brackets of [::1] removed) */
    int port;
};

/* Start a server (ARGV should ask for port 0) and read its "listening on HOST:PORT"
 * line. Returns 0, or -1 when it did not say it was listening in time (it is then
 * killed; its stderr is printed to help find out why). */
int server_start(struct server *s, const char *const argv[]);
/* The same with child_start FLAGS (CHILD_STDIN_PIPE: s->child.in is its stdin). */
int server_start_flags(struct server *s, const char *const argv[], int flags);
/* server_start() with a soft limit on open files of SOFT for the server (the test's own
 * limit is lowered for the fork, then put back): a server started as a shell with a low
 * default (macOS: 256) would start it. Returns 0, or -1 (the limit could not be set, or
 * the server did not start). */
int server_start_with_fd_limit(struct server *s, const char *const argv[], long soft);
/* SIGTERM, wait up to 2 s (scaled), close. Returns its exit code; prints its stderr
 * when that is not 0 (a valgrind report, a crash message). */
int server_stop(struct server *s);
/* server_stop(), but first keep everything the server wrote to stderr in *ERR (free it):
 * what it says on its way out. */
int server_stop_keep_stderr(struct server *s, char **err);
/* tcp_connect() to the server S, or -1. */
int server_connect(const struct server *s);
/* For a Check test: server_connect(), failing the test when it cannot connect. */
int connect_or_fail(const struct server *s);
/* Connect to S, echo MESSAGE once, close. Returns 0 when the echo was exact. */
int echo_once(const struct server *s, const char *message, int timeout_ms);
/* N clients connected at the same time: all connect first, then each sends
 * "Hello, world (i)" and must get exactly that back while all N are still connected.
 * Returns how many got their echo. */
int clients_at_once(const struct server *s, int n, int timeout_ms);

/* --- Talking TCP ------------------------------------------------------------------- */

/* Connect to HOST:PORT over TCP. Returns a blocking socket, or -1. */
int tcp_connect(const char *host, int port);
/* tcp_connect() to 127.0.0.1:PORT with a receive buffer of RCVBUF bytes, set before
 * connecting (set after, a small buffer makes TCP stall). A small buffer makes the
 * server's sends to it come up short. Returns the socket, or -1. */
int tcp_connect_small_rcvbuf(int port, int rcvbuf);
/* Send all LEN bytes (looping over short sends). Returns 0 or -1. Never SIGPIPE. */
int send_all(int fd, const void *buf, size_t len);
/* Receive exactly LEN bytes within TIMEOUT_MS. Returns how many arrived before EOF
 * (LEN when all did), or -1 on error or timeout. */
ssize_t recv_exact(int fd, void *buf, size_t len, int timeout_ms);
/* Read FD (a socket or a pipe) until EOF, within TIMEOUT_MS. Returns a malloc'd buffer
 * with *LEN bytes (NUL-terminated), or NULL on error or timeout. */
char *recv_until_eof(int fd, size_t *len, int timeout_ms);
/* Send OUT_LEN bytes of OUT while receiving IN_LEN bytes into IN, at the same time
 * (sending everything first deadlocks once both directions' buffers are full), within
 * TIMEOUT_MS. True when everything was sent and received in time. FD is left blocking. */
bool exchange(int fd, const void *out, size_t out_len, void *in, size_t in_len, int timeout_ms);
/* exchange() LEN bytes of DATA with an echo server. Returns 0 when exactly DATA came
 * back, -1 otherwise. */
int echo_round_trip(int fd, const void *data, size_t len, int timeout_ms);
/* For a Check test: echo_round_trip() within 30 s (scaled), failing the test unless
 * exactly DATA came back. */
void assert_echo(int fd, const void *data, size_t len);
/* Send as much of LEN bytes as the peer takes, without ever reading; stop when no byte
 * went out for STALL_MS (or at LEN, or TIMEOUT_MS). Returns how many bytes went out.
 * FD is left non-blocking. */
size_t send_until_stalled(int fd, size_t len, int stall_ms, int timeout_ms);
/* True when nothing (no data, no EOF) arrives on FD for MS milliseconds (not scaled:
 * the caller chooses how long "nothing" must last). */
bool nothing_arrives(int fd, int ms);
/* Close FD with a TCP reset instead of a normal close (SO_LINGER 0). */
void close_with_reset(int fd);
/* Make FD non-blocking. Returns 0 or -1. */
int set_nonblocking(int fd);
/* Fill BUF with LEN bytes from a fixed pseudo-random sequence (same SEED, same bytes:
 * a failure can be reproduced). */
void fill_random(void *buf, size_t len, unsigned seed);

/* --- Playing the server for a client ------------------------------------------------ */

/* A TCP listener on 127.0.0.1 with a port the kernel picks (stored in *PORT), and a
 * queue of BACKLOG. Nobody accepts unless the test does: the kernel completes up to
 * BACKLOG + 1 handshakes by itself and then ignores further SYNs (so a connect to a full
 * listener times out). Returns the socket, or -1. */
int test_listener(int backlog, int *port);
/* accept() one connection within TIMEOUT_MS. Returns it, or -1. */
int accept_within(int listener, int timeout_ms);
/* Accept and close every connection waiting on LISTENER, without blocking. Returns how
 * many there were. */
int accept_and_close_all(int listener);
/* A TCP port on 127.0.0.1 where nothing listens: bound, then closed again. */
int unused_port(void);

/* --- UDP ----------------------------------------------------------------------------- */

/* A UDP socket bound to 127.0.0.1, port chosen by the kernel (stored in *PORT). */
int udp_socket(int *port);
/* A UDP port on 127.0.0.1 where nobody listens: bound, then closed again. */
int unused_udp_port(void);
/* The address 127.0.0.1:PORT. */
struct sockaddr_in loopback(int port);
/* Send LEN bytes as one datagram to 127.0.0.1:PORT. Returns 0 or -1. */
int send_datagram(int fd, const void *data, size_t len, int port);
/* Receive one datagram within TIMEOUT_MS: returns its size (0 is a datagram too) with
 * the sender in *FROM (may be NULL), or -1 on timeout or error. */
ssize_t recv_datagram(int fd, void *buf, size_t size, int timeout_ms, struct sockaddr_in *from);
/* Send LEN bytes (at most 65507) as one UDP datagram to TO that says it comes from
 * FROM, whatever that is: a raw socket writes the IP and UDP headers itself ("spoofing").
 * Needs CAP_NET_RAW (root): returns 0, or -1 with errno (EPERM without it). */
int send_spoofed(const struct sockaddr_in *from, const struct sockaddr_in *to, const void *data,
                 size_t len);

/* --- Looking at (and limiting) a running process: Linux /proc and prlimit -----------
 * Each returns -1 (errno ENOSYS) where the system has no /proc or prlimit. */

int count_open_fds(pid_t pid); /* entries of /proc/PID/fd */
int count_threads(pid_t pid);  /* "Threads:" of /proc/PID/status */
int count_children(pid_t pid); /* processes whose parent is PID (zombies too) */
/* Store the process ids of PID's children (zombies too) in PIDS, at most MAX of them.
 * Returns how many. */
int child_pids(pid_t pid, pid_t *pids, int max);
/* How many threads of PID, other than its main thread, do NOT block SIGNAL. */
int threads_accepting_signal(pid_t pid, int signal);
/* CPU time (user + system, every thread) PID has used so far, in milliseconds. */
long cpu_time_ms(pid_t pid);
/* Share of one CPU that PID used during the next MS milliseconds (sleeps that long: a
 * measurement, not a wait for readiness): 1.0 is a core busy all the time; -1 on error. */
double cpu_share(pid_t pid, int ms);
/* Resident memory of PID in KiB (VmRSS), and the most it ever had (VmHWM). */
long resident_kib(pid_t pid);
long peak_resident_kib(pid_t pid);
/* The lowest descriptor number process PID does not have open (the number its next
 * accept() would get). With its soft RLIMIT_NOFILE set to that number, the process has
 * not one descriptor left: its next accept() fails with EMFILE. */
int lowest_free_fd(pid_t pid);
/* Set the soft RLIMIT_NOFILE of process PID (a running server, or the test itself:
 * getpid()) to SOFT, raising the hard limit too when that is needed and allowed (as
 * root). prlimit(2) from outside works on a program run under valgrind, which only
 * pretends to change the limits of the program it runs. Returns the previous soft
 * limit, or -1 (nothing changed). */
long set_fd_limit(pid_t pid, long soft);
/* Raise this process's soft RLIMIT_NOFILE as far as the hard limit allows (at most
 * 2^20). Returns the new soft limit, or -1. */
long raise_fd_limit(void);
/* For an EMFILE test of server S, whose soft limit on open files was lowered to LIMIT
 * (set_fd_limit): connect clients that each send one byte and get it back, and keep them
 * (at most MAX, their sockets in FDS), until the server has no descriptor left below
 * LIMIT (lowest_free_fd; the server holds one per client). Each client has 5 s (scaled)
 * for its echo: what says "full" is the server's descriptor table, not a client that
 * took long on a busy machine. Returns how many were served; or -1, all closed, when one
 * was not echoed in time, MAX were not enough, or /proc is missing. */
int fill_descriptors(const struct server *s, int limit, int *fds, int max);
/* Call COUNT(PID) until it returns EXPECTED or TIMEOUT_MS passes; returns its last value.
 * (A thread leaves, a descriptor is closed, a child is reaped, a moment after its
 * client: there is no event to wait on, so it looks every 5 ms.) */
int wait_for_count(int (*count)(pid_t), pid_t pid, int expected, int timeout_ms);
/* In a Check test: assert that server PID is back to FDS descriptors, THREADS threads and
 * no child process, waiting up to TIMEOUT_MS for each. A macro, so that a failure names
 * the test's line. */
#define ASSERT_BACK_TO(pid, fds, threads, timeout_ms)                                              \
    do {                                                                                           \
        ck_assert_int_eq(wait_for_count(count_open_fds, (pid), (fds), (timeout_ms)), (fds));       \
        ck_assert_int_eq(wait_for_count(count_threads, (pid), (threads), (timeout_ms)),            \
                         (threads));                                                               \
        ck_assert_int_eq(wait_for_count(count_children, (pid), 0, (timeout_ms)), 0);               \
    } while (0)

/* Wait up to TIMEOUT_MS (scaled) until every thread of this test process but the calling
 * one is asleep in the kernel: blocked in a wait (a condition variable, a lock, a read),
 * neither running nor about to (state S in /proc/self/task/TID/stat, on two looks in a row
 * 1 ms apart). For a test that must act while its other threads wait, such as setting an
 * event only once its waiters sleep in event_wait: a fixed sleep only guesses, and guesses
 * wrong on a busy machine. Returns true when they all slept. Where there is no /proc
 * (have_proc), and under valgrind (which runs one thread at a time, the others asleep
 * waiting for their turn, so that the states say nothing), it lets 100 ms (scaled) pass
 * instead and returns false. */
bool wait_until_others_asleep(int timeout_ms);

/* The number of threads of the test process, to prove that every thread a module
 * started has been joined. thread_baseline() counts from inside a thread it starts
 * and joins, so that threads a runtime starts lazily with the first pthread_create
 * (ThreadSanitizer's background thread) are counted too. threads_back_to() looks until
 * the count is down to BASELINE or a second (scaled) has passed: a joined thread leaves
 * the kernel's count a moment after pthread_join returns. Both return the count. */
int thread_baseline(void);
int threads_back_to(int baseline);

#endif
