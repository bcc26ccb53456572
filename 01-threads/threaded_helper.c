/* threaded_helper.c -- `threaded`: the C counterpart of the lecture's decorator.
 *
 * Translates lecture 003, "Thread Pythonica":
 *
 *     def threaded(func):
 *         def proxy(*args, **kwargs):
 *             thr = Thread(target=func, args=args, kwargs=kwargs)
 *             thr.start()
 *             return thr
 *         return proxy
 *
 *     @threaded
 *     def minha_funcao(): ...
 *
 * C has no decorators and no *args, but the useful part carries over: one helper,
 * threaded(), that runs ANY function in a new thread and hands back the thread's
 * handle, so the caller goes on at once and can join later.
 *
 * *args becomes a pointer to the caller's argument struct plus its size. threaded()
 * copies those bytes, just as Python packs the arguments into a tuple when you call
 * the proxy; so the caller may pass a struct on its own stack, reuse it in a loop,
 * or let it go out of scope: the thread has its own copy (the &i pitfall of
 * thread_args.c cannot happen). The thread frees the copy when FUNC returns.
 *
 * Usage: threaded_helper
 *
 * Try:   ./threaded_helper     main goes on while three calls run in the background
 * See also: thread_args.c (the pitfall this avoids), 07-timers-queues (an executor).
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "threaded_helper"
#define USAGE   "Usage: threaded_helper"

/* --- the helper --------------------------------------------------------------------- */

/* What the new thread needs: the function, and its private copy of the arguments. */
struct call {
    void (*func)(void *args);
    void *args;
};

static void *run_call(void *arg)
{
    struct call *call = arg;
    call->func(call->args);
    free(call->args); /* the copy belongs to this thread: it frees it */
    free(call);
    return NULL;
}

/* Start FUNC in a new thread with its own copy of the SIZE bytes at ARGS. Returns 0
 * and the handle in *THREAD (join it later), or an error number (pthread style). */
static int threaded(pthread_t *thread, void (*func)(void *args), const void *args, size_t size)
{
    struct call *call = malloc(sizeof *call);
    void *copy = malloc(size > 0 ? size : 1);
    if (call == NULL || copy == NULL) {
        free(call);
        free(copy);
        return ENOMEM;
    }
    memcpy(copy, args, size);
    call->func = func;
    call->args = copy;
    int rc = pthread_create(thread, NULL, run_call, call);
    if (rc != 0) { /* no thread will free them: we must */
        free(copy);
        free(call);
    }
    return rc;
}

/* --- using it ------------------------------------------------------------------------ */

struct greeting {
    int number;
    char name[16];
    double seconds; /* how long the "work" takes */
};

/* An ordinary function that knows nothing about threads. */
static void minha_funcao(void *arg)
{
    const struct greeting *g = arg;
    sleep_seconds(g->seconds);
    printf("minha_funcao(%d, \"%s\") finished after %.1f s\n", g->number, g->name, g->seconds);
    fflush(stdout);
}

int main(int argc, char *argv[])
{
    static const char *const names[] = {"ana", "bruno", "carla"};
    pthread_t threads[3];
    int started = 0;

    const struct cli_option options[] = {{0}}; /* no options but -h */
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    for (int i = 0; i < 3; i++) {
        /* `greeting` lives on this loop's stack and is overwritten next round: safe,
         * because threaded() copied it. */
        struct greeting greeting = {.number = i + 1, .seconds = 0.1 * (3 - i)};
        snprintf(greeting.name, sizeof greeting.name, "%s", names[i]);
        int rc = threaded(&threads[i], minha_funcao, &greeting, sizeof greeting);
        if (rc != 0) {
            fprintf(stderr, "%s: threaded: %s\n", PROGRAM, strerror(rc));
            break;
        }
        started++;
    }
    printf("main: started %d calls and carried on without waiting\n", started);
    fflush(stdout);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    printf("main: all calls finished\n");
    return started == 3 ? 0 : 1;
}
