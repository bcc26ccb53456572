/* graded.c -- the graded-test runner and the network tests' helpers (see graded.h). Test
 * code, held to the kit's standard: every call checked, every wait bounded. */
#define _DEFAULT_SOURCE /* waitid's WNOWAIT with glibc's older headers; getrlimit */

#include "graded.h"

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

int graded_main(const char *suite_name, const struct graded_test *tests, size_t count)
{
    Suite *suite = suite_create(suite_name);
    for (size_t i = 0; i < count; i++) {
        /* One test case per graded item: its own timeout, its own line in the logs. */
        TCase *tc = tcase_create(tests[i].test->name);
        tcase_set_timeout(tc, tests[i].timeout);
        tcase_add_test(tc, tests[i].test);
        suite_add_tcase(suite, tc);
    }
    signal(SIGPIPE, SIG_IGN);
    SRunner *runner = srunner_create(suite);
    /* Fork mode (timeouts and crash isolation need it), unless someone debugging asks for
     * one process that gdb can follow: CK_FORK=no (README: Debugging). */
    const char *fork_mode = getenv("CK_FORK");
    srunner_set_fork_status(runner, fork_mode != NULL && strcmp(fork_mode, "no") == 0 ? CK_NOFORK
                                                                                      : CK_FORK);
    srunner_run_all(runner, CK_ENV);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* --- Programs ------------------------------------------------------------------------ */

void fail_with_stderr_at(const char *file, int line, const struct child *c, const char *what)
{
    /* Without the fault-injection library's notes: what the program said is what helps. */
    char *err = without_fault_notes(child_stderr(c));
    size_t len = strlen(err);
    /* Check's messages have a size limit: the end of stderr says most. */
    const char *tail = len > 1500 ? err + len - 1500 : err;
    char message[2048];
    snprintf(message, sizeof message, "%s; its stderr%s:\n%s", what, len > 1500 ? " ends" : "",
             *tail != '\0' ? tail : "(empty)\n");
    free(err);
    _ck_assert_failed(file, line, "Failed", "%s", message);
}

bool child_running(const struct child *c)
{
    siginfo_t info;

    if (c->pid <= 0)
        return false;
    memset(&info, 0, sizeof info);
    /* WNOWAIT: look without reaping, so that child_wait() still gets the status. */
    if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        return false;
    return info.si_pid == 0;
}

void start_server_at(const char *file, int line, struct server *s, const char *const argv[])
{
    char first[256], what[512];
    const char prefix[] = "listening on ";

    memset(s, 0, sizeof *s);
    if (child_start(&s->child, argv, 0) < 0)
        _ck_assert_failed(file, line, "Failed", "cannot start %s: %s", argv[0], strerror(errno));
    /* Generous: under valgrind a server takes a few seconds to start. read_line returns
     * at once when the server exits instead (end of its stdout). */
    ssize_t n = read_line(s->child.out, first, sizeof first, 5000);
    if (n >= 0 && strncmp(first, prefix, sizeof prefix - 1) == 0) {
        char *address = first + sizeof prefix - 1;
        char *colon = strrchr(address, ':');
        if (colon != NULL) {
            *colon = '\0';
            s->port = atoi(colon + 1);
            if (address[0] == '[') { /* [::1] -> ::1 */
                address++;
                address[strcspn(address, "]")] = '\0';
            }
            snprintf(s->host, sizeof s->host, "%.63s", address);
            if (s->port > 0 && s->port <= 65535)
                return;
        }
    }
    /* Why not? When its stdout ended, it has exited or is about to: give it 200 ms. */
    int code = -2;
    for (int i = 0; i < 100 && code == -2 && n < 0; i++) {
        if (!child_running(&s->child))
            code = child_wait(&s->child, 100);
        else
            sleep_ms(2);
    }
    if (code == -2)
        snprintf(what, sizeof what, "%s did not print 'listening on HOST:PORT' (got '%s')", argv[0],
                 n >= 0 ? first : "");
    else
        snprintf(what, sizeof what, "%s exited with status %d before it printed 'listening on'",
                 argv[0], code);
    fail_with_stderr_at(file, line, &s->child, what);
}

void stop_server_at(const char *file, int line, struct server *s)
{
    char what[256];
    int code = child_stop(&s->child, SIGTERM, 2000);
    if (code != 0) {
        if (code == -1)
            snprintf(what, sizeof what, "the server did not exit within 2 s of SIGTERM (killed)");
        else
            snprintf(what, sizeof what, "the server exited with status %d after SIGTERM, not 0",
                     code);
        fail_with_stderr_at(file, line, &s->child, what);
    }
    child_close(&s->child);
}

void expect_usage_errors_at(const char *file, int line, const char *program,
                            const char *const (*bad)[2], int n)
{
    struct run r;

    if (run_program(&r, NULL, 0, 5000, (const char *const[]){program, "-h", NULL}, 0) != 0)
        _ck_assert_failed(file, line, "Failed", "cannot run %s: %s", program, strerror(errno));
    bool ok = r.code == 0 && strncmp(r.out, "Usage: ", 7) == 0;
    if (!ok)
        _ck_assert_failed(file, line, "Failed",
                          "%s -h: exit %d, stdout \"%.200s\"; expected 0 and \"Usage: ...\"",
                          program, r.code, r.out);
    run_free(&r);
    for (int i = 0; i < n; i++) {
        if (run_program(&r, NULL, 0, 5000,
                        (const char *const[]){program, bad[i][0], bad[i][1], NULL}, 0) != 0)
            _ck_assert_failed(file, line, "Failed", "cannot run %s: %s", program, strerror(errno));
        ok = r.code == 2 && strstr(r.err, "Usage: ") != NULL;
        if (!ok)
            _ck_assert_failed(file, line, "Failed",
                              "%s %s '%s': exit %d, stderr \"%.200s\"; expected 2 and the usage",
                              program, bad[i][0], bad[i][1], r.code, r.err);
        run_free(&r);
    }
}

void expect_address_in_use_at(const char *file, int line, const char *program, int port)
{
    struct run r;
    char text[16], expected[256];
    const char *name = strrchr(program, '/') != NULL ? strrchr(program, '/') + 1 : program;

    snprintf(text, sizeof text, "%d", port);
    snprintf(expected, sizeof expected, "%s: bind 127.0.0.1:%d: Address already in use\n", name,
             port);
    if (run_program(&r, NULL, 0, 5000, (const char *const[]){program, "-p", text, "-q", NULL}, 0) !=
        0)
        _ck_assert_failed(file, line, "Failed", "cannot run %s: %s", program, strerror(errno));
    bool ok = r.code == 1 && strcmp(r.err, expected) == 0;
    if (!ok)
        _ck_assert_failed(file, line, "Failed",
                          "a second %s on port %d exited %d with stderr \"%.300s\"; expected 1 "
                          "and \"%.*s\"",
                          name, port, r.code, r.err, (int)strlen(expected) - 1, expected);
    run_free(&r);
}

void expect_only_listening_line_at(const char *file, int line, struct server *s, int signal_number)
{
    char what[256], rest[256];
    int code = child_stop(&s->child, signal_number, 2000);
    if (code != 0) {
        snprintf(what, sizeof what, "the server exited with status %d after signal %d, not 0", code,
                 signal_number);
        fail_with_stderr_at(file, line, &s->child, what);
    }
    /* It has exited: whatever it wrote to stdout is in the pipe, then the end. */
    size_t n = read_exact(s->child.out, rest, sizeof rest - 1, 1000);
    rest[n] = '\0';
    if (n > 0)
        _ck_assert_failed(file, line, "Failed",
                          "after its listening line the server wrote to stdout: \"%s\" (notes go "
                          "to stderr)",
                          rest);
    child_close(&s->child);
}

/* --- Sockets ------------------------------------------------------------------------- */

int connect_to_at(const char *file, int line, const struct server *s)
{
    int fd = tcp_connect(s->host, s->port);
    if (fd < 0)
        _ck_assert_failed(file, line, "Failed", "cannot connect to %s:%d: %s", s->host, s->port,
                          strerror(errno));
    return fd;
}

char *socket_address(int fd, bool local, char *text, size_t size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    char host[INET6_ADDRSTRLEN], port[8];

    int rc = local ? getsockname(fd, (struct sockaddr *)&address, &length)
                   : getpeername(fd, (struct sockaddr *)&address, &length);
    if (rc != 0 || getnameinfo((struct sockaddr *)&address, length, host, sizeof host, port,
                               sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(text, size, "?");
        return text;
    }
    snprintf(text, size, address.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    return text;
}

int listen_local(int *port)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t length = sizeof address;

    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
    ck_assert_msg(bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
                      listen(fd, 16) == 0 &&
                      getsockname(fd, (struct sockaddr *)&address, &length) == 0,
                  "listen on 127.0.0.1:0: %s", strerror(errno));
    *port = ntohs(address.sin_port);
    return fd;
}

int accept_from(int listener, const struct child *c, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    /* Look at the listener in short slices, and between them at whether the program has
     * exited: a stub that exits at once fails the test at once, not at the deadline. */
    while (monotonic_ms() < deadline) {
        struct pollfd p = {.fd = listener, .events = POLLIN};
        int n = poll(&p, 1, 20);
        if (n > 0) {
            int fd = accept(listener, NULL, NULL);
            if (fd >= 0)
                return fd;
        }
        if (!child_running(c))
            return -1;
    }
    return -1;
}

struct conn *conn_new(int fd)
{
    struct conn *c = malloc(sizeof *c);
    ck_assert_msg(c != NULL, "out of memory");
    c->fd = fd;
    c->start = c->end = 0;
    return c;
}

/* Refill C's empty buffer before DEADLINE. Returns bytes read, 0 at EOF or reset, -1 on
 * timeout or another error. */
static ssize_t conn_fill(struct conn *c, long long deadline)
{
    for (;;) {
        long long left = deadline - monotonic_ms();
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        ssize_t got = recv(c->fd, c->buffer, sizeof c->buffer, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno == ECONNRESET ? 0 : -1;
        c->start = 0;
        c->end = (size_t)got;
        return got;
    }
}

ssize_t conn_line(struct conn *c, char *line, size_t size, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t len = 0, kept = 0;

    for (;;) {
        if (c->start == c->end) {
            ssize_t got = conn_fill(c, deadline);
            if (got <= 0) {
                line[kept] = '\0';
                return got == 0 && len == 0 ? 0 : -1;
            }
        }
        char *start = c->buffer + c->start;
        char *newline = memchr(start, '\n', c->end - c->start);
        size_t n = newline != NULL ? (size_t)(newline - start) + 1 : c->end - c->start;
        size_t room = size - 1 - kept;
        memcpy(line + kept, start, n < room ? n : room);
        kept += n < room ? n : room;
        len += n;
        c->start += n;
        if (newline != NULL) {
            line[kept] = '\0';
            return (ssize_t)len;
        }
    }
}

bool conn_exact(struct conn *c, void *out, size_t len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t got = 0;

    while (got < len) {
        if (c->start == c->end && conn_fill(c, deadline) <= 0)
            return false;
        size_t n = c->end - c->start < len - got ? c->end - c->start : len - got;
        memcpy((char *)out + got, c->buffer + c->start, n);
        c->start += n;
        got += n;
    }
    return true;
}

bool conn_quiet(struct conn *c, int ms)
{
    if (c->start != c->end)
        return false;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    long long deadline = monotonic_ms() + ms;
    for (;;) {
        long long left = deadline - monotonic_ms();
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        return n == 0;
    }
}

bool conn_closed(struct conn *c, int timeout_ms, size_t *dropped)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t total = c->end - c->start;

    c->start = c->end;
    for (;;) {
        ssize_t got = conn_fill(c, deadline);
        if (got < 0)
            break;
        c->start = c->end;
        if (got == 0) {
            if (dropped != NULL)
                *dropped = total;
            return true;
        }
        total += (size_t)got;
    }
    if (dropped != NULL)
        *dropped = total;
    return false;
}

size_t read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t got = 0;
    while (got < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long long left = deadline - monotonic_ms();
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

long settled_cpu_ms(pid_t pid, long limit_ms)
{
    long used = -1;
    long long deadline = monotonic_ms() + scaled_ms(3000);
    do {
        long before = cpu_time_ms(pid);
        sleep_ms(500);
        long after = cpu_time_ms(pid);
        used = before < 0 || after < 0 ? -1 : after - before;
    } while (used >= limit_ms && monotonic_ms() < deadline);
    return used;
}

/* --- Fault injection ------------------------------------------------------------------ */

void start_faults(const char *rules)
{
    if (rules != NULL)
        setenv("FAULT_INJECT_LOG", "1", 1);
    else
        unsetenv("FAULT_INJECT_LOG");
    fault_injection(rules);
}

int fault_notes(const char *stderr_text, const char *kind)
{
    char want[32];
    int n = 0;
    snprintf(want, sizeof want, ": %s\n", kind);
    size_t len = strlen(want);
    /* Line by line: strstr over the whole rest costs a sanitizer's interceptor a strlen of
     * that rest at every call, quadratic in the tens of thousands of notes of a 1 MiB test
     * (11-15 s under ASan instead of 0.1 s). */
    for (const char *p = stderr_text, *end; (end = strchr(p, '\n')) != NULL; p = end + 1) {
        const char *note = p;
        while (note < end && strncmp(note, "fault_inject: fd ", 17) != 0)
            note++;
        n += note < end && (size_t)(end + 1 - note) >= len && memcmp(end + 1 - len, want, len) == 0;
    }
    return n;
}

int faults_injected(const struct child *c, const char *kind)
{
    char *err = child_stderr(c);
    int n = fault_notes(err, kind);
    free(err);
    return n;
}

char *without_fault_notes(char *text)
{
    char *out = text;
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) + 1 : strlen(p);
        if (strncmp(p, "fault_inject: ", 14) != 0) {
            memmove(out, p, len);
            out += len;
        }
        p += len;
    }
    *out = '\0';
    return text;
}
