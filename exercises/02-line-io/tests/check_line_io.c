/* check_line_io.c -- the graded tests of exercise 02-line-io: send_all and recv_line of
 * line_io.h, on real stream sockets (socketpair and TCP over loopback). The table at the end
 * gives each test's points.
 *
 * How the hard cases are made without a fault-injection library:
 * - short reads: a writer thread sends one byte at a time, or in random pieces;
 * - short writes and EINTR in send: a tiny send buffer, a slow reader, and SIGUSR1 sent to
 *   the sending thread every 200 us by a handler installed WITHOUT SA_RESTART, so a blocked
 *   send() returns early (a short count) or fails with EINTR;
 * - EINTR in recv: the same signals while recv_line waits for a line that comes later.
 * Every reading socket has a receive timeout (SO_RCVTIMEO): an implementation that waits
 * for bytes that never come fails in half a second with EAGAIN instead of hanging.
 *
 * And with the fault-injection library (tests/fault_inject.so, LD_PRELOAD): the last three
 * tests run your send_all and recv_line in a separate process, this test program started
 * again as `check_line_io --fault-child MODE PORT SIZE`, with the library in it. There
 * every send() and recv() is short (at most half the bytes asked for), and calls fail with
 * EINTR on a schedule, however the kernel would have done them. The child connects to the
 * test over TCP and sends, reads lines, or echoes them; the test checks every byte.
 */
#include "graded.h"
#include "line_io.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* The harness's own send_all (renamed when it is compiled, see the Makefile): the tests
 * feed the reader with it, so that recv_line's tests do not depend on your send_all. */
int harness_send_all(int fd, const void *buf, size_t len);

/* --- Sockets for the tests ------------------------------------------------------------ */

