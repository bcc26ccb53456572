/* lock_types.c -- Lock vs RLock vs Semaphore, each in one small experiment.
 *
 * Lecture 003 says "there are other structures that make threads easier, such as
 * Lock, RLock and Semaphores (see the documentation!)". Here is what each one does:
 *
 *   Python                        C (pthreads)
 *   threading.Lock()              pthread_mutex_t (the default type)
 *   threading.RLock()             pthread_mutex_t of type PTHREAD_MUTEX_RECURSIVE
 *   threading.Semaphore(n)        struct semaphore (semaphore.c: mutex + condition)
 *
 * 1. Lock: a thread that takes a Lock it already holds waits for itself forever.
 *    We ask with pthread_mutex_trylock (Python: lock.acquire(blocking=False)) so
 *    the demo shows the refusal without hanging.
 * 2. RLock: the same thread may take it again (say, a recursive function that locks
 *    on every level); it is free again after as many unlocks as locks. Meanwhile
 *    other threads are kept out.
 * 3. Semaphore(K): at most K threads inside at once. THREADS threads try; a
 *    high-water mark records how many were ever inside together: never more than K.
 *
 * Usage: lock_types [-n THREADS] [-k LIMIT]      (defaults 8 and 3)
 *
 * Try:   ./lock_types -k 1            a Semaphore(1) is a plain lock
 * See also: counter_mutex.c, semaphore.c, 04-threaded-server (a semaphore-like limit).
 */
#define _XOPEN_SOURCE 700 /* recursive mutexes are an XSI feature of POSIX */

#include "cli.h"
#include "semaphore.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PROGRAM     "lock_types"
#define USAGE       "Usage: lock_types [-n THREADS] [-k LIMIT]   (defaults 8 and 3)"
#define MAX_THREADS 256

/* --- 1. Lock ------------------------------------------------------------------------- */
static int show_lock(void)
{
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

    pthread_mutex_lock(&lock);
    /* A second pthread_mutex_lock() here would wait forever for ourselves. trylock
     * asks the same question without waiting: the owner itself is refused. */
    int rc = pthread_mutex_trylock(&lock);
    printf("Lock: the thread holding it asks again and is refused: %s\n", strerror(rc));
    if (rc == 0)
        pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_destroy(&lock);
    return rc == EBUSY ? 0 : -1;
}

/* --- 2. RLock ------------------------------------------------------------------------ */
static pthread_mutex_t rlock;

/* Locks on every level of the recursion: fine with an RLock, a deadlock with a Lock. */
static int countdown(int depth)
{
    pthread_mutex_lock(&rlock);
    int levels = depth > 0 ? 1 + countdown(depth - 1) : 0;
    pthread_mutex_unlock(&rlock);
    return levels;
}

/* Runs in another thread while main holds the RLock: must be kept out. */
static void *try_rlock(void *result)
{
    int rc = pthread_mutex_trylock(&rlock);
    if (rc == 0)
        pthread_mutex_unlock(&rlock);
    *(int *)result = rc;
    return NULL;
}

static int show_rlock(void)
{
    pthread_mutexattr_t attr;
    pthread_t other;
    int other_rc = 0;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rlock, &attr);
    pthread_mutexattr_destroy(&attr);

    int levels = countdown(5);
    /* Same thread, asking again without waiting: an RLock says yes. */
    int again = pthread_mutex_trylock(&rlock);
    if (again == 0)
        pthread_mutex_unlock(&rlock);
    printf("RLock: one thread took it %d times over (recursion), then released it\n", levels + 1);

    pthread_mutex_lock(&rlock);
    pthread_mutex_lock(&rlock); /* held twice by main */
    pthread_create(&other, NULL, try_rlock, &other_rc);
    pthread_join(other, NULL);
    printf("RLock: while one thread holds it, another thread's trylock says: %s\n",
           strerror(other_rc));
    pthread_mutex_unlock(&rlock);
    pthread_mutex_unlock(&rlock);
    pthread_mutex_destroy(&rlock);
    return levels == 5 && again == 0 && other_rc == EBUSY ? 0 : -1;
}

/* --- 3. Semaphore --------------------------------------------------------------------- */
static struct semaphore limit;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int inside;     /* threads between acquire and release now */
static int high_water; /* the most that were ever inside together */

static void *limited_worker(void *unused)
{
    (void)unused;
    semaphore_acquire(&limit);
    pthread_mutex_lock(&stats_lock);
    inside++;
    if (inside > high_water)
        high_water = inside;
    pthread_mutex_unlock(&stats_lock);

    sleep_seconds(0.02); /* "work" inside the limited section */

    pthread_mutex_lock(&stats_lock);
    inside--;
    pthread_mutex_unlock(&stats_lock);
    semaphore_release(&limit);
    return NULL;
}

static int show_semaphore(long nthreads, long k)
{
    pthread_t threads[MAX_THREADS];
    long started = 0;

    int rc = semaphore_init(&limit, (unsigned)k);
    if (rc != 0) {
        fprintf(stderr, "%s: semaphore_init: %s\n", PROGRAM, strerror(rc));
        return -1;
    }
    for (long i = 0; i < nthreads; i++) {
        rc = pthread_create(&threads[i], NULL, limited_worker, NULL);
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    for (long i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    semaphore_destroy(&limit);
    printf("Semaphore(%ld): %ld threads, at most %d inside at once\n", k, started, high_water);
    return started == nthreads && high_water <= k ? 0 : -1;
}

int main(int argc, char *argv[])
{
    long nthreads = 8, k = 3;
    const struct cli_option options[] = {
        {'n', "threads", CLI_LONG, &nthreads, "thread count", 1, MAX_THREADS, NULL, NULL},
        {'k', "limit", CLI_LONG, &k, "limit", 1, MAX_THREADS, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    int failed = 0;
    failed |= show_lock();
    failed |= show_rlock();
    failed |= show_semaphore(nthreads, k);
    return failed ? 1 : 0;
}
