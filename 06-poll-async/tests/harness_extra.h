/* harness_extra.h -- what 06-poll-async's suites need beyond the kit's harness
 * (harness.[ch] is a verbatim copy of 01-threads/tests; additions live here). */
#ifndef HARNESS_EXTRA_H
#define HARNESS_EXTRA_H

#include "harness.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* True when the programs run under valgrind (RUN_UNDER set: make memcheck/helgrind). */
bool under_valgrind(void);
/* True when this build has AddressSanitizer (its memory figures mean nothing). */
bool under_sanitizer(void);

/* Make FD non-blocking. Returns 0 or -1. */
int set_nonblocking(int fd);
/* A listening TCP socket on 127.0.0.1 with a port the kernel picks (*PORT), for tests
 * that play the server. Returns it, or -1. */
int test_listener(int *port);
/* tcp_connect() to 127.0.0.1:PORT with a receive buffer of RCVBUF bytes, set before
 * connecting (set after, a small buffer makes TCP stall). A small buffer makes the
 * server's sends to it come up short. Returns the socket, or -1. */
int tcp_connect_small_rcvbuf(int port, int rcvbuf);
/* Accept one connection on LISTENER within TIMEOUT_MS (scaled). Returns it, or -1. */
int accept_within(int listener, int timeout_ms);

/* CPU time (user + system) that process PID has used so far, in ms; -1 on error. */
long process_cpu_ms(pid_t pid);
/* Let MS milliseconds pass and return the share of one CPU, in percent, that process
 * PID used meanwhile (a busy loop shows as ~100). Not scaled: it is a measurement. */
long cpu_percent_during(pid_t pid, int ms);
/* A "Vm...:" field of /proc/PID/status in KiB (VmRSS, VmHWM); -1 on error. */
long process_memory_kib(pid_t pid, const char *field);

/* Wait up to TIMEOUT_MS (scaled) until the child's stderr contains TEXT. */
bool wait_for_stderr(const struct child *c, const char *text, int timeout_ms);
/* Wait up to TIMEOUT_MS (scaled) until process PID has exactly COUNT open fds.
 * Returns the last count seen. */
int wait_for_fd_count(pid_t pid, int count, int timeout_ms);

/* Lower RLIMIT_NOFILE (soft and hard) of a running process PID to LIMIT: its next
 * accept() fails with EMFILE once LIMIT fds are open. Returns 0 or -1. */
int limit_fds_of(pid_t pid, long limit);
/* Raise the soft RLIMIT_NOFILE as far as the hard limit allows. Returns the new one. */
long raise_fd_limit(void);

/* Send LEN bytes while receiving the echo at the same time (so that neither side's
 * buffers fill up), within TIMEOUT_MS (scaled). Returns how many echoed bytes matched
 * DATA before the first difference, EOF or timeout: LEN when the echo was perfect. */
size_t echo_exchange(int fd, const char *data, size_t len, int timeout_ms);
/* The same for any request/reply stream: send LEN bytes of DATA while receiving, and
 * return how many bytes of EXPECTED (EXPECTED_LEN) came back before the first
 * difference, EOF or timeout: EXPECTED_LEN when the reply was exactly that. */
size_t exchange(int fd, const char *data, size_t len, const char *expected, size_t expected_len,
                int timeout_ms);

#endif