/* A connected pair of local stream sockets. */
static void socket_pair(int sv[2])
{
    ck_assert_msg(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
}

/* A connected pair of TCP sockets over loopback: SV[0] the client, SV[1] the server's. */
static void tcp_pair(int sv[2])
{
    int port, listener = listen_local(&port);
    sv[0] = tcp_connect("127.0.0.1", port);
    ck_assert_msg(sv[0] >= 0, "connect: %s", strerror(errno));
    sv[1] = accept(listener, NULL, NULL);
    ck_assert_msg(sv[1] >= 0, "accept: %s", strerror(errno));
    close(listener);
}

/* recv() on FD gives up with EAGAIN after MS milliseconds (scaled) without data. */
static void set_receive_timeout(int fd, int ms)
{
    int scaled = scaled_ms(ms);
    struct timeval tv = {.tv_sec = scaled / 1000, .tv_usec = (scaled % 1000) * 1000};
    ck_assert(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
}

/* A reader on SV[1] that fails fast instead of hanging. */
static void reader_on(struct line_reader *r, int fd)
{
    set_receive_timeout(fd, 500);
    line_reader_init(r, fd);
}

/* A reader on one end of a socket pair; the test writes into the other end, PEER. */
struct pair {
    int peer;
    int fd;
    struct line_reader r;
};

static void open_pair(struct pair *p)
{
    int sv[2];
    socket_pair(sv);
    p->peer = sv[0];
    p->fd = sv[1];
    reader_on(&p->r, p->fd);
}

static void close_pair(struct pair *p)
{
    if (p->peer >= 0)
        close(p->peer);
    close(p->fd);
}

/* The peer sends LITERAL (with the harness's send_all). */
#define FEED(p, literal)                                                                           \
    ck_assert_int_eq(harness_send_all((p)->peer, literal, sizeof literal - 1), 0)

/* --- Checking what recv_line returned ----------------------------------------------- */

/* DATA as a C string literal, cut short when long: "a\nb\0" -> a\nb\0. */
static const char *show(const char *data, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < size; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\n')
            o += (size_t)snprintf(out + o, size - o, "\\n");
        else if (c == '\r')
            o += (size_t)snprintf(out + o, size - o, "\\r");
        else if (c < 32 || c >= 127 || c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
        if (i == 60 && len > 80) {
            o += (size_t)snprintf(out + o, size - o, "...(%zu bytes)", len);
            break;
        }
    }
    out[o] = '\0';
    return out;
}

static char message[1024];

/* Call recv_line(R, SIZE) and compare with the line EXPECTED (LEN bytes; with LEN -1,
 * expect -1 and errno EXPECTED_ERRNO, and with it the bytes EXPECTED in LINE). Returns NULL,
 * or a message saying what differed. */
static const char *check_recv_line(struct line_reader *r, size_t size, const char *expected,
                                   ssize_t len, int expected_errno)
{
    char *line = malloc(size + 16), got[256], want[256];
    ck_assert_ptr_nonnull(line);
    memset(line, '#', size + 16);
    errno = 0;
    ssize_t n = recv_line(r, line, size);
    int saved = errno;
    const char *problem = NULL;

    /* The bytes to compare: the line's, or after EMSGSIZE the part that fitted (after other
     * errors LINE holds nothing specified). */
    bool compare = len >= 0 || expected_errno == EMSGSIZE;
    size_t want_len = len >= 0 ? (size_t)len : strlen(expected);
    if (n != len)
        problem = "returned the wrong value";
    else if (len < 0 && saved != expected_errno)
        problem = "set the wrong errno";
    else if (compare && memcmp(line, expected, want_len) != 0)
        problem = "stored the wrong bytes";
    else if (compare && line[want_len] != '\0')
        problem = "did not put a NUL after the bytes";
    if (problem != NULL) {
        size_t shown = n > 0 ? (size_t)n : (n < 0 && len < 0 ? strlen(expected) : 0);
        snprintf(message, sizeof message,
                 "recv_line(size %zu) %s: it returned %zd (errno %d: %s%s) with \"%s\"; "
                 "expected %zd%s%s with \"%s\"",
                 size, problem, n, saved, strerror(saved),
                 saved == ENOSYS ? ": not implemented yet" : "",
                 show(line, shown < size ? shown : size, got, sizeof got), len,
                 len < 0 ? " and errno " : "", len < 0 ? strerror(expected_errno) : "",
                 show(expected, len >= 0 ? (size_t)len : strlen(expected), want, sizeof want));
    }
    free(line);
    return problem != NULL ? message : NULL;
}

/* Expect the line LITERAL (a string literal, its '\n' included). */
#define EXPECT_LINE(r, size, literal)                                                              \
    do {                                                                                           \
        const char *why_ = check_recv_line(r, size, literal, (ssize_t)sizeof literal - 1, 0);      \
        ck_assert_msg(why_ == NULL, "%s", why_);                                                   \
    } while (0)
/* Expect LEN bytes at DATA. */
#define EXPECT_BYTES(r, size, data, len)                                                           \
    do {                                                                                           \
        const char *why_ = check_recv_line(r, size, data, (ssize_t)(len), 0);                      \
        ck_assert_msg(why_ == NULL, "%s", why_);                                                   \
    } while (0)
/* Expect -1 with errno ERR, and the bytes LITERAL stored. */
#define EXPECT_ERROR(r, size, err, literal)                                                        \
    do {                                                                                           \
        const char *why_ = check_recv_line(r, size, literal, -1, err);                             \
        ck_assert_msg(why_ == NULL, "%s", why_);                                                   \
    } while (0)

/* Fail with errno's words unless send_all returned 0. */
#define EXPECT_SENT(call)                                                                          \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int rc_ = (call);                                                                          \
        ck_assert_msg(rc_ == 0, "%s returned %d (errno %d: %s%s), expected 0", #call, rc_, errno,  \
                      strerror(errno), errno == ENOSYS ? ": not implemented yet" : "");            \
    } while (0)

/* --- Threads that write, read and interrupt ---------------------------------------------- */

static void pause_us(int us)
{
    struct timespec pause = {0, (long)us * 1000L};
    nanosleep(&pause, NULL);
}

struct writer {
    int fd;
    const char *data;
    size_t len;
    size_t piece;       /* bytes per send; 0: random pieces of 1..700 bytes */
    int pause_us;       /* pause after each piece */
    int start_after_ms; /* wait this long before the first byte */
    bool shut_down;     /* shutdown(SHUT_WR) at the end: the reader sees the end */
};

static void *write_slowly(void *arg)
{
    struct writer *w = arg;
    unsigned seed = 12345;
    if (w->start_after_ms > 0)
        sleep_ms(w->start_after_ms);
    for (size_t off = 0; off < w->len;) {
        size_t n = w->piece;
        if (n == 0) {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 16) % 700;
        }
        if (n > w->len - off)
            n = w->len - off;
        if (harness_send_all(w->fd, w->data + off, n) != 0)
            break;
        off += n;
        if (w->pause_us > 0)
            pause_us(w->pause_us);
    }
    if (w->shut_down)
        shutdown(w->fd, SHUT_WR);
    return NULL;
}

static volatile sig_atomic_t signals_caught;

static void count_signal(int signal_number)
{
    (void)signal_number;
    signals_caught++;
}

/* SIGUSR1 interrupts blocking calls: no SA_RESTART, so send() and recv() return early. */
static void install_interrupting_handler(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART */
    ck_assert(sigaction(SIGUSR1, &action, NULL) == 0);
    signals_caught = 0;
}

struct signaller {
    pthread_t target;
    int interval_us;
    int count; /* how many signals at most; 0: until stopped */
    atomic_int stop;
};

static void *send_signals(void *arg)
{
    struct signaller *s = arg;
    for (int sent = 0; !atomic_load(&s->stop) && (s->count == 0 || sent < s->count); sent++) {
        pthread_kill(s->target, SIGUSR1);
        pause_us(s->interval_us);
    }
    return NULL;
}

struct reader {
    int fd;
    char *data;
    size_t len, cap;
    size_t piece; /* bytes per recv */
    int pause_us; /* pause after each recv */
};

