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

#include <getopt.h>
#include <stdio.h>

#define PROGRAM "udp_ping"
#define USAGE                                                                                      \
    "Usage: udp_ping [-H HOST] [-p PORT] [-c COUNT] [-t TIMEOUT]   (default 127.0.0.1:20000, "     \
    "4 pings, 1 s)"

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'},  {"port", required_argument, NULL, 'p'},
        {"count", required_argument, NULL, 'c'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},        {0},
    };
    const char *host = "127.0.0.1";
    int port = 20000, opt;
    long count = 4;
    double timeout = 1.0;

    while ((opt = getopt_long(argc, argv, "H:p:c:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'H':
            host = optarg;
            break;
        case 'p':
            if (parse_port(optarg, 1, &port) != 0)
                return usage_error(PROGRAM, USAGE, "bad port '%s': expected 1..65535", optarg);
            break;
        case 'c':
            if (parse_long(optarg, 1, 1000000, &count) != 0)
                return usage_error(PROGRAM, USAGE, "bad count '%s': expected 1..1000000", optarg);
            break;
        case 't':
            if (parse_seconds(optarg, &timeout) != 0 || timeout <= 0)
                return usage_error(PROGRAM, USAGE, "bad timeout '%s': expected seconds above 0",
                                   optarg);
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

    /* TODO: your ping. The steps (README.md, "Hints", says more about each):
     *  1. udp_socket_to(host, port, ...) (net.h) gives a socket and the server's address;
     *     format_address() writes it as HOST:PORT for the output;
     *  2. for seq = 1..count: send "ping SEQ", then wait for its echo until the ping's own
     *     deadline (poll with a timeout), ignoring anything else that arrives;
     *  3. print each reply or timeout, then the statistics (README.md has the format). */
    fprintf(stderr,
            "%s: not implemented yet (it would send %ld pings to %s:%d, timeout %g s): see "
            "README.md\n",
            PROGRAM, count, host, port, timeout);
    return 1;
}
