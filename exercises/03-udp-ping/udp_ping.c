/* udp_ping.c -- YOUR CODE: ping a UDP echo server.
 *
 * Exercise 03-udp-ping. README.md has the task, the exact output (byte for byte) and hints
 * from gentle to explicit. The command line is done for you below; the pinging is yours to
 * write. Run `make test` to see which graded checks pass and your score.
 *
 * The stub compiles and runs, but says "not implemented yet" and exits with status 1, so
 * every test fails at once and says so.
 *
 * Usage: udp_ping [-H HOST] [-p PORT] [-c COUNT] [-t TIMEOUT]
 *        (default 127.0.0.1:20000, 4 pings, 1 s)
 * Try:   ../../03-udp/udp_server -p 20000                   (terminal 1)
 *        ./udp_ping -c 5                                    (terminal 2)
 */
#include "cli.h"
#include "net.h"

#include <stdio.h>

#define PROGRAM "udp_ping"
#define USAGE                                                                                      \
    "Usage: udp_ping [-H HOST] [-p PORT] [-c COUNT] [-t TIMEOUT]   (default 127.0.0.1:20000, "     \
    "4 pings, 1 s)"

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 20000, .min_port = 1};
    long count = 4;
    double timeout = 1.0;
    const struct cli_option options[] = {
        {'c', "count", CLI_LONG, &count, "count", 1, 1000000, NULL, NULL},
        {'t', "timeout", CLI_SECONDS, &timeout, "timeout", 1e-9, 0, "seconds above 0", NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", options, false, &net);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    /* TODO: your ping. The steps (README.md, "Hints", says more about each):
     *  1. net_udp_client(net.host, net.port, ...) (net.h) gives a socket and the server's
     *     address; net_format_address() writes it as HOST:PORT for the output;
     *  2. for seq = 1..count: send "ping SEQ", then wait for its echo until the ping's own
     *     deadline (poll with a timeout), ignoring anything else that arrives;
     *  3. print each reply or timeout, then the statistics (README.md has the format). */
    fprintf(stderr,
            "%s: not implemented yet (it would send %ld pings to %s:%d, timeout %g s): see "
            "README.md\n",
            PROGRAM, count, net.host, net.port, timeout);
    return 1;
}
