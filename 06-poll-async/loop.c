/* loop.c -- the backend-independent half of the event loop (see loop.h): a table
 * from fd to callback, and the dispatch of what the backend reports. */
#include "loop.h"
#include "loop_backend.h"
#include "room.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What is known about one fd. Indexed by the fd number, like the lecture's
 * sockets[fd] dictionary: fds are small integers, so an array is the natural map. */
struct watch {
    loop_callback *callback;
    void *data;
    int events;          /* 0: not watched */
    unsigned long round; /* the round in which it started to be watched */
};

struct loop {
    const struct loop_backend *backend;
    void *state;
    struct watch *watches; /* watches[fd], fd < watches_size */
    int watches_size;
    int watched; /* how many fds are watched: the most a round can report */
    struct loop_fired *fired;
    int fired_size;
    unsigned long round; /* counts the rounds of loop_run_once */
};

/* The backends this build has, in the order of LOOP_BACKENDS; the last is the default,
 * the best available. */
static const struct loop_backend *const backends[] = {
    &loop_poll_backend,
#ifdef LOOP_HAVE_EPOLL
    &loop_epoll_backend,
#endif
};
enum { BACKENDS = sizeof backends / sizeof backends[0] };

const char *const loop_backend_names[] = {
    "poll",
#ifdef LOOP_HAVE_EPOLL
    "epoll",
#endif
    NULL,
};

struct loop *loop_create(const char *name)
{
    const struct loop_backend *backend = name == NULL ? backends[BACKENDS - 1] : NULL;
    for (size_t i = 0; i < BACKENDS && backend == NULL; i++)
        if (strcmp(name, backends[i]->name) == 0)
            backend = backends[i];
    if (backend == NULL) {
        errno = EINVAL;
        return NULL;
    }
    struct loop *loop = calloc(1, sizeof *loop);
    if (loop == NULL)
        return NULL;
    loop->backend = backend;
    loop->state = backend->create();
    if (loop->state == NULL) {
        free(loop);
        return NULL;
    }
    return loop;
}

const char *loop_backend(const struct loop *loop)
{
    return loop->backend->name;
}

int loop_watch(struct loop *loop, int fd, int events, loop_callback *callback, void *data)
{
    if (fd < 0 || events == 0 || (events & ~(LOOP_READABLE | LOOP_WRITABLE)) != 0) {
        errno = EINVAL;
        return -1;
    }
    /* watches[fd]: a new fd's entry starts zeroed, "not watched". */
    struct watch *watches = make_room(loop->watches, &loop->watches_size, sizeof *watches, fd);
    if (watches == NULL)
        return -1;
    loop->watches = watches;
    struct watch *w = &loop->watches[fd];
    if (w->events != events && loop->backend->update(loop->state, fd, w->events, events) < 0)
        return -1;
    if (w->events == 0) {
        loop->watched++;
        w->round = loop->round;
    }
    w->events = events;
    w->callback = callback;
    w->data = data;
    return 0;
}

void loop_unwatch(struct loop *loop, int fd)
{
    if (fd < 0 || fd >= loop->watches_size || loop->watches[fd].events == 0)
        return;
    /* Deleting can only fail for an fd the kernel no longer has (closed too early):
     * either way it is gone from the set. */
    loop->backend->update(loop->state, fd, loop->watches[fd].events, 0);
    loop->watches[fd].events = 0;
    loop->watched--;
}

int loop_run_once(struct loop *loop, int timeout_ms)
{
    /* Room to report every watched fd at once (fired[0 .. watched], so never empty).
     * Grown here, never by a callback: the callbacks run while this array is walked. */
    struct loop_fired *fired =
        make_room(loop->fired, &loop->fired_size, sizeof *fired, loop->watched);
    if (fired == NULL)
        return -1;
    loop->fired = fired;
    int n = loop->backend->wait(loop->state, loop->fired, loop->fired_size, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;

    /* A new round starts after the wait: an fd watched from now on was not in the
     * set the backend just reported. */
    loop->round++;
    int called = 0;
    for (int i = 0; i < n; i++) {
        int fd = loop->fired[i].fd;
        if (fd >= loop->watches_size)
            continue;
        struct watch *w = &loop->watches[fd];
        /* An earlier callback of this round may have unwatched and closed this fd
         * (events 0: skip), and accept() may even have handed the same number to a
         * new connection (watched during this round: skip). Either way the event
         * was the old connection's: delivering it to the new one is the lecture's
         * lost-connection bug. The level-triggered backends report a real event of
         * the new connection again in the next round. */
        int events = loop->fired[i].events & w->events;
        if (events == 0 || w->round == loop->round)
            continue;
        w->callback(loop, fd, events, w->data);
        called++;
    }
    return called;
}

void loop_destroy(struct loop *loop)
{
    if (loop == NULL)
        return;
    loop->backend->destroy(loop->state);
    free(loop->watches);
    free(loop->fired);
    free(loop);
}
