/* check_chat_server.c -- the graded tests of exercise 05-chat-server, part 2: chat_server,
 * run as a user runs it (`./chat_server -p 0 -q`), with this test's own sockets as the chat
 * clients. The table at the end gives each test's points.
 *
 * A client knows the server has registered another one when it is told "* HOST:PORT
 * joined": the tests wait for that instead of sleeping. Where a test must show that
 * something does NOT arrive, it waits a fixed 200 ms (a relay takes well under 1 ms).
 */
#include "graded.h"

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const SERVER[] = {"./chat_server", "-p", "0", "-q", NULL};

/* One chat client of the test. */
struct peer {
    int fd;
    struct conn *conn;
    char address[64]; /* our end's address: what the server calls us */
};

static void peer_connect(const struct server *s, struct peer *p)
{
    p->fd = connect_to(s);
    p->conn = conn_new(p->fd);
    socket_address(p->fd, true, p->address, sizeof p->address);
}

static void peer_close(struct peer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    free(p->conn);
    p->fd = -1;
    p->conn = NULL;
}

/* TEXT as a C string literal, cut short when long. */
static const char *show(const char *text, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (i == 100 && len > 120) {
            o += (size_t)snprintf(out + o, size - o, "...(%zu bytes)", len);
            break;
        }
        if (c == '\n')
            o += (size_t)snprintf(out + o, size - o, "\\n");
        else if (c < 32 || c >= 127 || c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

/* Read P's next line (2 s, scaled) and compare it with EXPECTED (LEN bytes). Returns NULL,
 * or a message saying what came instead. */
static const char *check_next_line(struct peer *p, const char *expected, size_t len)
{
    static char message[1024];
    char *line = malloc(8192), got[300], want[300];
    ck_assert_ptr_nonnull(line);
    ssize_t n = conn_line(p->conn, line, 8192, 2000);
    const char *result = NULL;
    if (n != (ssize_t)len || memcmp(line, expected, len) != 0) {
        snprintf(message, sizeof message, "client %s should have received \"%s\" but got %s%s%s",
                 p->address, show(expected, len, want, sizeof want),
                 n < 0    ? "nothing within 2 s"
                 : n == 0 ? "the end of the stream"
                          : "\"",
                 n > 0 ? show(line, (size_t)n < 8191 ? (size_t)n : 8191, got, sizeof got) : "",
                 n > 0 ? "\"" : "");
        result = message;
    }
    free(line);
    return result;
}

/* The next line P receives must be the printf-style text given. */
#define EXPECT_LINE(p, ...)                                                                        \
    do {                                                                                           \
        char want_[256];                                                                           \
        int n_ = snprintf(want_, sizeof want_, __VA_ARGS__);                                       \
        const char *why_ = check_next_line(p, want_, (size_t)n_);                                  \
        ck_assert_msg(why_ == NULL, "%s", why_);                                                   \
    } while (0)

/* P must receive nothing for 200 ms. */
#define EXPECT_QUIET(p)                                                                            \
    do {                                                                                           \
        if (!conn_quiet((p)->conn, 200)) {                                                         \
            char line_[300], shown_[300];                                                          \
            ssize_t n_ = conn_line((p)->conn, line_, sizeof line_, 100);                           \
            ck_assert_msg(0, "client %s should have received nothing, but got \"%s\"",             \
                          (p)->address,                                                            \
                          n_ > 0    ? show(line_, (size_t)n_, shown_, sizeof shown_)               \
                          : n_ == 0 ? "(the end of the stream)"                                    \
                                    : "(part of a line)");                                         \
        }                                                                                          \
    } while (0)

/* Connect P, and wait until each of the N peers in OTHERS has been told it joined. */
static void join(const struct server *s, struct peer *p, struct peer *others[], int n)
{
    peer_connect(s, p);
    for (int i = 0; i < n; i++) {
        char want[128];
        int len = snprintf(want, sizeof want, "* %s joined\n", p->address);
        const char *why = check_next_line(others[i], want, (size_t)len);
        ck_assert_msg(why == NULL, "%s", why);
    }
}

/* Start the server and connect the N peers one after the other, each one registered (the
 * ones before it told it joined). */
static void start_with(struct server *s, struct peer *peers[], int n)
{
    start_server(s, SERVER);
    for (int i = 0; i < n; i++)
        join(s, peers[i], peers, i);
}

/* Close the N peers, then stop the server (it must exit 0). */
static void stop_with(struct server *s, struct peer *peers[], int n)
{
    for (int i = 0; i < n; i++)
        peer_close(peers[i]);
    stop_server(s);
}

static void say(struct peer *p, const char *text, size_t len)
{
    ck_assert_msg(send_all(p->fd, text, len) == 0, "client %s could not send: %s", p->address,
                  strerror(errno));
}
#define SAY(p, literal) say(p, literal, sizeof literal - 1)

/* Read P's lines until one equals the printf-style text, skipping others (announcements of
 * clients the test does not follow), for at most TIMEOUT_MS (scaled). */
static bool wait_for_line(struct peer *p, int timeout_ms, const char *want)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    char line[8192];
    while (monotonic_ms() < deadline) {
        ssize_t n = conn_line(p->conn, line, sizeof line, 200);
        if (n == 0)
            return false;
        if (n > 0 && strcmp(line, want) == 0)
            return true;
    }
    return false;
}

/* --- The protocol ---------------------------------------------------------------------- */

/* A line from one client reaches every other client as "HOST:PORT: line", and not its
 * sender. */
START_TEST(relays_a_line_to_every_other_client)
{
    struct server s;
    struct peer a, b, c;
    start_with(&s, (struct peer *[]){&a, &b, &c}, 3);
    SAY(&a, "hello, world\n");
    EXPECT_LINE(&b, "%s: hello, world\n", a.address);
    EXPECT_LINE(&c, "%s: hello, world\n", a.address);
    SAY(&c, "hi a\n");
    EXPECT_LINE(&a, "%s: hi a\n", c.address);
    EXPECT_LINE(&b, "%s: hi a\n", c.address);
    EXPECT_QUIET(&a); /* its own line never came back */
    EXPECT_QUIET(&c);
    stop_with(&s, (struct peer *[]){&a, &b, &c}, 3);
}
END_TEST

/* "* HOST:PORT joined" goes to every client already there, not to the newcomer. */
START_TEST(announces_joins_to_the_others)
{
    struct server s;
    struct peer a, b, c;
    start_with(&s, (struct peer *[]){&a, &b, &c}, 3);
    EXPECT_QUIET(&c);
    EXPECT_QUIET(&a);
    stop_with(&s, (struct peer *[]){&a, &b, &c}, 3);
}
END_TEST

/* A client that closes is announced to the others: "* HOST:PORT left". */
START_TEST(announces_departures_to_the_others)
{
    struct server s;
    struct peer a, b, c;
    start_with(&s, (struct peer *[]){&a, &b, &c}, 3);
    char address[64];
    snprintf(address, sizeof address, "%s", b.address);
    peer_close(&b);
    EXPECT_LINE(&a, "* %s left\n", address);
    EXPECT_LINE(&c, "* %s left\n", address);
    SAY(&a, "still here\n"); /* and the rest go on */
    EXPECT_LINE(&c, "%s: still here\n", a.address);
    peer_close(&a);
    peer_close(&c);
    stop_server(&s);
}
END_TEST

/* A line sent in three pieces is relayed once, whole, after its '\n' arrives; nothing of it
 * goes out before. */
START_TEST(partial_line_waits_for_its_newline)
{
    struct server s;
    struct peer a, b;
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    SAY(&a, "hel");
    EXPECT_QUIET(&b);
    SAY(&a, "lo wor");
    EXPECT_QUIET(&b);
    SAY(&a, "ld\n");
    EXPECT_LINE(&b, "%s: hello world\n", a.address);
    stop_with(&s, (struct peer *[]){&a, &b}, 2);
}
END_TEST

/* Several lines in one segment are relayed as several lines, in order; a segment that ends
 * in the middle of a line keeps that part for the next one. */
START_TEST(coalesced_lines_are_relayed_one_by_one)
{
    struct server s;
    struct peer a, b;
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    SAY(&a, "one\ntwo\nthree\nfo");
    EXPECT_LINE(&b, "%s: one\n", a.address);
    EXPECT_LINE(&b, "%s: two\n", a.address);
    EXPECT_LINE(&b, "%s: three\n", a.address);
    EXPECT_QUIET(&b);
    SAY(&a, "ur\n\n");
    EXPECT_LINE(&b, "%s: four\n", a.address);
    EXPECT_LINE(&b, "%s: \n", a.address); /* an empty line is a line too */
    stop_with(&s, (struct peer *[]){&a, &b}, 2);
}
END_TEST

/* Bytes are relayed exactly: NUL, '\r' and bytes above 127 included. */
START_TEST(binary_and_nul_bytes_are_relayed_exactly)
{
    static const char line[] = "a\0b\r\xff\xfe z\n";
    struct server s;
    struct peer a, b;
    char expected[128], got[128];
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    say(&a, line, sizeof line - 1);
    int head = snprintf(expected, sizeof expected, "%s: ", a.address);
    memcpy(expected + head, line, sizeof line - 1);
    size_t total = (size_t)head + sizeof line - 1;
    ck_assert_msg(conn_exact(b.conn, got, total, 2000), "the binary line did not arrive whole");
    ck_assert_msg(memcmp(got, expected, total) == 0, "the binary line arrived changed");
    EXPECT_QUIET(&b);
    stop_with(&s, (struct peer *[]){&a, &b}, 2);
}
END_TEST

/* A line of exactly 4096 bytes before its '\n' is allowed: relayed whole, the sender stays. */
START_TEST(line_of_4096_bytes_is_relayed)
{
    struct server s;
    struct peer a, b;
    char *line = malloc(4097), *got = malloc(5000);
    ck_assert(line != NULL && got != NULL);
    memset(line, 'x', 4096);
    line[4096] = '\n';
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    say(&a, line, 4097);
    ssize_t n = conn_line(b.conn, got, 5000, 2000);
    size_t head = strlen(a.address) + 2;
    ck_assert_msg(n == (ssize_t)(head + 4097), "the 4096-byte line arrived as %zd bytes, not %zu",
                  n, head + 4097);
    ck_assert(memcmp(got + head, line, 4097) == 0);
    SAY(&a, "after\n");
    EXPECT_LINE(&b, "%s: after\n", a.address);
    stop_with(&s, (struct peer *[]){&a, &b}, 2);
    free(line);
    free(got);
}
END_TEST

/* 4097 bytes without a '\n' disconnect their sender at once (before any '\n'): it sees the
 * end of its stream, the others get "left" and none of those bytes, and the server goes on. */
START_TEST(line_over_4096_bytes_disconnects_its_sender)
{
    struct server s;
    struct peer a, b, c;
    char *line = malloc(4097);
    ck_assert_ptr_nonnull(line);
    memset(line, 'y', 4097);
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    say(&a, line, 4097);
    EXPECT_LINE(&b, "* %s left\n", a.address);
    ck_assert_msg(conn_closed(a.conn, 2000, NULL), "the sender of 4097 bytes was not disconnected");
    join(&s, &c, (struct peer *[]){&b}, 1);
    SAY(&c, "next\n");
    EXPECT_LINE(&b, "%s: next\n", c.address);
    stop_with(&s, (struct peer *[]){&a, &b, &c}, 3);
    free(line);
}
END_TEST

/* Connect to the server with a 4 KiB receive buffer, set before connecting (the window
 * is agreed on then). */
static int connect_with_small_window(const struct server *s)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list;
    char service[16];
    int small = 4096;
    snprintf(service, sizeof service, "%d", s->port);
    ck_assert_int_eq(getaddrinfo(s->host, service, &hints, &list), 0);
    int fd = socket(list->ai_family, list->ai_socktype, list->ai_protocol);
    ck_assert(fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    ck_assert_msg(connect(fd, list->ai_addr, list->ai_addrlen) == 0, "connect: %s",
                  strerror(errno));
    freeaddrinfo(list);
    return fd;
}

struct flood {
    int fd;
    const char *data;
    size_t len;
    size_t piece;
};

/* Send DATA in pieces until done or the server stops taking it (it closed on us). */
static void *flood_sender(void *arg)
{
    struct flood *f = arg;
    for (size_t off = 0; off < f->len; off += f->piece)
        if (send_all(f->fd, f->data + off, f->piece < f->len - off ? f->piece : f->len - off) != 0)
            break;
    return NULL;
}

/* 1 MiB without a '\n' disconnects its sender; the server stays up and serves the others. */
START_TEST(megabyte_without_newline_disconnects_its_sender)
{
    enum { SIZE = 1024 * 1024 };
    struct server s;
    struct peer a, b;
    pthread_t thread;
    char *data = malloc(SIZE);
    ck_assert_ptr_nonnull(data);
    memset(data, 'z', SIZE);
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    struct flood f = {.fd = a.fd, .data = data, .len = SIZE, .piece = 65536};
    ck_assert_int_eq(pthread_create(&thread, NULL, flood_sender, &f), 0);
    EXPECT_LINE(&b, "* %s left\n", a.address);
    bool closed = conn_closed(a.conn, 5000, NULL);
    shutdown(a.fd, SHUT_RDWR); /* the sender thread stops at once if it still sends */
    pthread_join(thread, NULL);
    ck_assert_msg(closed, "the sender of 1 MiB without a newline was not disconnected");
    struct peer c;
    join(&s, &c, (struct peer *[]){&b}, 1);
    SAY(&b, "ok\n");
    EXPECT_LINE(&c, "%s: ok\n", b.address);
    stop_with(&s, (struct peer *[]){&a, &b, &c}, 3);
    free(data);
}
END_TEST

/* A's side of the test below: send the lines, but keep at most WINDOW lines ahead of what
 * B has received, so that B (which reads as fast as it can) never has 1 MiB waiting for it
 * at the server, even when this machine is busy: only the client that does not read should. */
struct paced_flood {
    int fd;
    const char *data;
    int lines, line_len, window;
    atomic_int received; /* lines B has received so far */
};

static void *paced_sender(void *arg)
{
    struct paced_flood *f = arg;
    for (int i = 0; i < f->lines; i++) {
        long long deadline = monotonic_ms() + scaled_ms(10000);
        while (i - atomic_load(&f->received) >= f->window && monotonic_ms() < deadline)
            sleep_ms(1);
        if (send_all(f->fd, f->data + (size_t)i * (size_t)f->line_len, (size_t)f->line_len) != 0)
            break;
    }
    return NULL;
}

/* A client that never reads (a 4 KiB receive window) while another sends 8 MiB of lines: the
 * reading client gets every line, in order, without delay; the server drops the one that does
 * not read (more than 1 MiB waiting) and tells the others. */
START_TEST(client_that_never_reads_is_dropped_and_blocks_nobody)
{
    enum { LINES = 8192, LINE = 1024 };
    struct server s;
    struct peer a, b, slow = {.fd = -1};
    pthread_t thread;
    char *data = malloc((size_t)LINES * LINE), want[LINE + 100], *got = malloc(8192);
    ck_assert(data != NULL && got != NULL);
    for (int i = 0; i < LINES; i++) {
        char *line = data + (size_t)i * LINE;
        char number[16];
        int k = snprintf(number, sizeof number, "line %06d ", i);
        memset(line, 'a' + i % 26, LINE - 1);
        memcpy(line, number, (size_t)k);
        line[LINE - 1] = '\n';
    }
    start_server(&s, SERVER);
    /* The slow one: a tiny receive window, so the kernel cannot hide much for it. */
    slow.fd = connect_with_small_window(&s);
    slow.conn = conn_new(slow.fd);
    socket_address(slow.fd, true, slow.address, sizeof slow.address);
    join(&s, &a, NULL, 0);
    join(&s, &b, (struct peer *[]){&a}, 1);

    struct paced_flood f = {
        .fd = a.fd, .data = data, .lines = LINES, .line_len = LINE, .window = 128};
    long long start = monotonic_ms();
    ck_assert_int_eq(pthread_create(&thread, NULL, paced_sender, &f), 0);
    int next = 0, left = 0;
    char left_line[128];
    snprintf(left_line, sizeof left_line, "* %s left\n", slow.address);
    while (next < LINES) {
        ssize_t n = conn_line(b.conn, got, 8192, 10000);
        ck_assert_msg(n > 0, "after %d of %d lines (%lld ms), the reading client got %s", next,
                      LINES, monotonic_ms() - start,
                      n == 0 ? "the end of its stream"
                             : "nothing more for 10 s, or half a line and the end");
        if (strcmp(got, left_line) == 0) {
            left++;
            continue;
        }
        int head = snprintf(want, sizeof want, "%s: ", a.address);
        memcpy(want + head, data + (size_t)next * LINE, LINE);
        ck_assert_msg(n == head + LINE && memcmp(got, want, (size_t)n) == 0,
                      "line %d of %d arrived wrong (%zd bytes)", next, LINES, n);
        next++;
        atomic_store(&f.received, next);
    }
    pthread_join(thread, NULL);
    if (left == 0) /* it may come just after the last line */
        left = conn_line(b.conn, got, 8192, 2000) > 0 && strcmp(got, left_line) == 0;
    ck_assert_msg(left == 1, "the client that never reads was not dropped (no \"%.*s\")",
                  (int)strlen(left_line) - 1, left_line);
    ck_assert_msg(conn_closed(slow.conn, 5000, NULL), "the dropped client's connection is open");
    peer_close(&a);
    peer_close(&b);
    peer_close(&slow);
    stop_server(&s);
    free(data);
    free(got);
}
END_TEST

/* A client that sends half a line and then resets (RST) costs only itself: the others get
 * "left" (and no half line), and the server goes on. */
START_TEST(client_reset_mid_line_costs_only_that_client)
{
    struct server s;
    struct peer a, b, c;
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    SAY(&a, "half a li");
    EXPECT_QUIET(&b);
    close_with_reset(a.fd);
    a.fd = -1;
    EXPECT_LINE(&b, "* %s left\n", a.address);
    join(&s, &c, (struct peer *[]){&b}, 1);
    SAY(&b, "still up?\n");
    EXPECT_LINE(&c, "%s: still up?\n", b.address);
    stop_with(&s, (struct peer *[]){&a, &b, &c}, 3);
}
END_TEST

/* A client that sends a line and half-closes (shutdown(SHUT_WR)): its line is relayed, then
 * it is announced as gone, and its connection is closed (it sees the end of its stream). */
START_TEST(half_close_relays_the_line_then_leaves)
{
    struct server s;
    struct peer a, b;
    start_with(&s, (struct peer *[]){&a, &b}, 2);
    SAY(&a, "bye\n");
    shutdown(a.fd, SHUT_WR);
    EXPECT_LINE(&b, "%s: bye\n", a.address);
    EXPECT_LINE(&b, "* %s left\n", a.address);
    ck_assert_msg(conn_closed(a.conn, 2000, NULL), "the half-closed client was not closed");
    stop_with(&s, (struct peer *[]){&a, &b}, 2);
}
END_TEST

/* Twenty clients that never send anything do not hold up two that talk. */
START_TEST(idle_clients_do_not_hold_up_the_others)
{
    enum { IDLE = 20 };
    struct server s;
    struct peer idle[IDLE], a, b;
    start_server(&s, SERVER);
    for (int i = 0; i < IDLE; i++)
        peer_connect(&s, &idle[i]);
    join(&s, &a, NULL, 0);
    join(&s, &b, (struct peer *[]){&a}, 1);
    for (int round = 0; round < 20; round++) {
        long long start = monotonic_ms();
        SAY(&a, "ping\n");
        EXPECT_LINE(&b, "%s: ping\n", a.address);
        SAY(&b, "pong\n");
        EXPECT_LINE(&a, "%s: pong\n", b.address);
        ck_assert_msg(monotonic_ms() - start < scaled_ms(2000), "a round trip took %lld ms",
                      monotonic_ms() - start);
    }
    for (int i = 0; i < IDLE; i++)
        peer_close(&idle[i]);
    stop_with(&s, (struct peer *[]){&a, &b}, 2);
}
END_TEST

/* 1000 connections opened and closed in a row: the server still relays, and once they are
 * all gone its open descriptors come back to where they were (nothing leaks). */
START_TEST(thousand_connections_leak_nothing)
{
    struct server s;
    struct peer a, b;
    start_server(&s, SERVER);
    if (!have_proc())
        stop_server(&s);
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    int before = count_open_fds(s.child.pid);
    ck_assert_msg(before > 0, "cannot count the server's descriptors");
    for (int batch = 0; batch < 20; batch++) {
        for (int i = 0; i < 50; i++) {
            int fd = connect_to(&s);
            close(fd);
        }
        /* Let the server catch up before the next batch (its accept queue is finite). */
        long long deadline = monotonic_ms() + scaled_ms(5000);
        while (count_open_fds(s.child.pid) > before && monotonic_ms() < deadline)
            sleep_ms(2);
    }
    /* Two new clients chat: B may first hear of the last few of the 1000 joining and
     * leaving (the server may not have accepted them all yet), so A repeats itself. */
    peer_connect(&s, &a);
    peer_connect(&s, &b);
    char want[128];
    snprintf(want, sizeof want, "%s: after 1000\n", a.address);
    bool heard = false;
    for (int i = 0; i < 10 && !heard; i++) {
        SAY(&a, "after 1000\n");
        heard = wait_for_line(&b, 500, want);
    }
    ck_assert_msg(heard, "after 1000 connections, two new clients could not chat");
    peer_close(&a);
    peer_close(&b);
    long long deadline = monotonic_ms() + scaled_ms(5000);
    int after;
    while ((after = count_open_fds(s.child.pid)) != before && monotonic_ms() < deadline)
        sleep_ms(5);
    ck_assert_msg(after == before,
                  "the server had %d descriptors open before 1000 connections "
                  "and %d after they all closed",
                  before, after);
    stop_server(&s);
}
END_TEST

/* With descriptors running out (a limit of 40 open files, 60 clients), the server does not
 * spin on accept() (it stays nearly idle), and once clients leave it serves again. The
 * limit is set on the running server from outside (prlimit), after any raise of its own at
 * start. */
START_TEST(running_out_of_descriptors_does_not_spin)
{
    enum { CLIENTS = 60, LIMIT = 40, CLOSE = 30 };
    struct server s;
    int fds[CLIENTS];
    struct peer a, b;
    start_server(&s, SERVER);
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
    peer_connect(&s, &a);
    peer_connect(&s, &b);
    /* A greets until B hears it: B may first hear of others joining and leaving. */
    char want[128];
    snprintf(want, sizeof want, "%s: hello again\n", a.address);
    bool heard = false;
    for (int i = 0; i < 20 && !heard; i++) {
        SAY(&a, "hello again\n");
        heard = wait_for_line(&b, 500, want);
    }
    ck_assert_msg(heard, "after descriptors were freed, two new clients could not chat");
    for (int i = CLOSE; i < CLIENTS; i++)
        close(fds[i]);
    stop_with(&s, (struct peer *[]){&a, &b}, 2);
}
END_TEST

/* SIGTERM with clients connected (one in the middle of a line): the server closes every
 * connection (each client sees the end of its stream) and exits 0 within 2 s. */
START_TEST(sigterm_closes_every_client_and_exits_0)
{
    struct server s;
    struct peer a, b, c;
    start_with(&s, (struct peer *[]){&a, &b, &c}, 3);
    SAY(&b, "half");
    EXPECT_QUIET(&a);
    stop_server(&s);
    ck_assert_msg(conn_closed(a.conn, 1000, NULL), "client a was not closed");
    ck_assert_msg(conn_closed(b.conn, 1000, NULL), "client b was not closed");
    ck_assert_msg(conn_closed(c.conn, 1000, NULL), "client c was not closed");
    peer_close(&a);
    peer_close(&b);
    peer_close(&c);
}
END_TEST

/* Under the fault-injection library (tests/fault_inject.so, preloaded into the server):
 * every send() and recv() short (at most half the bytes), every third one and every third
 * accept() failing with EINTR, every fourth with EAGAIN when the socket is non-blocking (as
 * if poll() had said "ready" too soon), every fifth poll() or select() interrupted. Three
 * clients chat: a line in pieces, lines coalesced, binary bytes, a 4096-byte line and 400
 * lines of 1 KiB reach the others exactly and in order; SIGTERM then stops the server with
 * status 0. */
START_TEST(relays_exactly_under_short_transfers_eintr_and_eagain)
{
    enum { LINES = 400, LINE = 1024 };
    static const char binary[] = "a\0b\r\xff\xfe z\n";
    struct server s;
    struct peer a, b, c;
    char *data = malloc((size_t)LINES * LINE), *got = malloc(8192), want[LINE + 100];
    ck_assert(data != NULL && got != NULL);
    for (int i = 0; i < LINES; i++) {
        char *line = data + (size_t)i * LINE;
        int k = snprintf(line, LINE, "line %04d ", i);
        memset(line + k, 'a' + i % 26, (size_t)(LINE - 1 - k));
        line[LINE - 1] = '\n';
    }
    start_faults("send+recv:short;send+recv+accept:eintr@every=3;"
                 "send+recv+accept:eagain@every=4;poll:eintr@every=5");
    start_server(&s, SERVER);
    start_faults(NULL);
    join(&s, &a, NULL, 0);
    join(&s, &b, (struct peer *[]){&a}, 1);
    join(&s, &c, (struct peer *[]){&a, &b}, 2);

    SAY(&a, "hel");
    sleep_ms(20);
    SAY(&a, "lo world\none\ntwo\n");
    struct peer *others[] = {&b, &c};
    for (int i = 0; i < 2; i++) {
        EXPECT_LINE(others[i], "%s: hello world\n", a.address);
        EXPECT_LINE(others[i], "%s: one\n", a.address);
        EXPECT_LINE(others[i], "%s: two\n", a.address);
    }
    say(&b, binary, sizeof binary - 1);
    int head = snprintf(want, sizeof want, "%s: ", b.address);
    memcpy(want + head, binary, sizeof binary - 1);
    ck_assert_msg(conn_exact(a.conn, got, (size_t)head + sizeof binary - 1, 2000) &&
                      memcmp(got, want, (size_t)head + sizeof binary - 1) == 0,
                  "the binary line did not arrive exactly");
    ck_assert_msg(conn_exact(c.conn, got, (size_t)head + sizeof binary - 1, 2000) &&
                      memcmp(got, want, (size_t)head + sizeof binary - 1) == 0,
                  "the binary line did not arrive exactly");
    char *longest = malloc(4097);
    ck_assert_ptr_nonnull(longest);
    memset(longest, 'x', 4096);
    longest[4096] = '\n';
    say(&c, longest, 4097);
    for (int i = 0; i < 2; i++) {
        struct peer *p = i == 0 ? &a : &b;
        ssize_t n = conn_line(p->conn, got, 8192, 2000);
        size_t chead = strlen(c.address) + 2;
        ck_assert_msg(n == (ssize_t)(chead + 4097) && memcmp(got + chead, longest, 4097) == 0,
                      "the 4096-byte line arrived as %zd bytes, or changed", n);
    }
    free(longest);

    say(&a, data, (size_t)LINES * LINE);
    head = snprintf(want, sizeof want, "%s: ", a.address);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < LINES; k++) {
            memcpy(want + head, data + (size_t)k * LINE, LINE);
            ssize_t n = conn_line(others[i]->conn, got, 8192, 2000);
            ck_assert_msg(n == head + LINE && memcmp(got, want, (size_t)n) == 0,
                          "client %s: line %d of %d arrived wrong (%zd bytes)", others[i]->address,
                          k + 1, LINES, n);
        }
    free(data);
    free(got);
    if (!have_preload()) /* the relaying is checked, not the faults */
        stop_with(&s, (struct peer *[]){&a, &b, &c}, 3);
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    int shorts = faults_injected(&s.child, "short"), eintrs = faults_injected(&s.child, "EINTR");
    ck_assert_msg(shorts >= 10 && eintrs >= 10,
                  "only %d short transfers and %d EINTR were injected: the test did not test "
                  "(does the server use send() and recv()?)",
                  shorts, eintrs);
    stop_with(&s, (struct peer *[]){&a, &b, &c}, 3);
}
END_TEST

