/* net.h -- the socket steps every program of 02-tcp-echo shares.
 *
 * The lectures hide the same steps in Python's socket module (and the fopnp examples
 * in a small zen_utils module). Here they are C functions a program calls in the
 * order of the lecture: listen_tcp() is socket() + setsockopt(SO_REUSEADDR) + bind()
 * + listen(); accept_client() is accept(); send_all() is sendall().
 *
 * The servers stop on SIGINT and SIGTERM through a self-pipe: the signal handler
 * writes one byte into a pipe, and every wait of a server (for a client, for data,
 * for room to send) polls that pipe too. So a server blocked anywhere notices the
 * signal at once, with no window in which it could be missed.
 *
 * These helpers never exit and never print (except start_server() and
 * accept_client(), which say what went wrong on stderr: see there). They return -1
 * and fill an ERROR buffer ("bind 127.0.0.1:50007: Address already in use"); the
 * program prints it.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for "[ffff:ffff:...:ffff%interface]:65535" and a NUL. */
#define ADDRESS_TEXT_SIZE 80

/* "127.0.0.1:50007", or "[::1]:50007" for IPv6 (the brackets keep the port apart). */
void format_address(const struct sockaddr *address, char text[ADDRESS_TEXT_SIZE]);

/* socket() + setsockopt(SO_REUSEADDR) + bind(HOST:PORT) + listen(BACKLOG), on the
 * first address getaddrinfo gives for HOST that works. The listener is non-blocking
 * (see accept_client). Returns it, or -1 with ERROR filled. */
int listen_tcp(const char *host, int port, int backlog, char *error, size_t error_size);

/* Print the one line a server writes on stdout, "listening on HOST:PORT", with the
 * port the kernel really gave (getsockname: it matters for port 0), and flush it.
 * Returns 0, or -1 with ERROR filled. */
int print_listening(int listener, char *error, size_t error_size);

/* What every server of this folder does before its first accept():
 * stop_signals_install() (*STOP_FD gets the pipe), listen_tcp() with a backlog of
 * SOMAXCONN (the lecture's listen(1) would do for one client at a time, but a load
 * test queues up to 1000 clients: SOMAXCONN lets the kernel queue them all), and
 * print_listening(). Returns the listener; or -1, after printing the one line
 * "PROGRAM: what: reason" on stderr, with nothing left open (the server exits 1). */
int start_server(const char *program, const char *host, int port, int *stop_fd);
/* The end of a server: close the listener and the stop pipe. */
void stop_server(int listener);

/* socket() + connect() to HOST:PORT, trying each address getaddrinfo gives (localhost
 * may be ::1 and 127.0.0.1). Returns a blocking socket and writes the address it
 * reached into PEER; or -1 with ERROR filled ("connect 127.0.0.1:50007: Connection
 * refused", "getaddrinfo nosuch.invalid: Name or service not known"). */
int connect_tcp(const char *host, int port, char peer[ADDRESS_TEXT_SIZE], char *error,
                size_t error_size);

/* Ignore SIGPIPE (a send to a closed connection then fails with EPIPE instead of
 * killing the server) and make SIGINT and SIGTERM write to the stop pipe. Returns the
 * pipe's read end, which becomes readable for good once a signal came; -1 on error. */
int stop_signals_install(void);
/* Ignore SIGINT and SIGTERM from now on and close the stop pipe (at exit). */
void stop_signals_remove(void);

/* Milliseconds on CLOCK_MONOTONIC, a clock that never jumps (unlike the time of day):
 * for deadlines and for measuring how long something took. */
long long monotonic_ms(void);

/* Wait until FD has EVENTS (POLLIN, POLLOUT) or TIMEOUT_MS pass (-1: no limit), or
 * STOP_FD becomes readable (-1: no stop pipe). Returns 1 ready, 0 timed out, -1 on a
 * stop (errno ECANCELED) or an error. An error or hang-up on FD counts as ready: the
 * next recv or send reports it. */
int wait_for(int fd, short events, int stop_fd, int timeout_ms);

/* Python's sendall(): send() may take only part of the data; loop until all LEN
 * bytes are gone. Never blocks past a stop: it waits for room with wait_for().
 * Returns 0, or -1 (errno: EPIPE or ECONNRESET when the peer went away, ECANCELED on
 * a stop). Never raises SIGPIPE (MSG_NOSIGNAL). */
int send_all(int fd, const void *data, size_t len, int stop_fd);

/* write() LEN bytes of DATA to FD (standard output, a pipe, a file), looping over short
 * writes and EINTR, and waiting with poll() when FD is non-blocking and full. Returns
 * 0, or -1 with errno set (EPIPE: the reader went away). For output that must arrive
 * whole: stdio's printf drops what it buffered when a write fails with EINTR. */
int write_all(int fd, const void *data, size_t len);

/* Wait for the next client and accept() it. Returns its socket and writes its address
 * into PEER, or -1 on a stop (errno ECANCELED) or on an unexpected error, which it
 * reports on stderr ("PROGRAM: accept: reason"). A client that gave up before we
 * accepted it is skipped. When the process is out of file descriptors (EMFILE), the
 * waiting client stays queued in the kernel; we say so once on stderr and try again
 * every 100 ms: no busy loop, and the client is served as soon as a descriptor is free. */
int accept_client(int listener, int stop_fd, char peer[ADDRESS_TEXT_SIZE], const char *program);

/* End a connection politely: shutdown(SHUT_WR) sends our FIN (the client reads the
 * end of our reply, then EOF), then we read and discard what the client still sends
 * until its EOF, for at most LINGER_MS (0: one look at what has arrived), then
 * close(). Closing with unread data would send a reset instead, and a reset can
 * destroy the reply before the client has read it. */
void close_gracefully(int fd, int stop_fd, int linger_ms);

#endif
