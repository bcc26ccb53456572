/* net.h -- the socket plumbing that the servers of 06-poll-async share.
 *
 * Redis's anet.c is the model: small helpers that never exit. Each returns -1 and
 * writes one line saying what failed ("bind 127.0.0.1:1060: Address already in use")
 * into a buffer the caller prints, so every program reports errors the same way.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for "[ffff:...:ffff]:65535" and its NUL. */
#define NET_ADDRESS_SIZE 64

/* Listen for TCP connections on HOST:PORT (PORT "0": the kernel picks one). Tries each
 * address getaddrinfo gives until one binds, with SO_REUSEADDR and a backlog of
 * SOMAXCONN. The socket is non-blocking (an event loop must never block in accept).
 * Returns it, or -1 with the reason in ERROR. Costs one getaddrinfo (no DNS for
 * numeric hosts) and a few system calls. */
int net_listen(const char *host, const char *port, char *error, size_t error_size);

/* Print "listening on HOST:PORT" for FD's real address (getsockname: the port the
 * kernel picked for -p 0) on stdout and flush it. Returns 0, or -1 with errno set. */
int net_announce(int fd);

/* Write ADDRESS as "127.0.0.1:5000" or "[::1]:5000" into TEXT ("?" if unknown). */
void net_format_address(const struct sockaddr *address, char *text, size_t size);

/* The same for the peer of connected socket FD. One getpeername call. */
void net_peer_name(int fd, char *text, size_t size);

/* Make FD non-blocking. Returns 0, or -1 with errno set. */
int net_set_nonblocking(int fd);

/* The self-pipe trick: SIGINT and SIGTERM write one byte to a pipe whose read end the
 * caller watches together with its sockets, so a signal wakes poll/epoll_wait with no
 * window in which it could be missed. SIGPIPE is ignored (a client that vanishes makes
 * send fail with EPIPE instead of killing the server). Returns the read end
 * (non-blocking), or -1 with errno set. Call once; net_stop_pipe_close() closes both. */
int net_stop_pipe_open(void);
void net_stop_pipe_close(void);

#endif