/* The command line: -h prints the usage (exit 0); a bad port is bad usage (exit 2); a port in
 * use is a runtime failure: exit 1 and "chat_server: bind 127.0.0.1:PORT: Address already in
 * use"; stdout carries only the listening line; SIGINT stops it too. */
START_TEST(command_line_and_address_in_use)
{
    struct server s;
    struct peer a, b;
    start_server(&s, SERVER);
    expect_address_in_use("./chat_server", s.port);
    stop_server(&s);
    /* Without -q, notes go to stderr, never to stdout; SIGINT stops it like SIGTERM. */
    start_server(&s, ((const char *const[]){"./chat_server", "-p", "0", NULL}));
    join(&s, &a, NULL, 0);
    join(&s, &b, (struct peer *[]){&a}, 1);
    SAY(&a, "noted?\n");
    EXPECT_LINE(&b, "%s: noted?\n", a.address);
    peer_close(&a);
    peer_close(&b);
    expect_only_listening_line(&s, SIGINT);
    /* 0050007: five digits at most, the kit's one rule for ports (cli.c). */
    const char *const bad[][2] = {
        {"-p", "abc"}, {"-p", "70000"}, {"-p", "-1"}, {"-p", ""}, {"-p", "0050007"}};
    expect_usage_errors("./chat_server", bad, 5);
}
END_TEST

