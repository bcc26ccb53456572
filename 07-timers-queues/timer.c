/* timer.c -- threading.Timer and the lecture's recurring timer (see timer.h). */
#include "timer.h"

#include "monotonic.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

/* --- One-shot timers ------------------------------------------------------------------ */

enum timer_state { TIMER_WAITING, TIMER_CANCELLED, TIMER_FIRED };

struct timer {
    pthread_t thread;
    pthread_mutex_t lock;   /* protects state: cancel and fire are decided under it */
    pthread_cond_t changed; /* signalled by timer_cancel, to end the sleep early */
    enum timer_state state;
    struct timespec deadline; /* monotonic_deadline(): for monotonic_wait only */
    timer_fn fn;
    void *arg;
};

static void *timer_thread(void *arg)
{
    struct timer *t = arg;

    pthread_mutex_lock(&t->lock);
    /* Sleep until cancelled or the deadline passes; a wake-up without either (POSIX
     * allows spurious ones) just sleeps again, towards the same absolute deadline. */
    while (t->state == TIMER_WAITING && monotonic_wait(&t->changed, &t->lock, &t->deadline))
        ;
    /* The moment of decision: still waiting at the deadline means we fire. A cancel
     * that takes the lock after this line finds TIMER_FIRED and returns false. */
    if (t->state == TIMER_WAITING)
        t->state = TIMER_FIRED;
    bool fire = t->state == TIMER_FIRED;
    pthread_mutex_unlock(&t->lock);

    if (fire)
        t->fn(t->arg); /* without the lock: FN may take long, and may cancel timers */
    return NULL;
}

struct timer *timer_start(double delay, timer_fn fn, void *arg)
{
    struct timer *t = malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    t->state = TIMER_WAITING;
    t->fn = fn;
    t->arg = arg;
    t->deadline = monotonic_deadline(delay);

    int rc = pthread_mutex_init(&t->lock, NULL);
    if (rc != 0)
        goto fail_free;
    rc = monotonic_cond_init(&t->changed);
    if (rc != 0)
        goto fail_mutex;
    rc = pthread_create(&t->thread, NULL, timer_thread, t);
    if (rc != 0)
        goto fail_cond;
    return t;

fail_cond:
    pthread_cond_destroy(&t->changed);
fail_mutex:
    pthread_mutex_destroy(&t->lock);
fail_free:
    free(t);
    errno = rc; /* pthread functions return their error instead of setting errno */
    return NULL;
}

bool timer_cancel(struct timer *t)
{
    pthread_mutex_lock(&t->lock);
    if (t->state == TIMER_WAITING) {
        t->state = TIMER_CANCELLED;
        pthread_cond_signal(&t->changed); /* one waiter: the timer's own thread */
    }
    bool stopped = t->state == TIMER_CANCELLED;
    pthread_mutex_unlock(&t->lock);
    return stopped;
}

bool timer_fired(struct timer *t)
{
    pthread_mutex_lock(&t->lock);
    bool fired = t->state == TIMER_FIRED;
    pthread_mutex_unlock(&t->lock);
    return fired;
}

void timer_join(struct timer *t)
{
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->changed);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* --- The recurring timer ------------------------------------------------------------- */

/* One run: its timer, and whether its call of FN has returned. */
struct run {
    struct recurring_timer *owner;
    struct timer *timer;
    bool finished; /* FN returned: the thread is ending, joining it is quick */
    struct run *next;
};

struct recurring_timer {
    pthread_mutex_t lock;   /* protects everything below */
    pthread_cond_t changed; /* broadcast when a run finishes (recurring_join waits) */
    double interval;
    long max_runs; /* 0: no limit */
    timer_fn fn;
    void *arg;
    long armed;          /* timers started */
    long fired;          /* runs that started */
    long finished;       /* runs whose FN returned */
    bool stopping;       /* no more timers may be armed */
    struct run *pending; /* the armed timer that has not fired yet, or NULL */
    struct run *runs;    /* every run whose thread nobody has joined yet */
};

static void recurring_fire(void *arg);

/* Arm the next run DELAY seconds from now. Called with R->lock held. If no thread
 * can be created the chain ends there (recurring_join then returns fewer runs). */
static void arm_next(struct recurring_timer *r, double delay)
{
    struct run *run = malloc(sizeof *run);
    if (run == NULL) {
        r->stopping = true;
        return;
    }
    *run = (struct run){.owner = r};
    /* The new thread's first act is to wait for its deadline; even with DELAY 0 it
     * must take R->lock (held by us now) before it touches R: no race on the list. */
    run->timer = timer_start(delay, recurring_fire, run);
    if (run->timer == NULL) {
        free(run);
        r->stopping = true;
        return;
    }
    run->next = r->runs;
    r->runs = run;
    r->pending = run;
    r->armed++;
}

