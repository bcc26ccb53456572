/* net.h -- the socket steps the kit's programs share, as the lectures' programs share
 * Python's socket module and fopnp's zen_utils.
 *
 * master: 02-tcp-echo/net.h; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * 02-tcp-echo's echo_server.c and echo_client.c make every call of a socket's life
 * themselves (getaddrinfo, socket, setsockopt, bind, listen, accept, connect, recv,
 * send, close): read them first. From then on the programs call these helpers:
 *
 *   Python                                     C (net.h)
 *   socket.socket(); s.bind(); s.listen()      net_listen(host, port, error, size)
 *   socket.create_connection((h, p), timeout)  net_connect(host, port, timeout, ...)
 *   conn, addr = s.accept()                    net_accept(listener, -1, peer, ...)
 *   conn.sendall(data)                         net_send_all(fd, data, len)
 *   signal.signal(SIGTERM, handler)            net_stop_install() (the self-pipe)
 *
 * Redis's anet.c is the model: the helpers never exit and never print (except the two
 * that say so: net_server_start() and net_accept()). They return -1 and write one line
 * saying what failed into an ERROR buffer the caller prints after its name:
 *     echo_server: bind 127.0.0.1:50007: Address already in use
 *
 * Stopping: SIGINT and SIGTERM write one byte into a pipe (the self-pipe trick), and
 * every wait here (for a client, for data, for room to send, for a connect) polls that
 * pipe too. So a program blocked anywhere notices the signal at once, with no window in
 * which it could be missed, and the byte stays there: from then on every wait returns.
 */
#ifndef NET_H
#define NET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Room for "[ffff:ffff:...:ffff%interface]:65535" and a NUL. */
#define NET_ADDRESS_SIZE 80

/* --- Addresses ------------------------------------------------------------------------ */

/* Write ADDRESS as "127.0.0.1:50007", or "[::1]:50007" for IPv6 (the brackets keep the
 * port apart), into TEXT: numeric, never a (slow) reverse DNS lookup. An IPv4 peer seen
 * through an IPv6 socket (::ffff:127.0.0.1) is shown as IPv4. "?" when it cannot be
 * written. Returns TEXT. */
char *net_format_address(const struct sockaddr *address, char *text, size_t size);
/* The address of FD's peer (getpeername), as net_format_address writes it; "?" when the
 * peer is already gone. Returns TEXT. */
char *net_peer_address(int fd, char *text, size_t size);

/* --- Listening ------------------------------------------------------------------------ */

/* getaddrinfo(HOST) + socket() + setsockopt(SO_REUSEADDR) + bind(PORT) + listen(SOMAXCONN)
 * on the first address of HOST that works (PORT 0: the kernel picks a free one). The
 * socket is blocking and closed on exec. Returns it, or -1 with ERROR filled
 * ("bind 127.0.0.1:50007: Address already in use", "getaddrinfo nosuch: Name or service
 * not known"). */
int net_listen(const char *host, int port, char *error, size_t error_size);

/* Print the one line a server writes on stdout, "listening on HOST:PORT", with the port
 * the kernel really gave (getsockname: it matters for port 0), and flush it. Returns 0, or
 * -1 with ERROR filled. */
int net_print_listening(int listener, char *error, size_t error_size);

/* What every server of the kit does before its loop: net_stop_install(), net_listen()
 * made non-blocking (poll saying "a client is waiting" does not promise that accept will
 * find one: the client may have reset in between, and a blocking accept would then wait
 * for the next client, deaf to signals), and net_print_listening(). Returns the
 * listener; or -1, after printing the one line "PROGRAM: what: reason" on stderr, with
 * nothing left open (the server exits 1). */
int net_server_start(const char *program, const char *host, int port);
/* The end of a server: close the listener, then net_stop_remove(). */
void net_server_end(int listener);

/* --- Connecting ----------------------------------------------------------------------- */

/* Connect to HOST:PORT over TCP within TIMEOUT seconds (0: as long as it takes), trying
 * each address getaddrinfo gives (localhost may be ::1 and 127.0.0.1) within that one
 * timeout, and giving up at once on a stop (net_stop_install). Returns a blocking socket
 * and writes the address it reached into PEER (when not NULL); or -1 with errno set and
 * ERROR filled: "connect 127.0.0.1:50007: Connection refused", "connect 10.0.0.1:80:
 * timed out" (ETIMEDOUT), "connect ...: stopped" (ECANCELED), "getaddrinfo nosuch: Name
 * or service not known". A plain connect() may wait for minutes when nothing answers;
 * here the socket connects non-blocking and poll() bounds the wait. */
int net_connect(const char *host, int port, double timeout, char *peer, size_t peer_size,
                char *error, size_t error_size);
/* The reason in an ERROR line these helpers wrote: "Connection refused" for "connect
 * 127.0.0.1:1: Connection refused" (what follows the last ": "). */
const char *net_reason(const char *error);

/* For a UDP client: resolve HOST:PORT (UDP) and open a socket of its family. Returns
 * the socket and stores the server's address in *ADDRESS and *LENGTH (for sendto or
 * connect), or -1 with ERROR filled. */
int net_udp_client(const char *host, int port, struct sockaddr_storage *address,
                   socklen_t *length, char *error, size_t error_size);

/* Turn O_NONBLOCK off (BLOCKING true) or on. Returns 0, or -1 with errno set. */
int net_set_blocking(int fd, bool blocking);

