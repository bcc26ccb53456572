/* semaphore.c -- a counting semaphore on a mutex and a condition variable. */
#include "semaphore.h"

int semaphore_init(struct semaphore *s, unsigned count)
{
    int rc;

    s->count = count;
    rc = pthread_mutex_init(&s->lock, NULL);
    if (rc != 0)
        return rc;
    rc = pthread_cond_init(&s->available, NULL);
    if (rc != 0)
        pthread_mutex_destroy(&s->lock);
    return rc;
}

void semaphore_destroy(struct semaphore *s)
{
    pthread_cond_destroy(&s->available);
    pthread_mutex_destroy(&s->lock);
}

void semaphore_acquire(struct semaphore *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->count == 0) /* a loop, not an if: wake-ups can be spurious */
        pthread_cond_wait(&s->available, &s->lock);
    s->count--;
    pthread_mutex_unlock(&s->lock);
}

bool semaphore_try_acquire(struct semaphore *s)
{
    pthread_mutex_lock(&s->lock);
    bool taken = s->count > 0;
    if (taken)
        s->count--;
    pthread_mutex_unlock(&s->lock);
    return taken;
}

void semaphore_release(struct semaphore *s)
{
    pthread_mutex_lock(&s->lock);
    s->count++;
    /* One unit came back, so one sleeper can go: signal is enough here. */
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}
