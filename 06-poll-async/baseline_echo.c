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
 * epoll is Linux's own: this program is built only there, and not with PORTABLE=1
 * (the Makefile; async_echo -b poll is what every system runs). The setup is the
 * kit's (net.c: net_server_start, net_accept_one; the stop pipe watched like a
 * socket), so that the loop below is all that differs from the kit's servers.
 *
 * Usage: baseline_echo [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 50007)
 *
 * Try:   ./baseline_echo -p 0     then   ./loadgen -p PORT -c 100 -d 3
 * See also: async_echo.c (the same job done properly), bench.sh, README "Benchmark".
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "baseline_echo"
#define USAGE   "Usage: baseline_echo [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 50007)"

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 50007, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &net);
    if (status >= 0)
        return status; /* -q is taken, and there is nothing to silence */

    int listener = net_server_start(PROGRAM, net.host, net.port);
    if (listener < 0)
        return 1; /* net_server_start said why */
    int epfd = epoll_create1(EPOLL_CLOEXEC), stop_fd = net_stop_fd();
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener}, ready[256];
    struct epoll_event stop_event = {.events = EPOLLIN, .data.fd = stop_fd};
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event) < 0 ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd, &stop_event) < 0) {
        perror(PROGRAM);
        net_server_end(listener);
        return 1;
    }

    /* ---- The loop: about forty lines from here to the end. ---- */
    for (bool stop = false; !stop;) {
        int n = epoll_wait(epfd, ready, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == stop_fd) { /* SIGTERM or SIGINT: its byte is in the pipe */
                stop = true;
                continue;
            }
            if (fd == listener) { /* accept everyone waiting, edge-triggered from now on */
                char peer[NET_ADDRESS_SIZE];
                int client;
                while ((client = net_accept_one(listener, false, peer, sizeof peer)) >= 0) {
                    event = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.fd = client};
                    if (epoll_ctl(epfd, EPOLL_CTL_ADD, client, &event) < 0)
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
    net_server_end(listener);
    return 0;
}
