/* executor.c -- ThreadPoolExecutor: workers, futures, map, as_completed (see
 * executor.h). */
#include "executor.h"

#include "monotonic.h"
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 256 /* a failed task's message, cut to this size */

struct executor {
    pthread_mutex_t lock;   /* protects the fields below and every future's state */
    pthread_cond_t changed; /* broadcast whenever a future finishes */
    struct queue work;      /* futures waiting for a worker (unbounded, as Python's) */
    pthread_t *workers;
    size_t worker_count;
    size_t refs;            /* the owner's handle + one per unreleased future */
    unsigned long finished; /* how many futures finished so far: their sequence */
    bool shut_down;         /* submits are refused */
    bool joined;            /* the workers have been joined */
};

struct future {
    struct executor *ex;
    task_fn fn;
    void *arg;
    enum future_state state;
    void *result;
    unsigned long sequence; /* 1 for the first future to finish, 2 for the next... */
    int refs;               /* the caller's + the executor's while queued or running */
    char error[ERROR_SIZE];
};

static void executor_free(struct executor *ex)
{
    queue_destroy(&ex->work);
    pthread_cond_destroy(&ex->changed);
    pthread_mutex_destroy(&ex->lock);
    free(ex->workers);
    free(ex);
}

/* Drop one reference to F (EX->lock held) and free F with its last one. Returns
 * true when that was also the executor's last reference: the caller frees EX once
 * it has unlocked. */
static bool unref_locked(struct future *f)
{
    struct executor *ex = f->ex;
    if (--f->refs > 0)
        return false;
    free(f);
    return --ex->refs == 0;
}

/* F reached its final state (EX->lock held): stamp its place in the completion
 * order and wake everyone waiting for some future. */
static void finish_locked(struct future *f, enum future_state state)
{
    f->state = state;
    f->sequence = ++f->ex->finished;
    pthread_cond_broadcast(&f->ex->changed);
}

static void *worker(void *arg)
{
    struct executor *ex = arg;
    void *item;

    /* queue_get returns QUEUE_CLOSED only once the queue is closed AND empty: after
     * a plain shutdown the workers first run everything that was submitted. */
    while (queue_get(&ex->work, &item, -1) == QUEUE_OK) {
        struct future *f = item;

        pthread_mutex_lock(&ex->lock);
        bool cancelled = f->state != FUTURE_PENDING; /* cancelled while it waited */
        if (!cancelled)
            f->state = FUTURE_RUNNING; /* from now on future_cancel says no */
        pthread_mutex_unlock(&ex->lock);

        void *result = NULL;
        char error[ERROR_SIZE] = "";
        int rc = cancelled ? 0 : f->fn(f->arg, &result, error, sizeof error);

        pthread_mutex_lock(&ex->lock);
        if (!cancelled) {
            f->result = result;
            if (rc != 0) {
                /* A task that "raised" without a word still gets a message. */
                if (error[0] == '\0')
                    snprintf(error, sizeof error, "task failed with status %d", rc);
                memcpy(f->error, error, sizeof error);
            }
            finish_locked(f, rc == 0 ? FUTURE_DONE : FUTURE_FAILED);
        }
        unref_locked(f); /* never the executor's last: its owner holds one */
        pthread_mutex_unlock(&ex->lock);
    }
    return NULL;
}

struct executor *executor_create(size_t workers)
{
    struct executor *ex = calloc(1, sizeof *ex);
    int rc;

    if (ex == NULL)
        return NULL;
    if (workers == 0) {
        free(ex);
        errno = EINVAL;
        return NULL;
    }
    ex->refs = 1;
    ex->workers = calloc(workers, sizeof *ex->workers);
    if (ex->workers == NULL) {
        free(ex);
        errno = ENOMEM;
        return NULL;
    }
    rc = pthread_mutex_init(&ex->lock, NULL);
    if (rc != 0)
        goto fail_workers;
    rc = monotonic_cond_init(&ex->changed);
    if (rc != 0)
        goto fail_lock;
    rc = queue_init(&ex->work, 0);
    if (rc != 0)
        goto fail_cond;
    for (; ex->worker_count < workers; ex->worker_count++) {
        rc = pthread_create(&ex->workers[ex->worker_count], NULL, worker, ex);
        if (rc != 0) {
            executor_shutdown(ex, false); /* joins the ones already started */
            executor_free(ex);
            errno = rc;
            return NULL;
        }
    }
    return ex;

fail_cond:
    pthread_cond_destroy(&ex->changed);
fail_lock:
    pthread_mutex_destroy(&ex->lock);
fail_workers:
    free(ex->workers);
    free(ex);
    errno = rc;
    return NULL;
}

