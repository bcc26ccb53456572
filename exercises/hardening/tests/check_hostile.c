/* check_hostile.c -- hostile clients against the exercises' REFERENCE servers,
 * 04-bounded-server/solution/bounded_server and 05-chat-server/solution/chat_server: the
 * cases of the kit's robustness list that their graded suites do not cover, or cover only
 * at a student's scale. Instructors only and not graded (README.md in this folder says
 * why): they prove that the reference solutions hold what the kit promises.
 *
 * - 200 idle connections while a normal client is served within a second;
 * - a client that never reads while the server has megabytes for it: the server's memory
 *   (VmRSS from /proc, sampled all along) stays bounded;
 * - a burst of 100 clients resetting at once: the server's threads and descriptors come
 *   back to where they were, and it serves the next client.
 * (1 MiB without a newline, binary and NUL bytes, reset mid-message, half-close, 1000
 * connections in a row, EMFILE and a port in use are graded tests of the exercises.)
 */
#include "graded.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char BOUNDED[] = "../04-bounded-server/solution/bounded_server";
static const char CHAT[] = "../05-chat-server/solution/chat_server";

/* How much a server's memory may grow (KiB) while it holds a client that never reads:
 * natively a few MiB (the chat server queues at most 1 MiB for it); more under valgrind
 * or a sanitizer, whose own bookkeeping grows with every allocation (shadow memory, freed
 * blocks kept for a while). */
static long growth_limit_kib(void)
{
    return scaled_ms(1) == 1 && MEMORY_MEASURABLE ? 4 * 1024 : 24 * 1024;
}

/* Send TEXT on FD and expect it back within TIMEOUT_MS (scaled). */
static bool echoed(int fd, const char *text, int timeout_ms)
{
    char got[64];
    size_t len = strlen(text);
    return send_all(fd, text, len) == 0 && recv_exact(fd, got, len, timeout_ms) == (ssize_t)len &&
           memcmp(got, text, len) == 0;
}

/* --- 04-bounded-server ------------------------------------------------------------------- */

static void start_bounded(struct server *s, const char *k)
{
    start_server(s, ((const char *const[]){BOUNDED, "-p", "0", "-q", "-k", k, NULL}));
}

/* 200 clients connected and silent (each with its thread, -k 300): one more is echoed
 * within a second; when the 200 leave, the thread count comes back. */
START_TEST(bounded_server_200_idle_clients_one_served_within_a_second)
{
    enum { IDLE = 200 };
    struct server s;
    int idle[IDLE];
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(IDLE + 50), "needs 250 open files (ulimit -n)");
    start_bounded(&s, "300");
    int probe = connect_to(&s);
    ck_assert(echoed(probe, "warm up\n", 2000));
    int threads = count_threads(s.child.pid);
    close(probe);
    threads = wait_for_count(count_threads, s.child.pid, threads - 1, 5000);
    for (int i = 0; i < IDLE; i++)
        idle[i] = connect_to(&s);
    int now = wait_for_count(count_threads, s.child.pid, threads + IDLE, 5000);
    ck_assert_msg(now == threads + IDLE, "%d threads for %d idle clients (%d before)", now, IDLE,
                  threads);
    long long start = monotonic_ms();
    int fd = connect_to(&s);
    ck_assert_msg(echoed(fd, "served?\n", 1000), "no echo within a second");
    ck_assert_msg(monotonic_ms() - start < scaled_ms(1000), "served after %lld ms",
                  monotonic_ms() - start);
    close(fd);
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);
    now = wait_for_count(count_threads, s.child.pid, threads, 5000);
    ck_assert_msg(now == threads, "%d threads before the idle clients, %d after", threads, now);
    stop_server(&s);
}
END_TEST

/* A client that sends without ever reading, until nothing more fits (its echo thread stuck
 * in send): the server's resident memory grows by at most a few MiB, and another client is
 * served meanwhile. */
