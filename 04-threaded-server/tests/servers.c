/* servers.c -- checks of running servers for this folder's suites (see servers.h). */
#define _GNU_SOURCE /* prlimit(2), Linux-only like the /proc files read here */

#include "servers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
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
    return prefix != NULL && strstr(prefix, "valgrind") != NULL;
}

int server_start_flags(struct server *s, const char *const argv[], int flags)
{
    char line[256] = "";
    const char prefix[] = "listening on ";

    memset(s, 0, sizeof *s);
    if (child_start(&s->child, argv, flags) < 0)
        return -1;
    if (read_line(s->child.out, line, sizeof line, 5000) < 0 ||
        strncmp(line, prefix, sizeof prefix - 1) != 0)
        goto fail;
    char *address = line + sizeof prefix - 1, *colon = strrchr(address, ':');
    if (colon == NULL)
        goto fail;
    *colon = '\0';
    s->port = atoi(colon + 1);
    if (address[0] == '[') {
        address++;
        address[strcspn(address, "]")] = '\0';
    }
    snprintf(s->host, sizeof s->host, "%.63s", address);
    if (s->port > 0 && s->port <= 65535)
        return 0;
fail:;
    char *err = child_stderr(&s->child);
    fprintf(stderr, "servers: %s did not print 'listening on HOST:PORT' (got '%s'); stderr:\n%s\n",
            argv[0], line, err);
    free(err);
    child_close(&s->child);
    return -1;
}

int server_stop_keep_stderr(struct server *s, char **err)
{
    int code = child_stop(&s->child, SIGTERM, 2000);
    *err = child_stderr(&s->child);
    if (code != 0)
        fprintf(stderr, "servers: server exit code %d; its stderr:\n%s\n", code, *err);
    child_close(&s->child);
    return code;
}

int server_connect(const struct server *s)
{
    return tcp_connect(s->host, s->port);
}

static int ms_until(long long deadline)
{
    long long left = deadline - monotonic_ms();
    return left > 0 ? (int)left : 0;
}

int echo_round_trip(int fd, const void *data, size_t len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    char *back = malloc(len + 1);
    size_t sent = 0, got = 0;
    int result = -1;

    if (back == NULL || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        goto out;
    while (got < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        int n = poll(&p, 1, ms_until(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out; /* timeout */
        if ((p.revents & POLLOUT) && sent < len) {
            ssize_t put = send(fd, (const char *)data + sent, len - sent, MSG_NOSIGNAL);
            if (put < 0 && errno != EAGAIN && errno != EINTR)
                goto out;
            if (put > 0)
                sent += (size_t)put;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n_in = recv(fd, back + got, len + 1 - got, 0);
            if (n_in == 0 || (n_in < 0 && errno != EAGAIN && errno != EINTR))
                goto out; /* EOF or reset before the whole echo */
            if (n_in > 0)
                got += (size_t)n_in;
        }
    }
    result = got == len && memcmp(back, data, len) == 0 ? 0 : -1;
out:
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    free(back);
    return result;
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

bool nothing_arrives(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
        ;
    return n == 0;
}

void random_bytes(void *buf, size_t len)
{
    uint32_t state = 2463534242u; /* xorshift32: fixed seed, same bytes every run */
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        p[i] = (unsigned char)(state >> 24);
    }
}

size_t send_until_stalled(int fd, size_t len, int stall_ms, int timeout_ms)
{
    static char chunk[65536];
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t sent = 0;

    memset(chunk, 'x', sizeof chunk);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (sent < len && monotonic_ms() < deadline) {
        size_t want = len - sent < sizeof chunk ? len - sent : sizeof chunk;
        ssize_t n = send(fd, chunk, want, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, stall_ms) == 0)
            break; /* no room for stall_ms: the peer stopped reading */
    }
    return sent;
}

int wait_for_count(int (*count)(pid_t), pid_t pid, int expected, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    int value;
    /* Counting threads or children has no event to wait on: look every 5 ms. */
    while ((value = count(pid)) != expected && monotonic_ms() < deadline) {
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return value;
}

bool wait_for_stderr(const struct server *s, const char *text, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    for (;;) {
        char *err = child_stderr(&s->child);
        bool found = strstr(err, text) != NULL;
        free(err);
        if (found)
            return true;
        if (monotonic_ms() >= deadline)
            return false;
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* Read /proc/PID/FILE into TEXT. Returns the length or -1. */
static long read_proc(pid_t pid, const char *file, char *text, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(text, 1, size - 1, f);
    fclose(f);
    text[n] = '\0';
    return (long)n;
}

long cpu_ticks(pid_t pid)
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
    return (long)(user + system);
}

double cpu_share(pid_t pid, int ms)
{
    long before = cpu_ticks(pid);
    long long start = monotonic_ms();
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
        ;
    long after = cpu_ticks(pid);
    long long elapsed = monotonic_ms() - start;
    if (before < 0 || after < 0 || elapsed <= 0)
        return -1;
    return (double)(after - before) / (double)sysconf(_SC_CLK_TCK) / ((double)elapsed / 1000.0);
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

long resident_kib(pid_t pid)
{
    return status_number(pid, "VmRSS:");
}

long peak_resident_kib(pid_t pid)
{
    return status_number(pid, "VmHWM:");
}

int child_pids(pid_t pid, pid_t *pids, int max)
{
    DIR *dir = opendir("/proc");
    if (dir == NULL)
        return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL && count < max;) {
        char stat[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
            read_proc((pid_t)atoi(e->d_name), "stat", stat, sizeof stat) < 0)
            continue; /* not a process, or it ended meanwhile */
        /* "PID (COMM) STATE PPID ...": COMM may hold spaces, so look after the last ')'. */
        char *p = strrchr(stat, ')');
        int parent;
        if (p != NULL && sscanf(p + 1, " %*c %d", &parent) == 1 && parent == (int)pid)
            pids[count++] = (pid_t)atoi(e->d_name);
    }
    closedir(dir);
    return count;
}

int threads_accepting_signal(pid_t pid, int signal_number)
{
    char path[128], status[4096];
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

long set_fd_limit(pid_t pid, long soft)
{
    struct rlimit limit, old;
    if (prlimit(pid, RLIMIT_NOFILE, NULL, &old) < 0)
        return -1;
    limit = old;
    limit.rlim_cur = (rlim_t)soft;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < (rlim_t)soft)
        limit.rlim_max = (rlim_t)soft; /* only root may: then prlimit fails below */
    return prlimit(pid, RLIMIT_NOFILE, &limit, NULL) == 0 ? (long)old.rlim_cur : -1;
}

int lowest_free_fd(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    static bool open_fds[4096];
    memset(open_fds, 0, sizeof open_fds);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(entry->d_name, &end, 10);
        if (*end == '\0' && end != entry->d_name && fd >= 0 && fd < 4096)
            open_fds[fd] = true;
    }
    closedir(dir);
    int fd = 0;
    while (fd < 4096 && open_fds[fd])
        fd++;
    return fd < 4096 ? fd : -1;
}
