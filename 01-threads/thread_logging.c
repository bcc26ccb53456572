/* thread_logging.c -- threads that log with their own names.
 *
 * Translates lecture 000, "Contoh Thread 4/5" (and lecture 003's logging slide):
 *
 *     logging.basicConfig(level=logging.DEBUG,
 *                         format='(%(threadName)-10s) %(message)s')
 *     class MyThread(threading.Thread):
 *         def __init__(self, num): ...
 *         def run(self): logging.debug(str(self.num) + ' running')
 *
 * Two ideas make %(threadName)s work in C:
 *   - each thread needs its OWN name variable: C11's _Thread_local gives every
 *     thread a separate copy of a variable (Python keeps it in the Thread object);
 *   - log lines from many threads must not interleave: one mutex around writing a
 *     line (Python's logging module takes a lock for exactly this reason).
 * -o FILE writes the log to FILE (like basicConfig(filename=..., filemode='w')).
 *
 * Usage: thread_logging [-n COUNT] [-o FILE]
 *
 * Try:   ./thread_logging                 (Thread-1  ) 0 running ... on stderr
 *        ./thread_logging -o /tmp/threads.log; cat /tmp/threads.log
 * See also: thread_class.c, 07-timers-queues (the monitor logs the same way).
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM     "thread_logging"
#define USAGE       "Usage: thread_logging [-n COUNT] [-o FILE]   (COUNT threads, default 5)"
#define MAX_THREADS 1000

/* --- a tiny logging module ------------------------------------------------------ */
static FILE *log_file; /* stderr, or the -o FILE */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local const char *thread_name = "MainThread"; /* one per thread */

/* logging.debug(): one whole line, prefixed with this thread's name. */
static void log_debug(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    pthread_mutex_lock(&log_lock);
    fprintf(log_file, "(%-10s) ", thread_name); /* %-10s is Python's %(threadName)-10s */
    vfprintf(log_file, format, args);
    fputc('\n', log_file);
    fflush(log_file); /* a line is in the file as soon as it is logged */
    pthread_mutex_unlock(&log_lock);
    va_end(args);
}

/* --- the thread "class" with its own argument (num) ------------------------------- */
struct my_thread {
    pthread_t handle;
    char name[32];
    long num;
};

static void *my_thread_run(void *arg)
{
    struct my_thread *self = arg;
    thread_name = self->name; /* sets only this thread's copy */
    log_debug("%ld running", self->num);
    return NULL;
}

int main(int argc, char *argv[])
{
    long count = 5;
    const char *path = NULL;
    const struct cli_option options[] = {
        {'n', "count", CLI_LONG, &count, "count", 1, MAX_THREADS, NULL, NULL},
        {'o', "output", CLI_TEXT, &path, "output", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    log_file = stderr;
    if (path != NULL) {
        log_file = fopen(path, "w"); /* filemode='w': start a new log each run */
        if (log_file == NULL) {
            fprintf(stderr, "%s: open %s: %s\n", PROGRAM, path, strerror(errno));
            return 1;
        }
    }

    struct my_thread *threads = calloc((size_t)count, sizeof *threads);
    if (threads == NULL) {
        fprintf(stderr, "%s: calloc: out of memory\n", PROGRAM);
        if (path != NULL)
            fclose(log_file);
        return 1;
    }
    log_debug("starting %ld threads", count);
    long started = 0;
    for (long i = 0; i < count; i++) {
        snprintf(threads[i].name, sizeof threads[i].name, "Thread-%ld", i + 1);
        threads[i].num = i;
        int rc = pthread_create(&threads[i].handle, NULL, my_thread_run, &threads[i]);
        if (rc != 0) {
            log_debug("pthread_create: %s", strerror(rc));
            break;
        }
        started++;
    }
    for (long i = 0; i < started; i++)
        pthread_join(threads[i].handle, NULL);
    log_debug("all threads finished");
    free(threads);

    status = started == count ? 0 : 1;
    if (path != NULL && fclose(log_file) != 0) { /* a full disk shows up here */
        fprintf(stderr, "%s: write %s: %s\n", PROGRAM, path, strerror(errno));
        status = 1;
    }
    return status;
}
