/* loop_backend.h -- what a backend of the event loop provides (internal to loop*.c).
 *
 * A backend only translates between the loop's masks and one system call. It keeps
 * the kernel's (or its own) set of watched fds and, when asked to wait, writes the
 * ready fds into an array; loop.c then calls the callbacks from that array. Keeping
 * waiting and dispatching apart is what makes it safe for a callback to change the
 * watched set: the backend's own arrays are not being walked at that moment.
 */
#ifndef LOOP_BACKEND_H
#define LOOP_BACKEND_H

#include "loop.h" /* LOOP_HAVE_EPOLL */

struct loop_fired {
    int fd;
    int events; /* LOOP_READABLE | LOOP_WRITABLE */
};

struct loop_backend {
    const char *name;
    /* Returns the backend's state, or NULL with errno set. */
    void *(*create)(void);
    void (*destroy)(void *state);
    /* FD's watched events change from OLD to NEW (0 = not watched): add, modify or
     * delete it. Returns 0 or -1 with errno set. */
    int (*update)(void *state, int fd, int old_events, int new_events);
    /* Wait up to TIMEOUT_MS; store at most MAX ready fds in FIRED. Returns how many,
     * 0 on timeout, -1 with errno set (EINTR included). An fd with an error or a
     * hang-up is reported as READABLE | WRITABLE. */
    int (*wait)(void *state, struct loop_fired *fired, int max, int timeout_ms);
};

extern const struct loop_backend loop_poll_backend;
#ifdef LOOP_HAVE_EPOLL
extern const struct loop_backend loop_epoll_backend;
#endif

#endif