/* Raise this process's soft limit on open descriptors (RLIMIT_NOFILE) as far as its hard
 * limit allows (at most 2^20). A server meant to hold many connections calls it at start,
 * as Redis does to fit maxclients: shells start with a soft limit of 256 (macOS) or 1024
 * (Linux) under a hard limit far higher, and every client costs a descriptor. Returns the
 * soft limit now in force, or -1 with errno set. */
long net_raise_fd_limit(void);

/* --- Stopping on SIGINT and SIGTERM: the self-pipe -------------------------------------- */

/* Create the pipe (both ends non-blocking and closed on exec), ignore SIGPIPE (a send to a
 * closed connection then fails with EPIPE instead of killing the program), and make
 * SIGINT and SIGTERM write one byte to the pipe. Returns the pipe's read end, which is
 * readable for good once a signal came; -1 with errno set on error. */
int net_stop_install(void);
/* The read end of the pipe (-1 before net_stop_install), to watch beside one's sockets
 * in poll, epoll or select. */
int net_stop_fd(void);
/* Has a stop been asked for? (A poll of the pipe that does not wait: safe in any thread.) */
bool net_stop_requested(void);
/* At exit: ignore SIGINT and SIGTERM from now on (a late signal must not write into a
 * closed, or reused, descriptor) and close the pipe. */
void net_stop_remove(void);
/* In a child after fork(): SIGINT and SIGTERM back to their default action (the child
 * ends at once) and the pipe closed (the child must never wake its parent through it). */
void net_stop_forget(void);
/* Block SIGINT, SIGTERM and SIGCHLD in the calling thread, saving the old mask in *OLD: a
 * thread created meanwhile inherits the blocked mask, so signals go to the main thread
 * only. Restore with net_restore_signals(OLD). Returns 0 or an error number. */
int net_block_signals(sigset_t *old);
void net_restore_signals(const sigset_t *old);
/* For a program that installs no stop pipe (a client): ignore SIGPIPE, so that a write to
 * a peer that is gone fails with EPIPE. Returns 0 or -1. */
int net_ignore_sigpipe(void);

/* --- Waiting, sending, accepting, closing ---------------------------------------------- */

/* Milliseconds on CLOCK_MONOTONIC, a clock that never jumps (unlike the time of day):
 * for deadlines and for measuring how long something took. */
long long net_monotonic_ms(void);

/* Wait until FD has EVENTS (POLLIN, POLLOUT) or TIMEOUT_MS pass (-1: no limit), or a stop
 * comes. FD -1: only wait. Returns 1 ready, 0 timed out, -1 on a stop (errno ECANCELED) or
 * an error. An error or hang-up on FD counts as ready: the next recv or send reports it.
 * A signal that interrupts the wait (EINTR) does not end it. */
int net_wait(int fd, short events, int timeout_ms);

/* Python's sendall(): send() may take only part of the data; loop until all LEN bytes are
 * gone. Never blocks past a stop: when nothing fits, it waits for room with net_wait().
 * Returns 0, or -1 with errno set (EPIPE or ECONNRESET: the peer went away; ECANCELED: a
 * stop). Never raises SIGPIPE. */
int net_send_all(int fd, const void *data, size_t len);

/* write() LEN bytes of DATA to FD (standard output, a pipe, a file), looping over short
 * writes and EINTR, and waiting with poll() when FD is non-blocking and full. Returns 0, or
 * -1 with errno set (EPIPE: the reader went away). For output that must arrive whole:
 * stdio's printf drops what it buffered when a write fails with EINTR. */
int net_write_all(int fd, const void *data, size_t len);

/* Wait up to TIMEOUT_MS (-1: no limit) for the next client on LISTENER and accept() it.
 * Returns its socket, blocking, and writes its address into PEER. Or -1 with errno
 * ECANCELED (a stop), ETIMEDOUT (the time passed with no client), or another error, which
 * it reports on stderr ("PROGRAM: accept: reason"). A client that gave up before we
 * accepted it (ECONNABORTED) is skipped. When the process is out of file descriptors
 * (EMFILE), the waiting client stays queued in the kernel and the listener readable: we
 * say so once on stderr and try again every 100 ms (no busy loop), so the client is
 * served as soon as a descriptor is free. */
int net_accept(int listener, int timeout_ms, char *peer, size_t peer_size, const char *program);

/* For an event loop: accept one pending client on the non-blocking LISTENER without
 * waiting. Returns its socket, blocking or not as asked (Linux does not pass the
 * listener's O_NONBLOCK on, BSD does: we say what we want), with its address in PEER. Or
 * -1 with errno: EAGAIN when there is no client after all (ECONNABORTED, EPROTO and EINTR
 * are reported as EAGAIN: they concern one client, or nothing); anything else (EMFILE,
 * ENFILE, ENOBUFS, ENOMEM) when the process is out of resources: the client stays queued
 * and the listener readable, so the caller must wait a while before it tries again, or it
 * would spin. */
int net_accept_one(int listener, bool blocking, char *peer, size_t peer_size);

/* End a connection politely: shutdown(SHUT_WR) sends our FIN (the client reads the end of
 * our reply, then EOF), then we read and discard what the client still sends until its
 * EOF, for at most LINGER_MS (0: one look at what has arrived), then close(). Closing with
 * unread data would send a reset instead, and a reset can destroy the reply before the
 * client has read it. */
void net_close_gracefully(int fd, int linger_ms);

#endif
