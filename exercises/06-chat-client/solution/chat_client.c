/* chat_client.c -- REFERENCE SOLUTION of exercise 06-chat-client: a chat client that prints
 * everything the server sends while it sends what the user types.
 *
 * Lecture 002, "Tehtävä 1": "Luo chatti asiakas, joka ota yhteyttä testi serveriin ... Sen
 * jälkeen pitää printata kaikki, mitä vastaanottaa palvelimelta ja samaan aikaan se pysty
 * kysymään käyttäjältä tekstiä, joka pitää lähettää" (create a chat client that connects to
 * the test server, then prints everything it receives from the server and at the same time
 * asks the user for text to send).
 *
 * "At the same time" is the whole exercise: a program that waits in fgets() for the user
 * cannot print what arrives meanwhile, and one that waits in recv() cannot read the user.
 * This one waits for both at once with poll(2) on standard input and the socket, in one
 * thread. (Two threads, one per direction, work too: see README.md.)
 *
 * - Whatever arrives is written to stdout at once, byte for byte (write(2), no stdio buffer
 *   to flush).
 * - Whatever the user types is sent as it is read: read(2) on a terminal returns one line at
 *   a time, on a pipe whatever is there.
 * - At the end of standard input (Ctrl-D), it half-closes the connection (shutdown SHUT_WR:
 *   "I have nothing more to say") and keeps printing until the server closes.
 * - When the server closes, it says "chat_client: server closed the connection" on stderr
 *   and exits 0.
 *
 * The connect is in ../common/net.c: net_connect() (getaddrinfo, socket, connect to each
 * address of HOST in turn), with net_send_all() (the send loop) and net_write_all() (the
 * write loop for stdout); poll, recv, read and shutdown are here. SIGPIPE is ignored
 * (net_ignore_sigpipe), which works everywhere (MSG_NOSIGNAL is Linux and the BSDs only).
 * The command line is one table read by parse_net_options() (../common/cli.c).
 *
 * Usage: chat_client [-H HOST] [-p PORT]      (default 127.0.0.1:65432)
 * Try:   ../05-chat-server/chat_server          (terminal 1)
 *        ./chat_client                          (terminals 2 and 3: type in one, read in both)
 * See also: 05-chat-server (the server), 05-select-server (select on stdin and a socket).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "chat_client"
#define USAGE   "Usage: chat_client [-H HOST] [-p PORT]   (default 127.0.0.1:65432)"

/* Relay between the user and the server until the server closes. Returns the exit status. */
static int chat(int sock)
{
    char buffer[4096];
    int input = STDIN_FILENO; /* -1 once the user's input has ended: poll() then skips it */

    for (;;) {
        struct pollfd p[2] = {
            {.fd = sock, .events = POLLIN},
            {.fd = input, .events = POLLIN},
        };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: poll: %s\n", PROGRAM, strerror(errno));
            return 1;
        }
        /* The server first: POLLHUP and POLLERR too, recv() says what they mean (and hands
         * over the last bytes before the end). */
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(sock, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                fprintf(stderr, "%s: recv: %s\n", PROGRAM, strerror(errno));
                return 1;
            }
            if (n == 0) {
                fprintf(stderr, "%s: server closed the connection\n", PROGRAM);
                return 0;
            }
            if (net_write_all(STDOUT_FILENO, buffer, (size_t)n) != 0) {
                fprintf(stderr, "%s: stdout: %s\n", PROGRAM, strerror(errno));
                return 1;
            }
        }
        if (input >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(input, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                fprintf(stderr, "%s: stdin: %s\n", PROGRAM, strerror(errno));
                return 1;
            }
            if (n == 0) {
                /* The user is done: say so to the server, but keep listening to it. */
                shutdown(sock, SHUT_WR);
                input = -1;
            } else if (net_send_all(sock, buffer, (size_t)n) != 0) {
                fprintf(stderr, "%s: send: %s\n", PROGRAM, strerror(errno));
                return 1;
            }
        }
    }
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 65432, .min_port = 1};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", NULL, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    /* A server gone while we send costs an error message (EPIPE), not a silent death. */
    net_ignore_sigpipe();
    char error[256];
    int sock = net_connect(net.host, net.port, 0, NULL, 0, error, sizeof error);
    if (sock < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        return 1;
    }
    status = chat(sock);
    close(sock);
    return status;
}
