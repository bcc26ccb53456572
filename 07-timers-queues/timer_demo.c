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
 * Usage: timer_demo [-n RUNS] [-s SCALE] [-r SEED] [-o]
 *
 * Try:   ./timer_demo -n 4 -s 0.2     the lecture's output, five times faster
 *        ./timer_demo                 the lecture as it is; Ctrl-C to stop
 *        ./timer_demo -o -s 0.5       a timer that fires, one that is cancelled
 * See also: timer.c (Timer and the recurring timer), 01-threads/stop_event.c.
 */
#include "cli.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
    int stop_fd;          /* readable once Ctrl-C was pressed: cuts sleeps short */
    int done_fd;          /* the last run writes here when it is over */
    pthread_mutex_t lock; /* protects the two counters */
    long globalvar;       /* runs started */
    long exited;          /* runs finished */
};

/* --- signals: the handler only writes a byte to a pipe ---------------------------- */
static int stop_pipe[2] = {-1, -1};

static void on_signal(int signal_number)
{
    (void)signal_number;
    int saved = errno;
    ssize_t ignored = write(stop_pipe[1], "s", 1); /* full pipe: already signalled */
    (void)ignored;
    errno = saved;
}

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

/* sleep(s), except that Ctrl-C ends it at once: wait for the stop pipe to become
 * readable, at most SECONDS. Nobody reads the pipe, so it stays readable and every
 * sleeping run sees it. */
static void interruptible_sleep(const struct demo *d, double seconds)
{
    struct timespec deadline, now;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = seconds - ((double)(now.tv_sec - deadline.tv_sec) +
                                 (now.tv_nsec - deadline.tv_nsec) / 1e9);
        if (left <= 0)
            return;
        struct pollfd p = {.fd = d->stop_fd, .events = POLLIN};
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n > 0)
            return; /* stop requested */
        if (n < 0 && errno != EINTR)
            return;
    }
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
    interruptible_sleep(d, s * d->scale);
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
    int calls;
};

static void greet(void *arg)
{
    struct greeting *g = arg;
    char when[32];
    pthread_mutex_lock(&g->lock);
    g->calls++;
    pthread_mutex_unlock(&g->lock);
    get_timedif(g->demo, when);
    printf("[%s] - %s: my timer fired\n", when, g->name);
    fflush(stdout);
}

static int one_shot(struct demo *d)
{
    struct greeting hello = {d, "hello", PTHREAD_MUTEX_INITIALIZER, 0};
    struct greeting never = {d, "never", PTHREAD_MUTEX_INITIALIZER, 0};
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

/* Wait until the last run is over (DONE_FD) or Ctrl-C (STOP_FD). */
static void wait_for_end(int done_fd, int stop_fd)
{
    struct pollfd p[2] = {{.fd = done_fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    while (poll(p, 2, -1) < 0 && errno == EINTR)
        ;
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"runs", required_argument, NULL, 'n'}, {"scale", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'r'}, {"one-shot", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},       {0},
    };
    struct demo d = {
        .scale = 1.0, .seed = (unsigned long)time(NULL), .lock = PTHREAD_MUTEX_INITIALIZER};
    bool basics = false;
    int opt, done_pipe[2];
    long value;

    while ((opt = getopt_long(argc, argv, "n:s:r:oh", options, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (parse_long(optarg, 0, 1000000, &d.max_runs) != 0)
                return usage_error(PROGRAM, USAGE, "bad run count '%s': expected 0 to 1000000",
                                   optarg);
            break;
        case 's':
            if (parse_seconds(optarg, &d.scale) != 0 || d.scale < 0.001 || d.scale > 60)
                return usage_error(PROGRAM, USAGE, "bad scale '%s': expected 0.001 to 60", optarg);
            break;
        case 'r':
            if (parse_long(optarg, 0, 2147483647L, &value) != 0)
                return usage_error(PROGRAM, USAGE, "bad seed '%s': expected 0 to 2147483647",
                                   optarg);
            d.seed = (unsigned long)value;
            break;
        case 'o':
            basics = true;
            break;
        case 'h':
            puts(USAGE);
            return 0;
        default:
            return usage_error(PROGRAM, USAGE, NULL);
        }
    }
    if (optind < argc)
        return usage_error(PROGRAM, USAGE, "unexpected argument '%s'", argv[optind]);

    clock_gettime(CLOCK_MONOTONIC, &d.start);
    if (basics)
        return one_shot(&d);

    /* Ctrl-C: the handler writes to stop_pipe. Timer threads inherit the signal mask
     * of the thread that starts them: block the signals while they are created, so
     * that only the main thread runs the handler. */
    if (pipe(stop_pipe) < 0 || pipe(done_pipe) < 0) {
        fprintf(stderr, "%s: pipe: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
    d.stop_fd = stop_pipe[0];
    d.done_fd = done_pipe[1];
    struct sigaction action = {.sa_handler = on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigset_t signals, previous;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, &previous);

    /* set_timer() now, then every 5 s: the first run, and each run arms the next. */
    struct recurring_timer *timer = recurring_start(0, 5.0 * d.scale, d.max_runs, set_timer, &d);
    int status = 0;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (timer == NULL) {
        fprintf(stderr, "%s: recurring_start: %s\n", PROGRAM, strerror(errno));
        status = 1;
    } else {
        wait_for_end(done_pipe[0], stop_pipe[0]);
        /* Done or interrupted: no new run; the sleeping ones wake (the stop pipe is
         * readable) or have ended; every thread is joined. */
        recurring_stop(timer);
    }
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    close(done_pipe[0]);
    close(done_pipe[1]);
    return status;
}
