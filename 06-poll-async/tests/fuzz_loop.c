/* fuzz_loop.c -- libFuzzer harness for the event loop's bookkeeping (loop.c and the
 * poll backend's set, loop_poll.c).
 *
 * The loop's hard part is not the system call but what happens around it: a table
 * from fd to callback, the backend's own array (poll: dense, with swap-on-delete),
 * and callbacks that watch, change and unwatch fds (their own included) while the
 * round's events are being dispatched. The input is a script of those operations,
 * between rounds and inside callbacks; a model kept here says what must happen.
 *
 * No sockets are needed: the fds are numbers that are not open (FD_BASE..). poll()
 * reports each of them as POLLNVAL at once, which the poll backend passes on as
 * readable and writable, so EVERY watched fd is ready in EVERY round. That makes the
 * expected dispatch exact:
 * - a callback runs only for an fd watched right now, with exactly the events it
 *   watches now, with the DATA it was last given, at most once per round;
 * - never for an fd whose watch began during this round (unwatched and watched again:
 *   the lecture's reused-fd bug, or newly added): its event belonged to the old one;
 * - every fd watched when the round began, and never unwatched during it, runs
 *   exactly once; loop_run_once returns how many ran;
 * - bad arguments are refused with EINVAL; unwatching what is not watched is a no-op.
 * abort() on any violation.
 */
#include "../loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FD_BASE = 700, NFDS = 40, MAX_ROUNDS = 64 };

static struct {
    struct loop *loop;
    const uint8_t *script;
    size_t len, pos;
    unsigned long round;
    int events[NFDS];          /* what each fd watches now (0: nothing) */
    unsigned long since[NFDS]; /* the round in which its watch began */
    bool unwatched[NFDS];      /* unwatched at some point during this round */
    int calls[NFDS];           /* callbacks this round */
    int called;                /* callbacks this round, all fds */
    int tag[NFDS];             /* &tag[i] is the DATA of fd FD_BASE + i */
} m;

static void check(int ok)
{
    if (!ok)
        abort();
}

/* The next byte of the script (0 once it is used up). */
static unsigned next(void)
{
    return m.pos < m.len ? m.script[m.pos++] : 0;
}

static void on_ready(struct loop *loop, int fd, int events, void *data);

static void watch(int i, int events)
{
    check(loop_watch(m.loop, FD_BASE + i, events, on_ready, &m.tag[i]) == 0);
    if (m.events[i] == 0)
        m.since[i] = m.round; /* a new watch: during a round, it skips this round */
    m.events[i] = events;
}

static void unwatch(int i)
{
    loop_unwatch(m.loop, FD_BASE + i);
    if (m.events[i] != 0)
        m.unwatched[i] = true;
    m.events[i] = 0;
}

/* One scripted step: between rounds (IN_ROUND false) or inside a callback for SELF. */
static void step(bool in_round, int self)
{
    unsigned op = next(), arg = next();
    int i = (int)(arg % NFDS), events = (int)(arg / NFDS % 3) + 1;
    switch (op % 8) {
    case 0: /* nothing */
        break;
    case 1:
    case 2:
        watch(i, events); /* add, or change the events of one already watched */
        break;
    case 3:
        unwatch(i);
        break;
    case 4: /* the reused number: gone, and at once watched again */
        unwatch(i);
        watch(i, events);
        break;
    case 5:
        if (in_round) {
            unwatch(self);
            if (arg & 1)
                watch(self, events);
        }
        break;
    case 6: /* bad arguments are refused and change nothing */
        errno = 0;
        check(loop_watch(m.loop, FD_BASE + i, 0, on_ready, NULL) == -1 && errno == EINVAL);
        check(loop_watch(m.loop, -1 - i, events, on_ready, NULL) == -1 && errno == EINVAL);
        check(loop_watch(m.loop, FD_BASE + i, 4, on_ready, NULL) == -1 && errno == EINVAL);
        loop_unwatch(m.loop, -1);
        loop_unwatch(m.loop, 1 << 20); /* beyond every table: nothing to do */
        break;
    case 7:
        if (m.events[i] != 0)
            watch(i, m.events[i]); /* the same events again: no change at all */
        break;
    }
}

static void on_ready(struct loop *loop, int fd, int events, void *data)
{
    int i = fd - FD_BASE;
    check(loop == m.loop);
    check(i >= 0 && i < NFDS);
    check(m.events[i] != 0 && events == m.events[i]);
    check(data == &m.tag[i]);
    check(m.since[i] != m.round); /* not watched during this round */
    check(m.calls[i] == 0);
    m.calls[i]++;
    m.called++;
    for (unsigned n = next() % 4; n > 0; n--)
        step(true, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&m, 0, sizeof m);
    m.script = data;
    m.len = size;
    m.loop = loop_create("poll");
    check(m.loop != NULL);
    check(strcmp(loop_backend(m.loop), "poll") == 0);

    for (int rounds = 0; rounds < MAX_ROUNDS && m.pos < m.len;) {
        unsigned op = next();
        if (op % 4 != 0) {
            step(false, 0);
            continue;
        }
        rounds++;
        int watched_before[NFDS];
        memcpy(watched_before, m.events, sizeof watched_before);
        memset(m.unwatched, 0, sizeof m.unwatched);
        memset(m.calls, 0, sizeof m.calls);
        m.called = 0;
        m.round++;
        int ran = loop_run_once(m.loop, 0);
        check(ran == m.called);
        for (int i = 0; i < NFDS; i++)
            if (watched_before[i] != 0 && !m.unwatched[i])
                check(m.calls[i] == 1);
    }
    loop_destroy(m.loop);
    return 0;
}
