/* loop_epoll.c -- the epoll(7) backend of the event loop (see loop_backend.h). Linux
 * only: built where LOOP_HAVE_EPOLL says (loop.h), empty elsewhere and with PORTABLE=1.
 *
 * The kernel keeps the watched set (epoll_ctl adds, modifies, deletes) and
 * epoll_wait returns only the fds that are ready: O(ready fds) per wait, however
 * many are watched. Level-triggered, like poll: an fd with unread data is reported
 * again at the next wait, so a callback never has to drain a socket in one go (the
 * benchmark's baseline_echo.c shows the edge-triggered alternative).
 */
#include "loop_backend.h"

#ifdef LOOP_HAVE_EPOLL
#include "room.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct epoll_state {
    int epfd;
    struct epoll_event *events; /* what epoll_wait fills, then copied to fired[] */
    int size;
};

static void *epoll_backend_create(void)
{
    struct epoll_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        int saved = errno;
        free(s);
        errno = saved;
        return NULL;
    }
    return s;
}

static void epoll_backend_destroy(void *state)
{
    struct epoll_state *s = state;
    close(s->epfd);
    free(s->events);
    free(s);
}

static int epoll_backend_update(void *state, int fd, int old_events, int new_events)
{
    struct epoll_state *s = state;
    struct epoll_event event = {.data.fd = fd};
    if (new_events & LOOP_READABLE)
        event.events |= EPOLLIN;
    if (new_events & LOOP_WRITABLE)
        event.events |= EPOLLOUT;
    int op = old_events == 0 ? EPOLL_CTL_ADD : new_events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    return epoll_ctl(s->epfd, op, fd, &event);
}

static int epoll_backend_wait(void *state, struct loop_fired *fired, int max, int timeout_ms)
{
    struct epoll_state *s = state;
    struct epoll_event *room = make_room(s->events, &s->size, sizeof *room, max - 1);
    if (room == NULL)
        return -1;
    s->events = room;
    int n = epoll_wait(s->epfd, s->events, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        unsigned got = s->events[i].events;
        int events = 0;
        if (got & EPOLLIN)
            events |= LOOP_READABLE;
        if (got & EPOLLOUT)
            events |= LOOP_WRITABLE;
        if (got & (EPOLLHUP | EPOLLERR)) /* always reported: see loop_poll.c */
            events |= LOOP_READABLE | LOOP_WRITABLE;
        fired[i] = (struct loop_fired){.fd = s->events[i].data.fd, .events = events};
    }
    return n;
}

const struct loop_backend loop_epoll_backend = {
    .name = "epoll",
    .create = epoll_backend_create,
    .destroy = epoll_backend_destroy,
    .update = epoll_backend_update,
    .wait = epoll_backend_wait,
};
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int loop_epoll_unavailable;
#endif
