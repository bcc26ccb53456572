/* udp_ping.c -- REFERENCE SOLUTION of exercise 03-udp-ping: ping a UDP echo server.
 *
 * Lecture 003 shows a UDP client that sends and never listens ("Sending message"); lecture
 * 002 says UDP is fast but nothing guarantees that a datagram arrives. This client measures
 * exactly that: it sends COUNT numbered pings to an echo server, waits at most TIMEOUT
 * seconds for each echo, and reports each round-trip time, then min/avg/max and the loss.
 *
 * The datagram is the text "ping SEQ" (SEQ = 1, 2, ...); a reply counts for the ping being
 * waited for only if it is the same bytes and comes from the server's address. Everything
 * else is ignored: a late echo of an earlier ping (a stale sequence number), a duplicate, a
 * datagram from some other address. Ignoring a datagram does not restart the timeout: each
 * ping has one deadline, computed when it is sent.
 *
 * connect() on a UDP socket does the address check: the kernel then delivers only
 * datagrams from that address (and send() needs no address). It sends nothing on the wire.
 *
 * Usage: udp_ping [-H HOST] [-p PORT] [-c COUNT] [-t TIMEOUT]
 *        (default 127.0.0.1:20000, 4 pings, 1 s)
 * Try:   ../../03-udp/udp_server -p 20000                   (terminal 1)
 *        ./udp_ping -c 5                                    (terminal 2)
 * See also: 03-udp (udp_server, udp_client: timeouts and retries).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "udp_ping"
#define USAGE                                                                                      \
    "Usage: udp_ping [-H HOST] [-p PORT] [-c COUNT] [-t TIMEOUT]   (default 127.0.0.1:20000, "     \
    "4 pings, 1 s)"

static double now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

/* Wait until DEADLINE (a now_ms() time) for the echo of PING (LEN bytes) on the connected
 * socket FD. Returns true when it came; anything else that arrives is dropped. */
static bool wait_for_echo(int fd, const char *ping, size_t len, double deadline)
{
    char reply[2048];

    for (;;) {
        double left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)ceil(left)); /* round up: never wake just before the end */
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue; /* the deadline check above decides */
        ssize_t got = recv(fd, reply, sizeof reply, 0);
        /* ECONNREFUSED: an ICMP "port unreachable" from an earlier send. This ping is then
         * lost like any other: keep waiting until its deadline. */
        if (got < 0)
            continue;
        if ((size_t)got == len && memcmp(reply, ping, len) == 0)
            return now_ms() <= deadline; /* an echo after the deadline is a lost ping */
        /* A stale or foreign echo: not ours. Its arrival does not move the deadline. */
    }
}

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
    char error[256], where[ADDRESS_TEXT_SIZE];

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

    struct sockaddr_storage server;
    socklen_t length;
    int fd = udp_socket_to(host, port, &server, &length, error, sizeof error);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        return 1;
    }
    format_address((struct sockaddr *)&server, where, sizeof where);
    if (connect(fd, (struct sockaddr *)&server, length) != 0) {
        fprintf(stderr, "%s: connect %s: %s\n", PROGRAM, where, strerror(errno));
        close(fd);
        return 1;
    }

    printf("PING %s: %ld pings, timeout %g s\n", where, count, timeout);
    fflush(stdout);
    long received = 0;
    double min = 0, max = 0, sum = 0;
    for (long seq = 1; seq <= count; seq++) {
        char ping[32];
        int len = snprintf(ping, sizeof ping, "ping %ld", seq);
        double sent_at = now_ms();
        ssize_t sent;
        do { /* EINTR: a signal came before the datagram left: send it again */
            sent = send(fd, ping, (size_t)len, 0);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0 && errno != ECONNREFUSED) {
            fprintf(stderr, "%s: send %s: %s\n", PROGRAM, where, strerror(errno));
            close(fd);
            return 1;
        }
        if (wait_for_echo(fd, ping, (size_t)len, sent_at + timeout * 1000.0)) {
            double rtt = now_ms() - sent_at;
            min = received == 0 || rtt < min ? rtt : min;
            max = received == 0 || rtt > max ? rtt : max;
            sum += rtt;
            received++;
            printf("reply from %s: seq=%ld time=%.3f ms\n", where, seq, rtt);
        } else {
            printf("timeout: seq=%ld\n", seq);
        }
        fflush(stdout); /* one line per ping, as it happens */
    }

    printf("--- %s ping statistics ---\n", where);
    printf("%ld sent, %ld received, %.1f%% loss\n", count, received,
           100.0 * (double)(count - received) / (double)count);
    if (received > 0)
        printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", min, sum / (double)received, max);
    close(fd);
    return received > 0 ? 0 : 1;
}