START_TEST(bounded_server_memory_bounded_with_a_client_that_never_reads)
{
    struct server s;
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    char *data = calloc(1, 1 << 20);
    ck_assert_ptr_nonnull(data);
    start_bounded(&s, "4");
    int hog = connect_to(&s);
    ck_assert(echoed(hog, "hog\n", 2000));
    long before = resident_kib(s.child.pid), peak = before;
    ck_assert_msg(before > 0, "cannot read the server's VmRSS");
    fcntl(hog, F_SETFL, fcntl(hog, F_GETFL) | O_NONBLOCK);
    size_t total = 0;
    long long last_progress = monotonic_ms();
    while (total < (64u << 20) && monotonic_ms() - last_progress < 300) {
        ssize_t n = send(hog, data, 1 << 20, 0); /* SIGPIPE is ignored here */
        if (n > 0) {
            total += (size_t)n;
            last_progress = monotonic_ms();
        } else {
            sleep_ms(10);
        }
        long rss = resident_kib(s.child.pid);
        peak = rss > peak ? rss : peak;
    }
    ck_assert_msg(total >= 1u << 20, "only %zu bytes went out: the test did not test", total);
    int other = connect_to(&s);
    ck_assert_msg(echoed(other, "still served\n", 2000), "another client was not served");
    long rss = resident_kib(s.child.pid);
    peak = rss > peak ? rss : peak;
    ck_assert_msg(peak - before <= growth_limit_kib(),
                  "the server's memory grew by %ld KiB (from %ld KiB) with %zu bytes sent by a "
                  "client that never reads",
                  peak - before, before, total);
    close(other);
    stop_server(&s);
    close(hog);
    free(data);
}
END_TEST

/* 100 clients connected and served, then all reset (RST) at once: every thread and
 * descriptor comes back, and a new client is served. */
START_TEST(bounded_server_burst_of_resets)
{
    enum { CLIENTS = 100 };
    struct server s;
    int fds[CLIENTS];
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CLIENTS + 50), "needs 150 open files (ulimit -n)");
    start_bounded(&s, "200");
    int probe = connect_to(&s);
    ck_assert(echoed(probe, "warm up\n", 2000));
    int threads = count_threads(s.child.pid);
    close(probe);
    threads = wait_for_count(count_threads, s.child.pid, threads - 1, 5000);
    int open_fds = count_open_fds(s.child.pid);
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = connect_to(&s);
        ck_assert_msg(echoed(fds[i], "in\n", 2000), "client %d was not served", i + 1);
    }
    for (int i = 0; i < CLIENTS; i++)
        close_with_reset(fds[i]);
    int now = wait_for_count(count_threads, s.child.pid, threads, 5000);
    ck_assert_msg(now == threads, "%d threads before, %d after the resets", threads, now);
    now = wait_for_count(count_open_fds, s.child.pid, open_fds, 5000);
    ck_assert_msg(now == open_fds, "%d descriptors before, %d after the resets", open_fds, now);
    int fd = connect_to(&s);
    ck_assert(echoed(fd, "after the burst\n", 2000));
    close(fd);
    stop_server(&s);
}
END_TEST

/* --- 05-chat-server ---------------------------------------------------------------------- */

static const char *const CHAT_ARGV[] = {CHAT, "-p", "0", "-q", NULL};

/* A chat client of the test. */
struct peer {
    int fd;
    struct conn *conn;
    char address[64];
};

static void peer_connect(const struct server *s, struct peer *p)
{
    p->fd = connect_to(s);
    p->conn = conn_new(p->fd);
    socket_address(p->fd, true, p->address, sizeof p->address);
}

static void peer_close(struct peer *p)
{
    close(p->fd);
    free(p->conn);
}

/* The next line P receives (2 s, scaled) must be exactly WANT. */
static void expect_line(struct peer *p, const char *want)
{
    char line[8192];
    ssize_t n = conn_line(p->conn, line, sizeof line, 2000);
    ck_assert_msg(n > 0 && strcmp(line, want) == 0, "%s expected \"%s\", got %s%s", p->address,
                  want,
                  n > 0    ? line
                  : n == 0 ? "the end"
                           : "nothing",
                  n > 0 ? "" : " within 2 s");
}

/* Connect P; W, already in, must be told it joined. */
static void join_watched(const struct server *s, struct peer *p, struct peer *w)
{
    char want[128];
    peer_connect(s, p);
    snprintf(want, sizeof want, "* %s joined\n", p->address);
    expect_line(w, want);
}

/* 200 connections that never send nor read: two clients still chat, every line across
 * within a second. */
