/* zen_client.c -- the book's zen client: three questions, one connection.
 *
 * Translates the client of fopnp chapter07 (client.py), which the lecture's async
 * server was written for:
 *
 *     def client(address, cause_error=False):
 *         sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
 *         sock.connect(address)
 *         aphorisms = list(zen_utils.aphorisms)
 *         if cause_error:
 *             sock.sendall(aphorisms[0][:-1])
 *             return
 *         for aphorism in random.sample(aphorisms, 3):
 *             sock.sendall(aphorism)
 *             print(aphorism, zen_utils.recv_until(sock, b'.'))
 *         sock.close()
 *
 * It asks the three questions in a random order on one connection, prints each with
 * its answer, and (unlike the Python) checks every answer: exit status 1 on a wrong
 * or missing one, so it doubles as a test of any zen server. The questions and the
 * right answers come from zen.c, as the Python's come from zen_utils. -e sends a question
 * without its '?' and closes: the server must cope, and log it.
 *
 * The socket calls are in net.c: net_connect (getaddrinfo, socket, connect, within a
 * timeout) and net_send_all (sock.sendall). recv_until_dot is here: it is the lesson's
 * zen_utils.recv_until.
 *
 * Usage: zen_client [-H HOST] [-p PORT] [-e]   (defaults 127.0.0.1 and 1060)
 *
 * Try:   terminal 1: ./zen_server
 *        terminal 2: ./zen_client; ./zen_client; ./zen_client -e
 * See also: zen_server.c, zen.c (the protocol and its answers).
 */
#include "cli.h"
#include "net.h"
#include "zen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "zen_client"
#define USAGE   "Usage: zen_client [-H HOST] [-p PORT] [-e]   (defaults 127.0.0.1 and 1060)"

/* Seconds we wait for the connection, and for each answer. */
enum { ANSWER_TIMEOUT_S = 10, ANSWER_MAX = 256 };

/* zen_utils.recv_until(sock, b'.'): receive until what came ends with '.'. Returns
 * its length (NUL-terminated in ANSWER), or -1 after printing why. */
static ssize_t recv_until_dot(int fd, char *answer, size_t size, const char *question)
{
    size_t len = 0;
    while (len == 0 || answer[len - 1] != '.') {
        if (len + 1 >= size) {
            fprintf(stderr, "%s: no '.' in the first %zu bytes of the answer to '%s'\n", PROGRAM,
                    len, question);
            return -1;
        }
        ssize_t n = recv(fd, answer + len, size - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: waiting for the answer to '%s': %s\n", PROGRAM, question,
                    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
            return -1;
        }
        if (n == 0) {
            fprintf(stderr, "%s: the server closed the connection before answering '%s'\n", PROGRAM,
                    question);
            return -1;
        }
        len += (size_t)n;
    }
    answer[len] = '\0';
    return (ssize_t)len;
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 1060, .min_port = 1};
    bool cause_error = false;
    const struct cli_option options[] = {
        {'e', "error", CLI_FLAG, &cause_error, "error", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", options, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    char error[256];
    net_ignore_sigpipe(); /* a server gone away: send fails with EPIPE, we say so */
    int fd = net_connect(net.host, net.port, ANSWER_TIMEOUT_S, NULL, 0, error, sizeof error);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        return 1;
    }
    /* A server that never answers must not hang us: recv gives up after 10 s. */
    struct timeval timeout = {.tv_sec = ANSWER_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    if (cause_error) { /* aphorisms[0][:-1]: the question without its '?' */
        const char *question = zen_question(0);
        size_t len = strlen(question) - 1;
        int rc = net_send_all(fd, question, len);
        close(fd);
        if (rc < 0) {
            fprintf(stderr, "%s: send: %s\n", PROGRAM, strerror(errno));
            return 1;
        }
        printf("sent '%.*s' without its '?' and closed the connection\n", (int)len, question);
        return 0;
    }

    /* random.sample(aphorisms, 3): a random order of the three (Fisher-Yates). */
    int order[ZEN_APHORISMS] = {0, 1, 2};
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int i = ZEN_APHORISMS - 1; i > 0; i--) {
        int j = rand() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    status = 0;
    for (int k = 0; k < ZEN_APHORISMS && status == 0; k++) {
        const char *question = zen_question(order[k]);
        size_t expected_len;
        const char *expected = zen_answer(question, strlen(question), &expected_len);
        char answer[ANSWER_MAX];
        if (net_send_all(fd, question, strlen(question)) < 0) {
            fprintf(stderr, "%s: send: %s\n", PROGRAM, strerror(errno));
            status = 1;
        } else if (recv_until_dot(fd, answer, sizeof answer, question) < 0) {
            status = 1;
        } else {
            printf("%s %s\n", question, answer);
            if (strlen(answer) != expected_len || memcmp(answer, expected, expected_len) != 0) {
                fprintf(stderr, "%s: wrong answer to '%s': expected '%s'\n", PROGRAM, question,
                        expected);
                status = 1;
            }
        }
    }
    close(fd);
    return status;
}
