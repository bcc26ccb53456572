/* bounded_server.c -- YOUR CODE: a thread-per-connection echo server that serves at most K
 * clients at once.
 *
 * Exercise 04-bounded-server. README.md has the task, the exact specification and hints
 * from gentle to explicit. The command line is done for you below; the server is yours to
 * write. Run `make test` to see which graded checks pass and your score.
 *
 * The stub compiles and runs, but says "not implemented yet" and exits with status 1
 * instead of listening, so every test fails at once and says so.
 *
 * Usage: bounded_server [-H HOST] [-p PORT] [-k MAX_CLIENTS] [-q]
 *        (default 127.0.0.1:50007, 4 clients)
 * Try:   ./bounded_server -k 2                              (terminal 1)
 *        ../06-chat-client/chat_client -p 50007     in three more terminals: the third is busy
 */
#include "cli.h"
#include "net.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#define PROGRAM "bounded_server"
#define USAGE                                                                                      \
    "Usage: bounded_server [-H HOST] [-p PORT] [-k MAX_CLIENTS] [-q]   (default "                  \
    "127.0.0.1:50007, 4 clients)"

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"max-clients", required_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *host = "127.0.0.1";
    int port = 50007, opt;
    long max_clients = 4;
    bool quiet = false;

    while ((opt = getopt_long(argc, argv, "H:p:k:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'H':
            host = optarg;
            break;
        case 'p':
            if (parse_port(optarg, 0, &port) != 0)
                return usage_error(PROGRAM, USAGE, "bad port '%s': expected 0..65535", optarg);
            break;
        case 'k':
            if (parse_long(optarg, 1, 10000, &max_clients) != 0)
                return usage_error(PROGRAM, USAGE, "bad client count '%s': expected 1..10000",
                                   optarg);
            break;
        case 'q':
            quiet = true;
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

    /* TODO: your server. The steps (README.md, "Hints", says more about each):
     *  1. ignore SIGPIPE; make SIGINT and SIGTERM write a byte to a self-pipe;
     *  2. tcp_listen(host, port, ...) and print_listening(...) (net.h);
     *  3. loop: poll() the self-pipe and the listener; accept; if fewer than max_clients
     *     are being served, start a thread that echoes until its client closes (with
     *     SIGINT and SIGTERM blocked in it), else send "busy\n" and close;
     *  4. join every thread whose client has gone (no thread may be left behind);
     *  5. at the signal: shutdown() every client's socket, join every thread, free
     *     everything, exit 0. */
    fprintf(stderr,
            "%s: not implemented yet (it would listen on %s:%d for %ld clients%s): see README.md\n",
            PROGRAM, host, port, max_clients, quiet ? ", quietly" : "");
    return 1;
}