static void *read_until_end(void *arg)
{
    struct reader *r = arg;
    for (;;) {
        size_t want = r->piece < r->cap - r->len ? r->piece : r->cap - r->len;
        if (want == 0)
            break;
        ssize_t n = recv(r->fd, r->data + r->len, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        r->len += (size_t)n;
        if (r->pause_us > 0)
            pause_us(r->pause_us);
    }
    return NULL;
}

/* LEN bytes of a pattern no shifted copy of itself matches (a lost or repeated chunk shows). */
static void fill_pattern(char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        data[i] = (char)((i * 7 + i / 251) % 256);
}

static char *pattern(size_t len)
{
    char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    fill_pattern(data, len);
    return data;
}

/* Where A and B (LEN bytes) first differ, or -1. */
static long first_difference(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return (long)i;
    return -1;
}

/* --- send_all ---------------------------------------------------------------------------- */

/* send_all sends 2 MiB over TCP, every byte in order, and returns 0; LEN 0 returns 0. */
START_TEST(send_all_sends_everything)
{
    enum { SIZE = 2 * 1024 * 1024 };
    int sv[2];
    pthread_t thread;
    char *data = pattern(SIZE);
    struct reader r = {.data = malloc(SIZE + 1), .cap = SIZE + 1, .piece = 65536};

    tcp_pair(sv);
    r.fd = sv[1];
    ck_assert_ptr_nonnull(r.data);
    ck_assert_int_eq(pthread_create(&thread, NULL, read_until_end, &r), 0);
    EXPECT_SENT(send_all(sv[0], data, 0));
    EXPECT_SENT(send_all(sv[0], data, SIZE));
    shutdown(sv[0], SHUT_WR);
    pthread_join(thread, NULL);
    ck_assert_msg(r.len == SIZE, "the peer received %zu bytes of %d", r.len, SIZE);
    long at = first_difference(r.data, data, SIZE);
    ck_assert_msg(at < 0, "the bytes received differ from those sent at offset %ld", at);
    close(sv[0]);
    close(sv[1]);
    free(r.data);
    free(data);
}
END_TEST

/* send_all of 1 MiB into a tiny send buffer, read slowly, while SIGUSR1 (no SA_RESTART)
 * interrupts the sender every 200 us: send() comes back short or with EINTR again and
 * again, and send_all still delivers every byte in order and returns 0. */
START_TEST(send_all_survives_short_writes_and_eintr)
{
    enum { SIZE = 1024 * 1024 };
    int sv[2], small = 4096;
    pthread_t reader_thread, signal_thread;
    char *data = pattern(SIZE);
    struct reader r = {.data = malloc(SIZE + 1), .cap = SIZE + 1, .piece = 2048, .pause_us = 20};

    socket_pair(sv);
    ck_assert(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    r.fd = sv[1];
    ck_assert_ptr_nonnull(r.data);
    install_interrupting_handler();
    struct signaller s = {.target = pthread_self(), .interval_us = 200};
    ck_assert_int_eq(pthread_create(&reader_thread, NULL, read_until_end, &r), 0);
    ck_assert_int_eq(pthread_create(&signal_thread, NULL, send_signals, &s), 0);
    errno = 0;
    int rc = send_all(sv[0], data, SIZE);
    int saved = errno;
    atomic_store(&s.stop, 1);
    pthread_join(signal_thread, NULL);
    shutdown(sv[0], SHUT_WR);
    pthread_join(reader_thread, NULL);
    ck_assert_msg(rc == 0, "send_all returned %d (errno %d: %s%s), expected 0", rc, saved,
                  strerror(saved), saved == ENOSYS ? ": not implemented yet" : "");
    ck_assert_msg(r.len == SIZE, "the peer received %zu bytes of %d", r.len, SIZE);
    long at = first_difference(r.data, data, SIZE);
    ck_assert_msg(at < 0, "the bytes received differ from those sent at offset %ld", at);
    ck_assert_msg(signals_caught >= 10, "only %d signals arrived: the test did not test",
                  (int)signals_caught);
    close(sv[0]);
    close(sv[1]);
    free(r.data);
    free(data);
}
END_TEST

/* send_all to a peer that has closed returns -1 with errno EPIPE, and does not let SIGPIPE
 * kill the process (this test runs with SIGPIPE's default action: death). */
START_TEST(send_all_to_closed_peer_fails_with_epipe)
{
    int sv[2];
    char *data = pattern(100000);
    socket_pair(sv);
    close(sv[1]);
    signal(SIGPIPE, SIG_DFL);
    errno = 0;
    int rc = send_all(sv[0], data, 100000);
    int saved = errno;
    ck_assert_msg(rc == -1 && saved == EPIPE,
                  "send_all to a closed peer returned %d (errno %d: %s%s), expected -1 and EPIPE",
                  rc, saved, strerror(saved), saved == ENOSYS ? ": not implemented yet" : "");
    close(sv[0]);
    free(data);
}
END_TEST

/* --- recv_line --------------------------------------------------------------------------- */

/* One line: its bytes, its '\n', a NUL after it, and its length. */
START_TEST(recv_line_reads_one_line)
{
    struct pair p;
    open_pair(&p);
    FEED(&p, "hello\n");
    EXPECT_LINE(&p.r, 100, "hello\n");
    close_pair(&p);
}
END_TEST

/* Short reads: lines sent one byte at a time (each recv() returns one byte) come back whole. */
START_TEST(recv_line_assembles_bytes_sent_one_at_a_time)
{
    static const char text[] = "hello world\nsecond line\n";
    struct pair p;
    pthread_t thread;
    open_pair(&p);
    struct writer w = {
        .fd = p.peer, .data = text, .len = sizeof text - 1, .piece = 1, .pause_us = 1000};
    ck_assert_int_eq(pthread_create(&thread, NULL, write_slowly, &w), 0);
    EXPECT_LINE(&p.r, 100, "hello world\n");
    EXPECT_LINE(&p.r, 100, "second line\n");
    pthread_join(thread, NULL);
    close_pair(&p);
}
END_TEST

/* Three lines in one segment come back one per call, and the calls after the first do not
 * wait for more data (the peer sends nothing more: waiting would time out with EAGAIN). */
START_TEST(recv_line_returns_many_lines_from_one_segment)
{
    struct pair p;
    open_pair(&p);
    FEED(&p, "one\ntwo\nthree\n");
    EXPECT_LINE(&p.r, 100, "one\n");
    EXPECT_LINE(&p.r, 100, "two\n");
    EXPECT_LINE(&p.r, 100, "three\n");
    /* And the fourth, with nothing sent, waits and reports the receive timeout. */
    long long start = monotonic_ms();
    EXPECT_ERROR(&p.r, 100, EAGAIN, "");
    ck_assert_msg(monotonic_ms() - start >= 400, "recv_line gave up before the receive timeout");
    close_pair(&p);
}
END_TEST

/* A recv() interrupted by a signal (EINTR, no SA_RESTART) is retried: SIGUSR1 arrives every
 * 5 ms (40 times) while recv_line waits 150 ms for its line, and the line still comes back. */
START_TEST(recv_line_retries_after_eintr)
{
    int sv[2];
    struct line_reader r;
    pthread_t writer_thread, signal_thread;
    socket_pair(sv);
    line_reader_init(&r, sv[1]);
    set_receive_timeout(sv[1], 1000);
    install_interrupting_handler();
    struct signaller s = {.target = pthread_self(), .interval_us = 5000, .count = 40};
    struct writer w = {
        .fd = sv[0], .data = "late line\n", .len = 10, .piece = 10, .start_after_ms = 150};
    ck_assert_int_eq(pthread_create(&signal_thread, NULL, send_signals, &s), 0);
    ck_assert_int_eq(pthread_create(&writer_thread, NULL, write_slowly, &w), 0);
    const char *why = check_recv_line(&r, 100, "late line\n", 10, 0);
    atomic_store(&s.stop, 1);
    pthread_join(signal_thread, NULL);
    pthread_join(writer_thread, NULL);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert_msg(signals_caught >= 5, "only %d signals arrived: the test did not test",
                  (int)signals_caught);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* A peer that closes in the middle of a line: the complete line, then the unterminated rest
 * (without '\n'), then 0 for the end. */
START_TEST(recv_line_returns_rest_when_peer_closes_mid_line)
{
    struct pair p;
    open_pair(&p);
    FEED(&p, "complete\npart");
    close(p.peer);
    p.peer = -1;
    EXPECT_LINE(&p.r, 100, "complete\n");
    EXPECT_LINE(&p.r, 100, "part");
    EXPECT_LINE(&p.r, 100, "");
    close_pair(&p);
}
END_TEST

/* A peer that closes without sending: 0, and 0 again. */
START_TEST(recv_line_returns_0_at_end_of_stream)
{
    struct pair p;
    open_pair(&p);
    close(p.peer);
    p.peer = -1;
    EXPECT_LINE(&p.r, 100, "");
    EXPECT_LINE(&p.r, 100, "");
    close_pair(&p);
}
END_TEST

/* A line longer than SIZE - 1 bytes: -1 with EMSGSIZE and its first SIZE - 1 bytes, then the
 * rest of it in later calls; and SIZE below 2 is EINVAL. */
START_TEST(recv_line_reports_line_longer_than_limit)
{
    struct pair p;
    open_pair(&p);
    FEED(&p, "0123456789\nnext\nfits\n");
    EXPECT_ERROR(&p.r, 5, EMSGSIZE, "0123");
    EXPECT_ERROR(&p.r, 5, EMSGSIZE, "4567");
    EXPECT_LINE(&p.r, 5, "89\n");
    EXPECT_ERROR(&p.r, 5, EMSGSIZE, "next"); /* 5 bytes with its '\n': one too many */
    EXPECT_LINE(&p.r, 5, "\n");
    EXPECT_LINE(&p.r, 6, "fits\n"); /* exactly SIZE - 1 bytes fits */
    EXPECT_ERROR(&p.r, 1, EINVAL, "");
    EXPECT_ERROR(&p.r, 0, EINVAL, "");
    close_pair(&p);
}
END_TEST

/* A line of 10000 bytes, longer than the reader's buffer (4096), comes back whole when the
 * caller has room for it, followed by the next line. */
START_TEST(recv_line_handles_line_longer_than_buffer)
{
    enum { LONG = 10000 };
    struct pair p;
    char *text = malloc(LONG + 7);
    ck_assert_ptr_nonnull(text);
    for (int i = 0; i < LONG; i++)
        text[i] = (char)('a' + i % 26);
    memcpy(text + LONG, "\nshort\n", 7);
    open_pair(&p);
    ck_assert_int_eq(harness_send_all(p.peer, text, LONG + 7), 0);
    EXPECT_BYTES(&p.r, 20000, text, LONG + 1);
    EXPECT_LINE(&p.r, 20000, "short\n");
    close_pair(&p);
    free(text);
}
END_TEST

/* Bytes are bytes: NUL, '\r' and bytes above 127 are data, counted in the length. */
START_TEST(recv_line_keeps_binary_and_nul_bytes)
{
    struct pair p;
    open_pair(&p);
    FEED(&p, "a\0b\r\n\xff\xfe\n");
    EXPECT_BYTES(&p.r, 100, "a\0b\r\n", 5);
    EXPECT_BYTES(&p.r, 100, "\xff\xfe\n", 3);
    close_pair(&p);
}
END_TEST

/* recv() errors come back as -1 with recv's errno: a reset (ECONNRESET), a bad descriptor
 * (EBADF). */
START_TEST(recv_line_reports_recv_errors)
{
    int sv[2];
    struct line_reader r;
    tcp_pair(sv);
    reader_on(&r, sv[1]);
    close_with_reset(sv[0]);
    EXPECT_ERROR(&r, 100, ECONNRESET, "");
    close(sv[1]);
    line_reader_init(&r, -1);
    EXPECT_ERROR(&r, 100, EBADF, "");
}
END_TEST

/* 2000 lines of 0 to 299 bytes, sent in random pieces of 1 to 700 bytes (lines split
 * anywhere, several lines in one piece): every line comes back exactly, then the end. */
START_TEST(recv_line_survives_random_segmentation)
{
    enum { LINES = 2000 };
    struct pair p;
    pthread_t thread;
    size_t cap = LINES * 301, len = 0;
    char *text = malloc(cap);
    size_t *ends = malloc(LINES * sizeof *ends);
    unsigned seed = 42;

    ck_assert(text != NULL && ends != NULL);
    for (int i = 0; i < LINES; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 300;
        for (size_t j = 0; j < n; j++)
            text[len++] = (char)('!' + (i + j) % 90);
        text[len++] = '\n';
        ends[i] = len;
    }
    open_pair(&p);
    struct writer w = {
        .fd = p.peer, .data = text, .len = len, .piece = 0, .pause_us = 50, .shut_down = true};
    ck_assert_int_eq(pthread_create(&thread, NULL, write_slowly, &w), 0);
    size_t start = 0;
    for (int i = 0; i < LINES; i++) {
        const char *why = check_recv_line(&p.r, 400, text + start, (ssize_t)(ends[i] - start), 0);
        ck_assert_msg(why == NULL, "line %d of %d: %s", i + 1, LINES, why);
        start = ends[i];
    }
    EXPECT_LINE(&p.r, 400, "");
    pthread_join(thread, NULL);
    close_pair(&p);
    free(text);
    free(ends);
}
END_TEST

/* --- Under the fault-injection library ------------------------------------------------ */

/* What the child of send_all_under_fault_injection sends, with one send_all call per
 * part: every byte value, then 1 MiB of the pattern, then nothing (LEN 0), then "end\n". */
enum { SEND_PATTERN = 1024 * 1024 };

static char *send_payload(size_t *len)
{
    char *data = malloc(256 + SEND_PATTERN + 4);
    if (data == NULL)
        return NULL;
    for (int i = 0; i < 256; i++)
        data[i] = (char)i;
    fill_pattern(data + 256, SEND_PATTERN);
    memcpy(data + 256 + SEND_PATTERN, "end\n", 4);
    *len = 256 + SEND_PATTERN + 4;
    return data;
}

/* The child's side: report what failed on stderr (the test quotes it) and exit 1. */
static int child_failed(const char *call, int error)
{
    fprintf(stderr, "child: %s failed: errno %d: %s%s\n", call, error, strerror(error),
            error == ENOSYS ? ": not implemented yet" : "");
    return 1;
}

/* The child's report of one recv_line call, for the test to compare: "+N\n" and the N
 * bytes of a line, "!N\n" and the N bytes kept for EMSGSIZE, "=\n" for the end. */
static int report(int fd, char kind, const char *bytes, size_t n)
{
    char head[32];
    int len = kind == '=' ? snprintf(head, sizeof head, "=\n")
                          : snprintf(head, sizeof head, "%c%zu\n", kind, n);
    return harness_send_all(fd, head, (size_t)len) == 0 && harness_send_all(fd, bytes, n) == 0 ? 0
                                                                                               : -1;
}

/* check_line_io --fault-child MODE PORT SIZE: this program again, started by a test with
 * the fault-injection library preloaded. It connects to the test at 127.0.0.1:PORT and
 *   send:  sends send_payload() with your send_all, one call per part;
 *   lines: reads lines with your recv_line (SIZE bytes of room) and reports each result
 *          with the harness's own send_all (so only recv_line is on trial);
 *   echo:  sends every line your recv_line returns back with your send_all.
 * Exit status 0 when everything went as the contract says, 1 (and why, on stderr) if not. */
static int fault_child(int argc, char *argv[])
{
    if (argc != 5)
        return 2;
    const char *mode = argv[2];
    int port = atoi(argv[3]);
    size_t size = (size_t)strtoul(argv[4], NULL, 10);
    int fd = tcp_connect("127.0.0.1", port);
    if (fd < 0)
        return child_failed("connect", errno);
    /* A recv_line that waits for bytes that never come gives up instead of hanging. And
     * no Nagle: short sends must not each wait for the last one's acknowledgement. */
    struct timeval tv = {.tv_sec = 10};
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);

    int status = 0;
    if (strcmp(mode, "send") == 0) {
        size_t len;
        char *data = send_payload(&len);
        if (data == NULL)
            return child_failed("malloc", ENOMEM);
        size_t parts[][2] = {{0, 256}, {256, SEND_PATTERN}, {0, 0}, {256 + SEND_PATTERN, 4}};
        for (size_t i = 0; i < 4 && status == 0; i++)
            if (send_all(fd, data + parts[i][0], parts[i][1]) != 0)
                status = child_failed("send_all", errno);
        free(data);
    } else {
        struct line_reader *r = malloc(sizeof *r);
        char *line = malloc(size + 1);
        if (r == NULL || line == NULL)
            return child_failed("malloc", ENOMEM);
        line_reader_init(r, fd);
        bool echo = strcmp(mode, "echo") == 0;
        for (;;) {
            errno = 0;
            ssize_t n = recv_line(r, line, size);
            int error = errno;
            if (n < 0 && error != EMSGSIZE) {
                status = child_failed("recv_line", error);
                break;
            }
            size_t got = n >= 0 ? (size_t)n : size - 1;
            int rc = echo ? (got > 0 ? send_all(fd, line, got) : 0)
                          : report(fd,
                                   n == 0  ? '='
                                   : n > 0 ? '+'
                                           : '!',
                                   line, got);
            if (rc != 0) {
                status = child_failed(echo ? "send_all" : "reporting", errno);
                break;
            }
            if (n == 0)
                break;
        }
        free(line);
        free(r);
    }
    close(fd);
    return status;
}

/* A child running fault_child(MODE, SIZE) under the library with RULES, connected to us. */
struct faulty {
    struct child c;
    int listener, fd;
};

/* This test program, as main() found it: argv[0] (run from where it was started). */
static const char *self_path;

static void start_faulty(struct faulty *f, const char *rules, const char *mode, size_t size)
{
    char self[4096], port_text[16], size_text[32];
    ssize_t n = have_proc() ? readlink("/proc/self/exe", self, sizeof self - 1) : -1;
    self[n > 0 ? n : 0] = '\0';
    if (n <= 0) /* no /proc: the path it was started by */
        snprintf(self, sizeof self, "%s", self_path);
    int port;
    f->listener = listen_local(&port);
    snprintf(port_text, sizeof port_text, "%d", port);
    snprintf(size_text, sizeof size_text, "%zu", size);
    start_faults(rules); /* the child notes each fault on its stderr: counted below */
    const char *const argv[] = {self, "--fault-child", mode, port_text, size_text, NULL};
    ck_assert_msg(child_start(&f->c, argv, 0) == 0, "cannot start %s: %s", self, strerror(errno));
    start_faults(NULL);
    f->fd = accept_from(f->listener, &f->c, 5000);
    if (f->fd < 0)
        fail_with_stderr(&f->c, "the child under the fault-injection library did not connect");
    int on = 1;
    setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

/* Everything the child sends until it closes, resets or TIMEOUT_MS (scaled) pass: a
 * malloc'd buffer (NUL-terminated) of *LEN bytes, however it ended. */
static char *receive_all(int fd, size_t *len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t cap = 1 << 16, n = 0;
    char *data = malloc(cap + 1);
    ck_assert_ptr_nonnull(data);
    while (monotonic_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - monotonic_ms());
        if (poll(&p, 1, left > 0 ? left : 0) <= 0)
            continue;
        if (n == cap) {
            data = realloc(data, (cap *= 2) + 1);
            ck_assert_ptr_nonnull(data);
        }
        ssize_t got = recv(fd, data + n, cap - n, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* the end, or a reset: what came before it is what counts */
        n += (size_t)got;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

/* The child must exit 0 (within 5 s), and the library must have injected short transfers
 * and EINTR (at least MIN_EACH of each): otherwise the test did not test. Where LD_PRELOAD
 * is missing the child ran without the library: what it did is checked, the faults are
 * not, and the test says it was skipped. */
static void finish_faulty(struct faulty *f, int min_each)
{
    int code = child_wait(&f->c, 5000);
    if (code != 0) {
        char what[128];
        snprintf(what, sizeof what, "the child exited with status %d, not 0", code);
        fail_with_stderr(&f->c, what);
    }
    int shorts = faults_injected(&f->c, "short"), eintrs = faults_injected(&f->c, "EINTR");
    child_close(&f->c);
    close(f->fd);
    close(f->listener);
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    ck_assert_msg(shorts >= min_each && eintrs >= min_each,
                  "the library injected only %d short transfers and %d EINTR: the test did not "
                  "test",
                  shorts, eintrs);
}

/* send_all under the library: every send() short, every third one failing with EINTR. All
 * 256 byte values, 1 MiB, an empty send and "end\n" arrive exactly, in order. */
START_TEST(send_all_under_fault_injection)
{
    struct faulty f;
    size_t len, got_len;
    char *want = send_payload(&len);
    ck_assert_ptr_nonnull(want);
    start_faulty(&f, "send:short;send:eintr@every=3", "send", 0);
    char *got = receive_all(f.fd, &got_len, 20000);
    long at = first_difference(got, want, got_len < len ? got_len : len);
    if (got_len != len || at >= 0) {
        char what[200];
        if (at >= 0)
            snprintf(what, sizeof what,
                     "send_all under short writes and EINTR: the bytes received differ from "
                     "those sent at offset %ld",
                     at);
        else
            snprintf(what, sizeof what,
                     "send_all under short writes and EINTR: %zu bytes arrived of %zu", got_len,
                     len);
        fail_with_stderr(&f.c, what);
    }
    finish_faulty(&f, 20);
    free(got);
    free(want);
}
END_TEST

/* What recv_line(SIZE) must return, call after call, for the stream TEXT: the reports
 * fault_child("lines") makes of them (see report()). */
static char *expected_reports(const char *text, size_t len, size_t size, size_t *out_len)
{
    size_t cap = len * 2 + 64, n = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    for (size_t pos = 0; pos < len;) {
        const char *newline = memchr(text + pos, '\n', len - pos);
        size_t line = newline != NULL ? (size_t)(newline - text) - pos + 1 : len - pos;
        char kind = line > size - 1 ? '!' : '+';
        if (line > size - 1)
            line = size - 1; /* EMSGSIZE: SIZE - 1 bytes now, the rest later */
        n += (size_t)snprintf(out + n, cap - n, "%c%zu\n", kind, line);
        memcpy(out + n, text + pos, line);
        n += line;
        pos += line;
    }
    memcpy(out + n, "=\n", 2);
    *out_len = n + 2;
    return out;
}

/* The N of a report's head "+N\n" at P (the bytes up to END): its digits, up to the '\n'. */
static size_t report_length(const char *p, const char *end)
{
    size_t n = 0;
    for (p++; p < end && *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (size_t)(*p - '0');
    return n;
}

/* The first report where GOT and WANT differ, as a message; NULL when they are the same. */
static const char *compare_reports(const char *got, size_t got_len, const char *want,
                                   size_t want_len)
{
    static char why[600];
    size_t g = 0, w = 0;
    for (int call = 1; w < want_len; call++) {
        char wk = want[w], gk = g < got_len ? got[g] : '?';
        size_t wn = report_length(want + w, want + want_len);
        size_t gn = g < got_len ? report_length(got + g, got + got_len) : 0;
        const char *wb = (const char *)memchr(want + w, '\n', want_len - w) + 1;
        const char *gb = g < got_len ? memchr(got + g, '\n', got_len - g) : NULL;
        bool same = gb != NULL && gk == wk && gn == wn &&
                    (size_t)(got + got_len - (gb + 1)) >= wn && memcmp(gb + 1, wb, wn) == 0;
        if (!same) {
            char shown[200];
            snprintf(why, sizeof why, "recv_line call %d should have %s %zu bytes: \"%s\"; it %s",
                     call,
                     wk == '+'   ? "returned"
                     : wk == '!' ? "failed with EMSGSIZE keeping"
                                 : "ended:",
                     wn, show(wb, wn, shown, sizeof shown),
                     gb == NULL  ? "gave nothing more"
                     : gk == '+' ? "returned a different line (or length)"
                     : gk == '!' ? "failed with EMSGSIZE"
                     : gk == '=' ? "returned 0 (the end)"
                                 : "did something else");
            return why;
        }
        w = (size_t)(wb - want) + wn;
        g = (size_t)(gb + 1 - got) + gn;
    }
    return g == got_len ? NULL : "recv_line returned more after the end of the stream";
}

/* recv_line under the library: every recv() short (at most half of what was asked), every
 * third one failing with EINTR, while the test sends 1500 lines of 0 to 700 bytes in random
 * pieces (with room for 300 bytes: lines too long for it come back in 299-byte parts with
 * EMSGSIZE), a line of every byte value but '\n', a line of 5000 bytes (longer than the
 * reader's buffer), and an unterminated rest. Every call returns exactly what the contract
 * says, in order, then 0. */
START_TEST(recv_line_under_fault_injection)
{
    enum { SIZE = 300, LINES = 1500 };
    size_t cap = LINES * 702 + 6000, len = 0;
    char *text = malloc(cap);
    unsigned seed = 7;
    ck_assert_ptr_nonnull(text);
    for (int i = 0; i < LINES; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 701;
        for (size_t j = 0; j < n; j++)
            text[len++] = (char)('!' + (i + j) % 90);
        text[len++] = '\n';
        if (i == 100) { /* every byte value but '\n', NUL first */
            for (int b = 0; b < 256; b++)
                if (b != '\n')
                    text[len++] = (char)b;
            text[len++] = '\n';
        }
        if (i == 200) {
            memset(text + len, 'L', 5000);
            len += 5000;
            text[len++] = '\n';
        }
    }
    memcpy(text + len, "an unterminated rest", 20);
    len += 20;
    size_t want_len, got_len;
    char *want = expected_reports(text, len, SIZE, &want_len);

    struct faulty f;
    pthread_t thread;
    start_faulty(&f, "recv:short;recv:eintr@every=3", "lines", SIZE);
    struct writer w = {
        .fd = f.fd, .data = text, .len = len, .piece = 0, .pause_us = 0, .shut_down = true};
    ck_assert_int_eq(pthread_create(&thread, NULL, write_slowly, &w), 0);
    char *got = receive_all(f.fd, &got_len, 20000);
    shutdown(f.fd, SHUT_RDWR); /* the writer stops at once if the child has gone */
    pthread_join(thread, NULL);
    const char *why = compare_reports(got, got_len, want, want_len);
    if (why != NULL)
        fail_with_stderr(&f.c, why);
    finish_faulty(&f, 20);
    free(got);
    free(want);
    free(text);
}
END_TEST

/* Both at once, as a line server uses them: the child echoes every line with recv_line and
 * send_all while a random third of its send() and recv() calls fail with EINTR and all are
 * short. The test sends a line and waits for its echo, 600 times (lines of 1 to 3000 bytes,
 * in one piece or in two; every byte value among them), then half-closes: the child ends
 * with status 0. */
START_TEST(line_echo_under_fault_injection)
{
    enum { SIZE = 4000, ROUNDS = 600 };
    char *line = malloc(3001), *echo = malloc(3001);
    unsigned seed = 99;
    ck_assert(line != NULL && echo != NULL);
    setenv("FAULT_SEED", "12345", 1);
    struct faulty f;
    start_faulty(&f, "send+recv:short;send+recv:eintr@p=0.3", "echo", SIZE);
    for (int i = 0; i < ROUNDS; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 3000;
        for (size_t j = 0; j + 1 < n; j++) {
            char c = (char)((i * 31 + j) % 256);
            line[j] = c == '\n' ? ' ' : c;
        }
        line[n - 1] = '\n';
        size_t first = i % 2 == 0 ? n : n / 2 + 1;
        ck_assert_int_eq(harness_send_all(f.fd, line, first), 0);
        if (first < n) {
            sleep_ms(1);
            ck_assert_int_eq(harness_send_all(f.fd, line + first, n - first), 0);
        }
        ssize_t got = recv_exact(f.fd, echo, n, 2000);
        if (got != (ssize_t)n || memcmp(echo, line, n) != 0) {
            char what[160];
            snprintf(what, sizeof what, "line %d of %d (%zu bytes): %s", i + 1, ROUNDS, n,
                     got < 0 ? "no echo within 2 s (or the child reset the connection)"
                             : "the echo differs or was cut short");
            fail_with_stderr(&f.c, what);
        }
    }
    shutdown(f.fd, SHUT_WR);
    char rest;
    ck_assert_msg(recv_exact(f.fd, &rest, 1, 2000) == 0, "the child did not close at the end");
    finish_faulty(&f, 20);
    free(line);
    free(echo);
}
END_TEST

int main(int argc, char *argv[])
{
    if (argc > 1 && strcmp(argv[1], "--fault-child") == 0)
        return fault_child(argc, argv);
    self_path = argv[0];

    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(send_all_sends_everything, 2, 10),
        GRADED(send_all_survives_short_writes_and_eintr, 3, 20),
        GRADED(send_all_to_closed_peer_fails_with_epipe, 2, 5),
        GRADED(recv_line_reads_one_line, 1, 5),
        GRADED(recv_line_assembles_bytes_sent_one_at_a_time, 2, 5),
        GRADED(recv_line_returns_many_lines_from_one_segment, 3, 5),
        GRADED(recv_line_retries_after_eintr, 2, 5),
        GRADED(recv_line_returns_rest_when_peer_closes_mid_line, 2, 5),
        GRADED(recv_line_returns_0_at_end_of_stream, 1, 5),
        GRADED(recv_line_reports_line_longer_than_limit, 2, 5),
        GRADED(recv_line_handles_line_longer_than_buffer, 2, 5),
        GRADED(recv_line_keeps_binary_and_nul_bytes, 1, 5),
        GRADED(recv_line_reports_recv_errors, 1, 5),
        GRADED(recv_line_survives_random_segmentation, 2, 20),
        GRADED(send_all_under_fault_injection, 3, 30),
        GRADED(recv_line_under_fault_injection, 3, 30),
        GRADED(line_echo_under_fault_injection, 2, 30),
    };
    return graded_main("02-line-io", tests, sizeof tests / sizeof tests[0]);
}
