/* timer_demo.c -- threading.Timer: the lecture's timer that re-arms itself, and
 * (with -o) a one-shot timer that fires next to one that is cancelled.
 *
 * Translates lecture 002, "Timer esimerkki":
 *
 *     start = datetime.now()
 *     globalvar = 0
 *     def get_timedif():
 *         dif = datetime.now() - start
 *         return f'{dif.seconds // 60:02}:{dif.seconds % 60:02}'
 *     def set_timer():
 *         global globalvar
 *         globalvar += 1
 *         localvar = globalvar    # localvar on paikallinen jokaiselle threadille
 *         print(f"[{get_timedif()}][{localvar:02}] - Setting timer")
 *         threading.Timer(5.0, set_timer).start()
 *         s = randint(5,10)
 *         print(f"[{get_timedif()}][{localvar:02}] - Executing: Sleeping for {s} seconds")
 *         sleep(s)
 *         print(f"[{get_timedif()}][{localvar:02}] - Exiting")
 *     set_timer()
 *
 * Every run starts the timer of the next run BEFORE it sleeps 5-10 s, so a new run
 * begins every 5 s while earlier ones still sleep: two or three runs overlap, each
 * in its own thread, each with its own localvar (a local variable lives on its
 * thread's stack) while globalvar is shared -- so here it is changed under a mutex.
 * timer.c's recurring timer does the re-arming (see recurring_fire there).
 *
 * Where C differs: the lecture runs forever; -n RUNS stops after RUNS runs, and
 * Ctrl-C (or SIGTERM) stops at any time, cleanly: no new run, the sleeping runs cut
 * their sleep short and say "Exiting", every thread is joined. The first run starts
 * in a timer thread too (delay 0), not in the main thread. -s SCALE makes one
 * lecture second last SCALE seconds; the times printed stay in lecture seconds, so
 * `-s 0.01` prints what the lecture prints, 100 times faster.
 *
 * -o shows the basics: Timer(2.0, hello) fires; Timer(4.0, never) is cancelled
 * after 3 s and never fires; cancelling hello after it fired is too late.
 *
 * Ctrl-C goes through the kit's one stop mechanism, net.c's self-pipe
 * (net_stop_install: SIGINT and SIGTERM write a byte to it; net_wait waits for a
 * descriptor, a timeout, or that byte).
 *
 * Usage: timer_demo [-n RUNS] [-s SCALE] [-r SEED] [-o]
 *
 * Try:   ./timer_demo -n 4 -s 0.2     the lecture's output, five times faster
 *        ./timer_demo                 the lecture as it is; Ctrl-C to stop
 *        ./timer_demo -o -s 0.5       a timer that fires, one that is cancelled
 * See also: timer.c (Timer and the recurring timer), 01-threads/stop_event.c.
 */
#include "cli.h"
#include "net.h"
#include "timer.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "timer_demo"
#define USAGE   "Usage: timer_demo [-n RUNS] [-s SCALE] [-r SEED] [-o]   (RUNS 0: until Ctrl-C)"

/* Everything the runs share. */
struct demo {
    struct timespec start; /* start = datetime.now() */
    double scale;          /* real seconds per lecture second */
    unsigned long seed;
    long max_runs;
    int done_fd;          /* the last run writes here when it is over */
    pthread_mutex_t lock; /* protects the two counters */
    long globalvar;       /* runs started */
    long exited;          /* runs finished */
};

/* get_timedif(): time since start, in lecture seconds, as mm:ss. */
static void get_timedif(const struct demo *d, char out[32])
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double real = (double)(now.tv_sec - d->start.tv_sec) + (now.tv_nsec - d->start.tv_nsec) / 1e9;
    long seconds = (long)(real / d->scale);
    snprintf(out, 32, "%02ld:%02ld", seconds / 60, seconds % 60);
}

/* randint(5, 10), reproducible: the same SEED gives every run the same value
 * whatever the timing (a hash of seed and run number, splitmix64). */
static int randint_5_10(unsigned long seed, long run)
{
    uint64_t z = (uint64_t)seed * 0x9E3779B97F4A7C15u + (uint64_t)run;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return 5 + (int)(z % 6);
}

/* sleep(s), except that Ctrl-C ends it at once: net_wait with no descriptor waits for
 * the stop pipe to become readable, at most SECONDS. Nobody reads the pipe, so it
 * stays readable and every sleeping run sees it. */
static void interruptible_sleep(double seconds)
{
    net_wait(-1, 0, seconds > 0 ? (int)(seconds * 1000) + 1 : 0);
}

/* The lecture's set_timer(), minus the re-arming, which recurring_fire in timer.c
 * did just before calling us. Runs in its own thread. */
static void set_timer(void *arg)
{
    struct demo *d = arg;
    char when[32];

    pthread_mutex_lock(&d->lock);
    long localvar = ++d->globalvar; /* localvar: on this thread's stack, its own */
    pthread_mutex_unlock(&d->lock);

    get_timedif(d, when);
    printf("[%s][%02ld] - Setting timer\n", when, localvar);
    /* threading.Timer(5.0, set_timer).start() happened in timer.c */
    int s = randint_5_10(d->seed, localvar);
    get_timedif(d, when);
    printf("[%s][%02ld] - Executing: Sleeping for %d seconds\n", when, localvar, s);
    fflush(stdout);
    interruptible_sleep(s * d->scale);
    get_timedif(d, when);
    printf("[%s][%02ld] - Exiting\n", when, localvar);
    fflush(stdout);

    pthread_mutex_lock(&d->lock);
    bool last = ++d->exited == d->max_runs;
    pthread_mutex_unlock(&d->lock);
    if (last && write(d->done_fd, "d", 1) != 1)
        perror(PROGRAM ": write");
}

