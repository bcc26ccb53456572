/* pselect_setup.h -- what both servers of 05-select-server set up before their pselect()
 * loop, beyond what every server of the kit does (net_server_start in net.c).
 *
 * The stop mechanism is the kit's (net.h): SIGINT and SIGTERM write a byte into a pipe,
 * and the servers put the pipe's read end, net_stop_fd(), into every select set, so a
 * signal that comes just before the wait is never missed (a flag checked before the call
 * could be). This folder adds pselect's lesson on top: the two signals stay BLOCKED all
 * the time, except during the wait. pselect(..., &wait_mask) unblocks them for the wait
 * only, atomically. A signal that comes while a server is busy stays pending until the
 * next pselect, which then returns EINTR at once; so the handler only ever runs inside the
 * wait, and the code after the wait can ask net_stop_requested(). Threads the server
 * creates later inherit the blocked mask: the signals are the main thread's.
 *
 * (ThreadSanitizer runs a handler only when the program next calls a function it
 * intercepts, and older versions do not intercept pselect; they do intercept poll, so the
 * net_stop_requested() after an EINTR is also where the delayed handler runs.)
 *
 * The other thing select needs: an fd_set holds descriptors 0 .. FD_SETSIZE-1 only, and
 * FD_SET of a larger one writes out of bounds. The listener and the stop pipe must be
 * below FD_SETSIZE; they are the first descriptors the process opens, so they are, unless
 * it was started with a thousand open.
 */
#ifndef PSELECT_SETUP_H
#define PSELECT_SETUP_H

#include <signal.h>

/* Raise the soft limit on open files (net_raise_fd_limit: each client costs one), block
 * SIGINT, SIGTERM and SIGCHLD in this thread, saving in *WAIT_MASK the mask to give
 * pselect (the one from before, with them unblocked), then net_server_start(): the stop
 * pipe, the non-blocking listener on HOST:PORT and the listening line. Then check that
 * select can watch the listener and the pipe. Returns the listener; or -1 after printing
 * one line "PROGRAM: what: reason" on stderr, with everything undone (the server exits 1).
 * At the end the server calls net_server_end(listener). */
int pselect_server_start(const char *program, const char *host, int port, sigset_t *wait_mask);

#endif
