/* backends.h -- the event-loop backends this folder's suites run against: poll always,
 * epoll where this build has it (loop.h: Linux, and not PORTABLE=1). A test that needs
 * epoll (async_echo -b epoll, baseline_echo) is skipped elsewhere, saying so: it passes,
 * as a missing facility must never fail a check. */
#ifndef BACKENDS_H
#define BACKENDS_H

#include "../loop.h"
#include "harness.h"

#include <stdbool.h>

#ifdef LOOP_HAVE_EPOLL
#define EPOLL_BUILT true
#else
#define EPOLL_BUILT false
#endif

/* The first line of a test that needs epoll when NEEDED is true. */
#define NEED_EPOLL_IF(needed)                                                                      \
    SKIP_UNLESS(!(needed) || EPOLL_BUILT, "needs epoll (Linux only; not in a PORTABLE=1 build)")

#endif
