/* harness_extra.h -- what the 03-udp suites need beyond harness.c.
 *
 * harness.[ch] are the kit's shared test harness, copied verbatim from 01-threads;
 * everything this folder adds lives here instead, so the copy stays identical:
 * UDP sockets for a test that plays the server (or a stranger), receiving a datagram
 * with a deadline, forging a datagram's source address (a raw socket), and reading a
 * program's stdout pipe to its end.
 * Every wait has a deadline scaled by CK_TIMEOUT_MULTIPLIER, like harness.c's.
 */
#ifndef HARNESS_EXTRA_H
#define HARNESS_EXTRA_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

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

#endif
