/* servers.h -- what this folder's suites add to the kit's harness (harness.c stays a
 * verbatim copy of 01-threads/tests/harness.c): starting a server with its stdin on a
 * pipe, echo round trips that never deadlock, and looking at a running server through
 * /proc (CPU time, memory) and at the test's own limits.
 *
 * Like the harness, every wait has a deadline in milliseconds scaled by
 * CK_TIMEOUT_MULTIPLIER (scaled_ms); the functions report, the tests assert.
 */
#ifndef SERVERS_H
#define SERVERS_H

#include "harness.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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
#define SANITIZER_THREADS 1
#else
#define SANITIZER_THREADS 0
#endif
#if defined(TSAN_BUILD) || defined(ASAN_BUILD)
#define MEMORY_MEASURABLE 0
#else
#define MEMORY_MEASURABLE 1
#endif

/* Are the programs run under valgrind (make memcheck, make helgrind)? There a fork costs
 * some 40 ms, so the tests that fork a thousand times fork a hundred times instead: enough
 * to show a leak or a zombie per connection. `make test` runs the full count. */
bool under_valgrind(void);

/* server_start() with child_start FLAGS (CHILD_STDIN_PIPE: s->child.in is its stdin). */
int server_start_flags(struct server *s, const char *const argv[], int flags);
/* server_stop(), but first keep everything the server wrote to stderr in *ERR (free it):
 * what it says on its way out. */
int server_stop_keep_stderr(struct server *s, char **err);
/* tcp_connect() to the server S, or -1. */
int server_connect(const struct server *s);

/* Send LEN bytes of DATA on FD while reading what comes back, within TIMEOUT_MS (sending
 * everything first would deadlock once both directions' buffers are full). Returns 0 when
 * exactly DATA came back, -1 otherwise. FD is left blocking. */
int echo_round_trip(int fd, const void *data, size_t len, int timeout_ms);
/* Connect to S, echo MESSAGE once, close. Returns 0 when the echo was exact. */
int echo_once(const struct server *s, const char *message, int timeout_ms);
/* True when nothing (no data, no EOF) arrives on FD for MS milliseconds (not scaled:
 * the caller chooses how long "nothing" must last). */
bool nothing_arrives(int fd, int ms);
/* Fill in LEN pseudo-random bytes (a fixed sequence: failures are reproducible). */
void random_bytes(void *buf, size_t len);

/* Send as much of LEN bytes as the peer takes, without ever reading; stop when no byte
 * went out for STALL_MS (or at LEN, or TIMEOUT_MS). Returns how many bytes went out. FD
 * is left non-blocking. */
size_t send_until_stalled(int fd, size_t len, int stall_ms, int timeout_ms);

/* Call COUNT(PID) until it returns EXPECTED or TIMEOUT_MS passes; returns its last value. */
int wait_for_count(int (*count)(pid_t), pid_t pid, int expected, int timeout_ms);
/* In a Check test: assert that server PID is back to FDS descriptors, THREADS threads and
 * no child process, waiting up to TIMEOUT_MS for each (a thread leaves, and a child is
 * reaped, a moment after its client). A macro, so that a failure names the test's line. */
#define ASSERT_BACK_TO(pid, fds, threads, timeout_ms)                                              \
    do {                                                                                           \
        ck_assert_int_eq(wait_for_count(count_open_fds, (pid), (fds), (timeout_ms)), (fds));       \
        ck_assert_int_eq(wait_for_count(count_threads, (pid), (threads), (timeout_ms)),            \
                         (threads));                                                               \
        ck_assert_int_eq(wait_for_count(count_children, (pid), 0, (timeout_ms)), 0);               \
    } while (0)
/* Wait until the server's stderr contains TEXT. Returns true if it did in time. */
bool wait_for_stderr(const struct server *s, const char *text, int timeout_ms);

/* CPU time (user + system, every thread) PID has used so far, in clock ticks. -1 on error. */
long cpu_ticks(pid_t pid);
/* Share of one CPU that PID used during the next MS milliseconds (sleeps that long: a
 * measurement, not a wait for readiness): 1.0 is a core busy all the time. -1 on error. */
double cpu_share(pid_t pid, int ms);
/* Resident memory of PID in KiB (VmRSS), or -1. */
long resident_kib(pid_t pid);
/* The most resident memory PID ever had, in KiB (VmHWM, the high-water mark), or -1. */
long peak_resident_kib(pid_t pid);
/* Store the process ids of PID's children (zombies too) in PIDS, at most MAX of them.
 * Returns how many, or -1. */
int child_pids(pid_t pid, pid_t *pids, int max);
/* How many threads of PID, other than its main thread, do NOT block SIGNAL; -1 on error. */
int threads_accepting_signal(pid_t pid, int signal);

/* Set the soft RLIMIT_NOFILE of process PID (a running server) to SOFT, raising the hard
 * limit too when allowed (as root). Linux prlimit(2): done from outside after the server
 * started, so that it also works when the test itself runs under valgrind (valgrind only
 * pretends to change the limits of the program it runs). Returns the previous soft limit,
 * or -1 (nothing changed). */
long set_fd_limit(pid_t pid, long soft);
/* The lowest descriptor number process PID does not have open (the number its next
 * accept() would get), or -1. With its soft RLIMIT_NOFILE set to that number, the process
 * has not one descriptor left: its next accept() fails with EMFILE. */
int lowest_free_fd(pid_t pid);

#endif