START_TEST(chat_server_200_idle_clients_do_not_delay_a_chat)
{
    enum { IDLE = 200 };
    struct server s;
    struct peer a, b;
    int idle[IDLE];
    SKIP_UNLESS(need_fds(IDLE + 50), "needs 250 open files (ulimit -n)");
    start_server(&s, CHAT_ARGV);
    for (int i = 0; i < IDLE; i++)
        idle[i] = connect_to(&s);
    peer_connect(&s, &a);
    join_watched(&s, &b, &a);
    for (int round = 0; round < 20; round++) {
        char want[128];
        long long start = monotonic_ms();
        ck_assert_int_eq(send_all(a.fd, "ping\n", 5), 0);
        snprintf(want, sizeof want, "%s: ping\n", a.address);
        expect_line(&b, want);
        ck_assert_int_eq(send_all(b.fd, "pong\n", 5), 0);
        snprintf(want, sizeof want, "%s: pong\n", b.address);
        expect_line(&a, want);
        ck_assert_msg(monotonic_ms() - start < scaled_ms(1000), "a round trip took %lld ms",
                      monotonic_ms() - start);
    }
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);
    peer_close(&a);
    peer_close(&b);
    stop_server(&s);
}
END_TEST

/* A's side of the test below: send LINES lines, but never more than WINDOW ahead of what B
 * has received. B reads as fast as it can, so the server never has more than WINDOW lines
 * (some 130 KiB) waiting for B, however busy the machine: the one client it drops is the
 * one that does not read. (Unpaced, this sender could outrun the test's own reader, and
 * the server rightly dropped B, "too slow (1 MiB waiting)": 1 run in 100 under ASan, 11 in
 * 180 with a CPU busy.) */
struct flood {
    int fd;
    size_t lines, line_len, window;
    const char *data; /* LINES lines of LINE_LEN bytes, one after the other */
    pthread_mutex_t lock;
    pthread_cond_t progress; /* B has received one more line */
    size_t received;         /* lines B has received, under LOCK */
};

static void *send_lines(void *arg)
{
    struct flood *f = arg;
    for (size_t i = 0; i < f->lines; i++) {
        pthread_mutex_lock(&f->lock);
        while (i - f->received >= f->window)
            pthread_cond_wait(&f->progress, &f->lock);
        pthread_mutex_unlock(&f->lock);
        if (send_all(f->fd, f->data + i * f->line_len, f->line_len) != 0)
            break; /* the server dropped A: the reader's check says so */
    }
    return NULL;
}

/* B's side: one more line received. */
static void line_received(struct flood *f)
{
    pthread_mutex_lock(&f->lock);
    f->received++;
    pthread_cond_signal(&f->progress);
    pthread_mutex_unlock(&f->lock);
}

/* A client that never reads (4 KiB receive buffer) while another sends 8 MiB of lines that
 * the server must pass on to it: the reading client gets them all, in order, the silent one
 * is dropped at 1 MiB queued, and the server's resident memory grows by at most a few MiB. */
