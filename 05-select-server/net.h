/* net.h -- what the servers of 05-select-server share, as the lectures' programs share
 * zen_utils: opening a listening socket, naming addresses, sending everything, accepting
 * one client, and stopping cleanly on SIGINT and SIGTERM.
 *
 * Every function returns a status (-1, or a message in an ERROR buffer) and never exits:
 * the program decides what a failure means for it.
 */
#ifndef NET_H
#define NET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535" and its NUL fit. */
#define ADDRESS_SIZE 64

/* --- Stopping on a signal: the self-pipe and pselect -------------------------------------
 * The SIGINT/SIGTERM handler writes one byte to a pipe that nobody ever reads. From then
 * on the pipe's read end, stop_fd(), is readable for good: every select() that watches it
 * returns at once (the byte stays there, the wait sees it).
 * Both servers also keep SIGINT and SIGTERM blocked except while they wait: pselect()
 * unblocks them for the wait only, atomically. A signal that comes while they serve stays
 * pending until the next pselect, which then returns EINTR at once. So the handler only
 * ever runs inside the wait, and the code that follows it can check for the stop. */

/* Create the pipe and install the handler for SIGINT and SIGTERM. Returns 0, or -1 with
 * errno set. The handler is installed without SA_RESTART: a blocked call returns EINTR. */
int stop_signals_install(void);
/* The read end of the pipe: readable once a stop was asked for. */
int stop_fd(void);
/* Has a stop been asked for? A poll() of stop_fd() that does not wait. Call it when
 * pselect() returns EINTR. (ThreadSanitizer runs a handler only when the program next calls
 * a function it intercepts, and older versions do not intercept pselect; they do poll, so
 * this call is also where the delayed handler runs.) */
bool stop_requested(void);
/* Back to the default action for SIGINT and SIGTERM, and close the pipe: at exit. */
void stop_signals_uninstall(void);

/* --- Starting a server --------------------------------------------------------------- */

/* What both servers here do before their loop: ignore SIGPIPE (a client that closes while
 * we send costs an EPIPE, not the process), install the stop signals and block them in
 * this thread (threads created later inherit the blocked mask: signals are the main
 * thread's), saving in *WAIT_MASK the mask to give pselect (the same, with them
 * unblocked); open the listening socket on HOST:PORT, non-blocking (select may say
 * "readable" for a client that is gone by the time we accept: accept must then say
 * EAGAIN, not block), check that select can watch it and the stop pipe (descriptors below
 * FD_SETSIZE), and print the listening line.
 * Returns the listener; on failure prints one line "PROGRAM: what: reason", undoes what it
 * did and returns -1 (the program exits 1). At the end the server closes the listener and
 * calls stop_signals_uninstall(). */
int server_open(const char *program, const char *host, const char *port, sigset_t *wait_mask);

/* --- Sockets ------------------------------------------------------------------------- */

/* Resolve HOST:PORT with getaddrinfo (so "localhost" and "::1" work), then socket,
 * SO_REUSEADDR, bind and listen(SOMAXCONN) on the first address that works. Returns the
 * listening socket (blocking), or -1 with a message in ERROR such as
 * "bind 127.0.0.1:5000: Address already in use". */
int tcp_listen(const char *host, const char *port, char *error, size_t error_size);
/* Print the one line a server prints on stdout, "listening on HOST:PORT" with the real
 * port (getsockname: -p 0 lets the kernel choose), and flush it. Returns 0 or -1. */
int print_listening(int listener);
/* "127.0.0.1:53122" or "[::1]:53122" for ADDRESS (numeric, no DNS lookup). */
void address_text(const struct sockaddr *address, char *text, size_t size);
/* Turn O_NONBLOCK off or on. Returns 0 or -1. */
int set_blocking(int fd, bool blocking);
/* Send all LEN bytes, looping over short sends and EINTR; never raises SIGPIPE.
 * Returns 0, or -1 with errno set (the peer reset or closed: drop that client). */
int send_all(int fd, const void *buf, size_t len);
/* Accept one pending client on the non-blocking LISTENER. Returns its socket, blocking
 * or not as asked (Linux does not pass the listener's O_NONBLOCK on, BSD does: we say
 * what we want), with its address in PEER. Or -1 with errno set: EAGAIN when there is no
 * client after all (ECONNABORTED, EPROTO and EINTR are reported as EAGAIN: they concern
 * one client, or nothing), anything else (EMFILE, ENFILE, ENOBUFS, ENOMEM) when the server
 * is out of resources: the client stays queued and the listener readable, so the caller
 * must wait a while before it tries again, or it would spin. */
int accept_one(int listener, bool blocking, char *peer, size_t peer_size);

#endif
