/* net.h -- what the servers of 04-threaded-server share, as the lectures' programs share
 * zen_utils: opening a listening socket, naming addresses, sending everything, accepting
 * the next client without ever spinning, and stopping cleanly on SIGINT and SIGTERM.
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

/* --- Stopping on a signal: the self-pipe ------------------------------------------------
 * The SIGINT/SIGTERM handler writes one byte to a pipe that nobody ever reads. From then
 * on the pipe's read end, stop_fd(), is readable for good: every poll() that includes it
 * returns at once, in any thread, and no signal can be lost between a check and a wait
 * (the byte stays there, the wait sees it). */

/* Create the pipe and install the handler for SIGINT and SIGTERM. Returns 0, or -1 with
 * errno set. The handler is installed without SA_RESTART: a blocked call returns EINTR. */
int stop_signals_install(void);
/* The read end of the pipe: readable once a stop was asked for. */
int stop_fd(void);
/* Has a stop been asked for? (A poll of stop_fd() with no wait: safe in any thread.) */
bool stop_requested(void);
/* Back to the default action for SIGINT and SIGTERM, and close the pipe: at exit, and in a
 * forked child, which must not wake its parent by writing to the shared pipe. */
void stop_signals_uninstall(void);
/* Block SIGINT, SIGTERM and SIGCHLD in the calling thread, saving the old mask in *OLD.
 * A thread created meanwhile inherits the blocked mask: signals then go to the main
 * thread only. Restore with signals_restore(OLD). Returns 0 or an error number. */
int signals_block(sigset_t *old);
void signals_restore(const sigset_t *old);

/* --- Starting and ending a server ----------------------------------------------------- */

/* What every server here does before its loop: ignore SIGPIPE (a client that closes while
 * we send costs an EPIPE, not the process), install the stop signals, open the listening
 * socket on HOST:PORT (non-blocking when NONBLOCKING: poll may say "readable" for a client
 * that is gone by the time we accept, and accept must then say EAGAIN, not block), and,
 * when ANNOUNCE, print the listening line. Returns the listener; on failure prints one line
 * "PROGRAM: what: reason", undoes what it did and returns -1 (the program exits 1).
 * At the end the server closes the listener and calls stop_signals_uninstall(). */
int server_open(const char *program, const char *host, const char *port, bool nonblocking,
                bool announce);

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
/* Wait until FD is readable (FD -1: only wait) or a stop is asked, for at most TIMEOUT_MS
 * (-1: no limit). Returns 1 when FD is readable, 0 on timeout or EINTR, -1 when a stop was
 * asked for. */
int wait_for_input(int fd, int timeout_ms);
/* What accept_client returns when there is no client. */
enum { ACCEPT_STOP = -1, ACCEPT_TIMEOUT = -2 };
/* Wait for the next client on the non-blocking LISTENER and accept it. Returns its socket
 * in blocking mode, with its address in PEER; ACCEPT_STOP once a stop is asked for; or
 * ACCEPT_TIMEOUT when TIMEOUT_MS passed (or a signal came) with no client (TIMEOUT_MS -1:
 * wait as long as it takes, never ACCEPT_TIMEOUT).
 * Errors that concern one client (it left before we accepted: ECONNABORTED) are retried.
 * Running out of descriptors (EMFILE, ENFILE) or memory is logged once, as
 * "PROGRAM: accept: REASON", and retried every 100 ms: the listener stays readable
 * meanwhile, so waiting on it would return at once, forever (a busy loop). */
int accept_client(int listener, char *peer, size_t peer_size, const char *program, int timeout_ms);

#endif
