/* harness_extra.c -- test peers, simultaneous send/receive, file redirection and a look
 * at running servers, for the 02-tcp-echo suites (see harness_extra.h). */
#define _GNU_SOURCE /* prlimit(), to change a running server's limit on open files */

#include "harness_extra.h"
#include "harness.h"
#include <check.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds left until DEADLINE, at least 0. */
static int ms_left(long long deadline)
{
    long long left = deadline - monotonic_ms();
    return left > 0 ? (int)left : 0;
}

/* A socket of TYPE bound to 127.0.0.1 port 0; its port in *PORT. */
static int bound_socket(int type, int *port)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof address;
    int fd = socket(AF_INET, type, 0);

    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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

int test_listener(int *port)
{
    int fd = bound_socket(SOCK_STREAM, port);
    if (fd >= 0 && listen(fd, 16) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int accept_within(int listener, int timeout_ms)
{
    struct pollfd p = {.fd = listener, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, scaled_ms(timeout_ms))) < 0 && errno == EINTR)
        ;
    return n == 1 ? accept(listener, NULL, NULL) : -1;
}

int unused_port(void)
{
    int port = 0, fd = bound_socket(SOCK_STREAM, &port);
    if (fd >= 0)
        close(fd); /* nothing listens there now (and no other test asks for it: port 0) */
    return port;
}

ssize_t exchange(int fd, const void *out, void *in, size_t len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t sent = 0, got = 0;

    while (got < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        int n = poll(&p, 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        if (sent < len && (p.revents & POLLOUT)) {
            ssize_t k = send(fd, (const char *)out + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k < 0 && errno != EAGAIN && errno != EINTR)
                return -1;
            sent += k > 0 ? (size_t)k : 0;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t k = recv(fd, (char *)in + got, len - got, MSG_DONTWAIT);
            if (k == 0)
                break;
            if (k < 0 && errno != EAGAIN && errno != EINTR)
                return -1;
            got += k > 0 ? (size_t)k : 0;
        }
    }
    return (ssize_t)got;
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

char *read_until_eof(int fd, size_t *len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t cap = 4096;
    char *buf = malloc(cap);

    *len = 0;
    while (buf != NULL) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (cap - *len < 2048) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                break;
            buf = bigger;
        }
        ssize_t k = read(fd, buf + *len, cap - *len - 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            break;
        if (k == 0) {
            buf[*len] = '\0';
            return buf;
        }
        *len += (size_t)k;
    }
    free(buf);
    return NULL;
}

int run_streaming(struct run *r, const char *input, size_t input_len, int timeout_ms,
                  const char *const argv[])
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t written = 0, cap = 1 << 20;
    struct child c;

    memset(r, 0, sizeof *r);
    if ((r->out = malloc(cap)) == NULL || child_start(&c, argv, CHILD_STDIN_PIPE) < 0) {
        free(r->out);
        return -1;
    }
    fcntl(c.in, F_SETFL, fcntl(c.in, F_GETFL) | O_NONBLOCK);
    while (c.out >= 0) {
        if (c.in >= 0 && written == input_len) {
            close(c.in); /* all sent: EOF */
            c.in = -1;
        }
        struct pollfd p[2] = {{.fd = c.out, .events = POLLIN}, {.fd = c.in, .events = POLLOUT}};
        int n = poll(p, 2, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* deadline passed: child_wait below kills it */
        if (p[1].revents != 0) {
            ssize_t put = write(c.in, input + written, input_len - written);
            if (put > 0)
                written += (size_t)put;
            else if (put < 0 && errno != EAGAIN && errno != EINTR)
                written = input_len; /* it stopped reading: give up feeding it */
        }
        if (p[0].revents != 0) {
            if (cap - r->out_len < 65536) {
                char *bigger = realloc(r->out, cap *= 2);
                if (bigger == NULL)
                    break;
                r->out = bigger;
            }
            ssize_t got = read(c.out, r->out + r->out_len, cap - r->out_len - 1);
            if (got > 0) {
                r->out_len += (size_t)got;
            } else if (got == 0 || errno != EINTR) {
                close(c.out);
                c.out = -1;
            }
        }
    }
    r->out[r->out_len] = '\0';
    r->code = child_wait(&c, ms_left(deadline) + 1);
    r->err = child_stderr(&c);
    child_close(&c);
    return 0;
}

int run_with_files(const char *const argv[], const char *in_path, const char *out_path,
                   int timeout_ms, char **err)
{
    char err_path[] = "/tmp/kit-stderr-XXXXXX";
    struct child c = {.pid = -1, .in = -1, .out = -1, .err = mkstemp(err_path)};
    const char *words[64];
    int n = 0;

    *err = NULL;
    if (c.err < 0)
        return -1;
    unlink(err_path);
    /* RUN_UNDER's words first (make memcheck: valgrind ...), then ARGV. */
    char *prefix = getenv("RUN_UNDER") != NULL ? strdup(getenv("RUN_UNDER")) : NULL;
    for (char *save = NULL, *w = prefix ? strtok_r(prefix, " ", &save) : NULL; w && n < 32;
         w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    for (int i = 0; argv[i] != NULL && n < 63; i++)
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
    free(prefix);
    int code = c.pid > 0 ? child_wait(&c, timeout_ms) : -1;
    *err = child_stderr(&c);
    child_close(&c);
    return code;
}

/* --- Looking at a running process ---------------------------------------------------- */

long cpu_time_ms(pid_t pid)
{
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* "PID (COMM) STATE ..." : utime and stime are fields 14 and 15, counted from the
     * state (field 3) after the last ')'. */
    char *after = strrchr(stat, ')');
    unsigned long utime, stime;
    if (after == NULL || sscanf(after + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                                &utime, &stime) != 2)
        return -1;
    return (long)((utime + stime) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

long resident_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int lowest_free_fd(pid_t pid)
{
    for (int fd = 0; fd < 65536; fd++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
        struct stat link; /* lstat: the entry is a symbolic link, to "socket:[1234]" */
        if (lstat(path, &link) != 0)
            return fd;
    }
    return -1;
}

long set_fd_limit(pid_t pid, long soft)
{
    struct rlimit old, limit;
    if (prlimit(pid, RLIMIT_NOFILE, NULL, &old) < 0)
        return -1;
    limit.rlim_cur = (rlim_t)soft;
    limit.rlim_max = old.rlim_max;
    if (prlimit(pid, RLIMIT_NOFILE, &limit, NULL) < 0)
        return -1;
    return (long)old.rlim_cur;
}

int wait_fd_count(pid_t pid, int expected, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    int count;
    /* Polling /proc every 5 ms: a bounded wait for the server to close a connection
     * it has no way to tell us about. */
    while ((count = count_open_fds(pid)) != expected && monotonic_ms() < deadline) {
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return count;
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
    *out = read_until_eof(c->out, &len, timeout_ms);
    if (*out == NULL)
        *out = strdup("(stdout did not end in time)");
    int code = child_wait(c, timeout_ms);
    *err = child_stderr(c);
    child_close(c);
    return code;
}

int connect_to(const struct server *s)
{
    int fd = tcp_connect(s->host, s->port);
    ck_assert_int_ge(fd, 0);
    return fd;
}

void assert_echo(int fd, const void *data, size_t len)
{
    char *back = malloc(len + 1);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(exchange(fd, data, back, len, 30000), (ssize_t)len);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    free(back);
}