struct future *executor_submit(struct executor *ex, task_fn fn, void *arg)
{
    struct future *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    *f = (struct future){.ex = ex, .fn = fn, .arg = arg, .state = FUTURE_PENDING, .refs = 2};

    pthread_mutex_lock(&ex->lock);
    if (ex->shut_down) {
        pthread_mutex_unlock(&ex->lock);
        free(f);
        errno = ECANCELED; /* Python: RuntimeError('cannot schedule new futures after shutdown') */
        return NULL;
    }
    ex->refs++;
    pthread_mutex_unlock(&ex->lock);

    enum queue_status status = queue_put(&ex->work, f, -1);
    if (status != QUEUE_OK) {
        /* Out of memory, or a shutdown closed the queue since we looked. */
        pthread_mutex_lock(&ex->lock);
        f->refs = 1;
        unref_locked(f); /* cannot be the executor's last: the caller holds one */
        pthread_mutex_unlock(&ex->lock);
        errno = status == QUEUE_CLOSED ? ECANCELED : ENOMEM;
        return NULL;
    }
    return f;
}

static bool finished(enum future_state state)
{
    return state == FUTURE_DONE || state == FUTURE_FAILED || state == FUTURE_CANCELLED;
}

enum future_state future_result(struct future *f, double timeout, void **result)
{
    struct executor *ex = f->ex;
    struct timespec deadline = monotonic_deadline(timeout);

    pthread_mutex_lock(&ex->lock);
    while (!finished(f->state)) {
        if (!monotonic_wait(&ex->changed, &ex->lock, timeout < 0 ? NULL : &deadline) &&
            !finished(f->state))
            break;
    }
    enum future_state state = finished(f->state) ? f->state : FUTURE_TIMEOUT;
    if (state == FUTURE_DONE && result != NULL)
        *result = f->result;
    pthread_mutex_unlock(&ex->lock);
    return state;
}

const char *future_error(struct future *f)
{
    pthread_mutex_lock(&f->ex->lock);
    /* Written once, before the state became FAILED or CANCELLED, never again: the
     * caller may read it after we unlock. */
    const char *error = f->state == FUTURE_FAILED || f->state == FUTURE_CANCELLED ? f->error : "";
    pthread_mutex_unlock(&f->ex->lock);
    return error;
}

enum future_state future_state(struct future *f)
{
    pthread_mutex_lock(&f->ex->lock);
    enum future_state state = f->state;
    pthread_mutex_unlock(&f->ex->lock);
    return state;
}

/* Cancel F if still pending (EX->lock held). It stays in the work queue: the worker
 * (or shutdown) that takes it out sees the state and drops it. */
static bool cancel_locked(struct future *f)
{
    if (f->state == FUTURE_PENDING) {
        snprintf(f->error, sizeof f->error, "cancelled");
        finish_locked(f, FUTURE_CANCELLED);
    }
    return f->state == FUTURE_CANCELLED;
}

bool future_cancel(struct future *f)
{
    pthread_mutex_lock(&f->ex->lock);
    bool cancelled = cancel_locked(f);
    pthread_mutex_unlock(&f->ex->lock);
    return cancelled;
}

void future_release(struct future *f)
{
    struct executor *ex = f->ex;
    pthread_mutex_lock(&ex->lock);
    bool last = unref_locked(f);
    pthread_mutex_unlock(&ex->lock);
    if (last)
        executor_free(ex);
}

const char *future_state_name(enum future_state state)
{
    static const char *const names[] = {"PENDING", "RUNNING",   "DONE",
                                        "FAILED",  "CANCELLED", "TIMEOUT"};
    return (size_t)state < sizeof names / sizeof names[0] ? names[state] : "?";
}

/* Cancel FUTURES[FROM..TO-1], those that have not started. */
static void cancel_from(struct future **futures, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        future_cancel(futures[i]);
}

