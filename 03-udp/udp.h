/* udp.h -- what is UDP's own in 03-udp: binding a datagram socket, sending a datagram
 * with a bounded wait for room, and the two address rules a datagram server and client
 * need. Everything else (addresses as text, the stop pipe, waiting, writing stdout, the
 * listening line, the clock) is the kit's net.c (net.h), as in every folder.
 *
 * UDP has no listen, no accept, no connection: a server binds a socket and every
 * datagram arrives with its sender's address (recvfrom); the reply goes to that
 * address (sendto).
 *
 * Like net.c these helpers never exit and never print: they return -1 and fill an ERROR
 * buffer ("bind 127.0.0.1:20000: Address already in use"); the program prints it.
 */
#ifndef UDP_H
#define UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Do A and B name the same endpoint: same family, address and port? A pure function
 * (no I/O): the client's test of "is this reply from the server I asked?". */
bool udp_same_address(const struct sockaddr *a, const struct sockaddr *b);

/* Would a reply to SENDER start an endless loop? A datagram's source address is
 * whatever its sender wrote there (a forged "spoofed" source costs one raw socket), and
 * an echo server answers the source. Forged as coming from our own port (SELF: from
 * ourselves, or from another echo server on the same port), each reply is a new request,
 * forever. Forged as coming from a port below 1024, where the system's own services
 * live (echo on 7, chargen on 19), the same happens with them (CERT CA-1996-01). So the
 * server answers neither. A pure function: true for those, false for everyone else. */
bool udp_reply_would_loop(const struct sockaddr *sender, const struct sockaddr *self);

/* getaddrinfo(HOST, PORT) for UDP (net_resolve) + socket(SOCK_DGRAM) + bind(), on the
 * first address of HOST that works. No SO_REUSEADDR, on purpose: for UDP on Linux it
 * would let a second server bind the same port and silently share (or steal) its
 * datagrams. The socket is non-blocking (poll says when to read: a datagram that poll
 * announced may still be gone, dropped for a bad checksum, and a blocking recv would
 * then wait for the next). Returns the socket, or -1 with ERROR filled. */
int udp_bind(const char *host, int port, char *error, size_t error_size);

/* sendto() one datagram of LEN bytes to TO, on a non-blocking socket: retried at once
 * when a signal interrupted it (EINTR); when the send buffer is full (EAGAIN) it waits
 * for room with net_wait(), at most WAIT_MS in all (and no longer than a stop), then
 * tries again. A datagram is never sent in part. Returns 0, or -1 with errno: EAGAIN
 * (still no room: the datagram is lost, as on the network), ECANCELED (a stop),
 * EMSGSIZE (too big), ... */
int udp_send(int sock, const void *data, size_t len, const struct sockaddr *to, socklen_t to_len,
             int wait_ms);

#endif
