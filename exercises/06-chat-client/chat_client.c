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

#include <getopt.h>
#include <stdio.h>

#define PROGRAM "chat_client"
#define USAGE   "Usage: chat_client [-H HOST] [-p PORT]   (default 127.0.0.1:65432)"

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *host = "127.0.0.1";
    int port = 65432, opt;

    while ((opt = getopt_long(argc, argv, "H:p:h", options, NULL)) != -1) {
        switch (opt) {
        case 'H':
            host = optarg;
            break;
        case 'p':
            if (parse_port(optarg, 1, &port) != 0)
                return usage_error(PROGRAM, USAGE, "bad port '%s': expected 1..65535", optarg);
            break;
        case 'h':
            puts(USAGE);
            return 0;
        default:
            return usage_error(PROGRAM, USAGE, NULL);
        }
    }
    if (optind < argc)
        return usage_error(PROGRAM, USAGE, "unexpected argument '%s'", argv[optind]);

    /* TODO: your client. The steps (README.md, "Hints", says more about each):
     *  1. ignore SIGPIPE; tcp_connect_to(host, port, ...) (net.h);
     *  2. loop: wait for the socket and standard input at once (poll, or two threads);
     *     write what the server sends to stdout at once; send what the user types;
     *  3. at the end of standard input: shutdown(sock, SHUT_WR), and go on printing;
     *  4. when the server closes: "chat_client: server closed the connection" on stderr,
     *     exit 0. */
    fprintf(stderr, "%s: not implemented yet (it would connect to %s:%d): see README.md\n", PROGRAM,
            host, port);
    return 1;
}
