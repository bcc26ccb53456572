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
        ck_assert_msg(n_ == (ssize_t)sizeof literal - 1 && memcmp(got_, literal, sizeof literal - 1) == 0, \
                      "the server received %zd bytes \"%.*s\" where %s was expected", n_,          \
                      (int)(n_ > 0 ? n_ : 0), got_, #literal);                                     \
    } while (0)

/* The client must exit with CODE within 2 s (scaled), its stderr exactly STDERR_TEXT. */
static void expect_exit(struct child *c, int code, const char *stderr_text)
{
    int got = child_wait(c, 2000);
    char *err = child_stderr(c);
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
    struct child c;
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    ck_assert_int_eq(send_all(fd, "* 127.0.0.1:4242 joined\n", 24), 0);
    EXPECT_STDOUT(&c, "* 127.0.0.1:4242 joined\n");
    ck_assert_int_eq(send_all(fd, "127.0.0.1:4242: hello\n", 22), 0);
    EXPECT_STDOUT(&c, "127.0.0.1:4242: hello\n");
    close(fd);
    expect_exit(&c, 0, CLOSED);
    char rest;
    ck_assert_msg(read_exact(c.out, &rest, 1, 500) == 0, "chat_client printed more than was sent");
    child_close(&c);
    close(listener);
}
END_TEST

/* Each line typed is sent as soon as it is typed (not at the end of the input), exactly. */
START_TEST(sends_each_line_as_it_is_typed)
{
    struct child c;
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    TYPE(&c, "one\n");
    EXPECT_SENT(fd, "one\n");
    TYPE(&c, "two words\n");
    EXPECT_SENT(fd, "two words\n");
    TYPE(&c, "\n");
    EXPECT_SENT(fd, "\n");
    close(fd);
    expect_exit(&c, 0, CLOSED);
    child_close(&c);
    close(listener);
}
END_TEST

/* While the user types nothing (standard input open and silent), what the server sends is
 * still printed at once: the client waits for both at the same time. */
START_TEST(prints_while_the_user_types_nothing)
{
    struct child c;
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(send_all(fd, "ping\n", 5), 0);
        EXPECT_STDOUT(&c, "ping\n");
        TYPE(&c, "pong\n");
        EXPECT_SENT(fd, "pong\n");
    }
    TYPE(&c, "half a li"); /* even in the middle of the user's line */
    ck_assert_int_eq(send_all(fd, "news\n", 5), 0);
    EXPECT_STDOUT(&c, "news\n");
    /* Read what the client sent of the half line (it may send it now or at its '\n'):
     * closing with unread bytes would be a reset, not a close. */
    TYPE(&c, "ne\n");
    EXPECT_SENT(fd, "half a line\n");
    close(fd);
    expect_exit(&c, 0, CLOSED);
    child_close(&c);
    close(listener);
}
END_TEST

/* At the end of standard input the client half-closes (the server reads the end of the
 * stream) but keeps running and printing until the server closes; then it exits 0. */
START_TEST(end_of_input_half_closes_and_waits_for_the_server)
{
    struct child c;
    char got[64];
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    TYPE(&c, "last words\n");
    close(c.in);
    c.in = -1;
    EXPECT_SENT(fd, "last words\n");
    ck_assert_msg(recv_exact(fd, got, sizeof got, 2000) == 0,
                  "the server did not see the end of the client's stream after its input ended");
    ck_assert_msg(child_running(&c), "chat_client exited at the end of its input; it must wait "
                                     "for the server to close");
    ck_assert_int_eq(send_all(fd, "after your end\n", 15), 0);
    EXPECT_STDOUT(&c, "after your end\n");
    ck_assert_msg(child_running(&c), "chat_client exited before the server closed");
    close(fd);
    expect_exit(&c, 0, CLOSED);
    child_close(&c);
    close(listener);
}
END_TEST

/* When the server closes while the user's input is still open, the client does not wait for
 * the user: it says so and exits 0 at once. */
START_TEST(exits_when_the_server_closes_while_input_is_open)
{
    struct child c;
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    ck_assert_int_eq(send_all(fd, "goodbye\n", 8), 0);
    EXPECT_STDOUT(&c, "goodbye\n");
    close(fd);
    expect_exit(&c, 0, CLOSED);
    child_close(&c);
    close(listener);
}
END_TEST

/* Bytes are bytes, both ways: NUL, '\r', bytes above 127, a line in pieces, no newline. */
START_TEST(binary_bytes_pass_both_ways)
{
    struct child c;
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    ck_assert_int_eq(send_all(fd, "a\0b", 3), 0);
    EXPECT_STDOUT(&c, "a\0b");
    ck_assert_int_eq(send_all(fd, "\r\xff\n", 3), 0);
    EXPECT_STDOUT(&c, "\r\xff\n");
    TYPE(&c, "x\0y\xfe\n");
    EXPECT_SENT(fd, "x\0y\xfe\n");
    close(fd);
    expect_exit(&c, 0, CLOSED);
    child_close(&c);
    close(listener);
}
END_TEST

