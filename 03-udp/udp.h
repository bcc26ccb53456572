/* udp.h -- the socket steps both programs of 03-udp share.
 *
 * UDP has no listen, no accept, no connection: a server binds a socket and every
 * datagram arrives with its sender's address (recvfrom); the reply goes to that
 * address (sendto). These helpers resolve and bind, format and compare addresses,
 * and give the server its stop pipe: SIGINT and SIGTERM write a byte into a pipe that
 * the server polls together with its socket, so no signal is ever missed.
 *
 * They never exit and never print: they return -1 and fill an ERROR buffer
 * ("bind 127.0.0.1:20000: Address already in use"); the program prints it.
 */
#ifndef UDP_H
#define UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Room for "[ffff:ffff:...:ffff%interface]:65535" and a NUL. */
#define ADDRESS_TEXT_SIZE 80

/* "127.0.0.1:20000", or "[::1]:20000" for IPv6. */
void format_address(const struct sockaddr *address, char text[ADDRESS_TEXT_SIZE]);

/* Do A and B name the same endpoint: same family, address and port? A pure function
 * (no I/O): the client's test of "is this reply from the server I asked?". */
bool same_address(const struct sockaddr *a, const struct sockaddr *b);

/* Would a reply to SENDER start an endless loop? A datagram's source address is
 * whatever its sender wrote there (a forged "spoofed" source costs one raw socket), and
 * an echo server answers the source. Forged as coming from our own port (SELF: from
 * ourselves, or from another echo server on the same port), each reply is a new request,
 * forever. Forged as coming from a port below 1024, where the system's own services
 * live (echo on 7, chargen on 19), the same happens with them (CERT CA-1996-01). So the
 * server answers neither. A pure function: true for those, false for everyone else. */
bool reply_would_loop(const struct sockaddr *sender, const struct sockaddr *self);

/* Resolve HOST:PORT for UDP (the first address getaddrinfo gives) into *ADDRESS and
 * *LEN. Returns 0, or -1 with ERROR filled. */
int resolve_udp(const char *host, int port, struct sockaddr_storage *address, socklen_t *len,
                char *error, size_t error_size);

/* socket(SOCK_DGRAM) + bind(HOST:PORT), on the first address of HOST that works.
 * No SO_REUSEADDR, on purpose: for UDP on Linux it would let a second server bind the
 * same port and silently share (or steal) its datagrams. The socket is non-blocking
 * (poll says when to read: a datagram that poll announced may still be gone, dropped
 * for a bad checksum, and a blocking recv would then wait for the next). Returns the
 * socket, or -1 with ERROR filled. */
int bind_udp(const char *host, int port, char *error, size_t error_size);

/* Make FD non-blocking (O_NONBLOCK). Returns 0, or -1 with errno set. */
int set_nonblocking(int fd);

/* sendto() one datagram of LEN bytes to TO, on a non-blocking socket: retried at once
 * when a signal interrupted it (EINTR); when the send buffer is full (EAGAIN) it waits
 * for room with poll(), at most WAIT_MS in all (and no longer than until STOP_FD, -1
 * for none, becomes readable), then tries again. A datagram is never sent in part.
 * Returns 0, or -1 with errno: EAGAIN (still no room: the datagram is lost, as on the
 * network), ECANCELED (a stop), EMSGSIZE (too big), ... */
int udp_send(int sock, const void *data, size_t len, const struct sockaddr *to, socklen_t to_len,
             int stop_fd, int wait_ms);

/* write() LEN bytes of DATA to FD (standard output, a pipe, a file), looping over short
 * writes and EINTR, and waiting with poll() when FD is non-blocking and full. Returns
 * 0, or -1 with errno set (EPIPE: the reader went away). For output that must arrive
 * whole: stdio's printf drops what it buffered when a write fails with EINTR. */
int write_all(int fd, const void *data, size_t len);

/* Print "listening on HOST:PORT" (the port the kernel really gave: getsockname) on
 * stdout and flush it. Returns 0, or -1 with ERROR filled. */
int print_listening(int sock, char *error, size_t error_size);

/* Ignore SIGPIPE and make SIGINT and SIGTERM write to the stop pipe. Returns the
 * pipe's read end, readable for good once a signal came; -1 on error. */
int stop_signals_install(void);
/* Ignore SIGINT and SIGTERM from now on and close the stop pipe (at exit). */
void stop_signals_remove(void);

/* Milliseconds on CLOCK_MONOTONIC, a clock that never jumps: for deadlines. */
long long monotonic_ms(void);

/* Wait until FD has EVENTS or TIMEOUT_MS pass (-1: no limit), or STOP_FD becomes
 * readable (-1: no stop pipe). Returns 1 ready, 0 timed out, -1 on a stop (errno
 * ECANCELED) or an error. */
int wait_for(int fd, short events, int stop_fd, int timeout_ms);

#endif
