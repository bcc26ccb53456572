/* greet_client.c -- lecture 004's first client: connect, print what the server says.
 *
 * Translates lecture 004, "Client Sederhana" (client.py):
 *
 *     s = socket.socket()
 *     host = socket.gethostname()
 *     port = 12345
 *     s.connect((host, port))
 *     print s.recv(1024)
 *     s.close
 *
 * The client side of greet_server: socket(), connect(), read, close. One difference
 * matters: the lecture prints one recv(1024), which is whatever part of the greeting
 * had arrived. We read until the server closes (recv returns 0), so the whole greeting
 * is printed even when it comes in pieces. (`s.close` without parentheses does not
 * even call close in Python: the program's exit closes the socket.)
 *
 * The lecture connects to gethostname(); we connect to 127.0.0.1, where the kit's
 * greet_server listens (-H "$(hostname)" for the lecture's way).
 *
 * Output: the greeting as received, then a newline (the lecture's print adds one).
 * A server that closes without a word, or resets, is an error (exit 1).
 *
 * -t SECONDS bounds the connect and, from there, the wait for the server to close (by
 * default both wait as long as they take, like the lecture's client).
 *
 * The socket calls are in net.c (net.h): net_connect (getaddrinfo, socket, connect) and
 * net_wait (poll); echo_client.c makes each of those calls itself: read it first.
 *
 * Usage: greet_client [-H HOST] [-p PORT] [-t SECONDS]    (default 127.0.0.1:12345)
 *
 * Try:   ./greet_server &  ./greet_client     -> Thank you for connecting
 * See also: greet_server.c, echo_client.c.
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "greet_client"
#define USAGE                                                                                      \
    "Usage: greet_client [-H HOST] [-p PORT] [-t SECONDS]   (default 127.0.0.1:12345, no "         \
    "time limit)"

/* Copy everything SOCK sends to stdout until it closes. TIMEOUT_MS (-1: none) bounds
 * the whole wait. Returns the exit status. */
static int print_greeting(int sock, const char *peer, int timeout_ms)
{
    long long deadline = net_monotonic_ms() + timeout_ms, total = 0;
    char buffer[4096], last = '\n';

    for (;;) {
        long long left = deadline - net_monotonic_ms();
        int ready = net_wait(sock, POLLIN, timeout_ms < 0 ? -1 : left > 0 ? (int)left : 0);
        if (ready == 0) {
            fprintf(stderr, "%s: %s did not close the connection within %.3g s\n", PROGRAM, peer,
                    timeout_ms / 1000.0);
            return 1;
        }
        ssize_t n = ready < 0 ? -1 : recv(sock, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: recv %s: %s\n", PROGRAM, peer, strerror(errno));
            return 1;
        }
        if (n == 0)
            break; /* the server closed: that was the whole greeting */
        /* print: each piece as it comes (net_write_all: no stdio buffer to lose on EINTR) */
        if (net_write_all(STDOUT_FILENO, buffer, (size_t)n) < 0)
            goto write_failed;
        total += n;
        last = buffer[n - 1];
    }
    if (total == 0) {
        fprintf(stderr, "%s: %s closed the connection without a greeting\n", PROGRAM, peer);
        return 1;
    }
    if (last != '\n' && net_write_all(STDOUT_FILENO, "\n", 1) < 0)
        goto write_failed;
    return 0;
write_failed:
    fprintf(stderr, "%s: write stdout: %s\n", PROGRAM, strerror(errno));
    return 1;
}

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 12345, .min_port = 1};
    double timeout = 0; /* -t: 0, wait as long as it takes */
    const struct cli_option own[] = {
        {'t', "timeout", CLI_SECONDS, &timeout, "timeout", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", own, false, &options);
    if (status >= 0)
        return status;
    net_ignore_sigpipe(); /* a closed stdout is reported, not a silent death */

    /* s = socket.socket(); s.connect((host, port)) */
    char peer[NET_ADDRESS_SIZE], error[256];
    int sock =
        net_connect(options.host, options.port, timeout, peer, sizeof peer, error, sizeof error);
    if (sock < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        return 1;
    }
    status = print_greeting(sock, peer, timeout > 0 ? (int)(timeout * 1000) : -1);
    close(sock);
    return status;
}
