/* executor.h -- concurrent.futures.ThreadPoolExecutor in C: N worker threads, tasks
 * submitted to them, futures to wait for their results.
 *
 *   Python                                   C
 *   ex = ThreadPoolExecutor(max_workers=5)   ex = executor_create(5);
 *   f = ex.submit(fn, arg)                   f = executor_submit(ex, fn, &arg);
 *   f.result()                               future_result(f, -1, &result)
 *   f.result(timeout=1.0)                    future_result(f, 1.0, &result) -> FUTURE_TIMEOUT
 *   except Exception as exc: ... exc         FUTURE_FAILED, and future_error(f) is the message
 *   f.cancel(), f.cancelled(), f.done()      future_cancel(f), future_state(f)
 *   (garbage collection)                     future_release(f)
 *   list(ex.map(fn, args))                   executor_map(ex, fn, args, sizeof args[0], n, ...)
 *   for f in as_completed(fs):               as_completed_init(&it, fs, n, timeout);
 *                                            while ((f = as_completed_next(&it)) != NULL)
 *   ex.shutdown(wait=True)                   executor_shutdown(ex, false)
 *   ex.shutdown(cancel_futures=True)         executor_shutdown(ex, true)
 *   with ThreadPoolExecutor(...) as ex:      executor_create ... executor_destroy
 *
 * Exceptions do not exist in C, so a task says how it went with its return value:
 *
 *     int task(void *arg, void **result, char *error, size_t error_size);
 *
 * It returns 0 on success, after storing what future_result() should hand back in
 * *RESULT (or leaving it NULL and writing its answer into its own ARG struct). To
 * "raise", it writes a message into ERROR (snprintf(error, error_size, ...)) and
 * returns anything else. The caller then gets FUTURE_FAILED from future_result(),
 * and the message from future_error(): what Python's `except Exception as exc` and
 * str(exc) give.
 *
 * The workers take tasks from a queue.Queue (queue.c), as CPython's pool does from
 * its work queue. A future's state is protected by the executor's one mutex; any
 * change of state broadcasts one condition variable that result(), map() and
 * as_completed() wait on (CLOCK_MONOTONIC).
 *
 * Differences from Python, and why:
 * - The N workers start at once in executor_create (Python starts them lazily).
 * - shutdown always joins every worker: a thread left running after its executor is
 *   gone would use freed memory. Python's shutdown(wait=False) has no C equivalent;
 *   what it is usually for, not waiting for queued work, is cancel_pending = true.
 * - A task is never interrupted: shutdown and cancel only stop tasks that have not
 *   started (exactly as in Python). A task that must end early watches a flag.
 * - Futures are freed with future_release(); they may outlive the executor (the
 *   executor's memory is reference-counted and goes with the last future).
 *
 * Costs: submit is one malloc and one queue put; result is a condition wait.
 * as_completed_next looks at every future not yet yielded: O(n) a call, O(n^2) for
 * the whole loop, which is nothing next to network I/O for a few hundred futures.
 * Workers inherit the creating thread's signal mask: block SIGINT/SIGTERM before
 * executor_create if the main thread is to handle them.
 */
#ifndef EXECUTOR_H
#define EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef int (*task_fn)(void *arg, void **result, char *error, size_t error_size);

struct executor; /* opaque */
struct future;   /* opaque */

enum future_state {
    FUTURE_PENDING,   /* queued, not started */
    FUTURE_RUNNING,   /* a worker is running it */
    FUTURE_DONE,      /* returned 0: future_result gives its result */
    FUTURE_FAILED,    /* returned non-zero: future_error gives its message */
    FUTURE_CANCELLED, /* cancelled before it started: it never ran */
    FUTURE_TIMEOUT,   /* only from future_result: not finished within the timeout */
};

/* Start WORKERS threads (1 or more). Returns NULL with errno set on failure. */
struct executor *executor_create(size_t workers);