int main(void)
{
    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(relays_a_line_to_every_other_client, 3, 10),
        GRADED(announces_joins_to_the_others, 2, 10),
        GRADED(announces_departures_to_the_others, 2, 10),
        GRADED(partial_line_waits_for_its_newline, 2, 10),
        GRADED(coalesced_lines_are_relayed_one_by_one, 2, 10),
        GRADED(binary_and_nul_bytes_are_relayed_exactly, 1, 10),
        GRADED(line_of_4096_bytes_is_relayed, 1, 10),
        GRADED(line_over_4096_bytes_disconnects_its_sender, 3, 10),
        GRADED(megabyte_without_newline_disconnects_its_sender, 1, 15),
        GRADED(client_that_never_reads_is_dropped_and_blocks_nobody, 3, 30),
        GRADED(client_reset_mid_line_costs_only_that_client, 1, 10),
        GRADED(half_close_relays_the_line_then_leaves, 2, 10),
        GRADED(idle_clients_do_not_hold_up_the_others, 1, 15),
        GRADED(thousand_connections_leak_nothing, 2, 30),
        GRADED(running_out_of_descriptors_does_not_spin, 2, 20),
        GRADED(sigterm_closes_every_client_and_exits_0, 2, 10),
        GRADED(command_line_and_address_in_use, 1, 15),
        GRADED(relays_exactly_under_short_transfers_eintr_and_eagain, 3, 20),
    };
    return graded_main("05-chat-server", tests, sizeof tests / sizeof tests[0]);
}
