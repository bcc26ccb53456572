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
 * The socket calls are here (connect, send, poll, recv), but for two given helpers in
 * ../common/net.c: net_udp_client() (getaddrinfo and socket: a socket of the server's
 * family, and its address) and net_format_address() (the address as "HOST:PORT"). The
 * command line is one table read by parse_net_options() (../common/cli.c).
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

    struct sockaddr_storage server;
    socklen_t length;
    char error[256], where[NET_ADDRESS_SIZE];
    int fd = net_udp_client(net.host, net.port, &server, &length, error, sizeof error);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        return 1;
    }
    net_format_address((struct sockaddr *)&server, where, sizeof where);
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
