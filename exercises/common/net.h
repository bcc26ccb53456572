/* net.h -- socket set-up the exercises' programs share (given: you need not change it).
 *
 * The exercises are about what happens after the socket exists: timeouts, threads, poll
 * loops, buffers. Opening the socket is the same few lines every time (getaddrinfo, then
 * socket + bind + listen, or socket + connect), so it is done once here, the way the
 * lecture folders do it. Helpers never exit: they return -1 and describe the problem in
 * the caller's ERROR buffer, as one line the program prints after its name:
 *     chat_server: bind 127.0.0.1:65432: Address already in use
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for any "HOST:PORT" this module writes: "[" + IPv6 text (45) + "]:" + 5 digits. */
#define ADDRESS_TEXT_SIZE 64

/* Write ADDRESS (IPv4 or IPv6) as numeric "HOST:PORT" into TEXT ("127.0.0.1:5000",
 * "[::1]:5000"; IPv4-mapped IPv6 addresses as plain IPv4). Returns TEXT. */
char *format_address(const struct sockaddr *address, char *text, size_t size);

/* The address of FD's peer (getpeername), as format_address writes it. Returns TEXT, or
 * "?" in TEXT when the call fails. */
char *peer_address(int fd, char *text, size_t size);

/* Listen on HOST:PORT over TCP (port 0: the kernel picks a free one), with SO_REUSEADDR and
 * a backlog of 128. Returns the listening socket, or -1 with ERROR filled in, for example
 * "bind 127.0.0.1:50007: Address already in use". */
int tcp_listen(const char *host, int port, char *error, size_t error_size);

/* Print "listening on HOST:PORT" (the real port, from getsockname) on stdout and flush
 * it: the one line a server prints there. Returns 0, or -1 with ERROR filled in. */
int print_listening(int listener, char *error, size_t error_size);

/* Connect to HOST:PORT over TCP, trying each address of HOST in turn. Returns a blocking
 * connected socket, or -1 with ERROR filled in ("connect 127.0.0.1:65432: Connection
 * refused"). */
int tcp_connect_to(const char *host, int port, char *error, size_t error_size);

/* Resolve HOST:PORT for UDP and open a UDP socket of the matching family (IPv4 or IPv6).
 * Returns the socket and stores the server's address in *ADDRESS and *LENGTH (ready for
 * sendto or connect), or -1 with ERROR filled in. */
int udp_socket_to(const char *host, int port, struct sockaddr_storage *address, socklen_t *length,
                  char *error, size_t error_size);

#endif