/* 1 MiB from the server and 1 MiB typed, at the same time: all of both arrive, exactly. */
START_TEST(a_megabyte_each_way_at_once)
{
    enum { SIZE = 1024 * 1024 };
    struct child c;
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    char *down = malloc(SIZE), *up = malloc(SIZE), *printed = malloc(SIZE), *received = malloc(SIZE);
    ck_assert(down != NULL && up != NULL && printed != NULL && received != NULL);
    for (int i = 0; i < SIZE; i++) {
        down[i] = (char)(i % 61 == 60 ? '\n' : 'a' + i % 26);
        up[i] = (char)(i % 67 == 66 ? '\n' : 'A' + i % 26);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(c.in, F_SETFL, fcntl(c.in, F_GETFL) | O_NONBLOCK);
    size_t sent = 0, typed = 0, got_out = 0, got_in = 0;
    long long deadline = monotonic_ms() + scaled_ms(20000);
    while ((got_out < SIZE || got_in < SIZE) && monotonic_ms() < deadline) {
        struct pollfd p[3] = {
            {.fd = fd, .events = (short)(POLLIN | (sent < SIZE ? POLLOUT : 0))},
            {.fd = typed < SIZE ? c.in : -1, .events = POLLOUT},
            {.fd = c.out, .events = POLLIN},
        };
        if (poll(p, 3, 100) <= 0)
            continue;
        if ((p[0].revents & POLLOUT) && sent < SIZE) {
            ssize_t n = send(fd, down + sent, SIZE - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
        }
        if ((p[0].revents & POLLIN) && got_in < SIZE) {
            ssize_t n = recv(fd, received + got_in, SIZE - got_in, 0);
            ck_assert_msg(n != 0, "the client closed after sending %zu of %d bytes", got_in, SIZE);
            if (n > 0)
                got_in += (size_t)n;
        }
        if (p[1].revents & (POLLOUT | POLLERR)) {
            ssize_t n = write(c.in, up + typed, SIZE - typed);
            if (n > 0)
                typed += (size_t)n;
        }
        if (p[2].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(c.out, printed + got_out, SIZE - got_out);
            ck_assert_msg(n != 0, "chat_client's stdout ended after %zu of %d bytes", got_out, SIZE);
            if (n > 0)
                got_out += (size_t)n;
        }
    }
    ck_assert_msg(got_out == SIZE && memcmp(printed, down, SIZE) == 0,
                  "of 1 MiB sent by the server, %zu bytes were printed (or they differ)", got_out);
    ck_assert_msg(got_in == SIZE && memcmp(received, up, SIZE) == 0,
                  "of 1 MiB typed, %zu bytes reached the server (or they differ)", got_in);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    close(fd);
    expect_exit(&c, 0, CLOSED);
    child_close(&c);
    close(listener);
    free(down);
    free(up);
    free(printed);
    free(received);
}
END_TEST

/* A reset by the server is an error: "chat_client: recv: Connection reset by peer", exit 1. */
START_TEST(reset_by_the_server_is_an_error)
{
    struct child c;
    int port, listener = listen_local(&port);
    int fd = start_client(&c, listener, port);
    ck_assert_int_eq(send_all(fd, "bye\n", 4), 0);
    EXPECT_STDOUT(&c, "bye\n");
    close_with_reset(fd);
    expect_exit(&c, 1, "chat_client: recv: Connection reset by peer\n");
    child_close(&c);
    close(listener);
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
    ck_assert_int_eq(run_program(&r, NULL, 0, 5000,
                                 (const char *const[]){"./chat_client", "-p", port, NULL}, 0),
                     0);
    snprintf(expected, sizeof expected, "chat_client: connect 127.0.0.1:%s: Connection refused\n",
             port);
    ck_assert_msg(r.code == 1 && strcmp(r.err, expected) == 0,
                  "with nobody listening: exit %d, stderr \"%s\"; expected 1 and \"%.*s\"", r.code,
                  r.err, (int)strlen(expected) - 1, expected);
    run_free(&r);
    ck_assert_int_eq(
        run_program(&r, NULL, 0, 5000, (const char *const[]){"./chat_client", "-h", NULL}, 0), 0);
    ck_assert_msg(r.code == 0 && strncmp(r.out, "Usage: ", 7) == 0, "-h: exit %d, stdout \"%s\"",
                  r.code, r.out);
    run_free(&r);
    const char *bad[] = {"0", "abc", "70000", "-1"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(run_program(&r, NULL, 0, 5000,
                                     (const char *const[]){"./chat_client", "-p", bad[i], NULL}, 0),
                         0);
        ck_assert_msg(r.code == 2 && strstr(r.err, "Usage: ") != NULL,
                      "-p '%s': exit %d (expected 2), stderr \"%s\"", bad[i], r.code, r.err);
        run_free(&r);
    }
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
    };
    return graded_main("06-chat-client", tests, sizeof tests / sizeof tests[0]);
}
