/* check_bounded_server.c -- the graded tests of exercise 04-bounded-server: bounded_server,
 * run as a user runs it (`./bounded_server -p 0 -q -k K`), with this test's own sockets as
 * its clients. The table at the end gives each test's points.
 *
 * A client knows it has a slot when its first echo comes back; a refused one reads "busy\n"
 * and then the end of the stream. Thread and descriptor counts are read from /proc (a test
 * that needs it is skipped, and says so, where there is none).
 */
#include "graded.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Start the server with at most K clients. */
static void start(struct server *s, const char *k)
{
    start_server(s, ((const char *const[]){"./bounded_server", "-p", "0", "-q", "-k", k, NULL}));
}

/* Send TEXT (LEN bytes) on FD and expect exactly it back within 2 s (scaled). */
static const char *check_echo(int fd, const char *text, size_t len)
{
    static char message[256];
    char got[256];
    if (send_all(fd, text, len) != 0)
        snprintf(message, sizeof message, "send failed: %s", strerror(errno));
    else if (len > sizeof got)
        snprintf(message, sizeof message, "test error: echo text too long");
    else {
        ssize_t n = recv_exact(fd, got, len, 2000);
        if (n == (ssize_t)len && memcmp(got, text, len) == 0)
            return NULL;
        if (n == 5 && memcmp(got, "busy\n", 5) == 0)
            snprintf(message, sizeof message, "the server said busy instead of echoing");
        else
            snprintf(message, sizeof message, "%zu bytes sent, %s", len,
                     n < 0              ? "no echo within 2 s"
                     : n < (ssize_t)len ? "the echo was cut short"
                                        : "the echo differs");
    }
    return message;
}
#define EXPECT_ECHO(fd, literal)                                                                   \
    do {                                                                                           \
        const char *why_ = check_echo(fd, literal, sizeof literal - 1);                            \
        ck_assert_msg(why_ == NULL, "echo of \"%s\": %s", #literal, why_);                         \
    } while (0)

/* FD must receive exactly "busy\n" and then the end of the stream. */
static const char *check_busy(int fd)
{
    static char message[256];
    size_t len;
    char *got = recv_until_eof(fd, &len, 2000);
    if (got != NULL && len == 5 && memcmp(got, "busy\n", 5) == 0) {
        free(got);
        return NULL;
    }
    snprintf(message, sizeof message,
             "a client over the limit got %s%.*s%s instead of \"busy\\n\" and the end",
             got == NULL ? "no end of stream within 2 s" : "\"",
             got != NULL ? (int)(len < 60 ? len : 60) : 0, got != NULL ? got : "",
             got != NULL ? "\"" : "");
    free(got);
    return message;
}
#define EXPECT_BUSY(fd)                                                                            \
    do {                                                                                           \
        const char *why_ = check_busy(fd);                                                         \
        ck_assert_msg(why_ == NULL, "%s", why_);                                                   \
    } while (0)

/* Connect and get a slot, trying again while the server is still busy with connections it
 * has not yet seen close (3 s, scaled). Fails the test when it never gets one. */
static int connect_served(const struct server *s)
{
    long long deadline = monotonic_ms() + scaled_ms(3000);
    for (;;) {
        int fd = connect_to(s);
        const char *why = check_echo(fd, "in?\n", 4);
        if (why == NULL)
            return fd;
        close(fd);
        ck_assert_msg(monotonic_ms() < deadline, "no slot for a new client within 3 s: %s", why);
        sleep_ms(20);
    }
}

/* Wait (5 s, scaled) until the server's thread count is WANT; returns the last count. */
static int wait_for_threads(pid_t pid, int want)
{
    long long deadline = monotonic_ms() + scaled_ms(5000);
    int n;
    while ((n = count_threads(pid)) != want && monotonic_ms() < deadline)
        sleep_ms(5);
    return n;
}

/* The server's thread count when it has no client, measured after one client has come and
 * gone: some runtimes (ThreadSanitizer) start a helper thread with the first thread. */
static int idle_threads(const struct server *s)
{
    int fd = connect_served(s);
    int with_one = count_threads(s->child.pid);
    close(fd);
    return wait_for_threads(s->child.pid, with_one - 1);
}

/* The same for open descriptors. */
static int wait_for_fds(pid_t pid, int want)
{
    long long deadline = monotonic_ms() + scaled_ms(5000);
    int n;
    while ((n = count_open_fds(pid)) != want && monotonic_ms() < deadline)
        sleep_ms(5);
    return n;
}

/* Bytes come back exactly as sent: a line, a line in three pieces, two lines in one send,
 * binary and NUL bytes. */
START_TEST(echoes_bytes_exactly)
{
    struct server s;
    start(&s, "4");
    int fd = connect_to(&s);
    EXPECT_ECHO(fd, "hello\n");
    EXPECT_ECHO(fd, "one\ntwo\n");
    EXPECT_ECHO(fd, "a\0b\r\xff\n");
    ck_assert_int_eq(send_all(fd, "pie", 3), 0);
    sleep_ms(20);
    ck_assert_int_eq(send_all(fd, "ces", 3), 0);
    char got[6];
    ck_assert_msg(recv_exact(fd, got, 6, 2000) == 6 && memcmp(got, "pieces", 6) == 0,
                  "a message sent in two pieces did not come back whole");
    close(fd);
    stop_server(&s);
}
END_TEST

/* K = 3 clients connected at the same time are all served, whatever order they talk in. */
START_TEST(serves_k_clients_at_once)
{
    struct server s;
    int fds[3];
    start(&s, "3");
    for (int i = 0; i < 3; i++)
        fds[i] = connect_to(&s);
    for (int i = 2; i >= 0; i--)
        EXPECT_ECHO(fds[i], "who is first?\n");
    for (int i = 0; i < 3; i++) {
        EXPECT_ECHO(fds[i], "again\n");
        close(fds[i]);
    }
    stop_server(&s);
}
END_TEST

/* With K = 3 clients served, the 4th gets exactly "busy\n" and is closed; the 3 are still
 * served. */
START_TEST(client_over_the_limit_gets_busy)
{
    struct server s;
    int fds[3];
    start(&s, "3");
    for (int i = 0; i < 3; i++) {
        fds[i] = connect_to(&s);
        EXPECT_ECHO(fds[i], "in\n");
    }
    int extra = connect_to(&s);
    EXPECT_BUSY(extra);
    close(extra);
    extra = connect_to(&s);
    EXPECT_BUSY(extra); /* and again: being refused takes no slot */
    close(extra);
    for (int i = 0; i < 3; i++) {
        EXPECT_ECHO(fds[i], "still served\n");
        close(fds[i]);
    }
    stop_server(&s);
}
END_TEST

/* When one of K = 2 clients leaves, its slot is free again: a new client is served (after
 * the server has noticed the departure), not told busy. */
START_TEST(slot_is_free_again_when_a_client_leaves)
{
    struct server s;
    int a, b, c;
    start(&s, "2");
    a = connect_to(&s);
    EXPECT_ECHO(a, "a\n");
    b = connect_to(&s);
    EXPECT_ECHO(b, "b\n");
    c = connect_to(&s);
    EXPECT_BUSY(c);
    close(c);
    close(a);
    /* The server needs a moment to see that a has gone: a client told busy tries again. */
    bool served = false;
    long long deadline = monotonic_ms() + scaled_ms(3000);
    while (!served && monotonic_ms() < deadline) {
        int d = connect_to(&s);
        served = check_echo(d, "d\n", 2) == NULL;
        close(d);
        if (!served)
            sleep_ms(20);
    }
    ck_assert_msg(served, "after one of 2 clients left, a new client was never served");
    EXPECT_ECHO(b, "b again\n");
    close(b);
    stop_server(&s);
}
END_TEST

/* 1000 connections opened and closed in a row (with K = 4), then 4 at once plus 20 refused:
 * the server's threads and descriptors come back to what they were. No thread is leaked. */
START_TEST(thousand_connections_leak_no_thread)
{
    struct server s;
    start(&s, "4");
    if (!have_proc())
        stop_server(&s);
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    int threads = idle_threads(&s), fds = count_open_fds(s.child.pid);
    ck_assert_msg(threads > 0 && fds > 0, "cannot read the server's /proc entries");
    for (int batch = 0; batch < 20; batch++) {
        for (int i = 0; i < 50; i++)
            close(connect_to(&s));
        /* Let it catch up: at most 4 at once are served, the rest would be told busy. */
        wait_for_threads(s.child.pid, threads);
    }
    int held[4];
    for (int i = 0; i < 4; i++)
        held[i] = connect_served(&s);
    ck_assert_int_eq(count_threads(s.child.pid), threads + 4);
    for (int i = 0; i < 20; i++) {
        int extra = connect_to(&s);
        EXPECT_BUSY(extra);
        close(extra);
    }
    for (int i = 0; i < 4; i++)
        close(held[i]);
    int now = wait_for_threads(s.child.pid, threads);
    ck_assert_msg(now == threads, "the server had %d threads before and %d after", threads, now);
    now = wait_for_fds(s.child.pid, fds);
    ck_assert_msg(now == fds, "the server had %d open descriptors before and %d after", fds, now);
    stop_server(&s);
}
END_TEST

/* Half-close: 100 KB sent, then shutdown(SHUT_WR); the whole echo still comes back, then
 * the end of the stream. */
START_TEST(half_close_gets_the_rest_then_the_end)
{
    enum { SIZE = 100000 };
    struct server s;
    char *data = malloc(SIZE), *got;
    size_t len;
    ck_assert_ptr_nonnull(data);
    for (int i = 0; i < SIZE; i++)
        data[i] = (char)(i * 31 % 251);
    start(&s, "4");
    int fd = connect_to(&s);
    ck_assert_int_eq(send_all(fd, data, SIZE), 0);
    shutdown(fd, SHUT_WR);
    got = recv_until_eof(fd, &len, 5000);
    ck_assert_msg(got != NULL, "no end of stream within 5 s after the half-close");
    ck_assert_msg(len == SIZE && memcmp(got, data, SIZE) == 0,
                  "%zu bytes came back of %d, or they differ", len, SIZE);
    free(got);
    free(data);
    close(fd);
    stop_server(&s);
}
END_TEST

/* 1 MiB without a newline is echoed exactly (sent and received at the same time). */
START_TEST(megabyte_is_echoed)
{
    enum { SIZE = 1024 * 1024 };
    struct server s;
    char *data = malloc(SIZE), *got = malloc(SIZE);
    ck_assert(data != NULL && got != NULL);
    for (int i = 0; i < SIZE; i++)
        data[i] = (char)(i * 7 % 253 + 1);
    start(&s, "4");
    int fd = connect_to(&s);
    ck_assert_msg(exchange(fd, data, SIZE, got, SIZE, 10000), "1 MiB did not come back in 10 s");
    ck_assert_msg(memcmp(got, data, SIZE) == 0, "the 1 MiB echo differs");
    close(fd);
    stop_server(&s);
    free(data);
    free(got);
}
END_TEST

/* A client that resets (RST) in the middle of a message costs only itself: the server serves
 * the next one, and the thread is gone. */
START_TEST(reset_mid_message_costs_only_that_client)
{
    struct server s;
    start(&s, "2");
    int threads = have_proc() ? idle_threads(&s) : -1;
    int a = connect_to(&s);
    EXPECT_ECHO(a, "first\n");
    ck_assert_int_eq(send_all(a, "half a mess", 11), 0);
    close_with_reset(a);
    int b = connect_to(&s);
    EXPECT_ECHO(b, "next\n");
    close(b);
    if (!have_proc()) /* the echo is checked, not the thread count */
        stop_server(&s);
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    int now = wait_for_threads(s.child.pid, threads);
    ck_assert_msg(now == threads, "the server had %d threads before and %d after", threads, now);
    stop_server(&s);
}
END_TEST

/* A client that sends 16 MiB and never reads blocks its own thread only: another client is
 * served at once; and SIGTERM still stops the server within 2 s (its thread is woken). */
START_TEST(client_that_never_reads_blocks_only_itself)
{
    struct server s;
    char *data = calloc(1, 1 << 20);
    ck_assert_ptr_nonnull(data);
    start(&s, "4");
    int hog = connect_to(&s);
    EXPECT_ECHO(hog, "hog\n");
    /* Send without reading until nothing more fits anywhere (the echo thread is then stuck in
     * send, and our socket's buffers are full): non-blocking, at most 16 MiB. */
    fcntl(hog, F_SETFL, fcntl(hog, F_GETFL) | O_NONBLOCK);
    size_t total = 0;
    long long last_progress = monotonic_ms();
    while (total < (16u << 20) && monotonic_ms() - last_progress < 200) {
        ssize_t n = send(hog, data, 1 << 20, 0); /* SIGPIPE is ignored here */
        if (n > 0) {
            total += (size_t)n;
            last_progress = monotonic_ms();
        } else {
            sleep_ms(10); /* full for now: the server may still drain some */
        }
    }
    int b = connect_to(&s);
    long long start_ms = monotonic_ms();
    EXPECT_ECHO(b, "not blocked\n");
    ck_assert_msg(monotonic_ms() - start_ms < scaled_ms(2000), "the second client waited %lld ms",
                  monotonic_ms() - start_ms);
    close(b);
    stop_server(&s);
    close(hog);
    free(data);
}
END_TEST

/* SIGTERM with K = 3 clients connected (one in the middle of a message): the server closes
 * them (each sees the end of its stream) and exits 0 within 2 s. */
START_TEST(sigterm_with_clients_connected_exits_0)
{
    struct server s;
    int fds[3];
    start(&s, "3");
    for (int i = 0; i < 3; i++) {
        fds[i] = connect_to(&s);
        EXPECT_ECHO(fds[i], "here\n");
    }
    ck_assert_int_eq(send_all(fds[1], "half", 4), 0);
    char got[4];
    ck_assert(recv_exact(fds[1], got, 4, 2000) == 4);
    stop_server(&s);
    for (int i = 0; i < 3; i++) {
        size_t len;
        char *rest = recv_until_eof(fds[i], &len, 1000);
        ck_assert_msg(rest != NULL, "client %d was not closed when the server stopped", i + 1);
        free(rest);
        close(fds[i]);
    }
}
END_TEST

/* Out of descriptors (a limit of 32 open files, 50 clients, K = 100): the server does not
 * spin on accept() (it stays nearly idle), and once clients leave, the ones still waiting
 * are served. The limit is set on the running server from outside (prlimit), after any
 * raise of its own at start. */
START_TEST(running_out_of_descriptors_does_not_spin)
{
    enum { CLIENTS = 50, LIMIT = 32, CLOSE = 30 };
    struct server s;
    int fds[CLIENTS];
    start(&s, "100");
    if (!have_prlimit() || !have_proc())
        stop_server(&s);
    SKIP_UNLESS(have_prlimit() && have_proc(), "needs Linux (prlimit, /proc)");
    ck_assert_msg(set_fd_limit(s.child.pid, LIMIT) >= 0, "prlimit: %s", strerror(errno));
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = connect_to(&s); /* the kernel completes them all; the server takes what it can */
    int lowest = wait_for_count(lowest_free_fd, s.child.pid, LIMIT, 5000);
    ck_assert_msg(lowest >= LIMIT,
                  "with %d clients and a limit of %d open files, the server never ran out of "
                  "descriptors (the lowest free one is %d): the test did not test",
                  CLIENTS, LIMIT, lowest);
    long cpu_used = settled_cpu_ms(s.child.pid, 150);
    ck_assert_msg(cpu_used >= 0 && cpu_used < 150,
                  "the server used %ld ms of CPU in every half second for 3 s while out of "
                  "descriptors: it spins",
                  cpu_used);
    for (int i = 0; i < CLOSE; i++)
        close(fds[i]);
    for (int i = CLOSE; i < CLIENTS; i++) {
        const char *why = check_echo(fds[i], "late\n", 5);
        ck_assert_msg(why == NULL, "client %d of %d, waiting while descriptors ran out: %s", i + 1,
                      CLIENTS, why);
        close(fds[i]);
    }
    stop_server(&s);
}
END_TEST

/* Under the fault-injection library (tests/fault_inject.so, preloaded into the server):
 * every send() and recv() short (at most half the bytes), every third one and every second
 * accept() failing with EINTR, every fifth poll() or select() interrupted. Two clients are
 * echoed exactly: a line, a line in two pieces, every byte value, 1 MiB; then SIGTERM still
 * stops the server with status 0. */
START_TEST(echo_survives_short_transfers_and_eintr)
{
    enum { SIZE = 1024 * 1024 };
    struct server s;
    char all[256], got[256], *data = malloc(SIZE), *back = malloc(SIZE);
    ck_assert(data != NULL && back != NULL);
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    for (int i = 0; i < SIZE; i++)
        data[i] = (char)(i * 7 % 253 + 1);
    start_faults("send+recv:short;send+recv:eintr@every=3;accept:eintr@every=2;"
                 "poll:eintr@every=5");
    start(&s, "4");
    start_faults(NULL);
    int a = connect_to(&s), b = connect_to(&s);
    EXPECT_ECHO(a, "hello\n");
    EXPECT_ECHO(b, "second client\n");
    ck_assert_int_eq(send_all(b, "pie", 3), 0);
    sleep_ms(20);
    ck_assert_int_eq(send_all(b, "ces\n", 4), 0);
    ck_assert_msg(recv_exact(b, got, 7, 2000) == 7 && memcmp(got, "pieces\n", 7) == 0,
                  "a message sent in two pieces did not come back whole");
    const char *why = check_echo(a, all, sizeof all);
    ck_assert_msg(why == NULL, "echo of every byte value: %s", why);
    ck_assert_msg(exchange(b, data, SIZE, back, SIZE, 10000), "1 MiB did not come back in 10 s");
    ck_assert_msg(memcmp(back, data, SIZE) == 0, "the 1 MiB echo differs");
    close(a);
    close(b);
    free(data);
    free(back);
    if (!have_preload()) /* the echo is checked, not the faults */
        stop_server(&s);
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    int shorts = faults_injected(&s.child, "short"), eintrs = faults_injected(&s.child, "EINTR");
    ck_assert_msg(shorts >= 10 && eintrs >= 10,
                  "only %d short transfers and %d EINTR were injected: the test did not test "
                  "(does the server use send() and recv()?)",
                  shorts, eintrs);
    stop_server(&s);
}
END_TEST

/* The command line: -h prints the usage (exit 0); a bad port or K is bad usage (exit 2); a
 * port in use is a runtime failure: exit 1 and "bounded_server: bind 127.0.0.1:PORT: Address
 * already in use"; stdout carries only the listening line; SIGINT stops it too. */
START_TEST(command_line_and_address_in_use)
{
    struct server s;
    start(&s, "4");
    expect_address_in_use("./bounded_server", s.port);
    stop_server(&s);
    /* Without -q, notes go to stderr, never to stdout; SIGINT stops it like SIGTERM. */
    start_server(&s, ((const char *const[]){"./bounded_server", "-p", "0", NULL}));
    int fd = connect_to(&s);
    EXPECT_ECHO(fd, "noted?\n");
    close(fd);
    expect_only_listening_line(&s, SIGINT);
    /* 0050007: five digits at most, the kit's one rule for ports (cli.c). */
    const char *const bad[][2] = {{"-p", "abc"},     {"-p", "70000"}, {"-p", "-1"},
                                  {"-p", "0050007"}, {"-k", "0"},     {"-k", "x"}};
    expect_usage_errors("./bounded_server", bad, 6);
}
END_TEST

int main(void)
{
    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(echoes_bytes_exactly, 2, 10),
        GRADED(serves_k_clients_at_once, 2, 10),
        GRADED(client_over_the_limit_gets_busy, 3, 10),
        GRADED(slot_is_free_again_when_a_client_leaves, 2, 10),
        GRADED(thousand_connections_leak_no_thread, 3, 30),
        GRADED(half_close_gets_the_rest_then_the_end, 2, 10),
        GRADED(megabyte_is_echoed, 1, 15),
        GRADED(reset_mid_message_costs_only_that_client, 1, 10),
        GRADED(client_that_never_reads_blocks_only_itself, 2, 15),
        GRADED(sigterm_with_clients_connected_exits_0, 2, 10),
        GRADED(running_out_of_descriptors_does_not_spin, 2, 20),
        GRADED(command_line_and_address_in_use, 1, 15),
        GRADED(echo_survives_short_transfers_and_eintr, 2, 20),
    };
    return graded_main("04-bounded-server", tests, sizeof tests / sizeof tests[0]);
}
