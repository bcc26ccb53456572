/* chat_client.c -- YOUR CODE: a chat client that prints everything the server sends while
 * it sends what the user types.
 *
 * Exercise 06-chat-client (lecture 002, "Tehtävä 1"). README.md has the task, the exact
 * specification and hints from gentle to explicit. The command line is done for you below;
 * the client is yours to write. Run `make test` to see which graded checks pass and your
 * score.
 *
 * The stub compiles and runs, but says "not implemented yet" and exits with status 1
 * instead of connecting, so every test fails at once and says so.
 *
 * Usage: chat_client [-H HOST] [-p PORT]      (default 127.0.0.1:65432)
 * Try:   ../05-chat-server/chat_server          (terminal 1)
 *        ./chat_client                          (terminals 2 and 3: type in one, read in both)
 */
#include "cli.h"
#include "net.h"

#include <stdio.h>

#define PROGRAM "chat_client"
#define USAGE   "Usage: chat_client [-H HOST] [-p PORT]   (default 127.0.0.1:65432)"

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 65432, .min_port = 1};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", NULL, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    /* TODO: your client. The steps (README.md, "Hints", says more about each):
     *  1. net_ignore_sigpipe(); sock = net_connect(net.host, net.port, 0, NULL, 0, error,
     *     sizeof error) (net.h);
     *  2. loop: wait for the socket and standard input at once (poll, or two threads);
     *     write what the server sends to stdout at once; send what the user types;
     *  3. at the end of standard input: shutdown(sock, SHUT_WR), and go on printing;
     *  4. when the server closes: "chat_client: server closed the connection" on stderr,
     *     exit 0. */
    fprintf(stderr, "%s: not implemented yet (it would connect to %s:%d): see README.md\n", PROGRAM,
            net.host, net.port);
    return 1;
}