/* --- -o: one timer fires, one is cancelled ------------------------------------------- */

struct greeting {
    struct demo *demo;
    const char *name;
    pthread_mutex_t lock;
    pthread_cond_t called; /* broadcast once the greeting is printed */
    int calls;
};

static void greet(void *arg)
{
    struct greeting *g = arg;
    char when[32];
    get_timedif(g->demo, when);
    printf("[%s] - %s: my timer fired\n", when, g->name);
    fflush(stdout);
    pthread_mutex_lock(&g->lock);
    g->calls++;
    pthread_cond_broadcast(&g->called);
    pthread_mutex_unlock(&g->lock);
}

/* Wait until G's function has run once. */
static void wait_for_call(struct greeting *g)
{
    pthread_mutex_lock(&g->lock);
    while (g->calls == 0)
        pthread_cond_wait(&g->called, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static int one_shot(struct demo *d)
{
    struct greeting hello = {d, "hello", PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    struct greeting never = {d, "never", PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    char when[32];

    get_timedif(d, when);
    printf("[%s] - Timer(2.0, hello).start(); Timer(4.0, never).start()\n", when);
    fflush(stdout);
    struct timer *t_hello = timer_start(2.0 * d->scale, greet, &hello);
    struct timer *t_never = t_hello ? timer_start(4.0 * d->scale, greet, &never) : NULL;
    if (t_never == NULL) {
        fprintf(stderr, "%s: timer_start: %s\n", PROGRAM, strerror(errno));
        if (t_hello != NULL) {
            timer_cancel(t_hello);
            timer_join(t_hello);
        }
        return 1;
    }
    sleep_seconds(3.0 * d->scale);
    /* hello's time (2 s) is past; on a busy machine its thread may still be waking up:
     * wait until it has run, so that the story comes in its order. (never's time, 4 s,
     * is still ahead.) */
    wait_for_call(&hello);
    bool stopped = timer_cancel(t_never);
    get_timedif(d, when);
    printf("[%s] - never.cancel() -> %s\n", when,
           stopped ? "cancelled: it will never run" : "too late: it already fired");
    fflush(stdout);
    sleep_seconds(2.0 * d->scale); /* past never's deadline: it stays silent */
    stopped = timer_cancel(t_hello);
    get_timedif(d, when);
    printf("[%s] - hello.cancel() -> %s\n", when,
           stopped ? "cancelled: it will never run" : "too late: it already fired");
    timer_join(t_hello);
    timer_join(t_never);
    printf("[%s] - hello ran %d time(s), never ran %d time(s)\n", when, hello.calls, never.calls);
    return 0;
}

/* --- main ----------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    struct demo d = {
        .scale = 1.0, .seed = (unsigned long)time(NULL), .lock = PTHREAD_MUTEX_INITIALIZER};
    bool basics = false;
    long seed = -1;
    int done_pipe[2];
    const struct cli_option options[] = {
        {'n', "runs", CLI_LONG, &d.max_runs, "run count", 0, 1000000, NULL, NULL},
        {'s', "scale", CLI_SECONDS, &d.scale, "scale", 0.001, 60, "0.001 to 60", NULL},
        {'r', "seed", CLI_LONG, &seed, "seed", 0, 2147483647L, NULL, NULL},
        {'o', "one-shot", CLI_FLAG, &basics, "one-shot", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */
    if (seed >= 0)
        d.seed = (unsigned long)seed;

    clock_gettime(CLOCK_MONOTONIC, &d.start);
    if (basics)
        return one_shot(&d);

    /* Ctrl-C: the handler writes to the stop pipe. Timer threads inherit the signal
     * mask of the thread that starts them: block the signals while they are created,
     * so that only the main thread runs the handler. */
    if (net_stop_install() < 0 || pipe(done_pipe) < 0) {
        fprintf(stderr, "%s: pipe: %s\n", PROGRAM, strerror(errno));
        net_stop_remove();
        return 1;
    }
    d.done_fd = done_pipe[1];
    sigset_t previous;
    net_block_signals(&previous);

    /* set_timer() now, then every 5 s: the first run, and each run arms the next. */
    struct recurring_timer *timer = recurring_start(0, 5.0 * d.scale, d.max_runs, set_timer, &d);
    int saved_errno = errno;
    net_restore_signals(&previous);
    if (timer == NULL) {
        fprintf(stderr, "%s: recurring_start: %s\n", PROGRAM, strerror(saved_errno));
        status = 1;
    } else {
        /* Until the last run is over (DONE_PIPE) or Ctrl-C (net_wait wakes on both). */
        net_wait(done_pipe[0], POLLIN, -1);
        /* Done or interrupted: no new run; the sleeping ones wake (the stop pipe is
         * readable) or have ended; every thread is joined. */
        recurring_stop(timer);
        status = 0;
    }
    net_stop_remove();
    close(done_pipe[0]);
    close(done_pipe[1]);
    return status;
}
