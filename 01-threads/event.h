/* event.h -- Python's threading.Event in C: a flag that threads can wait for.
 *
 *   Python                          C
 *   stop = threading.Event()        struct event stop; event_init(&stop);
 *   stop.set() / stop.clear()       event_set(&stop) / event_clear(&stop)
 *   stop.is_set()                   event_is_set(&stop)
 *   stop.wait(0.1)                  event_wait(&stop, 0.1)
 *
 * Built from a mutex (protects the flag) and a condition variable (lets waiters
 * sleep until the flag changes) on CLOCK_MONOTONIC, so that changing the wall clock
 * (NTP, a user setting the date) never makes a timed wait longer or shorter: the
 * timed waits are monotonic.c's. Where a condition variable cannot be given a clock
 * (macOS has no pthread_condattr_setclock; `make PORTABLE=1` builds the same way on
 * Linux), they fall back to CLOCK_REALTIME: right unless the date is set during a wait.
 */
#ifndef EVENT_H
#define EVENT_H

#include <pthread.h>
#include <stdbool.h>

struct event {
    pthread_mutex_t lock;   /* protects is_set */
    pthread_cond_t changed; /* signalled (broadcast) whenever is_set becomes true */
    bool is_set;
};

/* Initialise E, not set. Returns 0 or an error number (pthread style, not errno). */
int event_init(struct event *e);
void event_destroy(struct event *e);

/* Set the flag and wake every thread waiting for it. */
void event_set(struct event *e);
/* Reset the flag: later waits block again. */
void event_clear(struct event *e);
bool event_is_set(struct event *e);

/* Wait until the flag is set, or TIMEOUT seconds have passed (a negative TIMEOUT
 * waits forever). Returns whether the flag is set: false means the time ran out. */
bool event_wait(struct event *e, double timeout);

#endif
