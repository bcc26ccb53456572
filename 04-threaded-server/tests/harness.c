/* harness.c -- running programs and talking to servers for the Check suites
 * (see harness.h). Test code, but held to the same standard as the kit: every call
 * checked, every wait bounded. */
#define _DEFAULT_SOURCE /* SO_LINGER details, dirent d_type; glibc's catch-all */

#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

void fault_injection(const char *rules)
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
        return;
    }
    if (realpath("tests", dir) == NULL || access("tests/fault_inject.so", R_OK) != 0) {
        fprintf(stderr, "harness: tests/fault_inject.so: %s (not built?)\n", strerror(errno));
        abort();
    }
    /* The dynamic loader splits LD_PRELOAD at spaces as well as colons, so the shim's
     * full path fails in a folder such as "My Course" ("cannot be preloaded"). A bare
     * file name in LD_PRELOAD is looked up along LD_LIBRARY_PATH instead, which is split
     * at colons only: the folder goes there, and LD_PRELOAD holds just the name. */
    if (strchr(dir, ':') != NULL) {
        fprintf(stderr, "harness: %s: a folder whose path holds ':' cannot be given to the "
                        "dynamic loader (LD_LIBRARY_PATH); move the kit\n", dir);
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
}

/* --- Servers and sockets ------------------------------------------------------------ */

int server_start(struct server *s, const char *const argv[])
{
    char line[256];
    const char prefix[] = "listening on ";

    memset(s, 0, sizeof *s);
    if (child_start(&s->child, argv, 0) < 0)
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

int server_stop(struct server *s)
{
    int code = child_stop(&s->child, SIGTERM, 2000);
    if (code != 0) { /* show why: a valgrind report, a crash message, ... */
        char *err = child_stderr(&s->child);
        fprintf(stderr, "harness: server exit code %d; its stderr:\n%s\n", code, err);
        free(err);
    }
    child_close(&s->child);
    return code;
}

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
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
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

void close_with_reset(int fd)
{
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
}

/* --- Looking at a running process (Linux /proc) ------------------------------------- */

int count_open_fds(pid_t pid)
{
    char path[64];
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
    char path[64], line[256];
    int threads = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "Threads: %d", &threads) == 1)
            break;
    fclose(f);
    return threads;
}

int count_children(pid_t pid)
{
    DIR *dir = opendir("/proc");
    if (dir == NULL)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        char path[300], stat[512];
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* it ended meanwhile */
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        /* "PID (COMM) STATE PPID ...": COMM may hold spaces and ')', so look after
         * the last ')'. */
        char *close_paren = strrchr(stat, ')');
        int parent;
        if (close_paren != NULL && sscanf(close_paren + 1, " %*c %d", &parent) == 1 &&
            parent == (int)pid)
            count++;
    }
    closedir(dir);
    return count;
}
