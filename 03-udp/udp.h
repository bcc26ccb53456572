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

/* Resolve HOST:PORT for UDP (the first address getaddrinfo gives) into *ADDRESS and
 * *LEN. Returns 0, or -1 with ERROR filled. */
int resolve_udp(const char *host, int port, struct sockaddr_storage *address, socklen_t *len,
                char *error, size_t error_size);

/* socket(SOCK_DGRAM) + bind(HOST:PORT), on the first address of HOST that works.
 * No SO_REUSEADDR, on purpose: for UDP on Linux it would let a second server bind the
 * same port and silently share (or steal) its datagrams. Returns the socket, or -1
 * with ERROR filled. */
int bind_udp(const char *host, int port, char *error, size_t error_size);

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
