/* loop_poll.c -- the poll(2) backend of the event loop (see loop_backend.h).
 *
 * The lecture's select.poll() object kept the registered sockets for us; in C the
 * set is ours: an array of struct pollfd, handed whole to the kernel at every wait,
 * and slot[fd] saying where each fd sits in it.
 *
 * What it costs: every poll() call copies the whole array into the kernel, which
 * checks every fd, and back; then we scan it for the ready ones. O(watched fds) per
 * wait however few are ready. That is why poll falls behind epoll as connections
 * grow (README: the numbers); with many ready fds per call the cost is shared out.
 */
#include "loop.h"
#include "loop_backend.h"
#include "room.h"

#include <poll.h>
#include <stdlib.h>

struct poll_state {
    struct pollfd *fds; /* the watched set, dense: fds[0 .. count) */
    int count, size;
    int *slot; /* slot[fd]: index of fd in fds, for fd < slot_size */
    int slot_size;
};

static void *poll_create(void)
{
    return calloc(1, sizeof(struct poll_state));
}

static void poll_destroy(void *state)
{
    struct poll_state *s = state;
    free(s->fds);
    free(s->slot);
    free(s);
}

static short to_poll(int events)
{
    return (short)(((events & LOOP_READABLE) ? POLLIN : 0) |
                   ((events & LOOP_WRITABLE) ? POLLOUT : 0));
}

static int poll_update(void *state, int fd, int old_events, int new_events)
{
    struct poll_state *s = state;

    if (old_events == 0) { /* add: append to the array */
        int *slot = make_room(s->slot, &s->slot_size, sizeof *slot, fd);
        if (slot == NULL)
            return -1;
        s->slot = slot;
        struct pollfd *fds = make_room(s->fds, &s->size, sizeof *fds, s->count);
        if (fds == NULL)
            return -1;
        s->fds = fds;
        s->slot[fd] = s->count;
        s->fds[s->count++] = (struct pollfd){.fd = fd, .events = to_poll(new_events)};
    } else if (new_events != 0) { /* modify: Python's poll_object.modify */
        s->fds[s->slot[fd]].events = to_poll(new_events);
    } else { /* delete: move the last entry into the hole, O(1). Safe because
              * nobody walks fds[] now: wait() has already copied out the events. */
        int hole = s->slot[fd];
        s->fds[hole] = s->fds[--s->count];
        s->slot[s->fds[hole].fd] = hole;
    }
    return 0;
}

static int poll_wait(void *state, struct loop_fired *fired, int max, int timeout_ms)
{
    struct poll_state *s = state;
    int ready = poll(s->fds, (nfds_t)s->count, timeout_ms);
    if (ready <= 0)
        return ready;
    int n = 0;
    for (int i = 0; i < s->count && n < max && n < ready; i++) {
        short revents = s->fds[i].revents;
        if (revents == 0)
            continue;
        int events = 0;
        if (revents & POLLIN)
            events |= LOOP_READABLE;
        if (revents & POLLOUT)
            events |= LOOP_WRITABLE;
        /* POLLHUP and POLLERR come whatever we asked for. Report them as both, so
         * that whichever the caller watches runs and its recv/send returns the error
         * (or, for a hang-up with data still queued, the data first). POLLNVAL means
         * an fd was closed before loop_unwatch: a caller bug, reported the same way. */
        if (revents & (POLLHUP | POLLERR | POLLNVAL))
            events |= LOOP_READABLE | LOOP_WRITABLE;
        fired[n++] = (struct loop_fired){.fd = s->fds[i].fd, .events = events};
    }
    return n;
}

const struct loop_backend loop_poll_backend = {
    .name = "poll",
    .create = poll_create,
    .destroy = poll_destroy,
    .update = poll_update,
    .wait = poll_wait,
};
