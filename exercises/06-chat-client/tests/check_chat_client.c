/* check_chat_client.c -- the graded tests of exercise 06-chat-client: chat_client, run as a
 * user runs it (`./chat_client -p PORT`, its standard input a pipe the test types into),
 * with this test playing the chat server. The table at the end gives each test's points.
 */
#include "graded.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char CLOSED[] = "chat_client: server closed the connection\n";

/* Start chat_client against our listener and accept its connection. */
static int start_client(struct child *c, int listener, int port)
{
    char text[16];
    snprintf(text, sizeof text, "%d", port);
    ck_assert_msg(child_start(c, (const char *const[]){"./chat_client", "-p", text, NULL},
                              CHILD_STDIN_PIPE) == 0,
                  "cannot start ./chat_client: %s", strerror(errno));
    int fd = accept_from(listener, c, 5000);
    if (fd < 0) {
        char what[128];
        if (child_running(c))
            snprintf(what, sizeof what, "chat_client did not connect within 5 s");
        else
            snprintf(what, sizeof what, "chat_client exited with status %d instead of connecting",
                     child_wait(c, 100));
        fail_with_stderr(c, what);
    }
    return fd;
}

static void expect_exit(struct child *c, int code, const char *stderr_text);

/* One run of the client against this test's listener: C the client, FD the server's end. */
struct session {
    struct child c;
    int listener, port, fd;
};

static void begin(struct session *s)
{
    s->listener = listen_local(&s->port);
    s->fd = start_client(&s->c, s->listener, s->port);
}

/* The server closes: the client must say so and exit 0; then clean up. */
static void end_by_closing(struct session *s)
{
    close(s->fd);
    expect_exit(&s->c, 0, CLOSED);
    child_close(&s->c);
    close(s->listener);
}

/* Type TEXT into the client's standard input. */
static void type(struct child *c, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(c->in, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_msg(n > 0, "cannot write to chat_client's stdin: %s", strerror(errno));
        text += n;
        len -= (size_t)n;
    }
}
#define TYPE(c, literal) type(c, literal, sizeof literal - 1)