START_TEST(chat_server_memory_bounded_with_a_client_that_never_reads)
{
    enum { LINES = 8192, LINE = 1024, WINDOW = 128 };
    struct server s;
    struct peer slow, a, b;
    pthread_t thread;
    char got[LINE + 100];
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    /* Each line carries its number, so that order shows: "line 000042 mmm...m\n". */
    char *data = malloc((size_t)LINES * LINE);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < LINES; i++) {
        char *line = data + i * LINE;
        int k = snprintf(line, LINE, "line %06zu ", i);
        memset(line + k, 'm', (size_t)(LINE - 1 - k));
        line[LINE - 1] = '\n';
    }
    start_server(&s, CHAT_ARGV);
    /* The silent one: a 4 KiB receive buffer, set before connecting (the window is agreed
     * on then), so that the kernel cannot hide much for it. */
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s.port)};
    int small = 4096;
    ck_assert(inet_pton(AF_INET, s.host, &address.sin_addr) == 1);
    slow.fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert(slow.fd >= 0 &&
              setsockopt(slow.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0 &&
              connect(slow.fd, (struct sockaddr *)&address, sizeof address) == 0);
    slow.conn = conn_new(slow.fd);
    socket_address(slow.fd, true, slow.address, sizeof slow.address);
    join_watched(&s, &a, &slow);
    join_watched(&s, &b, &a);
    long before = resident_kib(s.child.pid), peak = before;
    ck_assert_msg(before > 0, "cannot read the server's VmRSS");
    struct flood f = {.fd = a.fd, .lines = LINES, .line_len = LINE, .window = WINDOW, .data = data};
    pthread_mutex_init(&f.lock, NULL);
    pthread_cond_init(&f.progress, NULL);
    ck_assert_int_eq(pthread_create(&thread, NULL, send_lines, &f), 0);
    char left[128];
    snprintf(left, sizeof left, "* %s left\n", slow.address);
    size_t head = strlen(a.address) + 2, received = 0;
    bool dropped = false;
    while (received < LINES) {
        ssize_t n = conn_line(b.conn, got, sizeof got, 10000);
        ck_assert_msg(n > 0, "after %zu lines the reading client got %s", received,
                      n == 0 ? "the end of its stream" : "nothing more for 10 s");
        if (strcmp(got, left) == 0) {
            dropped = true;
            continue;
        }
        ck_assert_msg((size_t)n == head + LINE &&
                          memcmp(got + head, data + received * LINE, LINE) == 0,
                      "line %zu of %d arrived wrong or out of order", received + 1, LINES);
        line_received(&f);
        if (++received % 64 == 0) {
            long rss = resident_kib(s.child.pid);
            peak = rss > peak ? rss : peak;
        }
    }
    pthread_join(thread, NULL);
    pthread_cond_destroy(&f.progress);
    pthread_mutex_destroy(&f.lock);
    if (!dropped)
        dropped = conn_line(b.conn, got, sizeof got, 2000) > 0 && strcmp(got, left) == 0;
    ck_assert_msg(dropped, "the client that never reads was not dropped");
    ck_assert_msg(peak - before <= growth_limit_kib(),
                  "the server's memory grew by %ld KiB (from %ld KiB) while a client did not "
                  "read",
                  peak - before, before);
    peer_close(&slow);
    peer_close(&a);
    peer_close(&b);
    stop_server(&s);
    free(data);
}
END_TEST

/* 100 clients in the chat, then all reset (RST) at once: the watcher hears 100 "left", the
 * server's descriptors come back to where they were, and the chat goes on. */
START_TEST(chat_server_burst_of_resets)
{
    enum { CLIENTS = 100 };
    struct server s;
    struct peer w, h, c, clients[CLIENTS];
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    SKIP_UNLESS(need_fds(CLIENTS + 50), "needs 150 open files (ulimit -n)");
    start_server(&s, CHAT_ARGV);
    peer_connect(&s, &w);
    join_watched(&s, &h, &w); /* W is told H joined: both are in, their descriptors open */
    int open_fds = count_open_fds(s.child.pid);
    for (int i = 0; i < CLIENTS; i++)
        join_watched(&s, &clients[i], &w);
    for (int i = 0; i < CLIENTS; i++) {
        close_with_reset(clients[i].fd);
        free(clients[i].conn);
    }
    int left = 0;
    char line[256];
    while (left < CLIENTS && conn_line(w.conn, line, sizeof line, 5000) > 0)
        left += strncmp(line, "* ", 2) == 0 && strstr(line, " left\n") != NULL;
    ck_assert_msg(left == CLIENTS, "the watcher heard %d of %d clients leave", left, CLIENTS);
    int now = wait_for_count(count_open_fds, s.child.pid, open_fds, 5000);
    ck_assert_msg(now == open_fds, "%d descriptors before, %d after the resets", open_fds, now);
    join_watched(&s, &c, &w);
    char want[128];
    ck_assert_int_eq(send_all(c.fd, "after the burst\n", 16), 0);
    snprintf(want, sizeof want, "%s: after the burst\n", c.address);
    expect_line(&w, want);
    peer_close(&w);
    peer_close(&h);
    peer_close(&c);
    stop_server(&s);
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        bounded_server_200_idle_clients_one_served_within_a_second,
        bounded_server_memory_bounded_with_a_client_that_never_reads,
        bounded_server_burst_of_resets,
        chat_server_200_idle_clients_do_not_delay_a_chat,
        chat_server_memory_bounded_with_a_client_that_never_reads,
        chat_server_burst_of_resets,
    };
    Suite *suite = suite_create("hostile clients (reference servers)");
    /* One test case per test, named after it: CK_RUN_CASE=NAME runs it alone. */
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        TCase *tc = tcase_create(tests[i]->name);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, tests[i]);
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
