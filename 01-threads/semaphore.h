/* semaphore.h -- a counting semaphore (Python's threading.Semaphore) built from a
 * mutex and a condition variable.
 *
 * Why not POSIX sem_t? Linux has unnamed semaphores (sem_init), but macOS does not:
 * there sem_init fails with ENOSYS. A semaphore is a counter plus "sleep while it is
 * zero", which is exactly what a mutex and a condition variable give everywhere.
 *
 *   Python                              C
 *   s = threading.Semaphore(3)          struct semaphore s; semaphore_init(&s, 3);
 *   s.acquire()                         semaphore_acquire(&s);
 *   s.acquire(blocking=False)           semaphore_try_acquire(&s)  (returns bool)
 *   s.release()                         semaphore_release(&s);
 */
#ifndef SEMAPHORE_H
#define SEMAPHORE_H

#include <pthread.h>
#include <stdbool.h>

struct semaphore {
    pthread_mutex_t lock;     /* protects count */
    pthread_cond_t available; /* signalled when count goes up */
    unsigned count;           /* how many more threads may enter now */
};

/* Returns 0 or an error number. */
int semaphore_init(struct semaphore *s, unsigned count);
void semaphore_destroy(struct semaphore *s);

/* Take one unit, sleeping while there is none. */
void semaphore_acquire(struct semaphore *s);
/* Take one unit if there is one now; returns whether it did. Never sleeps. */
bool semaphore_try_acquire(struct semaphore *s);
/* Give one unit back and wake one sleeper. */
void semaphore_release(struct semaphore *s);

#endif
