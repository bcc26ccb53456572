/* harness_extra.c -- 06-poll-async's additions to the kit's harness (see
 * harness_extra.h). Same rules as harness.c: every call checked, every wait bounded. */
#define _GNU_SOURCE /* prlimit(2), Linux; it also brings what harness.c's _DEFAULT_SOURCE does */

#include "harness_extra.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

bool under_valgrind(void)
{
    const char *prefix = getenv("RUN_UNDER");
    return prefix != NULL && prefix[0] != '\0';
}

bool under_sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int test_listener(int *port)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&address, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

int tcp_connect_small_rcvbuf(int port, int rcvbuf)
{
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons((unsigned short)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
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

int accept_within(int listener, int timeout_ms)
{
    struct pollfd p = {.fd = listener, .events = POLLIN};
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    for (;;) {
        long long left = deadline - monotonic_ms();
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        return accept(listener, NULL, NULL);
    }
}

long process_cpu_ms(pid_t pid)
{
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* "PID (COMM) STATE ..." then utime and stime are fields 14 and 15, counted from
     * PID; after the ')' that closes COMM they are the 12th and 13th. */
    char *p = strrchr(stat, ')');
    unsigned long utime, stime;
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    long ticks = sysconf(_SC_CLK_TCK);
    return (long)((utime + stime) * 1000 / (unsigned long)(ticks > 0 ? ticks : 100));
}

long cpu_percent_during(pid_t pid, int ms)
{
    long before = process_cpu_ms(pid);
    long long start = monotonic_ms();
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
        ;
    long used = process_cpu_ms(pid) - before;
    long long wall = monotonic_ms() - start;
    return before < 0 || wall <= 0 ? -1 : (long)(used * 100 / wall);
}

long process_memory_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t len = strlen(field);
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kib = strtol(line + len + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

static void pause_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
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
        pause_ms(5); /* a bounded wait for a log line, not for readiness */
    }
}

int wait_for_fd_count(pid_t pid, int count, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    for (;;) {
        int now = count_open_fds(pid);
        if (now == count || monotonic_ms() >= deadline)
            return now;
        pause_ms(5);
    }
}

int limit_fds_of(pid_t pid, long limit)
{
    /* Both limits: valgrind raises a soft limit to the hard one at start-up, and a
     * program may do the same; lowering the hard limit too makes it stick. */
    struct rlimit new_limit = {.rlim_cur = (rlim_t)limit, .rlim_max = (rlim_t)limit};
    return prlimit(pid, RLIMIT_NOFILE, &new_limit, NULL);
}

long raise_fd_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return -1;
    limit.rlim_cur = limit.rlim_max;
    if (limit.rlim_cur > 1 << 20)
        limit.rlim_cur = 1 << 20;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return (long)limit.rlim_cur;
}

size_t exchange(int fd, const char *data, size_t len, const char *expected, size_t expected_len,
                int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t sent = 0, matched = 0;
    char chunk[65536];
    if (set_nonblocking(fd) < 0)
        return 0;
    while (matched < expected_len) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        long long left = deadline - monotonic_ms();
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if ((p.revents & POLLOUT) && sent < len) {
            ssize_t put = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
            if (put < 0 && errno != EAGAIN && errno != EINTR)
                break;
            if (put > 0)
                sent += (size_t)put;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = recv(fd, chunk, sizeof chunk, 0);
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (got <= 0)
                break;
            size_t same = 0;
            while (same < (size_t)got && matched + same < expected_len &&
                   chunk[same] == expected[matched + same])
                same++;
            matched += same;
            if (same < (size_t)got)
                break; /* a wrong byte, or more than expected */
        }
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return matched;
}

size_t echo_exchange(int fd, const char *data, size_t len, int timeout_ms)
{
    return exchange(fd, data, len, data, len, timeout_ms);
}
