/* event.h -- Python's threading.Event in C: a flag that threads can wait for.
 * (Given: the functions below are the contract the tests check. You may add fields to the
 * struct if your design needs them.)
 *
 *   Python                          C
 *   stop = threading.Event()        struct event stop; event_init(&stop);
 *   stop.set() / stop.clear()       event_set(&stop) / event_clear(&stop)
 *   stop.is_set()                   event_is_set(&stop)
 *   stop.wait(0.1)                  event_wait(&stop, 0.1)
 *   stop.wait()                     event_wait(&stop, -1)
 */
#ifndef EVENT_H
#define EVENT_H

#include <pthread.h>
#include <stdbool.h>

struct event {
    pthread_mutex_t lock;   /* protects is_set */
    pthread_cond_t changed; /* waiters sleep on it until is_set becomes true */
    bool is_set;
};

/* Initialise E, not set. Returns 0 or an error number (pthread style, not errno). */
int event_init(struct event *e);
/* Free what event_init took. No thread may be waiting on E any more. */
void event_destroy(struct event *e);

/* Set the flag and wake every thread waiting for it. */
void event_set(struct event *e);
/* Reset the flag: later waits block again. */
void event_clear(struct event *e);
/* Is the flag set? */
bool event_is_set(struct event *e);

/* Wait until the flag is set, or TIMEOUT seconds have passed (a negative TIMEOUT waits
 * forever; 0 only looks). Returns whether the flag is set: false means the time ran out. */
bool event_wait(struct event *e, double timeout);

#endif