enum future_state executor_map(struct executor *ex, task_fn fn, void *args, size_t arg_size,
                               size_t count, void **results, size_t *failed_index, char *error,
                               size_t error_size)
{
    struct future **futures = calloc(count > 0 ? count : 1, sizeof *futures);
    enum future_state outcome = FUTURE_DONE;
    size_t submitted = 0;

    if (error_size > 0)
        error[0] = '\0';
    if (futures == NULL) {
        *failed_index = 0;
        snprintf(error, error_size, "%s", strerror(ENOMEM));
        return FUTURE_FAILED;
    }
    for (; submitted < count; submitted++) {
        futures[submitted] = executor_submit(ex, fn, (char *)args + submitted * arg_size);
        if (futures[submitted] == NULL) {
            outcome = FUTURE_FAILED;
            *failed_index = submitted;
            snprintf(error, error_size, "submit: %s", strerror(errno));
            break;
        }
    }
    if (outcome != FUTURE_DONE)
        cancel_from(futures, 0, submitted);
    /* Collect in input order. After the first failure, cancel what has not started;
     * still wait for every future, since the running ones use ARGS. */
    for (size_t i = 0; i < submitted; i++) {
        void *result = NULL;
        enum future_state state = future_result(futures[i], -1, &result);
        if (results != NULL)
            results[i] = result;
        if (state != FUTURE_DONE && outcome == FUTURE_DONE) {
            outcome = state;
            *failed_index = i;
            snprintf(error, error_size, "%s", future_error(futures[i]));
            cancel_from(futures, i + 1, submitted);
        }
        future_release(futures[i]);
    }
    free(futures);
    return outcome;
}

void as_completed_init(struct as_completed *it, struct future **futures, size_t count,
                       double timeout)
{
    *it = (struct as_completed){.futures = futures, .count = count, .has_deadline = timeout >= 0};
    if (it->has_deadline)
        it->deadline = monotonic_deadline(timeout);
}

struct future *as_completed_next(struct as_completed *it)
{
    if (it->yielded == it->count)
        return NULL;
    struct executor *ex = it->futures[it->yielded]->ex;
    struct future *next = NULL;

    bool time_up = false;
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        /* Among those not yielded yet, the one that finished first. */
        size_t best = it->count;
        for (size_t i = it->yielded; i < it->count; i++) {
            struct future *f = it->futures[i];
            if (finished(f->state) &&
                (best == it->count || f->sequence < it->futures[best]->sequence))
                best = i;
        }
        if (best < it->count) {
            next = it->futures[best];
            it->futures[best] = it->futures[it->yielded]; /* swap it to the front */
            it->futures[it->yielded++] = next;
            break;
        }
        if (time_up) { /* looked once more after the deadline: nothing */
            it->timed_out = true;
            break;
        }
        time_up = !monotonic_wait(&ex->changed, &ex->lock, it->has_deadline ? &it->deadline : NULL);
    }
    pthread_mutex_unlock(&ex->lock);
    return next;
}

void executor_shutdown(struct executor *ex, bool cancel_pending)
{
    pthread_mutex_lock(&ex->lock);
    bool already = ex->joined;
    ex->shut_down = true;
    pthread_mutex_unlock(&ex->lock);
    if (already)
        return;

    queue_close(&ex->work); /* wakes the idle workers; they leave once it is empty */
    if (cancel_pending) {
        /* Take the queued futures before the workers do, and cancel each. A worker
         * may still win a few of them: those have started, they run. */
        void *item;
        while (queue_get(&ex->work, &item, 0) == QUEUE_OK) {
            pthread_mutex_lock(&ex->lock);
            cancel_locked(item);
            unref_locked(item); /* the executor's reference: the queue let go of it */
            pthread_mutex_unlock(&ex->lock);
        }
    }
    for (size_t i = 0; i < ex->worker_count; i++)
        pthread_join(ex->workers[i], NULL);

    pthread_mutex_lock(&ex->lock);
    ex->joined = true;
    pthread_mutex_unlock(&ex->lock);
}

void executor_destroy(struct executor *ex)
{
    executor_shutdown(ex, false);
    pthread_mutex_lock(&ex->lock);
    bool last = --ex->refs == 0;
    pthread_mutex_unlock(&ex->lock);
    if (last)
        executor_free(ex);
}
