/* loop.h -- a small event loop: "call this function when this fd is ready".
 *
 * The lecture's server drives poll() by hand (srv_async.py, and zen_server.c here).
 * This module hides the system call behind one small interface with two backends,
 * chosen at run time: poll(2) (loop_poll.c, everywhere) and epoll(7) (loop_epoll.c,
 * Linux only). Redis's ae.c / ae_epoll.c / ae_select.c are the model: compare the
 * backends, not two whole servers (async_echo -b poll | -b epoll).
 *
 * Rules the callers must keep (each bites when broken):
 * - loop_unwatch(fd) BEFORE close(fd). epoll forgets a closed fd only when every copy
 *   of it is closed, and poll() would answer POLLNVAL, or worse, report the events of
 *   the next socket accept() gives the same number.
 * - A callback may watch, change or unwatch any fd, its own included, and close it.
 *   Events already collected for an fd that was unwatched during this round are
 *   dropped; so are those for an fd number that was closed and reused by accept()
 *   during this round (they belonged to the old connection): see loop_run_once.
 */
#ifndef LOOP_H
#define LOOP_H

/* The backends this build has. epoll is Linux's own; a PORTABLE=1 build (KIT_PORTABLE)
 * leaves it out as a Mac's build must, so that the poll-only path runs here too. Usage
 * lines say which ("-b " LOOP_BACKENDS), and a bad -b says what is expected (NULL: the
 * names, "poll or epoll"). */
#if defined(__linux__) && !defined(KIT_PORTABLE)
#define LOOP_HAVE_EPOLL        1
#define LOOP_BACKENDS          "poll|epoll"
#define LOOP_DEFAULT_BACKEND   "epoll"
#define LOOP_BACKENDS_EXPECTED NULL
#else
#define LOOP_BACKENDS          "poll"
#define LOOP_DEFAULT_BACKEND   "poll"
#define LOOP_BACKENDS_EXPECTED "poll (epoll is Linux only, and left out of a PORTABLE=1 build)"
#endif

enum {
    LOOP_READABLE = 1, /* POLLIN / EPOLLIN; also reported on an error or hang-up, so */
    LOOP_WRITABLE = 2, /* that the next read or write returns the error to the caller */
};

struct loop;

/* Called with the fd, the events that happened (a subset of those watched) and the
 * DATA given to loop_watch. */
typedef void loop_callback(struct loop *loop, int fd, int events, void *data);

/* The names of the backends this build has, as in LOOP_BACKENDS, NULL at the end: the
 * choices of a -b option (cli.h's CLI_CHOICE). */
extern const char *const loop_backend_names[];

/* A loop using BACKEND: "poll", "epoll", or NULL for the best one available
 * (LOOP_DEFAULT_BACKEND). Returns NULL with errno set (EINVAL: unknown backend, or one
 * this build does not have; ENOMEM; ...). */
struct loop *loop_create(const char *backend);
/* The backend's name ("poll" or "epoll"). */
const char *loop_backend(const struct loop *loop);

/* Watch FD for EVENTS (LOOP_READABLE and/or LOOP_WRITABLE, not 0), calling CALLBACK
 * with DATA. Watching an fd again replaces its events, callback and data: that is how
 * interest is changed (Python's poll_object.modify). Costs one epoll_ctl when the
 * events change (none when they do not); O(1) for poll. Returns 0 or -1 (errno). */
int loop_watch(struct loop *loop, int fd, int events, loop_callback *callback, void *data);
/* Stop watching FD (not watched: nothing happens). Call before close(FD). */
void loop_unwatch(struct loop *loop, int fd);

/* Wait up to TIMEOUT_MS (-1: no limit) for events, then call the callbacks of every
 * fd that is ready. Returns how many callbacks ran (0 on timeout or when a signal
 * interrupted the wait), or -1 with errno set. */
int loop_run_once(struct loop *loop, int timeout_ms);

/* Free the loop (the fds it watched stay open: they belong to the caller). */
void loop_destroy(struct loop *loop);

#endif