/* Queue FN(ARG) for a worker. ARG must stay valid until the future is finished.
 * Returns its future (release it with future_release), or NULL with errno set:
 * ECANCELED after shutdown (Python: RuntimeError), or ENOMEM. */
struct future *executor_submit(struct executor *ex, task_fn fn, void *arg);

/* Wait for F to finish: at most TIMEOUT seconds (TIMEOUT < 0: no limit). Returns
 * FUTURE_DONE (and its result in *RESULT, if RESULT is not NULL), FUTURE_FAILED,
 * FUTURE_CANCELLED, or FUTURE_TIMEOUT (F goes on; it can be waited for again). */
enum future_state future_result(struct future *f, double timeout, void **result);

/* The failed task's message ("cancelled" when cancelled, "" otherwise). Valid until
 * future_release(F). */
const char *future_error(struct future *f);

/* The state now (PENDING, RUNNING, DONE, FAILED or CANCELLED): a snapshot. */
enum future_state future_state(struct future *f);

/* Cancel F if it has not started. Returns true when F is (now) cancelled, false when
 * it is running or finished: a started task cannot be stopped. */
bool future_cancel(struct future *f);

/* The caller is done with F. Safe while the task still runs: the executor keeps F
 * alive until it has finished with it. */
void future_release(struct future *f);

/* "PENDING", "RUNNING", "DONE", "FAILED", "CANCELLED", "TIMEOUT". */
const char *future_state_name(enum future_state state);

/* Python's list(executor.map(fn, args)). Submits FN(&ARGS[i]) for every i < COUNT
 * (ARGS points to COUNT elements of ARG_SIZE bytes each), then collects the outcomes
 * in INPUT order, whatever order they finish in: RESULTS[i] (RESULTS may be NULL).
 * Returns FUTURE_DONE when every call succeeded. Otherwise it returns the state of
 * the first call, in input order, that did not (FAILED or CANCELLED), stores its
 * index in *FAILED_INDEX and its message in ERROR, cancels the calls that have not
 * started, and waits for those that have (they use ARGS) -- as Python re-raises the
 * first exception when the iterator reaches it. Out of memory: FUTURE_FAILED with
 * the index of the call that could not be submitted. */
enum future_state executor_map(struct executor *ex, task_fn fn, void *args, size_t arg_size,
                               size_t count, void **results, size_t *failed_index, char *error,
                               size_t error_size);

/* as_completed: futures in the order they finish (done, failed or cancelled).
 * All of them must come from the same executor. The iterator reorders FUTURES in
 * place: after the k-th call, FUTURES[0..k-1] are the first k to have finished, in
 * order. */
struct as_completed {
    struct future **futures;
    size_t count;
    size_t yielded;
    bool timed_out;           /* set when _next returned NULL because time ran out */
    bool has_deadline;        /* false: wait without limit */
    struct timespec deadline; /* monotonic_deadline(): for monotonic_wait only */
};

/* Prepare to iterate over COUNT futures. TIMEOUT counts from now for the whole
 * iteration, as in Python (< 0: no limit). */
void as_completed_init(struct as_completed *it, struct future **futures, size_t count,
                       double timeout);

/* The next future to finish (the one that finished first among those not yielded
 * yet), waiting for it if needed. NULL when all were yielded, or when the timeout
 * passed (then IT->timed_out is true: Python raises TimeoutError). */
struct future *as_completed_next(struct as_completed *it);

/* Stop accepting submits. With CANCEL_PENDING, the tasks not started are cancelled
 * (their futures report FUTURE_CANCELLED); otherwise they all run. Then wait for the
 * running tasks and join every worker. Calling it again does nothing. */
void executor_shutdown(struct executor *ex, bool cancel_pending);

/* executor_shutdown(ex, false) unless already done, then drop the caller's handle.
 * Futures not yet released stay valid. */
void executor_destroy(struct executor *ex);

#endif