/* Take every finished run out of the list (called with R->lock held); the caller
 * joins them after unlocking. */
static struct run *take_finished(struct recurring_timer *r)
{
    struct run *done = NULL, **link = &r->runs;
    while (*link != NULL) {
        struct run *run = *link;
        if (run->finished) {
            *link = run->next;
            run->next = done;
            done = run;
        } else {
            link = &run->next;
        }
    }
    return done;
}

static void join_runs(struct run *runs)
{
    while (runs != NULL) {
        struct run *next = runs->next;
        timer_join(runs->timer);
        free(runs);
        runs = next;
    }
}

/* What every timer of the chain calls when it fires: the lecture's set_timer()
 * skeleton. It re-arms first, so the next run starts on time however long FN takes. */
static void recurring_fire(void *arg)
{
    struct run *self = arg;
    struct recurring_timer *r = self->owner;

    pthread_mutex_lock(&r->lock);
    r->fired++;
    if (r->pending == self)
        r->pending = NULL;
    /* threading.Timer(5.0, set_timer).start() */
    if (!r->stopping && (r->max_runs == 0 || r->armed < r->max_runs))
        arm_next(r, r->interval);
    /* Earlier runs that have returned: join their threads now, so that a timer
     * running for days does not pile up ended-but-unjoined threads. */
    struct run *done = take_finished(r);
    pthread_mutex_unlock(&r->lock);
    join_runs(done);

    r->fn(r->arg);

    pthread_mutex_lock(&r->lock);
    self->finished = true; /* after this, SELF belongs to whoever joins it */
    r->finished++;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

struct recurring_timer *recurring_start(double first_delay, double interval, long max_runs,
                                        timer_fn fn, void *arg)
{
    struct recurring_timer *r = malloc(sizeof *r);
    if (r == NULL)
        return NULL;
    *r = (struct recurring_timer){
        .interval = interval, .max_runs = max_runs < 0 ? 0 : max_runs, .fn = fn, .arg = arg};
    int rc = pthread_mutex_init(&r->lock, NULL);
    if (rc == 0) {
        rc = monotonic_cond_init(&r->changed);
        if (rc != 0)
            pthread_mutex_destroy(&r->lock);
    }
    if (rc != 0) {
        free(r);
        errno = rc;
        return NULL;
    }
    pthread_mutex_lock(&r->lock);
    arm_next(r, first_delay);
    bool started = r->armed == 1;
    pthread_mutex_unlock(&r->lock);
    if (!started) {
        int saved = errno;
        pthread_cond_destroy(&r->changed);
        pthread_mutex_destroy(&r->lock);
        free(r);
        errno = saved;
        return NULL;
    }
    return r;
}

long recurring_runs(struct recurring_timer *r)
{
    pthread_mutex_lock(&r->lock);
    long fired = r->fired;
    pthread_mutex_unlock(&r->lock);
    return fired;
}

/* Join every thread still in the list, then free R. Called once no timer can be
 * armed any more (R->stopping). Runs still in progress are waited for by the join;
 * a run that is itself joining finished runs is waited for too, so when the list is
 * empty every thread the timer ever started has been joined, by us or by a run we
 * joined. */
static long join_all_and_free(struct recurring_timer *r)
{
    for (;;) {
        pthread_mutex_lock(&r->lock);
        struct run *run = r->runs;
        if (run != NULL)
            r->runs = run->next;
        pthread_mutex_unlock(&r->lock);
        if (run == NULL)
            break;
        run->next = NULL;
        join_runs(run);
    }
    long fired = r->fired; /* every thread is joined: nobody else touches R now */
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return fired;
}

long recurring_stop(struct recurring_timer *r)
{
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    struct run *pending = r->pending;
    r->pending = NULL;
    /* Cancel under R->lock: PENDING cannot be joined and freed meanwhile (a timer
     * that is not finished is never taken out of the list by a run). If it fires
     * anyway (cancel returns false), its run finds STOPPING set and arms nothing. */
    if (pending != NULL)
        timer_cancel(pending->timer);
    pthread_mutex_unlock(&r->lock);
    return join_all_and_free(r);
}

long recurring_join(struct recurring_timer *r)
{
    pthread_mutex_lock(&r->lock);
    /* Done when no timer waits to fire, every armed one has fired, and every run
     * that started has returned. */
    while (r->pending != NULL || r->fired < r->armed || r->finished < r->fired)
        pthread_cond_wait(&r->changed, &r->lock);
    r->stopping = true;
    pthread_mutex_unlock(&r->lock);
    return join_all_and_free(r);
}
