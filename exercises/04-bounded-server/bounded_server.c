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

#include <stdio.h>

#define PROGRAM "bounded_server"
#define USAGE                                                                                      \
    "Usage: bounded_server [-H HOST] [-p PORT] [-k MAX_CLIENTS] [-q]   (default "                  \
    "127.0.0.1:50007, 4 clients)"

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 50007, .min_port = 0};
    int max_clients = 4;
    const struct cli_option options[] = {
        {'k', "max-clients", CLI_INT, &max_clients, "client count", 1, 10000, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", options, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    /* TODO: your server. The steps (README.md, "Hints", says more about each):
     *  1. listener = net_server_start(PROGRAM, net.host, net.port) (net.h): it makes SIGINT
     *     and SIGTERM write a byte to the stop pipe (net_stop_fd()), ignores SIGPIPE, opens
     *     the non-blocking listener and prints "listening on ..." (or says why it could not:
     *     then exit 1);
     *  2. loop: poll() the stop pipe and the listener; net_accept_one(); if fewer than
     *     max_clients are being served, start a thread that echoes until its client closes
     *     (with net_block_signals() around pthread_create), else send "busy\n" and close;
     *  3. join every thread whose client has gone (no thread may be left behind);
     *  4. at the stop: shutdown() every client's socket, join every thread, free everything,
     *     net_server_end(listener), exit 0. */
    fprintf(stderr,
            "%s: not implemented yet (it would listen on %s:%d for %d clients%s): see README.md\n",
            PROGRAM, net.host, net.port, max_clients, net.quiet ? ", quietly" : "");
    return 1;
}
