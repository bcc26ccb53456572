/* baseline_echo.c -- the benchmark's yardstick: the smallest fast echo loop there is.
 *
 * Not a lecture example: `make bench` compares every echo server of the kit with this
 * one to say what "fast" means on this machine. One thread, edge-triggered epoll,
 * no buffers, no bookkeeping. It cuts corners no real server may cut, which is why
 * the kit's servers do not look like this:
 * - it assumes every write takes all it is given (true for the benchmark's 64-byte
 *   ping-pong) and closes the connection when one does not, where a real server
 *   would keep the rest and wait for the client to read;
 * - no bound on anything, no EMFILE handling, no logging.
 * So it is deliberately left out of the hardening tests: under the fault-injection
 * shim's short writes (tests/check_faults.c) it would drop connections, exactly as
 * this comment says. Its tests (tests/check_loadgen.c) only check that it echoes and
 * stops cleanly: it must stay fit to be the yardstick, nothing more.
 * Edge-triggered means epoll reports a socket once per arrival of data, so the loop
 * must leave it drained. A short read (less than the buffer) proves it is: any later
 * data is a new arrival and raises a new edge. That spares the usual extra read that
 * only returns EAGAIN.
 *
 * Usage: baseline_echo [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 50007)
 *
 * Try:   ./baseline_echo -p 0     then   ./loadgen -p PORT -c 100 -d 3
 * See also: async_echo.c (the same job done properly), bench.sh, README "Benchmark".
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#define PROGRAM "baseline_echo"
#define USAGE   "Usage: baseline_echo [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 50007)"

static volatile sig_atomic_t stop;

static void on_signal(int signal_number)
{
    stop = signal_number;
}

int main(int argc, char *argv[])
{
    const char *host = "127.0.0.1", *port = "50007";
    long number;
    int opt;
    while ((opt = getopt(argc, argv, "H:p:qh")) != -1) {
        if (opt == 'H')
            host = optarg;
        else if (opt == 'p' && parse_port(optarg, 0, &number) == 0)
            port = optarg;
        else if (opt == 'h')
            return puts(USAGE) < 0;
        else if (opt != 'q') /* -q: there is nothing to silence */
            return usage_error(PROGRAM, USAGE, opt == 'p' ? "bad port '%s'" : NULL, optarg);
    }
    if (optind < argc)
        return usage_error(PROGRAM, USAGE, "unexpected argument '%s'", argv[optind]);

    char error[256];
    int listener = net_listen(host, port, error, sizeof error);
    if (listener < 0)
        return fprintf(stderr, "%s: %s\n", PROGRAM, error), 1;
    /* SIGTERM is blocked except inside epoll_pwait: it can only land there, as EINTR. */
    sigset_t blocked, during_wait;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    sigprocmask(SIG_BLOCK, &blocked, &during_wait);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int epfd = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener}, ready[256];
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event) < 0 || net_announce(listener))
        return perror(PROGRAM), 1;

    /* ---- The loop: about forty lines from here to the end. ---- */
    while (!stop) {
        int n = epoll_pwait(epfd, ready, 256, -1, &during_wait);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == listener) { /* accept everyone waiting, edge-triggered from now on */
                int client;
                while ((client = accept(listener, NULL, NULL)) >= 0) {
                    event = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.fd = client};
                    if (net_set_nonblocking(client) < 0 ||
                        epoll_ctl(epfd, EPOLL_CTL_ADD, client, &event) < 0)
                        close(client);
                }
                continue;
            }
            for (;;) { /* drain: read and echo until a short read or EAGAIN */
                char buf[16384];
                ssize_t got = read(fd, buf, sizeof buf);
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break; /* drained */
                if (got < 0 && errno == EINTR)
                    continue;
                if (got <= 0 || send(fd, buf, (size_t)got, MSG_NOSIGNAL) != got) {
                    close(fd); /* EOF, error, or a short write: closing also unwatches */
                    break;
                }
                if (got < (ssize_t)sizeof buf)
                    break; /* short read: drained */
            }
        }
    }
    close(epfd);
    close(listener);
    return 0;
}
