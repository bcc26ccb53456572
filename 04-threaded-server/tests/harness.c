/* harness.c -- running programs, talking to them and looking at them, for the kit's
 * Check suites (see harness.h). Test code, but held to the same standard as the kit:
 * every call checked, every wait bounded.
 *
 * master: 01-threads/tests/harness.c; edit there, then run `make sync` at the top of the
 * kit (every folder holds an identical copy; `make test` fails on one that differs).
 */
#define _GNU_SOURCE /* prlimit(2) (Linux); also SO_LINGER details and dirent's d_type */

#include "harness.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/syscall.h> /* SYS_gettid */
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* MSG_NOSIGNAL is Linux and most BSDs; elsewhere the test process ignores SIGPIPE (the
 * suites' main does), which does the same job. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* --- Deadlines, and what kind of build this is -------------------------------------- */

int scaled_ms(int ms)
{
    const char *text = getenv("CK_TIMEOUT_MULTIPLIER");
    long factor = text != NULL ? strtol(text, NULL, 10) : 1;
    if (factor < 1)
        factor = 1;
    return (int)(ms * factor);
}

long long monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Milliseconds left until DEADLINE (a monotonic_ms() value), at least 0. */
static int ms_left(long long deadline)
{
    long long left = deadline - monotonic_ms();
    return left > 0 ? (int)left : 0;
}

/* Wait until FD has EVENTS or the deadline passes. Returns 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int n = poll(&p, 1, ms_left(deadline));
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -1;
    }
}

void sleep_ms(int ms)
{
    struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
}

bool under_valgrind(void)
{
    const char *prefix = getenv("RUN_UNDER");
    return prefix != NULL && prefix[0] != '\0';
}

/* --- What this system has ------------------------------------------------------------ */

/* Is FACILITY ("proc") named in KIT_HIDE ("proc,preload")? */
static bool hidden(const char *facility)
{
    const char *list = getenv("KIT_HIDE");
    size_t n = strlen(facility);
    for (const char *p = list; p != NULL && *p != '\0'; p += strcspn(p, ","), p += *p == ',')
        if (strncmp(p, facility, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

bool have_proc(void)
{
    return !hidden("proc") && access("/proc/self/status", R_OK) == 0;
}

bool have_prlimit(void)
{
#ifdef __linux__
    return !hidden("prlimit");
#else
    return false;
#endif
}

bool have_preload(void)
{
#ifdef __linux__
    return !hidden("preload");
#else
    return false; /* macOS has DYLD_INSERT_LIBRARIES, with other rules: not supported */
#endif
}

bool need_fds(long n)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return false;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < (rlim_t)n) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > (rlim_t)n
                             ? (rlim_t)n
                             : limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
            return false;
    }
    return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= (rlim_t)n;
}

/* "skipped: TEST: REASON", on stderr and in $KIT_SKIP_LOG. */
static void log_skip(const char *test, const char *reason)
{
    fprintf(stderr, "skipped: %s: %s\n", test != NULL ? test : "?", reason);
    const char *log = getenv("KIT_SKIP_LOG");
    FILE *f = log != NULL && *log != '\0' ? fopen(log, "a") : NULL;
    if (f != NULL) {
        fprintf(f, "%s: %s\n", test != NULL ? test : "?", reason);
        fclose(f);
    }
}

void note_skip(const char *reason)
{
    log_skip(tcase_name(), reason);
}

/* --- Running programs -------------------------------------------------------------- */

/* Split RUN_UNDER on spaces into WORDS (at most MAX - 1 of them). */
static int run_under_words(char *copy, const char *words[], int max)
{
    int n = 0;
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w && n < max - 1;
         w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    return n;
}

int child_start(struct child *c, const char *const argv[], int flags)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    char err_path[] = "/tmp/kit-stderr-XXXXXX";

    c->pid = -1;
    c->in = c->out = c->err = -1;
    c->err = mkstemp(err_path);
    if (c->err < 0)
        return -1;
    unlink(err_path); /* the file lives on while we hold it open */
    if (pipe(out) < 0 || ((flags & CHILD_STDIN_PIPE) && pipe(in) < 0))
        goto fail;

    /* Build the command line before fork: RUN_UNDER's words, then ARGV. A deliberate
     * race demo is not handed to a race detector (it would only report its lesson). */
    const char *prefix = getenv("RUN_UNDER");
    if (prefix != NULL && (flags & CHILD_RACE_DEMO) &&
        (strstr(prefix, "helgrind") != NULL || strstr(prefix, "drd") != NULL))
        prefix = NULL;
    char *copy = strdup(prefix != NULL ? prefix : "");
    const char *words[128];
    int n = copy != NULL ? run_under_words(copy, words, 32) : 0;
    for (int i = 0; argv[i] != NULL && n < 127; i++)
        words[n++] = argv[i];
    words[n] = NULL;

    c->pid = fork();
    if (c->pid < 0) {
        free(copy);
        goto fail;
    }
    if (c->pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2((flags & CHILD_STDIN_PIPE) ? in[0] : null, 0);
        dup2(out[1], 1);
        dup2(c->err, 2);
        /* A program must cope with SIGPIPE itself: start it with the default action
         * even though the test process ignores the signal. */
        signal(SIGPIPE, SIG_DFL);
        /* Only stdin, stdout and stderr go to the child: a copy of one of the test's
         * sockets or pipes would keep it open and hide an EOF the test waits for.
         * (Up to the soft limit only: valgrind keeps its own files above it.) */
        struct rlimit limit;
        rlim_t max_fd = getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 1024;
        for (int fd = 3; fd < (int)(max_fd < 65536 ? max_fd : 65536); fd++)
            close(fd);
        execvp(words[0], (char *const *)words);
        fprintf(stderr, "harness: exec %s: %s\n", words[0], strerror(errno));
        _exit(127);
    }
    free(copy);
    close(out[1]);
    c->out = out[0];
    if (flags & CHILD_STDIN_PIPE) {
        close(in[0]);
        c->in = in[1];
    }
    return 0;

fail:;
    int saved = errno;
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    close(c->err);
    c->err = -1;
    errno = saved;
    return -1;
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int child_wait(struct child *c, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    int status;

    if (c->pid <= 0)
        return -1;
    /* waitpid has no timeout: poll WNOHANG, sleeping 2 ms between looks. This is a
     * bounded wait for an exit, not a wait for readiness (those use the pipes). */
    for (;;) {
        pid_t done = waitpid(c->pid, &status, WNOHANG);
        if (done == c->pid) {
            c->pid = -1;
            return exit_code(status);
        }
        if (done < 0 && errno != EINTR)
            return -1;
        if (monotonic_ms() >= deadline) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            c->pid = -1;
            return -1;
        }
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

int child_stop(struct child *c, int signal_number, int timeout_ms)
{
    if (c->pid > 0)
        kill(c->pid, signal_number);
    return child_wait(c, timeout_ms);
}

void child_close(struct child *c)
{
    if (c->pid > 0) { /* never leave a process behind */
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = -1;
    }
    if (c->in >= 0)
        close(c->in);
    if (c->out >= 0)
        close(c->out);
    if (c->err >= 0)
        close(c->err);
    c->in = c->out = c->err = -1;
}

char *child_stderr(const struct child *c)
{
    size_t cap = 0, len = 0;
    char *text = NULL;
    for (;;) {
        if (cap - len < 4096 && (text = realloc(text, cap = cap * 2 + 4096)) == NULL)
            abort();
        ssize_t n = c->err >= 0 ? pread(c->err, text + len, cap - len - 1, (off_t)len) : 0;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    text[len] = '\0';
    return text;
}

ssize_t read_line(int fd, char *line, size_t size, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t len = 0;

    for (;;) {
        char ch;
        if (wait_fd(fd, POLLIN, deadline) != 1)
            break;
        ssize_t n = read(fd, &ch, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (ch == '\n') {
            line[len] = '\0';
            return (ssize_t)len;
        }
        if (len + 1 < size)
            line[len++] = ch;
    }
    line[len] = '\0';
    return -1;
}

/* Append N bytes to a growing buffer. */
static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        *buf = realloc(*buf, *cap);
        if (*buf == NULL)
            abort();
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

int run_program(struct run *r, const char *input, size_t input_len, int timeout_ms,
                const char *const argv[], int flags)
{
    struct child c;
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t written = 0, cap = 0;

    memset(r, 0, sizeof *r);
    if (child_start(&c, argv, flags | (input != NULL ? CHILD_STDIN_PIPE : 0)) < 0)
        return -1;
    append(&r->out, &r->out_len, &cap, "", 0);
    if (c.in >= 0 && input_len == 0) {
        close(c.in);
        c.in = -1;
    }
    /* Non-blocking, so that one write never waits for the child to read: a blocking
     * write of a large input deadlocks as soon as the child waits for us to read its
     * output (echo_client - echoes what it reads). */
    if (c.in >= 0)
        fcntl(c.in, F_SETFL, fcntl(c.in, F_GETFL) | O_NONBLOCK);
    /* Feed stdin and drain stdout together: doing one after the other deadlocks as
     * soon as both pipes fill up. */
    while (c.out >= 0) {
        struct pollfd p[2] = {{.fd = c.out, .events = POLLIN}, {.fd = c.in, .events = POLLOUT}};
        int n = poll(p, c.in >= 0 ? 2 : 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* deadline passed: child_wait below kills it */
        if (p[0].revents) {
            char chunk[65536];
            ssize_t got = read(c.out, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                close(c.out);
                c.out = -1;
            } else {
                append(&r->out, &r->out_len, &cap, chunk, (size_t)got);
            }
        }
        if (c.in >= 0 && p[1].revents) {
            ssize_t put = write(c.in, input + written, input_len - written);
            if (put > 0)
                written += (size_t)put;
            if ((put < 0 && errno != EINTR && errno != EAGAIN) || written == input_len) {
                close(c.in); /* all sent (or the child stopped reading): EOF */
                c.in = -1;
            }
        }
    }
    r->code = child_wait(&c, ms_left(deadline) + 1);
    r->err = child_stderr(&c);
    child_close(&c);
    return 0;
}

void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int count_lines(const char *text, const char *line)
{
    size_t len = strlen(line);
    int count = 0;
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, line, len) == 0)
            count++;
        p += n + (end != NULL);
    }
    return count;
}

void fault_injection_or_skip(const char *rules, const char *rerun)
{
    if (!fault_injection(rules)) {
        log_skip(rerun, "needs Linux (LD_PRELOAD, for the fault shim)");
        exit(EXIT_SUCCESS);
    }
}

bool fault_injection(const char *rules)
{
    static char *saved_library_path; /* LD_LIBRARY_PATH as the test process found it */
    static bool saved;
    char dir[4096], library_path[8192];

    if (!saved) {
        const char *was = getenv("LD_LIBRARY_PATH");
        saved_library_path = was != NULL ? strdup(was) : NULL;
        saved = true;
    }
    if (rules == NULL) {
        unsetenv("LD_PRELOAD");
        unsetenv("FAULT_INJECT");
        if (saved_library_path != NULL)
            setenv("LD_LIBRARY_PATH", saved_library_path, 1);
        else
            unsetenv("LD_LIBRARY_PATH");
        return true;
    }
    if (!have_preload())
        return false;
    if (realpath("tests", dir) == NULL || access("tests/fault_inject.so", R_OK) != 0) {
        fprintf(stderr, "harness: tests/fault_inject.so: %s (not built?)\n", strerror(errno));
        abort();
    }
    /* The dynamic loader splits LD_PRELOAD at spaces as well as colons, so the shim's
     * full path fails in a folder such as "My Course" ("cannot be preloaded"). A bare
     * file name in LD_PRELOAD is looked up along LD_LIBRARY_PATH instead, which is split
     * at colons only: the folder goes there, and LD_PRELOAD holds just the name. */
    if (strchr(dir, ':') != NULL) {
        fprintf(stderr,
                "harness: %s: a folder whose path holds ':' cannot be given to the "
                "dynamic loader (LD_LIBRARY_PATH); move the kit\n",
                dir);
        abort();
    }
    snprintf(library_path, sizeof library_path, "%s%s%s", dir,
             saved_library_path != NULL && *saved_library_path ? ":" : "",
             saved_library_path != NULL ? saved_library_path : "");
    setenv("LD_LIBRARY_PATH", library_path, 1);
    setenv("LD_PRELOAD", "fault_inject.so", 1);
    setenv("FAULT_INJECT", rules, 1);
    /* With SANITIZE=address, gcc's shared ASan runtime insists on being loaded first;
     * the shim is only a few interposed calls, so tell it not to mind. */
    const char *asan = getenv("ASAN_OPTIONS");
    char options[1024];
    snprintf(options, sizeof options, "%s%sverify_asan_link_order=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", options, 1);
    return true;
}

bool wait_for_stderr(const struct child *c, const char *text, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    for (;;) {
        char *err = child_stderr(c);
        bool found = strstr(err, text) != NULL;
        free(err);
        if (found)
            return true;
        if (monotonic_ms() >= deadline)
            return false;
        sleep_ms(5); /* a bounded wait for a log line: a file has no "readable" event */
    }
}

int client_start(struct child *c, const char *program, int port, const char *const args[])
{
    char port_text[16];
    const char *argv[32] = {program, "-p", port_text};
    int n = 3;
    snprintf(port_text, sizeof port_text, "%d", port);
    for (int i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return child_start(c, argv, CHILD_STDIN_PIPE);
}

int child_finish(struct child *c, char **out, char **err, int timeout_ms)
{
    size_t len;
    *out = recv_until_eof(c->out, &len, timeout_ms);
    if (*out == NULL)
        *out = strdup("(stdout did not end in time)");
    int code = child_wait(c, timeout_ms);
    *err = child_stderr(c);
    child_close(c);
    return code;
}

int run_with_files(const char *const argv[], const char *in_path, const char *out_path,
                   int timeout_ms, char **err)
{
    char err_path[] = "/tmp/kit-stderr-XXXXXX";
    struct child c = {.pid = -1, .in = -1, .out = -1, .err = mkstemp(err_path)};
    const char *words[128];

    *err = NULL;
    if (c.err < 0)
        return -1;
    unlink(err_path);
    /* RUN_UNDER's words first (make memcheck: valgrind ...), then ARGV. */
    char *copy = strdup(getenv("RUN_UNDER") != NULL ? getenv("RUN_UNDER") : "");
    int n = copy != NULL ? run_under_words(copy, words, 32) : 0;
    for (int i = 0; argv[i] != NULL && n < 127; i++)
        words[n++] = argv[i];
    words[n] = NULL;

    c.pid = fork();
    if (c.pid == 0) {
        int in = open(in_path, O_RDONLY), out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(c.err, 2);
        signal(SIGPIPE, SIG_DFL);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execvp(words[0], (char *const *)words);
        _exit(127);
    }
    free(copy);
    int code = c.pid > 0 ? child_wait(&c, timeout_ms) : -1;
    *err = child_stderr(&c);
    child_close(&c);
    return code;
}

int server_start_flags(struct server *s, const char *const argv[], int flags)
{
    char line[256] = "";
    const char prefix[] = "listening on ";

    memset(s, 0, sizeof *s);
    if (child_start(&s->child, argv, flags) < 0)
        return -1;
    /* Generous: under valgrind a server takes a few seconds to start. */
    if (read_line(s->child.out, line, sizeof line, 5000) < 0 ||
        strncmp(line, prefix, sizeof prefix - 1) != 0)
        goto fail;
    char *address = line + sizeof prefix - 1;
    char *colon = strrchr(address, ':');
    if (colon == NULL)
        goto fail;
    *colon = '\0';
    s->port = atoi(colon + 1);
    if (address[0] == '[') { /* [::1] -> ::1 */
        address++;
        address[strcspn(address, "]")] = '\0';
    }
    snprintf(s->host, sizeof s->host, "%.63s", address);
    if (s->port <= 0 || s->port > 65535)
        goto fail;
    return 0;

fail:;
    char *err = child_stderr(&s->child);
    fprintf(stderr, "harness: %s did not print 'listening on HOST:PORT' (got '%s'); stderr:\n%s\n",
            argv[0], line, err);
    free(err);
    child_close(&s->child);
    return -1;
}

int server_start(struct server *s, const char *const argv[])
{
    return server_start_flags(s, argv, 0);
}

int server_start_with_fd_limit(struct server *s, const char *const argv[], long soft)
{
    long own = set_fd_limit(getpid(), soft); /* what the server inherits */
    if (own < 0)
        return -1;
    int started = server_start(s, argv);
    set_fd_limit(getpid(), own);
    return started;
}

int server_stop(struct server *s)
{
    char *err;
    int code = server_stop_keep_stderr(s, &err);
    free(err);
    return code;
}

int server_stop_keep_stderr(struct server *s, char **err)
{
    int code = child_stop(&s->child, SIGTERM, 2000);
    *err = child_stderr(&s->child);
    if (code != 0) /* show why: a valgrind report, a crash message, ... */
        fprintf(stderr, "harness: server exit code %d; its stderr:\n%s\n", code, *err);
    child_close(&s->child);
    return code;
}

int server_connect(const struct server *s)
{
    return tcp_connect(s->host, s->port);
}

int connect_or_fail(const struct server *s)
{
    int fd = server_connect(s);
    ck_assert_msg(fd >= 0, "cannot connect to %s:%d: %s", s->host, s->port, strerror(errno));
    return fd;
}

int echo_once(const struct server *s, const char *message, int timeout_ms)
{
    int fd = server_connect(s);
    if (fd < 0)
        return -1;
    int result = echo_round_trip(fd, message, strlen(message), timeout_ms);
    close(fd);
    return result;
}

int clients_at_once(const struct server *s, int n, int timeout_ms)
{
    int *fds = malloc((size_t)n * sizeof *fds), ok = 0;
    if (fds == NULL)
        return 0;
    for (int i = 0; i < n; i++)
        fds[i] = server_connect(s);
    for (int i = 0; i < n; i++) {
        char message[64];
        int len = snprintf(message, sizeof message, "Hello, world (%d)", i + 1);
        if (fds[i] >= 0 && send_all(fds[i], message, (size_t)len) < 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
    for (int i = 0; i < n; i++) {
        char message[64], echo[64];
        int len = snprintf(message, sizeof message, "Hello, world (%d)", i + 1);
        if (fds[i] >= 0 && recv_exact(fds[i], echo, (size_t)len, timeout_ms) == len &&
            memcmp(echo, message, (size_t)len) == 0)
            ok++;
    }
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    return ok;
}

/* --- Talking TCP ------------------------------------------------------------------- */

int tcp_connect(const char *host, int port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list;
    char service[16];
    int fd = -1;

    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &list) != 0)
        return -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    return fd;
}

int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t recv_exact(int fd, void *buf, size_t len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t got = 0;
    while (got < len) {
        if (wait_fd(fd, POLLIN, deadline) != 1)
            return -1;
        ssize_t n = recv(fd, (char *)buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int tcp_connect_small_rcvbuf(int port, int rcvbuf)
{
    struct sockaddr_in address = loopback(port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0 ||
        connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

char *recv_until_eof(int fd, size_t *len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    char *buf = NULL;
    size_t cap = 0;

    *len = 0;
    append(&buf, len, &cap, "", 0);
    for (;;) {
        char chunk[65536];
        if (wait_fd(fd, POLLIN, deadline) != 1)
            break;
        ssize_t n = read(fd, chunk, sizeof chunk); /* read, not recv: pipes too */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0)
            return buf;
        append(&buf, len, &cap, chunk, (size_t)n);
    }
    free(buf);
    return NULL;
}

int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void set_blocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

bool exchange(int fd, const void *out, size_t out_len, void *in, size_t in_len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t sent = 0, got = 0;

    if (set_nonblocking(fd) < 0)
        return false;
    while (sent < out_len || got < in_len) {
        struct pollfd p = {
            .fd = fd,
            .events = (short)((got < in_len ? POLLIN : 0) | (sent < out_len ? POLLOUT : 0))};
        int n = poll(&p, 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* timeout */
        if (got < in_len && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = recv(fd, (char *)in + got, in_len - got, 0);
            if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                break; /* EOF or reset before everything came */
            got += k > 0 ? (size_t)k : 0;
        } else if (p.revents & (POLLHUP | POLLERR)) {
            break; /* all received, but the peer is gone before taking the rest */
        }
        if (sent < out_len && (p.revents & POLLOUT)) {
            ssize_t k = send(fd, (const char *)out + sent, out_len - sent, MSG_NOSIGNAL);
            if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                break;
            sent += k > 0 ? (size_t)k : 0;
        }
    }
    set_blocking(fd);
    return sent == out_len && got == in_len;
}

int echo_round_trip(int fd, const void *data, size_t len, int timeout_ms)
{
    char *back = malloc(len + 1);
    int result = back != NULL && exchange(fd, data, len, back, len, timeout_ms) &&
                         memcmp(back, data, len) == 0
                     ? 0
                     : -1;
    free(back);
    return result;
}

void assert_echo(int fd, const void *data, size_t len)
{
    ck_assert_msg(echo_round_trip(fd, data, len, 30000) == 0, "%zu bytes did not come back whole",
                  len);
}

size_t send_until_stalled(int fd, size_t len, int stall_ms, int timeout_ms)
{
    static char chunk[65536];
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t sent = 0;

    memset(chunk, 'x', sizeof chunk);
    set_nonblocking(fd);
    while (sent < len && monotonic_ms() < deadline) {
        size_t want = len - sent < sizeof chunk ? len - sent : sizeof chunk;
        ssize_t n = send(fd, chunk, want, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            break;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, stall_ms) == 0)
            break; /* no room for stall_ms: the peer stopped reading */
    }
    return sent;
}

bool nothing_arrives(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
        ;
    return n == 0;
}

void close_with_reset(int fd)
{
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
}

void fill_random(void *buf, size_t len, unsigned seed)
{
    unsigned char *bytes = buf;
    unsigned long long state = seed * 2654435761ULL + 1;
    for (size_t i = 0; i < len; i++) { /* xorshift64: fast, even under valgrind */
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes[i] = (unsigned char)(state >> 24);
    }
}

/* --- Playing the server for a client ------------------------------------------------ */

/* A socket of TYPE bound to 127.0.0.1 with a port the kernel picks (stored in *PORT). */
static int bound_socket(int type, int *port)
{
    struct sockaddr_in address = loopback(0);
    socklen_t len = sizeof address;
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
        getsockname(fd, (struct sockaddr *)&address, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

int test_listener(int backlog, int *port)
{
    int fd = bound_socket(SOCK_STREAM, port);
    if (fd >= 0 && listen(fd, backlog) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int accept_within(int listener, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    return wait_fd(listener, POLLIN, deadline) == 1 ? accept(listener, NULL, NULL) : -1;
}

int accept_and_close_all(int listener)
{
    int count = 0;
    for (;;) {
        struct pollfd p = {.fd = listener, .events = POLLIN};
        if (poll(&p, 1, 0) != 1)
            return count;
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            return count;
        close(fd);
        count++;
    }
}

int unused_port(void)
{
    int port = 0, fd = bound_socket(SOCK_STREAM, &port);
    if (fd >= 0)
        close(fd); /* nothing listens there now (and no other test asks for it: port 0) */
    return port;
}

/* --- UDP ----------------------------------------------------------------------------- */

struct sockaddr_in loopback(int port)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

int udp_socket(int *port)
{
    return bound_socket(SOCK_DGRAM, port);
}

int unused_udp_port(void)
{
    int port = 0, fd = udp_socket(&port);
    if (fd >= 0)
        close(fd);
    return port;
}

int send_datagram(int fd, const void *data, size_t len, int port)
{
    struct sockaddr_in to = loopback(port);
    ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)&to, sizeof to);
    return n == (ssize_t)len ? 0 : -1;
}

ssize_t recv_datagram(int fd, void *buf, size_t size, int timeout_ms, struct sockaddr_in *from)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    for (;;) {
        if (wait_fd(fd, POLLIN, deadline) != 1)
            return -1;
        struct sockaddr_in sender;
        socklen_t len = sizeof sender;
        ssize_t got = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&sender, &len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (got >= 0 && from != NULL)
            *from = sender;
        return got;
    }
}

int send_spoofed(const struct sockaddr_in *from, const struct sockaddr_in *to, const void *data,
                 size_t len)
{
    static unsigned char packet[65535];
    size_t total = 20 + 8 + len;
    if (total > sizeof packet) {
        errno = EMSGSIZE;
        return -1;
    }
    /* IPPROTO_RAW: we write the IP header too (IP_HDRINCL); the kernel fills in its
     * checksum, total length and id. The UDP checksum 0 means "none" over IPv4. */
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0)
        return -1;
    memset(packet, 0, 28);
    packet[0] = 0x45; /* IPv4, a header of 5 words */
    packet[2] = (unsigned char)(total >> 8);
    packet[3] = (unsigned char)total;
    packet[8] = 64;          /* time to live */
    packet[9] = IPPROTO_UDP; /* what follows */
    memcpy(packet + 12, &from->sin_addr, 4);
    memcpy(packet + 16, &to->sin_addr, 4);
    memcpy(packet + 20, &from->sin_port, 2);
    memcpy(packet + 22, &to->sin_port, 2);
    packet[24] = (unsigned char)((8 + len) >> 8);
    packet[25] = (unsigned char)(8 + len);
    memcpy(packet + 28, data, len);
    ssize_t n = sendto(fd, packet, total, 0, (const struct sockaddr *)to, sizeof *to);
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return n == (ssize_t)total ? 0 : -1;
}

/* --- Looking at (and limiting) a running process: Linux /proc and prlimit ----------- */

/* Read /proc/PID/FILE into TEXT (NUL-terminated). Returns its length, or -1. */
static long read_proc(pid_t pid, const char *file, char *text, size_t size)
{
    char path[128];
    if (!have_proc()) {
        errno = ENOSYS;
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(text, 1, size - 1, f);
    fclose(f);
    text[n] = '\0';
    return (long)n;
}

/* The number after FIELD ("VmRSS:") in /proc/PID/status, or -1. */
static long status_number(pid_t pid, const char *field)
{
    char status[4096];
    if (read_proc(pid, "status", status, sizeof status) < 0)
        return -1;
    const char *line = strstr(status, field);
    long number;
    return line != NULL && sscanf(line + strlen(field), " %ld", &number) == 1 ? number : -1;
}

/* The parent of process NAME (a /proc entry), or -1. "PID (COMM) STATE PPID ...": COMM
 * may hold spaces and ')', so look after the last ')'. */
static int parent_of(const char *name)
{
    char stat[512];
    if (!isdigit((unsigned char)name[0]) ||
        read_proc((pid_t)atoi(name), "stat", stat, sizeof stat) < 0)
        return -1; /* not a process, or it ended meanwhile */
    char *close_paren = strrchr(stat, ')');
    int parent;
    return close_paren != NULL && sscanf(close_paren + 1, " %*c %d", &parent) == 1 ? parent : -1;
}

int count_open_fds(pid_t pid)
{
    char path[64];
    if (!have_proc()) {
        errno = ENOSYS;
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        count += e->d_name[0] != '.';
    closedir(dir);
    return count;
}

int count_threads(pid_t pid)
{
    return (int)status_number(pid, "Threads:");
}

int count_children(pid_t pid)
{
    return child_pids(pid, NULL, 0);
}

int child_pids(pid_t pid, pid_t *pids, int max)
{
    if (!have_proc()) {
        errno = ENOSYS;
        return -1;
    }
    DIR *dir = opendir("/proc");
    if (dir == NULL)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (parent_of(e->d_name) != (int)pid)
            continue;
        if (pids != NULL && count < max)
            pids[count] = (pid_t)atoi(e->d_name);
        count++;
    }
    closedir(dir);
    return pids != NULL && count > max ? max : count;
}

int threads_accepting_signal(pid_t pid, int signal_number)
{
    char path[128], status[4096];
    if (!have_proc()) {
        errno = ENOSYS;
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == (int)pid)
            continue; /* the main thread takes the signals: that is the point */
        char file[300];
        snprintf(file, sizeof file, "task/%s/status", e->d_name);
        if (read_proc(pid, file, status, sizeof status) < 0)
            continue; /* the thread ended meanwhile */
        const char *line = strstr(status, "SigBlk:");
        unsigned long long blocked;
        if (line == NULL || sscanf(line, "SigBlk: %llx", &blocked) != 1)
            continue;
        if (!(blocked & (1ULL << (signal_number - 1))))
            count++;
    }
    closedir(dir);
    return count;
}

long cpu_time_ms(pid_t pid)
{
    char stat[1024];
    unsigned long user, system;
    if (read_proc(pid, "stat", stat, sizeof stat) < 0)
        return -1;
    /* "PID (COMM) STATE PPID ...": utime and stime are fields 14 and 15; COMM may hold
     * spaces, so count from the last ')'. */
    char *p = strrchr(stat, ')');
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &system) != 2)
        return -1;
    long ticks = sysconf(_SC_CLK_TCK);
    return (long)((user + system) * 1000 / (unsigned long)(ticks > 0 ? ticks : 100));
}

double cpu_share(pid_t pid, int ms)
{
    long before = cpu_time_ms(pid);
    long long start = monotonic_ms();
    sleep_ms(ms);
    long after = cpu_time_ms(pid);
    long long elapsed = monotonic_ms() - start;
    if (before < 0 || after < 0 || elapsed <= 0)
        return -1;
    return (double)(after - before) / (double)elapsed;
}

long resident_kib(pid_t pid)
{
    return status_number(pid, "VmRSS:");
}

long peak_resident_kib(pid_t pid)
{
    return status_number(pid, "VmHWM:");
}

int lowest_free_fd(pid_t pid)
{
    char path[64];
    if (!have_proc()) {
        errno = ENOSYS;
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    size_t size = 1024;
    bool *open_fds = calloc(size, sizeof *open_fds);
    for (struct dirent *e; open_fds != NULL && (e = readdir(dir)) != NULL;) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || fd < 0 || fd > 1 << 24)
            continue;                /* "." and ".." */
        while ((size_t)fd >= size) { /* a server holding thousands of connections */
            bool *bigger = realloc(open_fds, 2 * size * sizeof *open_fds);
            if (bigger == NULL) {
                free(open_fds);
                open_fds = NULL;
                break;
            }
            memset(bigger + size, 0, size * sizeof *open_fds);
            open_fds = bigger;
            size *= 2;
        }
        if (open_fds != NULL)
            open_fds[fd] = true;
    }
    closedir(dir);
    if (open_fds == NULL)
        return -1;
    size_t fd = 0;
    while (fd < size && open_fds[fd])
        fd++;
    free(open_fds);
    return (int)fd;
}

long set_fd_limit(pid_t pid, long soft)
{
    struct rlimit limit, old;
    if (pid == getpid()) { /* the test itself: plain POSIX */
        if (getrlimit(RLIMIT_NOFILE, &old) < 0)
            return -1;
        limit = old;
        limit.rlim_cur = (rlim_t)soft;
        return setrlimit(RLIMIT_NOFILE, &limit) == 0 ? (long)old.rlim_cur : -1;
    }
#ifdef __linux__
    if (!have_prlimit()) {
        errno = ENOSYS;
        return -1;
    }
    if (prlimit(pid, RLIMIT_NOFILE, NULL, &old) < 0)
        return -1;
    limit = old;
    limit.rlim_cur = (rlim_t)soft;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < (rlim_t)soft)
        limit.rlim_max = (rlim_t)soft; /* only root may: otherwise prlimit fails below */
    return prlimit(pid, RLIMIT_NOFILE, &limit, NULL) == 0 ? (long)old.rlim_cur : -1;
#else
    (void)limit;
    (void)old;
    errno = ENOSYS; /* another process's limits: prlimit is Linux only */
    return -1;
#endif
}

long raise_fd_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return -1;
    limit.rlim_cur = limit.rlim_max;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > 1 << 20)
        limit.rlim_cur = 1 << 20;
    setrlimit(RLIMIT_NOFILE, &limit); /* macOS refuses more than OPEN_MAX: keep the old */
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return -1;
    return (long)limit.rlim_cur;
}

int fill_descriptors(const struct server *s, int limit, int *fds, int max)
{
    int served = 0, free_fd;
    while ((free_fd = lowest_free_fd(s->child.pid)) >= 0 && free_fd < limit) {
        char got = 0;
        int fd = served < max ? server_connect(s) : -1;
        if (fd >= 0 && send_all(fd, "i", 1) == 0 && recv_exact(fd, &got, 1, 5000) == 1 &&
            got == 'i') {
            fds[served++] = fd;
            continue;
        }
        if (fd >= 0)
            close(fd);
        free_fd = -1;
        break;
    }
    if (free_fd >= limit)
        return served;
    for (int i = 0; i < served; i++)
        close(fds[i]);
    return -1;
}

int wait_for_count(int (*count)(pid_t), pid_t pid, int expected, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    int value;
    while ((value = count(pid)) != expected && monotonic_ms() < deadline)
        sleep_ms(5);
    return value;
}

/* Is every thread of this process but the caller in state S (asleep)? */
static bool others_asleep(void)
{
#ifdef __linux__
    char self[32], path[300], stat[512];
    snprintf(self, sizeof self, "%ld", (long)syscall(SYS_gettid));
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL)
        return false;
    bool asleep = true;
    for (struct dirent *e; asleep && (e = readdir(tasks)) != NULL;) {
        if (!isdigit((unsigned char)e->d_name[0]) || strcmp(e->d_name, self) == 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* the thread has just ended */
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        /* "TID (COMM) STATE ...": COMM may hold spaces and ')', so look after the last. */
        const char *paren = strrchr(stat, ')');
        asleep = paren != NULL && paren[1] == ' ' && paren[2] == 'S';
    }
    closedir(tasks);
    return asleep;
#else
    return false;
#endif
}

bool wait_until_others_asleep(int timeout_ms)
{
    if (!have_proc() || under_valgrind()) {
        sleep_ms(scaled_ms(100));
        return false;
    }
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    for (int looks = 0; monotonic_ms() < deadline;) {
        looks = others_asleep() ? looks + 1 : 0;
        if (looks == 2)
            return true;
        sleep_ms(1);
    }
    return false;
}

/* Runs in a thread of its own: the count it sees is everything else, plus itself. */
static void *count_from_inside(void *arg)
{
    *(int *)arg = count_threads(getpid()) - 1;
    return NULL;
}

int thread_baseline(void)
{
    pthread_t thread;
    int others = count_threads(getpid());
    if (pthread_create(&thread, NULL, count_from_inside, &others) == 0)
        pthread_join(thread, NULL);
    return threads_back_to(others);
}

int threads_back_to(int baseline)
{
    long long deadline = monotonic_ms() + scaled_ms(1000);
    int n;
    while ((n = count_threads(getpid())) > baseline && monotonic_ms() < deadline)
        sleep_ms(1);
    return n;
}