/* The client's stdout must show exactly LITERAL next (within 2 s, scaled). */
#define EXPECT_STDOUT(c, literal)                                                                  \
    do {                                                                                           \
        char got_[sizeof literal + 64] = "";                                                       \
        size_t n_ = read_exact((c)->out, got_, sizeof literal - 1, 2000);                          \
        ck_assert_msg(n_ == sizeof literal - 1 && memcmp(got_, literal, n_) == 0,                  \
                      "chat_client printed %zu bytes \"%.*s\" where \"%s\" was expected", n_,      \
                      (int)n_, got_, #literal);                                                    \
    } while (0)

/* The server (our socket FD) must receive exactly LITERAL next (within 2 s, scaled). */
#define EXPECT_SENT(fd, literal)                                                                   \
    do {                                                                                           \
        char got_[sizeof literal + 64] = "";                                                       \
        ssize_t n_ = recv_exact(fd, got_, sizeof literal - 1, 2000);                               \
        ck_assert_msg(n_ == (ssize_t)sizeof literal - 1 &&                                         \
                          memcmp(got_, literal, sizeof literal - 1) == 0,                          \
                      "the server received %zd bytes \"%.*s\" where %s was expected", n_,          \
                      (int)(n_ > 0 ? n_ : 0), got_, #literal);                                     \
    } while (0)

/* The client must exit with CODE within 2 s (scaled), its stderr exactly STDERR_TEXT. */
static void expect_exit(struct child *c, int code, const char *stderr_text)
{
    int got = child_wait(c, 2000);
    char *err = without_fault_notes(child_stderr(c)); /* see start_faults() */
    ck_assert_msg(got == code && strcmp(err, stderr_text) == 0,
                  "chat_client %s %d with stderr \"%s\"; expected exit %d with \"%.*s\"",
                  got == -1 ? "did not exit within 2 s: status" : "exited with status", got, err,
                  code, (int)strlen(stderr_text) - 1, stderr_text);
    free(err);
}

/* Everything the server sends appears on stdout at once, byte for byte; when the server
 * closes, the client says "chat_client: server closed the connection" and exits 0. */
START_TEST(prints_what_the_server_sends)
{
    struct session t;
    begin(&t);
    ck_assert_int_eq(send_all(t.fd, "* 127.0.0.1:4242 joined\n", 24), 0);
    EXPECT_STDOUT(&t.c, "* 127.0.0.1:4242 joined\n");
    ck_assert_int_eq(send_all(t.fd, "127.0.0.1:4242: hello\n", 22), 0);
    EXPECT_STDOUT(&t.c, "127.0.0.1:4242: hello\n");
    close(t.fd);
    expect_exit(&t.c, 0, CLOSED);
    char rest;
    ck_assert_msg(read_exact(t.c.out, &rest, 1, 500) == 0,
                  "chat_client printed more than was sent");
    child_close(&t.c);
    close(t.listener);
}
END_TEST

/* Each line typed is sent as soon as it is typed (not at the end of the input), exactly. */
START_TEST(sends_each_line_as_it_is_typed)
{
    struct session t;
    begin(&t);
    TYPE(&t.c, "one\n");
    EXPECT_SENT(t.fd, "one\n");
    TYPE(&t.c, "two words\n");
    EXPECT_SENT(t.fd, "two words\n");
    TYPE(&t.c, "\n");
    EXPECT_SENT(t.fd, "\n");
    end_by_closing(&t);
}
END_TEST

/* While the user types nothing (standard input open and silent), what the server sends is
 * still printed at once: the client waits for both at the same time. */
START_TEST(prints_while_the_user_types_nothing)
{
    struct session t;
    begin(&t);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(send_all(t.fd, "ping\n", 5), 0);
        EXPECT_STDOUT(&t.c, "ping\n");
        TYPE(&t.c, "pong\n");
        EXPECT_SENT(t.fd, "pong\n");
    }
    TYPE(&t.c, "half a li"); /* even in the middle of the user's line */
    ck_assert_int_eq(send_all(t.fd, "news\n", 5), 0);
    EXPECT_STDOUT(&t.c, "news\n");
    /* Read what the client sent of the half line (it may send it now or at its '\n'):
     * closing with unread bytes would be a reset, not a close. */
    TYPE(&t.c, "ne\n");
    EXPECT_SENT(t.fd, "half a line\n");
    end_by_closing(&t);
}
END_TEST

/* At the end of standard input the client half-closes (the server reads the end of the
 * stream) but keeps running and printing until the server closes; then it exits 0. */
START_TEST(end_of_input_half_closes_and_waits_for_the_server)
{
    struct session t;
    char got[64];
    begin(&t);
    TYPE(&t.c, "last words\n");
    close(t.c.in);
    t.c.in = -1;
    EXPECT_SENT(t.fd, "last words\n");
    ck_assert_msg(recv_exact(t.fd, got, sizeof got, 2000) == 0,
                  "the server did not see the end of the client's stream after its input ended");
    ck_assert_msg(child_running(&t.c), "chat_client exited at the end of its input; it must wait "
                                       "for the server to close");
    ck_assert_int_eq(send_all(t.fd, "after your end\n", 15), 0);
    EXPECT_STDOUT(&t.c, "after your end\n");
    ck_assert_msg(child_running(&t.c), "chat_client exited before the server closed");
    end_by_closing(&t);
}
END_TEST

/* When the server closes while the user's input is still open, the client does not wait for
 * the user: it says so and exits 0 at once. */
START_TEST(exits_when_the_server_closes_while_input_is_open)
{
    struct session t;
    begin(&t);
    ck_assert_int_eq(send_all(t.fd, "goodbye\n", 8), 0);
    EXPECT_STDOUT(&t.c, "goodbye\n");
    end_by_closing(&t);
}
END_TEST

/* Bytes are bytes, both ways: NUL, '\r', bytes above 127, a line in pieces, no newline. */
START_TEST(binary_bytes_pass_both_ways)
{
    struct session t;
    begin(&t);
    ck_assert_int_eq(send_all(t.fd, "a\0b", 3), 0);
    EXPECT_STDOUT(&t.c, "a\0b");
    ck_assert_int_eq(send_all(t.fd, "\r\xff\n", 3), 0);
    EXPECT_STDOUT(&t.c, "\r\xff\n");
    TYPE(&t.c, "x\0y\xfe\n");
    EXPECT_SENT(t.fd, "x\0y\xfe\n");
    end_by_closing(&t);
}
END_TEST

/* 1 MiB from the server (T's socket) and 1 MiB typed, at the same time: all of both must
 * arrive, exactly; then the server closes. */
static void megabyte_each_way(struct session *s)
{
    enum { SIZE = 1024 * 1024 };
    struct session t = *s;
    char *down = malloc(SIZE), *up = malloc(SIZE), *printed = malloc(SIZE),
         *received = malloc(SIZE);
    ck_assert(down != NULL && up != NULL && printed != NULL && received != NULL);
    for (int i = 0; i < SIZE; i++) {
        down[i] = (char)(i % 61 == 60 ? '\n' : 'a' + i % 26);
        up[i] = (char)(i % 67 == 66 ? '\n' : 'A' + i % 26);
    }
    fcntl(t.fd, F_SETFL, fcntl(t.fd, F_GETFL) | O_NONBLOCK);
    fcntl(t.c.in, F_SETFL, fcntl(t.c.in, F_GETFL) | O_NONBLOCK);
    size_t sent = 0, typed = 0, got_out = 0, got_in = 0;
    long long deadline = monotonic_ms() + scaled_ms(20000);
    while ((got_out < SIZE || got_in < SIZE) && monotonic_ms() < deadline) {
        struct pollfd p[3] = {
            {.fd = t.fd, .events = (short)(POLLIN | (sent < SIZE ? POLLOUT : 0))},
            {.fd = typed < SIZE ? t.c.in : -1, .events = POLLOUT},
            {.fd = t.c.out, .events = POLLIN},
        };
        if (poll(p, 3, 100) <= 0)
            continue;
        if ((p[0].revents & POLLOUT) && sent < SIZE) {
            ssize_t n = send(t.fd, down + sent, SIZE - sent, 0); /* SIGPIPE is ignored */
            if (n > 0)
                sent += (size_t)n;
        }
        if ((p[0].revents & POLLIN) && got_in < SIZE) {
            ssize_t n = recv(t.fd, received + got_in, SIZE - got_in, 0);
            ck_assert_msg(n != 0, "the client closed after sending %zu of %d bytes", got_in, SIZE);
            if (n > 0)
                got_in += (size_t)n;
        }
        if (p[1].revents & (POLLOUT | POLLERR)) {
            ssize_t n = write(t.c.in, up + typed, SIZE - typed);
            if (n > 0)
                typed += (size_t)n;
        }
        if (p[2].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(t.c.out, printed + got_out, SIZE - got_out);
            ck_assert_msg(n != 0, "chat_client's stdout ended after %zu of %d bytes", got_out,
                          SIZE);
            if (n > 0)
                got_out += (size_t)n;
        }
    }
    ck_assert_msg(got_out == SIZE && memcmp(printed, down, SIZE) == 0,
                  "of 1 MiB sent by the server, %zu bytes were printed (or they differ)", got_out);
    ck_assert_msg(got_in == SIZE && memcmp(received, up, SIZE) == 0,
                  "of 1 MiB typed, %zu bytes reached the server (or they differ)", got_in);
    fcntl(t.fd, F_SETFL, fcntl(t.fd, F_GETFL) & ~O_NONBLOCK);
    end_by_closing(&t);
    free(down);
    free(up);
    free(printed);
    free(received);
}

/* 1 MiB from the server and 1 MiB typed, at the same time: all of both arrive, exactly. */
START_TEST(a_megabyte_each_way_at_once)
{
    struct session t;
    begin(&t);
    megabyte_each_way(&t);
}
END_TEST

/* The same under the fault-injection library (tests/fault_inject.so, preloaded into the
 * client): every send() and recv() short (at most half the bytes), every third one failing
 * with EINTR, every read() of the standard input short, every fifth poll() or select()
 * interrupted. Still every byte arrives both ways, and the client exits 0 when the server
 * closes. */
START_TEST(a_megabyte_each_way_under_short_transfers_and_eintr)
{
    struct session t;
    start_faults("send+recv:short;send+recv:eintr@every=3;read:short;poll:eintr@every=5");
    begin(&t);
    start_faults(NULL);
    struct child watched = t.c; /* its stderr file stays open until the end */
    watched.err = dup(t.c.err);
    megabyte_each_way(&t);
    if (!have_preload()) /* the bytes are checked, not the faults */
        close(watched.err);
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    int shorts = faults_injected(&watched, "short"), eintrs = faults_injected(&watched, "EINTR");
    close(watched.err);
    ck_assert_msg(shorts >= 10 && eintrs >= 10,
                  "only %d short transfers and %d EINTR were injected: the test did not test "
                  "(does the client use send() and recv()?)",
                  shorts, eintrs);
}
END_TEST

/* A reset by the server is an error: "chat_client: recv: Connection reset by peer", exit 1. */
START_TEST(reset_by_the_server_is_an_error)
{
    struct session t;
    begin(&t);
    ck_assert_int_eq(send_all(t.fd, "bye\n", 4), 0);
    EXPECT_STDOUT(&t.c, "bye\n");
    close_with_reset(t.fd);
    expect_exit(&t.c, 1, "chat_client: recv: Connection reset by peer\n");
    child_close(&t.c);
    close(t.listener);
}
END_TEST

/* The command line: -h prints the usage (exit 0); ports 0, abc and 70000 are bad usage
 * (exit 2); nobody listening is "chat_client: connect 127.0.0.1:PORT: Connection refused",
 * exit 1. */
START_TEST(command_line_and_connection_refused)
{
    struct run r;
    char port[16], expected[128];
    int number, listener = listen_local(&number);
    close(listener); /* the port is free now: nobody listens there */
    snprintf(port, sizeof port, "%d", number);
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 5000, (const char *const[]){"./chat_client", "-p", port, NULL}, 0),
        0);
    snprintf(expected, sizeof expected, "chat_client: connect 127.0.0.1:%s: Connection refused\n",
             port);
    ck_assert_msg(r.code == 1 && strcmp(r.err, expected) == 0,
                  "with nobody listening: exit %d, stderr \"%s\"; expected 1 and \"%.*s\"", r.code,
                  r.err, (int)strlen(expected) - 1, expected);
    run_free(&r);
    /* 0050007: five digits at most, the kit's one rule for ports (cli.c). */
    const char *const bad[][2] = {
        {"-p", "0"}, {"-p", "abc"}, {"-p", "70000"}, {"-p", "-1"}, {"-p", "0050007"}};
    expect_usage_errors("./chat_client", bad, 5);
}
END_TEST

int main(void)
{
    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(prints_what_the_server_sends, 3, 10),
        GRADED(sends_each_line_as_it_is_typed, 3, 10),
        GRADED(prints_while_the_user_types_nothing, 3, 10),
        GRADED(end_of_input_half_closes_and_waits_for_the_server, 3, 10),
        GRADED(exits_when_the_server_closes_while_input_is_open, 2, 10),
        GRADED(binary_bytes_pass_both_ways, 2, 10),
        GRADED(a_megabyte_each_way_at_once, 2, 30),
        GRADED(reset_by_the_server_is_an_error, 1, 10),
        GRADED(command_line_and_connection_refused, 1, 15),
        GRADED(a_megabyte_each_way_under_short_transfers_and_eintr, 2, 30),
    };
    return graded_main("06-chat-client", tests, sizeof tests / sizeof tests[0]);
}
